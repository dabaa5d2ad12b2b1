"""The worker's job of the reports (Huey loads each app's tasks.py): every hour from 06:00 to 22:00 in the
company's time zone, the scheduled reports whose period has ended (sent once per period: schedules.py)."""

from __future__ import annotations

import logging

from huey import crontab

from sencrm.core.background import db_periodic_task, local_hour
from sencrm.reports.schedules import send_due

log = logging.getLogger(__name__)

# Huey reads crontabs in UTC: the hours 06:00–22:00 local, as UTC hours.
HOURS = ",".join(sorted({local_hour(h) for h in range(6, 23)}, key=int))


@db_periodic_task(crontab(hour=HOURS, minute="5"))
def scheduled_reports() -> None:
    log.info("scheduled reports: %s emails sent", send_due())
