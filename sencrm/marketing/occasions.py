"""Care campaigns on the dates that matter (chăm sóc theo dịp): birthdays, 8/3, 20/10, 20/11, Tết, the days
after a purchase, a contract's anniversary.

Every morning the worker (`occasions_daily`) runs each active occasion for today: the people whose date
falls `days_before` days ahead (or, after a purchase, whose order was `days_after` days ago) get a task for
their owner — once per person, occasion and year: an OccasionTouch row is claimed first (a unique
constraint), so a second run, a second worker or a retry creates nothing twice. The people are chosen
under the occasion owner's view of contacts (and within its segment when it has one): a background job
never reaches further than its owner could.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import holidays
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from sencrm.activities.services import activity_create_by_rule
from sencrm.core import access
from sencrm.core.background import local_hour
from sencrm.core.modules import Action
from sencrm.core.text import clean_text
from sencrm.customers.ledger import consented_contact_ids
from sencrm.customers.models import Contact
from sencrm.events.services import record_create, record_delete, record_update
from sencrm.marketing import segments
from sencrm.marketing.models import CareOccasion, OccasionKind, OccasionTouch

log = logging.getLogger(__name__)
FIELDS = (
    "name", "kind", "day", "month", "days_before", "days_after", "segment", "task_subject", "email",
    "is_active",
)  # fmt: skip
MAX_DAYS = 60


def tet(year: int) -> dt.date:
    """The first day of the lunar new year in Vietnam (UTC+7: in some years a day before China's)."""
    for day, name in holidays.country_holidays("VN", years=year).items():
        if name == "Lunar New Year":
            return day
    raise ValueError(year)  # pragma: no cover - the package knows every year we run in


def _on(year: int, month: int, day: int) -> dt.date:
    """That day of that year; 29 February in a common year is the 28th."""
    try:
        return dt.date(year, month, day)
    except ValueError:
        return dt.date(year, month, 28)


# --- writing ------------------------------------------------------------------------------------------


def _clean(data: dict[str, Any], current: CareOccasion | None = None) -> dict[str, Any]:
    cleaned = {k: v for k, v in data.items() if k in FIELDS}
    errors: dict[str, list[str]] = {}
    for name in ("name", "task_subject"):
        if name in cleaned or current is None:
            cleaned[name] = clean_text(str(cleaned.get(name) or ""))[:200]
    if not cleaned.get("name", getattr(current, "name", "x")):
        errors["name"] = [_("This field is required.")]
    email = cleaned.get("email", getattr(current, "email", None))
    if not cleaned.get("task_subject", getattr(current, "task_subject", "")) and email is None:
        errors["task_subject"] = [_("Give a task for the owner, an email to send, or both.")]
    kind = cleaned.get("kind", getattr(current, "kind", ""))
    if kind not in OccasionKind.values:
        errors["kind"] = [_("Choose an occasion.")]
    day = cleaned.get("day", getattr(current, "day", None))
    month = cleaned.get("month", getattr(current, "month", None))
    if kind == OccasionKind.DATE:
        if not (isinstance(month, int) and 1 <= month <= 12 and isinstance(day, int) and 1 <= day <= 31):
            errors["day"] = [_("Give the day and the month, e.g. 8 and 3 for 8/3.")]
        else:
            try:
                dt.date(2024, month, day)  # a leap year: 29/2 is a date
            except ValueError:
                errors["day"] = [_("This day does not exist in that month.")]
    else:
        cleaned["day"] = cleaned["month"] = None
    after = cleaned.get("days_after", getattr(current, "days_after", None))
    if kind == OccasionKind.PURCHASE:
        if not (isinstance(after, int) and 1 <= after <= 366):
            errors["days_after"] = [_("Give a number of days from 1 to 366.")]
    else:
        cleaned["days_after"] = None
    before = cleaned.get("days_before", getattr(current, "days_before", 0)) or 0
    if not (isinstance(before, int) and 0 <= before <= MAX_DAYS):
        errors["days_before"] = [_("Give a number of days from 0 to %(max)d.") % {"max": MAX_DAYS}]
    if errors:
        raise ValidationError(errors)
    return cleaned


@transaction.atomic
def occasion_create(*, actor: Any, data: dict[str, Any], owner: Any = None) -> CareOccasion:
    cleaned = _clean(dict(data))
    return record_create(CareOccasion, actor=actor, data=cleaned, owner=owner)


@transaction.atomic
def occasion_update(
    occasion: CareOccasion, *, actor: Any, changes: dict[str, Any], version: int | None
) -> CareOccasion:
    return record_update(occasion, actor=actor, changes=_clean(dict(changes), occasion), version=version)


def occasion_delete(occasion: CareOccasion, *, actor: Any, version: int | None = None) -> CareOccasion:
    return record_delete(occasion, actor=actor, version=version)


# --- who is concerned on a day ------------------------------------------------------------------------


def _people(occasion: CareOccasion, today: dt.date) -> tuple[models.QuerySet[Contact], dt.date] | None:
    """The contacts concerned today and the date of their occasion; None when it is not their day."""
    owner = occasion.owner
    base = access.scope(owner, Contact, Action.VIEW)
    if occasion.segment_id is not None and occasion.segment is not None and not occasion.segment.is_deleted:
        base = base.filter(pk__in=segments.members(owner, occasion.segment).values("pk"))
    target = today + dt.timedelta(days=occasion.days_before)
    kind = occasion.kind
    if kind == OccasionKind.BIRTHDAY:
        q = Q(date_of_birth__month=target.month, date_of_birth__day=target.day)
        if (target.month, target.day) == (2, 28) and _on(target.year, 2, 29) == target:
            q |= Q(date_of_birth__month=2, date_of_birth__day=29)  # born on 29/2: the 28th in common years
        return base.filter(q), target
    if kind == OccasionKind.DATE:
        if (
            occasion.month is None
            or occasion.day is None
            or _on(target.year, occasion.month, occasion.day) != target
        ):
            return None
        return base, target
    if kind == OccasionKind.TET:
        return (base, target) if tet(target.year) == target else None
    if kind == OccasionKind.PURCHASE:
        from sencrm.commerce.models import Order, OrderStatus

        bought = today - dt.timedelta(days=occasion.days_after or 0)
        orders = Order.objects.filter(
            issue_date=bought,
            status__in=[OrderStatus.CONFIRMED, OrderStatus.PARTLY_DELIVERED, OrderStatus.DELIVERED],
        )
        return base.filter(pk__in=orders.values("contact_id")), today
    if kind == OccasionKind.CONTRACT:
        from sencrm.commerce.models import Contract, ContractStatus

        contracts = Contract.objects.filter(
            status=ContractStatus.SIGNED,
            start_date__month=target.month,
            start_date__day=target.day,
            start_date__year__lt=target.year,
        )
        return base.filter(pk__in=contracts.values("contact_id")), target
    return None


def run(occasion: CareOccasion, today: dt.date | None = None) -> int:
    """Give today's people of this occasion their task (once each this year); the number created."""
    today = today or timezone.localdate()
    found = _people(occasion, today)
    if found is None:
        return 0
    people, on = found
    if occasion.email_id is not None:
        _queue_email(occasion, people, on.year)
    if not occasion.task_subject:
        return 0
    created = 0
    due = timezone.make_aware(dt.datetime.combine(today, dt.time(9, 0)))
    for contact in people.select_related("owner").order_by("pk").iterator(chunk_size=500):
        try:
            with transaction.atomic():
                touch = OccasionTouch.objects.create(occasion=occasion, contact=contact, year=on.year)
                task = activity_create_by_rule(
                    owner=contact.owner,
                    data={
                        "kind": "task",
                        "subject": f"{occasion.task_subject} – {contact.full_name}"[:200],
                        "contact": contact,
                        "due_at": due,
                        "description": _("%(occasion)s on %(date)s.")
                        % {"occasion": occasion.name, "date": on.strftime("%d/%m/%Y")},
                    },
                    actor_label=f"system:occasion#{occasion.pk}",
                )
                OccasionTouch.objects.filter(pk=touch.pk).update(activity_id=task.pk)
        except IntegrityError:
            continue  # already given this year (another run got there first)
        created += 1
    return created


def _queue_email(occasion: CareOccasion, people: models.QuerySet[Contact], year: int) -> int:
    """The occasion's email for today's people with an email consent: queued on its email campaign
    (one copy per person per year: the year is the recipient's round) and sent by the worker."""
    from sencrm.marketing import email_sender, emailing
    from sencrm.marketing.models import EmailCampaign, EmailCampaignStatus

    email = EmailCampaign.objects.filter(pk=occasion.email_id).first()
    if email is None:
        return 0
    with transaction.atomic():
        reachable = people.filter(pk__in=consented_contact_ids("email"))
        queued = emailing.queue_recipients(email, round=year, contacts=reachable)
        if queued:
            EmailCampaign.all_objects.filter(pk=email.pk).update(
                status=EmailCampaignStatus.SENDING,
                started_at=email.started_at or timezone.now(),
                recipients_total=F("recipients_total") + queued,
            )
            transaction.on_commit(lambda: email_sender.send_email_campaign(email.pk))
    return queued


def run_all(today: dt.date | None = None) -> dict[int, int]:
    """Every active occasion for today: {occasion id: tasks created}."""
    done = {}
    for occasion in (
        CareOccasion.objects.filter(is_active=True).select_related("owner", "segment").order_by("pk")
    ):
        try:
            done[occasion.pk] = run(occasion, today)
        except Exception:  # one broken occasion must not stop the others
            log.exception("care occasion %s failed", occasion.pk)
    return done


# 06:05 in the company's time zone (Huey reads crontabs in UTC).
@db_periodic_task(crontab(hour=local_hour(6), minute="5"))  # type: ignore[untyped-decorator]
def occasions_daily() -> None:
    run_all()
