"""Sending an email campaign in the worker: every recipient exactly once, at a set rate.

When a scheduled campaign is due, its audience is queued in one INSERT … SELECT (one row per person,
sencrm/marketing/emailing.py), and the campaign is `sending`. A sender then works in batches:

1. **claim** a batch of free queued rows (never claimed, or their lease over) and stamp them with its
   own time (`claimed_at`), a lease: on PostgreSQL with FOR UPDATE SKIP LOCKED, so senders side by side
   take different rows; on SQLite the write lock serialises the claims;
2. for each row: check the consent again (a person may have withdrawn since the queueing), render, hand
   the message to the SMTP server, and **at once** record it `sent` in its own transaction, with the
   campaign's counter and the `email.sent` event on the contact's timeline;
3. a 5xx answer is `bounced` (with the server's words, `email.bounced` to webhooks); a 4xx answer keeps
   the row queued under its lease, to be tried again when the lease ends (at most MAX_ATTEMPTS times).

A sender killed mid-batch leaves its claimed rows queued with a lease; when the lease
(EMAIL_CAMPAIGN_LEASE_SECONDS) ends, the next run (the minute task, or `manage.py email_campaign_send`)
sends them. Nothing recorded as sent is sent again, and nothing queued is skipped. The one window left is
between the server's "250 OK" and our commit, a few milliseconds: a sender killed exactly there sends that
copy again after the lease, with the same Message-ID (`<sencrm.email.{campaign}.{recipient}@…>`), which
mail systems use to drop duplicates (docs/decisions.md, "Email campaigns").
"""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
import time
from typing import cast

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.mail import get_connection
from django.db import connection, models, transaction
from django.db.models import F, Q
from django.utils import timezone
from huey import crontab

from sencrm.core.background import db_periodic_task, db_task
from sencrm.customers.ledger import consented_contact_ids
from sencrm.customers.models import Contact
from sencrm.documents.sandbox import TemplateProblem
from sencrm.events.models import Event
from sencrm.events.services import consumers_wake, event_emit
from sencrm.marketing import emailing
from sencrm.marketing.email_tracking import event_data
from sencrm.marketing.models import EmailCampaign, EmailCampaignStatus, EmailRecipient, RecipientStatus

log = logging.getLogger(__name__)

BATCH = 100
MAX_ATTEMPTS = 5


def start(email_id: int) -> EmailCampaign | None:
    """A due scheduled campaign: queue its audience and mark it sending (once, under the row's lock)."""
    with transaction.atomic():
        email = EmailCampaign.objects.select_for_update().filter(pk=email_id).first()
        if email is None:
            return None
        if email.status == EmailCampaignStatus.SCHEDULED and (
            email.scheduled_at is None or email.scheduled_at <= timezone.now()
        ):
            queued = emailing.queue_recipients(email)
            now = timezone.now()
            EmailCampaign.all_objects.filter(pk=email.pk).update(
                status=EmailCampaignStatus.SENDING, started_at=now, recipients_total=queued
            )
            email.status, email.started_at, email.recipients_total = EmailCampaignStatus.SENDING, now, queued
            event_emit(
                type="email_campaign.started",
                subject=email,
                actor_label=f"email#{email.pk}",
                data={"recipients": queued},
            )
        return cast(EmailCampaign, email)


def _free(email: EmailCampaign, now: dt.datetime) -> models.QuerySet[EmailRecipient]:
    """Its queued rows that no sender holds (never claimed, or the claim's lease is over)."""
    lease = now - dt.timedelta(seconds=settings.EMAIL_CAMPAIGN_LEASE_SECONDS)
    return EmailRecipient.objects.filter(
        Q(claimed_at__isnull=True) | Q(claimed_at__lt=lease),
        email_campaign_id=email.pk,
        status=RecipientStatus.QUEUED,
    )


def claim(email: EmailCampaign, size: int = BATCH) -> list[EmailRecipient]:
    """Take up to `size` free queued rows, stamped with this claim's own time. On PostgreSQL the rows
    another sender is claiming at this moment are skipped (FOR UPDATE SKIP LOCKED), so senders working
    side by side take different rows instead of queueing behind each other."""
    stamp = timezone.now()
    with transaction.atomic():
        ids = list(
            _free(email, stamp)
            .order_by("id")
            .select_for_update(skip_locked=True)
            .values_list("id", flat=True)[:size]
        )
        EmailRecipient.objects.filter(pk__in=ids).update(claimed_at=stamp, attempts=F("attempts") + 1)
    rows = list(EmailRecipient.objects.filter(pk__in=ids).select_related("email_campaign").order_by("id"))
    worn = [row for row in rows if row.attempts > MAX_ATTEMPTS]
    for row in worn:
        _bounce(row, "too many temporary failures")
    return [row for row in rows if row.attempts <= MAX_ATTEMPTS]


