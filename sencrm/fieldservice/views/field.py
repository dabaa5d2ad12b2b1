"""The technician's phone screen: today's jobs in route order (`/field/`), one job (`/field/<id>/`) with the
customer, the site, the assets with their warranty and history, and the actions of the job — each queued in
the browser and sent to `POST /field/sync/` (sencrm/fieldservice/offline.py), so that it works on a poor
connection. `/field/sw.js` is the service worker that keeps these pages and their assets for offline use.

A technician sees only their own jobs: another's answers 404, like a job that does not exist."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.contrib.auth.decorators import login_required
from django.contrib.staticfiles import finders
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from sencrm.catalog.models import Product
from sencrm.core import access
from sencrm.core.modules import Action, Module
from sencrm.fieldservice import field, offline, warranty
from sencrm.fieldservice.models import OPEN_WORK, WorkKind, WorkOrder, WorkStatus

FINAL_DONE = (WorkStatus.DONE, WorkStatus.FAILED)

MAX_BODY = 5 * 1024 * 1024  # a queue with a few signatures


def _day(request: HttpRequest) -> dt.date:
    raw = request.GET.get("day", "")
    try:
        return dt.date.fromisoformat(raw) if raw else timezone.localdate()
    except ValueError:
        return timezone.localdate()


@login_required
@require_GET
def field_day(request: HttpRequest) -> HttpResponse:
    access.check_module(request.user, Module.FIELDSERVICE, Action.VIEW)
    day = _day(request)
    jobs = field.technician_day(request.user, day)
    context = {
        "day": day,
        "jobs": jobs,
        "prev": day - dt.timedelta(days=1),
        "next": day + dt.timedelta(days=1),
        "is_today": day == timezone.localdate(),
    }
    return render(request, "fieldservice/field_day.html", context)


def _history(asset_id: int, current: int) -> list[dict[str, Any]]:
    """The asset's past jobs as the technician needs them on site — date, type, result — whoever did them
    (a summary, not the other work orders themselves: docs/decisions.md, "After-sales")."""
    rows = (
        WorkOrder.objects.filter(asset_links__asset_id=asset_id, status__in=FINAL_DONE)
        .exclude(pk=current)
        .order_by("-finished_at", "-id")
        .values("finished_at", "kind", "result_notes")[:5]
    )
    return [
        {
            "date": timezone.localdate(row["finished_at"]) if row["finished_at"] else None,
            "kind": WorkKind(row["kind"]).label,
            "result": (row["result_notes"] or "").splitlines()[0][:120] if row["result_notes"] else "",
        }
        for row in rows
    ]


@login_required
@require_GET
def field_job(request: HttpRequest, pk: int) -> HttpResponse:
    access.check_module(request.user, Module.FIELDSERVICE, Action.VIEW)
    wo = (
        access.scope(request.user, WorkOrder, Action.VIEW)
        .filter(pk=pk, technician_id=request.user.pk)
        .select_related("contact", "account", "site_province")
        .first()
    )
    if wo is None:
        raise Http404(str(access.NOT_FOUND))
    day = timezone.localdate(wo.scheduled_start) if wo.scheduled_start else timezone.localdate()
    assets = [
        {
            "asset": link.asset,
            "check": warranty.check(link.asset, day),
            "history": _history(link.asset_id, wo.pk),
        }
        for link in wo.asset_links.select_related("asset__product")
    ]
    context = {
        "wo": wo,
        "assets": assets,
        "checks": list(wo.checks.all()),
        "parts": list(wo.parts.select_related("product")),
        "open": wo.status in OPEN_WORK,
        "products": list(
            Product.objects.filter(active=True, kind="goods", serialised=False).order_by("name")[:200]
        ),
    }
    return render(request, "fieldservice/field_job.html", context)


@login_required
@require_POST
def field_sync(request: HttpRequest) -> JsonResponse:
    """The browser's queue: `[{"id", "work_order", "action", "data", "at"}, …]` → one answer per change."""
    if not access.can(request.user, Module.FIELDSERVICE, Action.EDIT):
        return JsonResponse({"detail": _("Your role does not allow this.")}, status=403)
    if len(request.body) > MAX_BODY:
        return JsonResponse({"detail": _("Too much at once: send fewer changes.")}, status=400)
    try:
        body: Any = json.loads(request.body or b"null")
        changes = offline.validate(body.get("changes") if isinstance(body, dict) else body)
    except (ValueError, UnicodeDecodeError) as exc:
        message = str(exc) if isinstance(exc, offline.BadChange) else _("The request is not valid JSON.")
        return JsonResponse({"detail": message}, status=400)
    return JsonResponse({"results": offline.apply_changes(request.user, changes)})


@require_GET
def service_worker(request: HttpRequest) -> HttpResponse:
    """Served from /field/ so that its scope covers the phone screen's pages."""
    found = finders.find("fieldservice/field-sw.js")
    if not found:
        raise Http404
    with open(found, encoding="utf-8") as script:
        response = HttpResponse(script.read(), content_type="application/javascript")
    response["Service-Worker-Allowed"] = "/field/"
    response["Cache-Control"] = "no-cache"
    return response


urlpatterns = [
    path("field/", field_day, name="field_day"),
    path("field/sync/", field_sync, name="field_sync"),
    path("field/sw.js", service_worker, name="field_sw"),
    path("field/<int:pk>/", field_job, name="field_job"),
]
