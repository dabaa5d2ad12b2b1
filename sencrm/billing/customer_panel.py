"""A customer's money on their page: what they owe (overdue part), their credit, their last invoices."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import Q, Sum

from sencrm.billing.models import OPEN_STATUSES, Invoice
from sencrm.billing.selectors import overdue_q
from sencrm.billing.services import customer_credit
from sencrm.core import access, panels
from sencrm.core.modules import Action, Module
from sencrm.core.myday import Panel


def _panel(customer: Any, user: Any, who: Q, credit: Decimal) -> Panel | None:
    if not access.can(user, Module.BILLING, Action.VIEW):
        return None
    invoices = access.scope(user, Invoice, Action.VIEW).filter(who)
    recent = list(invoices.order_by("-issue_date", "-id")[:5])
    if not recent:
        return None
    open_invoices = invoices.filter(status__in=OPEN_STATUSES, is_credit=False)
    return Panel(
        "billing/partials/customer_money.html",
        {
            "invoices": recent,
            "owed": open_invoices.aggregate(s=Sum("balance"))["s"] or Decimal(0),
            "overdue": open_invoices.filter(overdue_q()).aggregate(s=Sum("balance"))["s"] or Decimal(0),
            "credit": credit,
            "filter": f"{'account' if type(customer).__name__ == 'Account' else 'contact'}={customer.pk}",
        },
    )


@panels.register("customers.contact")
def contact_money(contact: Any, user: Any) -> Panel | None:
    return _panel(contact, user, Q(contact=contact), customer_credit(contact_id=contact.pk))


@panels.register("customers.account")
def account_money(account: Any, user: Any) -> Panel | None:
    return _panel(account, user, Q(account=account), customer_credit(account_id=account.pk))
