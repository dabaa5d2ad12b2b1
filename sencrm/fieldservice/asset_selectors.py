"""Reads of installed products, always through the gate: the list's filters, a customer's assets (panels,
caller card), an asset's work-order history."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from django.db.models import Q, QuerySet
from django.urls import NoReverseMatch
from django.utils import timezone

from sencrm.core import access
from sencrm.core.modules import Action
from sencrm.core.text import fold
from sencrm.fieldservice import warranty
from sencrm.fieldservice.models import Asset, AssetStatus, WarrantyRule, WorkOrder, WorkOrderAsset

EXPIRING_DAYS = 30
WARRANTY_FILTERS = ("in", "out", "expiring")


def warranty_q(state: str, today: dt.date) -> Q:
    """Assets in warranty today, out of it, or in it with its end within EXPIRING_DAYS (the same rule as
    warranty.check: the last day counts as in; a void from a day on or before today puts it out)."""
    void_free = Q(warranty_void_on__isnull=True) | Q(warranty_void_on__gt=today)
    started = Q(warranty_start__isnull=True) | Q(warranty_start__lte=today)
    inside = ~Q(warranty_rule=WarrantyRule.NONE) & Q(warranty_until__gte=today) & void_free & started
    if state == "in":
        return inside
    if state == "expiring":
        return inside & Q(warranty_until__lte=today + dt.timedelta(days=EXPIRING_DAYS))
    return ~inside


def asset_scope(user: Any, action: str = Action.VIEW) -> QuerySet[Asset]:
    queryset: QuerySet[Asset] = access.scope(user, Asset, action)
    return queryset


def asset_list(
    user: Any, filters: Mapping[str, Any] | None = None, *, action: str = Action.VIEW
) -> QuerySet[Asset]:
    """The assets `user` may read (or export, with action=EXPORT), filtered: `q` (folded search on product,
    serial, customer and site), `status`, `product` (id), `province` (id), `warranty` (in / out /
    expiring), `contact`, `account`. Unknown values are the caller's to refuse (the form does)."""
    values = filters or {}
    queryset = asset_scope(user, action).select_related("product", "contact", "account", "site_province")
    text = str(values.get("q") or "").strip()
    if text:
        for word in fold(text).split():
            queryset = queryset.filter(search_key__contains=word)
    if values.get("status"):
        queryset = queryset.filter(status=values["status"])
    for name, column in (("product", "product_id"), ("province", "site_province_id")):
        if values.get(name):
            queryset = queryset.filter(**{column: getattr(values[name], "pk", values[name])})
    for name in ("contact", "account"):
        if values.get(name):
            queryset = queryset.filter(**{f"{name}_id": getattr(values[name], "pk", values[name])})
    state = values.get("warranty")
    if state in WARRANTY_FILTERS:
        queryset = queryset.filter(warranty_q(str(state), timezone.localdate()))
    return queryset.order_by("-created_at", "-id")


def customer_assets(user: Any, *, contact: Any = None, account: Any = None, limit: int = 20) -> list[Asset]:
    """A customer's installed products that `user` may read (not removed or replaced first), each with
    `warranty_today` (a warranty.Check): one query."""
    if contact is None and account is None:
        return []
    who = Q()
    if contact is not None:
        who |= Q(contact_id=contact.pk)
    if account is not None:
        who |= Q(account_id=account.pk)
    rows = list(
        asset_scope(user)
        .filter(who)
        .select_related("product")
        .order_by("status", "-installed_on", "-id")[:limit]
    )
    today = timezone.localdate()
    active = [a for a in rows if a.status in (AssetStatus.INSTALLED, AssetStatus.UNDER_REPAIR)]
    for asset in rows:
        asset.warranty_today = warranty.check(asset, today)  # type: ignore[attr-defined]
    return active + [a for a in rows if a not in active]


def asset_work_orders(user: Any, assets: Iterable[Asset]) -> QuerySet[WorkOrder]:
    """The work orders `user` may read that are about any of these assets, newest first."""
    ids = [a.pk for a in assets]
    linked = WorkOrderAsset.objects.filter(asset_id__in=ids).values("work_order_id")
    queryset: QuerySet[WorkOrder] = access.scope(user, WorkOrder, Action.VIEW)
    return queryset.filter(pk__in=linked).select_related("technician").order_by("-created_at", "-id")


def _url(wo: WorkOrder) -> str:
    try:
        return wo.get_absolute_url()
    except NoReverseMatch:  # the work-order pages are not installed (yet)
        return ""


def _summary(text: str, limit: int = 160) -> str:
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def asset_history(asset: Asset, *, user: Any, limit: int = 50) -> list[dict[str, Any]]:
    """Past and coming work orders on the asset that `user` may read: date, kind, status, result (one
    line), technician, number and id, the newest first. One query."""
    rows: list[dict[str, Any]] = []
    for wo in asset_work_orders(user, [asset])[:limit]:
        when = wo.finished_at or wo.scheduled_start or wo.created_at
        result = wo.result_notes or wo.failure_reason or wo.cancel_reason
        rows.append(
            {
                "id": wo.pk,
                "number": wo.number,
                "date": timezone.localtime(when).date() if when else None,
                "kind": wo.kind,
                "kind_label": wo.get_kind_display(),
                "status": wo.status,
                "status_label": wo.get_status_display(),
                "result": _summary(result),
                "technician": str(wo.technician) if wo.technician else "",
                "url": _url(wo),
            }
        )
    return rows
