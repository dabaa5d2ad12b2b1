"""The demo's marketing: a year of campaigns (Fanpage ads month by month, Google Ads, the Zalo OA, a
showroom event) with their daily costs; the leads, contacts, accounts and opportunities credited to
them; Fanpage and Zalo conversations (the seeds' 01/08 → 10/08 story among them) and a queue of new
ones for today.

Campaigns are the ones the demo's leads already name (`Lead.campaign`, sencrm/demo/sales_data.py), so
that attribution is consistent with the leads, orders and receipts already loaded. Campaign records go
through the record services (events); cost rows and the campaign links are bulk-written, as the rest
of the demo back-dates its story.
"""

from __future__ import annotations

import datetime as dt
import random
import re
from collections import defaultdict
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from sencrm.core.crypto import encrypt
from sencrm.customers.models import Account, Contact
from sencrm.events.services import event_emit, record_create
from sencrm.marketing.models import (
    Campaign,
    CampaignChannel,
    CampaignCost,
    Conversation,
    ConversationMessage,
    ConversationStatus,
    CostOrigin,
    InboundChannel,
    MessageDirection,
    Platform,
)
from sencrm.sales.models import Lead, Opportunity

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
FANPAGE_ID = "104857291736452"
ZALO_OA_ID = "2918273645501928374"
# The demo's webhook secrets (README): post payloads signed with them to try the receivers.
DEMO_FACEBOOK_SECRET = "demo-facebook-app-secret"  # noqa: S105 - published demo value
DEMO_FACEBOOK_VERIFY_TOKEN = "demo-verify-token"  # noqa: S105 - published demo value
DEMO_ZALO_SECRET = "demo-zalo-oa-secret"  # noqa: S105 - published demo value
DEMO_ZALO_APP_ID = "1234567890123456789"

CHANNEL_OF_SOURCE: dict[str, str] = {
    "facebook": CampaignChannel.FACEBOOK_ADS,
    "zalo": CampaignChannel.ZALO,
    "google_ads": CampaignChannel.GOOGLE_ADS,
    "website": CampaignChannel.GOOGLE_ADS,
    "referral": CampaignChannel.OTHER,
}
# Monthly budgets by channel (VND).
BUDGET: dict[str, int] = {
    CampaignChannel.FACEBOOK_ADS: 15_000_000,
    CampaignChannel.GOOGLE_ADS: 20_000_000,
    CampaignChannel.ZALO: 5_000_000,
    CampaignChannel.OTHER: 3_000_000,
    CampaignChannel.EVENT: 30_000_000,
}
UTM: dict[str, tuple[str, str]] = {
    CampaignChannel.FACEBOOK_ADS: ("facebook", "cpc"),
    CampaignChannel.GOOGLE_ADS: ("google", "cpc"),
    CampaignChannel.ZALO: ("zalo", "oa"),
    CampaignChannel.OTHER: ("referral", "voucher"),
    CampaignChannel.EVENT: ("showroom", "event"),
}
MONTHLY = re.compile(r"\bT(\d{1,2})\b")
EVENT_NAME = "Sự kiện trải nghiệm điều hòa tại showroom Hà Nội"
STORY_CAMPAIGN = "Fanpage T8 - Điều hòa Inverter"
QUEUE_MESSAGES = [
    ("Nguyễn Minh Tú", "Shop ơi máy Panasonic 1HP inverter giá bao nhiêu ạ?"),
    ("Lê Thảo", "Cho mình hỏi lắp điều hòa ở Long Biên có mất phí vận chuyển không?"),
    ("Phạm Quốc Bảo", "Bên mình có nhận bảo dưỡng 4 máy cho văn phòng không?"),
    ("Hoàng Yến", "Em muốn đổi máy cũ lấy máy mới, có chương trình thu cũ đổi mới không ạ"),
    ("Đặng Văn Hùng", "Điều hòa nhà tôi chảy nước, bên bạn có sửa không?"),
]


def _aware(day: dt.date, hour: int = 10, minute: int = 0) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=TZ)


