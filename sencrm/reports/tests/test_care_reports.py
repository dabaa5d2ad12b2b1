"""SLA, response times and CSAT/NPS against hand-computed figures, local midnight, the reports scope and
drill-downs that add up to their cell."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from decimal import Decimal

import pytest

from sencrm.reports import base

pytestmark = pytest.mark.django_db
TZ = zoneinfo.ZoneInfo("Asia/Ho_Chi_Minh")
MARCH = {"period": "month", "date": "2026-03-01"}


def at(day: str, hour: int = 10, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time(hour, minute), tzinfo=TZ)


@pytest.fixture
def desk(org, make_contact):
    """March 2026, care's tickets: A (SLA, answered after 2 h, resolved after 10 h), B (SLA, breached,
    answered after 4 h), C (no SLA, created at 23:59 on 31/03); D is created at 00:00 on 01/04. sales1's
    customer rated a ticket 5/5 and 9/10, sales2's 2/5 and 3/10 (March); one 4/5 in April."""
    from sencrm.support.models import Review, SlaPolicy, Ticket
    from sencrm.support.services import ticket_create

    policy = SlaPolicy.objects.first() or SlaPolicy.objects.create(
        name="Chuẩn", priority="normal", first_response_minutes=240, resolution_minutes=1440
    )
    mine = make_contact(owner="sales1", full_name="Chị Mai", phones=())
    theirs = make_contact(owner="sales2", full_name="Anh Hùng", phones=())
    made = {}
    for key, created, first_h, resolve_h, sla, breached in (
        ("A", at("2026-03-02", 9), 2, 10, True, False),
        ("B", at("2026-03-10", 9), 4, None, True, True),
        ("C", at("2026-03-31", 23, 59), None, None, False, False),
        ("D", at("2026-04-01", 0, 0), None, None, False, False),
    ):
        ticket = ticket_create(actor=org["care"], data={"subject": f"Phiếu {key}", "contact": mine})
        Ticket.objects.filter(pk=ticket.pk).update(
            created_at=created,
            first_responded_at=created + dt.timedelta(hours=first_h) if first_h else None,
            resolved_at=created + dt.timedelta(hours=resolve_h) if resolve_h else None,
            first_response_business_minutes=first_h * 60 if first_h else None,
            resolution_business_minutes=resolve_h * 60 if resolve_h else None,
            sla_policy=policy if sla else None,
            breached=breached,
        )
        made[key] = ticket
    for customer, owner, kind, score, day in (
        (mine, "sales1", "csat", 5, "2026-03-05"),
        (mine, "sales1", "nps", 9, "2026-03-06"),
        (theirs, "sales2", "csat", 2, "2026-03-07"),
        (theirs, "sales2", "nps", 3, "2026-03-31"),
        (theirs, "sales2", "csat", 4, "2026-04-01"),
    ):
        Review.objects.create(
            owner=org[owner], contact=customer, kind=kind, score=score, answered_at=at(day, 23, 30)
        )
    return made


def run(user, name, **query):
    report = base.get_report(name)
    params = base.parse_params(report, {**MARCH, **query})
    return report, params, base.run(user, name, params)


def test_sla_compliance_and_times(org, desk):
    report, params, result = run(org["admin"], "sla", group_by="month")
    [march] = result.rows
    assert (march["tickets"], march["resolved"], march["breached"]) == (3, 1, 1)
    assert march["sla_compliance"] == Decimal("50.0")  # A kept it, B breached; C has no SLA
    assert march["first_response_hours"] == Decimal("3.0")  # (2 + 4) / 2
    assert march["resolution_hours"] == Decimal("10.0")
    assert result.totals["tickets"] == 3
    for column in ("tickets", "resolved", "breached"):
        assert report.drill(org["admin"], params, "2026-03", column).total == march[column]
    _r, _p, april = run(org["admin"], "sla", date="2026-04-15")
    assert april.totals["tickets"] == 1  # D, at local midnight
    assert april.previous["tickets"] == 3


def test_times_are_business_hours_on_the_queue_calendar(org, make_contact):
    """Friday 16:00 → answered Monday 09:00 (1.5 h + 1 h of office time) → resolved Monday 14:30 (1.5 h +
    4 h + 1 h after lunch); a reopening clears the resolution until the ticket is resolved again."""
    from sencrm.support import services
    from sencrm.support.models import Ticket
    from sencrm.support.tests.sla_helpers import at as vn
    from sencrm.support.tests.sla_helpers import make_queues

    queue, _second = make_queues(members=(org["care"],))
    customer = make_contact(owner="sales1", full_name="Chị Lan", phones=())
    ticket = services.ticket_create(actor=org["care"], data={"subject": "Máy kêu", "contact": customer})
    Ticket.objects.filter(pk=ticket.pk).update(queue=queue, created_at=vn("2027-03-05 16:00"))
    ticket = Ticket.objects.get(pk=ticket.pk)
    services.ticket_reply(ticket, actor=org["care"], body="Đã nhận", now=vn("2027-03-08 09:00"))
    ticket = Ticket.objects.get(pk=ticket.pk)
    services.ticket_transition(ticket, actor=org["care"], status="resolved", now=vn("2027-03-08 14:30"))
    ticket = Ticket.objects.get(pk=ticket.pk)
    assert (ticket.first_response_business_minutes, ticket.resolution_business_minutes) == (150, 390)
    _r, _p, result = run(org["admin"], "sla", date="2027-03-05")
    assert result.totals["first_response_hours"] == Decimal("2.5")
    assert result.totals["resolution_hours"] == Decimal("6.5")
    services.ticket_transition(ticket, actor=org["care"], status="open", now=vn("2027-03-09 08:00"))
    reopened = Ticket.objects.get(pk=ticket.pk)
    assert reopened.resolved_at is None and reopened.resolution_business_minutes is None
    assert reopened.first_response_business_minutes == 150


def test_csat_and_nps(org, desk):
    report, params, result = run(org["admin"], "csat")
    [march] = result.rows
    assert march["answers"] == 4
    assert march["csat"] == Decimal("50.0")  # 5 of 5 satisfied, 2 of 5 not
    assert march["average"] == Decimal("3.50")
    assert (march["promoters"], march["passives"], march["detractors"]) == (1, 0, 1)
    assert march["nps"] == Decimal("0.0")
    assert report.drill(org["admin"], params, "2026-03", "answers").total == 4
    _r, _p, manager = run(org["manager"], "csat")
    assert manager.totals["answers"] == 2 and manager.totals["csat"] == Decimal("100.0")
    assert manager.totals["nps"] == Decimal("100.0")
