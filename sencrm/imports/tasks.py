"""Background jobs of imports: analyse a file for the preview, run the import, undo it; thin wrappers
that re-fetch the job, act as the user who started it (their language and time zone) and record a
failure on the job instead of losing it."""

from __future__ import annotations

import datetime as dt
import logging
import zoneinfo
from collections.abc import Callable
from typing import Any

from django.utils import timezone, translation
from django.utils.translation import gettext as _
from huey import crontab

from sencrm.core.background import db_periodic_task, db_task
from sencrm.imports.models import ImportJob, ImportStatus

log = logging.getLogger(__name__)
STALE_AFTER = dt.timedelta(minutes=15)
KEEP_UNSTARTED = dt.timedelta(hours=24)


def _as_user(job: ImportJob, work: Callable[[], Any]) -> Any:
    user = job.created_by
    try:
        zone = zoneinfo.ZoneInfo(user.time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = zoneinfo.ZoneInfo("Asia/Ho_Chi_Minh")
    with translation.override(user.language or "vi"), timezone.override(zone):
        return work()


def _fail(job_id: int, message: str) -> None:
    ImportJob.objects.filter(pk=job_id).update(
        status=ImportStatus.FAILED, error_message=message, finished_at=timezone.now()
    )


@db_task(retries=0)
def import_analyse(job_id: int) -> None:
    from sencrm.imports import jobs, runner

    job = (
        ImportJob.objects.select_related("created_by")
        .filter(pk=job_id, status=ImportStatus.ANALYSING)
        .first()
    )
    if job is None:
        return
    try:
        counts = _as_user(job, lambda: runner.analyse(job, job.created_by, jobs.source_path(job)))
    except Exception:
        log.exception("import %s: analysis failed", job_id)
        _fail(job_id, _("The file could not be read to the end."))
        return
    counts["sample"] = job.preview.get("sample", [])
    ImportJob.objects.filter(pk=job_id, status=ImportStatus.ANALYSING).update(
        status=ImportStatus.READY, preview=counts, rows_total=counts["total"], rows_read=0
    )


def _notify_done(job: ImportJob) -> None:
    """The importer may have left the page: the report is one click away."""
    from django.urls import reverse

    from sencrm.events.services import notification_create

    notification_create(
        recipient_id=job.created_by_id,
        kind="import_done",
        params={
            "file": job.file_name,
            "cancelled": job.status == ImportStatus.CANCELLED,
            **{name: getattr(job, name) for name in ("created", "updated", "skipped", "rejected")},
        },
        url=reverse("imports:import_job", args=[job.pk]),
    )


@db_task(retries=0)
def import_run(job_id: int) -> None:
    from sencrm.imports import files, jobs, runner

    job = ImportJob.objects.select_related("created_by").filter(pk=job_id).first()
    if job is None or job.status not in (ImportStatus.QUEUED, ImportStatus.RUNNING):
        return
    try:
        done = _as_user(job, lambda: runner.run(job, job.created_by, jobs.source_path(job)))
        if done is not None and job.created_by_id:
            _notify_done(done)
    except Exception:
        log.exception("import %s failed", job_id)
        _fail(job_id, _("The import stopped because of an error; the rows written so far can be undone."))
    files.delete_stored(job.stored_name)  # the upload is not kept once the import is over
    ImportJob.objects.filter(pk=job_id).update(stored_name="")


@db_task(retries=0)
def import_undo(job_id: int) -> None:
    from sencrm.imports import jobs

    job = (
        ImportJob.objects.select_related("created_by").filter(pk=job_id, status=ImportStatus.UNDOING).first()
    )
    if job is None:
        return
    try:
        _as_user(job, lambda: jobs.run_undo(job, job.created_by))
    except Exception:
        log.exception("import %s: undo failed", job_id)
        _fail(job_id, _("Undoing the import stopped because of an error; try again."))


@db_periodic_task(crontab(minute="*/10"))
def imports_housekeeping() -> None:
    """Resume imports whose worker died (once), and delete uploads nobody started within a day."""
    from sencrm.imports import files

    now = timezone.now()
    for job in ImportJob.objects.filter(status=ImportStatus.RUNNING, heartbeat_at__lt=now - STALE_AFTER):
        if job.error_message:
            _fail(job.pk, _("The import was interrupted; the rows written so far can be undone."))
        else:
            ImportJob.objects.filter(pk=job.pk).update(error_message=_("Resumed after an interruption."))
            import_run(job.pk)
    stale = ImportJob.objects.filter(
        status__in=[ImportStatus.UPLOADED, ImportStatus.READY], created_at__lt=now - KEEP_UNSTARTED
    ).exclude(stored_name="")
    for job in stale:
        files.delete_stored(job.stored_name)
        ImportJob.objects.filter(pk=job.pk).update(
            stored_name="", status=ImportStatus.CANCELLED, finished_at=now
        )
