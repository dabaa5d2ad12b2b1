"""Pages of the personal-data request register: the list (open ones by deadline, or all), registering a
request, a request's page with its history and actions (acknowledge, extend, complete — for a deletion
after a confirmation that lists what will be anonymised —, reject) and the person's export (JSON, PDF).

Module PRIVACY: a role without it gets 403; a request outside the user's scope answers 404 like a
missing one. Every write is a service call whose refusal comes back on the page with a 400.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from sencrm.core import access
from sencrm.core.htmx import render_page_or_partial
from sencrm.core.modules import Action, Module
from sencrm.core.pagination import BadCursor, keyset_page
from sencrm.core.record_views import call_service, get_record
from sencrm.events import selectors as event_selectors
from sencrm.privacy import deadlines, selectors, services
from sencrm.privacy.forms import OutcomeForm, ReasonForm, RequestForm
from sencrm.privacy.models import OPEN_STATUSES, DataRequest, RequestKind

PAGE_SIZE = 50


def _get(request: HttpRequest, pk: int, action: str = Action.VIEW) -> DataRequest:
    """The request `pk`: 403 for a role without the module, 404 outside the user's scope or missing."""
    access.check_module(request.user, Module.PRIVACY, Action.VIEW)
    obj: DataRequest = get_record(request, DataRequest.objects.select_related("contact", "lead"), pk, action)
    return obj


def _decorate(user: Any, rows: list[DataRequest]) -> None:
    """Days left to each deadline still running, and whether it has passed."""
    now = timezone.now()
    selectors.label_people(user, rows)
    for row in rows:
        open_ = row.status in OPEN_STATUSES
        row.ack_pending = open_ and row.acknowledged_at is None  # type: ignore[attr-defined]
        row.ack_days = deadlines.days_left(row.acknowledge_due_at, now)  # type: ignore[attr-defined]
        row.ack_overdue = row.ack_pending and row.acknowledge_due_at < now  # type: ignore[attr-defined]
        row.due_days = deadlines.days_left(row.due_at, now)  # type: ignore[attr-defined]
        row.due_overdue = open_ and row.due_at < now  # type: ignore[attr-defined]
        row.ack_late, row.due_late = -row.ack_days, -row.due_days  # type: ignore[attr-defined]


@login_required
@require_GET
def request_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    access.check_module(user, Module.PRIVACY, Action.VIEW)
    params = request.GET
    status, kind = params.get("status", "open"), params.get("kind", "")
    context: dict[str, Any] = {
        "status": status,
        "kind": kind,
        "kinds": RequestKind.choices,
        "can_create": access.can(user, Module.PRIVACY, Action.CREATE),
    }
    try:
        if status not in ("open", "all") or (kind and kind not in RequestKind.values):
            raise ValidationError(_("Some filters are not valid: %(fields)s") % {"fields": _("status, kind")})
        qs = selectors.requests_scoped(user).select_related("contact", "lead")
        if status == "open":
            qs = qs.filter(status__in=OPEN_STATUSES)
        if kind:
            qs = qs.filter(kind=kind)
        # Open requests: the nearest completion deadline first; all: the newest first.
        sort, descending = ("due_at", False) if status == "open" else ("received_at", True)
        page = keyset_page(qs, sort=sort, descending=descending, cursor=params.get("cursor"), size=PAGE_SIZE)
    except ValidationError as exc:
        context["error"] = " ".join(exc.messages)
    except BadCursor:
        context["error"] = _("This page link is no longer valid. Start again from the first page.")
    else:
        _decorate(user, page.rows)
        context["page"] = page
        return render_page_or_partial(
            request, "privacy/request_list.html", "privacy/partials/request_table.html", context
        )
    return render_page_or_partial(
        request, "privacy/request_list.html", "privacy/partials/request_table.html", context, status=400
    )


@login_required
@require_http_methods(["GET", "POST"])
def request_create(request: HttpRequest) -> HttpResponse:
    """Register a request; ?contact= or ?lead= (a link from the person's page) chooses the person."""
    user = request.user
    access.check_module(user, Module.PRIVACY, Action.CREATE)
    source = request.POST if request.method == "POST" else request.GET
    keep = {name: source.get(name) for name in ("contact", "lead")}
    initial = {name: value for name, value in keep.items() if value}
    form = RequestForm(
        request.POST if request.method == "POST" else None, user=user, keep=keep, initial=initial
    )
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            made, status = call_service(
                form, lambda: services.request_create(actor=user, data=form.service_data())
            )
            if made is not None:
                messages.success(request, _("%(number)s registered.") % {"number": made.number})
                return HttpResponseRedirect(made.get_absolute_url())
    return render(request, "privacy/request_form.html", {"form": form}, status=status)


