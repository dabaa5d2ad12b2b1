"""The update half of the batch writers: changes from a file applied to existing records (phones,
emails and tags added, filled cells set, custom field values merged), with their before-values for undo."""

from __future__ import annotations

import copy
from typing import Any

from django.db import connection, models
from django.utils import timezone

from sencrm.core import access
from sencrm.core.modules import Action
from sencrm.events.diff import audited_fields, json_value, snapshot
from sencrm.events.diff import changes as diff_changes
from sencrm.imports.bulk import (
    BatchResult,
    Change,
    EventRows,
    Kind,
    _complete,
    _converter,
    _insert_tags,
    insert,
    prefix,
)


def update(
    kind: Kind, *, actor: Any, job: Any, changes: list[Change], result: BatchResult, events: EventRows
):
    """Apply changes to records the importer may edit (others: no access), after locking them.

    A cheap first pass over the rows' current values sorts out the records the change would leave as
    they are (a file imported again); only the others are loaded in full, locked, and written.
    """
    model = kind.model
    if not changes:
        return
    ids = [c.record_id for c in changes]
    editable = set(access.scope(actor, model, Action.EDIT).filter(pk__in=ids).values_list("pk", flat=True))
    changing = _first_pass(kind, changes, editable, result)
    if not changing:
        return
    related = ["phones", "emails", *(["tags"] if kind.tags else [])]
    qs = model.all_objects.select_for_update().filter(pk__in=changing, deleted_at__isnull=True)  # type: ignore[attr-defined]
    current = {obj.pk: obj for obj in qs.prefetch_related(*related)}
    writes: dict[tuple[str, ...], list[list[Any]]] = {}
    labels = _Labels(model)
    now = timezone.now()
    for change in changes:
        if change.record_id not in changing:
            continue
        obj = current.get(change.record_id)
        if obj is None:  # deleted since the first pass
            result.no_access.append(change.line)
            continue
        outcome = apply(kind, obj, change, actor)
        if outcome is None:
            result.unchanged.append(change.line)
            continue
        changed, children, before, columns = outcome
        if ("owner" in changed or "team" in changed) and not _may_assign(actor, obj):
            result.refused.append((change.line, "assign"))
            continue
        obj.version += 1
        obj.updated_at, obj.updated_by_id = now, actor.pk
        cols = tuple(sorted({*columns, "version", "updated_at", "updated_by_id"}))
        writes.setdefault(cols, []).append([getattr(obj, c) for c in cols] + [obj.pk])
        children.write(kind, obj.pk)
        changed.update(children.changed)
        data = {"changes": changed, "labels": labels.of(obj, changed)}
        events.add(f"{prefix(model)}.updated", obj.pk, str(obj), obj.version, data)
        result.updated.append((change.line, obj.pk))
        if "owner" in changed and obj.owner_id is not None:
            result.assigned[obj.owner_id] = result.assigned.get(obj.owner_id, 0) + 1
        result.before[str(obj.pk)] = {"before": before, "version": obj.version}
    _execute_updates(model, writes)


def _first_pass(kind: Kind, changes: list[Change], editable: set[int], result: BatchResult) -> set[int]:
    """Ids of the records a change may alter; the others are sorted into no access / refused / unchanged."""
    model = kind.model
    columns = {a for c in changes for a in c.values} | {"custom_field_data", *kind.refuse_fields}
    rows = {
        r["pk"]: r
        for r in model.all_objects.filter(pk__in=editable, deleted_at__isnull=True).values("pk", *columns)  # type: ignore[attr-defined]
    }
    phones: dict[int, set[str]] = {}
    for pk, e164 in kind.phone_model.objects.filter(**{f"{kind.phone_fk}__in": list(rows)}).values_list(  # type: ignore[attr-defined]
        kind.phone_fk, "e164"
    ):
        phones.setdefault(pk, set()).add(e164)
    emails: dict[int, set[str]] = {}
    for pk, address in kind.email_model.objects.filter(**{f"{kind.email_fk}__in": list(rows)}).values_list(  # type: ignore[attr-defined]
        kind.email_fk, "address_key"
    ):
        emails.setdefault(pk, set()).add(address)
    tags: dict[int, set[int]] = {}
    if kind.tags and any(c.tags for c in changes):
        through = model._meta.get_field("tags").remote_field.through  # type: ignore[union-attr]
        source = f"{model._meta.model_name}_id"
        for pk, tag in through.objects.filter(**{f"{source}__in": list(rows)}).values_list(source, "tag_id"):
            tags.setdefault(pk, set()).add(tag)
    changing: set[int] = set()
    for change in changes:
        row = rows.get(change.record_id)
        if row is None:
            result.no_access.append(change.line)
        elif kind.refuse(row):
            result.refused.append((change.line, str(kind.refuse(row))))
        elif (
            any(row[a] != v for a, v in change.values.items())
            or any(v is not None and row["custom_field_data"].get(k) != v for k, v in change.custom.items())
            or any(e not in phones.get(change.record_id, ()) for _n, e in change.phones)
            or any(a.lower() not in emails.get(change.record_id, ()) for a in change.emails)
            or any(t not in tags.get(change.record_id, ()) for t, _name in change.tags)
        ):
            changing.add(change.record_id)
        else:
            result.unchanged.append(change.line)
    return changing


def _may_assign(actor: Any, obj: Any) -> bool:
    return access.in_scope(actor, Action.IMPORT, obj) and access.in_scope(actor, Action.VIEW, obj)


