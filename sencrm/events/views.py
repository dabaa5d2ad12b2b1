"""Notifications, the trash, the audit trail of a record and the administrators' activity log."""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.contrib.contenttypes.models import ContentType
from django.core.paginator import Paginator
from django.db import IntegrityError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from sencrm.core import access
from sencrm.core.models import Record
from sencrm.core.modules import Action
from sencrm.events import formatting, selectors, services
from sencrm.events.messages import render_notifications
from sencrm.events.models import Notification


@login_required
@require_GET
def notification_list(request: HttpRequest) -> HttpResponse:
    qs = Notification.objects.filter(recipient_id=request.user.pk).select_related("event__actor")
    page = Paginator(qs, 30).get_page(request.GET.get("page"))
    items = [{"n": n, "text": text} for n, text in render_notifications(list(page))]
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
    try:
        services.record_restore(obj, actor=request.user)
    except IntegrityError:
        # A unique value among live records (a promotion's code) was given to another one meanwhile.
        messages.error(
            request,
            _("%(record)s cannot be restored: a record made since uses the same code.") % {"record": obj},
        )
        return redirect("events:trash")
    messages.success(request, _("%(record)s was restored.") % {"record": obj})
    return redirect("events:trash")


def _cursor_param(request: HttpRequest) -> str | None:
    """The `before` cursor of a history page; ValueError when it is not one we handed out."""
    raw = request.GET.get("before", "")
    if not raw:
        return None
    selectors.parse_timeline_cursor(raw)
    return raw


@login_required
@require_GET
def audit(request: HttpRequest, ct_id: int, pk: int) -> HttpResponse:
    """The audit trail of one record (an htmx partial on its detail page, or a page of its own)."""
    obj = _get_record(request.user, ct_id, pk)
    try:
        before = _cursor_param(request)
    except ValueError:
        return HttpResponseBadRequest(_("Invalid page."))
    events, next_before = selectors.audit_trail(user=request.user, obj=obj, before=before)
    rows = [{"event": e, "changes": formatting.describe_changes(e, type(obj))} for e in events]
    template = "events/partials/audit.html" if request.htmx else "events/audit_page.html"  # type: ignore[attr-defined]
    return render(
        request,
        template,
        {
            "object": obj,
            "rows": rows,
            "next_before": next_before,
            "more_url": reverse("events:audit", args=[ct_id, obj.pk]),
        },
    )


def _type_choices() -> list[tuple[str, str]]:
    """Every event type an administrator can filter on, by its label."""
    from sencrm.events.webhooks.catalog import event_types

    types = [t for t in event_types() if t not in formatting.PERSONAL_TYPES]
    return sorted(((t, formatting.type_label(t) or t) for t in types), key=lambda c: c[1].casefold())


@login_required
@require_GET
def event_log(request: HttpRequest) -> HttpResponse:
    try:
        before = _cursor_param(request)
    except ValueError:
        return HttpResponseBadRequest(_("Invalid page."))
    type_prefix = request.GET.get("type", "").strip()[:64]
    events, next_before = selectors.event_log(user=request.user, type_prefix=type_prefix, before=before)
    rows = [{"event": e, "changes": formatting.describe_changes(e)} for e in events]
    types = _type_choices()
    if type_prefix and type_prefix not in dict(types):  # a prefix ("user.") from an older link
        types.insert(0, (type_prefix, f"{type_prefix}…"))
    return render(
        request,
        "events/log.html",
        {"rows": rows, "next_before": next_before, "type": type_prefix, "types": types},
    )


@login_required
@require_GET
def user_audit(request: HttpRequest, pk: int) -> HttpResponse:
    """History of a user account (role, teams, activation, their own settings), for administrators."""
    User = get_user_model()  # noqa: N806 - events never import sencrm.users (docs/decisions.md)
    access.check_module(request.user, "admin", Action.VIEW)
    account = get_object_or_404(User, pk=pk)
    try:
        before = _cursor_param(request)
    except ValueError:
        return HttpResponseBadRequest(_("Invalid page."))
    events, next_before = selectors.user_history(user=request.user, account=account, before=before)
    rows = [{"event": e, "changes": formatting.describe_changes(e, User)} for e in events]
    return render(
        request,
        "events/partials/audit.html",
        {
            "object": account,
            "rows": rows,
            "next_before": next_before,
            "more_url": reverse("events:user_audit", args=[account.pk]),
        },
    )
