"""What every lead page shares: fetching a lead through the access gate, and the list's filtering.

The pages themselves live in lead_list.py, lead_edit.py, lead_detail.py and lead_convert.py.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.shortcuts import get_object_or_404

from sencrm.core import access
from sencrm.core.modules import Action, Module
from sencrm.customfields import custom_fields
from sencrm.sales import selectors
from sencrm.sales.filters import LeadFilter
from sencrm.sales.models import Lead


def get_lead(request: HttpRequest, pk: int, action: str = Action.VIEW) -> Lead:
    """The lead if the user may do `action` on it: 403 for a role without leads, 404 outside scope."""
    access.check_module(request.user, Module.LEADS, Action.VIEW)
    lead: Lead = get_object_or_404(
        access.scope(request.user, Lead, Action.VIEW).select_related(
            "owner", "team", "province", "source", "web_form"
        ),
        pk=pk,
    )
    access.check(request.user, action, lead)
    return lead


def filtered_leads(request: HttpRequest, action: str, params: Any) -> Any:
    """The leads matching the list's parameters for this gate action, or None when a filter is invalid."""
    base = access.scope(request.user, Lead, action)
    filterset = LeadFilter(params or None, queryset=base, request=request)
    if filterset.is_bound and not filterset.is_valid():
        return None
    qs = filterset.qs if filterset.is_bound else base
    try:
        qs = custom_fields.filter_queryset(qs, Lead, params)
    except ValidationError:
        return None
    return selectors.lead_search_filter(qs, params.get("q", "")[:100])
