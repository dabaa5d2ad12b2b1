"""What the ticket pages' and the care home page's tests share: a care desk (two queues on a 24×7 clock,
an SLA policy, a category tree, customers) and ticket rows made directly for the read-side tests (the
list, its filters and sorts, the home widgets), so that those do not depend on the write services."""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from sencrm.support.models import Line, Queue, SlaPolicy, Ticket, TicketCategory, TicketStatus

XSS = '"><img src=x onerror=alert(1)>'
_numbers = itertools.count(1)


@dataclass
class Desk:
    org: dict[str, Any]
    first: Queue
    second: Queue
    policy: SlaPolicy
    technical: TicketCategory
    cooling: TicketCategory  # under `technical`
    billing: TicketCategory
    customer: Any  # a contact of sales1 with an email address
    other: Any  # another contact, of sales2


def care_desk(org: dict[str, Any], make_contact: Any) -> Desk:
    """First line (care) escalating to second line (tech), 24×7 (no calendar); one SLA policy:
    first response in an hour, resolution in eight."""
    second = Queue.objects.create(name="Tuyến 2 – Kỹ thuật", line=Line.SECOND, lead=org["tech"])
    second.members.set([org["tech"]])
    first = Queue.objects.create(
        name="Tuyến 1 – CSKH", line=Line.FIRST, lead=org["care"], escalation_queue=second
    )
    first.members.set([org["care"]])
    policy = SlaPolicy.objects.create(name="Mặc định", first_response_minutes=60, resolution_minutes=480)
    technical = TicketCategory.objects.create(name="Kỹ thuật")
    cooling = TicketCategory.objects.create(name="Điều hòa không lạnh", parent=technical)
    billing = TicketCategory.objects.create(name="Hóa đơn, thanh toán")
    customer = make_contact(full_name="Nguyễn Thị Ánh Tuyết", emails=["tuyet@example.vn"])
    other = make_contact(owner="sales2", full_name="Trần Văn Bình", phones=["0903 123 456"])
    return Desk(org, first, second, policy, technical, cooling, billing, customer, other)


def make_ticket(
    desk: Desk, *, owner: str = "care", due_in: dt.timedelta | None = dt.timedelta(hours=1), **fields: Any
) -> Ticket:
    """A ticket row as the services would leave it: new, first line, the first response due `due_in`
    from now (None: no clock), the resolution seven hours after."""
    now = timezone.now()
    values: dict[str, Any] = {
        "number": f"SC9{next(_numbers):05d}",
        "subject": "Điều hòa không lạnh",
        "owner": desk.org[owner],
        "queue": desk.first,
        "contact": desk.customer,
        "sla_policy": desk.policy,
        "status": TicketStatus.NEW,
    }
    if due_in is not None:
        values["first_response_due"] = now + due_in
        values["resolution_due"] = now + due_in + dt.timedelta(hours=7)
    values.update(fields)
    return Ticket.objects.create(**values)
