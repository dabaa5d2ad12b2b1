"""After-sales panels on a contact's and an account's page: their installed products with the warranty
today, and their work orders (open ones first, then the last ones done). Read through the gate, in a fixed
number of queries. Imported by registry.py, which registers these providers."""

from __future__ import annotations

from typing import Any

from django.db.models import Case, IntegerField, QuerySet, Value, When
from django.urls import NoReverseMatch, reverse

from sencrm.core import access, panels
from sencrm.core.modules import Action, Module
from sencrm.core.myday import Panel
from sencrm.fieldservice.asset_selectors import customer_assets
from sencrm.fieldservice.models import OPEN_WORK, WorkOrder

PANEL_ASSETS = 10
PANEL_DONE = 5


def _url(name: str, param: str, pk: int) -> str:
    try:
        return f"{reverse(name)}?{param}={pk}"
    except NoReverseMatch:  # the page is not installed (yet)
        return ""


def customer_work_orders(user: Any, param: str, customer: Any) -> tuple[list[WorkOrder], list[WorkOrder]]:
    """(open work orders, the last PANEL_DONE closed ones) of the customer that `user` may read: one query."""
    scoped: QuerySet[WorkOrder] = access.scope(user, WorkOrder, Action.VIEW)
    theirs = scoped.filter(**{f"{param}_id": customer.pk}).select_related("technician")
    opened = Case(When(status__in=OPEN_WORK, then=Value(0)), default=Value(1), output_field=IntegerField())
    rows: list[WorkOrder] = list(
        theirs.annotate(closed=opened).order_by("closed", "-scheduled_start", "-id")[:50]
    )
    open_rows = [wo for wo in rows if wo.status in OPEN_WORK]
    done_rows = [wo for wo in rows if wo.status not in OPEN_WORK][:PANEL_DONE]
    return open_rows, done_rows


def _assets_panel(user: Any, param: str, customer: Any) -> Panel | None:
    if not access.can(user, Module.FIELDSERVICE, Action.VIEW):
        return None
    rows = customer_assets(user, **{param: customer}, limit=PANEL_ASSETS + 1)
    can_create = access.can(user, Module.FIELDSERVICE, Action.CREATE)
    if not rows and not can_create:
        return None
    return Panel(
        "fieldservice/partials/asset_customer_panel.html",
        {
            "assets": rows[:PANEL_ASSETS],
            "more": len(rows) > PANEL_ASSETS,
            "all_url": _url("fieldservice:asset_list", param, customer.pk),
            "new_url": _url("fieldservice:asset_create", param, customer.pk) if can_create else "",
        },
    )


def _work_orders_panel(user: Any, param: str, customer: Any) -> Panel | None:
    if not access.can(user, Module.FIELDSERVICE, Action.VIEW):
        return None
    open_rows, done_rows = customer_work_orders(user, param, customer)
    if not open_rows and not done_rows:
        return None
    return Panel(
        "fieldservice/partials/asset_customer_work_orders.html",
        {
            "open": open_rows,
            "done": done_rows,
            "all_url": _url("fieldservice:workorder_list", param, customer.pk),
        },
    )


@panels.register("customers.contact")
def contact_assets(contact: Any, user: Any) -> Panel | None:
    return _assets_panel(user, "contact", contact)


@panels.register("customers.account")
def account_assets(account: Any, user: Any) -> Panel | None:
    return _assets_panel(user, "account", account)


@panels.register("customers.contact")
def contact_work_orders(contact: Any, user: Any) -> Panel | None:
    return _work_orders_panel(user, "contact", contact)


@panels.register("customers.account")
def account_work_orders(account: Any, user: Any) -> Panel | None:
    return _work_orders_panel(user, "account", account)
