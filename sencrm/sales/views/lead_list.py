"""The lead list (filters, accent-insensitive search, sorts, keyset pages) and its export."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.utils import timezone
from django.views.decorators.http import require_GET

from sencrm.core import access
from sencrm.core.modules import Action, Module
from sencrm.core.record_views import custom_field_columns, record_export, record_list_page
from sencrm.customfields import custom_fields
from sencrm.sales import lead_exports
from sencrm.sales.filters import LEAD_SORTS
from sencrm.sales.models import Lead
from sencrm.sales.views.leads import LEADS
from sencrm.savedviews.models import SavedView

# Sorted by follow-up, the list shows the leads that have one: keyset pages need a non-null key,
# and NULLs sort first on SQLite but last on PostgreSQL.
WITH_FOLLOW_UP = Q(next_action_at__isnull=False)
NULLABLE_SORTS = {"follow_up": WITH_FOLLOW_UP, "-follow_up": WITH_FOLLOW_UP}


@login_required
@require_GET
def lead_list(request: HttpRequest) -> HttpResponse:
    access.check_module(request.user, Module.LEADS, Action.VIEW)
    user: Any = request.user
    sort = request.GET.get("sort", "-created")
    context: dict[str, Any] = {
        "can_create": access.can(user, Module.LEADS, Action.CREATE),
        "can_export": access.can(user, Module.LEADS, Action.EXPORT),
        "saved_views": SavedView.objects.filter(user=user, list_name="leads"),
        **custom_field_columns(custom_fields.definitions(Lead), request.GET),
        "only_with_follow_up": sort in NULLABLE_SORTS,
        "now": timezone.now(),
    }
    return record_list_page(
        request,
        LEADS,
        sorts=LEAD_SORTS,
        default_sort="-created",
        template="sales/lead_list.html",
        partial="sales/partials/lead_table.html",
        context=context,
        related=["owner", "source"],
        sort_filters=NULLABLE_SORTS,
    )


@login_required
@require_GET
def lead_export(request: HttpRequest) -> HttpResponseBase:
    """The filtered list as CSV or XLSX (formula-safe cells), only over what the user may export."""

    def table(qs: Any) -> tuple[list[str], Any]:
        extra = custom_fields.definitions(Lead)
        return lead_exports.lead_header(extra), lead_exports.lead_rows(qs, extra)

    return record_export(request, LEADS, module=Module.LEADS, name="leads", table=table)