def _sent(row: EmailRecipient, subject: str, contact_type: ContentType, row_type: ContentType) -> bool:
    """Record one message handed over: its row and its timeline event, committed together at once. The
    campaign's `sent` counter moves once per batch (and is recounted from the rows when it ends)."""
    now = timezone.now()
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # Not waiting for the disk at each commit: a killed sender loses nothing (the server has the
            # commit); only a crash of the database server itself could forget the last fraction of a
            # second of records, and those copies would be sent again — never skipped.
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit = off")
        done = EmailRecipient.objects.filter(pk=row.pk, status=RecipientStatus.QUEUED).update(
            status=RecipientStatus.SENT, sent_at=now, claimed_at=None, error=""
        )
        if not done:
            return False
        # Written here, not through event_emit: one dispatch is queued per batch, not per message.
        sent_event(row, now, contact_type, row_type, {"subject": subject[:300]}).save()
    return True


def sent_event(
    row: EmailRecipient,
    at: dt.datetime,
    contact_type: ContentType,
    row_type: ContentType,
    extra: dict[str, str] | None = None,
) -> Event:
    """The `email.sent` event of a recipient's copy, unsaved (the demo writes them in bulk)."""
    return Event(
        type="email.sent",
        occurred_at=at,
        actor_label=f"email#{row.email_campaign_id}",
        subject_type=row_type,
        subject_id=row.pk,
        subject_repr=row.email[:200],
        customer_type=contact_type,
        customer_id=row.contact_id,
        data=event_data(row, extra),
    )


def _bounce(row: EmailRecipient, reason: str) -> None:
    with transaction.atomic():
        done = EmailRecipient.objects.filter(pk=row.pk, status=RecipientStatus.QUEUED).update(
            status=RecipientStatus.BOUNCED, bounced_at=timezone.now(), claimed_at=None, error=reason[:300]
        )
        if not done:
            return
        EmailCampaign.all_objects.filter(pk=row.email_campaign_id).update(bounced=F("bounced") + 1)
        event_emit(
            type="email.bounced",
            subject=row,
            actor_label=f"email#{row.email_campaign_id}",
            customer=Contact(pk=row.contact_id),
            data=event_data(row, {"reason": reason[:300]}),
        )


def _skip(row: EmailRecipient, reason: str) -> None:
    EmailRecipient.objects.filter(pk=row.pk, status=RecipientStatus.QUEUED).update(
        status=RecipientStatus.SKIPPED, claimed_at=None, error=reason[:300]
    )


def _finish_if_done(email: EmailCampaign) -> None:
    with transaction.atomic():
        current = EmailCampaign.objects.select_for_update().get(pk=email.pk)
        waiting = EmailRecipient.objects.filter(email_campaign_id=email.pk, status=RecipientStatus.QUEUED)
        if current.status != EmailCampaignStatus.SENDING or waiting.exists():
            return
        rows = EmailRecipient.objects.filter(email_campaign_id=email.pk)
        EmailCampaign.all_objects.filter(pk=email.pk).update(
            status=EmailCampaignStatus.SENT,
            finished_at=timezone.now(),
            sent=rows.filter(sent_at__isnull=False).count(),
            bounced=rows.filter(status=RecipientStatus.BOUNCED).count(),
        )
        current.refresh_from_db()
        event_emit(
            type="email_campaign.sent",
            subject=current,
            actor_label=f"email#{email.pk}",
            data={"sent": current.sent, "bounced": current.bounced, "recipients": current.recipients_total},
        )


def _code(exc: smtplib.SMTPException) -> tuple[int, str]:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        code, words = next(iter(exc.recipients.values()), (550, b""))
        return int(code), words.decode("utf-8", "replace") if isinstance(words, bytes) else str(words)
    if isinstance(exc, smtplib.SMTPResponseException):
        error: bytes | str = exc.smtp_error
        return exc.smtp_code, error.decode("utf-8", "replace") if isinstance(error, bytes) else str(error)
    return 0, str(exc)


