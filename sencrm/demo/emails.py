"""The demo's email campaigns (issue 16): two sent in the past with their results, a draft to try the
preview and the test send on, and the birthday email the care occasion sends.

The two past campaigns are queued by the real sender's first step (`email_sender.start`: the segment's
people with a current email consent), then their fates are written as the worker and the recipients
would have left them — sent, some rejected by the server, opened, clicked, a few unsubscribed (with the
withdrawal in the consent ledger) — with the timeline events, so the pages show real results without
an SMTP server."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone

from sencrm.customers import ledger
from sencrm.customers.models import Contact
from sencrm.events.models import Event
from sencrm.marketing import email_sender, emailing
from sencrm.marketing.models import EmailCampaign, EmailRecipient, RecipientStatus, Segment

MAINTENANCE_BODY = """<p>Kính gửi {{ contact.salutation }} {{ contact.name }},</p>
<p>Điều hòa nhà mình đã chạy hơn 6 tháng kể từ lần lắp đặt. Vệ sinh định kỳ giúp máy mát sâu hơn,
tiết kiệm điện đến 15 % và bền hơn.</p>
<p>Trong tháng này {{ company.name }} giảm <strong>20 %</strong> phí vệ sinh cho khách quen:
<a href="https://dieuhoasen.vn/dat-lich-bao-duong">đặt lịch ngay</a> hoặc gọi hotline {{ company.phone }}.</p>
<p>Trân trọng,<br>{{ company.name }}</p>
<p><small>Không muốn nhận thư nữa? <a href="{{ unsubscribe_url }}">Hủy đăng ký</a>.</small></p>"""

SUMMER_BODY = """<p>Chào {{ contact.salutation }} {{ contact.first_name }},</p>
<p>Nắng nóng miền Nam đã đến! Điều hòa Inverter tiết kiệm điện đang có giá tốt nhất năm tại
{{ company.name }}, kèm lắp đặt miễn phí trong nội thành.</p>
<p><a href="https://dieuhoasen.vn/khuyen-mai-mua-nong">Xem các mẫu đang giảm giá</a></p>
<p>Trân trọng,<br>{{ company.name }}</p>"""

TET_BODY = """<p>Kính chúc {{ contact.salutation }} {{ contact.name }} và gia đình
một năm mới an khang, thịnh vượng!</p>
<p>Dịp Tết này {{ company.name }} tặng voucher vệ sinh điều hòa miễn phí cho khách quen.
<a href="https://dieuhoasen.vn/tet">Nhận voucher</a></p>"""

BIRTHDAY_BODY = """<p>Chúc mừng sinh nhật {{ contact.salutation }} {{ contact.first_name }}!</p>
<p>{{ company.name }} gửi tặng voucher vệ sinh điều hòa miễn phí, dùng trong 30 ngày:
<a href="https://dieuhoasen.vn/voucher-sinh-nhat">nhận voucher</a>.</p>"""


def load_emails(marketer: Any, today: dt.date, rng: random.Random) -> None:
    past = [
        ("Nhắc bảo dưỡng điều hòa tháng trước", "Khách mua điều hòa > 6 tháng chưa bảo dưỡng",
         "{{ contact.first_name }} ơi, đến kỳ vệ sinh điều hòa rồi", MAINTENANCE_BODY, 38),
        ("Ưu đãi mùa nóng — khách miền Nam", "Khách miền Nam",
         "Điều hòa Inverter giá tốt nhất năm cho {{ contact.salutation }} {{ contact.first_name }}",
         SUMMER_BODY, 17),
    ]  # fmt: skip
    for name, segment_name, subject, body, days_ago in past:
        segment = Segment.objects.filter(name=segment_name).first()
        if segment is None:
            continue
        email = emailing.email_create(
            actor=marketer, data={"name": name, "segment": segment, "subject": subject, "body": body}
        )
        _sent_in_the_past(email, timezone.make_aware(dt.datetime.combine(today, dt.time(9))) -
                          dt.timedelta(days=days_ago), rng)  # fmt: skip
    companies = Segment.objects.filter(name="Khách doanh nghiệp Hà Nội").first()
    emailing.email_create(
        actor=marketer,
        data={"name": "Chúc Tết Đinh Mùi 2027", "segment": companies,
              "subject": "{{ company.name }} chúc mừng năm mới {{ contact.salutation }} {{ contact.name }}",
              "body": TET_BODY},
    )  # fmt: skip


def birthday_email(marketer: Any) -> EmailCampaign:
    """The email the birthday occasion sends each person once a year."""
    return emailing.email_create(
        actor=marketer,
        data={"name": "Thư chúc mừng sinh nhật", "subject": "Chúc mừng sinh nhật {{ contact.first_name }}!",
              "body": BIRTHDAY_BODY},
    )  # fmt: skip


@transaction.atomic
def _sent_in_the_past(email: EmailCampaign, when: dt.datetime, rng: random.Random) -> None:
    EmailCampaign.objects.filter(pk=email.pk).update(status="scheduled", scheduled_at=when)
    email_sender.start(email.pk)
    rows = list(EmailRecipient.objects.filter(email_campaign=email).order_by("id"))
    contact_type = ContentType.objects.get_for_model(Contact)
    row_type = ContentType.objects.get_for_model(EmailRecipient)
    events = []
    counts = {"sent": 0, "bounced": 0, "opened": 0, "clicked": 0, "unsubscribed": 0}
    for i, row in enumerate(rows):
        sent_at = when + dt.timedelta(seconds=i // 5)
        if rng.random() < 0.03:
            row.status, row.bounced_at, row.error = RecipientStatus.BOUNCED, sent_at, "550 5.1.1 User unknown"
            counts["bounced"] += 1
            continue
        row.status, row.sent_at = RecipientStatus.SENT, sent_at
        counts["sent"] += 1
        row.email_campaign = email
        events.append(email_sender.sent_event(row, sent_at, contact_type, row_type))
        if rng.random() < 0.42:
            row.status, row.opened_at = (
                RecipientStatus.OPENED,
                sent_at + dt.timedelta(hours=rng.randint(1, 30)),
            )
            counts["opened"] += 1
            if rng.random() < 0.3:
                row.status, row.clicked_at = RecipientStatus.CLICKED, row.opened_at + dt.timedelta(minutes=2)
                counts["clicked"] += 1
        if rng.random() < 0.02:
            row.status, row.unsubscribed_at = RecipientStatus.UNSUBSCRIBED, sent_at + dt.timedelta(hours=3)
            counts["unsubscribed"] += 1
            ledger.consent_append(
                person=Contact.objects.get(pk=row.contact_id), channel="email", granted=False,
                source="unsubscribe", evidence=f"unsubscribe link, email campaign #{email.pk}",
                at=row.unsubscribed_at,
            )  # fmt: skip
    EmailRecipient.objects.bulk_update(
        rows, ["status", "sent_at", "bounced_at", "opened_at", "clicked_at", "unsubscribed_at", "error"]
    )
    Event.objects.bulk_create(events)
    EmailCampaign.objects.filter(pk=email.pk).update(
        status="sent", started_at=when, finished_at=when + dt.timedelta(minutes=5), **counts
    )
