"""Reads of customers: search (accent-insensitive, phone-aware), duplicates, caller ID."""

from __future__ import annotations

import re
from typing import Any

from django.db import connection, models
from django.db.models import BooleanField, Case, F, Func, IntegerField, Value, When

from sencrm.core import access
from sencrm.core.modules import Action
from sencrm.core.phones import looks_like_phone, to_e164
from sencrm.core.text import clean_text, fold
from sencrm.customers.models import Account, Contact, Email, Phone

_NUMBERISH = re.compile(r"[\d\s().+-]+")
_WORD = re.compile(r"[a-z0-9]+")


def word_end_keys(key: str) -> list[str]:
    """The keys of the `sencrm_search_ends` index (migration customers/0012) that every search key
    containing `key` has, for a text of several words; [] when the trigram index must serve it.

    A search key containing "w1 w2 … wn" has a word ending with w1, the words w2 … wn-1 themselves and
    a word starting with wn; the index holds each word's first and last 2, 3 and 4 characters."""
    words = key.split(" ")
    if len(words) < 2 or not all(_WORD.fullmatch(w) for w in words):
        return []
    first, *inner, last = words
    if len(first) < 2 or len(last) < 2:
        return []  # the other words alone may leave too many rows to check
    keys = {">" + first[-4:], "<" + last[:4]}
    for word in inner:  # a whole word: its first and last four characters (or all of it) are keys
        keys.update(("<" + word[:4], ">" + word[-4:]))
    return sorted(keys)


# Above this many estimated matches, walking the primary key backwards fills a page sooner.
WORD_ENDS_MAX = 1500


def _estimated_matches(model: type[Contact] | type[Account], key: str) -> float:
    """PostgreSQL's estimate of the rows whose search key contains `key` (its 1,000-value histogram,
    migration customers/0011): planning only, nothing is read."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"EXPLAIN (FORMAT JSON) SELECT 1 FROM {model._meta.db_table} WHERE search_key LIKE %s",  # noqa: S608 - table name from the model
            ["%" + key + "%"],  # key is [a-z0-9 ]+ here (word_end_keys): no LIKE wildcard in it
        )
        plan = cursor.fetchone()[0]
    return float(plan[0]["Plan"]["Plan Rows"])


class _IsAnyOf(Func):
    """`id = ANY(%s)`: one array parameter for the found rows (an IN list would send hundreds)."""

    output_field = BooleanField()

    def __init__(self, ids: list[int]) -> None:
        super().__init__(F("pk"))
        self.ids = ids

    def as_sql(self, compiler: Any, conn: Any, **extra: Any) -> tuple[str, list[Any]]:  # type: ignore[override]  # narrower than Func.as_sql
        column, params = compiler.compile(self.source_expressions[0])
        return f"{column} = ANY(%s)", [*params, self.ids]


class _HasWordEnds(Func):
    """`sencrm_search_ends(search_key) @@ '<k1' & '>k2' …`: the rows having every key (PostgreSQL)."""

    output_field = BooleanField()

    def __init__(self, keys: list[str]) -> None:
        query = " & ".join("'" + k + "'" for k in keys)  # keys are [<>][a-z0-9]+: nothing to escape
        super().__init__(F("search_key"), Value(query))

    def as_sql(self, compiler: Any, conn: Any, **extra: Any) -> tuple[str, list[Any]]:  # type: ignore[override]  # narrower than Func.as_sql
        column, column_params = compiler.compile(self.source_expressions[0])
        query, query_params = compiler.compile(self.source_expressions[1])
        return f"sencrm_search_ends({column}) @@ ({query})::tsquery", [*column_params, *query_params]


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
    ends = word_end_keys(key) if connection.vendor == "postgresql" else []
    if ends and _estimated_matches(model, key) <= WORD_ENDS_MAX:
        # A rare text of several words (a whole name): its rows through the word-ends index, checked
        # for the whole text by strpos(), the same test as LIKE '%…%'. Fetched first, by themselves:
        # joined to the page's query, the planner multiplies the two conditions' selectivities as if
        # they were independent and can pick a plan that reads far more rows.
        contains = Func(F("search_key"), Value(key), function="strpos", output_field=IntegerField())
        found = model.objects.filter(_HasWordEnds(ends)).alias(search_at=contains).filter(search_at__gt=0)
        qs = qs.filter(_IsAnyOf(list(found.values_list("pk", flat=True))))
    else:
        qs = qs.filter(search_key__contains=key)
    ranked: models.QuerySet[Any] = qs.annotate(
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
