"""Sending a quote by email, its PDF attached; the sending is recorded on the customer's timeline."""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.core.validators import validate_email
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from sencrm.commerce.models import Quote
from sencrm.commerce.services import quote_mark_sent
from sencrm.core.background import db_task

log = logging.getLogger(__name__)


def quote_recipient(quote: Quote) -> str:
    for customer in (quote.contact, quote.account):
        if customer is not None and customer.primary_email:
            return str(customer.primary_email)
    return ""


def send_quote(quote: Quote, *, actor: Any, to: str = "") -> Quote:
    """Mark the quote sent (quote.sent on the timeline) and email it with its PDF after the commit."""
    to = to or quote_recipient(quote)
    if not to:
        raise ValidationError({"to": _("The customer has no email address: enter one to send the quote.")})
    try:
        validate_email(to)
    except ValidationError:
        raise ValidationError({"to": _("“%(to)s” is not an email address.") % {"to": to[:80]}}) from None
    with transaction.atomic():
        sent = quote_mark_sent(quote, actor=actor, to=to)
        language = getattr(actor, "language", "") or "vi"
        reply_to = getattr(actor, "email", "") or None
        transaction.on_commit(lambda: deliver_quote(sent.pk, to, language, reply_to))
    return sent


@db_task(retries=3, retry_delay=60)
def deliver_quote(quote_id: int, to: str, language: str, reply_to: str | None) -> None:
    from sencrm.commerce.printing import document_pdf

    quote = Quote.all_objects.select_related("contact", "account", "owner").get(pk=quote_id)
    with translation.override(language):
        subject = _("Quote %(number)s") % {"number": str(quote)}
        body = _(
            "Dear %(customer)s,\n\nPlease find attached our quote %(number)s.\n\nBest regards,\n%(owner)s"
        ) % {"customer": quote.customer or "", "number": str(quote), "owner": quote.owner}
    message = EmailMessage(subject, body, to=[to], reply_to=[reply_to] if reply_to else None)
    message.attach(f"{quote.number}.pdf", document_pdf(quote), "application/pdf")
    message.send()
