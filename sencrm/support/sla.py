"""The SLA clock: business time by a queue's calendar, Vietnam's public holidays, pauses.

Business time
    A calendar's `hours` give, per weekday ("0" = Monday), the working intervals in its time zone
    ({"0": [["08:00", "12:00"], ["13:30", "17:30"]], …}; "24:00" ends a day). With `skip_holidays`,
    Vietnam's public holidays from the `holidays` package are off (Tết and Hùng Kings' day by the lunar
    calendar, observed and substitute days), and a weekend day the government makes a working day in
    exchange is worked with the calendar's first weekday hours (Monday's, else Tuesday's…) when the
    calendar has no hours of its own that day. `extra_days_off` (ISO dates) are off too. No calendar,
    or a calendar without any working hours, counts 24×7. Malformed entries are skipped
    (`validate_hours` tells an editing form what is wrong). Both functions walk day by day, never
    minute by minute, and the holiday sets and the days' intervals are cached.

The ticket's clock (`start`, `pause`, `resume`: they only set attributes — the caller saves SLA_FIELDS)
    - Two targets run side by side: first response (until `first_responded_at`) and resolution.
    - `start` on a ticket that never had a clock counts from `now` (or `since`). Called again (the
      priority, the customer group or the queue changed) it counts from `created_at` with the new
      targets, adding the business time the ticket already spent waiting for the customer; that time is
      estimated from the old due time and the old policy's target, so it is exact unless the policy's
      targets or the calendar were changed in between. A paused ticket gets its seconds left instead.
    - `pause` keeps the business seconds left of each running target and clears its due time. A target
      already late keeps its (past) due time and stores 0 left: it stays late, and `breached` is left
      as it is. `resume` sets due = now + the seconds left (in business time).

The periodic check (`check_all`, every minute from sla_jobs)
    - Only tickets in new/open (not waiting, resolved or closed) are checked.
    - A warning before a target's due time when at most `warn_before_minutes` business minutes are
      left, a breach when its due time has passed. **One event per target and due time**: a ticket
      that misses its first response and later its resolution gets two `ticket.sla_breached` events
      ({"target": "first_response" | "resolution", "due": ISO time}); `breached`/`breached_at` record the
      first breach and are never reset. A due time moved later (a pause, a new priority) can be warned
      and breached again: each due time is a promise of its own.
    - `sla_warned_at` is the moment of the ticket's last SLA notice (warning or breach). A target counts
      as notified when that moment is inside its warning window (warning) or at/after its due time
      (breach). Each pass claims a ticket with a conditional UPDATE on the values it read
      (`sla_warned_at`, the due times, `breached`), so two workers never notify twice.
    - A breach escalates a first-line ticket once (`escalated_at` empty) when the policy says so,
      through services.ticket_escalate; a refused escalation (ValidationError) is logged, the breach
      stays recorded.
    - Notifications go to the assignee and the queue lead; events are by "system:sla".
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Case, F, Q, Value, When
from django.urls import NoReverseMatch
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from sencrm.events.services import event_emit, notification_create
from sencrm.support.models import BusinessCalendar, Line, SlaPolicy, Ticket, TicketStatus

log = logging.getLogger(__name__)

ACTOR_LABEL = "system:sla"
FIRST_RESPONSE = "first_response"
RESOLUTION = "resolution"
# The statuses in which the clock runs (waiting pauses it; resolved and closed stop it).
RUNNING_STATUSES = (TicketStatus.NEW, TicketStatus.OPEN)
# What start/pause/resume change: save(update_fields=SLA_FIELDS) or record_update with these.
SLA_FIELDS = (
    "sla_policy",
    "first_response_due",
    "resolution_due",
    "sla_paused_at",
    "first_response_left",
    "resolution_left",
)
SECOND = dt.timedelta(seconds=1)
DAY = dt.timedelta(days=1)
MAX_DAYS = 3660  # business_add gives up after ten years without a working minute
DEFAULT_ZONE = "Asia/Ho_Chi_Minh"

Interval = tuple[int, int]  # seconds from local midnight


# --- business time -------------------------------------------------------------------------------


def _parse_time(value: Any) -> int | None:
    """ "08:00" → 28800; "24:00" is the end of the day; anything else → None."""
    if not isinstance(value, str) or value.count(":") != 1:
        return None
    hour, minute = value.strip().split(":")
    if not (hour.isdigit() and minute.isdigit() and len(minute) == 2 and len(hour) <= 2):
        return None
    seconds = int(hour) * 3600 + int(minute) * 60
    if int(minute) > 59 or seconds > 86400:
        return None
    return seconds


def _parse_day(value: Any) -> tuple[tuple[Interval, ...], list[str]]:
    """One weekday's intervals, sorted and merged, and what was wrong with the rest."""
    errors: list[str] = []
    intervals: list[Interval] = []
    for item in value if isinstance(value, list) else [value]:
        if not isinstance(item, list | tuple) or len(item) != 2:
            errors.append(_("“%(value)s” is not a pair of times like [“08:00”, “12:00”].") % {"value": item})
            continue
        begin, end = _parse_time(item[0]), _parse_time(item[1])
        if begin is None or end is None or end <= begin:
            errors.append(
                _("“%(begin)s–%(end)s” is not a time range within a day.")
                % {"begin": item[0], "end": item[1]}
            )
            continue
        intervals.append((begin, end))
    merged: list[Interval] = []
    for begin, end in sorted(intervals):
        if merged and begin <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((begin, end))
    return tuple(merged), errors


