"""Records for the funnel and sales reports, made through the services and put on chosen dates.

`funnel_book` — March 2026 (Asia/Ho_Chi_Minh); sales1 is in the manager's team (Hà Nội), sales2 is not:

- Campaigns: "Fanpage" (facebook_ads, marketing's, no team): 200.000 on 28/02, 3.000.000 on 01/03,
  1.000.000 on 31/03, 500.000 on 01/04; "Zalo OA" (zalo, sales1's team): 2.000.000 on 15/03; "TikTok"
  (tiktok, marketing's): 600.000 on 10/03. March: 6.600.000.
- Leads: L1 sales1 facebook/Fanpage 01/03 00:00; L2 sales1 facebook/Fanpage 31/03 23:59; L3 sales1
  facebook/Fanpage 01/04 00:00 (April); L4 sales1 zalo/Zalo OA 28/02 23:59 (February), converted 05/03;
  L5 sales2 zalo/Zalo OA 10/03; L6 sales2 no source 12/03. March: 4 leads.
- Contacts that became prospects: P1 sales1 facebook/Fanpage created as prospect 20/03; P2 sales2 zalo
  moved to prospect 31/03 23:59; P3 sales1 created as target 03/03, prospect 01/04 00:00 (April).
  Targets: P3 and T2 (sales2, created as target 04/03).
- New paying customers: K1 sales1 facebook/Fanpage, touch 01/03, first paid 11/03 (10 days); K2 sales1
  zalo/Zalo OA, touch 20/02, first paid 31/03 23:59 (39 days); K3 sales2, paid 01/04 00:00 (April); K4
  sales2 facebook/Fanpage, first paid 15/02, again 05/03 (not new in March); K5 sales2 zalo, no campaign,
  touch 20/03, first paid 25/03 (5 days).

`sales_book` — March 2026:

- Open: O1 sales1 100.000.000 × 50 % expected 20/03; O2 sales1 33.333.333 × 30 % expected 31/03; O3
  sales2 20.000.000 × 25 % expected 01/04 (April).
- Won: O4 sales1 50.000.000 (facebook) created 01/03 23:59, won 31/03 23:59 (30 days); O5 sales2
  10.000.000 from a lead first touched 14/02 00:00, won 01/03 00:00 (15 days); O7 sales2 5.000.000 won
  01/04 00:00 (April). Lost: O6 sales1 40.000.000 on 15/03; O8 sales2 7.000.000 on 28/02 23:59.
- Quotes: Q1 sales1 sent 10/03, accepted 12/03; Q2 sales1 sent 01/04 00:00; Q3 sales2 sent 31/03 23:59.
- Orders: A sales1 confirmed, due 31/03 (late); B sales1 confirmed, due 10/02 (late); C sales2
  confirmed, due 01/04 (not yet); D sales2 draft due 05/03; E sales2 delivered, due 02/03; F sales2
  partly delivered, due 20/03 (late). The draft order made by accepting Q1 has no delivery date.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from decimal import Decimal
from typing import Any

import pytest

TZ = zoneinfo.ZoneInfo("Asia/Ho_Chi_Minh")


def at(day: str, hour: int = 10, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time(hour, minute), tzinfo=TZ)


def _source(code: str | None) -> Any:
    from sencrm.customers.models import SourceChannel

    return SourceChannel.objects.get(code=code) if code else None


def campaign(org: Any, name: str, channel: str, owner: str = "marketing") -> Any:
    from sencrm.marketing.models import Campaign

    return Campaign.objects.create(
        owner=org[owner],
        team=org[owner].teams.first(),
        created_by=org["marketing"],
        name=name,
        channel=channel,
        start_date=dt.date(2026, 1, 1),
    )


def cost(campaign: Any, day: str, amount: int) -> Any:
    from sencrm.marketing.models import CampaignCost

    return CampaignCost.objects.create(campaign=campaign, date=dt.date.fromisoformat(day), amount=amount)


def lead(org: Any, owner: str, name: str, created: dt.datetime, source: str | None, first: Any) -> Any:
    from sencrm.sales.models import Lead
    from sencrm.sales.services.leads import lead_create

    made = lead_create(
        actor=org[owner],
        data={
            "full_name": name,
            "source": _source(source),
            "first_campaign": first,
            "latest_campaign": first,
        },
    )
    Lead.objects.filter(pk=made.pk).update(created_at=created)
    made.refresh_from_db()
    return made


def contact(
    org: Any,
    owner: str,
    name: str,
    *,
    source: str | None = None,
    first: Any = None,
    touch: dt.datetime | None = None,
    stage: str = "lead",
) -> Any:
    from sencrm.customers import services

    return services.contact_create(
        actor=org[owner],
        data={
            "full_name": name,
            "source": _source(source),
            "first_campaign": first,
            "latest_campaign": first,
            "first_touch_at": touch,
            "lifecycle_stage": stage,
        },
    )


def move_events(contact: Any, when: dt.datetime, type_suffix: str = "") -> None:
    """Date the contact's events (all, or those of one type) as if written at `when`."""
    from django.contrib.contenttypes.models import ContentType

    from sencrm.events.models import Event

    events = Event.objects.filter(
        subject_type=ContentType.objects.get_for_model(type(contact)), subject_id=contact.pk
    )
    if type_suffix:
        events = events.filter(type=f"contact.{type_suffix}")
    events.update(occurred_at=when)


