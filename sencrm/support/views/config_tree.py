"""Settings pages: the ticket category tree and the business calendars."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.dates import WEEKDAYS_ABBR
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from sencrm.support import config_services
from sencrm.support.config_forms import CalendarForm, CategoryForm
from sencrm.support.models import BusinessCalendar, RoutingRule, Ticket, TicketCategory
from sencrm.support.views.config_base import config_edit, page_context, require_read, require_write

# Bootstrap's padding classes by depth (the CSP allows no inline style).
INDENT = ("", "ps-3", "ps-5")


def category_rows() -> list[dict[str, Any]]:
    """The tree in reading order (each category after its parent, indented by depth), with the
    number of tickets on each and whether it may be deleted."""
    categories = list(TicketCategory.objects.order_by("position", "name"))
    tickets = dict(
        Ticket.all_objects.filter(category__isnull=False)
        .values_list("category")
        .annotate(n=Count("id"))
        .values_list("category", "n")
    )
    used = set(TicketCategory.objects.filter(parent__isnull=False).values_list("parent_id", flat=True))
    used |= set(RoutingRule.objects.filter(category__isnull=False).values_list("category_id", flat=True))
    children: dict[int | None, list[TicketCategory]] = {}
    for category in categories:
        children.setdefault(category.parent_id, []).append(category)
    rows: list[dict[str, Any]] = []
    seen: set[int] = set()

    def walk(nodes: list[TicketCategory], depth: int) -> None:
        for category in nodes:
            if category.pk in seen:  # a loop written outside the service: show each row once
                continue
            seen.add(category.pk)
            count = tickets.get(category.pk, 0)
            rows.append(
                {
                    "category": category,
                    "depth": depth,
                    "indent": INDENT[min(depth, len(INDENT) - 1)],
                    "marker": "›" * depth,
                    "tickets": count,
                    "deletable": not count and category.pk not in used,
                }
            )
            walk(children.get(category.pk, []), depth + 1)

    walk(children.get(None, []), 0)
    # Rows of a loop written outside the service have no way up to the top: shown at the top level.
    walk([c for c in categories if c.pk not in seen], 0)
    return rows


def _category_list_page(request: HttpRequest, *, status: int = 200, error: str = "") -> HttpResponse:
    context = {**page_context(request, "categories"), "rows": category_rows(), "error": error}
    return render(request, "support/config_categories.html", context, status=status)


@login_required
@require_GET
def category_list(request: HttpRequest) -> HttpResponse:
    require_read(request)
    return _category_list_page(request)


@login_required
@require_http_methods(["GET", "POST"])
def category_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    return config_edit(
        request,
        pk,
        model=TicketCategory,
        form_class=CategoryForm,
        save=lambda obj, data: config_services.category_save(actor=request.user, category=obj, **data),
        tab="categories",
        list_name="support:category_list",
        new_title=_("New category"),
    )


@login_required
@require_POST
def category_delete(request: HttpRequest, pk: int) -> HttpResponse:
    require_write(request)
    category = get_object_or_404(TicketCategory, pk=pk)
    try:
        config_services.category_delete(actor=request.user, category=category)
    except ValidationError as exc:
        return _category_list_page(request, status=400, error=" ".join(exc.messages))
    messages.success(request, _("%(name)s was deleted.") % {"name": category.name})
    return redirect("support:category_list")


def hours_summary(calendar: BusinessCalendar) -> list[tuple[str, str]]:
    """Each weekday's hours as people read them ("08:00–12:00, 13:30–17:30", "—" for a day off)."""
    hours = calendar.hours or {}
    return [
        (str(WEEKDAYS_ABBR[day]), ", ".join(f"{s}–{e}" for s, e in hours.get(str(day)) or []) or "—")
        for day in range(7)
    ]


@login_required
@require_GET
def calendar_list(request: HttpRequest) -> HttpResponse:
    require_read(request)
    calendars = BusinessCalendar.objects.annotate(queue_count=Count("queues")).order_by("name")
    rows = [{"calendar": c, "hours": hours_summary(c)} for c in calendars]
    context = {**page_context(request, "calendars"), "rows": rows}
    return render(request, "support/config_calendars.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def calendar_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    return config_edit(
        request,
        pk,
        model=BusinessCalendar,
        form_class=CalendarForm,
        save=lambda obj, data: config_services.calendar_save(actor=request.user, calendar=obj, **data),
        tab="calendars",
        list_name="support:calendar_list",
        new_title=_("New business calendar"),
        template="support/config_calendar_form.html",
    )


urlpatterns = [
    path("support/settings/categories/", category_list, name="category_list"),
    path("support/settings/categories/new/", category_edit, name="category_create"),
    path("support/settings/categories/<int:pk>/edit/", category_edit, name="category_edit"),
    path("support/settings/categories/<int:pk>/delete/", category_delete, name="category_delete"),
    path("support/settings/calendars/", calendar_list, name="calendar_list"),
    path("support/settings/calendars/new/", calendar_edit, name="calendar_create"),
    path("support/settings/calendars/<int:pk>/edit/", calendar_edit, name="calendar_edit"),
]
