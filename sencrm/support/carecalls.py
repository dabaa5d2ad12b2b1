"""Care calls (gọi CSKH): the lists agents work through — planned by hand, from a segment, or by the
rules' daily job — and logging a call, which plans the follow-up by itself.

Follow-ups (decided here, see `carecall_done`):
- "call back at …" (outcome call_back, with callback_at): a new care call on that day, same purpose, the
  agreed time noted in its purpose — the customer asked for it, so always.
- no answer, busy: a new care call on the agent's next working day (the calendar of the agent's first
  queue that has one; else Monday–Friday), skipping Vietnam's public holidays, at most MAX_RETRIES times
  in a row of follow-ups; after that the customer is not chased further.
- reached, wrong number: no follow-up.
A follow-up names the first call of its row in `source_key` ("followup:<first call id>:<n>").

The rules' daily job is carecall_rules.py (imported here, so that importing this module registers it).
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import holidays
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _

from sencrm.core import access
from sencrm.core.forms import assignable_owners
from sencrm.core.modules import Action, Module
from sencrm.core.text import clean_text
from sencrm.customers.models import Contact
from sencrm.events.services import record_create, record_update
from sencrm.support.models import (
    BusinessCalendar,
    Call,
    CallDirection,
    CallOutcome,
    CareCall,
    CareCallStatus,
    Queue,
)

log = logging.getLogger(__name__)

MAX_RETRIES = 2  # no-answer follow-ups in a row
MAX_FROM_SEGMENT = 1000  # care calls planned at once from a segment (a day's work of a whole team)
MAX_DURATION = 4 * 3600
MAX_AHEAD = dt.timedelta(days=366)
FIELDS = {"contact", "account", "purpose", "due_date", "owner", "ticket"}
CALL_FIELDS = {"outcome", "duration", "started_at", "notes", "recording_url", "callback_at"}
# What a care call (outgoing) can end with; "missed" is an incoming call's.
OUTCOMES = (
    CallOutcome.REACHED,
    CallOutcome.NO_ANSWER,
    CallOutcome.BUSY,
    CallOutcome.WRONG_NUMBER,
    CallOutcome.CALL_BACK,
)
RETRY_OUTCOMES = (CallOutcome.NO_ANSWER, CallOutcome.BUSY)
FOLLOWUP_KEY = re.compile(r"^followup:(\d+):(\d+)$")
NOTES_MAX = 5000


# --- who may take a call ----------------------------------------------------------------------------


def care_agents(user: Any) -> models.QuerySet[Any]:
    """The active users `user` may put a care call on: those they may hand a support record to, whose
    role lets them see care calls at all (a list they cannot open is no list)."""
    return (
        assignable_owners(user, Module.SUPPORT, Action.CREATE)
        .filter(
            Q(is_superuser=True) | Q(role__grants__module=Module.SUPPORT, role__grants__action=Action.VIEW)
        )
        .distinct()
    )


def _agent_ok(actor: Any, agent: Any) -> bool:
    return care_agents(actor).filter(pk=getattr(agent, "pk", agent)).exists()


# --- writes by hand ---------------------------------------------------------------------------------


def _purpose(value: Any) -> str:
    purpose = clean_text(str(value or ""))
    if not purpose:
        raise ValidationError({"purpose": _("Say what the call is for.")})
    if len(purpose) > 200:
        raise ValidationError({"purpose": _("At most %(n)s characters.") % {"n": 200}})
    return purpose


def _due_date(value: Any, today: dt.date) -> dt.date:
    day = value if isinstance(value, dt.date) and not isinstance(value, dt.datetime) else None
    if day is None and isinstance(value, str):
        try:
            day = parse_date(value.strip()[:10])
        except ValueError:  # well formed, no such day (31/02)
            day = None
    if day is None:
        raise ValidationError({"due_date": _("Enter a valid date as dd/mm/yyyy, e.g. 05/11/2026.")})
    if day < today:
        raise ValidationError({"due_date": _("A call is planned for today or later.")})
    if day > today + MAX_AHEAD:
        raise ValidationError({"due_date": _("A call is planned at most a year ahead.")})
    return day


def _already_planned(contact_ids: Iterable[int], purpose: str, due: dt.date) -> set[int]:
    return set(
        CareCall.objects.filter(contact_id__in=list(contact_ids), purpose=purpose, due_date=due).values_list(
            "contact_id", flat=True
        )
    )


@transaction.atomic
def carecall_create(*, actor: Any, data: Mapping[str, Any], today: dt.date | None = None) -> CareCall:
    """Plan a call by hand: a contact and/or an account, a purpose, a date, an agent (default the actor).
    The same contact, purpose and date twice is refused (a double click plans one call)."""
    access.check_module(actor, Module.SUPPORT, Action.CREATE)
    unknown = set(data) - FIELDS
    if unknown:
        raise ValidationError({name: _("This field cannot be set here.") for name in sorted(unknown)})
    today = today or timezone.localdate()
    errors: dict[str, Any] = {}
    cleaned: dict[str, Any] = {"contact": data.get("contact"), "account": data.get("account")}
    if data.get("ticket") is not None:
        cleaned["ticket"] = data["ticket"]
    for name, clean in (("purpose", _purpose), ("due_date", lambda v: _due_date(v, today))):
        try:
            cleaned[name] = clean(data.get(name))
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if cleaned["contact"] is None and cleaned["account"] is None:
        errors["contact"] = _("Choose the contact or the account to call.")
    agent = data.get("owner") or actor
    if not _agent_ok(actor, agent):
        errors["owner"] = _("Choose an agent of customer care you may give calls to.")
    if errors:
        raise ValidationError(errors)
    contact = cleaned["contact"]
    if contact is not None and _already_planned([contact.pk], cleaned["purpose"], cleaned["due_date"]):
        raise ValidationError(_("A call with this purpose is already planned for this contact on that day."))
    return record_create(CareCall, actor=actor, data=cleaned, owner=agent)


@dataclass(frozen=True)
class SegmentPlan:
    """What planning from a segment did: the calls made, and the members who already had one."""

    created: list[CareCall]
    duplicates: int


def _agents(actor: Any, agents: Iterable[Any]) -> list[Any]:
    chosen = list({getattr(a, "pk", a): a for a in agents if a not in (None, "")}.keys())
    if not chosen:
        raise ValidationError({"agents": _("Choose at least one agent.")})
    allowed = {u.pk: u for u in care_agents(actor).filter(pk__in=chosen)}
    if len(allowed) != len(chosen):
        raise ValidationError({"agents": _("Choose agents of customer care you may give calls to.")})
    return [allowed[pk] for pk in sorted(chosen)]


@transaction.atomic
def carecalls_from_segment(
    *,
    actor: Any,
    segment: Any,
    purpose: Any,
    due_date: Any,
    agents: Iterable[Any],
    today: dt.date | None = None,
) -> SegmentPlan:
    """One call for each member of the segment the actor may see, given to the agents in turn; a
    member who already has a call with this purpose on that day is skipped. Members are read through
    the gate (marketing.segments.members), so a contact outside the actor's scope is never added."""
    from sencrm.marketing import segments

    access.check_module(actor, Module.SUPPORT, Action.CREATE)
    access.check(actor, Action.VIEW, segment)  # 404 for a segment outside the actor's scope
    today = today or timezone.localdate()
    errors: dict[str, Any] = {}
    clean_purpose, due, chosen = "", today, []
    try:
        clean_purpose = _purpose(purpose)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    try:
        due = _due_date(due_date, today)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    try:
        chosen = _agents(actor, agents)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    ids = list(
        segments.members(actor, segment).order_by("pk").values_list("pk", flat=True)[: MAX_FROM_SEGMENT + 1]
    )
    if len(ids) > MAX_FROM_SEGMENT:
        raise ValidationError(
            _("The segment has more than %(n)s contacts: narrow it, or plan it in parts.")
            % {"n": f"{MAX_FROM_SEGMENT:,}"}
        )
    taken = _already_planned(ids, clean_purpose, due)
    contacts = Contact.objects.in_bulk([pk for pk in ids if pk not in taken])
    created = []
    for turn, pk in enumerate(sorted(contacts)):
        created.append(
            record_create(
                CareCall,
                actor=actor,
                data={"contact": contacts[pk], "purpose": clean_purpose, "due_date": due},
                owner=chosen[turn % len(chosen)],
            )
        )
    return SegmentPlan(created=created, duplicates=len(taken))


