"""Reads of the catalogue: searching products and the price a customer gets on a date."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Q, QuerySet

from sencrm.catalog.models import Category, PriceListItem, Product
from sencrm.core.text import clean_text, fold


def product_search_filter(queryset: QuerySet[Product], query: str) -> QuerySet[Product]:
    """Products whose code or name contains every word of the query (accents and case ignored)."""
    words = fold(clean_text(query)[:100]).split()
    for word in words:
        queryset = queryset.filter(search_key__contains=word)
    return queryset


def price_for(product: Product, *, customer: Any = None, on: date) -> Decimal:
    """The best price that applies to the customer on that date: the list price or a lower price list's.

    A price list applies when it is active, valid on the date, and for every customer (no group) or for
    the customer's group (a contact without a group takes its account's).
    """
    group_id = getattr(customer, "customer_group_id", None)
    if group_id is None and getattr(customer, "account", None) is not None:
        group_id = customer.account.customer_group_id
    groups = Q(price_list__customer_group__isnull=True)
    if group_id is not None:
        groups |= Q(price_list__customer_group_id=group_id)
    prices = PriceListItem.objects.filter(
        groups,
        Q(price_list__valid_until__isnull=True) | Q(price_list__valid_until__gte=on),
        product=product,
        price_list__active=True,
        price_list__deleted_at__isnull=True,
        price_list__valid_from__lte=on,
    ).values_list("price", flat=True)
    return min([product.list_price, *prices])


def category_paths() -> dict[int, str]:
    """Every category's path ("Điều hòa › Treo tường"), from one query (a list or an export names
    the category of each row without a query per row or per level)."""
    nodes = {
        pk: (name, parent) for pk, name, parent in Category.objects.values_list("pk", "name", "parent_id")
    }
    paths: dict[int, str] = {}
    for pk in nodes:
        names: list[str] = []
        node: int | None = pk
        seen: set[int] = set()
        while node is not None and node in nodes and node not in seen:
            seen.add(node)
            name, node = nodes[node]
            names.append(name)
        paths[pk] = " › ".join(reversed(names))
    return paths
