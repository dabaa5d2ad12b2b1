"""The commerce part of the home page and of My day: quotes awaiting an answer, orders to deliver this
week, contracts ending soon — the user's own (sencrm/core/homepage.py, sencrm/core/myday.py)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from sencrm.commerce.models import Contract, Order, Quote
from sencrm.commerce.selectors import (
    WIDGET_ROWS,
    contracts_ending_soon,
    orders_to_deliver,
    quotes_awaiting_answer,
)
from sencrm.core import access, homepage, myday, panels
from sencrm.core.modules import Action, Module


def my_documents(user: Any) -> dict[str, Any] | None:
    if not access.can(user, Module.COMMERCE, Action.VIEW):
        return None
    return {
        "quotes": list(quotes_awaiting_answer(user)[:WIDGET_ROWS]),
        "orders": list(orders_to_deliver(user)[:WIDGET_ROWS]),
        "contracts": list(contracts_ending_soon(user)[:WIDGET_ROWS]),
    }


@homepage.register
def commerce_widget(user: Any) -> dict[str, Any]:
    data = my_documents(user)
    return {"commerce": data} if data and any(data.values()) else {}


@myday.register
def contracts_panel(user: Any) -> myday.Panel | None:
    data = my_documents(user)
    if not data or not (data["contracts"] or data["orders"]):
        return None
    return myday.Panel("commerce/partials/myday_documents.html", {"commerce": data})


@panels.register("sales.opportunity")
def opportunity_documents(opportunity: Any, user: Any) -> myday.Panel | None:
    """The deal's quotes, orders and contracts, with a button to quote it."""
    if not access.can(user, Module.COMMERCE, Action.VIEW):
        return None
    documents = [
        *access.scope(user, Quote, Action.VIEW).filter(opportunity=opportunity).order_by("-id")[:20],
        *access.scope(user, Order, Action.VIEW).filter(opportunity=opportunity).order_by("-id")[:20],
        *access.scope(user, Contract, Action.VIEW).filter(opportunity=opportunity).order_by("-id")[:20],
    ]
    return myday.Panel(
        "commerce/partials/record_documents.html",
        {
            "documents": documents,
            "new_quote": f"{reverse('commerce:quote_create')}?opportunity={opportunity.pk}",
            "can_create": access.can(user, Module.COMMERCE, Action.CREATE),
        },
    )
