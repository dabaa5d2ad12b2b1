"""Huey tasks of the spine: thin, idempotent, safe to retry."""

from __future__ import annotations

import datetime as dt
import logging

from django.apps import apps
from django.conf import settings
from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import HUEY

from sencrm.core.background import close_db, db_periodic_task, db_task, on_startup
from sencrm.core.models import Record
from sencrm.events import consumers
from sencrm.events.services import record_purge

log = logging.getLogger(__name__)


@db_task(retries=3, retry_delay=10)
def dispatch_events() -> dict[str, int]:
    # One dispatcher at a time across all workers: consumers read in id order.
    with HUEY.lock_task("sencrm-dispatch-events"):
        return consumers.run_all()


@db_periodic_task(crontab(minute="*"))
def dispatch_events_periodically() -> None:
    """Safety net: events whose wake-up was lost (worker down at commit time) are still handled."""
    try:
        with HUEY.lock_task("sencrm-dispatch-events"):
            consumers.run_all()
    except Exception:  # the lock is held by a running dispatch: nothing to do
        log.debug("dispatch already running")


def purge_trash(now: dt.datetime | None = None) -> int:
    """Purge soft-deleted records older than TRASH_RETENTION_DAYS; returns how many were purged."""
    cutoff = (now or timezone.now()) - dt.timedelta(days=settings.TRASH_RETENTION_DAYS)
    purged = 0
    for model in apps.get_models():
        if issubclass(model, Record):
            for obj in model.all_objects.filter(deleted_at__lt=cutoff).iterator(chunk_size=500):
                record_purge(obj)
                purged += 1
    return purged


@db_periodic_task(crontab(hour="2", minute="30"))
def purge_trash_daily() -> None:
    purged = purge_trash()
    log.info("purged %s records from the trash", purged)


# Outgoing webhooks (sencrm.events.webhooks): one attempt per task; the retry schedule, the lease
# and the give-up rule live in the delivery rows, so these tasks carry no Huey retries.
@db_task()
def webhook_deliver(delivery_id: int) -> str:
    from sencrm.events.webhooks import delivery

    return delivery.deliver(delivery_id)


@db_periodic_task(crontab(minute="*"))
def webhook_sweep() -> int:
    """Queue due deliveries whose wake-up was lost or whose sender died (its lease expired)."""
    from sencrm.events.webhooks import consumer, delivery

    consumer.cursor_fast_forward()
    return delivery.sweep()


@on_startup()
@close_db
def webhook_resume_at_startup() -> None:
    """A worker that starts (perhaps after one was killed mid-send) resumes the interrupted deliveries
    as soon as their lease ends, instead of waiting for the next minute's sweep."""
    from sencrm.events.webhooks import consumer, delivery

    try:
        consumer.cursor_fast_forward()
        delivery.sweep(include_leased=True)
    except Exception:  # the database may not be migrated yet; the periodic sweep catches up
        log.exception("webhook sweep at worker start failed")


@db_periodic_task(crontab(hour="3", minute="10"))
def webhook_purge_daily() -> None:
    from sencrm.events.webhooks import delivery

    log.info("purged %s old webhook deliveries", delivery.purge())
