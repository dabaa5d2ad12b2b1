"""Ratings: CSAT after a resolved ticket, NPS surveys to a segment; answered once through a signed link.

The link (`/r/<token>/`) carries the review's id signed with our own salt (django.core.signing) and is
good for MAX_AGE (30 days) from when it was made; a link copied later by the agent (to send by SMS or
Zalo) starts its own 30 days. The answer is written once: a second one is refused.

Who is emailed (decided here): a rating request is a message about the customer's own ticket (CSAT) or
about the service they receive (NPS), not marketing. It is sent unless the person's latest consent
answer for email under the "care" purpose is a withdrawal; no answer at all counts as allowed, like any
transactional message. A withdrawal of marketing email alone does not stop it. The address is the
contact's, else the account's, else (a ticket from the public form) the requester's.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, models, transaction
from django.db.models import Avg, Count, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from sencrm.core import access
from sencrm.core.modules import Action, Module
from sencrm.core.text import clean_text
from sencrm.customers.ledger import consent_latest
from sencrm.customers.models import ConsentPurpose, Contact
from sencrm.events.services import record_create, record_update
from sencrm.support.models import Review, ReviewKind, Survey, Ticket

SALT = "sencrm.support.review-link"
MAX_AGE = dt.timedelta(days=30)
SCORES = {ReviewKind.CSAT: (1, 5), ReviewKind.NPS: (0, 10)}
COMMENT_MAX = 2000
MAX_SURVEY = 5_000  # recipients of one survey (written in the request: one review each)
SURVEY_FIELDS = {"name", "segment", "question", "owner"}


class BadToken(Exception):
    """A link we did not make (tampered, cut short), expired, or for a review no longer there."""

    def __init__(self, expired: bool = False) -> None:
        super().__init__("expired" if expired else "bad")
        self.expired = expired


class AlreadyAnswered(Exception):
    """The review was answered before."""


# --- the link ---------------------------------------------------------------------------------------


def review_token(review: Review) -> str:
    return signing.dumps({"r": review.pk, "k": review.kind}, salt=SALT)


def review_link(review: Review) -> str:
    """The absolute link the customer answers at (for the email, or for the agent to copy)."""
    path = reverse("support:public_review", args=[review_token(review)])
    return settings.PUBLIC_URL.rstrip("/") + path


def review_from_token(token: str) -> Review:
    try:
        data = signing.loads(token[:500], salt=SALT, max_age=MAX_AGE)
    except signing.SignatureExpired:
        raise BadToken(expired=True) from None
    except signing.BadSignature:
        raise BadToken from None
    if not isinstance(data, dict) or not isinstance(data.get("r"), int):
        raise BadToken
    review: Review | None = (
        Review.objects.select_related("ticket", "work_order", "survey", "contact", "account")
        .filter(pk=data["r"])
        .first()
    )
    if review is None or review.kind != data.get("k"):
        raise BadToken
    return review


# --- who is emailed ---------------------------------------------------------------------------------


def care_email_withdrawn(contact: Contact | None) -> bool:
    """Whether the contact's latest answer for email under the care purpose is a withdrawal."""
    if contact is None:
        return False
    latest = (
        Contact.all_objects.filter(pk=contact.pk)
        .annotate(care=consent_latest("email", ConsentPurpose.CARE))
        .values_list("care", flat=True)
        .first()
    )
    return latest is False


def _valid_email(address: str) -> str:
    try:
        validate_email(address)
    except ValidationError:
        return ""
    return address


def ticket_address(ticket: Ticket) -> str:
    """Where the ticket's rating request goes ("" = nowhere: no address, or care emails withdrawn)."""
    if care_email_withdrawn(ticket.contact):
        return ""
    for customer in (ticket.contact, ticket.account):
        if customer is not None and customer.primary_email:
            return _valid_email(str(customer.primary_email))
    return _valid_email(ticket.requester_email or "")


# --- CSAT -------------------------------------------------------------------------------------------


