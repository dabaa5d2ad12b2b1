"""Background jobs of the sales module: thin and idempotent."""

from __future__ import annotations

import logging

from huey import crontab

from sencrm.core.background import db_periodic_task, db_task
from sencrm.sales.scoring import leads_rescore_all

log = logging.getLogger(__name__)


@db_task(retries=2, retry_delay=30)
def rescore_all_leads() -> int:
    """The scoring rules changed: every lead's score again."""
    return leads_rescore_all()


@db_periodic_task(crontab(hour="3", minute="10"))
def rescore_open_leads_nightly() -> None:
    """Recency rules ("first touch within N days") change a score with time alone."""
    log.info("rescored %s open leads", leads_rescore_all(open_only=True))