def send(email_id: int, *, limit: int | None = None) -> int:
    """Send what is queued (starting the campaign if it is due); returns the messages handed over.
    `limit`: stop after that many (tests, the benchmark)."""
    email = start(email_id)
    if email is None or email.status != EmailCampaignStatus.SENDING:
        return 0
    company = emailing.company_context()
    rate = settings.EMAIL_CAMPAIGN_RATE
    contact_type = ContentType.objects.get_for_model(Contact)
    row_type = ContentType.objects.get_for_model(EmailRecipient)
    smtp = get_connection(fail_silently=False)
    smtp.open()  # one SMTP session for the whole run (send() would open and close one per message)
    handed = 0
    began = time.monotonic()
    try:
        while limit is None or handed < limit:
            status = EmailCampaign.all_objects.filter(pk=email.pk).values_list("status", flat=True).first()
            if status != EmailCampaignStatus.SENDING:
                break
            email.refresh_from_db(fields=["subject", "body", "name"])
            batch = claim(email, BATCH if limit is None else min(BATCH, limit - handed))
            if not batch:
                if _free(email, timezone.now()).exists():
                    continue  # another sender held these rows a moment ago: free again, or worn out
                _finish_if_done(email)
                break
            ids = [row.contact_id for row in batch]
            allowed = set(
                consented_contact_ids("email").filter(contact_id__in=ids).values_list("contact_id", flat=True)
            )
            people = Contact.objects.select_related("account", "province").in_bulk(ids)
            in_batch = 0
            for row in batch:
                contact = people.get(row.contact_id)
                if contact is None or row.contact_id not in allowed:
                    _skip(row, "no current email consent" if contact else "contact deleted")
                    continue
                try:
                    out = emailing.message(
                        email, contact, row.email, recipient_id=row.pk, company=company, connection=smtp
                    )
                except TemplateProblem as problem:
                    _skip(row, str(problem))
                    continue
                try:
                    out.send()
                except (smtplib.SMTPRecipientsRefused, smtplib.SMTPDataError) as exc:
                    code, words = _code(exc)
                    if code >= 500:
                        _bounce(row, f"{code} {words}".strip())
                    else:
                        log.info("email %s to %s deferred: %s %s", email.pk, row.pk, code, words)
                    continue
                if _sent(row, str(out.subject), contact_type, row_type):
                    in_batch += 1
                handed += 1
                if rate:
                    pause = began + handed / rate - time.monotonic()
                    if pause > 0:
                        time.sleep(pause)
            if in_batch:
                EmailCampaign.all_objects.filter(pk=email.pk).update(sent=F("sent") + in_batch)
            consumers_wake()
    finally:
        smtp.close()
    return handed


@db_task(retries=5, retry_delay=60)
def send_email_campaign(email_id: int) -> None:
    send(email_id)


def send_in_parallel(email_id: int) -> None:
    """Queue EMAIL_CAMPAIGN_SENDERS senders for the campaign (they share its rows by their leases)."""
    for _ in range(max(1, settings.EMAIL_CAMPAIGN_SENDERS)):
        send_email_campaign(email_id)


@db_periodic_task(crontab(minute="*"))
def send_due_email_campaigns() -> None:
    """Every minute: start the scheduled campaigns that are due, and take up sending that stalled (a
    worker killed mid-send: its leases have ended)."""
    now = timezone.now()
    lease = now - dt.timedelta(seconds=settings.EMAIL_CAMPAIGN_LEASE_SECONDS)
    due = EmailCampaign.objects.filter(status=EmailCampaignStatus.SCHEDULED, scheduled_at__lte=now)
    queued = EmailRecipient.objects.filter(status=RecipientStatus.QUEUED)
    # Sending with rows waiting and no sender holding a live lease (a sender always holds its batch's).
    stalled = EmailCampaign.objects.filter(
        status=EmailCampaignStatus.SENDING, pk__in=queued.values("email_campaign_id")
    ).exclude(pk__in=queued.filter(claimed_at__gte=lease).values("email_campaign_id"))
    for pk in {*due.values_list("pk", flat=True), *stalled.values_list("pk", flat=True)}:
        send_in_parallel(pk)