def request_for_ticket(ticket: Ticket, *, actor: Any = None) -> Review | None:
    """Ask for a CSAT rating of a resolved ticket (once per ticket): a Review row, and an email after
    commit when the customer has an address (and has not withdrawn consent for care messages).

    The review is owned by the ticket's agent (the one rated). Asking again returns the ticket's
    review without a second email. Returns None for a ticket that has no agent to rate."""
    existing = Review.all_objects.filter(ticket=ticket, kind=ReviewKind.CSAT).first()
    if existing is not None or ticket.owner_id is None:
        return existing
    address = ticket_address(ticket)
    try:
        with transaction.atomic():
            review = record_create(
                Review,
                actor=actor,
                system=True,  # the rule "a resolved ticket asks for a rating", whoever resolved it
                actor_label="" if getattr(actor, "pk", None) else "system:worker",
                owner=ticket.owner,
                data={
                    "kind": ReviewKind.CSAT,
                    "ticket": ticket,
                    "contact": ticket.contact,
                    "account": ticket.account,
                },
            )
    except (IntegrityError, ValidationError):
        # Two resolutions at once: the one-per-ticket constraint kept the first.
        found = Review.all_objects.filter(ticket=ticket, kind=ReviewKind.CSAT).first()
        if found is None:
            raise
        return found
    if address:
        from sencrm.support.survey_mail import deliver_review

        review_id = review.pk
        transaction.on_commit(lambda: deliver_review(review_id, address))
    return review


def work_order_address(work_order: Any) -> str:
    """Where a work order's rating request goes ("" = nowhere: no address, or care emails withdrawn)."""
    if care_email_withdrawn(work_order.contact):
        return ""
    for customer in (work_order.contact, work_order.account):
        if customer is not None and customer.primary_email:
            return _valid_email(str(customer.primary_email))
    return ""


def request_for_work_order(work_order: Any, *, actor: Any = None) -> Review | None:
    """Ask for a CSAT rating of a finished field-service work order (once per work order), like
    request_for_ticket: a Review row owned by the technician (the one rated), and an email after commit
    when the customer has an address. Returns None for a work order without a technician."""
    existing = Review.all_objects.filter(work_order=work_order, kind=ReviewKind.CSAT).first()
    if existing is not None or work_order.technician_id is None:
        return existing
    address = work_order_address(work_order)
    try:
        with transaction.atomic():
            review = record_create(
                Review,
                actor=actor,
                system=True,  # the rule "a finished work order asks for a rating", whoever finished it
                actor_label="" if getattr(actor, "pk", None) else "system:worker",
                owner=work_order.technician,
                data={
                    "kind": ReviewKind.CSAT,
                    "work_order": work_order,
                    "contact": work_order.contact,
                    "account": work_order.account,
                },
            )
    except (IntegrityError, ValidationError):
        found = Review.all_objects.filter(work_order=work_order, kind=ReviewKind.CSAT).first()
        if found is None:
            raise
        return found
    if address:
        from sencrm.support.survey_mail import deliver_review

        review_id = review.pk
        transaction.on_commit(lambda: deliver_review(review_id, address))
    return review


# --- the answer -------------------------------------------------------------------------------------


def clean_score(kind: str, value: Any) -> int:
    low, high = SCORES[ReviewKind(kind)]
    text = str(value).strip() if isinstance(value, int | str) and not isinstance(value, bool) else ""
    if not (text.isascii() and text.isdigit()) or not low <= int(text) <= high:
        raise ValidationError(
            {"score": _("Choose a score from %(low)s to %(high)s.") % {"low": low, "high": high}}
        )
    return int(text)


