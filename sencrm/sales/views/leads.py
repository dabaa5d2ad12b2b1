"""What every lead page shares: fetching a lead through the access gate, and the list's records.

The pages themselves live in lead_list.py, lead_edit.py, lead_detail.py and lead_convert.py.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.http import HttpRequest

from sencrm.core import access
from sencrm.core.modules import Action, Module
from sencrm.core.record_views import RecordList, Records, get_record
from sencrm.customfields import custom_fields
from sencrm.sales import selectors
from sencrm.sales.filters import LeadFilter
from sencrm.sales.models import Lead


def get_lead(request: HttpRequest, pk: int, action: str = Action.VIEW) -> Lead:
    """The lead if the user may do `action` on it: 403 for a role without leads, 404 outside scope."""
    access.check_module(request.user, Module.LEADS, Action.VIEW)
    related = Lead.objects.select_related("owner", "team", "province", "source", "web_form")
    lead: Lead = get_record(request, related, pk, action)
    return lead


def _narrow(qs: Records, params: Mapping[str, Any]) -> Records:
    """Custom-field filters (ValidationError when one is not valid), then the accent-insensitive search."""
    qs = custom_fields.filter_queryset(qs, Lead, params)
    return selectors.lead_search_filter(qs, params.get("q", "")[:100])


LEADS = RecordList(Lead, LeadFilter, _narrow)
