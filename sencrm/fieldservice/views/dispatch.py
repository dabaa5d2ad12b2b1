"""The dispatch board (`/field-service/dispatch/`): technicians' days or weeks, the work orders waiting for
a technician on the side, drag and drop to assign or reschedule.

The page carries the first board's data (json_script) and static/fieldservice/dispatch.js draws it; the
script asks `dispatch/data/` for another day, week or filter, and posts each drop to `dispatch/move/`,
which calls `services.work_order_schedule` with the card's version. A refused move (double booking, travel
time, an absence, someone else's change) answers 409 with the reason, and the card goes back. Only those
who dispatch (fieldservice create: care, managers, administrators) see the board; a technician has their
own day at /field/.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import path
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from sencrm.core import access
from sencrm.core.exceptions import StaleRecord
from sencrm.core.modules import Action, Module
from sencrm.fieldservice import dispatch
from sencrm.fieldservice.models import Technician, WorkOrder

MAX_MINUTES = 7 * 24 * 60


class BadMove(ValueError):
    """A move whose input is not valid: a 400 with this message."""


def _refused(status: int, message: str, **extra: Any) -> JsonResponse:
    return JsonResponse({"ok": False, "error": message, **extra}, status=status)


def _require_dispatcher(request: HttpRequest) -> None:
    access.check_module(request.user, Module.FIELDSERVICE, Action.CREATE)


@login_required
@require_GET
def dispatch_board(request: HttpRequest) -> HttpResponse:
    _require_dispatcher(request)
    error = ""
    try:
        filters = dispatch.parse_filters(request.GET)
    except ValueError as exc:
        error = str(exc)
        filters = dispatch.BoardFilters(start=timezone.localdate())
    context = {
        "board": dispatch.board_data(request.user, filters),
        "choices": dispatch.filter_choices(),
        "filters": filters,
        "error": error,
    }
    return render(request, "fieldservice/dispatch.html", context, status=400 if error else 200)


@login_required
@require_GET
def dispatch_data(request: HttpRequest) -> HttpResponse:
    try:
        _require_dispatcher(request)
    except PermissionDenied as exc:
        return _refused(403, str(exc))
    try:
        filters = dispatch.parse_filters(request.GET)
    except ValueError as exc:
        return _refused(400, str(exc))
    return JsonResponse({"ok": True, **dispatch.board_data(request.user, filters)})


def _int(value: str, message: str) -> int:
    try:
        number = int(value.strip())
    except (AttributeError, ValueError):
        raise BadMove(message) from None
    if not 0 < number < 2**31:
        raise BadMove(message)
    return number


def _when(value: str, message: str) -> dt.datetime:
    """A local date and time ("2026-12-05T09:30", as the board sends it) or an ISO 8601 one with its
    offset."""
    try:
        parsed = parse_datetime(value.strip()[:40])
    except ValueError:
        parsed = None
    if parsed is None or not (2000 <= parsed.year <= 2100):
        raise BadMove(message)
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    return parsed


def _parse_move(
    request: HttpRequest, work_order: WorkOrder
) -> tuple[Any, dt.datetime | None, dt.datetime | None, int]:
    """(technician user or None, start, end, version) from the POST, or BadMove."""
    post = request.POST
    version = _int(post.get("version", ""), _("The work order's version is missing. Reload the board."))
    raw_tech = post.get("technician", "").strip()
    if not raw_tech:
        return None, None, None, version
    tech_id = _int(raw_tech, _("This technician does not exist."))
    profile = Technician.objects.select_related("user").filter(user_id=tech_id).first()
    if profile is None:
        raise BadMove(_("This technician does not exist."))
    start = _when(post.get("start", ""), _("The start time is not valid."))
    if post.get("end", "").strip():
        end = _when(post["end"], _("The end time is not valid."))
    else:
        # Moved without an end: it keeps its length.
        old = work_order
        length = (
            old.scheduled_end - old.scheduled_start
            if old.scheduled_start and old.scheduled_end
            else dt.timedelta(minutes=dispatch.DEFAULT_MINUTES)
        )
        end = start + length
    if end <= start:
        raise BadMove(_("The end must be after the start."))
    if end - start > dt.timedelta(minutes=MAX_MINUTES):
        raise BadMove(_("A work order cannot last more than a week."))
    return profile.user, start, end, version


@login_required
@require_POST
def dispatch_move(request: HttpRequest) -> HttpResponse:
    """Assign, reschedule or unassign a work order (a drop on the board). JSON in, JSON out: 200 with
    the updated card; 400 bad input; 403 not a dispatcher; 404 a work order not visible; 409 refused by
    the calendar or changed by someone else."""
    try:
        _require_dispatcher(request)
    except PermissionDenied as exc:
        return _refused(403, str(exc))
    try:
        pk = _int(request.POST.get("work_order", ""), str(access.NOT_FOUND))
    except BadMove as exc:
        return _refused(400, str(exc))
    work_order = access.scope(request.user, WorkOrder, Action.VIEW).filter(pk=pk).first()
    if work_order is None:
        return _refused(404, str(access.NOT_FOUND))
    try:
        access.check(request.user, Action.EDIT, work_order)
    except (Http404, PermissionDenied) as exc:
        return _refused(403, str(exc))
    try:
        technician, start, end, version = _parse_move(request, work_order)
    except BadMove as exc:
        return _refused(400, str(exc))
    from sencrm.fieldservice import services

    try:
        moved = services.work_order_schedule(
            work_order, actor=request.user, technician=technician, start=start, end=end, version=version
        )
    except StaleRecord:
        message = _(
            "Someone else changed this work order after you opened the board, so it was not moved. "
            "Reload the board to see the current state."
        )
        return _refused(409, message, conflict=True)
    except ValidationError as exc:
        return _refused(409, " ".join(exc.messages))
    except PermissionDenied as exc:
        return _refused(403, str(exc))
    except Http404:
        return _refused(404, str(access.NOT_FOUND))
    return JsonResponse({"ok": True, "item": dispatch.item_for(request.user, moved)})


urlpatterns = [
    path("field-service/dispatch/", dispatch_board, name="dispatch"),
    path("field-service/dispatch/data/", dispatch_data, name="dispatch_data"),
    path("field-service/dispatch/move/", dispatch_move, name="dispatch_move"),
]