def receipt(org: Any, customer: Any, amount: int, paid: dt.datetime) -> Any:
    from sencrm.billing.services import payment_create

    return payment_create(
        actor=org["accountant"], data={"amount": Decimal(amount), "contact": customer, "paid_at": paid}
    )


@pytest.fixture
def funnel_book(org: Any, hanoi: Any) -> dict[str, Any]:
    from sencrm.customers.services import customer_promote
    from sencrm.marketing.models import Campaign
    from sencrm.sales.models import Lead
    from sencrm.sales.services.conversion import lead_convert

    fb = campaign(org, "Fanpage", "facebook_ads")
    zl = campaign(org, "Zalo OA", "zalo", owner="sales1")
    tk = campaign(org, "TikTok", "tiktok")
    Campaign.objects.filter(pk=zl.pk).update(owner=org["sales1"])
    for camp, day, amount in [
        (fb, "2026-02-28", 200_000),
        (fb, "2026-03-01", 3_000_000),
        (fb, "2026-03-31", 1_000_000),
        (fb, "2026-04-01", 500_000),
        (zl, "2026-03-15", 2_000_000),
        (tk, "2026-03-10", 600_000),
    ]:
        cost(camp, day, amount)

    leads = {
        "L1": lead(org, "sales1", "Lead 1", at("2026-03-01", 0), "facebook", fb),
        "L2": lead(org, "sales1", "Lead 2", at("2026-03-31", 23, 59), "facebook", fb),
        "L3": lead(org, "sales1", "Lead 3", at("2026-04-01", 0), "facebook", fb),
        "L4": lead(org, "sales1", "Lead 4", at("2026-02-28", 23, 59), "zalo", zl),
        "L5": lead(org, "sales2", "Lead 5", at("2026-03-10"), "zalo", zl),
        "L6": lead(org, "sales2", "Lead 6", at("2026-03-12"), None, None),
    }
    converted = lead_convert(leads["L4"], actor=org["sales1"], create_account=False)
    Lead.objects.filter(pk=leads["L4"].pk).update(converted_at=at("2026-03-05"))
    move_events(converted.contact, at("2026-03-05"))  # the conversion's own events: not counted again

    p1 = contact(org, "sales1", "Prospect 1", source="facebook", first=fb, stage="prospect")
    move_events(p1, at("2026-03-20"))
    p2 = contact(org, "sales2", "Prospect 2", source="zalo")
    move_events(p2, at("2026-03-02"))
    customer_promote(p2, stage="prospect", actor=org["sales2"])
    move_events(p2, at("2026-03-31", 23, 59), "updated")
    p3 = contact(org, "sales1", "Prospect 3", stage="target")
    move_events(p3, at("2026-03-03"))
    customer_promote(p3, stage="prospect", actor=org["sales1"])
    move_events(p3, at("2026-04-01", 0), "updated")
    t2 = contact(org, "sales2", "Target 2", stage="target")
    move_events(t2, at("2026-03-04"))

    k1 = contact(org, "sales1", "Khách 1", source="facebook", first=fb, touch=at("2026-03-01"))
    k2 = contact(org, "sales1", "Khách 2", source="zalo", first=zl, touch=at("2026-02-20"))
    k3 = contact(org, "sales2", "Khách 3", touch=at("2026-03-01"))
    k4 = contact(org, "sales2", "Khách 4", source="facebook", first=fb, touch=at("2026-01-01"))
    k5 = contact(org, "sales2", "Khách 5", source="zalo", touch=at("2026-03-20"))
    receipt(org, k1, 5_000_000, at("2026-03-11"))
    receipt(org, k2, 7_000_000, at("2026-03-31", 23, 59))
    receipt(org, k3, 1_000_000, at("2026-04-01", 0))
    receipt(org, k4, 2_000_000, at("2026-02-15"))
    receipt(org, k4, 3_000_000, at("2026-03-05"))
    receipt(org, k5, 4_000_000, at("2026-03-25"))
    for made in (k1, k2, k3, k4, k5):
        move_events(made, at("2026-01-01"))  # created long before (as leads): no stage entered in March
    return {"fb": fb, "zl": zl, "tk": tk, **leads, "p1": p1, "p2": p2, "k1": k1, "k2": k2, "k5": k5}


