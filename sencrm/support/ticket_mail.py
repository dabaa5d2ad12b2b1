"""Emails to the customer about a ticket: replies, the acknowledgement of a web request, status updates.

Each is queued after the transaction that wrote it commits (never for a rolled-back change) and sent
by the worker through Django's email backend. The subject carries the ticket's reference
("[SC-2026-000123] Điều hòa không lạnh") so that answers can be matched to it; the body carries a
fresh signed link to the ticket's page, where the customer follows it and replies without an account.
Written in the site's language (the customer's), not the agent's.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from sencrm.core.background import db_task
from sencrm.support import public_links
from sencrm.support.models import Ticket, TicketMessage, TicketStatus

log = logging.getLogger(__name__)


def recipient(ticket: Ticket) -> str:
    """Where to write: the address the requester gave (the web form, an email), else the contact's,
    else the account's first email; "" when there is none."""
    if ticket.requester_email:
        return str(ticket.requester_email)
    for customer in (
        ticket.contact if ticket.contact_id else None,
        ticket.account if ticket.account_id else None,
    ):
        if customer is not None and customer.primary_email:
            return str(customer.primary_email)
    return ""


def subject_for(ticket: Ticket) -> str:
    return f"[{ticket.number}] {ticket.subject}"


def _customer_name(ticket: Ticket) -> str:
    contact: Any = ticket.contact if ticket.contact_id else None
    return str(ticket.requester_name or (contact.full_name if contact is not None else ""))


def _signature() -> str:
    from sencrm.documents.selectors import company_profile

    return str(getattr(company_profile(), "name", "") or "")


def _footer(ticket: Ticket) -> str:
    return "\n\n—\n" + _(
        "Your request %(number)s: %(subject)s\nFollow it and reply here (no account needed): %(link)s"
    ) % {"number": ticket.number, "subject": ticket.subject, "link": public_links.link_for(ticket)}


def _send(ticket: Ticket, to: str, subject: str, body: str) -> None:
    queue: Any = ticket.queue if ticket.queue_id else None
    reply_to = [queue.email] if queue is not None and queue.email else None
    message = EmailMessage(
        subject, body, from_email=(queue.email if reply_to else None), to=[to], reply_to=reply_to
    )
    message.extra_headers["X-SenCRM-Ticket"] = ticket.number
    message.send()


def _ticket(ticket_id: int) -> Ticket:
    related = ("contact", "account", "queue")
    ticket: Ticket = Ticket.all_objects.select_related(*related).get(pk=ticket_id)
    return ticket


@db_task(retries=3, retry_delay=60)
def deliver_reply(message_id: int) -> None:
    """Email an agent's reply; its row records when it went."""
    message = TicketMessage.objects.select_related("ticket").get(pk=message_id)
    if message.emailed_at is not None or not message.emailed_to:
        return  # sent already (a retried task), or nowhere to send
    ticket = _ticket(message.ticket_id)
    with translation.override(settings.LANGUAGE_CODE):
        body = message.body + _footer(ticket)
        signature = _signature()
        if signature:
            body += "\n" + signature
        _send(ticket, message.emailed_to, subject_for(ticket), body)
    TicketMessage.objects.filter(pk=message.pk).update(emailed_at=timezone.now())


@db_task(retries=3, retry_delay=60)
def deliver_status(ticket_id: int, status: str) -> None:
    """Tell the customer their request was received (status "new") or resolved."""
    ticket = _ticket(ticket_id)
    to = recipient(ticket)
    if not to:
        return
    values = {"name": _customer_name(ticket), "number": ticket.number, "subject": ticket.subject}
    with translation.override(settings.LANGUAGE_CODE):
        greeting = _("Dear %(name)s,") % values if values["name"] else _("Hello,")
        if status == TicketStatus.RESOLVED:
            subject = _("%(subject)s — resolved") % {"subject": subject_for(ticket)}
            text = _(
                "Your request %(number)s “%(subject)s” has been resolved. If the problem is not solved, "
                "reply on the request's page within %(days)s days and we will take it up again."
            ) % {**values, "days": settings.SUPPORT_REOPEN_DAYS}
        else:
            subject = _("%(subject)s — received") % {"subject": subject_for(ticket)}
            text = _("We received your request %(number)s “%(subject)s” and will answer you soon.") % values
        body = f"{greeting}\n\n{text}" + _footer(ticket)
        signature = _signature()
        if signature:
            body += "\n" + signature
        _send(ticket, to, subject, body)


def reply_after_commit(message: TicketMessage) -> None:
    if message.emailed_to:
        message_id = message.pk
        transaction.on_commit(lambda: _quietly(deliver_reply, message_id))


def status_after_commit(ticket: Ticket, status: str) -> None:
    ticket_id = ticket.pk
    transaction.on_commit(lambda: _quietly(deliver_status, ticket_id, status))


def _quietly(task: Any, *args: Any) -> None:
    """Queue the task; a queue that cannot be reached must not turn a saved reply into an error."""
    try:
        task(*args)
    except Exception:  # the write is committed: the email is only logged as not sent
        log.exception("could not queue %s%r", getattr(task, "name", task), args)
