"""Readers of the event log: the audit trail of a record and the journey of a customer."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils.translation import gettext_lazy

from sencrm.core import access
from sencrm.core.modules import Action
from sencrm.events.models import Event

PAGE_SIZE = 25
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
NOT_VISIBLE = gettext_lazy("(not visible to you)")


def _page(qs: models.QuerySet[Event], before: int | None, limit: int) -> tuple[list[Event], int | None]:
    """Newest first, keyset-paged by id: constant queries whatever the page."""
    if before:
        qs = qs.filter(id__lt=before)
    rows = list(qs.select_related("actor", "subject_type").order_by("-id")[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (rows[-1].id if more and rows else None)


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
    visible = {
        related: set(access.scope(user, related, Action.VIEW).filter(pk__in=ids).values_list("pk", flat=True))
        for related, ids in wanted.items()
        if ids
    }
    for event, name, related, old, new in found:
        seen = visible.get(related, set())
        hide = (isinstance(old, int) and old not in seen, isinstance(new, int) and new not in seen)
        if any(hide):
            event.hidden_labels = {**getattr(event, "hidden_labels", {}), name: hide}  # type: ignore[attr-defined]
    return events


def audit_trail(
    *, user: Any, obj: models.Model, before: int | None = None, limit: int = PAGE_SIZE
) -> tuple[list[Event], int | None]:
    """Who changed which field of `obj`, from what to what (the caller may see `obj`, or 404)."""
    access.check(user, Action.VIEW, obj)
    qs = Event.objects.filter(
        subject_type=ContentType.objects.get_for_model(obj, for_concrete_model=False), subject_id=obj.pk
    )
    rows, next_before = _page(qs, before, limit)
    return hide_unseen(user, rows), next_before


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
    qs = Event.objects.filter(
        customer_type=ContentType.objects.get_for_model(customer), customer_id=customer.pk
    )
    hidden = hidden_subject_types(user)
    if hidden:
        qs = qs.exclude(subject_type__in=hidden)
    if types:
        qs = qs.filter(type__in=types)
    if before:
        at, last_id = parse_timeline_cursor(before)
        qs = qs.filter(models.Q(occurred_at__lt=at) | models.Q(occurred_at=at, id__lt=last_id))
    rows = list(qs.select_related("actor", "subject_type").order_by("-occurred_at", "-id")[: limit + 1])
    if len(rows) <= limit:
        return hide_unseen(user, rows), None
    rows = hide_unseen(user, rows[:limit])
    last = rows[-1]
    micros = (last.occurred_at - EPOCH) // dt.timedelta(microseconds=1)  # exact, no float rounding
    return rows, f"{micros}_{last.id}"


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
    return EPOCH + dt.timedelta(microseconds=int(micros)), int(last_id)


def event_log(
    *,
    user: Any,
    type_prefix: str = "",
    actor_id: int | None = None,
    before: int | None = None,
    limit: int = 50,
) -> tuple[list[Event], int | None]:
    """The whole log, for administrators."""
    access.check_module(user, "admin", Action.VIEW)
    qs = Event.objects.select_related("subject_type")
    if type_prefix:
        qs = qs.filter(type__startswith=type_prefix)
    if actor_id:
        qs = qs.filter(actor_id=actor_id)
    return _page(qs, before, limit)


def describe_changes(event: Event, model: type[models.Model] | None) -> list[dict[str, Any]]:
    """[{field label, old, new}] for an update event, with related records shown by name (unless the
    selector that read the event marked them hidden from the reader: `hide_unseen`)."""
    labels = event.data.get("labels", {})
    hidden = getattr(event, "hidden_labels", {})
    rows = []
    for name, (old, new) in event.data.get("changes", {}).items():
        label: Any = name
        if model is not None:
            try:
                label = model._meta.get_field(name).verbose_name
            except Exception:  # a field removed since the event was written
                label = name
        if name in labels:
            old, new = labels[name]
            hide_old, hide_new = hidden.get(name, (False, False))
            old = NOT_VISIBLE if hide_old and old else old
            new = NOT_VISIBLE if hide_new and new else new
        rows.append({"field": label, "old": old, "new": new})
    return rows


def event_label(event: Event) -> str:
    """ "Contact created", "Account updated"… in the reader's language."""
    from django.utils.translation import gettext as _

    verbs = {
        "created": _("%(what)s created"),
        "updated": _("%(what)s updated"),
        "deleted": _("%(what)s moved to the trash"),
        "restored": _("%(what)s restored"),
        "purged": _("%(what)s purged"),
        "merged": _("%(what)s merged"),
    }
    model = event.subject_type.model_class() if event.subject_type_id else None
    if model is not None and model._meta.label_lower in LABELS:
        special = LABELS[model._meta.label_lower](event)
        if special:
            return str(special)
    what = str(model._meta.verbose_name) if model is not None else event.type.partition(".")[0]
    action = event.type.rpartition(".")[2]
    pattern = verbs.get(action)
    if not pattern:
        return event.type
    text = pattern % {"what": what}
    return text[:1].upper() + text[1:]


# Modules may describe their own events better than the generic "<what> created" (activities do).
LABELS: dict[str, Any] = {}


def register_label(app_model: str, func: Any) -> None:
    LABELS[app_model] = func
