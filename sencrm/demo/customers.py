"""Demo customers of Điều hòa Sen, an air-conditioner retailer with showrooms in Hà Nội and TP.HCM:
about 2,000 contacts and 300 accounts (hotels, restaurants, schools, offices) across the provinces,
created over the last 12 months through the services, so each has its events and timeline."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any, cast

from django.db import transaction
from django.utils import timezone

from sencrm.core.text import fold
from sencrm.customers import services
from sencrm.customers.choices import sync_reference_data
from sencrm.customers.models import Account, Contact, CustomerGroup, Province, SourceChannel, Tag
from sencrm.events.models import Event

FAMILY = [
    ("Nguyễn", 38),
    ("Trần", 11),
    ("Lê", 9),
    ("Phạm", 7),
    ("Hoàng", 4),
    ("Huỳnh", 3),
    ("Phan", 4),
    ("Vũ", 3),
    ("Võ", 3),
    ("Đặng", 2),
    ("Bùi", 2),
    ("Đỗ", 2),
    ("Hồ", 1),
    ("Ngô", 1),
    ("Dương", 1),
    ("Lý", 1),
    ("Đinh", 1),
    ("Trịnh", 1),
]
MIDDLE = {
    "male": ["Văn", "Đức", "Minh", "Quốc", "Hữu", "Thành", "Xuân", "Công", "Hoàng", "Tuấn"],
    "female": ["Thị", "Ngọc", "Thu", "Thanh", "Mai", "Hồng", "Thị Thanh", "Thị Ngọc", "Phương", "Thùy"],
}
GIVEN = {
    "male": [
        "An",
        "Bình",
        "Cường",
        "Dũng",
        "Đạt",
        "Hải",
        "Hùng",
        "Huy",
        "Khoa",
        "Khánh",
        "Long",
        "Minh",
        "Nam",
        "Phong",
        "Phúc",
        "Quang",
        "Sơn",
        "Tâm",
        "Thắng",
        "Thịnh",
        "Trung",
        "Tuấn",
        "Việt",
        "Vinh",
    ],
    "female": [
        "Anh",
        "Châu",
        "Dung",
        "Giang",
        "Hà",
        "Hạnh",
        "Hằng",
        "Hương",
        "Lan",
        "Linh",
        "Loan",
        "Mai",
        "My",
        "Nga",
        "Ngọc",
        "Nhung",
        "Oanh",
        "Phương",
        "Quỳnh",
        "Thảo",
        "Trang",
        "Tuyết",
        "Vy",
        "Yến",
    ],
}
PREFIXES = [
    "032",
    "033",
    "034",
    "035",
    "036",
    "037",
    "038",
    "039",
    "070",
    "076",
    "077",
    "078",
    "079",
    "081",
    "082",
    "083",
    "084",
    "085",
    "086",
    "088",
    "090",
    "091",
    "093",
    "094",
    "096",
    "097",
    "098",
    "056",
]
PROVINCE_WEIGHTS = {
    "ha-noi": 30,
    "ho-chi-minh": 30,
    "hai-phong": 4,
    "da-nang": 4,
    "bac-ninh": 3,
    "hung-yen": 3,
    "dong-nai": 4,
    "can-tho": 2,
    "quang-ninh": 2,
    "khanh-hoa": 2,
    "thanh-hoa": 2,
    "nghe-an": 2,
}
STAGES = [("lead", 35), ("prospect", 20), ("customer", 35), ("target", 5), ("inactive", 5)]
SOURCES = [
    ("facebook", 30),
    ("zalo", 20),
    ("website", 12),
    ("phone", 12),
    ("walk_in", 10),
    ("referral", 8),
    ("google_ads", 6),
    ("other", 2),
]
GROUPS = ["Khách lẻ", "Khách doanh nghiệp", "Đại lý", "Khách VIP"]
TAGS = ["Đã lắp đặt", "Bảo trì định kỳ", "Quan tâm inverter", "Cần báo giá", "Khách quay lại", "Dự án"]
TITLES = [
    "Giám đốc",
    "Trưởng phòng hành chính",
    "Kế toán trưởng",
    "Quản lý cơ sở vật chất",
    "Chủ nhà hàng",
    "Hiệu trưởng",
    "Trưởng phòng mua hàng",
]
BUSINESS = [
    ("Khách sạn", "Khách sạn"),
    ("Nhà hàng", "Nhà hàng"),
    ("Trường Mầm non", "Giáo dục"),
    ("Phòng khám", "Y tế"),
    ("Công ty TNHH", "Văn phòng"),
    ("Công ty Cổ phần", "Sản xuất"),
    ("Siêu thị mini", "Bán lẻ"),
    ("Xưởng may", "Sản xuất"),
]
BRAND = [
    "Minh Phát",
    "Hoàng Long",
    "An Khang",
    "Thành Công",
    "Đại Việt",
    "Phú Gia",
    "Sao Mai",
    "Hưng Thịnh",
    "Tân Á",
    "Bình Minh",
    "Kim Ngân",
    "Trường Sơn",
    "Hồng Hà",
    "Việt Nhật",
    "Ánh Dương",
    "Phương Nam",
    "Hòa Bình",
    "Đông Á",
    "Thiên Phú",
    "Lộc Phát",
    "Sông Hồng",
    "Bến Thành",
    "Hải Âu",
    "Mặt Trời",
]
STREETS = [
    "Cầu Giấy",
    "Xuân Thủy",
    "Nguyễn Trãi",
    "Lê Lợi",
    "Trần Hưng Đạo",
    "Hai Bà Trưng",
    "Lý Thường Kiệt",
    "Nguyễn Văn Cừ",
    "Võ Văn Tần",
    "Điện Biên Phủ",
    "Cách Mạng Tháng Tám",
    "Phạm Văn Đồng",
]
WARDS = {
    "ha-noi": ["Phường Cầu Giấy", "Phường Láng", "Phường Hoàn Kiếm", "Phường Đống Đa", "Phường Tây Hồ"],
    "ho-chi-minh": [
        "Phường Bến Thành",
        "Phường Xuân Hòa",
        "Phường Tân Định",
        "Phường Thủ Đức",
        "Phường Gò Vấp",
    ],
}


def _weighted(rng: random.Random, pairs: list[tuple[str, int]]) -> str:
    return rng.choices([p[0] for p in pairs], weights=[p[1] for p in pairs])[0]


def _phone(rng: random.Random) -> str:
    digits = rng.choice(PREFIXES) + "".join(rng.choice("0123456789") for _ in range(7))
    # People type numbers every which way; the CRM stores them all as one E.164 key.
    style = rng.random()
    if style < 0.6:
        return f"{digits[:4]} {digits[4:7]} {digits[7:]}"
    if style < 0.8:
        return digits
    return f"+84 {digits[1:4]} {digits[4:7]} {digits[7:]}"


def _owner_for(rng: random.Random, province: str, users: dict[str, Any]) -> Any:
    if province in ("ha-noi", "bac-ninh", "hai-phong", "hung-yen", "quang-ninh", "thanh-hoa", "nghe-an"):
        return users["sales1"] if rng.random() < 0.75 else users["manager"]
    if province in ("ho-chi-minh", "dong-nai", "can-tho", "khanh-hoa"):
        return users["sales2"]
    return rng.choice([users["sales1"], users["sales2"], users["manager"]])


@transaction.atomic
def load_customers(
    users: dict[str, Any], *, contacts: int = 2000, accounts: int = 300, seed: int = 2026
) -> int:
    """Create the demo accounts and contacts once (returns how many were created)."""
    if Contact.all_objects.exists() or Account.all_objects.exists():
        return 0
    sync_reference_data(Province, SourceChannel)
    rng = random.Random(seed)  # noqa: S311 - demo data, not security
    provinces = {p.code: p for p in Province.objects.all()}
    province_pairs = [(code, PROVINCE_WEIGHTS.get(code, 1)) for code in provinces]
    sources = {s.code: s for s in SourceChannel.objects.all()}
    groups = [CustomerGroup.objects.get_or_create(name=name)[0] for name in GROUPS]
    tags = [Tag.objects.get_or_create(name=name)[0] for name in TAGS]
    now = timezone.now()
    backdate: list[tuple[Any, dt.datetime]] = []

    account_objs: list[Account] = []
    account: Account | None  # each account created, then each contact's account (or none)
    used_names: set[str] = set()
    for i in range(accounts):
        kind, industry = rng.choice(BUSINESS)
        name = f"{kind} {rng.choice(BRAND)}"
        if name in used_names:
            name = f"{name} {i}"
        used_names.add(name)
        code = _weighted(rng, province_pairs)
        created = now - dt.timedelta(days=rng.randint(0, 365), minutes=rng.randint(0, 1440))
        owner = _owner_for(rng, code, users)
        account = services.account_create(
            actor=owner,
            owner=owner,
            actor_label="system:demo",
            data={
                "name": name,
                "tax_code": f"0{rng.randint(100000000, 999999999)}",
                "industry": industry,
                "province": provinces[code],
                "ward": rng.choice(WARDS.get(code, [""])),
                "street": f"{rng.randint(1, 300)} {rng.choice(STREETS)}",
                "customer_group": rng.choice(groups[1:]),
                "source": sources[_weighted(rng, SOURCES)],
                "lifecycle_stage": _weighted(rng, STAGES),
                "created_at": created,
                "updated_at": created,
            },
            phones=[
                f"024 {rng.randint(3000, 3999)} {rng.randint(1000, 9999)}"
                if code == "ha-noi"
                else f"028 {rng.randint(3800, 3999)} {rng.randint(1000, 9999)}"
            ],
            emails=[f"lienhe{i}@{fold(name).replace(' ', '')[:20]}.vn"],
        )
        account_objs.append(account)
        backdate.append((account, created))

    for i in range(contacts):
        gender = "female" if rng.random() < 0.5 else "male"
        full_name = f"{_weighted(rng, FAMILY)} {rng.choice(MIDDLE[gender])} {rng.choice(GIVEN[gender])}"
        code = _weighted(rng, province_pairs)
        created = now - dt.timedelta(days=rng.randint(0, 365), minutes=rng.randint(0, 1440))
        account = rng.choice(account_objs) if rng.random() < 0.3 else None
        if account is not None:
            code = cast(Province, account.province).code  # every demo account has a province
        owner = account.owner if account is not None else _owner_for(rng, code, users)
        stage = _weighted(rng, STAGES)
        phones = [_phone(rng)] + ([_phone(rng)] if rng.random() < 0.2 else [])
        email_user = fold(full_name).replace(" ", ".")
        consents = {
            ch: {"granted": rng.random() < 0.7, "source": "Phiếu đăng ký tại showroom", "at": created}
            for ch in ("email", "sms", "phone", "zalo")
            if rng.random() < 0.6
        }
        contact = services.contact_create(
            actor=owner,
            owner=owner,
            actor_label="system:demo",
            data={
                "full_name": full_name,
                "gender": gender,
                "province": provinces[code],
                "ward": rng.choice(WARDS.get(code, [""])),
                "street": f"{rng.randint(1, 500)} {rng.choice(STREETS)}",
                "account": account,
                "title": rng.choice(TITLES) if account else "",
                "customer_group": groups[0] if account is None else rng.choice(groups[1:]),
                "source": sources[_weighted(rng, SOURCES)],
                "lifecycle_stage": stage,
                "date_of_birth": dt.date(rng.randint(1960, 2002), rng.randint(1, 12), rng.randint(1, 28))
                if rng.random() < 0.4
                else None,
                "first_touch_at": created - dt.timedelta(days=rng.randint(0, 20)),
                "created_at": created,
                "updated_at": created,
            },
            phones=phones,
            emails=[f"{email_user}{i}@gmail.com"] if rng.random() < 0.6 else [],
            tags=rng.sample(tags, k=rng.randint(0, 2)),
            consents=consents,
        )
        backdate.append((contact, created))

    # The records were "created" over the past year: their creation events say so too.
    events = []
    for obj, created in backdate:
        event = Event.objects.filter(subject_id=obj.pk, type=f"{obj._meta.model_name}.created").first()
        if event is not None:
            event.occurred_at = created
            events.append(event)
    Event.objects.bulk_update(events, ["occurred_at"], batch_size=500)
    return len(backdate)
