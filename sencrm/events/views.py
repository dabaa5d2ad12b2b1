"""Notifications, the trash, the audit trail of a record and the administrators' activity log."""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.contenttypes.models import ContentType
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from sencrm.core import access
from sencrm.core.models import Record
from sencrm.core.modules import Action
from sencrm.events import selectors, services
from sencrm.events.messages import render_notification
from sencrm.events.models import Notification


def _int_param(request: HttpRequest, name: str) -> int | None:
    raw = request.GET.get(name, "")
    if not raw:
        return None
    if not raw.isdigit() or len(raw) > 18:
        raise ValueError(name)
    return int(raw)


@login_required
@require_GET
def notification_list(request: HttpRequest) -> HttpResponse:
    qs = Notification.objects.filter(recipient=request.user)
    page = Paginator(qs, 30).get_page(request.GET.get("page"))
    items = [{"n": n, "text": render_notification(n)} for n in page]
    return render(request, "events/notification_list.html", {"page": page, "items": items})


@login_required
@require_POST
def notification_read(request: HttpRequest) -> HttpResponse:
    ids = [int(i) for i in request.POST.getlist("id") if i.isdigit()]
    services.notifications_mark_read(user=request.user, ids=ids or None)
    return redirect("events:notification_list")


def _record_models() -> list[type[Record]]:
    return [m for m in apps.get_models() if issubclass(m, Record)]


@login_required
@require_GET
def trash(request: HttpRequest) -> HttpResponse:
    groups = []
    for model in _record_models():
        deleted = access.scope(request.user, model.all_objects.in_trash(), Action.DELETE)
        rows = list(deleted.select_related("deleted_by").order_by("-deleted_at")[:100])
        if rows:
            groups.append(
                {
                    "model": model,
                    "label": model._meta.verbose_name_plural,
                    "ct": ContentType.objects.get_for_model(model).pk,
                    "rows": rows,
                }
            )
    return render(
        request, "events/trash.html", {"groups": groups, "retention_days": settings.TRASH_RETENTION_DAYS}
    )


def _get_record(user: Any, ct_id: int, pk: int, *, deleted: bool = False) -> Record:
    try:
        model = ContentType.objects.get_for_id(ct_id).model_class()
    except ContentType.DoesNotExist as exc:
        raise Http404 from exc
    if model is None or not issubclass(model, Record):
        raise Http404
    qs = model.all_objects.in_trash() if deleted else model.objects.all()
    obj: Record = get_object_or_404(access.scope(user, qs, Action.VIEW), pk=pk)
    return obj


@login_required
@require_POST
def trash_restore(request: HttpRequest, ct_id: int, pk: int) -> HttpResponse:
    obj = _get_record(request.user, ct_id, pk, deleted=True)
    services.record_restore(obj, actor=request.user)
    messages.success(request, _("%(record)s was restored.") % {"record": obj})
    return redirect("events:trash")


@login_required
@require_GET
def audit(request: HttpRequest, ct_id: int, pk: int) -> HttpResponse:
    """The audit trail of one record (an htmx partial on its detail page, or a page of its own)."""
    obj = _get_record(request.user, ct_id, pk)
    try:
        before = _int_param(request, "before")
    except ValueError:
        return HttpResponseBadRequest(_("Invalid page."))
    events, next_before = selectors.audit_trail(user=request.user, obj=obj, before=before)
    rows = [{"event": e, "changes": selectors.describe_changes(e, type(obj))} for e in events]
    template = "events/partials/audit.html" if request.htmx else "events/audit_page.html"  # type: ignore[attr-defined]
    return render(
        request, template, {"object": obj, "rows": rows, "next_before": next_before, "ct_id": ct_id}
    )


@login_required
@require_GET
def event_log(request: HttpRequest) -> HttpResponse:
    try:
        before = _int_param(request, "before")
    except ValueError:
        return HttpResponseBadRequest(_("Invalid page."))
    type_prefix = request.GET.get("type", "").strip()[:64]
    events, next_before = selectors.event_log(user=request.user, type_prefix=type_prefix, before=before)
    rows = []
    for e in events:
        model = e.subject_type.model_class()
        rows.append({"event": e, "changes": selectors.describe_changes(e, model)})
    return render(request, "events/log.html", {"rows": rows, "next_before": next_before, "type": type_prefix})


@login_required
@require_GET
def user_audit(request: HttpRequest, pk: int) -> HttpResponse:
    """History of a user account (role, teams, activation), for administrators."""
    from sencrm.events.models import Event
    from sencrm.users.models import User

    access.check_module(request.user, "admin", Action.VIEW)
    user = get_object_or_404(User, pk=pk)
    events = (
        Event.objects.filter(subject_type=ContentType.objects.get_for_model(User), subject_id=user.pk)
        .select_related("actor")
        .order_by("-id")[:50]
    )
    rows = [{"event": e, "changes": selectors.describe_changes(e, User)} for e in events]
    return render(request, "events/partials/audit.html", {"object": user, "rows": rows, "next_before": None})
