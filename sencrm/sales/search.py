"""The sales module's part of the global search box: leads and opportunities the user may see."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from sencrm.core import access, search
from sencrm.core.modules import Action
from sencrm.core.text import clean_text, fold
from sencrm.sales.models import Lead, Opportunity
from sencrm.sales.selectors import lead_search_filter, opportunity_search_filter


@search.register
def sales(user: Any, query: str, limit: int) -> list[search.SearchResult]:
    leads = lead_search_filter(access.scope(user, Lead, Action.VIEW), query)
    order = (
        ["search_rank", "sort_key", "id"] if "search_rank" in leads.query.annotations else ["sort_key", "id"]
    )
    results = [
        search.SearchResult(
            kind=_("Lead"),
            label=lead.full_name,
            url=lead.get_absolute_url(),
            detail=search.second_line(lead.primary_phone, lead.company, lead.province),
        )
        for lead in leads.select_related("province").order_by(*order)[:limit]
    ]
    if len(fold(clean_text(query)[:100])) >= 2:
        opportunities = opportunity_search_filter(access.scope(user, Opportunity, Action.VIEW), query)
        results += [
            search.SearchResult(
                kind=_("Opportunity"),
                label=o.name,
                url=o.get_absolute_url(),
                detail=search.second_line(o.stage.name, o.account.name if o.account else ""),
            )
            for o in opportunities.select_related("stage", "account").order_by("-id")[:limit]
        ]
    return results
