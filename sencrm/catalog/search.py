"""The catalogue's part of the global search box: products by code or name."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from sencrm.catalog.models import Product
from sencrm.catalog.selectors import product_search_filter
from sencrm.core import access, search
from sencrm.core.modules import Action, Module
from sencrm.core.money import format_money
from sencrm.core.text import clean_text, fold


@search.register
def products(user: Any, query: str, limit: int) -> list[search.SearchResult]:
    if not access.can(user, Module.CATALOG, Action.VIEW) or len(fold(clean_text(query)[:100])) < 2:
        return []
    found = product_search_filter(access.scope(user, Product, Action.VIEW), query)
    return [
        search.SearchResult(
            kind=_("Product"),
            label=str(p),
            url=p.get_absolute_url(),
            detail=search.second_line(format_money(p.list_price), p.unit),
        )
        for p in found.order_by("code")[:limit]
    ]
