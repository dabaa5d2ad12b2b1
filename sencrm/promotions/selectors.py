"""Reads of promotions: the list's filters and each promotion's results.

Results are the promotion's own figures, over all of its orders whoever may open them (the limits count
the same way): **uses** are live uses on orders (not cancelled, not trashed); **discount given** their
savings (the lines' promotion discounts plus a gift at its list price); **revenue** the totals (VAT
included) of those orders; **new customers** the customers whose first order (the earliest by date,
then number, cancelled and trashed orders left out) is one of them — the customer being the order's
account when it names one, else its contact.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import models
from django.db.models import Count, DecimalField, Exists, OuterRef, Q, Sum, Value
from django.db.models.functions import Coalesce

from sencrm.commerce.models import Order, OrderStatus
from sencrm.core.text import fold
from sencrm.promotions.models import Promotion, PromotionUse

ZERO = Decimal(0)


@dataclass(frozen=True)
class Results:
    uses: int = 0
    discount: Decimal = ZERO
    revenue: Decimal = ZERO
    new_customers: int = 0


def live_order_uses() -> models.QuerySet[PromotionUse]:
    return PromotionUse.objects.filter(order__isnull=False, released_at__isnull=True)


def with_uses(qs: models.QuerySet[Promotion]) -> models.QuerySet[Promotion]:
    """Annotate `uses_count` and `discount_given` (one grouped join, for lists and the API)."""
    live = Q(uses__order__isnull=False, uses__released_at__isnull=True)
    money = DecimalField(max_digits=18, decimal_places=0)
    return qs.annotate(
        uses_count=Count("uses", filter=live),
        discount_given=Coalesce(Sum("uses__discount", filter=live), Value(ZERO), output_field=money),
    )


def promotion_filter(
    qs: models.QuerySet[Promotion], *, query: str = "", kind: str = "", state: str = "", today: Any = None
) -> models.QuerySet[Promotion]:
    if query:
        qs = qs.filter(search_key__contains=fold(query)[:100])
    if kind:
        qs = qs.filter(kind=kind)
    if state == "running" and today is not None:
        qs = qs.filter(active=True).filter(
            Q(valid_from__isnull=True) | Q(valid_from__lte=today),
            Q(valid_until__isnull=True) | Q(valid_until__gte=today),
        )
    elif state == "automatic":
        qs = qs.filter(code="")
    return qs


def promotion_results(ids: Iterable[int]) -> dict[int, Results]:
    """{promotion id: Results} in two queries, whatever the number of promotions."""
    wanted = list(ids)
    if not wanted:
        return {}
    uses = live_order_uses().filter(promotion_id__in=wanted)
    totals = {
        row["promotion_id"]: row
        for row in uses.values("promotion_id").annotate(
            n=Count("id"), discount=Sum("discount"), revenue=Sum("order__total")
        )
    }
    # An earlier order of the same customer: this one was not their first.
    earlier = Order.objects.exclude(status=OrderStatus.CANCELLED).filter(
        Q(issue_date__lt=OuterRef("order__issue_date"))
        | Q(issue_date=OuterRef("order__issue_date"), pk__lt=OuterRef("order_id"))
    )
    rows = uses.annotate(
        by_account=Exists(earlier.filter(account_id=OuterRef("account_id"))),
        by_contact=Exists(earlier.filter(contact_id=OuterRef("contact_id"))),
    ).values_list("promotion_id", "account_id", "by_account", "by_contact")
    first_orders: dict[int, int] = {}
    for promotion_id, account_id, by_account, by_contact in rows:
        if not (by_account if account_id else by_contact):
            first_orders[promotion_id] = first_orders.get(promotion_id, 0) + 1
    return {
        pk: Results(
            uses=totals[pk]["n"] if pk in totals else 0,
            discount=(totals[pk]["discount"] or ZERO) if pk in totals else ZERO,
            revenue=(totals[pk]["revenue"] or ZERO) if pk in totals else ZERO,
            new_customers=first_orders.get(pk, 0),
        )
        for pk in wanted
    }
