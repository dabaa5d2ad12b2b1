"""Điều hòa Sen's catalogue and twelve months of quotes, orders and maintenance contracts.

The catalogue: split and multi units, installation, maintenance packages, with a price list for the
project customers ("Khách doanh nghiệp"). Each won deal got a quote that was accepted into an order,
most delivered, some only partly, a few cancelled; a handful of open deals have a quote awaiting an
answer. Maintenance contracts run for a year: two end within the month, one has orders above its total.

Everything goes through the services (numbers, totals, events, lifecycle); the loader then back-dates
what they wrote to when it "happened", as the other demo loaders do.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from typing import Any

from django.db.models import Max
from django.utils import timezone

from sencrm.catalog import services as catalog
from sencrm.catalog.models import Product
from sencrm.commerce import services
from sencrm.commerce.models import Contract, Order, Quote
from sencrm.customers.models import CustomerGroup
from sencrm.events.models import Event
from sencrm.sales.choices import OpportunityStatus
from sencrm.sales.models import Opportunity

M = 1_000_000
# code, name, category path, unit, kind, list price, VAT, reducible, warranty, maintenance every
CATALOGUE = [
    (
        "DK-FTKB25",
        "Điều hòa Daikin Inverter 1 chiều 9.000 BTU FTKB25",
        "Điều hòa › Treo tường",
        "bộ",
        "goods",
        9_490_000,
        "10",
        True,
        12,
        6,
    ),
    (
        "DK-FTKB35",
        "Điều hòa Daikin Inverter 1 chiều 12.000 BTU FTKB35",
        "Điều hòa › Treo tường",
        "bộ",
        "goods",
        12_290_000,
        "10",
        True,
        12,
        6,
    ),
    (
        "DK-FTHF50",
        "Điều hòa Daikin Inverter 2 chiều 18.000 BTU FTHF50",
        "Điều hòa › Treo tường",
        "bộ",
        "goods",
        21_900_000,
        "10",
        True,
        12,
        6,
    ),
    (
        "PA-CU9",
        "Điều hòa Panasonic Inverter 9.000 BTU CU/CS-XU9",
        "Điều hòa › Treo tường",
        "bộ",
        "goods",
        10_990_000,
        "10",
        True,
        12,
        6,
    ),
    (
        "PA-CU12",
        "Điều hòa Panasonic Inverter 12.000 BTU CU/CS-XU12",
        "Điều hòa › Treo tường",
        "bộ",
        "goods",
        13_490_000,
        "10",
        True,
        12,
        6,
    ),
    (
        "MI-MSY13",
        "Điều hòa Mitsubishi Electric 12.000 BTU MSY-JW35",
        "Điều hòa › Treo tường",
        "bộ",
        "goods",
        12_990_000,
        "10",
        True,
        12,
        6,
    ),
    (
        "DK-FCFC50",
        "Điều hòa âm trần cassette Daikin 18.000 BTU",
        "Điều hòa › Âm trần",
        "bộ",
        "goods",
        31_500_000,
        "10",
        True,
        24,
        6,
    ),
    (
        "DK-FCFC100",
        "Điều hòa âm trần cassette Daikin 34.000 BTU",
        "Điều hòa › Âm trần",
        "bộ",
        "goods",
        48_900_000,
        "10",
        True,
        24,
        6,
    ),
    (
        "DK-MKC70",
        "Dàn nóng multi Daikin 24.000 BTU (3 dàn lạnh)",
        "Điều hòa › Multi",
        "bộ",
        "goods",
        38_700_000,
        "10",
        True,
        24,
        6,
    ),
    (
        "DK-CTKC25",
        "Dàn lạnh multi Daikin treo tường 9.000 BTU",
        "Điều hòa › Multi",
        "cái",
        "goods",
        6_900_000,
        "10",
        True,
        24,
        6,
    ),
    (
        "VRV-RXQ10",
        "Hệ thống VRV Daikin 10 HP (dàn nóng)",
        "Điều hòa › VRV",
        "bộ",
        "goods",
        245_000_000,
        "10",
        True,
        36,
        3,
    ),
    ("VT-ONG", "Ống đồng Thái Lan 6/10 bọc bảo ôn", "Vật tư", "m", "goods", 180_000, "10", True, 0, 0),
    ("VT-GIA", "Giá đỡ dàn nóng mạ kẽm", "Vật tư", "bộ", "goods", 250_000, "10", True, 0, 0),
    (
        "LD-TT",
        "Công lắp đặt điều hòa treo tường",
        "Dịch vụ › Lắp đặt",
        "lần",
        "service",
        500_000,
        "8",
        False,
        0,
        0,
    ),
    (
        "LD-AT",
        "Công lắp đặt điều hòa âm trần",
        "Dịch vụ › Lắp đặt",
        "lần",
        "service",
        1_500_000,
        "8",
        False,
        0,
        0,
    ),
    (
        "BD-LE",
        "Vệ sinh, bảo dưỡng điều hòa (1 lần)",
        "Dịch vụ › Bảo trì",
        "lần",
        "service",
        250_000,
        "8",
        False,
        0,
        0,
    ),
    (
        "BD-GOI1",
        "Gói bảo trì định kỳ 1 năm (2 lần/năm) — treo tường",
        "Dịch vụ › Bảo trì",
        "gói",
        "service",
        450_000,
        "8",
        False,
        0,
        6,
    ),
    (
        "BD-GOI2",
        "Gói bảo trì định kỳ 1 năm (4 lần/năm) — âm trần, VRV",
        "Dịch vụ › Bảo trì",
        "gói",
        "service",
        2_400_000,
        "8",
        False,
        0,
        3,
    ),
    (
        "DT-VH",
        "Đào tạo vận hành hệ thống VRV",
        "Dịch vụ › Đào tạo",
        "giờ",
        "service",
        600_000,
        "KCT",
        False,
        0,
        0,
    ),
]
SPLITS = ["DK-FTKB25", "DK-FTKB35", "DK-FTHF50", "PA-CU9", "PA-CU12", "MI-MSY13"]
CASSETTES = ["DK-FCFC50", "DK-FCFC100"]


def _back_date(since_event: int, when: dt.datetime, *documents: Any) -> int:
    Event.objects.filter(id__gt=since_event).update(occurred_at=when)
    for document in documents:
        type(document).all_objects.filter(pk=document.pk).update(created_at=when, updated_at=when)
    return Event.objects.aggregate(m=Max("id"))["m"] or 0


def load_catalogue(users: dict[str, Any]) -> dict[str, Product]:
    manager = users["manager"]
    products = {}
    for code, name, path, unit, kind, price, vat, reducible, warranty, maintenance in CATALOGUE:
        existing = Product.all_objects.filter(code=code).first()
        products[code] = existing or catalog.product_create(
            actor=manager,
            data={
                "code": code,
                "name": name,
                "category": catalog.category_ensure_path(actor=manager, path=path),
                "unit": unit,
                "kind": kind,
                "list_price": Decimal(price),
                "vat_rate": vat,
                "vat_reducible": reducible,
                "warranty_months": warranty,
                "maintenance_months": maintenance,
                # Each air conditioner delivered becomes an installed product with its serial number.
                "serialised": kind == "goods" and path.startswith("Điều hòa"),
            },
        )
    group = CustomerGroup.objects.filter(name="Khách doanh nghiệp").first()
    if group is not None:
        year = timezone.localdate().year
        catalog.price_list_create(
            actor=manager,
            data={
                "name": f"Giá khách hàng dự án {year}",
                "customer_group": group,
                "valid_from": dt.date(year, 1, 1),
                "valid_until": dt.date(year, 12, 31),
            },
            items={
                products[c]: Decimal(int(products[c].list_price * Decimal("0.92") / 10_000) * 10_000)
                for c in [*SPLITS, *CASSETTES, "DK-MKC70", "VRV-RXQ10"]
            },
        )
    return products


def _lines(rng: random.Random, products: dict[str, Product], opp: Opportunity) -> list[dict[str, Any]]:
    project = opp.amount >= 60 * M
    if project:
        units = rng.choice(CASSETTES)
        count = rng.randint(3, 8)
        lines = [
            {"section": "Thiết bị", "product": products[units], "quantity": count},
            {"section": "Vật tư", "product": products["VT-ONG"], "quantity": count * rng.randint(6, 12)},
            {"section": "Lắp đặt", "product": products["LD-AT"], "quantity": count},
        ]
        if rng.random() < 0.4:
            lines.append({"section": "Lắp đặt", "product": products["DT-VH"], "quantity": 4})
        return lines
    unit = products[rng.choice(SPLITS)]
    count = rng.randint(1, 3)
    return [
        {"section": "Thiết bị", "product": unit, "quantity": count},
        {"section": "Vật tư", "product": products["VT-ONG"], "quantity": count * rng.randint(3, 6)},
        {"section": "Vật tư", "product": products["VT-GIA"], "quantity": count},
        {"section": "Lắp đặt", "product": products["LD-TT"], "quantity": count},
    ]


def load_commerce(users: dict[str, Any], *, seed: int = 2031) -> tuple[int, int, int]:
    """Create the catalogue and documents once; returns (quotes, orders, contracts) created."""
    if Product.all_objects.exists() or Quote.all_objects.exists():
        return 0, 0, 0
    rng = random.Random(seed)  # noqa: S311 - demo data, not security
    products = load_catalogue(users)
    now = timezone.now()
    today = timezone.localdate()
    last_event = Event.objects.aggregate(m=Max("id"))["m"] or 0
    won = list(
        Opportunity.objects.filter(
            status=OpportunityStatus.WON, owner__username__in=["sales1", "sales2", "manager"]
        )
        .select_related("contact", "account", "owner")
        .order_by("closed_at", "id")
    )
    open_deals = list(
        Opportunity.objects.filter(status=OpportunityStatus.OPEN, owner__username__in=["sales1", "sales2"])
        .select_related("contact", "account", "owner")
        .order_by("-created_at", "id")[:12]
    )
    # Documents are numbered in date order: build the story first, then create it chronologically.
    story: list[tuple[dt.datetime, str, Any]] = []
    for opp in won:
        if opp.contact is None and opp.account is None:
            continue
        closed = opp.closed_at or now
        story.append((closed - dt.timedelta(days=rng.randint(3, 15)), "won", opp))
    for opp in open_deals:
        story.append((now - dt.timedelta(days=rng.randint(1, 12)), "open", opp))
    story.sort(key=lambda item: item[0])
    quotes = orders = 0
    for when, outcome, opp in story:
        owner = opp.owner
        quote = services.quote_create(
            actor=owner,
            data={
                "opportunity": opp,
                "contact": opp.contact,
                "account": opp.account,
                "issue_date": timezone.localtime(when).date(),
                "valid_until": timezone.localtime(when).date() + dt.timedelta(days=15),
                "discount_percent": Decimal(rng.choice([0, 0, 0, 3, 5])),
            },
            lines=_lines(rng, products, opp),
        )
        services.quote_mark_sent(
            quote, actor=owner, to=(opp.contact.primary_email if opp.contact else "") or ""
        )
        quotes += 1
        last_event = _back_date(last_event, when, quote)
        Quote.all_objects.filter(pk=quote.pk).update(sent_at=when)
        if outcome == "open":
            continue
        accepted_at = when + dt.timedelta(days=rng.randint(1, 5))
        order = services.quote_accept(Quote.objects.get(pk=quote.pk), actor=owner)
        order_date = timezone.localtime(accepted_at).date()
        Order.all_objects.filter(pk=order.pk).update(
            issue_date=order_date, delivery_date=order_date + dt.timedelta(days=rng.randint(2, 10))
        )
        orders += 1
        roll = rng.random()
        # About 6 % cancelled and 9 % partly delivered, and at least one of each whatever the dice say.
        if roll < 0.06 or orders == 5:
            services.order_cancel(
                order, actor=owner, reason="Khách hàng đổi ý, chuyển sang mua trả góp nơi khác"
            )
        else:
            confirmed = services.order_confirm(Order.objects.get(pk=order.pk), actor=owner)
            delivered_on = min(order_date + dt.timedelta(days=rng.randint(2, 12)), today)
            lines = list(confirmed.lines.order_by("position"))
            if roll < 0.15 or orders == 6 or (today - order_date).days < 7:
                part = (
                    {lines[0].pk: Decimal(1)} if lines[0].quantity > 1 else {lines[-1].pk: lines[-1].quantity}
                )
                services.order_record_delivery(
                    confirmed, actor=owner, delivered_on=delivered_on, quantities=part
                )
            else:
                services.order_record_delivery(
                    confirmed,
                    actor=owner,
                    delivered_on=delivered_on,
                    quantities={line.pk: line.quantity for line in lines},
                )
        last_event = _back_date(last_event, accepted_at, order)
        Quote.all_objects.filter(pk=quote.pk).update(decided_at=accepted_at)
    contracts = _contracts(users, products, rng, won, today, now, last_event)
    return quotes, orders, contracts


def _contracts(
    users: dict[str, Any],
    products: dict[str, Product],
    rng: random.Random,
    won: list[Opportunity],
    today: dt.date,
    now: dt.datetime,
    last_event: int,
) -> int:
    """Yearly maintenance contracts with the larger customers: two end within the month, one overruns."""
    customers = [o for o in won if o.account is not None][:10]
    made = 0
    for i, opp in enumerate(customers):
        ends_soon = i < 2
        start = today - dt.timedelta(days=345 if ends_soon else rng.randint(30, 300))
        end = start + dt.timedelta(days=364)
        owner = opp.owner
        contract = services.contract_create(
            actor=owner,
            data={
                "name": f"Bảo trì điều hòa {start.year}–{end.year} — {opp.account}",
                "contact": opp.contact,
                "account": opp.account,
                "opportunity": opp,
                "start_date": start,
                "end_date": end,
                "issue_date": start,
                "billing_schedule": "quarterly",
            },
            lines=[
                {"product": products["BD-GOI2"], "quantity": rng.randint(4, 10)},
                {"product": products["BD-LE"], "quantity": rng.randint(2, 6)},
            ],
        )
        services.contract_sign(contract, actor=owner)
        signed_at = timezone.make_aware(dt.datetime.combine(start, dt.time(10, 0)))
        last_event = _back_date(last_event, signed_at, contract)
        Contract.all_objects.filter(pk=contract.pk).update(signed_at=signed_at)
        made += 1
        if i == 2:  # orders above the contract's total
            for quarter in range(3):
                order = services.order_create(
                    actor=owner,
                    data={
                        "contact": opp.contact,
                        "account": opp.account,
                        "contract": contract,
                        "issue_date": min(start + dt.timedelta(days=90 * quarter + 5), today),
                    },
                    lines=[
                        {"product": products["BD-GOI2"], "quantity": 4},
                        {"product": products["BD-LE"], "quantity": 4},
                    ],
                )
                confirmed = services.order_confirm(order, actor=owner)
                services.order_record_delivery(
                    confirmed,
                    actor=owner,
                    delivered_on=order.issue_date,
                    quantities={line.pk: line.quantity for line in confirmed.lines.all()},
                )
                when = timezone.make_aware(dt.datetime.combine(order.issue_date, dt.time(9, 30)))
                last_event = _back_date(last_event, when, order)
    return made