# --- logging a call ---------------------------------------------------------------------------------


def _aware(value: Any, field: str) -> dt.datetime | None:
    if value in (None, ""):
        return None
    when = value if isinstance(value, dt.datetime) else None
    if when is None and isinstance(value, str):
        try:
            when = parse_datetime(value.strip()[:40])
        except ValueError:
            when = None
    if when is None or not 2000 <= when.year <= 2100:
        raise ValidationError({field: _("Enter a valid date and time.")})
    return when if timezone.is_aware(when) else timezone.make_aware(when)


def _duration(value: Any) -> int:
    if value in (None, ""):
        return 0
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValidationError({"duration": _("A duration is a whole number of seconds.")})
    text = str(value).strip()
    if not (text.isascii() and text.isdigit()) or not 0 <= int(text) <= MAX_DURATION:
        raise ValidationError({"duration": _("A duration is from 0 to 4 hours, in whole seconds.")})
    return int(text)


def _notes(value: Any) -> str:
    lines = [clean_text(line) for line in str(value or "").splitlines()]
    notes = "\n".join(lines).strip()
    if len(notes) > NOTES_MAX:
        raise ValidationError({"notes": _("At most %(n)s characters.") % {"n": f"{NOTES_MAX:,}"}})
    return notes


def _recording(value: Any) -> str:
    url = str(value or "").strip()
    if not url:
        return ""
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError:
        raise ValidationError(
            {"recording_url": _("Enter a web address starting with https:// or http://.")}
        ) from None
    if len(url) > 500:
        raise ValidationError({"recording_url": _("At most %(n)s characters.") % {"n": 500}})
    return url