@transaction.atomic
def review_answer(review: Review, *, score: Any, comment: Any = "", now: dt.datetime | None = None) -> Review:
    """The customer's answer through the signed link (no user acts): written once, `review.received`
    on the customer's timeline. AlreadyAnswered for a second answer, ValidationError for a bad score."""
    current = Review.all_objects.select_for_update().get(pk=review.pk)
    if current.answered_at is not None:
        raise AlreadyAnswered
    value = clean_score(current.kind, score)
    text = "\n".join(clean_text(line) for line in str(comment or "").splitlines()).strip()
    if len(text) > COMMENT_MAX:
        raise ValidationError({"comment": _("At most %(n)s characters.") % {"n": f"{COMMENT_MAX:,}"}})
    return record_update(
        current,
        actor=None,
        system=True,
        actor_label="public:review",
        changes={"score": value, "comment": text, "answered_at": now or timezone.now()},
        version=None,
        event_type="received",
        extra_data={"kind": current.kind, "score": value},
    )


# --- NPS surveys ------------------------------------------------------------------------------------


def _segment(actor: Any, value: Any) -> Any:
    from sencrm.marketing.models import Segment

    pk = getattr(value, "pk", value)
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise ValidationError({"segment": _("Choose a segment.")}) from None
    found = access.scope(actor, Segment, Action.VIEW).filter(pk=pk).first()
    if found is None:  # missing and outside the actor's scope answer alike
        raise ValidationError({"segment": _("That segment does not exist.")})
    return found


@transaction.atomic
def survey_create(*, actor: Any, data: Mapping[str, Any]) -> Survey:
    """A draft NPS survey: a name, the segment it goes to, the question asked (0–10)."""
    access.check_module(actor, Module.SUPPORT, Action.CREATE)
    unknown = set(data) - SURVEY_FIELDS
    if unknown:
        raise ValidationError({name: _("This field cannot be set here.") for name in sorted(unknown)})
    errors: dict[str, Any] = {}
    cleaned: dict[str, Any] = {}
    for name, limit, message in (
        ("name", 150, _("Give the survey a name.")),
        ("question", 300, _("Write the question the customers answer from 0 to 10.")),
    ):
        cleaned[name] = clean_text(str(data.get(name) or ""))
        if not cleaned[name]:
            errors[name] = message
        elif len(cleaned[name]) > limit:
            errors[name] = _("At most %(n)s characters.") % {"n": limit}
    try:
        cleaned["segment"] = _segment(actor, data.get("segment"))
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    return record_create(Survey, actor=actor, data=cleaned, owner=data.get("owner") or actor)


def survey_audience(actor: Any, survey: Survey) -> models.QuerySet[Contact]:
    """The segment's contacts the actor may see that have an email and have not withdrawn care emails."""
    from sencrm.marketing import segments

    return (
        segments.members(actor, survey.segment)
        .exclude(primary_email="")
        .annotate(care_email=consent_latest("email", ConsentPurpose.CARE))
        # Never asked (NULL) or granted: a NOT on the subquery would drop the NULLs too.
        .filter(Q(care_email__isnull=True) | Q(care_email=True))
    )


@transaction.atomic
def survey_send(survey: Survey, *, actor: Any, now: dt.datetime | None = None) -> Survey:
    """Send the survey once: one NPS review per member of its audience (`survey_audience`), emailed after
    commit, and `sent_at` set (`survey.sent`). A second send, or a survey with nobody to send to, is
    refused."""
    current = Survey.all_objects.select_for_update().get(pk=survey.pk)
    access.check(actor, Action.EDIT, current)
    if current.sent_at is not None:
        raise ValidationError(
            _("This survey was already sent on %(date)s.")
            % {"date": timezone.localtime(current.sent_at).strftime("%d/%m/%Y %H:%M")}
        )
    if not access.in_scope(actor, Action.VIEW, current.segment):
        raise ValidationError({"segment": _("That segment does not exist.")})
    people = list(survey_audience(actor, current).order_by("pk")[: MAX_SURVEY + 1])
    if not people:
        raise ValidationError(_("Nobody in the segment has an email address to send the survey to."))
    if len(people) > MAX_SURVEY:
        raise ValidationError(
            _("A survey goes to at most %(n)s people: narrow the segment.") % {"n": f"{MAX_SURVEY:,}"}
        )
    for contact in people:
        record_create(
            Review,
            actor=actor,
            owner=current.owner,
            data={"kind": ReviewKind.NPS, "survey": current, "contact": contact},
        )
    sent = record_update(
        current,
        actor=actor,
        changes={"sent_at": now or timezone.now()},
        version=None,
        event_type="sent",
        extra_data={"recipients": len(people)},
    )
    from sencrm.support.survey_mail import deliver_survey

    survey_id = sent.pk
    transaction.on_commit(lambda: deliver_survey(survey_id))
    return sent


