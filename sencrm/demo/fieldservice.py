"""The demo's after-sales: skills, two technicians (`tech` in the North, `tech2` in the South), checklists
per work type, the installed products that the deliveries made (every delivered air conditioner), 6-month
cleaning plans for the maintenance contracts, past work orders done with parts, photos and the customer's
signature, and this week's dispatch board with jobs today and a few waiting for a technician.

Everything is written through the services; past work is back-dated (its events move to the day it
happened), and the demo never writes the future except the bookings themselves.
"""

from __future__ import annotations

import datetime as dt
import io
import random
from decimal import Decimal
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone
from PIL import Image, ImageDraw

from sencrm.catalog.models import Product
from sencrm.commerce.models import Contract, ContractStatus
from sencrm.customers.models import Province
from sencrm.demo.support import _back_date, _drop_emails, _last_event
from sencrm.fieldservice import config_services, plans, services
from sencrm.fieldservice.models import Asset, AssetStatus, Skill, Technician, WorkKind, WorkOrder
from sencrm.users.models import Role, User

SKILLS = ["Lắp đặt điều hòa", "Sửa chữa điện lạnh", "Bảo dưỡng, vệ sinh", "Điều hòa trung tâm VRV"]
CHECKLISTS = {
    WorkKind.INSTALL: [
        "Kiểm tra vị trí lắp dàn lạnh, dàn nóng với khách",
        "Khoan tường, lắp giá đỡ, đi ống đồng",
        "Hút chân không, kiểm tra rò rỉ gas",
        "Chạy thử 15 phút, đo nhiệt độ gió ra",
        "Hướng dẫn khách sử dụng điều khiển",
    ],
    WorkKind.REPAIR: [
        "Hỏi khách hiện tượng lỗi, mã lỗi",
        "Kiểm tra nguồn điện, tụ, quạt",
        "Kiểm tra áp suất gas",
        "Chạy thử sau sửa chữa",
    ],
    WorkKind.WARRANTY_REPAIR: [
        "Kiểm tra tem bảo hành, số sê-ri",
        "Xác định lỗi do nhà sản xuất",
        "Thay linh kiện bảo hành",
        "Chạy thử sau sửa chữa",
    ],
    WorkKind.MAINTENANCE: [
        "Vệ sinh lưới lọc, dàn lạnh",
        "Xịt rửa dàn nóng",
        "Kiểm tra gas, đo dòng điện",
        "Kiểm tra ống thoát nước",
    ],
}
NORTH = ["ha-noi", "hai-phong", "bac-ninh", "hung-yen", "quang-ninh"]
SOUTH = ["ho-chi-minh", "dong-nai", "binh-duong", "tay-ninh", "can-tho"]
PAST_JOBS = [
    (WorkKind.REPAIR, "Điều hòa không lạnh, báo lỗi E7", "Thay tụ máy nén, nạp thêm gas R32", True),
    (WorkKind.MAINTENANCE, "Vệ sinh định kỳ 6 tháng", "Đã vệ sinh dàn lạnh, dàn nóng; máy chạy êm", False),
    (WorkKind.WARRANTY_REPAIR, "Dàn lạnh chảy nước", "Thông ống thoát nước, thay khay nước bảo hành", True),
    (WorkKind.INSTALL, "Lắp đặt điều hòa mới", "Lắp đặt xong, chạy thử đạt, đã hướng dẫn khách", False),
    (WorkKind.REPAIR, "Điều khiển không nhận", "Thay mắt nhận tín hiệu dàn lạnh", True),
    (WorkKind.MAINTENANCE, "Bảo dưỡng theo hợp đồng", "Vệ sinh 4 máy, kiểm tra gas đạt", False),
]
TODAY_JOBS = [
    # An hour each, two hours apart: room for the travel time even between two provinces.
    (7, 30, WorkKind.MAINTENANCE, "Vệ sinh điều hòa định kỳ"),
    (10, 30, WorkKind.REPAIR, "Điều hòa kêu to, rung dàn nóng"),
    (13, 30, WorkKind.INSTALL, "Lắp đặt điều hòa phòng khách"),
    (16, 30, WorkKind.REPAIR, "Máy báo lỗi U4"),
]


PARTS = [
    ("VT-TU35", "Tụ điện máy nén 35µF", "cái", 350_000),
    ("VT-GAS32", "Gas R32 nạp bổ sung (kg)", "kg", 450_000),
    ("VT-MATNHAN", "Mắt nhận tín hiệu dàn lạnh", "cái", 280_000),
    ("VT-KHAYNUOC", "Khay nước dàn lạnh", "cái", 520_000),
]