def clean_call(data: Mapping[str, Any], now: dt.datetime) -> dict[str, Any]:
    """What an agent types about a care call, checked: outcome, duration (seconds), when it started,
    notes, a recording link (http/https only) and, for "call back", when (in the future, within a year)."""
    unknown = set(data) - CALL_FIELDS
    if unknown:
        raise ValidationError({name: _("This field cannot be set here.") for name in sorted(unknown)})
    errors: dict[str, Any] = {}
    cleaned: dict[str, Any] = {}
    outcome = data.get("outcome")
    if outcome not in OUTCOMES:
        errors["outcome"] = _("Choose how the call ended.")
    checks: dict[str, Callable[[Any], Any]] = {
        "duration": _duration,
        "notes": _notes,
        "recording_url": _recording,
        "started_at": lambda v: _aware(v, "started_at"),
        "callback_at": lambda v: _aware(v, "callback_at"),
    }
    for name, check in checks.items():
        try:
            cleaned[name] = check(data.get(name))
        except ValidationError as exc:
            errors.update(exc.message_dict)
    started = cleaned.get("started_at")
    if started is not None and started > now + dt.timedelta(minutes=5):
        errors["started_at"] = _("A call logged has already happened.")
    callback = cleaned.get("callback_at")
    if outcome == CallOutcome.CALL_BACK:
        if callback is None:
            errors["callback_at"] = _("Enter when to call back.")
        elif not now < callback <= now + MAX_AHEAD:
            errors["callback_at"] = _("Call back at a time in the future, within a year.")
    else:
        cleaned["callback_at"] = None
    if errors:
        raise ValidationError(errors)
    cleaned["outcome"] = outcome
    cleaned["started_at"] = started or now - dt.timedelta(seconds=cleaned["duration"])
    return cleaned


def _log_call(*, actor: Any, data: Mapping[str, Any]) -> Call:
    """The call in the call log (`call.created` on the customer's timeline). A "call back" outcome plans
    the next care call here, not a task: the call log is told not to add its own follow-up."""
    from sencrm.support.calls import call_log

    keys = ("contact", "account", "direction", "started_at", "duration", "outcome", "notes", "recording_url",
            "callback_at", "ticket")  # fmt: skip
    return call_log(actor=actor, data={k: data[k] for k in keys if data.get(k) is not None}, follow_up=False)


