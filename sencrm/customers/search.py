"""The customers' part of the global search box."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from sencrm.core import search
from sencrm.customers import selectors


@search.register
def customers(user: Any, query: str, limit: int) -> list[search.SearchResult]:
    results = [
        search.SearchResult(
            kind=_("Contact"),
            label=c.full_name,
            url=c.get_absolute_url(),
            detail=c.account.name if c.account else "",
        )
        for c in selectors.contact_search(user=user, query=query, limit=limit)
    ]
    results += [
        search.SearchResult(kind=_("Account"), label=a.name, url=a.get_absolute_url(), detail=a.tax_code)
        for a in selectors.account_search(user=user, query=query, limit=limit)
    ]
    return results
