"""Records for the attribution tests, made through the services (the CRM's own doors): campaigns, contacts
with their touches, leads and receipts on chosen dates."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from decimal import Decimal
from typing import Any

import pytest

from sencrm.billing.models import PaymentKind

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


# --- fixtures (conftest.py shares them) ---


@pytest.fixture
def seeds(org, hanoi):
    """The seeds' central example: a Fanpage message on 01/08, the lead on 10/08, 50.000.000 ₫ on 04/09."""
    fanpage = campaign(org["marketing"], "Fanpage tháng 8", "facebook_ads", "2026-08-01")
    customer = contact(
        org["sales1"], "Trần Văn Khải", first=fanpage, touch="2026-08-01", created="2026-08-10"
    )
    lead(org["sales1"], "Trần Văn Khải", created="2026-08-10", first=fanpage, touch="2026-08-01")
    receipt(org["accountant"], customer, 50_000_000, "2026-09-04")
    return fanpage


@pytest.fixture
def book(org, hanoi):
    """Customers of two teams over several months, a company (account) customer, customers without a
    campaign, a customer with a first and a different latest campaign, and a payment voucher."""
    from sencrm.customers.services import account_create

    marketing, sales1, sales2, accountant = org["marketing"], org["sales1"], org["sales2"], org["accountant"]
    fb = campaign(marketing, "Fanpage", "facebook_ads")
    gg = campaign(marketing, "Google Search", "google_ads")
    a = contact(sales1, "Khách A", first=fb, touch="2026-03-05")
    b = contact(sales1, "Khách B", first=fb, latest=gg, touch="2026-03-20")
    c = contact(sales2, "Khách C", first=gg, touch="2026-04-01", owner=sales2)
    d = contact(sales2, "Khách D", source="zalo", created="2026-05-01", owner=sales2)
    company = account_create(
        actor=sales1,
        data={"name": "Công ty Sen Vàng", "first_campaign": gg, "first_touch_at": at("2026-02-01")},
    )
    receipt(accountant, a, 10_000_000, "2026-03-30")
    receipt(accountant, a, 5_000_000, "2026-06-01")
    receipt(accountant, b, 7_000_001, "2026-04-15")
    receipt(accountant, c, 20_000_000, "2026-04-02")
    receipt(accountant, c, 3_000_000, "2026-07-31", hour=23)  # 31/07 23:00 +07 is still July
    receipt(accountant, d, 4_000_000, "2026-05-20")
    receipt(accountant, company, 30_000_000, "2026-03-01")
    from sencrm.billing.services import payment_create

    payment_create(actor=accountant, data={"kind": PaymentKind.VOUCHER, "amount": 999, "contact": a})
    lead(sales1, "Lead A", created="2026-03-06", first=fb, touch="2026-03-05")
    lead(sales1, "Lead B", created="2026-03-21", first=fb, latest=gg)
    lead(sales2, "Lead C", created="2026-04-01", first=gg, owner=sales2)
    cost(fb, "2026-03-01", 2_000_000)
    cost(fb, "2026-03-15", 1_000_000)
    cost(gg, "2026-04-10", 5_000_000)
    return {"fb": fb, "gg": gg, "a": a, "b": b, "c": c, "d": d, "company": company}
