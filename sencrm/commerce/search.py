"""Sales documents in the global search box: by number or customer name."""

from __future__ import annotations

from typing import Any

from sencrm.commerce.models import Contract, Order, Quote
from sencrm.commerce.selectors import document_search_filter
from sencrm.core import access, search
from sencrm.core.modules import Action, Module
from sencrm.core.money import format_money
from sencrm.core.text import clean_text, fold


@search.register
def documents(user: Any, query: str, limit: int) -> list[search.SearchResult]:
    if not access.can(user, Module.COMMERCE, Action.VIEW) or len(fold(clean_text(query)[:100])) < 2:
        return []
    results: list[search.SearchResult] = []
    for model in (Quote, Order, Contract):
        found = document_search_filter(access.scope(user, model, Action.VIEW), query)
        rows: list[Any] = list(
            found.select_related("contact", "account").order_by("-issue_date", "-id")[:limit]
        )
        access.label_related(user, rows, "contact")
        access.label_related(user, rows, "account")
        results += [
            search.SearchResult(
                kind=str(model._meta.verbose_name),
                label=str(d),
                url=d.get_absolute_url(),
                detail=search.second_line(
                    getattr(d, "account_label", "") or getattr(d, "contact_label", ""),
                    d.get_status_display(),
                    format_money(d.total),
                ),
            )
            for d in rows
        ]
    return results
