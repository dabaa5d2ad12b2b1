"""The lead list (filters, accent-insensitive search, sorts, keyset pages) and its export."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from sencrm.core import access
from sencrm.core.export import csv_response, xlsx_response
from sencrm.core.htmx import render_page_or_partial
from sencrm.core.modules import Action, Module
from sencrm.core.pagination import BadCursor, keyset_page
from sencrm.customfields import custom_fields
from sencrm.sales import lead_exports, selectors
from sencrm.sales.filters import LEAD_SORTS, LeadFilter
from sencrm.sales.models import Lead
from sencrm.sales.views.leads import filtered_leads
from sencrm.savedviews.models import SavedView

PAGE_SIZE = 50
TEMPLATE = "sales/lead_list.html"
PARTIAL = "sales/partials/lead_table.html"
# Sorted by follow-up, the list shows the leads that have one: keyset pages need a non-null key,
# and NULLs sort first on SQLite but last on PostgreSQL.
NULLABLE_SORTS = {"follow_up", "-follow_up"}


@login_required
@require_GET
def lead_list(request: HttpRequest) -> HttpResponse:
    access.check_module(request.user, Module.LEADS, Action.VIEW)
    base = access.scope(request.user, Lead, Action.VIEW)
    filterset = LeadFilter(request.GET or None, queryset=base, request=request)
    sort = request.GET.get("sort", "-created")
    context: dict[str, Any] = {
        "filter": filterset,
        "sort": sort,
        "query": request.GET.get("q", "")[:100],
        "can_create": access.can(request.user, Module.LEADS, Action.CREATE),
        "can_export": access.can(request.user, Module.LEADS, Action.EXPORT),
        "saved_views": SavedView.objects.filter(user=request.user, list_name="leads"),
        "custom_columns": [f for f in custom_fields.definitions(Lead) if f.show_in_list],
        "custom_filters": [
            {"field": f, "name": f"cf_{f.key}", "value": request.GET.get(f"cf_{f.key}", "")[:100]}
            for f in custom_fields.definitions(Lead)
            if f.type in ("choice", "bool", "text", "multi")
        ],
        "only_with_follow_up": sort in NULLABLE_SORTS,
        "now": timezone.now(),
    }
    if sort not in LEAD_SORTS:
        context["error"] = _("Unknown sort order.")
    elif filterset.is_bound and not filterset.is_valid():
        context["error"] = _("Some filters are not valid: %(fields)s") % {
            "fields": ", ".join(filterset.errors)
        }
    if "error" in context:
        return render_page_or_partial(request, TEMPLATE, PARTIAL, context, status=400)
    qs = filterset.qs if filterset.is_bound else base
    try:
        qs = custom_fields.filter_queryset(qs, Lead, request.GET)
    except ValidationError as exc:
        context["error"] = " ".join(exc.messages)
        return render_page_or_partial(request, TEMPLATE, PARTIAL, context, status=400)
    qs = selectors.lead_search_filter(qs, context["query"]).select_related("owner", "source")
    if sort in NULLABLE_SORTS:
        qs = qs.filter(next_action_at__isnull=False)
    field, descending = LEAD_SORTS[sort]
    try:
        page = keyset_page(
            qs, sort=field, descending=descending, cursor=request.GET.get("cursor"), size=PAGE_SIZE
        )
    except BadCursor:
        context["error"] = _("This page link is no longer valid. Start again from the first page.")
        return render_page_or_partial(request, TEMPLATE, PARTIAL, context, status=400)
    context["page"] = page
    return render_page_or_partial(request, TEMPLATE, PARTIAL, context)


@login_required
@require_GET
def lead_export(request: HttpRequest) -> HttpResponseBase:
    """The filtered list as CSV or XLSX (formula-safe cells), only over what the user may export."""
    access.check_module(request.user, Module.LEADS, Action.EXPORT)
    fmt = request.GET.get("format", "csv")
    if fmt not in ("csv", "xlsx"):
        return HttpResponse(_("Unknown export format."), status=400, content_type="text/plain; charset=utf-8")
    qs = filtered_leads(request, Action.EXPORT, request.GET)
    if qs is None:
        return HttpResponse(
            _("Some filters are not valid."), status=400, content_type="text/plain; charset=utf-8"
        )
    extra = custom_fields.definitions(Lead)
    header, rows = lead_exports.lead_header(extra), lead_exports.lead_rows(qs, extra)
    filename = f"leads-{timezone.localdate():%Y%m%d}"
    if fmt == "xlsx":
        return xlsx_response(filename, header, rows)
    return csv_response(filename, header, rows)
