"""How the event log reads to people: one formatter for every history view.

The customer journey, a record's audit trail, the administrators' activity log, the home page's
"recent changes", a user's history and the notifications all show events through these functions, so
an event type, a choice value, a date or an actor reads the same everywhere, in the reader's language
and time zone. Apps feed the registries from `AppConfig.ready()` (labels modules), never by being
imported from here.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from collections.abc import Callable, Iterable
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils import formats, timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sencrm.core import access
from sencrm.core.money import format_money

EMPTY = "—"
NOT_VISIBLE = access.NOT_VISIBLE  # the gate's one rule for names (access.related_label)

# Exact event type → label ("opportunity.stage_changed" → "Cơ hội chuyển giai đoạn"); each app adds
# its own, the event log's own (webhooks) are here. Record types' life cycle needs none (_VERBS).
TYPE_LABELS: dict[str, Any] = {
    "webhook.created": gettext_lazy("Webhook created"),
    "webhook.updated": gettext_lazy("Webhook updated"),
    "webhook.deleted": gettext_lazy("Webhook deleted"),
    "webhook.secret_rotated": gettext_lazy("Webhook secret changed"),
}
# Types about a person's own settings: shown in that user's history only, never in the audit views.
PERSONAL_TYPES: set[str] = set()
# "app_label.model" → function(event) → a label that says more than the type ("Stage: A → B").
LABELS: dict[str, Any] = {}
# function(event) → a label or None, tried for every record's events before the module's own: a door
# that writes many kinds of record (the import: "Imported from file khach-hang.xlsx").
GENERAL_LABELS: list[Callable[[Any], Any]] = []
# ("app_label.model", change name) → function(old, new) → [(label, old, new)]: changes that are not
# one field (a role's grants) read as the module says.
CHANGE_FORMATTERS: dict[tuple[str, str], Callable[[Any, Any], list[tuple[str, str, str]]]] = {}
# Actor kind ("webform", "import", "apitoken"…) → function(ids) → {id: readable name}.
ACTOR_RESOLVERS: dict[str, Callable[[set[int]], dict[int, str]]] = {}

# Generic verbs of every record's life cycle ("Tạo người liên hệ", "Khôi phục cơ hội bán hàng").
_VERBS: dict[str, Any] = {
    "created": gettext_lazy("%(what)s created"),
    "updated": gettext_lazy("%(what)s updated"),
    "deleted": gettext_lazy("%(what)s moved to the trash"),
    "restored": gettext_lazy("%(what)s restored"),
    "purged": gettext_lazy("%(what)s purged"),
    "merged": gettext_lazy("%(what)s merged"),
    "merged_away": gettext_lazy("%(what)s merged into another record"),
}

# System doors without a record behind them ("system:setup"…).
_SYSTEM_NAMES: dict[str, Any] = {
    "setup": gettext_lazy("System (initial set-up)"),
    "demo": gettext_lazy("System (demo data)"),
    "purge": gettext_lazy("System (scheduled task)"),
    "scheduler": gettext_lazy("System (scheduled task)"),
    "worker": gettext_lazy("System (scheduled task)"),
    "sla": gettext_lazy("System (SLA clock)"),
    "telephony": gettext_lazy("System (telephony)"),
}


def register_type_label(event_type: str, label: Any, *, personal: bool = False) -> None:
    """Name an event type; `personal=True` keeps it out of the audit views (a language switch)."""
    TYPE_LABELS[event_type] = label
    if personal:
        PERSONAL_TYPES.add(event_type)


def register_type_labels(labels: dict[str, Any]) -> None:
    for event_type, label in labels.items():
        register_type_label(event_type, label)


def register_label(app_model: str, func: Any) -> None:
    """A module's own wording for its events (activities: "Call logged"), tried before the type."""
    LABELS[app_model] = func


def register_general_label(func: Callable[[Any], Any]) -> None:
    """Wording for events of any record, tried first (returns None for events it does not know)."""
    if func not in GENERAL_LABELS:
        GENERAL_LABELS.append(func)


def register_change_formatter(
    app_model: str, name: str, func: Callable[[Any, Any], list[tuple[str, str, str]]]
) -> None:
    CHANGE_FORMATTERS[(app_model, name)] = func


def register_actor(kind: str, resolver: Callable[[set[int]], dict[int, str]]) -> None:
    """How to name the door in an actor label "<kind>#<id>" (one query for a whole page)."""
    ACTOR_RESOLVERS[kind] = resolver


@functools.cache
def _record_models() -> dict[str, type[models.Model]]:
    from django.apps import apps

    from sencrm.core.models import Record

    return {
        model.event_type_prefix(): model
        for model in apps.get_models()
        if issubclass(model, Record) and not model._meta.abstract
    }