def _parts(users: dict[str, Any]) -> list[Product]:
    from sencrm.catalog import services as catalog

    made = []
    for code, name, unit, price in PARTS:
        existing = Product.all_objects.filter(code=code).first()
        made.append(
            existing
            or catalog.product_create(
                actor=users["manager"],
                data={
                    "code": code,
                    "name": name,
                    "category": catalog.category_ensure_path(
                        actor=users["manager"], path="Vật tư, linh kiện"
                    ),
                    "unit": unit,
                    "kind": "goods",
                    "list_price": Decimal(price),
                    "vat_rate": "10",
                    "warranty_months": 3,
                },
            )
        )
    return made


def _at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def _photo(label: str, color: tuple[int, int, int]) -> SimpleUploadedFile:
    """A site photo stand-in: a real JPEG the services check and re-encode."""
    image = Image.new("RGB", (800, 600), color)
    draw = ImageDraw.Draw(image)
    draw.rectangle((120, 150, 680, 330), outline=(255, 255, 255), width=8)
    draw.text((140, 360), label, fill=(255, 255, 255))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80)
    return SimpleUploadedFile(f"{label}.jpg", out.getvalue(), content_type="image/jpeg")


def _signature() -> bytes:
    """A drawn signature: a PNG of a few strokes, as the phone screen's canvas sends it."""
    image = Image.new("RGBA", (400, 150), (255, 255, 255, 0))
    draw = ImageDraw.Draw(image)
    draw.line(
        [(30, 110), (80, 40), (120, 100), (170, 50), (220, 105), (300, 60), (360, 90)], fill="black", width=4
    )
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def _technicians(users: dict[str, Any]) -> tuple[User, User, dict[str, Skill]]:
    admin = users["admin"]
    skills = {name: config_services.skill_save(actor=admin, name=name) for name in SKILLS}
    tech2 = User.objects.filter(username="tech2").first()
    if tech2 is None:
        tech2 = User.objects.create_user(
            username="tech2",
            password="demo",  # noqa: S106 - the demo's shared password
            full_name="Lê Văn Hùng",
            email="hung.le@dieuhoasen.vn",
            role=Role.objects.get(code="technician"),
        )
    north = list(Province.objects.filter(code__in=NORTH))
    south = list(Province.objects.filter(code__in=SOUTH))
    config_services.technician_save(
        actor=admin,
        user=users["tech"],
        skills=list(skills.values()),
        provinces=north,
        phone="0983 456 120",
        color="#0d6efd",
    )
    config_services.technician_save(
        actor=admin,
        user=tech2,
        skills=[skills["Lắp đặt điều hòa"], skills["Sửa chữa điện lạnh"], skills["Bảo dưỡng, vệ sinh"]],
        provinces=south,
        phone="0909 812 334",
        color="#198754",
    )
    for kind, steps in CHECKLISTS.items():
        for text in steps:
            config_services.checklist_save(actor=admin, kind=kind, text=text)
    return users["tech"], tech2, skills


def _assets_by_region() -> tuple[list[Asset], list[Asset]]:
    assets = list(
        Asset.objects.filter(status=AssetStatus.INSTALLED)
        .select_related("product", "contact", "account", "site_province")
        .order_by("id")
    )
    north = [a for a in assets if a.site_province and a.site_province.code in NORTH]
    south = [a for a in assets if a.site_province and a.site_province.code in SOUTH]
    return north, south


def _plans(users: dict[str, Any], today: dt.date) -> int:
    """A 6-month cleaning plan for each signed maintenance contract, over the customer's installed assets."""
    care = users["care"]
    made = 0
    for contract in Contract.objects.filter(status=ContractStatus.SIGNED).order_by("id"):
        if contract.end_date is not None and contract.end_date < today:
            continue
        plans.plan_create(
            actor=care,
            data={
                "name": f"Vệ sinh điều hòa 6 tháng/lần — {contract.account or contract.contact}",
                "contract": contract,
                "contact": contract.contact,
                "account": contract.account,
                "interval_months": 6,
                "start_date": contract.start_date + dt.timedelta(days=30),
                "lead_days": 14,
                "remind_days": 3,
            },
        )
        made += 1
    return made


