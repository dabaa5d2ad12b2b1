"""The import wizard: upload → columns → preview → progress → report (and undo).

Only users with the import right of the record type's module may import (403 otherwise); a job and its
rejected-rows and warnings files are visible to their creator and administrators only (404 for anyone else).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from sencrm.core import access
from sencrm.core.export import csv_response, xlsx_response
from sencrm.core.modules import Action, Module
from sencrm.imports import files, jobs, runner
from sencrm.imports.detect import column_label
from sencrm.imports.forms import LayoutForm, MappingForm, UploadForm
from sencrm.imports.models import ImportJob, ImportMapping, ImportRowError, ImportStatus, ImportTarget
from sencrm.imports.preview import preview_rows
from sencrm.imports.runner import SKIP_REASONS

if TYPE_CHECKING:
    from sencrm.users.models import User

LIST_URLS = {
    "contacts": "customers:contact_list",
    "accounts": "customers:account_list",
    "leads": "sales:lead_list",
    "products": "catalog:product_list",
}
ACTIVE = (ImportStatus.ANALYSING, ImportStatus.QUEUED, ImportStatus.RUNNING, ImportStatus.UNDOING)
REPORT_ERRORS = 200


def _is_admin(user: Any) -> bool:
    return bool(user.is_superuser or access.can(user, Module.ADMIN, Action.VIEW))


def _job(request: HttpRequest, pk: int) -> ImportJob:
    """The job if it is the user's (or they administer the CRM); 404 otherwise (ids are not revealed)."""
    job = get_object_or_404(ImportJob.objects.select_related("created_by"), pk=pk)
    if job.created_by_id != request.user.pk and not _is_admin(request.user):
        raise Http404(_("The record does not exist or you do not have access to it."))
    return job


def _own_job(request: HttpRequest, pk: int) -> ImportJob:
    """A job to act on (not only look at): its creator's, who must still hold the import right."""
    job = _job(request, pk)
    if job.created_by_id != request.user.pk:
        raise PermissionDenied(_("Only the person who started this import may change it."))
    runner.check_rights(request.user, job.target)
    return job


def _target(target: str) -> str:
    if target not in ImportTarget.values:
        raise Http404(_("Unknown record type."))
    return target


def _list_url(target: str) -> str:
    try:
        return reverse(LIST_URLS[target])
    except NoReverseMatch:
        return reverse("imports:import_list")


@login_required
@require_GET
def import_list(request: HttpRequest) -> HttpResponse:
    qs = ImportJob.objects.select_related("created_by")
    if not _is_admin(request.user):
        qs = qs.filter(created_by=cast("User", request.user))  # signed in: @login_required
    jobs_shown = list(qs[:100])
    # What the user may import; a role without the right sees what the page is and whom to ask.
    targets = [
        (value, label)
        for value, label in ImportTarget.choices
        if access.can(request.user, runner.module_for(value), Action.IMPORT)
    ]
    return render(request, "imports/import_list.html", {"jobs": jobs_shown, "targets": targets})


class _SizeLimit(FileUploadHandler):
    """Stops storing an upload as soon as it passes the limit (the rest of the body is discarded)."""

    def __init__(self, request: HttpRequest, limit: int) -> None:
        super().__init__(request)
        self.limit = limit
        self.too_large = False

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        if start + len(raw_data) > self.limit:
            self.too_large = True
            raise SkipFile
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None


@csrf_exempt  # the upload handlers must be set before the CSRF check reads the body: checked below
@login_required
@require_http_methods(["GET", "POST"])
def import_new(request: HttpRequest, target: str) -> HttpResponse:
    limit = _SizeLimit(request, files.max_upload_bytes())
    request.upload_handlers.insert(0, limit)
    return _import_new(request, target, limit)


