"""The update and delete halves of the spine's bulk form (see bulk.py): changes applied to existing
records (filled values set, phones, emails and tags added or replaced, custom field values merged) with
their before-values kept for an undo, and records moved to the trash; one event each, shaped like
`record_update`'s and `record_delete`'s."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any, cast

from django.db import connection, models
from django.utils import timezone

from sencrm.core import access
from sencrm.core.modules import Action
from sencrm.events.bulk import (
    BulkResult,
    Change,
    EventRows,
    Insert,
    check_links,
    converter,
    may_assign,
    prefix,
    tags_insert,
)
from sencrm.events.children import Spec, spec_for
from sencrm.events.diff import audited_fields, json_value, snapshot
from sencrm.events.diff import changes as diff_changes


def update(
    model: type[models.Model],
    *,
    actor: Any,
    changes: list[Change],
    actor_label: str,
    extra: Mapping[str, Any],
    action: str,
) -> BulkResult:
    """Apply the changes to the records the actor may edit (the others: no access), locked.

    A cheap first pass over the rows' current values sorts out the records a change would leave as
    they are (a file imported again); only the others are loaded in full, locked, and written.
    """
    result = BulkResult()
    if not changes:
        return result
    spec = spec_for(model)
    check_links(actor, model, (c.values for c in changes))
    editable = access.visible_ids(actor, model, [c.record_id for c in changes], Action.EDIT)
    changing = _first_pass(spec, changes, editable, result)
    if not changing:
        return result
    related = ["phones", "emails", *(["tags"] if spec.tags else [])]
    qs = model.all_objects.select_for_update().filter(pk__in=changing, deleted_at__isnull=True)  # type: ignore[attr-defined]
    current = {obj.pk: obj for obj in qs.prefetch_related(*related)}
    writes: dict[tuple[str, ...], list[list[Any]]] = {}
    labels = _Labels(model)
    events = EventRows(model, actor=actor, actor_label=actor_label, extra=extra)
    now = timezone.now()
    actor_id = actor.pk if getattr(actor, "pk", None) else None
    for change in changes:
        if change.record_id not in changing:
            continue
        obj = current.get(change.record_id)
        if obj is None:  # deleted since the first pass
            result.no_access.append(change.ref)
            continue
        if change.version is not None and obj.version != change.version:
            result.stale.append(change.ref)
            continue
        outcome = _apply(spec, obj, change)
        if outcome is None:
            result.unchanged.append(change.ref)
            result.versions[obj.pk] = obj.version
            continue
        changed, children, before, columns = outcome
        if ("owner" in changed or "team" in changed) and not may_assign(actor, obj, action):
            result.refused.append((change.ref, "assign"))
            continue
        obj.version += 1
        obj.updated_at, obj.updated_by_id = now, actor_id
        cols = tuple(sorted({*columns, "version", "updated_at", "updated_by_id"}))
        writes.setdefault(cols, []).append([getattr(obj, c) for c in cols] + [obj.pk])
        children.write(spec, obj.pk)
        changed.update(children.changed)
        data = {"changes": changed, "labels": labels.of(obj, changed)}
        events.add(f"{prefix(model)}.updated", obj.pk, str(obj), obj.version, data)
        result.updated.append((change.ref, obj.pk))
        result.versions[obj.pk] = obj.version
        if "owner" in changed and obj.owner_id is not None:
            result.assigned[obj.owner_id] = result.assigned.get(obj.owner_id, 0) + 1
        result.before[str(obj.pk)] = {"before": before, "version": obj.version}
    _execute_updates(model, writes)
    result.events = events.write()
    return result


def _first_pass(spec: Spec, changes: list[Change], editable: set[int], result: BulkResult) -> set[int]:
    """Ids of the records a change may alter; the others are sorted into no access / refused / stale /
    unchanged. A change that replaces children is not compared here (the full pass does it)."""
    model = spec.model
    has_custom = any(f.attname == "custom_field_data" for f in model._meta.concrete_fields)
    columns = {a for c in changes for a in c.values} | {"version", *spec.refuse_fields}
    if has_custom:
        columns.add("custom_field_data")
    rows = {
        r["pk"]: r
        for r in model.all_objects.filter(pk__in=editable, deleted_at__isnull=True).values("pk", *columns)  # type: ignore[attr-defined]
    }
    phones: dict[int, set[str]] = {}
    phone_rows = spec.phone_model._default_manager.filter(**{f"{spec.phone_fk}__in": list(rows)})
    for pk, e164 in phone_rows.values_list(spec.phone_fk, "e164"):
        phones.setdefault(pk, set()).add(e164)
    emails: dict[int, set[str]] = {}
    email_rows = spec.email_model._default_manager.filter(**{f"{spec.email_fk}__in": list(rows)})
    for pk, address in email_rows.values_list(spec.email_fk, "address_key"):
        emails.setdefault(pk, set()).add(address)
    tags: dict[int, set[int]] = {}
    if spec.tags and any(c.tags for c in changes):
        through: Any = model._meta.get_field("tags").remote_field.through  # type: ignore[union-attr]
        source = f"{model._meta.model_name}_id"
        for pk, tag in through.objects.filter(**{f"{source}__in": list(rows)}).values_list(source, "tag_id"):
            tags.setdefault(pk, set()).add(tag)
    changing: set[int] = set()
    for change in changes:
        row = rows.get(change.record_id)
        if row is None:
            result.no_access.append(change.ref)
        elif (reason := spec.refuse(row)) is not None:
            result.refused.append((change.ref, reason))
        elif change.version is not None and row["version"] != change.version:
            result.stale.append(change.ref)
        elif (
            change.replace
            or any(row[a] != v for a, v in change.values.items())
            or any(v is not None and row["custom_field_data"].get(k) != v for k, v in change.custom.items())
            or any(e not in phones.get(change.record_id, ()) for _n, e, *_l in change.phones or ())
            or any(a.lower() not in emails.get(change.record_id, ()) for a in change.emails or ())
            or any(t not in tags.get(change.record_id, ()) for t, _name in change.tags or ())
        ):
            changing.add(change.record_id)
        else:
            result.unchanged.append(change.ref)
            result.versions[change.record_id] = row["version"]
    return changing


class _Children:
    """Phones, emails and tags to write for a record, and what the event says about them."""

    def __init__(self) -> None:
        self.phones: list[list[Any]] | None = None  # rows to insert; not None when something is written
        self.emails: list[list[Any]] | None = None
        self.tags: list[int] | None = None
        self.replace = False
        self.changed: dict[str, list[Any]] = {}

    def write(self, spec: Spec, pk: int) -> None:
        label_column = ["label"] if spec.phone_label else []
        if self.phones is not None:
            if self.replace:
                spec.phone_model._default_manager.filter(**{spec.phone_fk: pk}).delete()
            rows = [[pk, *row] if spec.phone_label else [pk, *row[:3]] for row in self.phones]
            Insert(
                spec.phone_model, [spec.phone_fk, "number", "e164", "position", *label_column], rows
            ).write()
        if self.emails is not None:
            if self.replace:
                spec.email_model._default_manager.filter(**{spec.email_fk: pk}).delete()
            rows = [[pk, *row] for row in self.emails]
            Insert(spec.email_model, [spec.email_fk, "address", "address_key", "position"], rows).write()
        if self.tags is not None:
            if self.replace:
                through: Any = spec.model._meta.get_field("tags").remote_field.through  # type: ignore[union-attr]
                through.objects.filter(**{f"{spec.model._meta.model_name}_id": pk}).delete()
            tags_insert(spec.model, [(pk, t) for t in self.tags]).write()


def _apply(
    spec: Spec, obj: Any, change: Change
) -> tuple[dict[str, list[Any]], _Children, dict[str, Any], set[str]] | None:
    """Set the change on `obj` (in memory); None when nothing would change."""
    probe = copy.copy(obj)
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
            if value is not None:
                merged[key] = value
        if merged != obj.custom_field_data:
            before["fields"]["custom_field_data"] = obj.custom_field_data
            probe.custom_field_data = merged
            columns.add("custom_field_data")
    children = _Children()
    children.replace = change.replace
    phones = list(obj.phones.all())
    numbers = [p.e164 for p in phones]
    wanted = list(change.phones or ())
    if change.replace and change.phones is not None:
        if [(p.number, p.e164) for p in phones] != [(n, e) for n, e, *_l in wanted]:
            before["phones"] = [[p.number, p.e164, getattr(p, "label", "")] for p in phones]
            children.changed["phones"] = [[p.number for p in phones], [n for n, *_rest in wanted]]
            children.phones = [
                [n, e, i, (rest[0] if rest else "") or "mobile"] for i, (n, e, *rest) in enumerate(wanted)
            ]
        numbers = [e for _n, e, *_l in wanted]
    elif not change.replace:
        new_phones = [(n, e) for n, e, *_l in wanted if e not in numbers]
        if new_phones:
            before["phones"] = [[p.number, p.e164, getattr(p, "label", "")] for p in phones]
            children.changed["phones"] = [
                [p.number for p in phones],
                [p.number for p in phones] + [n for n, _e in new_phones],
            ]
            children.phones = [[n, e, len(phones) + i, "mobile"] for i, (n, e) in enumerate(new_phones)]
            numbers = numbers + [e for _n, e in new_phones]
    emails = list(obj.emails.all())
    addresses = [e.address for e in emails]
    given = list(change.emails or ())
    if change.replace and change.emails is not None:
        if addresses != given:
            before["emails"] = addresses
            children.changed["emails"] = [addresses, given]
            children.emails = [[a, a.lower(), i] for i, a in enumerate(given)]
        addresses = given
    elif not change.replace:
        known = {e.address_key for e in emails}
        new_emails = [a for a in given if a.lower() not in known]
        if new_emails:
            before["emails"] = addresses
            children.changed["emails"] = [addresses, addresses + new_emails]
            children.emails = [[a, a.lower(), len(emails) + i] for i, a in enumerate(new_emails)]
            addresses = addresses + new_emails
    if spec.tags and change.tags is not None:
        current_tags = {t.pk: t.name for t in obj.tags.all()}
        if change.replace:
            wanted_tags = dict(change.tags)
            if set(wanted_tags) != set(current_tags):
                before["tags"] = sorted(current_tags)
                children.changed["tags"] = [sorted(current_tags.values()), sorted(wanted_tags.values())]
                children.tags = list(wanted_tags)
        else:
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
    for attname, value in spec.derive(vars(probe), numbers, addresses).items():
        if getattr(probe, attname) != value:
            setattr(probe, attname, value)
            columns.add(attname)
    changed = diff_changes(snapshot(obj), snapshot(probe))  # obj still holds the values before
    for attname in columns:
        setattr(obj, attname, getattr(probe, attname))
    return changed, children, before, columns


def _execute_updates(model: type[models.Model], writes: dict[tuple[str, ...], list[list[Any]]]) -> None:
    """One executemany per set of columns written: [values…, id] rows."""
    qn = connection.ops.quote_name
    fields = {f.attname: f for f in model._meta.concrete_fields}
    for cols, rows in writes.items():
        if not rows:
            continue
        convert = [converter(fields[c]) for c in cols]
        sets = ", ".join(f"{qn(cast(str, fields[c].column))} = %s" for c in cols)  # concrete: a column
        sql = f"UPDATE {qn(model._meta.db_table)} SET {sets} WHERE id = %s"  # noqa: S608 - our own columns
        params = [[fn(v) for fn, v in zip(convert, row[:-1], strict=True)] + [row[-1]] for row in rows]
        with connection.cursor() as cursor:
            cursor.executemany(sql, params)


class _Labels:
    """Readable names of changed foreign keys for the audit trail (each related record read once a batch),
    as `diff.fk_labels` gives them to `record_update`."""

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


def delete(
    model: type[models.Model],
    *,
    actor: Any,
    ids: list[int],
    versions: Mapping[int, int] | None,
    actor_label: str,
    extra: Mapping[str, Any],
    action: str,
) -> BulkResult:
    """Move the records the actor may act on (`action` scope) to the trash, each only if it is still at
    the version given in `versions` (else stale); one `.deleted` event each, like `record_delete`'s."""
    result = BulkResult()
    if not ids:
        return result
    allowed = access.visible_ids(actor, model, ids, action)
    qs = model.all_objects.select_for_update().filter(pk__in=allowed, deleted_at__isnull=True)  # type: ignore[attr-defined]
    current = {obj.pk: obj for obj in qs}
    events = EventRows(model, actor=actor, actor_label=actor_label, extra=extra)
    now = timezone.now()
    actor_id = actor.pk if getattr(actor, "pk", None) else None
    rows = []
    for pk in ids:
        obj = current.get(pk)
        if obj is None:
            result.no_access.append(pk)
            continue
        if versions is not None and obj.version != versions.get(pk, obj.version):
            result.stale.append(pk)
            continue
        obj.deleted_at, obj.deleted_by_id = now, actor_id
        obj.version += 1
        rows.append([now, actor_id, obj.version, pk])
        events.add(f"{prefix(model)}.deleted", pk, str(obj), obj.version, {"record": snapshot(obj)})
        result.deleted.append(pk)
        result.versions[pk] = obj.version
    _execute_updates(model, {("deleted_at", "deleted_by_id", "version"): rows})
    result.events = events.write()
    return result