def type_label(event_type: str, model: type[models.Model] | None = None) -> str | None:
    """The label of an event type in the reader's language, or None when nobody named it."""
    if event_type in TYPE_LABELS:
        return str(TYPE_LABELS[event_type])
    prefix, _sep, action = event_type.rpartition(".")
    model = model or _record_models().get(prefix)
    verb = _VERBS.get(action)
    if model is None or verb is None:
        return None
    return capfirst(str(verb) % {"what": model._meta.verbose_name})


def event_title(event: Any) -> str:
    """What happened, in words: the module's own wording, else the type's label."""
    model = event.subject_type.model_class() if event.subject_type_id else None
    for general in GENERAL_LABELS:
        special = general(event)
        if special:
            return str(special)
    if model is not None and model._meta.label_lower in LABELS:
        special = LABELS[model._meta.label_lower](event)
        if special:
            return str(special)
    return type_label(event.type, model) or event.type


# -- actors -------------------------------------------------------------------------------------


def _parse_actor_label(label: str) -> tuple[str, int | None]:
    """Split an actor label: "webform#3" → ("webform", 3), "system:import#42" → ("import", 42),
    "system:setup" → ("setup", None)."""
    label = label.removeprefix("system:")
    kind, sep, raw_id = label.partition("#")
    if sep and raw_id.isdigit() and len(raw_id) < 19:
        return kind, int(raw_id)
    return label, None


def _door_name(kind: str, pk: int | None, names: dict[tuple[str, int], str]) -> str:
    if pk is not None and (kind, pk) in names:
        return names[(kind, pk)]
    if kind in _SYSTEM_NAMES:
        return str(_SYSTEM_NAMES[kind])
    if kind == "apitoken":
        return _("API token")
    return _("System")


def resolve_actors(events: Iterable[Any]) -> None:
    """Set `actor_name` on each event, asking each kind of door once for the whole page."""
    events = list(events)
    wanted: dict[str, set[int]] = {}
    for event in events:
        kind, pk = _parse_actor_label(event.actor_label or "")
        if pk is not None and kind in ACTOR_RESOLVERS:
            wanted.setdefault(kind, set()).add(pk)
    names: dict[tuple[str, int], str] = {}
    for kind, ids in wanted.items():
        for pk, name in ACTOR_RESOLVERS[kind](ids).items():
            names[(kind, pk)] = name
    for event in events:
        event.actor_name = _actor_name(event, names)


def _actor_name(event: Any, names: dict[tuple[str, int], str]) -> str:
    label = event.actor_label or ""
    user = str(event.actor) if event.actor_id else ""
    if not label:
        return user or _("System")
    kind, pk = _parse_actor_label(label)
    door = _door_name(kind, pk, names)
    if kind == "apitoken" or not user:
        return door  # a token's name already says whose it is
    return _("%(user)s, via %(door)s") % {"user": user, "door": door}


def actor_name(event: Any) -> str:
    """ "Nguyễn Văn An", "Biểu mẫu web ‘Form tư vấn’", "Hệ thống (tác vụ định kỳ)"…"""
    name = getattr(event, "actor_name", None)
    if name is None:
        resolve_actors([event])
        name = event.actor_name
    return str(name)


# -- values -------------------------------------------------------------------------------------


def _parse_datetime(value: Any) -> dt.datetime | None:
    if isinstance(value, dt.datetime):
        parsed = value
    elif isinstance(value, str):
        try:
            parsed = dt.datetime.fromisoformat(value)
        except ValueError:
            return None
    else:
        return None
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed, dt.UTC)
    return timezone.localtime(parsed)


def _parse_date(value: Any) -> dt.date | None:
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def _currency(model: type[models.Model] | None, event: Any) -> str | None:
    """Decimal fields of a model with a currency are money (in the record's currency, VND by default)."""
    if model is None:
        return None
    try:
        model._meta.get_field("currency")
    except FieldDoesNotExist:
        return None
    data = event.data if event is not None and isinstance(event.data, dict) else {}
    record = data.get("record")
    return str((record.get("currency") if isinstance(record, dict) else None) or "VND")


def format_value(
    field: Any,
    value: Any,
    *,
    currency: str | None = None,
    names: dict[Any, str] | None = None,
) -> str:
    """One stored (JSON) value as the reader should see it: choices by their label, dates in the
    reader's format and time zone, money as "50.000.000 ₫", related records by name, empty as "—"."""
    if value is None or value == "" or value == []:
        return EMPTY
    if field is None:
        return _plain(value)
    if isinstance(field, models.BooleanField):
        return _("Yes") if value else _("No")
    if field.is_relation:
        items = value if isinstance(value, list) else [value]
        shown = [(names or {}).get(item) or f"#{item}" for item in items]
        return ", ".join(shown)
    choices = dict(field.flatchoices) if getattr(field, "choices", None) else {}
    if choices:
        items = value if isinstance(value, list) else [value]
        return ", ".join(str(choices.get(item, item)) for item in items)
    if isinstance(field, models.DateTimeField):
        moment = _parse_datetime(value)
        return formats.date_format(moment, "SHORT_DATETIME_FORMAT") if moment else _plain(value)
    if isinstance(field, models.DateField):
        day = _parse_date(value)
        return formats.date_format(day, "SHORT_DATE_FORMAT") if day else _plain(value)
    if isinstance(field, models.TimeField) and isinstance(value, str):
        try:
            return formats.time_format(dt.time.fromisoformat(value), "TIME_FORMAT")
        except ValueError:
            return value
    if isinstance(field, models.DecimalField | models.FloatField | models.IntegerField):
        try:
            number = Decimal(str(value))
        except (InvalidOperation, ValueError):
            return _plain(value)
        if currency and isinstance(field, models.DecimalField):
            return format_money(number, currency)
        return formats.number_format(number, use_l10n=True, force_grouping=True)
    return _plain(value)