@transaction.atomic
def carecall_done(
    care_call: CareCall, *, actor: Any, call_data: Mapping[str, Any], now: dt.datetime | None = None
) -> CareCall:
    """Log the call (the call log, on the customer's timeline) and mark the care call done
    (`carecall.done`); then the follow-up its outcome asks for (see the module's docstring)."""
    now = now or timezone.now()
    current = CareCall.all_objects.select_for_update().get(pk=care_call.pk)
    access.check(actor, Action.EDIT, current)
    if current.is_deleted or current.status != CareCallStatus.PLANNED:
        raise ValidationError(_("This care call is already done or cancelled."))
    data = clean_call(call_data, now)
    call = _log_call(
        actor=actor,
        data={
            **data,
            "contact": current.contact,
            "account": current.account,
            "direction": CallDirection.OUTBOUND,
            "ticket": current.ticket,
        },
    )
    done = record_update(
        current,
        actor=actor,
        changes={"status": CareCallStatus.DONE, "done_at": now, "call": call},
        version=None,
        event_type="done",
        extra_data={"outcome": data["outcome"]},
    )
    _follow_up(done, actor=actor, outcome=data["outcome"], callback_at=data["callback_at"], now=now)
    return done


def _follow_up(
    done: CareCall, *, actor: Any, outcome: str, callback_at: dt.datetime | None, now: dt.datetime
) -> CareCall | None:
    match = FOLLOWUP_KEY.match(done.source_key or "")
    first_id, count = (int(match[1]), int(match[2])) if match else (done.pk, 0)
    if outcome == CallOutcome.CALL_BACK and callback_at is not None:
        local = timezone.localtime(callback_at)
        due = local.date()
        note = _("call back at %(time)s as agreed") % {"time": local.strftime("%H:%M %d/%m/%Y")}
    elif outcome in RETRY_OUTCOMES and count < MAX_RETRIES:
        due = next_working_day(timezone.localdate(now), done.owner)
        note = _("try again (no answer on %(date)s)") % {"date": timezone.localdate(now).strftime("%d/%m/%Y")}
    else:
        return None
    first = CareCall.all_objects.filter(pk=first_id).values_list("purpose", flat=True).first()
    purpose = f"{first or done.purpose} — {note}"[:200]
    return record_create(
        CareCall,
        actor=actor,
        data={
            "contact": done.contact,
            "account": done.account,
            "ticket": done.ticket,
            "purpose": purpose,
            "due_date": due,
            "source_key": f"followup:{first_id}:{count + 1}",
        },
        owner=done.owner,
        system=True,  # the agent's own list, planned by the outcome just logged
    )


def _calendar_of(agent: Any) -> BusinessCalendar | None:
    queue = (
        Queue.objects.filter(members=agent, active=True, calendar__isnull=False)
        .select_related("calendar")
        .order_by("line", "name")
        .first()
    )
    return queue.calendar if queue is not None else None


def next_working_day(day: dt.date, agent: Any = None) -> dt.date:
    """The first working day after `day`: by the calendar of the agent's queue (a weekday with hours,
    not a company day off, not a public holiday unless the calendar works them), else Monday–Friday
    without Vietnam's public holidays."""
    calendar = _calendar_of(agent) if agent is not None else None
    weekdays = {0, 1, 2, 3, 4}
    days_off: set[str] = set()
    skip_holidays = True
    if calendar is not None:
        hours = calendar.hours if isinstance(calendar.hours, dict) else {}
        weekdays = {int(k) for k, spans in hours.items() if str(k).isdigit() and spans} or weekdays
        days_off = {str(d) for d in calendar.extra_days_off or []}
        skip_holidays = calendar.skip_holidays
    public = holidays.country_holidays("VN", years=range(day.year, day.year + 2))
    candidate = day
    for _step in range(60):
        candidate += dt.timedelta(days=1)
        if candidate.weekday() not in weekdays or candidate.isoformat() in days_off:
            continue
        if skip_holidays and candidate in public:
            continue
        return candidate
    return day + dt.timedelta(days=1)  # a calendar that never works: tomorrow rather than never


# The rules' daily job: importing this module registers it with Huey.
from sencrm.support.carecall_rules import carecall_rules_daily, rule_run, rules_run  # noqa: E402

__all__ = ["carecall_rules_daily", "rule_run", "rules_run"]