def validate_hours(hours: Any) -> None:
    """For a calendar's form: ValidationError (in the user's language) naming each bad entry."""
    if not isinstance(hours, dict):
        raise ValidationError(_("Working hours must map weekdays (0 = Monday … 6 = Sunday) to time ranges."))
    errors: list[str] = []
    for key, value in hours.items():
        if key not in {str(day) for day in range(7)}:
            errors.append(_("“%(key)s” is not a weekday (0 = Monday … 6 = Sunday).") % {"key": key})
            continue
        errors += _parse_day(value)[1]
    if errors:
        raise ValidationError(errors)


@dataclass(frozen=True)
class Schedule:
    """A calendar, parsed: hashable, so that the days' intervals can be cached."""

    zone: ZoneInfo
    week: tuple[tuple[Interval, ...], ...]  # Monday first
    skip_holidays: bool
    days_off: frozenset[dt.date]

    @property
    def standard_day(self) -> tuple[Interval, ...]:
        return next((day for day in self.week[:5] if day), ())


@lru_cache(maxsize=256)
def _schedule(zone: str, hours: str, skip_holidays: bool, days_off: str) -> Schedule | None:
    raw = json.loads(hours)
    week = tuple(_parse_day(raw.get(str(day), []))[0] if isinstance(raw, dict) else () for day in range(7))
    if not any(week):
        return None  # no working hours at all: 24×7 rather than a clock that never runs
    try:
        tz = ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        log.warning("business calendar: unknown time zone %r, using %s", zone, DEFAULT_ZONE)
        tz = ZoneInfo(DEFAULT_ZONE)
    off: set[dt.date] = set()
    for value in json.loads(days_off) or []:
        try:
            off.add(dt.date.fromisoformat(str(value)))
        except ValueError:
            log.warning("business calendar: %r is not an ISO date", value)
    return Schedule(zone=tz, week=week, skip_holidays=skip_holidays, days_off=frozenset(off))


def schedule_for(calendar: BusinessCalendar | None) -> Schedule | None:
    """The parsed calendar (None: 24×7)."""
    if calendar is None:
        return None
    return _schedule(
        calendar.time_zone,
        json.dumps(calendar.hours, sort_keys=True, default=str),
        bool(calendar.skip_holidays),
        json.dumps(calendar.extra_days_off if isinstance(calendar.extra_days_off, list) else [], default=str),
    )


