"""After-sales on the caller card (sencrm/support/card.py SECTIONS): the caller's installed products with
their warranty today, and their open work orders — two queries, through the agent's gate. Also registers
the hook that makes installed products from a recorded delivery (sencrm/commerce/services.py
DELIVERY_HOOKS). Imported by registry.py."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from sencrm.commerce import services as commerce_services
from sencrm.core import access
from sencrm.core.modules import Action, Module
from sencrm.fieldservice import warranty
from sencrm.fieldservice.assets import delivery_hook
from sencrm.fieldservice.models import OPEN_WORK, Asset, AssetStatus, WorkOrder
from sencrm.support import card

ROWS = 5
TEMPLATE = "fieldservice/partials/asset_caller_card.html"


def caller_assets(user: Any, caller: Any, who: Q) -> tuple[str, dict[str, Any]] | None:
    """The caller's installed products (in use first) and open work orders, as the agent may read them."""
    if not access.can(user, Module.FIELDSERVICE, Action.VIEW):
        return None
    scoped: QuerySet[Asset] = access.scope(user, Asset, Action.VIEW)
    in_use = (AssetStatus.INSTALLED, AssetStatus.UNDER_REPAIR)
    assets = list(
        scoped.filter(who, status__in=in_use)
        .select_related("product")
        .order_by("-installed_on", "-id")[:ROWS]
    )
    today = timezone.localdate()
    for asset in assets:
        asset.warranty_today = warranty.check(asset, today)  # type: ignore[attr-defined]
    orders: QuerySet[WorkOrder] = access.scope(user, WorkOrder, Action.VIEW)
    work_orders = list(
        orders.filter(who, status__in=OPEN_WORK)
        .select_related("technician")
        .order_by("scheduled_start", "id")[:ROWS]
    )
    return TEMPLATE, {"assets": assets, "work_orders": work_orders}


if caller_assets not in card.SECTIONS:
    card.SECTIONS.append(caller_assets)
if delivery_hook not in commerce_services.DELIVERY_HOOKS:
    commerce_services.DELIVERY_HOOKS.append(delivery_hook)
