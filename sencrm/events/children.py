"""Records with phones, emails (and tags) of their own, and the fields derived from them.

Each such record type registers one `Spec` from its app's `AppConfig.ready()` (customers/derived.py,
sales/derived.py): its child tables and its one `derive` function (name parts, sort and search keys,
primary phone and email). The single-record services (`write_children` in a `record_create` /
`record_update` `related` callback) and the bulk path (sencrm/events/bulk.py) both use it, so a
record written by a form, the API or an import of 100,000 rows gets the same derived fields.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import models

from sencrm.events.diff import audited_fields

# (the record's values by attname, its phones as E.164, its email addresses) → derived fields
Derive = Callable[[Mapping[str, Any], Sequence[str], Sequence[str]], dict[str, Any]]


def _never(values: Mapping[str, Any]) -> str | None:
    return None


@dataclass(frozen=True)
class Spec:
    """How a record type's children are stored and its derived fields computed."""

    model: type[models.Model]
    phone_model: type[models.Model]
    phone_fk: str  # attname of the phone row's link to the record: "contact_id", "lead_id"…
    email_model: type[models.Model]
    email_fk: str
    derive: Derive
    name_field: str = "full_name"  # what the event's subject_repr shows (str(record))
    phone_label: bool = False  # the phone rows have a label (mobile, work…)
    tags: bool = False  # the record has a `tags` many-to-many field
    # Why a bulk update must leave a record alone ("converted" lead), from its values, or None.
    refuse: Callable[[Mapping[str, Any]], str | None] = _never
    refuse_fields: tuple[str, ...] = ()


_SPECS: dict[type[models.Model], Spec] = {}


def register(spec: Spec) -> None:
    """Called from the owning app's AppConfig.ready()."""
    _SPECS[spec.model] = spec


def spec_for(model: type[models.Model]) -> Spec:
    try:
        return _SPECS[model]
    except KeyError:
        raise LookupError(
            f"{model.__name__} has no children spec (register one in its app's ready())"
        ) from None


def derived(
    model: type[models.Model], values: Mapping[str, Any], e164s: Sequence[str], emails: Sequence[str]
) -> dict[str, Any]:
    """The derived fields of a record of `model` with these values, phones and emails."""
    return spec_for(model).derive(values, e164s, emails)


def _apply_derived(obj: models.Model, e164s: Sequence[str], emails: Sequence[str]) -> dict[str, list[Any]]:
    """Set the derived fields on `obj` (in memory); return the audited ones that changed."""
    audited = {f.attname for f in audited_fields(obj)}
    changed: dict[str, list[Any]] = {}
    for attname, value in derived(type(obj), vars(obj), e164s, emails).items():
        old = getattr(obj, attname)
        if old != value:
            setattr(obj, attname, value)
            if attname in audited:
                changed[attname] = [old, value]
    return changed


def write_children(
    obj: Any,
    phones: list[dict[str, str]] | None,
    emails: list[str] | None,
    tags: list[Any] | None = None,
) -> dict[str, list[Any]]:
    """Replace the record's phones ([{number, e164, label}]), emails and tags where given (None: keep),
    then bring its derived fields up to date on `obj` — in memory: the `record_create`/`record_update`
    calling this as its `related` callback saves them. Returns what changed ({name: [old, new]})."""
    spec = spec_for(type(obj))
    changed: dict[str, list[Any]] = {}
    link = {spec.phone_fk: obj.pk}
    if phones is not None:
        before = [p.number for p in obj.phones.all()]
        after = [p["number"] for p in phones]
        if before != after:
            obj.phones.all().delete()
            label: Callable[[dict[str, str]], dict[str, str]] = (
                (lambda p: {"label": p.get("label") or "mobile"}) if spec.phone_label else (lambda p: {})
            )
            spec.phone_model._default_manager.bulk_create(
                spec.phone_model(number=p["number"], e164=p["e164"], position=i, **link, **label(p))
                for i, p in enumerate(phones)
            )
            changed["phones"] = [before, after]
    if emails is not None:
        before = [e.address for e in obj.emails.all()]
        if before != emails:
            obj.emails.all().delete()
            spec.email_model._default_manager.bulk_create(
                spec.email_model(address=a, address_key=a.lower(), position=i, **{spec.email_fk: obj.pk})
                for i, a in enumerate(emails)
            )
            changed["emails"] = [before, list(emails)]
    if tags is not None and spec.tags:
        before = sorted(t.name for t in obj.tags.all())
        after = sorted(t.name for t in tags)
        if before != after:
            obj.tags.set(tags)
            changed["tags"] = [before, after]
    e164s = [p["e164"] for p in phones] if phones is not None else _e164s(obj)
    addresses = list(emails) if emails is not None else _addresses(obj)
    changed.update(_apply_derived(obj, e164s, addresses))
    return changed


def _e164s(obj: Any) -> list[str]:
    return list(obj.phones.order_by("position", "id").values_list("e164", flat=True))


def _addresses(obj: Any) -> list[str]:
    return list(obj.emails.order_by("position", "id").values_list("address", flat=True))


def refresh_derived(obj: Any) -> None:
    """Recompute the derived fields from the children in the database and save them (for a writer
    that moved phones or emails between records, e.g. a merge)."""
    values = derived(type(obj), vars(obj), _e164s(obj), _addresses(obj))
    for attname, value in values.items():
        setattr(obj, attname, value)
    type(obj)._base_manager.filter(pk=obj.pk).update(**values)
