"""What is behind one figure of the attribution report: the receipts (with the customers who paid them),
the new customers, the leads or the cost entries of one month and one campaign or channel, chosen exactly
as sencrm/marketing/attribution.py counts them (same scope, same month rule, same model)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet, Sum
from django.utils.translation import gettext as _

from sencrm.billing.models import Payment
from sencrm.core import access
from sencrm.customers.models import Account, Contact
from sencrm.marketing import attribution
from sencrm.marketing.attribution import TZ, Params
from sencrm.marketing.models import Campaign
from sencrm.sales.models import Lead

METRICS = ("revenue", "customers", "leads", "cost")
LIMIT = 200


@dataclass(frozen=True)
class Cell:
    """One figure: a month, a campaign (or none) and a channel, a metric."""

    month: str
    campaign: int | None
    channel: str
    metric: str

    def query(self) -> dict[str, str]:
        return {
            "month": self.month,
            "campaign": "" if self.campaign is None else str(self.campaign),
            "channel": self.channel,
            "metric": self.metric,
        }


def parse_cell(data: Mapping[str, Any]) -> Cell:
    errors: dict[str, list[str]] = {}
    month = str(data.get("month") or "").strip()
    try:
        dt.date.fromisoformat(f"{month}-01")
        if len(month) != 7:
            raise ValueError(month)
    except ValueError:
        errors["month"] = [_("Enter a month as YYYY-MM.")]
    raw = str(data.get("campaign") or "").strip()
    campaign = int(raw) if raw.isdigit() and len(raw) < 12 else None
    if raw and campaign is None:
        errors["campaign"] = [_("Not a campaign.")]
    channel = str(data.get("channel") or "").strip()[:40] or attribution.NO_CHANNEL
    metric = str(data.get("metric") or "revenue")
    if metric not in METRICS:
        errors["metric"] = [_("Choose one of: %(values)s.") % {"values": ", ".join(METRICS)}]
    if errors:
        raise ValidationError(errors)
    return Cell(month=month, campaign=campaign, channel=channel, metric=metric)


def _bounds(params: Params, month: str) -> tuple[dt.datetime, dt.datetime]:
    """The month, within the report's period."""
    first = dt.date.fromisoformat(f"{month}-01")
    following = (first + dt.timedelta(days=32)).replace(day=1)
    start = max(first, params.date_from)
    end = min(following - dt.timedelta(days=1), params.date_to)
    return (
        dt.datetime.combine(start, dt.time.min, tzinfo=TZ),
        dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=TZ),
    )


def credited_q(params: Params, cell: Cell) -> Q:
    """The records (annotated fc, lc, src, as attribution.receipts and .leads annotate them) that the
    model credits to the cell's campaign or channel."""
    fields = {"first": ["fc"], "last": ["lc"], "linear": ["fc", "lc"]}[params.model]
    if params.by == "campaign" and cell.campaign is not None:
        wanted = Q()
        for name in fields:
            wanted |= Q(**{name: cell.campaign})
        return wanted
    no_campaign = Q(**{f"{name}__isnull": True for name in fields})
    source = (
        Q(src__isnull=True) | Q(src="") if cell.channel == attribution.NO_CHANNEL else Q(src=cell.channel)
    )
    wanted = no_campaign & source
    if params.by == "channel":
        ids = list(attribution.campaigns_of_channel(cell.channel))
        for name in fields:
            wanted |= Q(**{f"{name}__in": ids})
    return wanted


@dataclass
class Detail:
    cell: Cell
    campaign_name: str = ""
    rows: list[Any] = field(default_factory=list)
    count: int = 0
    total: Decimal = attribution.ZERO


def _share(params: Params, cell: Cell, payment: Any, channel_ids: set[int]) -> Decimal:
    """The part of a receipt that the cell holds (all of it, except under the linear model when the
    customer's two campaigns differ and only one belongs to the cell)."""
    amount: Decimal = payment.amount
    if params.model != "linear" or payment.fc is None or payment.lc is None or payment.fc == payment.lc:
        return amount
    ours = {cell.campaign} if params.by == "campaign" else channel_ids
    second = (amount / 2).to_integral_value(rounding="ROUND_FLOOR")
    first_part = amount - second
    zero = attribution.ZERO
    return (first_part if payment.fc in ours else zero) + (second if payment.lc in ours else zero)


def _name_customers(user: Any, payments: list[Any]) -> None:
    contacts = access.visible_pks(user, Contact, [p.contact_id for p in payments])
    accounts = access.visible_pks(user, Account, [p.account_id for p in payments])
    for p in payments:
        customer = p.contact if p.contact_id else p.account
        visible = (p.contact_id in contacts) if p.contact_id else (p.account_id in accounts)
        p.customer_obj = customer if visible else None
        p.customer_label = str(customer) if visible and customer else str(access.NOT_VISIBLE)


def drilldown(user: Any, params: Params, cell: Cell) -> Detail:
    """The records behind a cell, at most LIMIT of them (with the count and total of all)."""
    level = attribution.report_level(user)
    start, end = _bounds(params, cell.month)
    detail = Detail(cell=cell)
    if cell.campaign is not None:
        detail.campaign_name = (
            Campaign.all_objects.filter(pk=cell.campaign).values_list("name", flat=True).first() or ""
        )
    if cell.metric == "cost":
        qs: QuerySet[Any] = attribution.costs(user, level).filter(date__gte=start.date(), date__lt=end.date())
        if params.by == "campaign":
            qs = qs.filter(campaign_id=cell.campaign)
        else:
            qs = qs.filter(campaign__channel=cell.channel)
        qs = qs.select_related("campaign").order_by("date", "id")
        detail.count, detail.total = qs.count(), qs.aggregate(s=Sum("amount"))["s"] or attribution.ZERO
        detail.rows = list(qs[:LIMIT])
        return detail
    axis = "paid_at" if params.view == "cash" else "touch"
    if cell.metric == "leads":
        axis = "created_at" if params.view == "cash" else "touch"
        leads: QuerySet[Any] = (
            attribution.leads(user, level)
            .filter(**{f"{axis}__gte": start, f"{axis}__lt": end})
            .filter(credited_q(params, cell))
            .order_by("created_at", "id")
        )
        detail.count = leads.count()
        rows = list(leads[:LIMIT])
        visible = access.visible_pks(user, Lead, [r.pk for r in rows])
        for lead in rows:
            lead.visible = lead.pk in visible
        detail.rows = rows
        return detail
    payments: QuerySet[Any] = (
        attribution.receipts(user, level)
        .filter(**{f"{axis}__gte": start, f"{axis}__lt": end})
        .filter(credited_q(params, cell))
    )
    if cell.metric == "customers":
        payments = payments.filter(attribution.first_receipt_q())
    payments = payments.select_related("contact", "account").order_by("paid_at", "id")
    detail.count = payments.count()
    listed = list(payments[:LIMIT])
    channel_ids = set(attribution.campaigns_of_channel(cell.channel)) if params.by == "channel" else set()
    viewable = access.visible_pks(user, Payment, [p.pk for p in listed])
    _name_customers(user, listed)
    for p in listed:
        p.share = _share(params, cell, p, channel_ids)
        p.viewable = p.pk in viewable
    detail.rows = listed
    detail.total = sum((p.share for p in listed), attribution.ZERO)
    return detail
