"""The rating emails: a CSAT request after a ticket, an NPS survey to each of its people. Sent by the
worker after the commit that asked for them, through Django's mail; a message sent is written on the
review (`sent_to`, event `review.requested`), so a retried task never sends it twice.

Messages are written in the company's language (settings.LANGUAGE_CODE: the CRM does not know each
customer's language), with one link per score so that a rating is one click from the mailbox; the
page behind the link asks for the comment and records the answer (a GET records nothing: mail scanners
follow links)."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from sencrm.core.background import db_task
from sencrm.documents.selectors import company_profile
from sencrm.events.services import record_update
from sencrm.support.models import Review, ReviewKind, Survey
from sencrm.support.reviews import SCORES, care_email_withdrawn, review_link

log = logging.getLogger(__name__)


def message_for(review: Review, to: str, connection: Any = None) -> EmailMultiAlternatives:
    """The email asking this review's question, to `to`."""
    link = review_link(review)
    low, high = SCORES[ReviewKind(review.kind)]
    company = str(company_profile().name or "")
    customer = str(review.contact or review.account or "") or str(
        getattr(review.ticket, "requester_name", "")
    )
    with translation.override(settings.LANGUAGE_CODE):
        context = {
            "review": review,
            "ticket": review.ticket,
            "survey": review.survey,
            "customer": customer,
            "company": company,
            "link": link,
            "scores": [(score, f"{link}?score={score}") for score in range(low, high + 1)],
        }
        if review.kind == ReviewKind.NPS and review.survey is not None:
            subject = review.survey.question
        elif review.ticket is not None:
            subject = _("How did we do? Your request %(number)s") % {"number": review.ticket.number}
        else:
            subject = _("How did we do?")
        text = render_to_string("support/survey_email.txt", context)
        html = render_to_string("support/survey_email.html", context)
    queue = getattr(review.ticket, "queue", None)
    sender = getattr(queue, "email", "") or settings.DEFAULT_FROM_EMAIL
    message = EmailMultiAlternatives(
        " ".join(subject.split())[:200], text, sender, [to], connection=connection
    )
    message.attach_alternative(html, "text/html")
    return message


def _send(review: Review, to: str, connection: Any = None) -> bool:
    """Send one request unless it was sent or answered already, or care emails were withdrawn since."""
    if review.sent_to or review.answered_at is not None or care_email_withdrawn(review.contact):
        return False
    message_for(review, to, connection).send()
    record_update(
        review,
        actor=None,
        system=True,
        actor_label="system:worker",
        changes={"sent_to": to},
        version=None,
        event_type="requested",
        extra_data={"channel": "email"},
    )
    return True


def _loaded() -> Any:
    return Review.objects.select_related("ticket", "ticket__queue", "survey", "contact", "account")


@db_task(retries=3, retry_delay=60)
def deliver_review(review_id: int, to: str) -> bool:
    """Email one rating request (a ticket's CSAT)."""
    review = _loaded().filter(pk=review_id).first()
    return review is not None and _send(review, to)


@db_task(retries=3, retry_delay=60)
def deliver_survey(survey_id: int) -> int:
    """Email a sent survey to each of its people not emailed yet, over one SMTP connection; the
    number sent. A retry picks up where a failure stopped."""
    if not Survey.objects.filter(pk=survey_id, sent_at__isnull=False).exists():
        return 0
    sent = 0
    with get_connection() as connection:
        for review in (
            _loaded().filter(survey_id=survey_id, sent_to="", answered_at__isnull=True).order_by("pk")
        ):
            address = str(getattr(review.contact, "primary_email", "") or "")
            if address and _send(review, address, connection):
                sent += 1
    log.info("NPS survey %s: %s emails sent", survey_id, sent)
    return sent