@csrf_protect
def _import_new(request: HttpRequest, target: str, limit: _SizeLimit) -> HttpResponse:
    target = _target(target)
    runner.check_rights(request.user, target)
    context: dict[str, Any] = {
        "target": target,
        "target_label": ImportTarget(target).label,
        "list_url": _list_url(target),
        "max_mb": files.max_upload_bytes() // 2**20,
    }
    too_large = _("The file is too large (at most %(mb)s MB).") % {"mb": context["max_mb"]}
    if request.method == "POST" and int(request.META.get("CONTENT_LENGTH") or 0) > limit.limit + 2**20:
        context["form"] = UploadForm(target=target)
        context["error"] = too_large
        return render(request, "imports/import_new.html", context, status=413)
    form = UploadForm(request.POST or None, request.FILES or None, target=target)
    if limit.too_large:
        context["form"], context["error"] = UploadForm(target=target), too_large
        return render(request, "imports/import_new.html", context, status=413)
    context["form"] = form
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            job = jobs.job_create(
                user=request.user,
                target=target,
                file_name=upload.name,
                upload=upload,
                size=upload.size,
                encoding=form.cleaned_data["encoding"],
                template=form.cleaned_data["template"],
            )
        except files.UploadRefused as exc:
            context["error"] = str(exc)
        else:
            return redirect(job)
    user = cast("User", request.user)  # signed in: @login_required
    context["recent"] = ImportJob.objects.filter(created_by=user, target=target)[:10]
    return render(
        request, "imports/import_new.html", context, status=400 if request.method == "POST" else 200
    )


@login_required
@require_GET
def import_job(request: HttpRequest, pk: int) -> HttpResponse:
    job = _job(request, pk)
    context: dict[str, Any] = {
        "job": job,
        "list_url": _list_url(job.target),
        "active": job.status in ACTIVE,
        "mine": job.created_by_id == request.user.pk,
    }
    if job.status == ImportStatus.UPLOADED or (request.GET.get("edit") and job.status == ImportStatus.READY):
        return _mapping_page(request, job, context)
    if job.status in (ImportStatus.ANALYSING, ImportStatus.READY):
        try:
            context["preview"] = preview_rows(job, request.user, jobs.source_path(job))
        except FileNotFoundError:
            context["preview"] = None
        return render(request, "imports/import_preview.html", context)
    if job.status in (ImportStatus.QUEUED, ImportStatus.RUNNING):
        return render(request, "imports/import_progress.html", context)
    return _report_page(request, job, context)


def _mapping_page(
    request: HttpRequest, job: ImportJob, context: dict[str, Any], **bound: Any
) -> HttpResponse:
    status = 400 if bound else 200
    layout = {
        "encoding": job.encoding,
        "delimiter": job.delimiter,
        "sheet": job.sheet,
        "header_row": job.header_row,
    }
    sheets = [job.sheet] if job.sheet else []
    if job.file_kind == "xlsx" and job.stored_name:
        from sencrm.imports.reader import sheet_names

        try:
            sheets = sheet_names(jobs.source_path(job))
        except (OSError, ValueError, KeyError):
            sheets = [job.sheet]
    context.update(
        layout_form=bound.get("layout_form") or LayoutForm(initial=layout, sheets=sheets),
        mapping_form=bound.get("mapping_form") or MappingForm(job=job),
        templates=ImportMapping.objects.filter(target=job.target),
        errors=bound.get("errors", []),
    )
    return render(request, "imports/import_mapping.html", context, status=status)


@login_required
@require_POST
def import_layout(request: HttpRequest, pk: int) -> HttpResponse:
    job = _own_job(request, pk)
    if job.status not in jobs.NOT_STARTED:
        return redirect(job)
    form = LayoutForm(request.POST, sheets=[request.POST.get("sheet", "")])
    if not form.is_valid():
        return _mapping_page(request, job, {"job": job}, layout_form=form)
    try:
        jobs.job_relayout(job, **form.cleaned_data)
    except (FileNotFoundError, files.UploadRefused, ValueError, LookupError):
        messages.error(request, _("The file cannot be read with these settings."))
    return redirect(job)


