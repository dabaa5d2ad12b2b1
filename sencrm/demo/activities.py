"""Twelve months of demo activities: calls, site surveys, installation notes, maintenance reminders,
and for today some overdue and due work in each salesperson's "My day"."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from django.db import transaction
from django.utils import timezone

from sencrm.activities import services
from sencrm.activities.models import Activity
from sencrm.customers.models import Contact
from sencrm.events.models import Event

CALLS = [
    ("Tư vấn điều hòa inverter 12.000 BTU cho phòng ngủ", "answered"),
    ("Gọi xác nhận lịch khảo sát lắp đặt", "answered"),
    ("Hỏi giá điều hòa âm trần cho văn phòng", "answered"),
    ("Khách phản ánh máy chảy nước", "answered"),
    ("Nhắc lịch bảo dưỡng định kỳ 6 tháng", "no_answer"),
    ("Gọi lại theo hẹn về báo giá", "call_back"),
    ("Chăm sóc sau lắp đặt", "answered"),
]
NOTES = [
    ("Khảo sát nhà", "Phòng khách 25 m², hướng tây, cần máy 18.000 BTU. Đường ống dài khoảng 5 m."),
    ("Đã lắp đặt", "Lắp 2 bộ Daikin inverter, khách ký biên bản nghiệm thu. Hẹn bảo dưỡng sau 6 tháng."),
    ("Khách cân nhắc", "Khách so sánh giá với cửa hàng khác, quan tâm khuyến mãi tháng sau."),
]
MEETINGS = ["Khảo sát công trình", "Gặp chủ đầu tư duyệt phương án", "Bàn giao và hướng dẫn sử dụng"]
TASKS = [
    "Gửi báo giá",
    "Gọi lại xác nhận lịch lắp đặt",
    "Chuẩn bị hợp đồng",
    "Nhắc khách thanh toán đợt 2",
    "Đặt lịch bảo dưỡng",
]


@transaction.atomic
def load_activities(users: dict[str, Any], *, per_contact: float = 1.2, seed: int = 2027) -> int:
    if Activity.all_objects.exists():
        return 0
    rng = random.Random(seed)  # noqa: S311 - demo data, not security
    now = timezone.now()
    contacts = list(Contact.objects.select_related("owner").order_by("id"))
    created: list[tuple[Activity, dt.datetime]] = []
    for contact in contacts:
        for _ in range(int(per_contact) + (1 if rng.random() < per_contact % 1 else 0)):
            start = max(contact.created_at, now - dt.timedelta(days=365))
            when = start + (now - start) * rng.random()
            kind = rng.choices(["call", "note", "meeting"], weights=[6, 3, 1])[0]
            data: dict[str, Any] = {
                "kind": kind,
                "contact": contact,
                "status": "done",
                "due_at": when,
                "created_at": when,
                "updated_at": when,
                "completed_at": when,
            }
            if kind == "call":
                subject, outcome = rng.choice(CALLS)
                data.update(
                    subject=subject,
                    outcome=outcome,
                    direction=rng.choice(["outbound", "inbound"]),
                    duration_seconds=rng.randint(30, 900) if outcome == "answered" else 0,
                )
            elif kind == "note":
                subject, text = rng.choice(NOTES)
                data.update(subject=subject, description=text)
            else:
                data.update(
                    subject=rng.choice(MEETINGS),
                    place=contact.address or "Showroom",
                    ends_at=when + dt.timedelta(hours=1),
                )
            activity = services.activity_create(
                actor=contact.owner, owner=contact.owner, data=data, actor_label="system:demo"
            )
            created.append((activity, when))
    # Today's work for the sales team: overdue follow-ups, calls to make, tasks with reminders.
    for username in ("sales1", "sales2", "manager"):
        mine = [c for c in contacts if c.owner_id == users[username].pk][:12]
        for i, contact in enumerate(mine):
            due = (
                now + dt.timedelta(hours=rng.randint(1, 8))
                if i % 3
                else now - dt.timedelta(days=rng.randint(1, 5))
            )
            kind = "call" if i % 2 else "task"
            services.activity_create(
                actor=users[username],
                owner=users[username],
                actor_label="system:demo",
                data={
                    "kind": kind,
                    "contact": contact,
                    "status": "planned",
                    "due_at": due,
                    "reminder_at": due - dt.timedelta(minutes=15) if due > now else None,
                    "subject": rng.choice(TASKS)
                    if kind == "task"
                    else "Gọi lại theo hẹn: " + contact.full_name,
                },
            )
    events = []
    for activity, when in created:
        event = Event.objects.filter(subject_id=activity.pk, type="activity.created").first()
        if event is not None:
            event.occurred_at = when
            events.append(event)
    Event.objects.bulk_update(events, ["occurred_at"], batch_size=500)
    return len(created)
