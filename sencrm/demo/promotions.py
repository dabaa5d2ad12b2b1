"""The demo's promotions: last summer's 10 % off air conditioners (HE<year>) and last Tết's gift (a year of
maintenance with a unit from 15 million), each with the orders that used it.

The demo's other orders came from accepted quotes and many are invoiced and paid; a promotion changes an
order's lines and totals, so it is not pinned on them afterwards. Each promotion's uses are orders of
their own, placed through the services with the code (the saving on the lines, the use, the
`promotion.applied` event), confirmed, delivered and back-dated into the promotion's dates, for
customers of the demo's salespeople: some buying for the first time (new customers), some again.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import F, Max, Q
from django.utils import timezone

from sencrm.catalog.models import Category, Product
from sencrm.commerce import services as commerce
from sencrm.commerce.models import Order
from sencrm.customers.models import Contact
from sencrm.events.models import Event
from sencrm.marketing.models import Campaign
from sencrm.marketing.occasions import tet
from sencrm.promotions.models import Promotion, PromotionUse
from sencrm.promotions.services import promotion_create

STEMS = ["Giáp", "Ất", "Bính", "Đinh", "Mậu", "Kỷ", "Canh", "Tân", "Nhâm", "Quý"]
BRANCHES = ["Tý", "Sửu", "Dần", "Mão", "Thìn", "Tỵ", "Ngọ", "Mùi", "Thân", "Dậu", "Tuất", "Hợi"]
SUMMER_UNITS = ["DK-FTKB25", "PA-CU9", "DK-FTKB35", "MI-MSY13", "PA-CU12", "DK-FTHF50"]
TET_UNITS = ["DK-FTHF50", "PA-CU12", "DK-FCFC50", "DK-FTKB35"]


def year_name(year: int) -> str:
    """The lunar year's name: 2026 is Bính Ngọ."""
    return f"{STEMS[(year - 4) % 10]} {BRANCHES[(year - 4) % 12]}"


