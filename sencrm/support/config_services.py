"""Writes for customer care's configuration: ticket categories, business calendars, queues, routing
rules, SLA policies, care call rules, absences and phone extensions.

Who may write (`can_configure`): a user whose role grants `support` edit with the scope *all* (the
care desk's lead), or `admin` edit. Everyone who may read tickets or administer may read the settings
(`can_read`). Absences are the exception: besides those, a queue's lead records them for the queue's
members, and any care agent their own (`absence_users`).

Configuration rows are not records of the gate: plain `full_clean()` + `save()` in a transaction, and
one audit event per write that changed something (`support_<thing>.created/updated/deleted`, with the
whole row under "record" or the changed fields under "changes").
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import zoneinfo
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.dates import WEEKDAYS
from django.utils.translation import gettext as _

from sencrm.core import access
from sencrm.core.modules import Action, Module, Scope
from sencrm.core.text import clean_text
from sencrm.events.services import event_emit
from sencrm.support.models import (
    Absence,
    AgentExtension,
    Assignment,
    BusinessCalendar,
    CareCallRule,
    Line,
    Queue,
    RoutingRule,
    SlaPolicy,
    Ticket,
    TicketCategory,
)

MAX_RANGES_A_DAY = 2  # morning and afternoon
MAX_DAYS_OFF = 400
MAX_ABSENCE = dt.timedelta(days=366)
EXTENSION_RE = re.compile(r"^[0-9A-Za-z_.+*#@-]{1,20}$")


# --- who may ----------------------------------------------------------------------------------------


def can_configure(user: Any) -> bool:
    return access.scope_level(user, Module.SUPPORT, Action.EDIT) == Scope.ALL or access.can(
        user, Module.ADMIN, Action.EDIT
    )


def can_read(user: Any) -> bool:
    return access.can(user, Module.SUPPORT, Action.VIEW) or access.can(user, Module.ADMIN, Action.VIEW)


def check_configure(user: Any) -> None:
    if not can_configure(user):
        raise PermissionDenied(_("Only administrators and the care desk's leads change these settings."))


def check_read(user: Any) -> None:
    if not can_read(user):
        raise PermissionDenied(_("Your role does not allow this action."))


# --- audit ------------------------------------------------------------------------------------------


def _state(obj: models.Model, names: Iterable[str]) -> dict[str, Any]:
    """The row as JSON values (foreign keys as ids), for the audit event."""
    state: dict[str, Any] = {}
    for name in names:
        field = obj._meta.get_field(name)
        value = getattr(obj, field.attname) if isinstance(field, models.ForeignKey) else getattr(obj, name)
        if isinstance(value, dt.datetime | dt.date | dt.time):
            value = value.isoformat()
        state[name] = value
    return state


def _changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, list[Any]]:
    return {k: [before.get(k), v] for k, v in after.items() if before.get(k) != v}


def _locked(model: type[Any], obj: Any) -> Any:
    return model.objects.select_for_update().get(pk=obj.pk)


def _unique_name(model: type[Any], obj: Any, name: str, **scope: Any) -> None:
    clash = model.objects.filter(name__iexact=name, **scope).exclude(pk=obj.pk)
    if name and clash.exists():
        raise ValidationError({"name": _("This name is already used.")})


def _active_user(user: Any, field: str, current_id: int | None = None) -> None:
    """A newly chosen user must be active (one who left may stay where they were)."""
    if user is not None and not user.is_active and user.pk != current_id:
        raise ValidationError({field: _("Choose an active user.")})


# --- ticket categories --------------------------------------------------------------------------------

CATEGORY_FIELDS = ("name", "parent", "position", "active")


def category_descendant_ids(category: TicketCategory) -> set[int]:
    """The ids of every category under `category` (the tree is small: read it once)."""
    children: dict[int | None, list[int]] = {}
    for pk, parent_id in TicketCategory.objects.values_list("pk", "parent_id"):
        children.setdefault(parent_id, []).append(pk)
    found: set[int] = set()
    todo = list(children.get(category.pk, []))
    while todo:
        pk = todo.pop()
        if pk not in found:
            found.add(pk)
            todo.extend(children.get(pk, []))
    return found


@transaction.atomic
def category_save(
    *,
    actor: Any,
    category: TicketCategory | None = None,
    name: str,
    parent: TicketCategory | None = None,
    position: int = 0,
    active: bool = True,
) -> TicketCategory:
    """Add or change a category; moving it under itself or one of its sub-categories is refused."""
    check_configure(actor)
    obj = TicketCategory() if category is None else _locked(TicketCategory, category)
    before = None if category is None else _state(obj, CATEGORY_FIELDS)
    name = clean_text(name)
    if (
        parent is not None
        and obj.pk is not None
        and (parent.pk == obj.pk or parent.pk in category_descendant_ids(obj))
    ):
        raise ValidationError(
            {"parent": _("A category cannot be placed under itself or one of its sub-categories.")}
        )
    _unique_name(TicketCategory, obj, name, parent=parent)
    obj.name, obj.parent, obj.position, obj.active = name, parent, position, active
    obj.full_clean()
    obj.save()
    after = _state(obj, CATEGORY_FIELDS)
    if before is None:
        event_emit(type="support_category.created", subject=obj, actor=actor, data={"record": after})
    elif changes := _changes(before, after):
        event_emit(type="support_category.updated", subject=obj, actor=actor, data={"changes": changes})
    return obj


def category_in_use(category: TicketCategory) -> str:
    """Why the category cannot be deleted ("" when it can)."""
    if TicketCategory.objects.filter(parent=category).exists():
        return _("It has sub-categories.")
    if Ticket.all_objects.filter(category=category).exists():
        return _("Tickets use it (also in the trash): deactivate it instead.")
    if RoutingRule.objects.filter(category=category).exists():
        return _("A routing rule uses it.")
    return ""


@transaction.atomic
def category_delete(*, actor: Any, category: TicketCategory) -> None:
    """Delete a category nothing uses (no sub-category, ticket or routing rule)."""
    check_configure(actor)
    obj = _locked(TicketCategory, category)
    reason = category_in_use(obj)
    if reason:
        raise ValidationError(_("This category cannot be deleted: %(reason)s") % {"reason": reason})
    event_emit(
        type="support_category.deleted",
        subject=obj,
        actor=actor,
        data={"record": _state(obj, CATEGORY_FIELDS)},
    )
    obj.delete()


# --- business calendars ----------------------------------------------------------------------------

CALENDAR_FIELDS = ("name", "time_zone", "hours", "skip_holidays", "extra_days_off")


@functools.cache
def _time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def _parse_time(value: Any) -> dt.time:
    if isinstance(value, dt.time):
        return value.replace(second=0, microsecond=0)
    text = str(value)
    if not re.fullmatch(r"\d{2}:\d{2}", text):
        raise ValueError(text)
    return dt.time.fromisoformat(text)


def clean_hours(hours: Mapping[str, Any]) -> dict[str, list[list[str]]]:
    """Working hours as the SLA clock reads them: {"0": [["08:00", "12:00"], ["13:30", "17:30"]], …}
    for Monday ("0") to Sunday ("6"); at most two ranges a day, each start before its end, sorted and
    not overlapping (touching is allowed)."""
    if not isinstance(hours, Mapping) or set(map(str, hours)) - {str(d) for d in range(7)}:
        raise ValidationError({"hours": _("Working hours are given per weekday, Monday (0) to Sunday (6).")})
    cleaned: dict[str, list[list[str]]] = {}
    for day in range(7):
        ranges = hours.get(str(day)) or []
        name = str(WEEKDAYS[day])
        if not isinstance(ranges, Sequence) or len(ranges) > MAX_RANGES_A_DAY:
            raise ValidationError({"hours": _("%(day)s: at most two ranges of hours.") % {"day": name}})
        parsed: list[tuple[dt.time, dt.time]] = []
        for pair in ranges:
            try:
                start, end = (_parse_time(v) for v in pair)
            except (TypeError, ValueError):
                raise ValidationError(
                    {"hours": _("%(day)s: enter times as HH:MM.") % {"day": name}}
                ) from None
            if start >= end:
                raise ValidationError(
                    {"hours": _("%(day)s: each range must start before it ends.") % {"day": name}}
                )
            parsed.append((start, end))
        parsed.sort()
        if len(parsed) == MAX_RANGES_A_DAY and parsed[1][0] < parsed[0][1]:
            raise ValidationError({"hours": _("%(day)s: the two ranges overlap.") % {"day": name}})
        cleaned[str(day)] = [[f"{s:%H:%M}", f"{e:%H:%M}"] for s, e in parsed]
    return cleaned


def clean_days_off(days: Iterable[Any]) -> list[str]:
    """Other days off as sorted, distinct ISO dates."""
    result: set[str] = set()
    for day in days:
        try:
            value = day if isinstance(day, dt.date) else dt.date.fromisoformat(str(day))
        except ValueError:
            raise ValidationError(
                {"extra_days_off": _("Not a valid date: %(day)s") % {"day": str(day)[:20]}}
            ) from None
        result.add(value.isoformat())
    if len(result) > MAX_DAYS_OFF:
        raise ValidationError({"extra_days_off": _("At most %(n)s other days off.") % {"n": MAX_DAYS_OFF}})
    return sorted(result)


@transaction.atomic
def calendar_save(
    *,
    actor: Any,
    calendar: BusinessCalendar | None = None,
    name: str,
    time_zone: str,
    hours: Mapping[str, Any],
    skip_holidays: bool = True,
    extra_days_off: Iterable[Any] = (),
) -> BusinessCalendar:
    check_configure(actor)
    obj = BusinessCalendar() if calendar is None else _locked(BusinessCalendar, calendar)
    before = None if calendar is None else _state(obj, CALENDAR_FIELDS)
    if time_zone not in _time_zones():
        raise ValidationError({"time_zone": _("Unknown time zone.")})
    obj.name = clean_text(name)
    _unique_name(BusinessCalendar, obj, obj.name)
    obj.time_zone, obj.hours, obj.skip_holidays = time_zone, clean_hours(hours), skip_holidays
    obj.extra_days_off = clean_days_off(extra_days_off)
    obj.full_clean()
    obj.save()
    after = _state(obj, CALENDAR_FIELDS)
    if before is None:
        event_emit(type="support_calendar.created", subject=obj, actor=actor, data={"record": after})
    elif changes := _changes(before, after):
        event_emit(type="support_calendar.updated", subject=obj, actor=actor, data={"changes": changes})
    return obj


# --- queues -------------------------------------------------------------------------------------------

QUEUE_FIELDS = ("name", "line", "calendar", "lead", "assignment", "escalation_queue", "email", "active")


@transaction.atomic
def queue_save(
    *,
    actor: Any,
    queue: Queue | None = None,
    name: str,
    line: str = Line.FIRST,
    calendar: BusinessCalendar | None = None,
    members: Iterable[Any] = (),
    lead: Any = None,
    assignment: str = Assignment.ROUND_ROBIN,
    escalation_queue: Queue | None = None,
    email: str = "",
    active: bool = True,
) -> Queue:
    """Add or change a queue. It escalates to a second-line queue other than itself; a queue others
    escalate to stays on the second line."""
    check_configure(actor)
    obj = Queue() if queue is None else _locked(Queue, queue)
    before = None if queue is None else {**_state(obj, QUEUE_FIELDS), "members": _member_ids(obj)}
    obj.name = clean_text(name)
    _unique_name(Queue, obj, obj.name)
    if escalation_queue is not None:
        if obj.pk is not None and escalation_queue.pk == obj.pk:
            raise ValidationError({"escalation_queue": _("A queue cannot escalate to itself.")})
        if escalation_queue.line != Line.SECOND:
            raise ValidationError({"escalation_queue": _("Choose a second-line queue.")})
    if obj.pk is not None and line != Line.SECOND and Queue.objects.filter(escalation_queue=obj).exists():
        raise ValidationError(
            {"line": _("Other queues escalate to this one: it must stay on the second line.")}
        )
    members = list(members)
    old_members = set(before["members"]) if before else set()
    if any(not m.is_active and m.pk not in old_members for m in members):
        raise ValidationError({"members": _("Choose active users.")})
    _active_user(lead, "lead", before["lead"] if before else None)
    obj.line, obj.calendar, obj.lead, obj.assignment = line, calendar, lead, assignment
    obj.escalation_queue, obj.email, obj.active = escalation_queue, email.strip(), active
    obj.full_clean()
    obj.save()
    obj.members.set(members)
    after = {**_state(obj, QUEUE_FIELDS), "members": _member_ids(obj)}
    if before is None:
        event_emit(type="support_queue.created", subject=obj, actor=actor, data={"record": after})
    elif changes := _changes(before, after):
        event_emit(type="support_queue.updated", subject=obj, actor=actor, data={"changes": changes})
    return obj


def _member_ids(queue: Queue) -> list[int]:
    return sorted(queue.members.values_list("pk", flat=True)) if queue.pk else []


# --- routing rules ------------------------------------------------------------------------------------

RULE_FIELDS = (
    "name",
    "position",
    "queue",
    "category",
    "product",
    "region",
    "customer_group",
    "priority",
    "active",
)


@transaction.atomic
def rule_save(
    *, actor: Any, rule: RoutingRule | None = None, position: int | None = None, **data: Any
) -> RoutingRule:
    """Add or change a routing rule (`data`: the other RULE_FIELDS); a new rule without a position
    goes last."""
    check_configure(actor)
    obj = RoutingRule() if rule is None else _locked(RoutingRule, rule)
    before = None if rule is None else _state(obj, RULE_FIELDS)
    for name in RULE_FIELDS[2:]:
        if name in data:
            setattr(obj, name, data[name])
    obj.name = clean_text(data.get("name", obj.name))
    if position is None and obj.pk is None:
        position = (RoutingRule.objects.aggregate(m=Max("position"))["m"] or 0) + 1
    if position is not None:
        obj.position = position
    queue: Any = getattr(obj, "queue", None) if obj.queue_id else None
    if obj.active and queue is not None and not queue.active:
        raise ValidationError({"queue": _("This queue is inactive: activate it or deactivate the rule.")})
    obj.full_clean()
    access.check_links(actor, obj)
    obj.save()
    after = _state(obj, RULE_FIELDS)
    if before is None:
        event_emit(type="support_routing_rule.created", subject=obj, actor=actor, data={"record": after})
    elif changes := _changes(before, after):
        event_emit(type="support_routing_rule.updated", subject=obj, actor=actor, data={"changes": changes})
    return obj


@transaction.atomic
def rule_move(*, actor: Any, rule: RoutingRule, direction: str) -> RoutingRule:
    """Move a rule one place up or down (the rules are numbered 1, 2, 3… again)."""
    check_configure(actor)
    if direction not in ("up", "down"):
        raise ValidationError(_("Move a rule up or down."))
    rules = list(RoutingRule.objects.select_for_update().order_by("position", "id"))
    current = next((r for r in rules if r.pk == rule.pk), None)
    if current is None:
        raise ValidationError(_("This rule no longer exists."))
    index = rules.index(current)
    target = index - 1 if direction == "up" else index + 1
    if 0 <= target < len(rules):
        rules[index], rules[target] = rules[target], current
    old_position = current.position
    # Renumbered from 1 each time, so that two rules never share a place after a move.
    for number, item in enumerate(rules, start=1):
        if item.position != number:
            item.position = number
            item.save(update_fields=["position"])
    if 0 <= target < len(rules):
        event_emit(
            type="support_routing_rule.updated",
            subject=current,
            actor=actor,
            data={"changes": {"position": [old_position, current.position]}},
        )
    return current


# --- SLA policies -------------------------------------------------------------------------------------

SLA_FIELDS = (
    "name",
    "priority",
    "customer_group",
    "first_response_minutes",
    "resolution_minutes",
    "warn_before_minutes",
    "escalate_on_breach",
    "active",
)


@transaction.atomic
def sla_save(*, actor: Any, policy: SlaPolicy | None = None, **data: Any) -> SlaPolicy:
    """Add or change an SLA policy (`data`: SLA_FIELDS). One active policy per priority and customer
    group, so that "the most specific policy" is never a tie."""
    check_configure(actor)
    obj = SlaPolicy() if policy is None else _locked(SlaPolicy, policy)
    before = None if policy is None else _state(obj, SLA_FIELDS)
    for name in SLA_FIELDS:
        if name in data:
            setattr(obj, name, data[name])
    obj.name = clean_text(obj.name)
    obj.full_clean()
    if obj.first_response_minutes > obj.resolution_minutes:
        raise ValidationError(
            {"first_response_minutes": _("The first response cannot be due after the resolution.")}
        )
    if obj.warn_before_minutes >= obj.resolution_minutes:
        raise ValidationError({"warn_before_minutes": _("Warn before the resolution target, not after.")})
    twin = SlaPolicy.objects.filter(
        active=True, priority=obj.priority, customer_group_id=obj.customer_group_id
    ).exclude(pk=obj.pk)
    if obj.active and twin.exists():
        raise ValidationError(
            {
                "priority": _("Another active policy has this priority and customer group: %(name)s")
                % {"name": twin.first()}
            }
        )
    obj.save()
    after = _state(obj, SLA_FIELDS)
    if before is None:
        event_emit(type="support_sla_policy.created", subject=obj, actor=actor, data={"record": after})
    elif changes := _changes(before, after):
        event_emit(type="support_sla_policy.updated", subject=obj, actor=actor, data={"changes": changes})
    return obj


# --- care call rules ----------------------------------------------------------------------------------

CARERULE_FIELDS = ("name", "trigger", "days", "purpose", "agent", "queue", "active")


@transaction.atomic
def carerule_save(*, actor: Any, rule: CareCallRule | None = None, **data: Any) -> CareCallRule:
    """Add or change a care call rule (`data`: CARERULE_FIELDS): calls go to an agent or a queue."""
    check_configure(actor)
    obj = CareCallRule() if rule is None else _locked(CareCallRule, rule)
    before = None if rule is None else _state(obj, CARERULE_FIELDS)
    for name in CARERULE_FIELDS:
        if name in data:
            setattr(obj, name, data[name])
    obj.name, obj.purpose = clean_text(obj.name), clean_text(obj.purpose)
    if obj.agent_id and obj.queue_id:
        raise ValidationError({"queue": _("Choose an agent or a queue, not both.")})
    if "agent" in data:
        _active_user(data["agent"], "agent", before["agent"] if before else None)
    obj.full_clean()
    obj.save()
    after = _state(obj, CARERULE_FIELDS)
    if before is None:
        event_emit(type="support_carecall_rule.created", subject=obj, actor=actor, data={"record": after})
    elif changes := _changes(before, after):
        event_emit(type="support_carecall_rule.updated", subject=obj, actor=actor, data={"changes": changes})
    return obj


# --- absences -----------------------------------------------------------------------------------------

ABSENCE_FIELDS = ("user", "starts_at", "ends_at", "note")


def absence_users(actor: Any) -> models.QuerySet[Any]:
    """The active users `actor` may record an absence for: anyone (settings right), else themself and
    the members of the queues they lead (care staff), else nobody."""
    users = get_user_model().objects.filter(is_active=True).order_by("full_name", "username")
    if can_configure(actor):
        return users
    if not access.can(actor, Module.SUPPORT, Action.VIEW):
        return users.none()
    led = Queue.members.through.objects.filter(queue__lead_id=actor.pk).values("user_id")
    return users.filter(Q(pk=actor.pk) | Q(pk__in=led))


def _check_absence_user(actor: Any, user: Any) -> None:
    if can_configure(actor):
        return
    led = Queue.members.through.objects.filter(queue__lead_id=actor.pk, user_id=user.pk).exists()
    if not access.can(actor, Module.SUPPORT, Action.VIEW) or (user.pk != actor.pk and not led):
        raise PermissionDenied(_("You may record absences only for yourself and the members of your queues."))


@transaction.atomic
def absence_create(
    *,
    actor: Any,
    user: Any,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    note: str = "",
    now: dt.datetime | None = None,
) -> Absence:
    """Record that `user` is away from `starts_at` until `ends_at` (routing skips them meanwhile)."""
    _check_absence_user(actor, user)
    now = now or timezone.now()
    if ends_at <= starts_at:
        raise ValidationError({"ends_at": _("The end must be after the start.")})
    if ends_at <= now:
        raise ValidationError({"ends_at": _("This absence is already over.")})
    if ends_at - starts_at > MAX_ABSENCE:
        raise ValidationError({"ends_at": _("An absence lasts at most a year.")})
    _active_user(user, "user")
    clash = Absence.objects.filter(user=user, starts_at__lt=ends_at, ends_at__gt=starts_at).first()
    if clash is not None:
        raise ValidationError(
            {"starts_at": _("It overlaps an absence already recorded: %(absence)s") % {"absence": clash}}
        )
    obj = Absence(user=user, starts_at=starts_at, ends_at=ends_at, note=clean_text(note))
    obj.full_clean()
    obj.save()
    event_emit(
        type="support_absence.created", subject=obj, actor=actor, data={"record": _state(obj, ABSENCE_FIELDS)}
    )
    return obj


@transaction.atomic
def absence_delete(*, actor: Any, absence: Absence) -> None:
    _check_absence_user(actor, absence.user)
    event_emit(
        type="support_absence.deleted",
        subject=absence,
        actor=actor,
        data={"record": _state(absence, ABSENCE_FIELDS)},
    )
    absence.delete()


# --- phone extensions ---------------------------------------------------------------------------------


@transaction.atomic
def extension_set(*, actor: Any, user: Any, extension: str) -> AgentExtension:
    """Give `user` the phone extension (replacing theirs); an extension belongs to one user."""
    check_configure(actor)
    extension = (extension or "").strip()
    if not EXTENSION_RE.match(extension):
        raise ValidationError(
            {"extension": _("An extension is 1 to 20 letters, digits or . _ - + * # @ (e.g. 101).")}
        )
    _active_user(user, "user")
    taken = (
        AgentExtension.objects.filter(extension=extension).exclude(user=user).select_related("user").first()
    )
    if taken is not None:
        raise ValidationError(
            {
                "extension": _("Extension %(ext)s is already %(user)s's.")
                % {"ext": extension, "user": taken.user}
            }
        )
    obj = AgentExtension.objects.select_for_update().filter(user=user).first()
    before = None if obj is None else obj.extension
    if obj is None:
        obj = AgentExtension(user=user)
    if before == extension:
        return obj
    obj.extension = extension
    try:
        with transaction.atomic():
            obj.save()
    except IntegrityError:  # the same extension given at the same moment to someone else
        raise ValidationError({"extension": _("This extension was just given to someone else.")}) from None
    if before is None:
        event_emit(
            type="support_extension.created",
            subject=obj,
            actor=actor,
            data={"record": {"user": user.pk, "extension": extension}},
        )
    else:
        event_emit(
            type="support_extension.updated",
            subject=obj,
            actor=actor,
            data={"changes": {"extension": [before, extension]}},
        )
    return obj


@transaction.atomic
def extension_delete(*, actor: Any, extension: AgentExtension) -> None:
    check_configure(actor)
    event_emit(
        type="support_extension.deleted",
        subject=extension,
        actor=actor,
        data={"record": {"user": extension.user_id, "extension": extension.extension}},
    )
    extension.delete()
