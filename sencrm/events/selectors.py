"""Readers of the event log: the audit trail of a record and the journey of a customer."""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist
from django.db import models

from sencrm.core import access
from sencrm.core.modules import Action
from sencrm.events import formatting
from sencrm.events.formatting import LABELS, NOT_VISIBLE, describe_changes, register_label
from sencrm.events.models import Event

__all__ = ["LABELS", "NOT_VISIBLE", "describe_changes", "event_label", "register_label"]

PAGE_SIZE = 25
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
event_label = formatting.event_title


def _page(
    user: Any, qs: models.QuerySet[Event], before: str | None, limit: int
) -> tuple[list[Event], str | None]:
    """Newest first by when it happened, keyset-paged on (occurred_at, id): imported and back-dated
    events take their place in time, and every page costs the same queries. `before` is a cursor from
    the previous page ("<microseconds>_<id>"); a malformed one raises ValueError (the views answer 400)."""
    if before:
        at, last_id = parse_timeline_cursor(before)
        qs = qs.filter(models.Q(occurred_at__lt=at) | models.Q(occurred_at=at, id__lt=last_id))
    rows = list(qs.select_related("actor", "subject_type").order_by("-occurred_at", "-id")[: limit + 1])
    more = len(rows) > limit
    rows = formatting.prepare(user, rows[:limit])
    return rows, (timeline_cursor(rows[-1]) if more and rows else None)


def timeline_cursor(event: Event) -> str:
    micros = (event.occurred_at - EPOCH) // dt.timedelta(microseconds=1)  # exact, no float rounding
    return f"{micros}_{event.id}"


def hide_unseen(user: Any, events: list[Event]) -> list[Event]:
    """Mark, on each event, the names of related records in its changes that `user` may not see (an
    update event stores "Công ty A" beside the account id it was set to); `describe_changes` shows
    "(not visible to you)" instead. One query per related model for the whole page."""
    wanted: dict[type[models.Model], set[int]] = {}
    found: list[tuple[Event, str, type[models.Model], Any, Any]] = []
    for event in events:
        labels = event.data.get("labels") if isinstance(event.data, dict) else None
        model = event.subject_type.model_class() if labels and event.subject_type_id else None
        if model is None:
            continue
        for name in labels:  # type: ignore[union-attr]
            try:
                related = model._meta.get_field(name).related_model
            except FieldDoesNotExist:
                continue
            if not isinstance(related, type) or not hasattr(related, "access_module"):
                continue  # users, provinces, groups… are not records anyone is kept from
            old, new = (event.data.get("changes", {}).get(name) or [None, None])[:2]
            wanted.setdefault(related, set()).update(v for v in (old, new) if isinstance(v, int))
            found.append((event, name, related, old, new))
    visible = {related: access.visible_pks(user, related, ids) for related, ids in wanted.items() if ids}
    for event, name, related, old, new in found:
        seen = visible.get(related, set())
        hide = (isinstance(old, int) and old not in seen, isinstance(new, int) and new not in seen)
        if any(hide):
            event.hidden_labels = {**getattr(event, "hidden_labels", {}), name: hide}  # type: ignore[attr-defined]
    return events


def audit_trail(
    *, user: Any, obj: models.Model, before: str | None = None, limit: int = PAGE_SIZE
) -> tuple[list[Event], str | None]:
    """Who changed which field of `obj`, from what to what (the caller may see `obj`, or 404)."""
    access.check(user, Action.VIEW, obj)
    qs = Event.objects.filter(
        subject_type=ContentType.objects.get_for_model(obj, for_concrete_model=False), subject_id=obj.pk
    )
    return _page(user, qs, before, limit)


def customer_timeline(
    *,
    user: Any,
    customer: models.Model,
    types: list[str] | None = None,
    before: str | None = None,
    limit: int = PAGE_SIZE,
) -> tuple[list[Event], str | None]:
    """Everything that happened to one customer, newest first by when it happened.

    Imported or back-dated events keep their own time, so the order is (occurred_at, id), not the
    order of insertion; pages are keyset pages on that pair (`before` is the cursor this returns).
    """
    access.check(user, Action.VIEW, customer)
    journey = models.Q()
    for ct_id, ids in journey_parts(customer).items():
        journey |= models.Q(customer_type_id=ct_id, customer_id__in=sorted(ids))
    qs = Event.objects.filter(journey)
    hidden = hidden_subject_types(user)
    if hidden:
        qs = qs.exclude(subject_type__in=hidden)
    if types:
        qs = qs.filter(type__in=types)
    return _page(user, qs, before, limit)