def _days(start: dt.date, end: dt.date, count: int) -> list[dt.date]:
    """`count` days spread evenly from `start` to `end` (both included)."""
    span = max((end - start).days, 0)
    return [start + dt.timedelta(days=span * i // max(count - 1, 1)) for i in range(count)]


def _buyers(count: int) -> list[Contact]:
    """Contacts of the salespeople, alternately one who never ordered and one who did (deterministic)."""
    # A contact whose company is its owner's too (or who has none): the owner may write the order.
    owned = (
        Contact.objects.filter(owner__username__in=["sales1", "sales2"])
        .filter(Q(account__isnull=True) | Q(account__owner=F("owner")))
        .select_related("owner")
        .order_by("pk")
    )
    ordered = set(Order.objects.values_list("contact_id", flat=True))
    fresh = [c for c in owned[:400] if c.pk not in ordered]
    regulars = [c for c in owned[:400] if c.pk in ordered]
    picked: list[Contact] = []
    while len(picked) < count and (fresh or regulars):
        source = fresh if (len(picked) % 2 == 0 and fresh) or not regulars else regulars
        picked.append(source.pop(0))
    return picked


def _place(code: str, buyers: list[Contact], days: list[dt.date], units: list[str]) -> int:
    """Orders with the code, one per buyer and day, confirmed, delivered and dated that day."""
    products = {p.code: p for p in Product.objects.filter(code__in=[*units, "LD-TT", "VT-ONG"])}
    last_event = Event.objects.aggregate(m=Max("id"))["m"] or 0
    placed = 0
    for n, (buyer, day) in enumerate(zip(buyers, days, strict=False)):
        unit = products.get(units[n % len(units)])
        if unit is None or "LD-TT" not in products:
            continue
        count = 1 + n % 2
        order = commerce.order_create(
            actor=buyer.owner,
            data={"contact": buyer, "issue_date": day, "promotion_code": code},
            lines=[
                {"section": "Thiết bị", "product": unit, "quantity": count},
                {"section": "Vật tư", "product": products["VT-ONG"], "quantity": 4 * count},
                {"section": "Lắp đặt", "product": products["LD-TT"], "quantity": count},
            ],
        )
        confirmed = commerce.order_confirm(order, actor=buyer.owner)
        commerce.order_record_delivery(
            confirmed,
            actor=buyer.owner,
            delivered_on=min(day + dt.timedelta(days=2), timezone.localdate()),
            quantities={line.pk: line.quantity for line in confirmed.lines.all()},
        )
        when = timezone.make_aware(dt.datetime.combine(day, dt.time(10, 30)))
        Event.objects.filter(id__gt=last_event).update(occurred_at=when)
        Order.all_objects.filter(pk=order.pk).update(created_at=when, updated_at=when, confirmed_at=when)
        PromotionUse.objects.filter(order=order).update(used_at=when)
        last_event = Event.objects.aggregate(m=Max("id"))["m"] or 0
        placed += 1
    return placed


def _summer(marketer: Any, today: dt.date) -> tuple[Promotion, list[dt.date]]:
    year = today.year if today >= dt.date(today.year, 6, 1) else today.year - 1
    start, end = dt.date(year, 6, 1), dt.date(year, 8, 31)
    air = Category.objects.filter(name="Điều hòa", parent=None).first()
    # Its results join the attribution report through a summer campaign (one about air conditioners first).
    summer = Campaign.objects.filter(start_date__gte=start, start_date__lte=end).order_by("-start_date", "pk")
    campaign = summer.filter(name__icontains="Điều hòa").first() or summer.first()
    promotion = promotion_create(
        actor=marketer,
        data={
            "code": f"HE{year}",
            "name": f"Khuyến mãi hè {year}",
            "kind": "percent",
            "value": Decimal(10),
            "categories": [air] if air is not None else [],
            "valid_from": start,
            "valid_until": end,
            "usage_limit": 300,
            "per_customer_limit": 1,
            "campaign": campaign,
            "description": "Giảm 10 % giá điều hòa (mọi dòng máy) mua trong mùa hè; mỗi khách một lần.",
        },
    )
    _back_date(promotion, start - dt.timedelta(days=14))
    return promotion, _days(min(start + dt.timedelta(days=3), today), min(end, today), 8)


def _tet(marketer: Any, today: dt.date) -> tuple[Promotion, list[dt.date]]:
    year = today.year if tet(today.year) - dt.timedelta(days=20) <= today else today.year - 1
    day = tet(year)
    start, end = day - dt.timedelta(days=20), day + dt.timedelta(days=15)
    gift = Product.objects.filter(code="BD-GOI1").first()
    promotion = promotion_create(
        actor=marketer,
        data={
            "code": f"TET{year}",
            "name": f"Tết {year_name(year)} {year}",
            "kind": "gift",
            "gift_product": gift,
            "gift_quantity": Decimal(1),
            "min_order": Decimal(15_000_000),
            "valid_from": start,
            "valid_until": end,
            "usage_limit": 100,
            "description": "Tặng gói bảo trì định kỳ 1 năm cho đơn từ 15 triệu đồng quanh Tết.",
        },
    )
    _back_date(promotion, start - dt.timedelta(days=7))
    # No orders in the three days of Tết itself: the shop is closed.
    closed = {day + dt.timedelta(days=i) for i in range(3)}
    days = _days(min(start + dt.timedelta(days=1), today), min(end, today), 7)
    return promotion, [d for d in days if d not in closed]


def _back_date(promotion: Promotion, day: dt.date) -> None:
    """The promotion was prepared before it started: its row and its events say so."""
    when = timezone.make_aware(dt.datetime.combine(day, dt.time(9, 0)))
    Promotion.all_objects.filter(pk=promotion.pk).update(created_at=when, updated_at=when)
    Event.objects.filter(type__startswith="promotion.", subject_id=promotion.pk).update(occurred_at=when)


@transaction.atomic
def load_promotions(users: dict[str, Any]) -> int:
    """Create the two promotions and their orders once; returns the number of uses recorded."""
    if Promotion.all_objects.exists() or not Product.objects.filter(code="LD-TT").exists():
        return 0
    marketer = users["marketing"]
    today = timezone.localdate()
    summer, summer_days = _summer(marketer, today)
    tet_promotion, tet_days = _tet(marketer, today)
    buyers = _buyers(len(summer_days) + len(tet_days))
    used = _place(summer.code, buyers[: len(summer_days)], summer_days, SUMMER_UNITS)
    used += _place(tet_promotion.code, buyers[len(summer_days) :], tet_days, TET_UNITS)
    return used