class Children:
    """Phones, emails and tags to add to a record, and what the event and undo need to know about them."""

    def __init__(self) -> None:
        self.phones: list[dict[str, Any]] = []
        self.emails: list[dict[str, Any]] = []
        self.tags: list[int] = []
        self.changed: dict[str, list[Any]] = {}

    def write(self, kind: Kind, pk: int) -> None:
        for row in self.phones:
            row[kind.phone_fk] = pk
            if kind.phone_label:
                row.setdefault("label", "mobile")
        for row in self.emails:
            row[kind.email_fk] = pk
        insert(kind.phone_model, [_complete(kind.phone_model, r) for r in self.phones], with_id=False)
        insert(kind.email_model, [_complete(kind.email_model, r) for r in self.emails], with_id=False)
        if self.tags:
            _insert_tags(kind.model, [(pk, t) for t in self.tags])


def apply(
    kind: Kind, obj: Any, change: Change, actor: Any
) -> tuple[Any, Children, dict[str, Any], set[str]] | None:
    """Set the change on `obj` (in memory); None when nothing would change."""
    probe = copy.copy(obj)
    fields = {f.attname: f for f in obj._meta.concrete_fields}
    columns: set[str] = set()
    before: dict[str, Any] = {"fields": {}}
    for attname, value in change.values.items():
        if getattr(probe, attname) != value:
            before["fields"][attname] = json_value(getattr(probe, attname))
            setattr(probe, attname, value)
            columns.add(attname)
    if change.custom:
        merged = {**obj.custom_field_data}
        for key, value in change.custom.items():
            if value is None:
                continue
            merged[key] = value
        if merged != obj.custom_field_data:
            before["fields"]["custom_field_data"] = obj.custom_field_data
            probe.custom_field_data = merged
            columns.add("custom_field_data")
    children = Children()
    phones = list(obj.phones.all())
    known = {p.e164 for p in phones}
    new_phones = [(n, e) for n, e in change.phones if e not in known]
    if new_phones:
        before["phones"] = [[p.number, p.e164, getattr(p, "label", "")] for p in phones]
        after = [p.number for p in phones] + [n for n, _e in new_phones]
        children.changed["phones"] = [[p.number for p in phones], after]
        children.phones = [
            {"id": None, "number": n, "e164": e, "position": len(phones) + i}
            for i, (n, e) in enumerate(new_phones)
        ]
    emails = list(obj.emails.all())
    known_emails = {e.address_key for e in emails}
    new_emails = [a for a in change.emails if a.lower() not in known_emails]
    if new_emails:
        before["emails"] = [e.address for e in emails]
        children.changed["emails"] = [[e.address for e in emails], [e.address for e in emails] + new_emails]
        children.emails = [
            {"id": None, "address": a, "address_key": a.lower(), "position": len(emails) + i}
            for i, a in enumerate(new_emails)
        ]
    if kind.tags and change.tags:
        current_tags = {t.pk: t.name for t in obj.tags.all()}
        added = [(pk, name) for pk, name in change.tags if pk not in current_tags]
        if added:
            before["tags"] = sorted(current_tags)
            children.changed["tags"] = [
                sorted(current_tags.values()),
                sorted([*current_tags.values(), *(n for _p, n in added)]),
            ]
            children.tags = [pk for pk, _n in added]
    if not columns and not children.changed:
        return None
    numbers = [p.e164 for p in phones] + [e for _n, e in new_phones]
    addresses = [e.address for e in emails] + new_emails
    current_values = {a: getattr(probe, a) for a in fields}
    for attname, value in kind.derive(current_values, numbers, addresses).items():
        if getattr(probe, attname) != value:
            setattr(probe, attname, value)
            columns.add(attname)
    changed = diff_changes(snapshot(obj), snapshot(probe))  # obj still holds the values before
    for attname in columns:
        setattr(obj, attname, getattr(probe, attname))
    return changed, children, before, columns


def _execute_updates(model: type[models.Model], writes: dict[tuple[str, ...], list[list[Any]]]) -> None:
    qn = connection.ops.quote_name
    fields = {f.attname: f for f in model._meta.concrete_fields}
    for cols, rows in writes.items():
        convert = [_converter(fields[c]) for c in cols]
        sets = ", ".join(f"{qn(fields[c].column)} = %s" for c in cols)
        sql = f"UPDATE {qn(model._meta.db_table)} SET {sets} WHERE id = %s"  # noqa: S608 - our own columns
        params = [[fn(v) for fn, v in zip(convert, row[:-1], strict=True)] + [row[-1]] for row in rows]
        with connection.cursor() as cursor:
            cursor.executemany(sql, params)


class _Labels:
    """Readable names of changed foreign keys for the audit trail (each related record read once a batch)."""

    def __init__(self, model: type[models.Model]) -> None:
        self.fks = {f.name: f for f in audited_fields(model) if f.is_relation and f.related_model}  # type: ignore[arg-type]
        self.cache: dict[tuple[Any, Any], str | None] = {}

    def of(self, obj: Any, changed: dict[str, list[Any]]) -> dict[str, list[str | None]]:
        labels: dict[str, list[str | None]] = {}
        for name in changed.keys() & self.fks.keys():
            related: Any = self.fks[name].related_model
            pair: list[str | None] = []
            for pk in changed[name]:
                if pk is None:
                    pair.append(None)
                    continue
                if (related, pk) not in self.cache:
                    target = related._base_manager.filter(pk=pk).first()
                    self.cache[(related, pk)] = str(target) if target is not None else None
                pair.append(self.cache[(related, pk)])
            labels[name] = pair
        return labels