def _past_work(
    care: User,
    techs: list[User],
    pools: list[list[Asset]],
    parts: list[Product],
    rng: random.Random,
    today: dt.date,
) -> None:
    """Work orders done over the last three weeks, each with checklist, a part, a photo and a signature."""
    for index, (kind, title, result, with_part) in enumerate(PAST_JOBS * 2):
        tech, pool = techs[index % 2], pools[index % 2]
        if not pool:
            continue
        asset = pool[(index * 3) % len(pool)]
        day = today - dt.timedelta(days=2 + index * 2)
        if day.weekday() == 6:
            day -= dt.timedelta(days=1)
        start = _at(day, 9 if index % 3 else 14)
        since = _last_event()
        wo = services.work_order_create(
            actor=care,
            data={
                "kind": kind,
                "title": title,
                "technician": tech,
                "scheduled_start": start,
                "scheduled_end": start + dt.timedelta(minutes=90),
                "labour_price": Decimal(150_000) if with_part else Decimal(0),
                # A paid repair is charged even on a unit still in warranty (the fault is not covered:
                # a dropped remote, a power surge), so the demo always has invoices to issue.
                "chargeable": True if kind == WorkKind.REPAIR else None,
            },
            assets=[asset],
        )
        services.work_order_transition(
            wo, actor=tech, status="on_the_way", at=start - dt.timedelta(minutes=25)
        )
        services.work_order_transition(wo, actor=tech, status="in_progress", at=start)
        for check in wo.checks.all():
            services.work_order_set_check(wo, actor=tech, check_id=check.pk, done=True)
        if with_part:
            services.work_order_add_part(
                wo,
                actor=tech,
                product=parts[index % len(parts)],
                quantity=Decimal(1),
                asset=asset,
                chargeable=True if kind == WorkKind.REPAIR else None,
            )
        services.work_order_add_photo(
            wo, actor=tech, upload=_photo(wo.number, (40 + index * 15, 90, 140)), caption="Sau khi xử lý"
        )
        services.work_order_sign(
            wo,
            actor=tech,
            image=_signature(),
            signed_by=str(asset.contact or asset.account or "Khách hàng"),
            at=start + dt.timedelta(minutes=80),
        )
        services.work_order_finish(
            WorkOrder.objects.get(pk=wo.pk),
            actor=tech,
            result_notes=result,
            minutes_spent=rng.randint(45, 90),
            at=start + dt.timedelta(minutes=85),
        )
        _drop_emails()
        _back_date(since, start)


def _this_week(care: User, techs: list[User], pools: list[list[Asset]], today: dt.date) -> None:
    """The board: each technician's jobs today (four) and over the week ahead, and three waiting."""
    for t_index, (tech, pool) in enumerate(zip(techs, pools, strict=True)):
        if not pool:
            continue
        n = 0
        for offset in range(8):  # today (whatever the day: the demo is opened today) and the week ahead
            day = today + dt.timedelta(days=offset)
            if day.weekday() == 6 and offset:  # no work on the coming Sunday
                continue
            jobs = TODAY_JOBS if offset == 0 else TODAY_JOBS[: 1 + (offset + t_index) % 3]
            for hour, minute, kind, title in jobs:
                start = _at(day, hour, minute)
                asset = pool[(n * 5 + 7) % len(pool)]
                n += 1
                services.work_order_create(
                    actor=care,
                    data={
                        "kind": kind,
                        "title": title,
                        "technician": tech,
                        "scheduled_start": start,
                        "scheduled_end": start + dt.timedelta(minutes=60),
                    },
                    assets=[asset],
                )
    waiting = [a for pool in pools for a in pool[-3:]]
    for asset, title in zip(
        waiting,
        ["Kiểm tra điều hòa không mát", "Di dời điều hòa sang phòng mới", "Khách hẹn vệ sinh máy"],
        strict=False,
    ):
        services.work_order_create(actor=care, data={"kind": WorkKind.REPAIR, "title": title}, assets=[asset])
    _drop_emails()


def load_fieldservice(users: dict[str, Any], *, seed: int = 2071) -> int:
    """Create the after-sales data once; returns the number of work orders."""
    if Technician.objects.exists():
        return 0
    rng = random.Random(seed)  # noqa: S311 - demo data, not security
    today = timezone.localdate()
    with transaction.atomic():
        tech, tech2, _skills = _technicians(users)
    with transaction.atomic():
        _plans(users, today)
        _drop_emails()
    north, south = _assets_by_region()
    if not south:  # the demo's customers are mostly in the North: share them out
        north, south = north[::2], north[1::2]
    with transaction.atomic():
        parts = _parts(users)
    care = users["care"]
    with transaction.atomic():
        _past_work(care, [tech, tech2], [north, south], parts, rng, today)
    with transaction.atomic():
        _this_week(care, [tech, tech2], [north, south], today)
    return WorkOrder.objects.count()
