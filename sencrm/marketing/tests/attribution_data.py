"""Records for the attribution tests, made through the services (the CRM's own doors): campaigns, contacts
with their touches, leads and receipts on chosen dates."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from decimal import Decimal
from typing import Any

TZ = zoneinfo.ZoneInfo("Asia/Ho_Chi_Minh")


def at(day: str, hour: int = 10) -> dt.datetime:
    """A moment in Việt Nam's time: at("2026-08-01") is 01/08/2026 10:00 +07."""
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time(hour), tzinfo=TZ)


def campaign(owner: Any, name: str, channel: str, start: str = "2026-01-01") -> Any:
    try:
        from sencrm.marketing import services
    except ImportError:  # the campaign services come with the campaigns part of the issue
        services = None
    create = getattr(services, "campaign_create", None)
    data = {"name": name, "channel": channel, "start_date": dt.date.fromisoformat(start)}
    if create is not None:
        return create(actor=owner, data=data)
    from sencrm.marketing.models import Campaign

    return Campaign.objects.create(owner=owner, team=owner.teams.first(), created_by=owner, **data)


def cost(campaign: Any, day: str, amount: int) -> Any:
    from sencrm.marketing.models import CampaignCost

    return CampaignCost.objects.create(campaign=campaign, date=dt.date.fromisoformat(day), amount=amount)


def contact(
    actor: Any,
    name: str,
    *,
    first: Any = None,
    latest: Any = None,
    touch: str | None = None,
    created: str | None = None,
    source: str | None = None,
    owner: Any = None,
) -> Any:
    from sencrm.customers import services
    from sencrm.customers.models import SourceChannel

    data: dict[str, Any] = {"full_name": name, "first_campaign": first, "latest_campaign": latest or first}
    if touch:
        data["first_touch_at"] = at(touch)
    if created:
        data["created_at"] = at(created)
    if source:
        data["source"] = SourceChannel.objects.get(code=source)
    return services.contact_create(actor=actor, data=data, owner=owner)


def lead(
    actor: Any,
    name: str,
    *,
    created: str,
    first: Any = None,
    latest: Any = None,
    touch: str | None = None,
    source: str | None = None,
    owner: Any = None,
) -> Any:
    from sencrm.customers.models import SourceChannel
    from sencrm.sales.services.leads import lead_create

    data: dict[str, Any] = {
        "full_name": name,
        "first_campaign": first,
        "latest_campaign": latest or first,
        "created_at": at(created),
    }
    if touch:
        data["first_touch_at"] = at(touch)
    if source:
        data["source"] = SourceChannel.objects.get(code=source)
    return lead_create(actor=actor, data=data, owner=owner)


def receipt(actor: Any, customer: Any, amount: int, paid: str, hour: int = 10, owner: Any = None) -> Any:
    """Through billing's service, which also keeps the customer's first receipt (attribution reads it)."""
    from sencrm.billing.services import payment_create
    from sencrm.customers.models import Account

    key = "account" if isinstance(customer, Account) else "contact"
    data = {"amount": Decimal(amount), key: customer, "paid_at": at(paid, hour)}
    if owner is not None:
        data["owner"] = owner
    return payment_create(actor=actor, data=data)
