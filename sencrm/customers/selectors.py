"""Reads of customers: search (accent-insensitive, phone-aware), duplicates, caller ID."""

from __future__ import annotations

import re
from typing import Any

from django.db import models
from django.db.models import Case, IntegerField, Value, When

from sencrm.core import access
from sencrm.core.modules import Action
from sencrm.core.phones import looks_like_phone, to_e164
from sencrm.core.text import clean_text, fold
from sencrm.customers.models import Account, Contact, Email, Phone

_NUMBERISH = re.compile(r"[\d\s().+-]+")


def search_filter(
    model: type[Contact] | type[Account], qs: models.QuerySet[Any], query: str
) -> models.QuerySet[Any]:
    """Filter by a search text and rank: exact name (with accents), then folded prefix, then contains.

    A phone-like text matches the phone numbers in any format; everything else matches the folded
    search key (name, phones, emails), on SQLite and PostgreSQL alike (trigram index on PostgreSQL).
    """
    query = clean_text(query)[:100]
    if not query:
        return qs
    name_field = "full_name" if model is Contact else "name"
    key = fold(query)
    if _NUMBERISH.fullmatch(query):
        e164 = to_e164(query) if looks_like_phone(query) else None
        if e164:
            owner = "contact" if model is Contact else "account"
            ids = Phone.objects.filter(e164=e164, **{f"{owner}__isnull": False}).values(owner)
            return qs.filter(pk__in=ids)
        # Part of a number ("345 678"): the digits, as the search key stores them.
        key = re.sub(r"\D", "", query)
    if not key:
        return qs.none()  # only punctuation: nothing to look for
    ranked: models.QuerySet[Any] = qs.filter(search_key__contains=key).annotate(
        search_rank=Case(
            When(**{f"{name_field}__iexact": query}, then=Value(0)),
            When(search_key__startswith=key, then=Value(1)),
            default=Value(2),
            output_field=IntegerField(),
        )
    )
    return ranked


def contact_search(*, user: Any, query: str, limit: int = 20) -> list[Contact]:
    qs = search_filter(Contact, access.scope(user, Contact, Action.VIEW), query)
    order = ["search_rank", "sort_key", "id"] if "search_rank" in qs.query.annotations else ["sort_key", "id"]
    return list(qs.select_related("account", "owner", "province").order_by(*order)[:limit])


def account_search(*, user: Any, query: str, limit: int = 20) -> list[Account]:
    qs = search_filter(Account, access.scope(user, Account, Action.VIEW), query)
    order = ["search_rank", "sort_key", "id"] if "search_rank" in qs.query.annotations else ["sort_key", "id"]
    return list(qs.select_related("province").order_by(*order)[:limit])


def contact_duplicates(
    *,
    phones_e164: list[str],
    emails: list[str],
    full_name: str = "",
    province_id: int | None = None,
    exclude_pk: int | None = None,
    limit: int = 10,
) -> list[Contact]:
    """Existing contacts that share a phone or an email, or whose folded name and province match.

    A fixed number of indexed lookups. Folded names only *suggest*: Vietnamese names that differ
    by a tone are different people, so nothing is ever merged automatically.
    """
    match = models.Q(pk__in=[])
    if phones_e164:
        match |= models.Q(
            pk__in=Phone.objects.filter(e164__in=phones_e164, contact__isnull=False).values("contact")
        )
    if emails:
        keys = [e.lower() for e in emails]
        match |= models.Q(
            pk__in=Email.objects.filter(address_key__in=keys, contact__isnull=False).values("contact")
        )
    if full_name and province_id:
        from sencrm.core.text import name_sort_key

        match |= models.Q(sort_key=name_sort_key(full_name), province_id=province_id)
    qs = Contact.objects.filter(match)
    if exclude_pk:
        qs = qs.exclude(pk=exclude_pk)
    return list(qs.select_related("owner", "province").order_by("id")[:limit])


def caller_lookup(*, user: Any, phone: str) -> dict[str, list[Any]]:
    """Who is calling: the contacts and accounts with this number that the user may see, and the other
    modules' records (`others`: leads…, see sencrm.core.callers)."""
    from sencrm.core import callers

    e164 = to_e164(phone)
    if e164 is None:
        return {"contacts": [], "accounts": [], "others": []}
    contacts = access.scope(user, Contact, Action.VIEW).filter(
        pk__in=Phone.objects.filter(e164=e164, contact__isnull=False).values("contact")
    )
    accounts = access.scope(user, Account, Action.VIEW).filter(
        pk__in=Phone.objects.filter(e164=e164, account__isnull=False).values("account")
    )
    found = list(contacts.select_related("account", "owner").order_by("id")[:20])
    access.label_related(user, found, "account")  # the account's name only if the user may open it
    return {
        "contacts": found,
        "accounts": list(accounts.select_related("owner").order_by("id")[:20]),
        "others": callers.sections(user, e164),
    }