def _detail(request: HttpRequest, obj: DataRequest, status: int = 200, **forms: Any) -> HttpResponse:
    user = request.user
    events, next_before = event_selectors.audit_trail(user=user, obj=obj)
    selectors.label_people(user, [obj])
    _decorate(user, [obj])
    person = obj.contact or obj.lead
    may_edit = obj.is_open and access.in_scope(user, Action.EDIT, obj)
    context = {
        "object": obj,
        "person": person if person is not None and access.in_scope(user, Action.VIEW, person) else None,
        "may_edit": may_edit,
        "may_extend": may_edit and obj.extended_at is None,
        "extend_form": forms.get("extend_form") or ReasonForm(prefix="extend"),
        "reject_form": forms.get("reject_form") or ReasonForm(prefix="reject"),
        "complete_form": forms.get("complete_form") or OutcomeForm(deletion=obj.kind == RequestKind.DELETION),
        "events": events,
        "next_before": next_before,
        "ct_id": ContentType.objects.get_for_model(DataRequest).pk,
    }
    return render(request, "privacy/request_detail.html", context, status=status)


@login_required
@require_GET
def request_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, _get(request, pk))


@login_required
@require_POST
def request_acknowledge(request: HttpRequest, pk: int) -> HttpResponse:
    obj = _get(request, pk, Action.EDIT)
    try:
        services.request_acknowledge(obj, actor=request.user)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return _detail(request, DataRequest.objects.get(pk=obj.pk), status=400)
    messages.success(request, _("Acknowledged."))
    return HttpResponseRedirect(obj.get_absolute_url())


def _reasoned(request: HttpRequest, pk: int, prefix: str, service: Any, done: str) -> HttpResponse:
    obj = _get(request, pk, Action.EDIT)
    form = ReasonForm(request.POST, prefix=prefix)
    status = 400
    if form.is_valid():
        saved, status = call_service(
            form, lambda: service(obj, actor=request.user, reason=form.cleaned_data["reason"])
        )
        if saved is not None:
            messages.success(request, done)
            return HttpResponseRedirect(obj.get_absolute_url())
        for error in form.non_field_errors():  # "only once", "closed": the form may not be shown again
            messages.error(request, str(error))
    return _detail(request, DataRequest.objects.get(pk=obj.pk), status=status, **{f"{prefix}_form": form})


@login_required
@require_POST
def request_extend(request: HttpRequest, pk: int) -> HttpResponse:
    return _reasoned(request, pk, "extend", services.request_extend, _("Extended."))


@login_required
@require_POST
def request_reject(request: HttpRequest, pk: int) -> HttpResponse:
    return _reasoned(request, pk, "reject", services.request_reject, _("Rejected."))


@login_required
@require_http_methods(["GET", "POST"])
def request_complete(request: HttpRequest, pk: int) -> HttpResponse:
    """Complete; for a deletion, GET shows what the anonymisation will change and asks to confirm."""
    from sencrm.privacy.anonymise import anonymise_preview

    obj = _get(request, pk, Action.EDIT)
    deletion = obj.kind == RequestKind.DELETION
    form = OutcomeForm(request.POST or None, deletion=deletion)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            saved, status = call_service(
                form,
                lambda: services.request_complete(
                    obj, actor=request.user, outcome=form.cleaned_data["outcome"]
                ),
            )
            if saved is not None:
                messages.success(request, _("Completed."))
                return HttpResponseRedirect(obj.get_absolute_url())
        if not deletion:
            return _detail(request, DataRequest.objects.get(pk=obj.pk), status=status, complete_form=form)
    if not deletion:
        return HttpResponseRedirect(obj.get_absolute_url())
    contacts, leads = selectors.person_records(obj)
    context = {"object": obj, "form": form, "touched": anonymise_preview(contacts, leads)}
    return render(request, "privacy/request_complete.html", context, status=status)


@login_required
@require_GET
def request_export(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    from sencrm.privacy import export

    obj = _get(request, pk)
    if fmt == "pdf":
        return export.export_pdf_response(obj, user=request.user)
    return export.export_json_response(obj, user=request.user)


urlpatterns = [
    path("privacy/requests/", request_list, name="request_list"),
    path("privacy/requests/new/", request_create, name="request_create"),
    path("privacy/requests/<int:pk>/", request_detail, name="request_detail"),
    path("privacy/requests/<int:pk>/acknowledge/", request_acknowledge, name="request_acknowledge"),
    path("privacy/requests/<int:pk>/extend/", request_extend, name="request_extend"),
    path("privacy/requests/<int:pk>/complete/", request_complete, name="request_complete"),
    path("privacy/requests/<int:pk>/reject/", request_reject, name="request_reject"),
    path(
        "privacy/requests/<int:pk>/export.json", request_export, {"fmt": "json"}, name="request_export_json"
    ),
    path("privacy/requests/<int:pk>/export.pdf", request_export, {"fmt": "pdf"}, name="request_export_pdf"),
]