@lru_cache(maxsize=64)
def vietnam_days(year: int) -> tuple[frozenset[dt.date], frozenset[dt.date]]:
    """Vietnam's days off of a year (public holidays, observed and substitute days) and the weekend
    days made working days in exchange."""
    calendar = holidays.country_holidays("VN", years=year)
    swapped = frozenset(day for day in getattr(calendar, "weekend_workdays", ()) if day.year == year)
    return frozenset(calendar.keys()), swapped


@lru_cache(maxsize=16384)
def _day_intervals(schedule: Schedule, day: dt.date) -> tuple[tuple[dt.datetime, dt.datetime], ...]:
    """The working intervals of a local day, in UTC."""
    if day in schedule.days_off:
        return ()
    hours = schedule.week[day.weekday()]
    if schedule.skip_holidays:
        off, swapped = vietnam_days(day.year)
        if day in off:
            return ()
        if not hours and day in swapped:
            hours = schedule.standard_day
    midnight = dt.datetime.combine(day, dt.time(), tzinfo=schedule.zone)
    result = []
    for begin, end in hours:
        start = (midnight + dt.timedelta(seconds=begin)).astimezone(dt.UTC)
        stop = (midnight + dt.timedelta(seconds=end)).astimezone(dt.UTC)
        if stop > start:
            result.append((start, stop))
    return tuple(result)


def business_add(calendar: BusinessCalendar | None, start: dt.datetime, seconds: int) -> dt.datetime:
    """The moment `seconds` of business time after `start` (aware datetimes; None = 24×7). The result
    is inside working hours (the end of an interval when the time runs out exactly there); 0 or less
    gives `start` itself."""
    if seconds <= 0:
        return start
    schedule = schedule_for(calendar)
    if schedule is None:
        return start + dt.timedelta(seconds=seconds)
    remaining = dt.timedelta(seconds=seconds)
    day = start.astimezone(schedule.zone).date()
    for _day in range(MAX_DAYS):
        for begin, end in _day_intervals(schedule, day):
            begin = max(begin, start)
            if end <= begin:
                continue
            if remaining <= end - begin:
                return begin + remaining
            remaining -= end - begin
        day += DAY
    raise ValueError(f"business calendar {calendar}: no working time in {MAX_DAYS} days")


def business_seconds(calendar: BusinessCalendar | None, start: dt.datetime, end: dt.datetime) -> int:
    """Business seconds between two moments (0 when end ≤ start)."""
    if end <= start:
        return 0
    schedule = schedule_for(calendar)
    if schedule is None:
        return (end - start) // SECOND
    total = dt.timedelta()
    day = start.astimezone(schedule.zone).date()
    last = end.astimezone(schedule.zone).date()
    while day <= last:
        for begin, stop in _day_intervals(schedule, day):
            low, high = max(begin, start), min(stop, end)
            if high > low:
                total += high - low
        day += DAY
    return total // SECOND


# --- policies and the ticket's clock -------------------------------------------------------------


def calendar_for(ticket: Ticket) -> BusinessCalendar | None:
    queue: Any = ticket.queue
    return queue.calendar if queue is not None else None


def customer_groups(ticket: Ticket) -> list[int]:
    """The customer groups of the ticket's contact, then its account (the ticket's, else the
    contact's), most specific first."""
    contact: Any = ticket.contact
    groups: list[int] = []
    for customer in (contact, ticket.account, contact.account if contact is not None else None):
        group_id = getattr(customer, "customer_group_id", None)
        if group_id is not None and group_id not in groups:
            groups.append(group_id)
    return groups


def business_minutes(ticket: Ticket, end: dt.datetime) -> int:
    """Whole business minutes from the ticket's creation to `end` on its queue's calendar (24×7 without
    one): what the ticket stores when it is first answered and when it is resolved, for the reports.
    Time spent waiting for the customer counts: it is the customer's time to an answer."""
    return business_seconds(calendar_for(ticket), ticket.created_at, end) // 60