@login_required
@require_POST
def import_mapping(request: HttpRequest, pk: int) -> HttpResponse:
    job = _own_job(request, pk)
    if job.status not in jobs.NOT_STARTED:
        return redirect(job)
    if template_pk := request.POST.get("apply_template"):
        template = ImportMapping.objects.filter(target=job.target, pk=template_pk).first()
        if template is None:
            raise Http404(_("Unknown mapping."))
        jobs.template_apply(job, template)
        messages.success(request, _("The mapping %(name)s was applied.") % {"name": template.name})
        return redirect(reverse("imports:import_job", args=[job.pk]) + "?edit=1")
    form = MappingForm(request.POST, job=job)
    if not form.is_valid():
        return _mapping_page(request, job, {"job": job}, mapping_form=form)
    try:
        jobs.job_set_mapping(
            job,
            mapping=form.mapping(),
            dedupe_mode=form.cleaned_data["dedupe_mode"],
            match_keys=form.cleaned_data["match_keys"],
            reject_warnings=form.cleaned_data["reject_warnings"],
        )
        if form.cleaned_data["template_name"]:
            template = jobs.template_save(user=request.user, job=job, name=form.cleaned_data["template_name"])
            messages.success(request, _("The mapping was saved as %(name)s.") % {"name": template.name})
    except ValidationError as exc:
        job.refresh_from_db()
        return _mapping_page(request, job, {"job": job}, mapping_form=form, errors=exc.messages)
    return redirect(job)


@login_required
@require_POST
def import_start(request: HttpRequest, pk: int) -> HttpResponse:
    job = _own_job(request, pk)
    try:
        jobs.job_start(job)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect(job)


@login_required
@require_POST
def import_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    job = _own_job(request, pk)
    jobs.job_cancel(job)
    messages.info(request, _("The import is being stopped; what was already imported can be undone."))
    return redirect(job)


@login_required
@require_POST
def import_undo(request: HttpRequest, pk: int) -> HttpResponse:
    job = _own_job(request, pk)
    try:
        jobs.job_undo(job)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect(job)


@login_required
@require_GET
def import_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """The progress panel, polled by htmx every second; a finished job reloads the page (report)."""
    job = _job(request, pk)
    response = render(
        request, "imports/import_progress_panel.html", {"job": job, "active": job.status in ACTIVE}
    )
    if job.status not in ACTIVE and request.GET.get("was") in ACTIVE:
        response["HX-Refresh"] = "true"
    return response


def _report_page(request: HttpRequest, job: ImportJob, context: dict[str, Any]) -> HttpResponse:
    errors = job.row_errors.filter(skipped=False, warning=False)
    context.update(
        errors=errors[:REPORT_ERRORS],
        warned_rows=job.row_errors.filter(warning=True)[:REPORT_ERRORS],
        notes=job.row_errors.filter(skipped=True)[:REPORT_ERRORS],
        skip_reasons=[(SKIP_REASONS.get(k, k), n) for k, n in job.skip_reasons.items()],
        can_undo=context["mine"] and job.status in jobs.FINISHED and bool(job.created or job.updated),
    )
    return render(request, "imports/import_report.html", context)


@login_required
@require_GET
def import_errors(request: HttpRequest, pk: int) -> HttpResponseBase:
    """The rejected rows as a file: the original columns and the reason, ready to fix and import again."""
    return _rows_file(request, _job(request, pk), warnings=False)


@login_required
@require_GET
def import_warnings(request: HttpRequest, pk: int) -> HttpResponseBase:
    """The rows imported with warnings as a file: the original columns and what could not be placed."""
    return _rows_file(request, _job(request, pk), warnings=True)


def _rows_file(request: HttpRequest, job: ImportJob, *, warnings: bool) -> HttpResponseBase:
    fmt = request.GET.get("format", "csv")
    if fmt not in ("csv", "xlsx"):
        return HttpResponse(_("Unknown export format."), status=400, content_type="text/plain; charset=utf-8")
    width = len(job.columns)
    last = _("Warning") if warnings else _("Error")
    header = [column_label(job.columns, i) if job.columns[i] else "" for i in range(width)] + [last]

    def rows() -> Any:
        qs = ImportRowError.objects.filter(job=job, skipped=False, warning=warnings).order_by("line", "id")
        for error in qs.iterator(chunk_size=1000):
            cells = list(error.cells[:width]) + [""] * max(0, width - len(error.cells))
            yield cells + [_("Row %(line)s: %(reason)s") % {"line": error.line, "reason": error.message}]

    name = f"import-{job.pk}-{'warnings' if warnings else 'rejected'}"
    return xlsx_response(name, header, rows()) if fmt == "xlsx" else csv_response(name, header, rows())
