"""Undoing an import, batch by batch, through the spine's bulk form: records it created go to the trash
(`record_bulk_delete`), records it updated get their previous values, phones, emails and tags back
(`record_bulk_update` with `replace`) — but only those nobody has changed since (their version is still
the one the import left); the others are kept and counted. The events are the services' delete and
update events, marked `undo`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import models, transaction

from sencrm.core.models import Record
from sencrm.core.modules import Action
from sencrm.events.bulk import Change
from sencrm.events.services import record_bulk_delete, record_bulk_update


@dataclass
class UndoResult:
    removed: int = 0
    restored: int = 0
    kept: int = 0  # changed since the import, or no longer editable by the importer


@transaction.atomic
def undo_batch(
    model: type[Record],
    *,
    actor: Any,
    job: Any,
    created_ids: list[int],
    updated: dict[str, Any],
    versions: dict[int, int],
) -> UndoResult:
    """Undo one batch (an ImportChunk). `versions` carries the version each record has after the undo so
    far (a record created by the import and updated by a later row of it is restored first, then
    removed); it is brought up to date here."""
    result = UndoResult()
    common: dict[str, Any] = {
        "actor": actor,
        "actor_label": job.actor_label,
        "extra_data": {"import": job.pk, "file": job.file_name, "undo": True},
        # Taking back what one's own import wrote needs the import right, not the delete right.
        "action": Action.IMPORT,
    }
    changes = _restoring_changes(model, updated, versions)
    if changes:
        restored = record_bulk_update(model, changes=changes, **common)
        result.restored = len(restored.updated) + len(restored.unchanged)
        result.kept += len(restored.no_access) + len(restored.stale) + len(restored.refused)
        versions.update(restored.versions)
    if created_ids:
        expected = {pk: versions.get(pk, 1) for pk in created_ids}  # an import creates at version 1
        removed = record_bulk_delete(model, ids=list(created_ids), versions=expected, **common)
        result.removed = len(removed.deleted)
        result.kept += len(removed.no_access) + len(removed.stale)
        versions.update(removed.versions)
    return result


def _restoring_changes(
    model: type[models.Model], updated: dict[str, Any], versions: dict[int, int]
) -> list[Change]:
    """Changes putting back what the undo log (ImportChunk.updated) says each record was."""
    fields = {f.attname: f for f in model._meta.concrete_fields}
    tag_ids = {t for info in updated.values() for t in info["before"].get("tags", ())}
    tag_names: dict[int, str] = {}
    if tag_ids:
        tag_model: Any = model._meta.get_field("tags").related_model
        tag_names = dict(tag_model.objects.filter(pk__in=tag_ids).values_list("pk", "name"))
    changes = []
    for key, info in updated.items():
        pk = int(key)
        before = info["before"]
        values = {
            attname: value if attname == "custom_field_data" else fields[attname].to_python(value)
            for attname, value in before.get("fields", {}).items()
        }
        changes.append(
            Change(
                ref=pk,
                record_id=pk,
                values=values,
                phones=[tuple(p) for p in before["phones"]] if "phones" in before else None,
                emails=list(before["emails"]) if "emails" in before else None,
                tags=[(t, tag_names[t]) for t in before["tags"] if t in tag_names]
                if "tags" in before
                else None,
                replace=True,
                version=versions.get(pk, info["version"]),
            )
        )
    return changes