def policy_for(ticket: Ticket) -> SlaPolicy | None:
    """The most specific active policy for the ticket's priority and customer group: priority and
    group, then priority (any group), then group (any priority), then any; the contact's group before
    the account's; the oldest policy on a tie."""
    groups = customer_groups(ticket)
    policies = SlaPolicy.objects.filter(active=True).filter(
        Q(priority=ticket.priority) | Q(priority=""),
        Q(customer_group__isnull=True) | Q(customer_group__in=groups),
    )

    def rank(policy: SlaPolicy) -> tuple[int, int, int]:
        group_id = policy.customer_group_id
        level = (1 if group_id is None else 0) + (0 if policy.priority else 2)
        return level, 0 if group_id is None else groups.index(group_id), policy.pk

    return min(policies, key=rank, default=None)


def _targets(policy: SlaPolicy) -> dict[str, int]:
    return {FIRST_RESPONSE: policy.first_response_minutes * 60, RESOLUTION: policy.resolution_minutes * 60}


def _counts(ticket: Ticket, target: str) -> bool:
    return target == RESOLUTION or ticket.first_responded_at is None


def _spent_waiting(ticket: Ticket, calendar: BusinessCalendar | None, target: str, old: SlaPolicy) -> int:
    """Business seconds the target's clock was paused so far, from its old due time (or seconds left)
    and the old policy's target."""
    assert ticket.created_at is not None  # noqa: S101  (a saved ticket)
    left: int | None = getattr(ticket, f"{target}_left")
    due: dt.datetime | None = getattr(ticket, f"{target}_due")
    if ticket.sla_paused_at is not None and left is not None:
        span = business_seconds(calendar, ticket.created_at, ticket.sla_paused_at) + left
    elif due is not None:
        span = business_seconds(calendar, ticket.created_at, due)
    else:
        return 0
    return max(0, span - _targets(old)[target])


def start(ticket: Ticket, now: dt.datetime, *, since: dt.datetime | None = None) -> None:
    """Set sla_policy, first_response_due and resolution_due from `now` (called on create and when the
    priority or the queue changes: then from created_at, plus the time spent waiting; see the module's
    docstring). `since` overrides where the clock starts."""
    old: SlaPolicy | None = ticket.sla_policy if ticket.sla_policy_id else None
    fresh = old is None and all(
        getattr(ticket, name) is None
        for name in ("first_response_due", "resolution_due", "first_response_left", "resolution_left")
    )
    policy = policy_for(ticket)
    ticket.sla_policy = policy
    if policy is None:
        for target in (FIRST_RESPONSE, RESOLUTION):
            if _counts(ticket, target):
                setattr(ticket, f"{target}_due", None)
                setattr(ticket, f"{target}_left", None)
        return
    calendar = calendar_for(ticket)
    origin = since or (now if fresh or ticket.created_at is None else ticket.created_at)
    paused_at = ticket.sla_paused_at
    for target, seconds in _targets(policy).items():
        if not _counts(ticket, target):
            continue
        waited = 0 if fresh or old is None else _spent_waiting(ticket, calendar, target, old)
        due = business_add(calendar, origin, seconds + waited)
        left: int | None = None
        if paused_at is not None:
            left = business_seconds(calendar, max(paused_at, origin), due)
        setattr(ticket, f"{target}_due", None if left else due)
        setattr(ticket, f"{target}_left", left)


def pause(ticket: Ticket, now: dt.datetime) -> None:
    """Waiting for the customer: keep the business seconds left, clear the due times (a target already
    late keeps its due time and 0 left)."""
    if ticket.sla_paused_at is not None:
        return
    calendar = calendar_for(ticket)
    for target in (FIRST_RESPONSE, RESOLUTION):
        due = getattr(ticket, f"{target}_due")
        if not _counts(ticket, target) or due is None:
            continue
        left = business_seconds(calendar, now, due)
        setattr(ticket, f"{target}_left", left)
        if left > 0:
            setattr(ticket, f"{target}_due", None)
    ticket.sla_paused_at = now


