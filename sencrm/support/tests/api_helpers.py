"""What the API tests of customer care share: a care desk (two queues, an SLA policy, a category tree,
customers), Bearer clients per demo user, and rows made directly for the read-side tests (the list,
its filters, the gate), so that those do not depend on the write services."""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass
from typing import Any

from django.test import Client
from django.utils import timezone

from sencrm.support.models import (
    Call,
    Line,
    Queue,
    Review,
    SlaPolicy,
    Ticket,
    TicketCategory,
    TicketStatus,
)
from sencrm.users.services import api_token_create

_numbers = itertools.count(1)
HIDDEN = 99_999_999  # an id that no row has


@dataclass
class Desk:
    org: dict[str, Any]
    first: Queue
    second: Queue
    policy: SlaPolicy
    technical: TicketCategory
    cooling: TicketCategory  # under `technical`
    billing: TicketCategory
    customer: Any  # a contact of sales1 (Hà Nội team) with an email address
    far_customer: Any  # a contact of sales2 (TP.HCM team)


def care_desk(org: dict[str, Any], make_contact: Any) -> Desk:
    """First line (care) escalating to second line (tech), on a 24×7 clock; one SLA policy for every
    priority: first response in an hour, resolution in eight."""
    second = Queue.objects.create(name="Tuyến 2 – Kỹ thuật", line=Line.SECOND, lead=org["tech"])
    second.members.set([org["tech"]])
    first = Queue.objects.create(
        name="Tuyến 1 – CSKH", line=Line.FIRST, lead=org["care"], escalation_queue=second
    )
    first.members.set([org["care"]])
    policy = SlaPolicy.objects.create(name="Mặc định", first_response_minutes=60, resolution_minutes=480)
    technical = TicketCategory.objects.create(name="Lỗi kỹ thuật")
    cooling = TicketCategory.objects.create(name="Điều hòa không lạnh", parent=technical)
    billing = TicketCategory.objects.create(name="Hóa đơn, thanh toán")
    customer = make_contact(full_name="Nguyễn Thị Ánh Tuyết", emails=["tuyet@example.vn"])
    far = make_contact(owner="sales2", full_name="Trần Văn Bình", phones=["0903 123 456"])
    return Desk(org, first, second, policy, technical, cooling, billing, customer, far)


def bearer(org: dict[str, Any], username: str) -> Client:
    _token, raw = api_token_create(user=org[username], name="script")
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


def post(client: Client, url: str, body: Any) -> Any:
    return client.post(url, body, content_type="application/json")


def patch(client: Client, url: str, body: Any) -> Any:
    return client.patch(url, body, content_type="application/json")


def make_ticket(desk: Desk, *, owner: str = "care", **fields: Any) -> Ticket:
    """A ticket row as the services would have left it (first line, new, due in 1 h / 8 h)."""
    now = timezone.now()
    values: dict[str, Any] = {
        "number": f"SC-T{next(_numbers):05d}",
        "subject": "Điều hòa không lạnh",
        "queue": desk.first,
        "contact": desk.customer,
        "sla_policy": desk.policy,
        "first_response_due": now + dt.timedelta(hours=1),
        "resolution_due": now + dt.timedelta(hours=8),
        **fields,
    }
    user = desk.org[owner]
    values.setdefault("team", user.teams.first())
    if values.get("status") in (TicketStatus.RESOLVED, TicketStatus.CLOSED):
        values.setdefault("resolved_at", now)
    ticket: Ticket = Ticket.objects.create(owner=user, created_by=user, **values)
    return ticket


def make_call(desk: Desk, *, owner: str = "care", **fields: Any) -> Call:
    user = desk.org[owner]
    values: dict[str, Any] = {
        "contact": desk.customer,
        "number": "+84912345678",
        "direction": "outbound",
        "started_at": timezone.now() - dt.timedelta(minutes=30),
        "duration": 95,
        "outcome": "reached",
        **fields,
    }
    values.setdefault("team", user.teams.first())
    call: Call = Call.objects.create(owner=user, created_by=user, **values)
    return call


def make_review(desk: Desk, *, owner: str = "care", score: int | None = None, **fields: Any) -> Review:
    user = desk.org[owner]
    values: dict[str, Any] = {"kind": "csat", "contact": desk.customer, **fields}
    if score is not None:
        values.update(score=score, answered_at=timezone.now())
    values.setdefault("team", user.teams.first())
    review: Review = Review.objects.create(owner=user, created_by=user, **values)
    return review
