"""Billing's parts of the commerce pages: an order's invoices and returns (with the buttons to invoice it
and to record a return), a contract's invoices. Registered on sencrm.core.panels, so commerce renders
them without importing billing; each reads through the access gate."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from sencrm.billing.models import Invoice, Return
from sencrm.billing.services import invoiced_quantities
from sencrm.commerce.models import OrderStatus
from sencrm.core import access, panels
from sencrm.core.modules import Action, Module
from sencrm.core.myday import Panel

ROWS = 20
INVOICEABLE = (OrderStatus.CONFIRMED, OrderStatus.PARTLY_DELIVERED, OrderStatus.DELIVERED)
RETURNABLE = (OrderStatus.PARTLY_DELIVERED, OrderStatus.DELIVERED)


def _invoices(user: Any, **link: Any) -> list[Invoice]:
    return list(access.scope(user, Invoice, Action.VIEW).filter(**link).order_by("-issue_date", "-id")[:ROWS])


@panels.register("commerce.order")
def order_billing(order: Any, user: Any) -> Panel | None:
    """The order's invoices and returns the user may see, and what they may do next."""
    if not access.can(user, Module.BILLING, Action.VIEW):
        return None
    can_create = access.can(user, Module.BILLING, Action.CREATE)
    if can_create and order.status in INVOICEABLE:
        # The button only while something is left to invoice (one grouped query).
        done = invoiced_quantities(order)
        can_create_invoice = any(line.quantity > done.get(line.pk, 0) for line in order.lines.all())
    else:
        can_create_invoice = False
    return Panel(
        "billing/partials/record_invoices.html",
        {
            "invoices": _invoices(user, order=order),
            "returns": list(
                access.scope(user, Return, Action.VIEW)
                .filter(order=order)
                .order_by("-returned_on", "-id")[:ROWS]
            ),
            "show_returns": True,
            "invoice_url": reverse("billing:order_invoice", args=[order.pk]) if can_create_invoice else "",
            "return_url": reverse("billing:order_return", args=[order.pk])
            if can_create and order.status in RETURNABLE
            else "",
        },
    )


@panels.register("commerce.contract")
def contract_invoices(contract: Any, user: Any) -> Panel | None:
    """The contract's invoices (its billing periods' and its orders') the user may see."""
    if not access.can(user, Module.BILLING, Action.VIEW):
        return None
    return Panel("billing/partials/record_invoices.html", {"invoices": _invoices(user, contract=contract)})
