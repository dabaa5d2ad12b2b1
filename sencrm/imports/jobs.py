"""The life of an import job: upload → mapping → preview (background analysis) → run (background) →
report → undo (background); also used by the command line. Only the job's creator acts on it."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from sencrm.core.text import clean_text
from sencrm.imports import detect, files, runner
from sencrm.imports.fields import (
    MATCH_KEYS,
    REQUIRED_FIELDS,
    REQUIRED_NAME,
    field_specs,
    header_key,
    propose_mapping,
    template_mapping,
)
from sencrm.imports.models import DedupeMode, ImportJob, ImportMapping, ImportStatus, ImportTarget

log = logging.getLogger(__name__)
NOT_STARTED = (ImportStatus.UPLOADED, ImportStatus.ANALYSING, ImportStatus.READY)
FINISHED = (ImportStatus.DONE, ImportStatus.CANCELLED, ImportStatus.FAILED)


def source_path(job: ImportJob, path: Path | None = None) -> Path:
    if path is not None:
        return path
    return files.stored_path(job.stored_name)


def _apply_layout(job: ImportJob, layout: detect.Layout, template: ImportMapping | None = None) -> None:
    job.encoding, job.delimiter, job.sheet = layout.encoding, layout.delimiter, layout.sheet
    job.header_row, job.columns, job.warnings = layout.header_row, layout.columns, layout.warnings
    job.rows_total = layout.rows_estimate
    job.preview = {"sample": layout.sample}
    specs = field_specs(job.target)
    if template is not None:
        job.mapping = template_mapping(layout.columns, template.columns, specs)
        job.dedupe_mode, job.match_keys = (
            template.dedupe_mode,
            list(template.match_keys or MATCH_KEYS[job.target]),
        )
    else:
        job.mapping = propose_mapping(layout.columns, specs)


def job_create(
    *,
    user: Any,
    target: str,
    file_name: str,
    upload: IO[bytes] | None = None,
    size: int = 0,
    path: Path | None = None,
    encoding: str = "",
    template: ImportMapping | None = None,
) -> ImportJob:
    """A job for an uploaded file (stored under DATA_DIR/imports) or a file on disk (the command line).

    Raises PermissionDenied (no import right) or files.UploadRefused (name, size or content refused).
    """
    runner.check_rights(user, target)
    if target not in ImportTarget.values:
        raise files.UploadRefused(_("Unknown record type."))
    stored = ""
    if upload is None and path is None:
        raise files.UploadRefused(_("No file."))
    if upload is not None:
        stored, kind = files.store_upload(upload, file_name, size)
        source = files.stored_path(stored)
    elif path is not None:
        kind = files.check_content(path, files.kind_from_name(path.name))
        source = path
    try:
        layout = detect.detect_layout(source, kind, target, encoding=encoding)
    except Exception as exc:  # a damaged workbook or file: say so, never a 500
        files.delete_stored(stored)
        log.info("import: unreadable file %s: %s", file_name, exc)
        raise files.UploadRefused(_("The file cannot be read: is it a valid CSV or Excel file?")) from exc
    job = ImportJob(
        created_by=user,
        target=target,
        file_name=files.display_name(file_name),
        stored_name=stored,
        file_size=source.stat().st_size,
        file_kind=kind,
        match_keys=list(MATCH_KEYS[target]),
    )
    _apply_layout(job, layout, template)
    job.save()
    return job


def job_relayout(
    job: ImportJob,
    *,
    encoding: str = "",
    delimiter: str = "",
    sheet: str = "",
    header_row: int | None = None,
    path: Path | None = None,
) -> None:
    """Read the file again with the settings the user chose (encoding, delimiter, sheet, header row)."""
    layout = detect.detect_layout(
        source_path(job, path),
        job.file_kind,
        job.target,
        encoding=encoding,
        delimiter=delimiter,
        sheet=sheet,
        header_row=header_row,
    )
    _apply_layout(job, layout)
    job.status = ImportStatus.UPLOADED
    job.save()


def clean_mapping(job: ImportJob, mapping: list[str], dedupe_mode: str, match_keys: list[str]) -> list[str]:
    """The mapping as chosen, checked: known fields, single-valued ones once, a name column."""
    specs = {s.key: s for s in field_specs(job.target)}
    mapping = [m if m in specs else "" for m in mapping][: len(job.columns)]
    mapping += [""] * (len(job.columns) - len(mapping))
    errors = []
    used = [m for m in mapping if m]
    for key in sorted({m for m in used if used.count(m) > 1 and not specs[m].multi}):
        errors.append(_("“%(field)s” is chosen for several columns.") % {"field": specs[key].label})
    name = REQUIRED_NAME[job.target]
    people = job.target in (ImportTarget.CONTACTS, ImportTarget.LEADS)
    if name not in used and not ({"family_name", "given_name"} & set(used) and people):
        errors.append(_("Choose the column that holds the name (%(field)s).") % {"field": specs[name].label})
    if "code" in REQUIRED_FIELDS.get(job.target, ()) and "code" not in used:
        errors.append(
            _("Choose the column that holds the code (%(field)s).") % {"field": specs["code"].label}
        )
    if dedupe_mode not in DedupeMode.values:
        errors.append(_("Choose what to do with duplicates."))
    if any(k not in MATCH_KEYS[job.target] for k in match_keys):
        errors.append(_("Unknown duplicate key."))
    if errors:
        raise ValidationError(errors)
    return mapping


def job_set_mapping(
    job: ImportJob,
    *,
    mapping: list[str],
    dedupe_mode: str,
    match_keys: list[str],
    reject_warnings: bool | None = None,
) -> None:
    job.mapping = clean_mapping(job, mapping, dedupe_mode, match_keys)
    job.dedupe_mode, job.match_keys = dedupe_mode, match_keys
    if reject_warnings is not None:
        job.reject_warnings = reject_warnings
    job.status, job.preview = ImportStatus.ANALYSING, {"sample": job.preview.get("sample", [])}
    job.rows_read = 0
    job.save()
    from sencrm.imports.tasks import import_analyse

    transaction.on_commit(lambda: import_analyse(job.pk))


def template_save(*, user: Any, job: ImportJob, name: str) -> ImportMapping:
    """Save the job's mapping under a name (shared: colleagues importing the same kind of file reuse it)."""
    name = clean_text(name)[:80]
    if not name:
        raise ValidationError(_("Give the mapping a name."))
    columns = {header_key(c): m for c, m in zip(job.columns, job.mapping, strict=False) if header_key(c)}
    existing = ImportMapping.objects.filter(target=job.target, name=name).first()
    if existing is not None and existing.created_by_id not in (user.pk, None) and not user.is_superuser:
        raise ValidationError(_("Another user's mapping has this name; choose another name."))
    template, _created = ImportMapping.objects.update_or_create(
        target=job.target,
        name=name,
        defaults={
            "columns": columns,
            "dedupe_mode": job.dedupe_mode,
            "match_keys": job.match_keys,
            "created_by": existing.created_by if existing else user,
        },
    )
    return template


