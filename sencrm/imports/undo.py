"""Undoing an import, batch by batch: records it created go to the trash, records it updated get their
previous values back — but only those nobody has changed since (their version is still the one the
import left); the others are kept and counted. Writes events like the services' delete and update."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from sencrm.core import access
from sencrm.core.modules import Action
from sencrm.events.diff import changes as diff_changes
from sencrm.events.diff import snapshot
from sencrm.imports.bulk import EventRows, Kind, _complete, _insert_tags, insert, prefix
from sencrm.imports.changes import _execute_updates, _Labels


@dataclass
class UndoResult:
    removed: int = 0
    restored: int = 0
    kept: int = 0  # changed since the import, or no longer editable by the importer


def undo_batch(
    kind: Kind,
    *,
    actor: Any,
    job: Any,
    created_ids: list[int],
    updated: dict[str, Any],
    versions: dict[int, int],
) -> UndoResult:
    """`versions` carries the version each record has after the undo so far (a record created by the
    import and updated by a later row of it is restored first, then removed)."""
    result = UndoResult()
    events = EventRows(kind.model, actor, job, undo=True)
    _restore(kind, actor, updated, versions, result, events)
    _remove(kind, actor, created_ids, versions, result, events)
    events.write()
    return result


def _restore(
    kind: Kind,
    actor: Any,
    updated: dict[str, Any],
    versions: dict[int, int],
    result: UndoResult,
    events: EventRows,
) -> None:
    model = kind.model
    if not updated:
        return
    ids = [int(pk) for pk in updated]
    editable = set(access.scope(actor, model, Action.EDIT).filter(pk__in=ids).values_list("pk", flat=True))
    related = ["phones", "emails", *(["tags"] if kind.tags else [])]
    qs = model.all_objects.select_for_update().filter(pk__in=editable, deleted_at__isnull=True)  # type: ignore[attr-defined]
    current = {obj.pk: obj for obj in qs.prefetch_related(*related)}
    fields = {f.attname: f for f in model._meta.concrete_fields}
    labels = _Labels(model)
    writes: dict[tuple[str, ...], list[list[Any]]] = {}
    now = timezone.now()
    for key, info in updated.items():
        pk = int(key)
        obj = current.get(pk)
        if obj is None or obj.version != versions.get(pk, info["version"]):
            result.kept += 1
            continue
        before = info["before"]
        old_snapshot = snapshot(obj)
        columns = set()
        for attname, value in before.get("fields", {}).items():
            setattr(
                obj, attname, value if attname == "custom_field_data" else fields[attname].to_python(value)
            )
            columns.add(attname)
        children: dict[str, list[Any]] = {}
        phones = [[p.number, p.e164] for p in obj.phones.all()]
        emails = [e.address for e in obj.emails.all()]
        if "phones" in before:
            kind.phone_model.objects.filter(**{kind.phone_fk: pk}).delete()  # type: ignore[attr-defined]
            rows = [
                {
                    "id": None,
                    kind.phone_fk: pk,
                    "number": n,
                    "e164": e,
                    "position": i,
                    **({"label": label or "mobile"} if kind.phone_label else {}),
                }
                for i, (n, e, label) in enumerate(before["phones"])
            ]
            insert(kind.phone_model, [_complete(kind.phone_model, r) for r in rows], with_id=False)
            children["phones"] = [[n for n, _e in phones], [p[0] for p in before["phones"]]]
            phones = [[p[0], p[1]] for p in before["phones"]]
        if "emails" in before:
            kind.email_model.objects.filter(**{kind.email_fk: pk}).delete()  # type: ignore[attr-defined]
            rows = [
                {"id": None, kind.email_fk: pk, "address": a, "address_key": a.lower(), "position": i}
                for i, a in enumerate(before["emails"])
            ]
            insert(kind.email_model, [_complete(kind.email_model, r) for r in rows], with_id=False)
            children["emails"] = [emails, list(before["emails"])]
            emails = list(before["emails"])
        if kind.tags and "tags" in before:
            names = dict(obj.tags.values_list("pk", "name"))
            obj.tags.through.objects.filter(**{f"{model._meta.model_name}_id": pk}).delete()
            _insert_tags(model, [(pk, t) for t in before["tags"]])
            kept_names = sorted(
                dict(obj.tags.model.objects.filter(pk__in=before["tags"]).values_list("pk", "name")).values()
            )
            children["tags"] = [sorted(names.values()), kept_names]
        values = {a: getattr(obj, a) for a in fields}
        for attname, value in kind.derive(values, [e for _n, e in phones], emails).items():
            setattr(obj, attname, value)
            columns.add(attname)
        changed = {**diff_changes(old_snapshot, snapshot(obj)), **children}
        obj.version += 1
        obj.updated_at, obj.updated_by_id = now, actor.pk
        versions[pk] = obj.version
        cols = tuple(sorted({*columns, "version", "updated_at", "updated_by_id"}))
        writes.setdefault(cols, []).append([getattr(obj, c) for c in cols] + [pk])
        events.add(
            f"{prefix(model)}.updated",
            pk,
            str(obj),
            obj.version,
            {"changes": changed, "labels": labels.of(obj, changed)},
        )
        result.restored += 1
    _execute_updates(model, writes)


def _remove(
    kind: Kind, actor: Any, ids: list[int], versions: dict[int, int], result: UndoResult, events: EventRows
) -> None:
    model = kind.model
    if not ids:
        return
    editable = set(access.scope(actor, model, Action.EDIT).filter(pk__in=ids).values_list("pk", flat=True))
    qs = model.all_objects.select_for_update().filter(pk__in=editable, deleted_at__isnull=True)  # type: ignore[attr-defined]
    current = {obj.pk: obj for obj in qs}
    now = timezone.now()
    rows = []
    for pk in ids:
        obj = current.get(pk)
        if obj is None or obj.version != versions.get(pk, 1):
            result.kept += 1
            continue
        obj.deleted_at, obj.deleted_by_id = now, actor.pk
        obj.version += 1
        rows.append([now, actor.pk, obj.version, pk])
        events.add(f"{prefix(model)}.deleted", pk, str(obj), obj.version, {"record": snapshot(obj)})
        result.removed += 1
    _execute_updates(model, {("deleted_at", "deleted_by_id", "version"): rows})
