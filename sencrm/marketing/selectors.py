"""Reads of campaigns: the campaign of a lead's UTM codes, the list with its lead counts, a campaign's costs
by month and its leads — each through the access gate where a user reads."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from django.db import models
from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncMonth

from sencrm.core import access
from sencrm.core.modules import Action
from sencrm.core.text import fold
from sencrm.marketing.models import Campaign, CampaignCost


def utm_code(value: Any) -> str:
    """A UTM code as stored: trimmed, lower-cased (what the links carry is not case-sensitive)."""
    return str(value or "").strip().lower()[:100]


def campaign_for_utm(utm: Mapping[str, Any]) -> Campaign | None:
    """The live campaign of a lead's UTM codes: the exact (source, medium, campaign) first, then the UTM
    campaign alone (the most recent campaign when several share it), case-insensitive; None without a
    UTM campaign. Not gated: it is the CRM's rule, whoever (or whatever door) created the lead."""
    name = utm_code(utm.get("utm_campaign"))
    if not name:
        return None
    live = Campaign.objects.filter(utm_campaign__iexact=name).order_by("-start_date", "-id")
    exact = live.filter(
        utm_source__iexact=utm_code(utm.get("utm_source")), utm_medium__iexact=utm_code(utm.get("utm_medium"))
    )
    return exact.first() or live.first()


def campaign_search_filter(qs: models.QuerySet[Campaign], query: str) -> models.QuerySet[Campaign]:
    """Words of the name (accent-insensitive) or the UTM campaign."""
    words = fold(query).split()[:8]
    for word in words:
        qs = qs.filter(Q(search_key__contains=word) | Q(utm_campaign__contains=word))
    return qs


def campaign_filter(qs: models.QuerySet[Campaign], *, channel: str = "", active_on: dt.date | None = None,
                    query: str = "") -> models.QuerySet[Campaign]:  # fmt: skip
    if channel:
        qs = qs.filter(channel=channel)
    if active_on is not None:
        qs = qs.filter(start_date__lte=active_on).filter(
            Q(end_date__isnull=True) | Q(end_date__gte=active_on)
        )
    if query.strip():
        qs = campaign_search_filter(qs, query)
    return qs


def lead_counts(user: Any, campaign_ids: Iterable[int]) -> dict[int, int]:
    """Per campaign, the leads it brought (first campaign) that `user` may see: one query for a page."""
    from sencrm.sales.models import Lead

    ids = list(campaign_ids)
    if not ids:
        return {}
    rows = (
        access.scope(user, Lead, Action.VIEW)
        .filter(first_campaign_id__in=ids)
        .values("first_campaign_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {row["first_campaign_id"]: row["n"] for row in rows}


def costs_by_month(campaign: Campaign) -> list[dict[str, Any]]:
    """[{month: date (the 1st), amount}] over the campaign's cost entries, oldest first."""
    rows = (
        CampaignCost.objects.filter(campaign=campaign)
        .annotate(month=TruncMonth("date"))
        .values("month")
        .annotate(amount=Sum("amount"))
        .order_by("month")
    )
    return [{"month": row["month"], "amount": row["amount"] or Decimal(0)} for row in rows]


def campaign_leads(user: Any, campaign: Campaign, limit: int = 50) -> list[Any]:
    """The newest leads that came through the campaign (first or latest) that `user` may see."""
    from sencrm.sales.models import Lead

    return list(
        access.scope(user, Lead, Action.VIEW)
        .filter(Q(first_campaign=campaign) | Q(latest_campaign=campaign))
        .select_related("owner")
        .order_by("-created_at", "-id")[:limit]
    )
