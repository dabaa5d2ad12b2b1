"""Reads of periodic maintenance: the plans a user may see, a plan's assets and visits, and what a
contract suggests for a new plan.

Who sees plans: the gate's `fieldservice` view scope on the plan (owner / team / all). Care and
managers dispatch and see them; a technician owns none, so sees none: their side of a plan is the
maintenance work orders assigned to them (with the asset and its history), not the plan itself.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from sencrm.commerce.models import Contract
from sencrm.core import access
from sencrm.core.modules import Action
from sencrm.core.text import fold
from sencrm.fieldservice.models import (
    Asset,
    AssetStatus,
    MaintenancePlan,
    MaintenanceVisit,
    VisitStatus,
    WorkOrder,
)

NEXT_VISITS = 3


def plan_list(
    user: Any, *, q: str = "", active: str = "1", contract: int | None = None
) -> QuerySet[MaintenancePlan]:
    """The plans `user` may see: `active` "1" (default) the running ones, "0" those ended, "" all;
    `q` matches the plan's name or customer."""
    plans = access.scope(user, MaintenancePlan, Action.VIEW).select_related(
        "contact", "account", "contract", "product"
    )
    if active in ("0", "1"):
        plans = plans.filter(active=active == "1")
    if contract is not None:
        plans = plans.filter(contract_id=contract)
    if q:
        folded = fold(q)
        plans = plans.filter(
            Q(name__icontains=q)
            | Q(contact__search_key__contains=folded)
            | Q(account__search_key__contains=folded)
        )
    return plans.order_by("-created_at", "-id")


def with_next_visits(plans: QuerySet[MaintenancePlan]) -> QuerySet[MaintenancePlan]:
    """Each plan with its visits still to come (planned or ordered), soonest first: `plan.next_visits`."""
    upcoming = MaintenanceVisit.objects.filter(
        status__in=(VisitStatus.PLANNED, VisitStatus.ORDERED), planned_date__gte=timezone.localdate()
    ).order_by("planned_date", "sequence")
    return plans.prefetch_related(Prefetch("visits", queryset=upcoming, to_attr="next_visits"))


def plan_get(user: Any, pk: int) -> MaintenancePlan:
    """One plan `user` may see (404 otherwise, the same as a missing one)."""
    plan = (
        MaintenancePlan.all_objects.select_related("contact", "account", "contract", "product", "skill")
        .filter(pk=pk)
        .first()
    )
    if plan is None or plan.is_deleted:
        from django.http import Http404

        raise Http404(str(access.NOT_FOUND))
    access.check(user, Action.VIEW, plan)
    return plan


def plan_assets(plan: MaintenancePlan) -> QuerySet[Asset]:
    """What the plan's visits service: the assets chosen on it, else every asset of its customer still
    installed (or under repair) of its product and/or under its contract."""
    chosen = plan.assets.filter(deleted_at__isnull=True)
    if chosen.exists():
        return chosen.select_related("product")
    assets = Asset.objects.filter(status__in=(AssetStatus.INSTALLED, AssetStatus.UNDER_REPAIR))
    customer = Q()
    if plan.contact_id:
        customer |= Q(contact_id=plan.contact_id)
    if plan.account_id:
        customer |= Q(account_id=plan.account_id)
    if not customer:
        return assets.none()
    assets = assets.filter(customer)
    if plan.product_id:
        assets = assets.filter(product_id=plan.product_id)
    if plan.contract_id and not plan.product_id:
        assets = assets.filter(contract_id=plan.contract_id)
    return assets.select_related("product").order_by("pk")


def plan_visits(plan: MaintenancePlan) -> list[MaintenanceVisit]:
    """Every visit of the plan, in the cycle's order, with its work order."""
    return list(plan.visits.select_related("work_order", "work_order__technician").order_by("sequence"))


def plan_work_orders(user: Any, plan: MaintenancePlan) -> QuerySet[WorkOrder]:
    """The work orders the plan generated, those `user` may see."""
    return (
        access.scope(user, WorkOrder, Action.VIEW)
        .filter(plan=plan)
        .select_related("technician")
        .order_by("-scheduled_start", "-id")
    )


def contract_prefill(user: Any, contract_id: str) -> dict[str, Any]:
    """What `?contract=<id>` fills on a new plan: the customer, the end date, the interval (the shortest
    maintenance period of the contract's products) and that product. {} for a contract the user may
    not see (or no such contract)."""
    if not contract_id.isdigit() or len(contract_id) > 12:
        return {}
    contract = access.scope(user, Contract, Action.VIEW).filter(pk=int(contract_id)).first()
    if contract is None:
        return {}
    initial: dict[str, Any] = {
        "contract": contract,
        "contact": contract.contact,
        "account": contract.account,
        "end_date": contract.end_date,
        "start_date": max(contract.start_date, timezone.localdate()) if contract.start_date else None,
        "name": str(contract.name)[:200],
    }
    products = [
        line.product
        for line in contract.lines.select_related("product")
        if line.product is not None and line.product.maintenance_months
    ]
    if products:
        first = min(products, key=lambda p: p.maintenance_months)
        initial["interval_months"] = first.maintenance_months
        if len({p.pk for p in products}) == 1:
            initial["product"] = first
    return initial


def visits_upcoming(today: dt.date | None = None, days: int = 30) -> QuerySet[MaintenanceVisit]:
    """Visits planned in the next `days` (home pages, reports)."""
    start = today or timezone.localdate()
    return (
        MaintenanceVisit.objects.filter(
            status=VisitStatus.PLANNED,
            plan__active=True,
            planned_date__range=(start, start + dt.timedelta(days=days)),
        )
        .select_related("plan")
        .order_by("planned_date")
    )
