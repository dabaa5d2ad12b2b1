"""Care calls: planning by hand and from a segment (through the gate), logging a call and its follow-up,
and the rules' daily job (idempotent, agents in turn, the catch-up and look-ahead windows)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone

from sencrm.support import carecall_rules, carecalls
from sencrm.support.models import (
    BusinessCalendar,
    Call,
    CareCall,
    CareCallRule,
    CareTrigger,
    Queue,
)
from sencrm.support.tests.care_helpers import (  # noqa: F401  (fixtures)
    care2_fixture,
    events,
    make_contract_fixture,
    make_delivery_fixture,
    make_segment_fixture,
    make_ticket_fixture,
    resolved,
)

TODAY = dt.date(2026, 8, 3)  # a Monday
XSS = '"><img src=x onerror=alert(1)>'


def at(day: dt.date, hour: int = 10) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, 0)))


@pytest.fixture
def lan(make_contact):
    return make_contact(full_name="Nguyễn Thị Lan", phones=("0903 111 222",), emails=("lan@example.vn",))


# --- by hand ----------------------------------------------------------------------------------------


def test_a_call_planned_by_hand_lands_on_the_agents_list_and_the_customers_timeline(org, lan):
    call = carecalls.carecall_create(
        actor=org["care"],
        data={"contact": lan, "purpose": "Hỏi thăm sau lắp đặt", "due_date": TODAY, "owner": org["care"]},
        today=TODAY,
    )
    assert (call.owner, call.status, call.due_date, call.purpose) == (
        org["care"],
        "planned",
        TODAY,
        "Hỏi thăm sau lắp đặt",
    )
    assert events("carecall.created", subject=call, customer=lan).count() == 1


def test_the_same_call_twice_is_refused(org, lan):
    data = {"contact": lan, "purpose": "Nhắc bảo dưỡng", "due_date": "2026-08-05"}
    carecalls.carecall_create(actor=org["care"], data=data, today=TODAY)
    with pytest.raises(ValidationError):
        carecalls.carecall_create(actor=org["care"], data=data, today=TODAY)
    assert CareCall.objects.count() == 1


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"purpose": "", "due_date": TODAY}, "purpose"),
        ({"purpose": "x" * 201, "due_date": TODAY}, "purpose"),
        ({"purpose": "Gọi", "due_date": TODAY - dt.timedelta(days=1)}, "due_date"),
        ({"purpose": "Gọi", "due_date": "2026-02-31"}, "due_date"),
        ({"purpose": "Gọi", "due_date": "'; DROP TABLE support_carecall;--"}, "due_date"),
        ({"purpose": "Gọi", "due_date": TODAY + dt.timedelta(days=400)}, "due_date"),
        ({"purpose": "Gọi", "due_date": TODAY, "status": "done"}, "status"),
    ],
)
def test_bad_input_is_refused_with_the_field_named(org, lan, data, field):
    with pytest.raises(ValidationError) as raised:
        carecalls.carecall_create(actor=org["care"], data={"contact": lan, **data}, today=TODAY)
    assert field in raised.value.message_dict
    assert not CareCall.objects.exists()


def test_a_call_needs_a_customer_and_an_agent_of_care(org, lan):
    with pytest.raises(ValidationError) as raised:
        carecalls.carecall_create(actor=org["care"], data={"purpose": "Gọi", "due_date": TODAY}, today=TODAY)
    assert "contact" in raised.value.message_dict
    with pytest.raises(ValidationError) as raised:  # a salesperson has no care list to put it on
        carecalls.carecall_create(
            actor=org["care"],
            data={"contact": lan, "purpose": "Gọi", "due_date": TODAY, "owner": org["sales1"]},
            today=TODAY,
        )
    assert "owner" in raised.value.message_dict


def test_a_role_without_customer_care_may_not_plan_calls(org, lan):
    with pytest.raises(PermissionDenied):
        carecalls.carecall_create(
            actor=org["sales1"], data={"contact": lan, "purpose": "Gọi", "due_date": TODAY}, today=TODAY
        )


# --- from a segment ---------------------------------------------------------------------------------


@pytest.fixture
def people(make_contact):
    return {
        "hn": make_contact(owner="sales1", full_name="Phạm Văn Hùng", phones=("0903 000 001",)),
        "hn2": make_contact(owner="manager", full_name="Lê Thu Trang", phones=("0903 000 002",)),
        "hcm": make_contact(owner="sales2", full_name="Võ Minh Khoa", phones=("0903 000 003",)),
    }


def test_from_a_segment_only_the_members_the_actor_may_see_are_added(org, people, make_segment):
    segment = make_segment(owner="manager")
    plan = carecalls.carecalls_from_segment(
        actor=org["manager"],
        segment=segment,
        purpose="Chúc mừng năm mới",
        due_date=TODAY,
        agents=[org["manager"]],
        today=TODAY,
    )
    called = {c.contact for c in plan.created}
    assert called == {people["hn"], people["hn2"]}  # the HCM team's customer is outside the manager's scope
    assert not CareCall.objects.filter(contact=people["hcm"]).exists()


def test_from_a_segment_the_calls_go_to_the_agents_in_turn_and_duplicates_are_skipped(
    org, people, make_contact, make_segment, care2
):
    make_contact(owner="sales2", full_name="Đỗ Hải Yến", phones=("0903 000 004",))
    segment = make_segment(owner="admin")
    first = carecalls.carecalls_from_segment(
        actor=org["admin"],
        segment=segment,
        purpose="Khảo sát mùa hè",
        due_date=TODAY,
        agents=[care2, org["care"]],
        today=TODAY,
    )
    owners = [c.owner for c in sorted(first.created, key=lambda c: c.contact_id)]
    assert owners == [org["care"], care2, org["care"], care2]
    again = carecalls.carecalls_from_segment(
        actor=org["admin"],
        segment=segment,
        purpose="Khảo sát mùa hè",
        due_date=TODAY,
        agents=[org["care"]],
        today=TODAY,
    )
    assert (len(again.created), again.duplicates) == (0, 4)
    assert CareCall.objects.count() == 4


def test_from_a_segment_refuses_a_segment_or_an_agent_outside_the_actors_scope(org, people, make_segment):
    segment = make_segment(owner="manager")
    with pytest.raises(Http404):  # care reads no marketing segments
        carecalls.carecalls_from_segment(
            actor=org["care"],
            segment=segment,
            purpose="Gọi",
            due_date=TODAY,
            agents=[org["care"]],
            today=TODAY,
        )
    with pytest.raises(ValidationError) as raised:  # the care agent is not in the manager's team
        carecalls.carecalls_from_segment(
            actor=org["manager"],
            segment=segment,
            purpose="Gọi",
            due_date=TODAY,
            agents=[org["care"]],
            today=TODAY,
        )
    assert "agents" in raised.value.message_dict
    with pytest.raises(ValidationError) as raised:
        carecalls.carecalls_from_segment(
            actor=org["manager"], segment=segment, purpose=" ", due_date="31/02/2026", agents=[], today=TODAY
        )
    assert set(raised.value.message_dict) == {"purpose", "due_date", "agents"}
    assert not CareCall.objects.exists()


# --- logging a call ---------------------------------------------------------------------------------


@pytest.fixture
def planned(org, lan):
    return carecalls.carecall_create(
        actor=org["care"],
        data={"contact": lan, "purpose": "Hỏi thăm sau giao hàng", "due_date": TODAY},
        today=TODAY,
    )


def test_call_back_logs_the_call_and_plans_the_follow_up_on_the_agreed_day(org, lan, planned):
    now = at(TODAY, 9)
    callback = at(TODAY + dt.timedelta(days=2), 15)
    done = carecalls.carecall_done(
        planned,
        actor=org["care"],
        call_data={
            "outcome": "call_back",
            "duration": 95,
            "notes": "Khách bận họp,\ngọi lại chiều thứ Tư",
            "recording_url": "https://pbx.example.vn/rec/123.mp3",
            "callback_at": callback,
        },
        now=now,
    )
    assert (done.status, done.done_at) == ("done", now)
    call = Call.objects.get(pk=done.call_id)
    assert (call.direction, call.outcome, call.duration, call.contact, call.owner) == (
        "outbound",
        "call_back",
        95,
        lan,
        org["care"],
    )
    assert call.callback_at == callback and call.number == "+84903111222"
    assert call.notes == "Khách bận họp,\ngọi lại chiều thứ Tư"
    follow_up = CareCall.objects.get(status="planned")
    assert follow_up.due_date == TODAY + dt.timedelta(days=2)
    assert follow_up.purpose.startswith("Hỏi thăm sau giao hàng — ") and "15:00" in follow_up.purpose
    assert (follow_up.owner, follow_up.contact, follow_up.source_key) == (
        org["care"],
        lan,
        f"followup:{planned.pk}:1",
    )
    assert events("carecall.done", subject=done, customer=lan).get().data["outcome"] == "call_back"
    with pytest.raises(ValidationError):  # done once
        carecalls.carecall_done(planned, actor=org["care"], call_data={"outcome": "reached"}, now=now)


def test_no_answer_tries_again_the_next_working_day_twice_then_stops(org, planned):
    friday = dt.date(2026, 8, 7)
    current = planned
    dues = []
    for _attempt in range(3):
        carecalls.carecall_done(
            current, actor=org["care"], call_data={"outcome": "no_answer"}, now=at(friday)
        )
        current = CareCall.objects.filter(status="planned").first()
        if current is None:
            break
        dues.append(current.due_date)
    assert dues == [dt.date(2026, 8, 10), dt.date(2026, 8, 10)]  # Friday → Monday, twice; then no more
    assert CareCall.objects.count() == 3 and not CareCall.objects.filter(status="planned").exists()


def test_reached_and_wrong_number_plan_nothing_more(org, lan, planned):
    carecalls.carecall_done(
        planned, actor=org["care"], call_data={"outcome": "reached", "duration": "300"}, now=at(TODAY)
    )
    other = carecalls.carecall_create(
        actor=org["care"], data={"contact": lan, "purpose": "Khác", "due_date": TODAY}, today=TODAY
    )
    carecalls.carecall_done(other, actor=org["care"], call_data={"outcome": "wrong_number"}, now=at(TODAY))
    assert not CareCall.objects.filter(status="planned").exists()


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({}, "outcome"),
        ({"outcome": "missed"}, "outcome"),
        ({"outcome": "call_back"}, "callback_at"),
        ({"outcome": "call_back", "callback_at": "2026-08-01T10:00"}, "callback_at"),  # in the past
        ({"outcome": "call_back", "callback_at": "2026-13-45T10:00"}, "callback_at"),
        ({"outcome": "reached", "duration": -5}, "duration"),
        ({"outcome": "reached", "duration": "abc"}, "duration"),
        ({"outcome": "reached", "duration": 10**9}, "duration"),
        ({"outcome": "reached", "duration": True}, "duration"),
        ({"outcome": "reached", "recording_url": "javascript:alert(1)"}, "recording_url"),
        ({"outcome": "reached", "recording_url": "JaVaScRiPt:alert(1)"}, "recording_url"),
        (
            {"outcome": "reached", "recording_url": "data:text/html,<script>alert(1)</script>"},
            "recording_url",
        ),
        ({"outcome": "reached", "started_at": "2026-08-04T10:00"}, "started_at"),  # in the future
        ({"outcome": "reached", "notes": "x" * 5001}, "notes"),
        ({"outcome": "reached", "owner": 1}, "owner"),
    ],
)
def test_a_bad_call_log_changes_nothing(org, planned, data, field):
    with pytest.raises(ValidationError) as raised:
        carecalls.carecall_done(planned, actor=org["care"], call_data=data, now=at(TODAY))
    assert field in raised.value.message_dict
    assert not Call.objects.exists()
    assert CareCall.objects.get(pk=planned.pk).status == "planned"


def test_someone_outside_customer_care_cannot_log_the_call(org, planned):
    with pytest.raises(Http404):
        carecalls.carecall_done(planned, actor=org["sales1"], call_data={"outcome": "reached"}, now=at(TODAY))
    assert CareCall.objects.get(pk=planned.pk).status == "planned"


def test_the_next_working_day_skips_weekends_tet_and_follows_the_queues_calendar(org):
    assert carecalls.next_working_day(dt.date(2026, 8, 7)) == dt.date(2026, 8, 10)
    assert carecalls.next_working_day(dt.date(2026, 2, 13)) == dt.date(2026, 2, 23)  # Tết: 16–20/02/2026
    week = {str(d): [["08:00", "17:00"]] for d in range(6)}  # Monday to Saturday
    calendar = BusinessCalendar.objects.create(
        name="CSKH", hours={**week, "6": []}, extra_days_off=["2026-08-10"]
    )
    queue = Queue.objects.create(name="Tuyến 1", calendar=calendar)
    queue.members.add(org["care"])
    assert carecalls.next_working_day(dt.date(2026, 8, 7), org["care"]) == dt.date(2026, 8, 8)  # Saturday
    assert carecalls.next_working_day(dt.date(2026, 8, 8), org["care"]) == dt.date(2026, 8, 11)  # 10/08 off


# --- rules ------------------------------------------------------------------------------------------


def test_after_delivery_adds_one_call_per_delivery_however_often_the_job_runs(org, lan, make_delivery):
    today = timezone.localdate()
    delivery = make_delivery(lan, today - dt.timedelta(days=3))
    make_delivery(lan, today - dt.timedelta(days=30))  # its day passed long ago: let go
    make_delivery(lan, today - dt.timedelta(days=2), status="cancelled")
    rule = CareCallRule.objects.create(
        name="3 ngày sau giao",
        trigger=CareTrigger.AFTER_DELIVERY,
        days=3,
        purpose="Hỏi thăm sau giao hàng",
        agent=org["care"],
    )
    assert carecall_rules.rules_run() == {rule.pk: 1}
    assert carecall_rules.rules_run() == {rule.pk: 0}
    call = CareCall.objects.get()
    assert (call.due_date, call.owner, call.contact, call.rule, call.source_key) == (
        today,
        org["care"],
        lan,
        rule,
        f"delivery:{delivery.pk}",
    )
    assert call.purpose == f"Hỏi thăm sau giao hàng ({delivery.order.number})"
    assert events("carecall.created", subject=call, customer=lan).get().actor_label == "system:scheduler"


def test_the_catch_up_window_adds_a_missed_day_as_overdue_and_the_look_ahead_plans_the_month(
    org, lan, make_delivery, make_contract
):
    today = timezone.localdate()
    make_delivery(lan, today - dt.timedelta(days=6))  # target 3 days ago: within the 7-day catch-up
    soon = make_contract(lan, today + dt.timedelta(days=40))  # target in 10 days
    later = make_contract(lan, today + dt.timedelta(days=100))  # target in 70 days: a later run adds it
    CareCallRule.objects.create(
        name="Giao", trigger=CareTrigger.AFTER_DELIVERY, days=3, purpose="Hỏi thăm", agent=org["care"]
    )
    CareCallRule.objects.create(
        name="Gia hạn",
        trigger=CareTrigger.BEFORE_CONTRACT_END,
        days=30,
        purpose="Nhắc gia hạn",
        agent=org["care"],
    )
    carecall_rules.rules_run()
    dues = sorted(CareCall.objects.values_list("due_date", "source_key"))
    assert dues == [
        (today - dt.timedelta(days=3), dues[0][1]),
        (today + dt.timedelta(days=10), f"contract:{soon.pk}"),
    ]
    carecall_rules.rules_run(today + dt.timedelta(days=60))
    assert CareCall.objects.filter(
        source_key=f"contract:{later.pk}", due_date=today + dt.timedelta(days=70)
    ).exists()


def test_after_resolved_counts_from_the_local_day_of_resolution(org, lan, make_ticket):
    today = timezone.localdate()
    ticket = make_ticket(lan, status="resolved", resolved_at=resolved(2))
    make_ticket(lan, status="open", resolved_at=resolved(2))  # reopened since
    CareCallRule.objects.create(
        name="7 ngày sau xử lý",
        trigger=CareTrigger.AFTER_RESOLVED,
        days=7,
        purpose="Hỏi lại",
        agent=org["care"],
    )
    carecall_rules.rules_run()
    call = CareCall.objects.get()
    assert (call.ticket, call.due_date, call.source_key) == (
        ticket,
        today + dt.timedelta(days=5),
        f"ticket:{ticket.pk}",
    )


def test_a_warranty_rule_adds_nothing_until_after_sales_exists(org, lan, make_delivery):
    make_delivery(lan, timezone.localdate())
    CareCallRule.objects.create(
        name="Bảo hành", trigger=CareTrigger.BEFORE_WARRANTY_END, days=30, purpose="Nhắc", agent=org["care"]
    )
    assert list(carecall_rules.rules_run().values()) == [0]


def test_a_queue_rule_gives_calls_in_turn_across_runs_and_without_queue_to_the_customers_owner(
    org, lan, make_delivery, care2
):
    today = timezone.localdate()
    queue = Queue.objects.create(name="CSKH tuyến 1")
    queue.members.add(org["care"], care2)
    for _ in range(3):
        make_delivery(lan, today - dt.timedelta(days=1))
    rule = CareCallRule.objects.create(
        name="Q", trigger=CareTrigger.AFTER_DELIVERY, days=1, purpose="Q", queue=queue
    )
    carecall_rules.rule_run(rule)
    assert [c.owner for c in CareCall.objects.order_by("pk")] == [org["care"], care2, org["care"]]
    make_delivery(lan, today - dt.timedelta(days=1))
    carecall_rules.rule_run(rule)
    assert CareCall.objects.order_by("-pk").first().owner == care2  # the turn goes on from yesterday's
    owner_rule = CareCallRule.objects.create(
        name="O", trigger=CareTrigger.AFTER_DELIVERY, days=1, purpose="O"
    )
    carecall_rules.rule_run(owner_rule)
    assert set(CareCall.objects.filter(rule=owner_rule).values_list("owner__username", flat=True)) == {
        "sales1"
    }


def test_the_daily_job_runs_at_six_in_the_morning_in_vietnam(org):
    from huey.contrib.djhuey import HUEY

    task = carecall_rules.carecall_rules_daily
    assert HUEY.utc  # crontabs are read in UTC: 06:00 in Hồ Chí Minh City is 23:00 UTC
    periodic = task.task_class()
    assert any(isinstance(t, task.task_class) for t in HUEY._registry.periodic_tasks)
    # Huey hands its crontabs naive UTC times.
    utc = dt.UTC
    assert periodic.validate_datetime(dt.datetime(2026, 8, 2, 23, 0, tzinfo=utc).replace(tzinfo=None))
    assert not periodic.validate_datetime(dt.datetime(2026, 8, 3, 6, 0, tzinfo=utc).replace(tzinfo=None))
    task.call_local()


def test_purposes_are_stored_as_text(org, lan):
    call = carecalls.carecall_create(
        actor=org["care"], data={"contact": lan, "purpose": XSS, "due_date": TODAY}, today=TODAY
    )
    assert CareCall.objects.get(pk=call.pk).purpose == XSS