# Verbs of the events that hand a record's journey over to the customer they are written on: a contact
# merged into another (`contact.merged_away`), a lead converted into a contact (`lead.converted`). The
# record's own events stay as they were written (the log is append-only); the customer's timeline reads
# them through this event (docs/decisions.md, "Merge and conversion hand a journey over").
HANDOVER_ACTIONS = ("merged_away", "converted")
# Contacts merged into contacts that had leads converted into them…: a chain longer than this is cut.
MAX_HANDOVERS = 8


@functools.cache
def _handover_types() -> tuple[str, ...]:
    from django.apps import apps

    from sencrm.core.models import Record

    prefixes = {m.event_type_prefix() for m in apps.get_models() if issubclass(m, Record)}
    return tuple(sorted(f"{prefix}.{action}" for prefix in prefixes for action in HANDOVER_ACTIONS))


def journey_parts(customer: models.Model) -> dict[int, set[int]]:
    """{content type id: ids} of the records whose journeys make up this customer's: itself, and every
    record handed over to it (a contact merged into it, a lead converted into it, and theirs in turn).
    One query per step of the chain; a customer nothing was handed to costs one query."""
    ct_id = ContentType.objects.get_for_model(customer).pk
    parts: dict[int, set[int]] = {ct_id: {customer.pk}}
    frontier = parts
    for _step in range(MAX_HANDOVERS):
        step = models.Q()
        for type_id, ids in frontier.items():
            step |= models.Q(customer_type_id=type_id, customer_id__in=sorted(ids))
        found = Event.objects.filter(step, type__in=_handover_types()).values_list(
            "subject_type_id", "subject_id"
        )
        frontier = {}
        for type_id, pk in found:
            if pk not in parts.setdefault(type_id, set()):
                parts[type_id].add(pk)
                frontier.setdefault(type_id, set()).add(pk)
        if not frontier:
            break
    return parts


def hidden_subject_types(user: Any) -> list[int]:
    """Content types of records whose module the user may not view at all (a care agent and the
    opportunities on a customer's journey): their events are left out of what the user reads."""
    from django.apps import apps

    from sencrm.core.models import Record

    hidden = [
        model
        for model in apps.get_models()
        if issubclass(model, Record) and not access.can(user, model.access_module, Action.VIEW)
    ]
    if not hidden:
        return []
    return [ct.pk for ct in ContentType.objects.get_for_models(*hidden, for_concrete_models=False).values()]


def parse_timeline_cursor(cursor: str) -> tuple[dt.datetime, int]:
    """ "<microseconds since epoch>_<event id>" → (time, id); ValueError for anything else."""
    micros, sep, last_id = cursor.partition("_")
    if not sep or not micros.isdigit() or not last_id.isdigit() or len(micros) > 20 or len(last_id) > 19:
        raise ValueError(cursor)
    try:
        return EPOCH + dt.timedelta(microseconds=int(micros)), int(last_id)
    except OverflowError as exc:  # a time past the year 9999
        raise ValueError(cursor) from exc


def event_log(
    *,
    user: Any,
    type_prefix: str = "",
    actor_id: int | None = None,
    before: str | None = None,
    limit: int = 50,
) -> tuple[list[Event], str | None]:
    """The whole log, for administrators (without anyone's personal settings)."""
    access.check_module(user, "admin", Action.VIEW)
    qs = Event.objects.exclude(type__in=formatting.PERSONAL_TYPES)
    if type_prefix:
        qs = qs.filter(type__startswith=type_prefix)
    if actor_id:
        qs = qs.filter(actor_id=actor_id)
    return _page(user, qs, before, limit)


def recent_changes(*, user: Any, limit: int = 10) -> list[Event]:
    """What `user` changed lately, by when it happened (the home page); settings are not changes."""
    qs = Event.objects.filter(actor=user).exclude(type__in=formatting.PERSONAL_TYPES)
    rows, _next = _page(user, qs, None, limit)
    return rows


def user_history(
    *, user: Any, account: models.Model, before: str | None = None, limit: int = PAGE_SIZE
) -> tuple[list[Event], str | None]:
    """The history of a user account (role, teams, activation, their own settings), for administrators."""
    access.check_module(user, "admin", Action.VIEW)
    qs = Event.objects.filter(
        subject_type=ContentType.objects.get_for_model(account, for_concrete_model=False),
        subject_id=account.pk,
    )
    return _page(user, qs, before, limit)
