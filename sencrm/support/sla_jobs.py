"""The SLA clock's periodic job (every minute) and the wording of its notifications.

Imported by sencrm.support.registry at start-up, so that Huey registers the task. Two workers running
it at once notify nothing twice: sla.check_all claims each ticket before it writes anything.
"""

from __future__ import annotations

import logging

from django.utils.translation import gettext as _
from huey import crontab

from sencrm.core.background import db_periodic_task
from sencrm.events.messages import register_kind
from sencrm.support import sla

log = logging.getLogger(__name__)


@db_periodic_task(crontab(minute="*"))
def sla_check() -> dict[str, int]:
    counts = sla.check_all()
    if counts["warned"] or counts["breached"] or counts["errors"]:
        log.info("SLA check: %s", counts)
    return counts


def _target(params: dict[str, str]) -> str:
    if params.get("target") == sla.FIRST_RESPONSE:
        return _("first response")
    return _("resolution")


def _warning(params: dict[str, str]) -> str:
    return _("Ticket %(record)s “%(subject)s”: the %(target)s is due at %(due)s.") % {
        "record": params.get("record", ""),
        "subject": params.get("subject", ""),
        "target": _target(params),
        "due": params.get("due", ""),
    }


def _breached(params: dict[str, str]) -> str:
    return _("Ticket %(record)s “%(subject)s” missed its %(target)s deadline (%(due)s).") % {
        "record": params.get("record", ""),
        "subject": params.get("subject", ""),
        "target": _target(params),
        "due": params.get("due", ""),
    }


register_kind("ticket_sla_warning", _warning)
register_kind("ticket_sla_breached", _breached)
