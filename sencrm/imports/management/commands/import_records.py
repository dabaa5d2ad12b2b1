"""python manage.py import_records contacts|accounts|leads FILE --as USERNAME [--mapping NAME]
[--dedupe update|skip|create] [--reject-warnings]

Imports synchronously as that user (records owned by them, access-checked as them), prints the
report, and exits with status 1 when rows were rejected, 2 when the import could not run at all.
"""

from __future__ import annotations

import zoneinfo
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone, translation

from sencrm.imports import files, jobs, runner
from sencrm.imports.fields import MATCH_KEYS
from sencrm.imports.models import DedupeMode, ImportMapping, ImportStatus, ImportTarget

SHOWN_ERRORS = 50


class Command(BaseCommand):
    help = "Import contacts, accounts or leads from a CSV or XLSX file."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("target", choices=ImportTarget.values)
        parser.add_argument("file")
        parser.add_argument("--as", dest="username", required=True, help="import as this user")
        parser.add_argument("--mapping", help="a saved column mapping (by name)")
        parser.add_argument("--dedupe", choices=DedupeMode.values, help="what to do with duplicates")
        parser.add_argument(
            "--match", help="comma-separated keys to match duplicates on (id, phone, email, tax_code)"
        )
        parser.add_argument("--encoding", default="", help="the file's encoding (default: detected)")
        parser.add_argument(
            "--reject-warnings",
            action="store_true",
            help="reject rows with a value that cannot be placed (unknown province, bad date…) "
            "instead of importing them with a warning",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        from sencrm.users.models import User

        user = User.objects.filter(username=options["username"], is_active=True).first()
        if user is None:
            raise CommandError(f"No active user {options['username']!r}.", returncode=2)
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"No such file: {path}", returncode=2)
        target = options["target"]
        template = None
        if options["mapping"]:
            template = ImportMapping.objects.filter(target=target, name=options["mapping"]).first()
            if template is None:
                raise CommandError(f"No saved {target} mapping named {options['mapping']!r}.", returncode=2)
        try:
            zone = zoneinfo.ZoneInfo(user.time_zone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            zone = zoneinfo.ZoneInfo("Asia/Ho_Chi_Minh")
        with translation.override(user.language or "vi"), timezone.override(zone):
            job = self._run(user, target, path, template, options)
        self._report(job)
        if job.status == ImportStatus.FAILED:
            raise CommandError(job.error_message or "The import failed.", returncode=2)
        if job.rejected:
            raise CommandError(f"{job.rejected} rows were rejected.", returncode=1)

    def _run(self, user: Any, target: str, path: Path, template: Any, options: dict[str, Any]) -> Any:
        try:
            job = jobs.job_create(
                user=user,
                target=target,
                file_name=path.name,
                path=path,
                encoding=options["encoding"],
                template=template,
            )
        except PermissionDenied as exc:
            raise CommandError(f"{user.username} may not import {target}.", returncode=2) from exc
        except files.UploadRefused as exc:
            raise CommandError(str(exc), returncode=2) from exc
        mode = options["dedupe"] or (template.dedupe_mode if template else DedupeMode.SKIP)
        keys = options["match"].split(",") if options["match"] else job.match_keys or MATCH_KEYS[target]
        try:
            job.mapping = jobs.clean_mapping(job, job.mapping, mode, keys)
        except ValidationError as exc:
            job.status = ImportStatus.FAILED
            job.save(update_fields=["status"])
            columns = ", ".join(
                f"{c or '?'} → {m or '-'}" for c, m in zip(job.columns, job.mapping, strict=False)
            )
            raise CommandError(f"{' '.join(exc.messages)} Columns: {columns}", returncode=2) from exc
        job.dedupe_mode, job.match_keys, job.status = mode, keys, ImportStatus.QUEUED
        job.reject_warnings = bool(options.get("reject_warnings"))
        job.save()
        self.stdout.write(f"Import #{job.pk}: {path.name} → {target}, as {user.username}, duplicates: {mode}")
        try:
            return runner.run(job, user, path)
        except Exception as exc:  # recorded on the job: what was written can be undone from the web page
            job.status, job.error_message = ImportStatus.FAILED, f"{type(exc).__name__}: {exc}"
            job.save(update_fields=["status", "error_message"])
            return job

    def _report(self, job: Any) -> None:
        out = self.stdout
        out.write(
            f"{job.get_status_display()}: {job.rows_read} rows read — {job.created} created, "
            f"{job.updated} updated, {job.skipped} skipped, {job.rejected} rejected"
            + (f", {job.warned} with warnings" if job.warned else "")
            + (f" ({job.empty_rows} empty rows ignored)" if job.empty_rows else "")
        )
        if job.skip_reasons:
            out.write("Skipped: " + ", ".join(f"{k} {n}" for k, n in job.skip_reasons.items()))
        for error in job.row_errors.order_by("line")[:SHOWN_ERRORS]:
            kind = "skipped" if error.skipped else "warning" if error.warning else "rejected"
            out.write(f"  row {error.line} ({kind}): {error.message}")
        if job.rejected > SHOWN_ERRORS:
            out.write(f"  … and more: the rejected rows file is on the import's page, /imports/{job.pk}/")
