"""The demo's customer care: the business hours, the category tree, two queues (first line: care;
second line: the technician), routing rules, SLA policies, care call rules, phone extensions, and a
month of tickets — most resolved and rated, a few waiting for the customer, some escalated, some past
their SLA — with this week's care calls, so that the `care` user starts the day with work to do.

Tickets are written through the services with a back-dated clock (`now=`), so their SLA due times,
events and timeline read as if they had happened on those days.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from sencrm.customers.models import Contact, CustomerGroup
from sencrm.events.models import Event
from sencrm.support.models import (
    AgentExtension,
    BusinessCalendar,
    CareCallRule,
    CareTrigger,
    Line,
    Queue,
    RoutingRule,
    SlaPolicy,
    Ticket,
    TicketCategory,
)

OFFICE_HOURS = {
    **{str(day): [["08:00", "12:00"], ["13:30", "17:30"]] for day in range(5)},
    "5": [["08:00", "12:00"]],
    "6": [],
}

CATEGORIES = {
    "Kỹ thuật": ["Điều hòa không lạnh", "Chảy nước dàn lạnh", "Tiếng ồn, rung", "Báo lỗi mã E", "Điều khiển"],
    "Lắp đặt": ["Lắp đặt chậm hẹn", "Lắp sai vị trí, sai kỹ thuật"],
    "Dịch vụ": ["Thái độ nhân viên", "Giao hàng trễ"],
    "Hóa đơn, thanh toán": [],
    "Tư vấn sử dụng": [],
}

# (days ago, hour, subject, category, priority, channel, what happens, rating or None)
TICKETS: list[tuple[int, int, str, str, str, str, str, int | None]] = [
    (29, 9, "Điều hòa không lạnh sau 2 tuần sử dụng", "Điều hòa không lạnh", "high", "phone", "closed", 5),
    (
        27,
        14,
        "Dàn lạnh chảy nước xuống tường phòng ngủ",
        "Chảy nước dàn lạnh",
        "normal",
        "phone",
        "closed",
        4,
    ),
    (26, 10, "Lắp đặt trễ hẹn 2 ngày", "Lắp đặt chậm hẹn", "normal", "zalo", "closed", 2),
    (24, 15, "Báo lỗi E4 trên điều khiển", "Báo lỗi mã E", "high", "phone", "escalated_resolved", 5),
    (
        22,
        9,
        "Hóa đơn điện tử ghi sai mã số thuế công ty",
        "Hóa đơn, thanh toán",
        "normal",
        "email",
        "closed",
        4,
    ),
    (
        20,
        11,
        "Cục nóng rung mạnh khi chạy tải cao",
        "Tiếng ồn, rung",
        "normal",
        "phone",
        "escalated_resolved",
        3,
    ),
    (18, 16, "Nhân viên giao hàng không hẹn trước", "Thái độ nhân viên", "low", "facebook", "closed", 3),
    (16, 8, "Xin hướng dẫn vệ sinh lưới lọc", "Tư vấn sử dụng", "low", "zalo", "resolved", 5),
    (15, 10, "Máy lạnh kêu to khi chạy chế độ đêm", "Tiếng ồn, rung", "normal", "phone", "resolved", 4),
    (
        13,
        14,
        "Ống đồng đi nổi, không đúng vị trí đã thống nhất",
        "Lắp sai vị trí, sai kỹ thuật",
        "high",
        "phone",
        "escalated_resolved",
        4,
    ),
    (11, 9, "Điều khiển từ xa không nhận lệnh", "Điều khiển", "low", "walk_in", "resolved", 5),
    (10, 15, "Giao hàng trễ so với đơn đặt", "Giao hàng trễ", "normal", "web", "resolved", 1),
    (9, 10, "Điều hòa tự tắt sau 30 phút", "Điều hòa không lạnh", "high", "phone", "resolved", None),
    (
        7,
        11,
        "Đề nghị xuất lại hóa đơn theo tên công ty mới",
        "Hóa đơn, thanh toán",
        "normal",
        "email",
        "waiting",
        None,
    ),
    (6, 9, "Dàn lạnh có mùi hôi khi bật", "Chảy nước dàn lạnh", "normal", "zalo", "waiting", None),
    (5, 14, "Báo lỗi H6 sau khi mất điện", "Báo lỗi mã E", "urgent", "phone", "escalated", None),
    (4, 10, "Máy không lạnh, cục nóng không chạy", "Điều hòa không lạnh", "high", "phone", "breached", None),
    (
        3,
        16,
        "Lắp đặt xong nhưng chưa bàn giao phiếu bảo hành",
        "Lắp đặt chậm hẹn",
        "normal",
        "phone",
        "breached",
        None,
    ),
    (
        2,
        9,
        "Khách phàn nàn thợ để lại bụi bẩn sau khi lắp",
        "Thái độ nhân viên",
        "normal",
        "facebook",
        "open",
        None,
    ),
    (1, 10, "Điều hòa chảy nước sau khi bảo dưỡng", "Chảy nước dàn lạnh", "high", "phone", "open", None),
    (1, 15, "Hỏi chế độ bảo hành khi chuyển nhà", "Tư vấn sử dụng", "low", "zalo", "new", None),
    (0, 8, "Máy báo lỗi U4, không chạy", "Báo lỗi mã E", "urgent", "phone", "new", None),
    (0, 9, "Cần hướng dẫn hẹn giờ tắt máy", "Tư vấn sử dụng", "low", "web", "new", None),
]

REPLIES = [
    "Chào anh/chị, bộ phận CSKH đã tiếp nhận yêu cầu và sẽ hẹn kỹ thuật đến kiểm tra trong hôm nay.",
    "Dạ em đã chuyển thông tin cho kỹ thuật, anh/chị vui lòng giữ máy để kỹ thuật liên hệ ạ.",
    "Cảm ơn anh/chị đã phản hồi, công ty xin lỗi vì sự bất tiện này.",
]


def _at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def _past(when: dt.datetime) -> dt.datetime:
    """No later than a minute ago (the demo never writes the future)."""
    return min(when, timezone.now() - dt.timedelta(minutes=1))


def _last_event() -> int:
    return Event.objects.aggregate(m=Max("id"))["m"] or 0


def _back_date(since_event: int, when: dt.datetime) -> int:
    Event.objects.filter(id__gt=since_event).update(occurred_at=when)
    return _last_event()


def _drop_emails() -> None:
    """Forget the after-commit callbacks queued in the current transaction (the emails to the demo's
    customers); the events they would wake are dispatched by the worker's minute job anyway."""
    connection = transaction.get_connection()
    connection.run_on_commit = [
        entry
        for entry in connection.run_on_commit
        if (getattr(entry[1], "__module__", "") or "").startswith("sencrm.events")
    ]