def template_apply(job: ImportJob, template: ImportMapping) -> None:
    job.mapping = template_mapping(job.columns, template.columns, field_specs(job.target))
    job.dedupe_mode, job.match_keys = (
        template.dedupe_mode,
        list(template.match_keys or MATCH_KEYS[job.target]),
    )
    job.save(update_fields=["mapping", "dedupe_mode", "match_keys"])


def job_start(job: ImportJob) -> None:
    if job.status not in NOT_STARTED:
        raise ValidationError(_("This import has already been started."))
    job.status = ImportStatus.QUEUED
    job.save(update_fields=["status"])
    from sencrm.imports.tasks import import_run

    transaction.on_commit(lambda: import_run(job.pk))


def job_cancel(job: ImportJob) -> None:
    """Stop after the batch being written (what was written stays, and can be undone)."""
    if job.status in NOT_STARTED + (ImportStatus.QUEUED,):
        ImportJob.objects.filter(pk=job.pk).update(
            status=ImportStatus.CANCELLED, cancel_requested=True, finished_at=timezone.now()
        )
        files.delete_stored(job.stored_name)
    elif job.status == ImportStatus.RUNNING:
        ImportJob.objects.filter(pk=job.pk).update(cancel_requested=True)
    job.refresh_from_db()


def job_undo(job: ImportJob) -> None:
    if job.status not in FINISHED or not (job.created or job.updated):
        raise ValidationError(_("There is nothing to undo in this import."))
    job.status = ImportStatus.UNDOING
    job.save(update_fields=["status"])
    from sencrm.imports.tasks import import_undo

    transaction.on_commit(lambda: import_undo(job.pk))


def run_undo(job: ImportJob, actor: Any) -> dict[str, int]:
    """Undo batch by batch, newest first, each in its own transaction (through the spine's bulk form)."""
    from sencrm.imports import products
    from sencrm.imports.undo import undo_batch

    runner.check_rights(actor, job.target)
    model = runner.target_model(job.target)
    totals = {"removed": 0, "restored": 0, "kept": 0}
    versions: dict[int, int] = {}
    for chunk in job.chunks.order_by("-id").iterator(chunk_size=20):
        common: dict[str, Any] = {
            "actor": actor,
            "job": job,
            "created_ids": chunk.created_ids,
            "updated": chunk.updated,
            "versions": versions,
        }
        if job.target == ImportTarget.PRODUCTS:  # written through the catalogue's services: undone so too
            result = products.undo_batch(**common)
        else:
            result = undo_batch(model, **common)
        for name in totals:
            totals[name] += getattr(result, name)
        ImportJob.objects.filter(pk=job.pk).update(undo_result=totals, heartbeat_at=timezone.now())
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportStatus.UNDONE, undo_result=totals, finished_at=timezone.now()
    )
    return totals
