"""Template tags of the opportunity panel on customer pages (customers does not import sales)."""

from __future__ import annotations

from typing import Any

from django import template

from sencrm.core import access
from sencrm.core.modules import Action, Module
from sencrm.customers.models import Account, Contact
from sencrm.sales.models import Opportunity

register = template.Library()
PANEL_LIMIT = 20


@register.simple_tag(takes_context=True)
def customer_opportunities(context: dict[str, Any], customer: Any) -> dict[str, Any]:
    """The customer's opportunities the viewer may see (newest first), and whether they may add one."""
    user = context["request"].user
    if not access.can(user, Module.SALES, Action.VIEW):
        return {"visible": False}
    field = (
        "contact" if isinstance(customer, Contact) else "account" if isinstance(customer, Account) else None
    )
    if field is None:
        return {"visible": False}
    qs = access.scope(user, Opportunity, Action.VIEW).filter(**{field: customer})
    rows = list(qs.select_related("stage").order_by("-id")[: PANEL_LIMIT + 1])
    return {
        "visible": True,
        "field": field,
        "rows": rows[:PANEL_LIMIT],
        "more": len(rows) > PANEL_LIMIT,
        "can_create": access.can(user, Module.SALES, Action.CREATE),
    }