def _plain(value: Any) -> str:
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, dict | list):
        text = json.dumps(value, ensure_ascii=False, sort_keys=True)
        return text if len(text) <= 300 else text[:299] + "…"
    return str(value)


def _field(model: type[models.Model] | None, name: str) -> Any:
    """The field (or reverse relation: a team's "members") a change names; None if it is gone."""
    if model is None:
        return None
    try:
        return model._meta.get_field(name)
    except FieldDoesNotExist:  # a field removed since the event was written
        return None


def _field_label(field: Any, name: str) -> str:
    if field is None:
        return name
    if hasattr(field, "verbose_name"):
        return capfirst(str(field.verbose_name))
    return capfirst(str(field.related_model._meta.verbose_name_plural))  # a reverse relation


def resolve_related(events: Iterable[Any]) -> None:
    """Names of related records that an update stored only by id (a user's role and teams): one query
    per related model for the page. Records under the access gate are never looked up here; their
    names come with the event (`labels`) and `hide_unseen` decides who reads them."""
    events = list(events)
    wanted: dict[type[models.Model], set[Any]] = {}
    found: list[tuple[Any, type[models.Model]]] = []
    for event in events:
        data = event.data if isinstance(event.data, dict) else {}
        changes, labels = data.get("changes") or {}, data.get("labels") or {}
        model = event.subject_type.model_class() if changes and event.subject_type_id else None
        for name, pair in changes.items():
            field = _field(model, name)
            related = field.related_model if field is not None and field.is_relation else None
            if name in labels or not isinstance(related, type) or hasattr(related, "access_module"):
                continue
            for value in pair or []:
                for item in value if isinstance(value, list) else [value]:
                    if isinstance(item, int):
                        wanted.setdefault(related, set()).add(item)
            found.append((event, related))
    names = {
        related: {obj.pk: str(obj) for obj in related._base_manager.filter(pk__in=ids)}
        for related, ids in wanted.items()
    }
    for event, related in found:
        event.related_names = {**getattr(event, "related_names", {}), related: names.get(related, {})}


def describe_changes(event: Any, model: type[models.Model] | None = None) -> list[dict[str, Any]]:
    """[{field label, old, new}] of an update event, each value formatted for the reader. Related
    records are shown by name unless the selector that read the event marked them hidden from the
    reader (`hide_unseen`)."""
    if model is None and event.subject_type_id:
        model = event.subject_type.model_class()
    data = event.data if isinstance(event.data, dict) else {}
    labels = data.get("labels") or {}
    hidden = getattr(event, "hidden_labels", {})
    related_names = getattr(event, "related_names", {})
    currency = _currency(model, event)
    rows: list[dict[str, Any]] = []
    for name, pair in (data.get("changes") or {}).items():
        old, new = (list(pair) + [None, None])[:2] if isinstance(pair, list | tuple) else (None, pair)
        special = CHANGE_FORMATTERS.get((model._meta.label_lower, name)) if model is not None else None
        if special is not None:
            rows += [{"field": f, "old": o, "new": n} for f, o, n in special(old, new)]
            continue
        field = _field(model, name)
        label = _field_label(field, name)
        if name in labels:
            old_name, new_name = (list(labels[name]) + [None, None])[:2]
            hide_old, hide_new = hidden.get(name, (False, False))
            old_text = str(NOT_VISIBLE) if hide_old and old_name else (old_name or _id_or_empty(old))
            new_text = str(NOT_VISIBLE) if hide_new and new_name else (new_name or _id_or_empty(new))
        else:
            related = getattr(field, "related_model", None) if field is not None else None
            names = related_names.get(related, {})
            old_text = format_value(field, old, currency=currency, names=names)
            new_text = format_value(field, new, currency=currency, names=names)
        rows.append({"field": label, "old": old_text, "new": new_text})
    return rows


def _id_or_empty(value: Any) -> str:
    return EMPTY if value is None or value == "" else f"#{value}"


def prepare(user: Any, events: list[Any]) -> list[Any]:
    """Everything a page of events needs before it is shown, in a constant number of queries."""
    from sencrm.events.selectors import hide_unseen

    if user is not None:
        hide_unseen(user, events)
    resolve_related(events)
    resolve_actors(events)
    return events
