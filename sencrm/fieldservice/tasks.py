"""The worker's jobs of after-sales (Huey loads each app's tasks.py; registry.py imports it too): each
morning in the company's time zone, the maintenance plans (visits → work orders, reminders; plan_jobs.py)
and the warranty notices. Also registers the warranty source of the care call rules."""

from __future__ import annotations

import logging

from huey import crontab

from sencrm.core.background import db_periodic_task, local_hour
from sencrm.fieldservice.plan_jobs import plans_due, warranty_care_sources, warranty_notices
from sencrm.support.carecall_rules import SOURCES
from sencrm.support.models import CareTrigger

log = logging.getLogger(__name__)

SOURCES[CareTrigger.BEFORE_WARRANTY_END] = warranty_care_sources

__all__ = ["maintenance_daily", "plans_due", "warranty_notices", "warranty_notices_daily"]


@db_periodic_task(crontab(hour=local_hour(5), minute="30"))
def maintenance_daily() -> None:
    """05:30: work orders for the visits coming up, before the dispatcher's day (and the reminders)."""
    log.info("maintenance plans: %s work orders created", plans_due())


@db_periodic_task(crontab(hour=local_hour(6), minute="15"))
def warranty_notices_daily() -> None:
    log.info("warranty notices: %s assets", warranty_notices())
