"""The worker's hourly pass over personal-data requests: an open request past its deadline (acknowledge
or complete) notifies every administrator, once per deadline passed.

Idempotent: each request is claimed by setting `overdue_notified_at` where it is still empty or older
than the deadline that passed, in the transaction that notifies; a second worker or a second run finds
nothing to claim. A request overdue for its acknowledgement and later for its completion (or after its
extension) is notified once for each.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from sencrm.events.messages import register_kind
from sencrm.events.services import event_emit, notification_create
from sencrm.privacy.deadlines import VIETNAM
from sencrm.privacy.models import OPEN_STATUSES, DataRequest, RequestStatus

log = logging.getLogger(__name__)


def _overdue_text(params: dict[str, str]) -> str:
    if params.get("deadline") == "acknowledge":
        return _("Personal-data request %(record)s was not acknowledged by %(due)s.") % {
            "record": params.get("record", ""),
            "due": params.get("due", ""),
        }
    return _("Personal-data request %(record)s was not completed by %(due)s.") % {
        "record": params.get("record", ""),
        "due": params.get("due", ""),
    }


register_kind("data_request_overdue", _overdue_text)


def administrators() -> list[Any]:
    from sencrm.users.models import User

    return list(
        User.objects.filter(Q(is_superuser=True) | Q(role__code="admin"), is_active=True).order_by("id")
    )


def _unnotified(deadline: str) -> Q:
    return Q(overdue_notified_at__isnull=True) | Q(overdue_notified_at__lt=F(deadline))


def overdue_requests(now: Any = None) -> list[tuple[DataRequest, str]]:
    """Open requests past a deadline not yet notified: (request, "acknowledge" | "complete")."""
    now = now or timezone.now()
    found: dict[int, tuple[DataRequest, str]] = {}
    not_acknowledged = DataRequest.objects.filter(
        _unnotified("acknowledge_due_at"), status=RequestStatus.RECEIVED, acknowledge_due_at__lt=now
    )
    for request in not_acknowledged.order_by("id"):
        found[request.pk] = (request, "acknowledge")
    not_completed = DataRequest.objects.filter(
        _unnotified("due_at"), status__in=OPEN_STATUSES, due_at__lt=now
    )
    for request in not_completed.order_by("id"):
        found[request.pk] = (request, "complete")  # the later deadline wins: one notification
    return [found[pk] for pk in sorted(found)]


def notify_overdue(now: Any = None) -> int:
    """Notify the administrators of each newly overdue request; answers how many requests."""
    now = now or timezone.now()
    admins = administrators()
    sent = 0
    for request, deadline in overdue_requests(now):
        field = "acknowledge_due_at" if deadline == "acknowledge" else "due_at"
        due = getattr(request, field)
        with transaction.atomic():
            claimed = DataRequest.all_objects.filter(_unnotified(field), pk=request.pk).update(
                overdue_notified_at=now
            )
            if not claimed:
                continue
            event = event_emit(
                type="data_request.overdue",
                subject=request,
                actor_label="system:scheduler",
                data={"deadline": deadline, "due_at": due.isoformat(), "kind": request.kind},
            )
            local_due = due.astimezone(VIETNAM).strftime("%d/%m/%Y")
            for admin in admins:
                notification_create(
                    recipient_id=admin.pk,
                    kind="data_request_overdue",
                    params={"record": request.number, "deadline": deadline, "due": local_due},
                    url=request.get_absolute_url(),
                    event=event,
                )
        sent += 1
    return sent


@db_periodic_task(crontab(minute="7"))  # type: ignore[untyped-decorator]
def privacy_overdue_hourly() -> None:
    count = notify_overdue()
    if count:
        log.info("%s personal-data requests overdue: administrators notified", count)