def resume(ticket: Ticket, now: dt.datetime) -> None:
    """Back from waiting: due times = now + the business seconds that were left."""
    if ticket.sla_paused_at is None:
        return
    calendar = calendar_for(ticket)
    for target in (FIRST_RESPONSE, RESOLUTION):
        left = getattr(ticket, f"{target}_left")
        if left is None:
            continue
        if left > 0 or getattr(ticket, f"{target}_due") is None:
            setattr(ticket, f"{target}_due", business_add(calendar, now, left))
        setattr(ticket, f"{target}_left", None)
    ticket.sla_paused_at = None


def next_due(ticket: Ticket) -> dt.datetime | None:
    """The due time that counts now: first response while not responded, else resolution; None when
    the clock does not run (waiting, resolved, closed)."""
    if ticket.status not in RUNNING_STATUSES or ticket.sla_paused_at is not None:
        return None
    if ticket.first_responded_at is None and ticket.first_response_due is not None:
        return ticket.first_response_due
    return ticket.resolution_due


def time_left(ticket: Ticket, now: dt.datetime) -> dt.timedelta | None:
    """Until the next due time that still counts (first response, else resolution); negative when late.
    Wall-clock time, like the lists' `sla_next_due` (business time: business_seconds)."""
    due = next_due(ticket)
    return None if due is None else due - now


def next_due_expression() -> Case:
    """next_due() in SQL, for lists: `qs.annotate(sla_next_due=…).order_by(F("sla_next_due").asc(
    nulls_last=True))`."""
    running = Q(status__in=RUNNING_STATUSES, sla_paused_at__isnull=True)
    return Case(
        When(
            running & Q(first_responded_at__isnull=True, first_response_due__isnull=False),
            then=F("first_response_due"),
        ),
        When(running, then=F("resolution_due")),
        default=Value(None),
        output_field=models.DateTimeField(),
    )


def annotate_next_due(qs: models.QuerySet[Ticket]) -> models.QuerySet[Ticket]:
    """Adds `sla_next_due` to each ticket (NULL when the clock does not run)."""
    return qs.annotate(sla_next_due=next_due_expression())


# --- the periodic check ----------------------------------------------------------------------------


def _running_targets(ticket: Ticket) -> list[tuple[str, dt.datetime]]:
    result = []
    for target in (FIRST_RESPONSE, RESOLUTION):
        due = getattr(ticket, f"{target}_due")
        if _counts(ticket, target) and due is not None:
            result.append((target, due))
    return result


def _candidates(now: dt.datetime) -> list[Ticket]:
    """Running tickets with a due time within reach of a warning (a generous wall-clock horizon: the
    exact test is made per ticket)."""
    base = Ticket.objects.filter(
        status__in=RUNNING_STATUSES, sla_paused_at__isnull=True, sla_policy__isnull=False
    )
    warn = max(SlaPolicy.objects.values_list("warn_before_minutes", flat=True), default=0) * 60
    calendars: list[BusinessCalendar | None] = [None]
    calendars += BusinessCalendar.objects.filter(queues__tickets__in=base).distinct()
    horizon = max(business_add(calendar, now, warn) for calendar in calendars) + DAY
    due = Q(first_responded_at__isnull=True, first_response_due__lte=horizon) | Q(resolution_due__lte=horizon)
    return list(base.filter(due).select_related("sla_policy", "queue__calendar").order_by("pk"))


def _recipients(ticket: Ticket) -> list[int]:
    queue: Any = ticket.queue
    ids = [ticket.owner_id, queue.lead_id if queue is not None else None]
    return [pk for index, pk in enumerate(ids) if pk is not None and pk not in ids[:index]]


def _notify(ticket: Ticket, kind: str, target: str, due: dt.datetime, event: Any) -> None:
    try:
        url = ticket.get_absolute_url()
    except NoReverseMatch:  # the ticket pages are not there (yet)
        url = ""
    params = {
        "record": ticket.number,
        "subject": ticket.subject,
        "target": target,
        "due": timezone.localtime(due).strftime("%H:%M %d/%m/%Y"),
    }
    for recipient_id in _recipients(ticket):
        notification_create(recipient_id=recipient_id, kind=kind, params=params, url=url, event=event)


