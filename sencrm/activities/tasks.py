"""Reminders: at its reminder time an activity tells its owner in the app (and by email when set up)."""

from __future__ import annotations

import datetime as dt
import logging
from functools import partial

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from huey import crontab

from sencrm.activities.choices import Status
from sencrm.activities.models import Activity
from sencrm.core.background import db_periodic_task, db_task
from sencrm.events.services import notification_create

log = logging.getLogger(__name__)


def send_due_reminders(now: dt.datetime | None = None) -> int:
    """Notify the owners of planned activities whose reminder time has come; each one exactly once."""
    now = now or timezone.now()
    due = Activity.objects.filter(status=Status.PLANNED, reminder_at__lte=now, reminded_at__isnull=True)
    sent = 0
    for activity in due.select_related("owner", "contact", "account").iterator(chunk_size=200):
        with transaction.atomic():
            # Claim it first: a second worker running at the same time finds nothing to claim.
            claimed = Activity.objects.filter(pk=activity.pk, reminded_at__isnull=True).update(
                reminded_at=now
            )
            if not claimed:
                continue
            customer = activity.contact or activity.account
            notification_create(
                recipient_id=activity.owner_id,
                kind="reminder",
                params={
                    "record": activity.subject,
                    "customer": str(customer or ""),
                    "due": activity.due_at.isoformat() if activity.due_at else "",
                },
                url=activity.get_absolute_url(),
            )
            if settings.EMAIL_URL and activity.owner.email:
                transaction.on_commit(partial(email_reminder, activity.pk))
        sent += 1
    return sent


@db_task(retries=3, retry_delay=60)
def email_reminder(activity_id: int) -> None:
    activity = Activity.objects.select_related("owner", "contact", "account").filter(pk=activity_id).first()
    if activity is None:
        return
    with translation.override(activity.owner.language or "vi"):
        customer = activity.contact or activity.account
        subject = _("Reminder: %(subject)s") % {"subject": activity.subject}
        body = _("%(subject)s — %(customer)s") % {"subject": activity.subject, "customer": customer or ""}
    send_mail(subject, body, None, [activity.owner.email])


@db_periodic_task(crontab(minute="*"))
def reminders_every_minute() -> None:
    sent = send_due_reminders()
    if sent:
        log.info("sent %s reminders", sent)