@pytest.fixture
def sales_book(org: Any, hanoi: Any) -> dict[str, Any]:
    from sencrm.catalog.services import product_create
    from sencrm.commerce import services as commerce
    from sencrm.commerce.models import Order, Quote
    from sencrm.sales.models import Lead, Opportunity
    from sencrm.sales.services import opportunity_create, opportunity_mark_lost, opportunity_mark_won

    c1 = contact(org, "sales1", "Khách Hà Nội")
    c2 = contact(org, "sales2", "Khách Sài Gòn")

    def opp(owner: str, name: str, amount: int, probability: int = 10, **data: Any) -> Any:
        return opportunity_create(
            actor=org[owner],
            data={"name": name, "amount": Decimal(amount), "probability": probability, **data},
        )

    def close(made: Any, owner: str, won: bool, when: dt.datetime) -> Any:
        mark = opportunity_mark_won if won else opportunity_mark_lost
        done = mark(made, actor=org[owner], version=made.version, reason="vì thế")
        Opportunity.objects.filter(pk=made.pk).update(closed_at=when)
        return done

    o1 = opp("sales1", "O1", 100_000_000, 50, expected_close_date=dt.date(2026, 3, 20))
    o2 = opp("sales1", "O2", 33_333_333, 30, expected_close_date=dt.date(2026, 3, 31))
    o3 = opp("sales2", "O3", 20_000_000, 25, expected_close_date=dt.date(2026, 4, 1))
    o4 = opp("sales1", "O4", 50_000_000, source=_source("facebook"))
    Opportunity.objects.filter(pk=o4.pk).update(created_at=at("2026-03-01", 23, 59))
    close(o4, "sales1", True, at("2026-03-31", 23, 59))
    o5 = opp("sales2", "O5", 10_000_000)
    source_lead = lead(org, "sales2", "Lead O5", at("2026-02-20"), None, None)
    Lead.objects.filter(pk=source_lead.pk).update(first_touch_at=at("2026-02-14", 0))
    Opportunity.objects.filter(pk=o5.pk).update(lead=source_lead)
    close(o5, "sales2", True, at("2026-03-01", 0))
    o6 = opp("sales1", "O6", 40_000_000)
    close(o6, "sales1", False, at("2026-03-15"))
    o7 = opp("sales2", "O7", 5_000_000)
    close(o7, "sales2", True, at("2026-04-01", 0))
    o8 = opp("sales2", "O8", 7_000_000)
    close(o8, "sales2", False, at("2026-02-28", 23, 59))

    install = product_create(
        actor=org["manager"],
        data={
            "code": "LD-01",
            "name": "Công lắp đặt",
            "unit": "lần",
            "kind": "service",
            "list_price": Decimal(500_000),
            "vat_rate": "8",
        },
    )
    line = [{"product": install, "quantity": 1, "unit_price": 500_000}]

    def quote(owner: str, customer: Any, sent: dt.datetime) -> Any:
        made = commerce.quote_create(actor=org[owner], data={"contact": customer}, lines=line)
        made = commerce.quote_mark_sent(made, actor=org[owner])
        Quote.objects.filter(pk=made.pk).update(sent_at=sent)
        made.refresh_from_db()
        return made

    q1 = quote("sales1", c1, at("2026-03-10"))
    commerce.quote_accept(q1, actor=org["sales1"], version=q1.version)
    Quote.objects.filter(pk=q1.pk).update(decided_at=at("2026-03-12"))
    quote("sales1", c1, at("2026-04-01", 0))
    quote("sales2", c2, at("2026-03-31", 23, 59))

    def order(owner: str, customer: Any, due: str, status: str | None = "confirm") -> Any:
        made = commerce.order_create(
            actor=org[owner],
            data={"contact": customer, "delivery_date": dt.date.fromisoformat(due)},
            lines=line,
        )
        if status is not None:
            made = commerce.order_confirm(made, actor=org[owner])
        if status not in (None, "confirm"):
            Order.objects.filter(pk=made.pk).update(status=status)
        return made

    order("sales1", c1, "2026-03-31")
    order("sales1", c1, "2026-02-10")
    order("sales2", c2, "2026-04-01")
    order("sales2", c2, "2026-03-05", None)
    order("sales2", c2, "2026-03-02", "delivered")
    order("sales2", c2, "2026-03-20", "partly_delivered")
    return {"o1": o1, "o2": o2, "o3": o3, "o4": o4, "c1": c1, "c2": c2, "line": line}