def _configuration(users: dict[str, Any]) -> dict[str, Any]:
    calendar = BusinessCalendar.objects.create(
        name="Giờ hành chính (T2–T6, sáng T7)", hours=OFFICE_HOURS, skip_holidays=True
    )
    categories: dict[str, TicketCategory] = {}
    for position, (parent_name, children) in enumerate(CATEGORIES.items()):
        parent = TicketCategory.objects.create(name=parent_name, position=position)
        categories[parent_name] = parent
        for child_position, child in enumerate(children):
            categories[child] = TicketCategory.objects.create(
                name=child, parent=parent, position=child_position
            )
    second = Queue.objects.create(
        name="Tuyến 2 — Kỹ thuật", line=Line.SECOND, calendar=calendar, lead=users["manager"]
    )
    second.members.set([users["tech"]])
    first = Queue.objects.create(
        name="Tuyến 1 — Chăm sóc khách hàng",
        line=Line.FIRST,
        calendar=calendar,
        lead=users["manager"],
        escalation_queue=second,
        email="cskh@dieuhoasen.vn",
    )
    first.members.set([users["care"]])
    RoutingRule.objects.create(
        name="Lỗi kỹ thuật khẩn cấp → kỹ thuật", position=0, queue=second, category=categories["Kỹ thuật"],
        priority="urgent",
    )  # fmt: skip
    RoutingRule.objects.create(name="Mọi yêu cầu khác → CSKH", position=10, queue=first)
    vip = CustomerGroup.objects.filter(name="Khách VIP").first()
    for name, priority, group, first_minutes, resolve_minutes in [
        ("Khẩn cấp", "urgent", None, 30, 4 * 60),
        ("Cao", "high", None, 60, 8 * 60),
        ("Thường", "normal", None, 4 * 60, 16 * 60),
        ("Thấp", "low", None, 8 * 60, 40 * 60),
        ("Khách VIP — khẩn cấp", "urgent", vip, 15, 2 * 60),
        ("Khách VIP — cao", "high", vip, 30, 4 * 60),
    ]:
        SlaPolicy.objects.create(
            name=name,
            priority=priority,
            customer_group=group,
            first_response_minutes=first_minutes,
            resolution_minutes=resolve_minutes,
            warn_before_minutes=min(30, first_minutes // 2),
        )
    for name, trigger, days, purpose in [
        ("Hỏi thăm 3 ngày sau giao hàng", CareTrigger.AFTER_DELIVERY, 3,
         "Hỏi thăm sau giao hàng, lắp đặt: máy chạy tốt không, thợ lắp có gọn gàng không"),
        ("Hỏi thăm 7 ngày sau xử lý sự cố", CareTrigger.AFTER_RESOLVED, 7,
         "Hỏi thăm sau khi xử lý sự cố: máy đã ổn định chưa"),
        ("Nhắc gia hạn 30 ngày trước khi hết hợp đồng", CareTrigger.BEFORE_CONTRACT_END, 30,
         "Nhắc gia hạn hợp đồng bảo trì"),
    ]:  # fmt: skip
        CareCallRule.objects.create(name=name, trigger=trigger, days=days, purpose=purpose, queue=first)
    for username, extension in [("manager", "100"), ("care", "101"), ("tech", "102")]:
        AgentExtension.objects.create(user=users[username], extension=extension)
    return {"categories": categories, "first": first, "second": second}


def _customers(rng: random.Random, count: int) -> list[Contact]:
    people = list(
        Contact.objects.filter(phones__isnull=False, account__isnull=True).distinct().order_by("pk")[:400]
    )
    rng.shuffle(people)
    return people[:count]


def _tickets(users: dict[str, Any], config: dict[str, Any], rng: random.Random, today: dt.date) -> int:
    from sencrm.support import services

    care, tech = users["care"], users["tech"]
    people = _customers(rng, len(TICKETS))
    since = _last_event()
    made = 0
    for (days_ago, hour, subject, category, priority, channel, story, rating), person in zip(
        TICKETS, people, strict=False
    ):
        # Early in the morning today's tickets would lie ahead: nothing happens after the load's clock.
        opened = min(
            _at(today - dt.timedelta(days=days_ago), hour, rng.choice([5, 12, 20, 37, 48])),
            timezone.now() - dt.timedelta(minutes=5 + 25 * len(TICKETS) - 25 * made),
        )
        with transaction.atomic():
            ticket = services.ticket_create(
                actor=care,
                data={
                    "subject": subject,
                    "description": f"{person.full_name} gọi báo: {subject.lower()}.",
                    "contact": person,
                    "category": config["categories"][category],
                    "priority": priority,
                    "channel": channel,
                },
                now=opened,
            )
            since = _back_date(since, opened)
            Ticket.all_objects.filter(pk=ticket.pk).update(created_at=opened, updated_at=opened)
            ticket.refresh_from_db()
            if story in ("new", "breached"):
                made += 1
                continue
            replied = _past(opened + dt.timedelta(minutes=rng.choice([12, 25, 40])))
            agent = ticket.owner if ticket.owner_id else care
            services.ticket_reply(ticket, actor=agent, body=rng.choice(REPLIES), now=replied)
            since = _back_date(since, replied)
            ticket.refresh_from_db()
            if ticket.status == "new":
                services.ticket_transition(ticket, actor=agent, status="open", now=replied)
                since = _back_date(since, replied)
                ticket.refresh_from_db()
            if story.startswith("escalated") and ticket.line == Line.FIRST:
                when = _past(replied + dt.timedelta(hours=2))
                services.ticket_escalate(
                    ticket, actor=care, note="Cần kỹ thuật đến kiểm tra tận nơi.", now=when
                )
                since = _back_date(since, when)
                ticket.refresh_from_db()
            if story == "waiting":
                services.ticket_transition(ticket, actor=agent, status="waiting", now=replied)
                since = _back_date(since, replied)
            elif story in ("resolved", "closed", "escalated_resolved"):
                solved = _past(replied + dt.timedelta(hours=rng.choice([3, 6, 20])))
                solver = tech if ticket.line == Line.SECOND else care
                services.ticket_note(ticket, actor=solver, body="Đã kiểm tra và xử lý xong tại nhà khách.")
                services.ticket_transition(ticket, actor=solver, status="resolved", now=solved)
                since = _back_date(since, solved)
                ticket.refresh_from_db()
                if story == "closed":
                    closed = _past(solved + dt.timedelta(days=3))
                    services.ticket_transition(ticket, actor=care, status="closed", now=closed)
                    since = _back_date(since, closed)
                if rating is not None:
                    from sencrm.support import reviews

                    review = reviews.request_for_ticket(ticket, actor=solver)
                    if review is not None:
                        answered = _past(solved + dt.timedelta(hours=5))
                        reviews.review_answer(
                            review,
                            score=rating,
                            comment="" if rating >= 4 else "Xử lý còn chậm, mong công ty cải thiện.",
                            now=answered,
                        )
                        since = _back_date(since, answered)
            # The demo's customers are not emailed (replies, status updates, rating requests): drop the
            # messages this ticket's writes queued for after the commit.
            _drop_emails()
        made += 1
    return made


def _care_calls(users: dict[str, Any], rng: random.Random, today: dt.date) -> None:
    from sencrm.support import carecalls

    care = users["care"]
    people = _customers(random.Random(7), 60)[30:42]  # noqa: S311 - demo data, not security
    purposes = [
        "Hỏi thăm sau giao hàng, lắp đặt: máy chạy tốt không, thợ lắp có gọn gàng không",
        "Nhắc lịch bảo dưỡng định kỳ 6 tháng",
        "Hỏi thăm sau khi xử lý sự cố: máy đã ổn định chưa",
    ]
    for index, person in enumerate(people):
        due = today + dt.timedelta(days=index % 5 // 2)
        carecalls.carecall_create(
            actor=care,
            data={"contact": person, "purpose": purposes[index % len(purposes)], "due_date": due},
        )


def load_support(users: dict[str, Any], *, seed: int = 2061) -> int:
    """Create the care configuration, tickets and care calls once; returns the number of tickets."""
    if Queue.objects.exists():
        return 0
    rng = random.Random(seed)  # noqa: S311 - demo data, not security
    today = timezone.localdate()
    with transaction.atomic():
        config = _configuration(users)
    made = _tickets(users, config, rng, today)
    _care_calls(users, rng, today)
    # The SLA job runs now as the worker would: the tickets left without an answer are past due.
    from sencrm.support import sla

    sla.check_all(timezone.now())
    return made