def _claim(ticket: Ticket, now: dt.datetime, *, breach: bool) -> bool:
    """Take this pass's notices for the ticket: one conditional UPDATE on the values that were read."""
    rows = Ticket.all_objects.filter(
        pk=ticket.pk,
        status__in=RUNNING_STATUSES,
        sla_paused_at__isnull=True,
        first_response_due=ticket.first_response_due,
        resolution_due=ticket.resolution_due,
        first_responded_at__isnull=ticket.first_responded_at is None,
        sla_warned_at=ticket.sla_warned_at,
        breached=ticket.breached,
    )
    if breach and not ticket.breached:
        claimed = rows.update(breached=True, breached_at=now, sla_warned_at=now)
        ticket.breached, ticket.breached_at = True, now
    else:
        claimed = rows.update(sla_warned_at=now)
    ticket.sla_warned_at = now
    return claimed == 1


def _escalate(ticket: Ticket, now: dt.datetime, targets: list[str]) -> bool:
    from sencrm.support import services

    with translation.override(settings.LANGUAGE_CODE):
        names = {FIRST_RESPONSE: _("first response"), RESOLUTION: _("resolution")}
        note = _("Escalated automatically: the %(targets)s deadline was missed.") % {
            "targets": ", ".join(names[target] for target in targets)
        }
    try:
        with transaction.atomic():
            services.ticket_escalate(ticket, actor=None, note=note, system=True, now=now)
    except ValidationError as error:
        log.warning("SLA breach of %s: escalation refused: %s", ticket.number, error.messages)
        return False
    return True


def _check(ticket: Ticket, now: dt.datetime) -> dict[str, int]:
    policy: Any = ticket.sla_policy
    calendar = calendar_for(ticket)
    warn = policy.warn_before_minutes * 60
    notified = ticket.sla_warned_at
    breaches, warnings = [], []
    for target, due in _running_targets(ticket):
        if due <= now:
            if not (ticket.breached and notified is not None and notified >= due):
                breaches.append((target, due))
        elif (
            warn
            and business_seconds(calendar, now, due) <= warn
            and (notified is None or business_seconds(calendar, notified, due) > warn)
        ):
            warnings.append((target, due))
    if not (breaches or warnings) or not _claim(ticket, now, breach=bool(breaches)):
        return {}
    for kind, found in (("warning", warnings), ("breached", breaches)):
        for target, due in found:
            event = event_emit(
                type=f"ticket.sla_{kind}",
                subject=ticket,
                actor_label=ACTOR_LABEL,
                data={"target": target, "due": due.isoformat(), "policy": policy.pk},
            )
            _notify(ticket, f"ticket_sla_{kind}", target, due, event)
    escalated = (
        bool(breaches)
        and policy.escalate_on_breach
        and ticket.line == Line.FIRST
        and ticket.escalated_at is None
        and _escalate(ticket, now, [target for target, _due in breaches])
    )
    return {"warned": len(warnings), "breached": len(breaches), "escalated": int(escalated)}


def check_all(now: dt.datetime | None = None, *, strict: bool = False) -> dict[str, int]:
    """The periodic job: warn (once) before a due time, mark breaches (once: ticket.sla_breached) and
    escalate a breached first-line ticket when its policy says so. Returns counts. Each ticket is done
    in its own transaction; one that fails is rolled back, logged and tried again next pass
    (`strict=True` raises instead, for tests)."""
    now = now or timezone.now()
    counts = {"checked": 0, "warned": 0, "breached": 0, "escalated": 0, "errors": 0}
    for ticket in _candidates(now):
        counts["checked"] += 1
        try:
            with transaction.atomic():
                found = _check(ticket, now)
        except Exception:
            if strict:
                raise
            log.exception("SLA check of ticket %s failed", ticket.pk)
            counts["errors"] += 1
            continue
        for key, value in found.items():
            counts[key] += value
    return counts