def _month_of(name: str, seen: list[dt.datetime]) -> tuple[dt.date, dt.date | None]:
    """A monthly campaign ("Fanpage T8 - …") runs that month (of the year its leads came in); another
    runs from its first lead's month, still running."""
    first = min(seen).astimezone(TZ).date() if seen else timezone.localdate() - dt.timedelta(days=180)
    match = MONTHLY.search(name)
    if match:
        month = int(match.group(1))
        year = first.year if first.month <= month or month == first.month else first.year + 1
        year = min((s.astimezone(TZ).year for s in seen if s.astimezone(TZ).month == month), default=year)
        start = dt.date(year, month, 1)
        end = (start.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
        return start, end
    # Running for a year (the always-on search ads, the OA, the referral programme).
    today = timezone.localdate()
    return min(first.replace(day=1), dt.date(today.year - 1, today.month, 1)), None


@transaction.atomic
def load_marketing(users: dict[str, Any], *, seed: int = 2051) -> int:
    """Create the campaigns, their costs, the campaign links and the conversations once; returns the
    number of campaigns created."""
    if Campaign.all_objects.exists():
        return 0
    rng = random.Random(seed)  # noqa: S311 - demo data, not security
    marketer = users["marketing"]
    today = timezone.localdate()
    campaigns = _campaigns(marketer, today)
    _costs(campaigns, marketer, today, rng)
    _link_records(campaigns, rng)
    _inbound_channels(users["admin"], campaigns)
    _conversations(users, campaigns, today, rng)
    _data_requests(users)
    _past_purchases(users, today, rng)
    _segments(marketer)
    _occasions(marketer)
    from sencrm.demo.emails import load_emails

    load_emails(marketer, today, rng)
    return len(campaigns)


def _occasions(marketer: Any) -> None:
    """The care calendar of the demo business: birthdays, 8/3, 20/10, 20/11, Tết, after a purchase and a
    contract's anniversary (the worker gives the tasks each morning)."""
    from sencrm.demo.emails import birthday_email
    from sencrm.marketing.models import Segment
    from sencrm.marketing.occasions import occasion_create

    companies = Segment.objects.filter(name="Khách doanh nghiệp Hà Nội").first()
    wanted: list[dict[str, Any]] = [
        {"name": "Sinh nhật khách hàng", "kind": "birthday", "days_before": 1,
         "task_subject": "Gọi chúc mừng sinh nhật, tặng voucher vệ sinh máy",
         "email": birthday_email(marketer)},
        {"name": "Quốc tế Phụ nữ 8/3", "kind": "date", "day": 8, "month": 3, "days_before": 2,
         "task_subject": "Gửi lời chúc 8/3"},
        {"name": "Phụ nữ Việt Nam 20/10", "kind": "date", "day": 20, "month": 10, "days_before": 2,
         "task_subject": "Gửi lời chúc 20/10"},
        {"name": "Nhà giáo Việt Nam 20/11", "kind": "date", "day": 20, "month": 11, "days_before": 1,
         "task_subject": "Gửi lời chúc 20/11"},
        {"name": "Chúc Tết khách doanh nghiệp", "kind": "tet", "days_before": 7, "segment": companies,
         "task_subject": "Gửi quà Tết và thiệp chúc"},
        {"name": "Hỏi thăm sau khi lắp đặt", "kind": "purchase", "days_after": 3,
         "task_subject": "Gọi hỏi thăm máy chạy có tốt không"},
        {"name": "Kỷ niệm ngày ký hợp đồng", "kind": "contract", "days_before": 0,
         "task_subject": "Gọi cảm ơn, hỏi nhu cầu gia hạn"},
    ]  # fmt: skip
    for data in wanted:
        occasion_create(actor=marketer, data=data)


def _past_purchases(users: dict[str, Any], today: dt.date, rng: random.Random) -> None:
    """Air conditioners sold 7–16 months ago (before this year's deals), a third of them cleaned since:
    what the "bought an air conditioner more than 6 months ago and no maintenance since" segment finds."""
    from sencrm.catalog.models import Product
    from sencrm.commerce import services as commerce
    from sencrm.customers.models import Contact

    products = {p.code: p for p in Product.objects.filter(code__in=["DK-FTKB25", "PA-CU12", "BD-LE"])}
    if len(products) < 3:
        return
    sellers = {users[name].pk: users[name] for name in ("sales1", "sales2", "manager")}
    buyers = list(
        Contact.objects.filter(
            owner_id__in=sellers, lifecycle_stage="customer", account__isnull=True
        ).order_by("pk")[:40]
    )
    for n, contact in enumerate(buyers):
        owner = sellers[contact.owner_id]
        bought = today - dt.timedelta(days=rng.randint(200, 480))
        unit = products["DK-FTKB25" if n % 2 else "PA-CU12"]
        _delivered(commerce, owner, contact, bought, [{"product": unit, "quantity": 1}])
        if n % 3 == 0:  # cleaned within the last six months: not in the segment
            cleaned = today - dt.timedelta(days=rng.randint(10, 150))
            _delivered(commerce, owner, contact, cleaned, [{"product": products["BD-LE"], "quantity": 1}])


def _delivered(commerce: Any, owner: Any, contact: Any, day: dt.date, lines: list[dict[str, Any]]) -> None:
    order = commerce.order_create(actor=owner, data={"contact": contact, "issue_date": day}, lines=lines)
    confirmed = commerce.order_confirm(order, actor=owner)
    commerce.order_record_delivery(
        confirmed,
        actor=owner,
        delivered_on=day,
        quantities={line.pk: line.quantity for line in confirmed.lines.all()},
    )


def _segments(marketer: Any) -> None:
    """The segments a marketer of the demo business keeps (issue 16)."""
    from sencrm.catalog.models import Category
    from sencrm.customers.models import Province
    from sencrm.marketing.segments import segment_create

    cooling = Category.objects.filter(name="Điều hòa", parent=None).values_list("pk", flat=True).first()
    upkeep = (
        Category.objects.filter(name="Bảo trì", parent__name="Dịch vụ").values_list("pk", flat=True).first()
    )
    hanoi = Province.objects.get(code="ha-noi").pk

    def rule(field: str, op: str, value: Any = None) -> dict[str, Any]:
        return {"field": field, "op": op, "value": value}

    wanted: list[tuple[str, str, str, list[dict[str, Any]]]] = [
        ("Khách mua điều hòa > 6 tháng chưa bảo dưỡng", "dynamic",
         "Mua điều hòa hơn 180 ngày trước và chưa mua dịch vụ bảo trì trong 180 ngày qua: gọi mời vệ sinh.",
         [rule("purchase", "bought", {"category": [cooling], "more_than_days_ago": 180}),
          rule("purchase", "not_bought", {"category": [upkeep], "within_days": 180})]),
        ("Khách doanh nghiệp Hà Nội", "dynamic", "Liên hệ của các công ty đặt tại Hà Nội.",
         [rule("account.name", "is_not_empty"), rule("account.province", "in", [hanoi])]),
        ("Sinh nhật tháng này", "dynamic", "Gửi lời chúc và ưu đãi sinh nhật.",
         [rule("birthday", "this_month")]),
        ("Khách miền Nam", "dynamic", "Mọi liên hệ ở các tỉnh, thành phía Nam.",
         [rule("region", "in", ["south"])]),
        ("Khách hàng miền Nam (chốt đầu tháng)", "frozen", "Danh sách chốt cho chiến dịch Zalo tháng này.",
         [rule("region", "in", ["south"]), rule("lifecycle_stage", "in", ["customer"])]),
    ]  # fmt: skip
    for name, kind, description, rules in wanted:
        if None in (cooling, upkeep) and "điều hòa" in name:
            continue  # a catalogue without those categories: skip the segment, not the demo
        segment_create(
            actor=marketer,
            data={"name": name, "kind": kind, "description": description,
                  "rules": {"match": "all", "rules": rules}},
        )  # fmt: skip


def _data_requests(users: dict[str, Any]) -> None:
    """Three personal-data requests: a copy asked for last week (acknowledged), a deletion asked for
    today, and a withdrawal a care agent took by phone 20 days ago that nobody finished (overdue)."""
    from sencrm.privacy.services import request_acknowledge, request_create

    marketer, care = users["marketing"], users["care"]
    people = list(Contact.objects.filter(account__isnull=True).order_by("id")[5:8])
    if len(people) < 3:
        return
    now = timezone.now()
    plans = [
        (
            people[0],
            "access",
            6,
            "Email",
            "Xin bản sao toàn bộ dữ liệu công ty đang lưu về tôi.",
            marketer,
            True,
        ),
        (people[1], "deletion", 0, "Zalo OA", "Đề nghị xóa thông tin cá nhân của tôi.", marketer, False),
        (people[2], "withdrawal", 20, "Điện thoại", "Không muốn nhận tin khuyến mãi nữa.", care, False),
    ]
    for person, kind, days_ago, channel, details, actor, acknowledge in plans:
        made = request_create(
            actor=actor,
            data={
                "contact": person,
                "kind": kind,
                "received_at": now - dt.timedelta(days=days_ago, hours=2),
                "channel": channel,
                "details": details,
            },
            actor_label="system:demo",
        )
        if acknowledge:
            request_acknowledge(made, actor=marketer)


def _campaigns(marketer: Any, today: dt.date) -> dict[str, Campaign]:
    """Every campaign the leads name, the year of monthly Fanpage campaigns before them, and the event."""
    seen: dict[str, list[dt.datetime]] = defaultdict(list)
    source_of: dict[str, str] = {}
    for name, created, source in Lead.all_objects.exclude(campaign="").values_list(
        "campaign", "created_at", "source__code"
    ):
        seen[name].append(created)
        source_of.setdefault(name, source or "other")
    specs: dict[str, tuple[str, dt.date, dt.date | None]] = {}
    for name, dates in seen.items():
        channel = CHANNEL_OF_SOURCE.get(source_of[name], CampaignChannel.OTHER)
        start, end = _month_of(name, dates)
        specs[name] = (channel, start, end)
    # A year of Fanpage campaigns: the months before the leads' window have theirs too.
    month = dt.date(today.year - 1, today.month, 1)
    while month <= today:
        label = f"T{month.month}" if month.year == today.year else f"T{month.month}/{month.year}"
        name = f"Fanpage {label} - Điều hòa Inverter"
        if name not in specs:
            end = (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
            specs[name] = (CampaignChannel.FACEBOOK_ADS, month, end)
        month = (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    event_day = dt.date(today.year, 10, 17) if today >= dt.date(today.year, 10, 19) else None
    if event_day is not None:
        specs[EVENT_NAME] = (CampaignChannel.EVENT, event_day, event_day + dt.timedelta(days=1))
    made: dict[str, Campaign] = {}
    for name, (channel, start, end) in sorted(specs.items(), key=lambda item: (item[1][1], item[0])):
        utm_source, utm_medium = UTM.get(channel, ("other", "other"))
        days = ((end or today) - start).days + 1
        budget = BUDGET.get(channel, 3_000_000) * (
            1 if end is not None and days <= 31 else max(days // 30, 1)
        )
        if channel == CampaignChannel.EVENT:
            budget = BUDGET[channel]
        made[name] = record_create(
            Campaign,
            actor=marketer,
            actor_label="system:demo",
            data={
                "name": name,
                "channel": channel,
                "start_date": start,
                "end_date": end,
                "budget": Decimal(budget),
                "utm_source": utm_source,
                "utm_medium": utm_medium,
                "utm_campaign": _slug(name),
                "contact_channel": "zalo" if channel == CampaignChannel.ZALO else "",
                "description": "Chiến dịch mẫu của dữ liệu demo.",
            },
        )
    return made


def _slug(name: str) -> str:
    from django.utils.text import slugify

    from sencrm.core.text import fold

    return slugify(fold(name))[:100]


def _costs(campaigns: dict[str, Campaign], marketer: Any, today: dt.date, rng: random.Random) -> None:
    """Daily spend as the ad platforms report it (Facebook, Google); the event's two days typed in."""
    rows: list[CampaignCost] = []
    for campaign in campaigns.values():
        end = min(campaign.end_date or today, today)
        days = (end - campaign.start_date).days + 1
        if days <= 0:
            continue
        if campaign.channel == CampaignChannel.EVENT:
            per_day = Decimal(campaign.budget) / days
        else:
            per_day = Decimal(BUDGET.get(campaign.channel, 3_000_000)) / 30
        origins: dict[str, str] = {
            CampaignChannel.FACEBOOK_ADS: CostOrigin.FACEBOOK,
            CampaignChannel.GOOGLE_ADS: CostOrigin.GOOGLE,
        }
        origin = origins.get(campaign.channel, CostOrigin.MANUAL)
        for n in range(days):
            amount = (per_day * Decimal(rng.uniform(0.6, 1.4)) / 1000).quantize(Decimal(1)) * 1000
            rows.append(
                CampaignCost(
                    campaign=campaign,
                    date=campaign.start_date + dt.timedelta(days=n),
                    amount=amount,
                    origin=origin,
                    source_file="" if origin == CostOrigin.MANUAL else f"{origin}-export.csv",
                    created_by=marketer,
                )
            )
    CampaignCost.objects.bulk_create(rows, batch_size=1000)
    totals = CampaignCost.objects.values("campaign").annotate(total=Sum("amount"))
    for row in totals:
        Campaign.all_objects.filter(pk=row["campaign"]).update(cost_total=row["total"])


def _link_records(campaigns: dict[str, Campaign], rng: random.Random) -> None:
    """Leads take the campaign they name; what they were converted into takes it too; other customers
    from an advertised source take the campaign running when they first got in touch."""
    by_name = {name: c.pk for name, c in campaigns.items()}
    leads = list(
        Lead.all_objects.exclude(campaign="").values_list(
            "pk", "campaign", "converted_contact_id", "converted_account_id", "converted_opportunity_id"
        )
    )
    for pk, name, contact_id, account_id, opportunity_id in leads:
        campaign_id = by_name.get(name)
        if campaign_id is None:
            continue
        links = {"first_campaign_id": campaign_id, "latest_campaign_id": campaign_id}
        Lead.all_objects.filter(pk=pk).update(**links)
        if contact_id:
            Contact.all_objects.filter(pk=contact_id, first_campaign__isnull=True).update(**links)
        if account_id:
            Account.all_objects.filter(pk=account_id, first_campaign__isnull=True).update(**links)
        if opportunity_id:
            Opportunity.all_objects.filter(pk=opportunity_id).update(**links)
    running: dict[str, list[Campaign]] = defaultdict(list)
    for campaign in campaigns.values():
        running[campaign.channel].append(campaign)
    channel_of_source: dict[str, str] = {
        "facebook": CampaignChannel.FACEBOOK_ADS,
        "zalo": CampaignChannel.ZALO,
        "google_ads": CampaignChannel.GOOGLE_ADS,
        "walk_in": CampaignChannel.EVENT,
    }
    models: tuple[Any, ...] = (Contact, Account)
    for model in models:
        changed: list[Any] = []
        rows = model.all_objects.filter(first_campaign__isnull=True, source__code__in=list(channel_of_source))
        for record in rows.select_related("source").only("pk", "created_at", "source__code"):
            touch = getattr(record, "first_touch_at", None) or record.created_at
            day = timezone.localtime(touch, TZ).date()
            options = [
                c
                for c in running[channel_of_source[record.source.code if record.source else ""]]
                if c.start_date <= day <= (c.end_date or day)
            ]
            if not options or rng.random() < 0.3:
                continue
            record.first_campaign = record.latest_campaign = rng.choice(options)
            changed.append(record)
        model.all_objects.bulk_update(changed, ["first_campaign", "latest_campaign"], batch_size=500)


def _inbound_channels(admin: Any, campaigns: dict[str, Campaign]) -> None:
    latest_fanpage = max(
        (c for c in campaigns.values() if c.channel == CampaignChannel.FACEBOOK_ADS),
        key=lambda c: c.start_date,
        default=None,
    )
    InboundChannel.objects.create(
        platform=Platform.FACEBOOK,
        page_id=FANPAGE_ID,
        secret_encrypted=encrypt(DEMO_FACEBOOK_SECRET),
        token_encrypted=encrypt(DEMO_FACEBOOK_VERIFY_TOKEN),
        default_campaign=latest_fanpage,
        updated_by=admin,
    )
    InboundChannel.objects.create(
        platform=Platform.ZALO,
        page_id=ZALO_OA_ID,
        secret_encrypted=encrypt(DEMO_ZALO_SECRET),
        token_encrypted=encrypt(DEMO_ZALO_APP_ID),
        updated_by=admin,
    )


def _conversation(
    platform: str,
    user_id: str,
    name: str,
    messages: list[tuple[dt.datetime, str, str]],
    *,
    lead: Lead | None = None,
    contact: Contact | None = None,
    campaign: Campaign | None = None,
    assignee: Any = None,
    status: str = ConversationStatus.NEW,
    phone: str = "",
) -> Conversation:
    page = FANPAGE_ID if platform == Platform.FACEBOOK else ZALO_OA_ID
    conversation = Conversation.objects.create(
        platform=platform,
        page_id=page,
        platform_user_id=user_id,
        display_name=name,
        status=status,
        assignee=assignee,
        lead=lead,
        contact=contact,
        campaign=campaign,
        phone=phone,
        first_message_at=messages[0][0],
        last_message_at=messages[-1][0],
        message_count=len(messages),
        created_at=messages[0][0],
    )
    ConversationMessage.objects.bulk_create(
        ConversationMessage(
            conversation=conversation,
            platform=platform,
            platform_message_id=f"{platform[:2]}.{user_id}.{n}",
            direction=direction,
            text=text,
            sent_at=when,
            received_at=when,
        )
        for n, (when, direction, text) in enumerate(messages)
    )
    event = event_emit(
        type="conversation.created",
        subject=conversation,
        actor_label=f"system:{platform}",
        customer=conversation.event_customer(),
        data={"platform": platform, "name": name},
    )
    type(event).objects.filter(pk=event.pk).update(occurred_at=messages[0][0])
    return conversation


def _conversations(
    users: dict[str, Any], campaigns: dict[str, Campaign], today: dt.date, rng: random.Random
) -> None:
    """The seeds' story thread, threads behind some Fanpage and Zalo leads, and today's queue."""
    story = Lead.all_objects.filter(full_name="Trần Thị Thu Hương").first()
    if story is not None and story.first_touch_at is not None:
        touch = story.first_touch_at
        created = story.created_at
        _conversation(
            Platform.FACEBOOK,
            "6021458839217734",
            story.full_name,
            [
                (touch, MessageDirection.INBOUND, "Chào shop, em muốn hỏi máy Daikin 12.000 BTU inverter ạ"),
                (
                    touch + dt.timedelta(minutes=6),
                    MessageDirection.OUTBOUND,
                    "Dạ chào chị, chị lắp cho phòng bao nhiêu m2 ạ?",
                ),
                (
                    touch + dt.timedelta(minutes=15),
                    MessageDirection.INBOUND,
                    "Phòng ngủ 16m2, em cần 2 máy. Để em bàn với chồng đã",
                ),
                (
                    created - dt.timedelta(minutes=5),
                    MessageDirection.INBOUND,
                    "Em để sđt 0983 456 127, shop gọi tư vấn giúp em nhé",
                ),
            ],
            lead=story,
            contact=story.converted_contact,
            campaign=campaigns.get(STORY_CAMPAIGN),
            assignee=story.owner,
            status=ConversationStatus.CONVERTED,
            phone="+84983456127",
        )
    social = Lead.all_objects.filter(source__code__in=["facebook", "zalo"]).exclude(
        full_name="Trần Thị Thu Hương"
    )
    for n, lead in enumerate(social.select_related("source").order_by("created_at")[:24]):
        platform = Platform.FACEBOOK if lead.source and lead.source.code == "facebook" else Platform.ZALO
        touch = lead.first_touch_at or lead.created_at
        phone = lead.primary_phone
        _conversation(
            platform,
            f"{7000000000000000 + n * 7919}",
            lead.full_name,
            [
                (touch, MessageDirection.INBOUND, "Cho em hỏi giá điều hòa và phí lắp đặt ạ"),
                (
                    touch + dt.timedelta(minutes=9),
                    MessageDirection.OUTBOUND,
                    "Dạ, anh/chị cho em xin số điện thoại để tư vấn ạ",
                ),
                (lead.created_at, MessageDirection.INBOUND, f"Số của mình {phone or 'gửi sau nhé'}"),
            ],
            lead=lead,
            contact=lead.converted_contact,
            campaign=lead.first_campaign,
            assignee=lead.owner,
            status=ConversationStatus.CONVERTED,
            phone=phone,
        )
    # Today's queue: new threads nobody has taken yet, and one a salesperson took this morning.
    now = timezone.now()
    fanpage = [c for c in campaigns.values() if c.channel == CampaignChannel.FACEBOOK_ADS]
    current = max(fanpage, key=lambda c: c.start_date, default=None)
    for n, (name, text) in enumerate(QUEUE_MESSAGES):
        when = now - dt.timedelta(hours=rng.randint(1, 20), minutes=rng.randint(0, 59))
        platform = Platform.FACEBOOK if n % 2 == 0 else Platform.ZALO
        phones = re.findall(r"0\d{3} \d{3} \d{3}", text)
        _conversation(
            platform,
            f"{8100000000000000 + n * 104729}",
            name,
            [(when, MessageDirection.INBOUND, text)],
            campaign=current if platform == Platform.FACEBOOK else None,
            assignee=users["sales1"] if n == 4 else None,
            status=ConversationStatus.OPEN if n == 4 else ConversationStatus.NEW,
            phone="+84" + phones[0].replace(" ", "")[1:] if phones else "",
        )
