"""The worker's daily pass over billing: recurring invoices from contracts, reminders before the due
date and after it (in the app and by email, once each — claimed before sending), invoice.overdue."""

from __future__ import annotations

import logging
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from sencrm.billing.models import OPEN_STATUSES, Invoice
from sencrm.billing.services import contracts_bill
from sencrm.core.background import db_task
from sencrm.events.services import event_emit, notification_create

log = logging.getLogger(__name__)


def days_before() -> int:
    return int(getattr(settings, "BILLING_REMINDER_DAYS_BEFORE", 3))


def customer_email(invoice: Invoice) -> str:
    for customer in (invoice.contact, invoice.account):
        if customer is not None and customer.primary_email:
            return str(customer.primary_email)
    return ""


def _remind(invoice: Invoice, *, when: str, today: date) -> None:
    """One reminder: the event (on the customer's timeline), the owner's notification, the email."""
    overdue = when == "after"
    assert invoice.due_date is not None  # noqa: S101  (filtered by the callers)
    to = customer_email(invoice)
    event = event_emit(
        type="invoice.overdue" if overdue else "invoice.reminded",
        subject=invoice,
        actor_label="system:scheduler",
        data={
            "due_date": invoice.due_date.isoformat(),
            "balance": str(invoice.balance),
            "days": (today - invoice.due_date).days if overdue else (invoice.due_date - today).days,
            "emailed_to": to,
        },
    )
    notification_create(
        recipient_id=invoice.owner_id,
        kind="invoice_overdue" if overdue else "invoice_due",
        params={
            "record": invoice.number,
            "customer": str(invoice.account or invoice.contact or ""),
            "due_date": invoice.due_date.strftime("%d/%m/%Y"),
            "balance": f"{int(invoice.balance):,}".replace(",", "."),
        },
        url=invoice.get_absolute_url(),
        event=event,
    )
    if to:
        transaction.on_commit(lambda: deliver_reminder(invoice.pk, to, when))


def _due(field: str, condition: Q) -> Any:
    return (
        Invoice.objects.filter(condition, status__in=OPEN_STATUSES, is_credit=False, balance__gt=0)
        .filter(**{f"{field}__isnull": True})
        .select_related("contact", "account", "owner")
    )


def remind_invoices(today: date | None = None) -> tuple[int, int]:
    """Reminders due today: N days before the due date, and the day after it (overdue). Each invoice
    is claimed (its reminded_*_at set where still empty) before anything is sent, so a second worker
    or a second run sends nothing twice. Answers (before, after)."""
    today = today or timezone.localdate()
    counts = []
    for when, field, condition in (
        (
            "before",
            "reminded_before_at",
            Q(due_date__gte=today, due_date__lte=today + timedelta(days=days_before())),
        ),
        ("after", "reminded_after_at", Q(due_date__lt=today)),
    ):
        sent = 0
        for invoice in _due(field, condition).iterator(chunk_size=500):
            with transaction.atomic():
                claimed = Invoice.all_objects.filter(pk=invoice.pk, **{f"{field}__isnull": True}).update(
                    **{field: timezone.now()}
                )
                if not claimed:
                    continue
                _remind(invoice, when=when, today=today)
            sent += 1
        counts.append(sent)
    return counts[0], counts[1]


@db_task(retries=3, retry_delay=60)
def deliver_reminder(invoice_id: int, to: str, when: str) -> None:
    from sencrm.billing.printing import invoice_pdf
    from sencrm.billing.selectors import invoice_vietqr
    from sencrm.documents.selectors import company_profile

    invoice = Invoice.all_objects.select_related("contact", "account", "owner").get(pk=invoice_id)
    company = company_profile()
    with translation.override("vi"):
        values = {
            "customer": invoice.account or invoice.contact or "",
            "number": invoice.number,
            "due": invoice.due_date.strftime("%d/%m/%Y") if invoice.due_date else "",
            "balance": f"{int(invoice.balance):,}".replace(",", "."),
            "company": company.name,
        }
        if when == "after":
            subject = _("Invoice %(number)s is overdue") % values
            opening = _(
                "Dear %(customer)s,\n\nInvoice %(number)s was due on %(due)s; %(balance)s ₫ is still unpaid."
            )
        else:
            subject = _("Invoice %(number)s is due on %(due)s") % values
            opening = _("Dear %(customer)s,\n\nInvoice %(number)s of %(balance)s ₫ is due on %(due)s.")
        body = opening % values
        if invoice_vietqr(invoice, company=company):
            body += "\n\n" + _(
                "Transfer to account %(account)s (%(bank)s, %(holder)s) with the content “%(number)s”, "
                "or scan the VietQR code in the attached invoice."
            ) % {**values, "account": company.bank_account, "bank": company.bank_name, "holder": company.name}
        body += "\n\n" + _("Best regards,\n%(company)s") % values
    message = EmailMessage(subject, body, to=[to])
    message.attach(f"{invoice.number}.pdf", invoice_pdf(invoice), "application/pdf")
    message.send()


@db_periodic_task(crontab(hour="1", minute="15"))  # type: ignore[untyped-decorator]
def billing_daily() -> None:
    billed = contracts_bill()
    before, after = remind_invoices()
    if billed or before or after:
        log.info("%s recurring invoices; %s reminders before, %s after the due date", billed, before, after)
