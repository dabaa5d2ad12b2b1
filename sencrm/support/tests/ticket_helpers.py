"""A care desk for the ticket tests (and any other support test that needs one).

Import the fixtures into a test module (pytest only reads conftest.py by itself):

    from sencrm.support.tests.ticket_helpers import desk, make_ticket  # noqa: F401

`desk` gives: categories (a tree), a calendar 08:00–12:00 / 13:30–17:30 Monday to Friday and Saturday
morning, a first-line queue (care, care2, care3; lead: manager; escalates to second line) and a
second-line queue (tech; lead: manager), SLA policies (urgent, and any priority), and `MONDAY_10`, a
Monday 10:00 in Hà Nội to inject as `now`. `make_ticket(**data)` creates a ticket through the service.
"""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import pytest

VN = ZoneInfo("Asia/Ho_Chi_Minh")
MONDAY_10 = dt.datetime(2026, 3, 2, 10, 0, tzinfo=VN)  # no holiday near
WEEKDAY = [["08:00", "12:00"], ["13:30", "17:30"]]
HOURS = {**{str(day): WEEKDAY for day in range(5)}, "5": [["08:00", "12:00"]], "6": []}


def make_agent(username: str, role: str = "care", **extra: Any) -> Any:
    from sencrm.users import services
    from sencrm.users.models import Role, User

    found = User.objects.filter(username=username).first()
    if found is not None:
        return found
    return services.user_create(
        actor=None,
        username=username,
        password="demo",
        full_name=extra.pop("full_name", username.title()),
        email=extra.pop("email", f"{username}@dieuhoasen.vn"),
        role=Role.objects.get(code=role),
        validate=False,
        **extra,
    )


def build_desk(org: dict[str, Any]) -> SimpleNamespace:
    from sencrm.support.models import BusinessCalendar, Queue, SlaPolicy, TicketCategory

    technical = TicketCategory.objects.create(name="Lỗi kỹ thuật", position=1)
    not_cooling = TicketCategory.objects.create(name="Điều hòa không lạnh", parent=technical)
    leaking = TicketCategory.objects.create(name="Chảy nước", parent=technical)
    delivery = TicketCategory.objects.create(name="Giao hàng", position=2)
    calendar = BusinessCalendar.objects.create(name="Giờ hành chính", hours=HOURS)
    second = Queue.objects.create(
        name="Tuyến 2 — Kỹ thuật", line="second", calendar=calendar, lead=org["manager"]
    )
    first = Queue.objects.create(
        name="Tuyến 1 — CSKH",
        line="first",
        calendar=calendar,
        lead=org["manager"],
        escalation_queue=second,
        email="cskh@dieuhoasen.vn",
    )
    agents = [org["care"], make_agent("care2"), make_agent("care3")]
    first.members.set(agents)
    second.members.set([org["tech"]])
    urgent = SlaPolicy.objects.create(
        name="Khẩn cấp", priority="urgent", first_response_minutes=30, resolution_minutes=240
    )
    standard = SlaPolicy.objects.create(name="Mặc định", first_response_minutes=120, resolution_minutes=960)
    return SimpleNamespace(
        technical=technical,
        not_cooling=not_cooling,
        leaking=leaking,
        delivery=delivery,
        calendar=calendar,
        first=first,
        second=second,
        agents=agents,
        urgent=urgent,
        standard=standard,
        now=MONDAY_10,
    )


@pytest.fixture
def desk(org):
    return build_desk(org)


@pytest.fixture
def make_ticket(desk, org):
    from sencrm.support import services

    def make(actor: str | Any = "care", now: dt.datetime | None = None, **data: Any):
        user = org[actor] if isinstance(actor, str) else actor
        data.setdefault("subject", "Điều hòa không lạnh")
        return services.ticket_create(actor=user, data=data, now=now or MONDAY_10)

    return make
