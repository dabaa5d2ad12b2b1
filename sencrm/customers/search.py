"""The customers' part of the global search box."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from sencrm.core import access, search
from sencrm.customers import selectors


@search.register
def customers(user: Any, query: str, limit: int) -> list[search.SearchResult]:
    contacts = list(selectors.contact_search(user=user, query=query, limit=limit))
    access.label_related(user, contacts, "account")  # an account's name only for those who may open it
    results = [
        search.SearchResult(
            kind=_("Contact"),
            label=c.full_name,
            url=c.get_absolute_url(),
            detail=search.second_line(c.primary_phone, c.account_label, c.province),
        )
        for c in contacts
    ]
    results += [
        search.SearchResult(
            kind=_("Account"),
            label=a.name,
            url=a.get_absolute_url(),
            detail=search.second_line(a.primary_phone, a.tax_code, a.province),
        )
        for a in selectors.account_search(user=user, query=query, limit=limit)
    ]
    return results
