"""Fixtures' building blocks for the SLA clock's tests: a Vietnamese office calendar, queues, policies
and tickets made directly (the ticket services are tested on their own)."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any
from zoneinfo import ZoneInfo

from sencrm.support.models import BusinessCalendar, Line, Queue, SlaPolicy, Ticket

VN = ZoneInfo("Asia/Ho_Chi_Minh")
OFFICE_HOURS = {str(day): [["08:00", "12:00"], ["13:30", "17:30"]] for day in range(5)}
_numbers = itertools.count(1)


def at(text: str) -> dt.datetime:
    """ "2027-03-08 09:00" in Vietnam."""
    return dt.datetime.fromisoformat(text).replace(tzinfo=VN)


def office(**fields: Any) -> BusinessCalendar:
    """Mon–Fri 08:00–12:00 and 13:30–17:30 in Vietnam, public holidays off (not saved)."""
    values: dict[str, Any] = {"name": "Giờ hành chính", "hours": OFFICE_HOURS, "skip_holidays": True}
    return BusinessCalendar(**{**values, **fields})


def make_queues(lead: Any = None, members: tuple[Any, ...] = ()) -> tuple[Queue, Queue]:
    calendar = office()
    calendar.save()
    second = Queue.objects.create(name="Tuyến 2", line=Line.SECOND, calendar=calendar)
    first = Queue.objects.create(
        name="Tuyến 1", line=Line.FIRST, calendar=calendar, lead=lead, escalation_queue=second
    )
    first.members.set(members)
    second.members.set(members)
    return first, second


def make_policy(**fields: Any) -> SlaPolicy:
    values: dict[str, Any] = {
        "name": "Chuẩn",
        "first_response_minutes": 60,
        "resolution_minutes": 8 * 60,
        "warn_before_minutes": 30,
        "escalate_on_breach": False,
    }
    return SlaPolicy.objects.create(**{**values, **fields})


def make_ticket(owner: Any, *, created_at: dt.datetime, **fields: Any) -> Ticket:
    number = next(_numbers)
    values: dict[str, Any] = {
        "number": f"TK-TEST-{number:05d}",
        "subject": f"Điều hòa không lạnh #{number}",
        "owner": owner,
        "created_at": created_at,
    }
    return Ticket.objects.create(**{**values, **fields})
