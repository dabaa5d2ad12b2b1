"""Marketing on the home page: the new Fanpage and Zalo conversations to take, this month's leads by
channel and campaign against what the campaigns cost, and revenue of the last 6 months in both
attribution views (cash month and lead month)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, Sum
from django.utils import timezone

from sencrm.core import access, homepage
from sencrm.core.modules import Action, Module
from sencrm.marketing.models import Campaign, CampaignCost

ROWS = 8
ZERO = Decimal(0)


def _month_start(today: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(today.replace(day=1), dt.time.min))


def leads_against_cost(user: Any, today: dt.date | None = None) -> list[dict[str, Any]]:
    """This month's leads per campaign (and, for leads without one, per source channel) beside what
    each campaign spent this month: two aggregate queries plus one for the names."""
    from sencrm.sales.models import Lead

    day = today or timezone.localdate()
    since = _month_start(day)
    leads = access.scope(user, Lead).filter(created_at__gte=since)
    by_campaign = {
        row["first_campaign"]: row["n"]
        for row in leads.filter(first_campaign__isnull=False).values("first_campaign").annotate(n=Count("id"))
    }
    campaigns = access.scope(user, Campaign)
    costs = {
        row["campaign"]: row["s"]
        for row in CampaignCost.objects.filter(
            campaign__in=campaigns.values("pk"), date__gte=day.replace(day=1), date__lte=day
        )
        .values("campaign")
        .annotate(s=Sum("amount"))
    }
    ids = set(by_campaign) | set(costs)
    rows = []
    for campaign in campaigns.filter(pk__in=ids).only("id", "name", "channel"):
        n = by_campaign.get(campaign.pk, 0)
        cost = costs.get(campaign.pk) or ZERO
        rows.append(
            {
                "campaign": campaign,
                "channel": campaign.get_channel_display(),
                "leads": n,
                "cost": cost,
                "cost_per_lead": (cost / n).quantize(Decimal(1)) if n else None,
            }
        )
    rows.sort(key=lambda r: (-r["leads"], -r["cost"]))
    for row in (
        leads.filter(first_campaign__isnull=True)
        .values("source__name")
        .annotate(n=Count("id"))
        .filter(~Q(n=0))
        .order_by("-n")
    ):
        rows.append(
            {
                "campaign": None,
                "channel": row["source__name"] or "—",
                "leads": row["n"],
                "cost": ZERO,
                "cost_per_lead": None,
            }
        )
    return rows


def email_campaigns_now(user: Any, today: dt.date | None = None) -> list[Any]:
    """The email campaigns sending or scheduled, then those sent in the last 7 days (one query)."""
    from sencrm.marketing.models import EmailCampaign, EmailCampaignStatus

    day = today or timezone.localdate()
    since = timezone.make_aware(dt.datetime.combine(day - dt.timedelta(days=7), dt.time.min))
    live = (EmailCampaignStatus.SENDING, EmailCampaignStatus.SCHEDULED)
    rows = list(
        access.scope(user, EmailCampaign)
        .filter(Q(status__in=live) | Q(status=EmailCampaignStatus.SENT, finished_at__gte=since))
        .order_by("-id")[:50]
    )
    rank: dict[str, int] = {EmailCampaignStatus.SENDING: 0, EmailCampaignStatus.SCHEDULED: 1}
    rows.sort(key=lambda e: (rank.get(e.status, 2), e.scheduled_at or e.finished_at or e.created_at))
    return rows[:ROWS]


@homepage.register
def marketing_widget(user: Any) -> dict[str, Any]:
    """The marketing role's home (and a manager's or an administrator's): only for those who run
    campaigns (create right), not for salespeople who merely read them."""
    if not access.can(user, Module.MARKETING, Action.CREATE):
        return {}
    context: dict[str, Any] = {
        "marketing": {"leads_cost": leads_against_cost(user)[:ROWS], "emails": email_campaigns_now(user)}
    }
    if access.can(user, Module.LEADS, Action.VIEW):
        from sencrm.marketing.conversations import conversations_new

        context["marketing"]["conversations"] = list(conversations_new(user, ROWS))
    if access.can(user, Module.REPORTS, Action.VIEW):
        from sencrm.marketing.attribution import attribution_chart_6_months

        context["marketing"]["chart"] = attribution_chart_6_months(user)
    return context