# --- results ----------------------------------------------------------------------------------------

BY = {"agent": "owner", "ticket": "ticket", "contact": "contact", "account": "account", "survey": "survey"}


def _answered(qs: models.QuerySet[Review], kind: str) -> models.QuerySet[Review]:
    return qs.filter(kind=kind, answered_at__isnull=False, score__isnull=False)


def _pct(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def _csat(row: Mapping[str, Any]) -> dict[str, Any]:
    count = int(row["count"] or 0)
    average = row["average"]
    return {
        "count": count,
        "average": round(float(average), 2) if average is not None else None,
        "satisfied": int(row["satisfied"] or 0),
        "satisfied_pct": _pct(int(row["satisfied"] or 0), count),
    }


def _nps(row: Mapping[str, Any]) -> dict[str, Any]:
    count = int(row["count"] or 0)
    promoters, passives, detractors = (int(row[k] or 0) for k in ("promoters", "passives", "detractors"))
    return {
        "count": count,
        "promoters": promoters,
        "passives": passives,
        "detractors": detractors,
        "promoters_pct": _pct(promoters, count),
        "detractors_pct": _pct(detractors, count),
        "nps": round(100 * (promoters - detractors) / count, 1) if count else None,
    }


CSAT_AGGREGATES = {
    "count": Count("pk"),
    "average": Avg("score"),
    "satisfied": Count("pk", filter=Q(score__gte=4)),
}
NPS_AGGREGATES = {
    "count": Count("pk"),
    "promoters": Count("pk", filter=Q(score__gte=9)),
    "passives": Count("pk", filter=Q(score__gte=7, score__lte=8)),
    "detractors": Count("pk", filter=Q(score__lte=6)),
}


def csat_summary(qs: models.QuerySet[Review]) -> dict[str, Any]:
    """Answered CSAT reviews of `qs`: count, average score, satisfied (4–5) and their share in %."""
    return _csat(_answered(qs, ReviewKind.CSAT).aggregate(**CSAT_AGGREGATES))


def nps_summary(qs: models.QuerySet[Review]) -> dict[str, Any]:
    """Answered NPS reviews of `qs`: promoters (9–10), passives (7–8), detractors (0–6), and
    NPS = % promoters − % detractors (from −100 to 100)."""
    return _nps(_answered(qs, ReviewKind.NPS).aggregate(**NPS_AGGREGATES))


def _by(qs: models.QuerySet[Review], kind: str, by: str) -> list[dict[str, Any]]:
    if by not in BY:
        raise ValidationError(_("Unknown grouping."))
    field = f"{BY[by]}_id"
    aggregates = CSAT_AGGREGATES if kind == ReviewKind.CSAT else NPS_AGGREGATES
    shape = _csat if kind == ReviewKind.CSAT else _nps
    rows = (
        _answered(qs, kind)
        .exclude(**{field: None})
        .values(field)
        .annotate(**aggregates)
        .order_by("-count", field)
    )
    return [{"id": row[field], **shape(row)} for row in rows]


def csat_by(qs: models.QuerySet[Review], by: str) -> list[dict[str, Any]]:
    """`csat_summary` per agent, ticket, contact or account (`by`), most answers first."""
    return _by(qs, ReviewKind.CSAT, by)


def nps_by(qs: models.QuerySet[Review], by: str) -> list[dict[str, Any]]:
    """`nps_summary` per agent, contact, account or survey (`by`), most answers first."""
    return _by(qs, ReviewKind.NPS, by)
