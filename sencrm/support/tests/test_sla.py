"""The SLA clock: business time (hours, lunch, weekends, Vietnam's holidays, days off, time zones),
the policy that applies, and a ticket's clock started, paused and resumed — with an injected clock."""

from __future__ import annotations

import datetime as dt
import time
from zoneinfo import ZoneInfo

import holidays
import pytest
from django.core.exceptions import ValidationError
from django.db.models import F
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sencrm.support import sla
from sencrm.support.models import BusinessCalendar, Priority, Ticket, TicketStatus
from sencrm.support.tests.sla_helpers import at, make_policy, make_queues, make_ticket, office

HOUR = 3600


# --- business time -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "hours", "due"),
    [
        ("2027-03-08 09:00", 2, "2027-03-08 11:00"),  # Monday morning
        ("2027-03-08 11:00", 1, "2027-03-08 12:00"),  # ends exactly at lunch: not after it
        ("2027-03-08 11:00", 2, "2027-03-08 14:30"),  # over the lunch break
        ("2027-03-08 12:15", 1, "2027-03-08 14:30"),  # received during lunch
        ("2027-03-08 20:00", 0.5, "2027-03-09 08:30"),  # in the evening
        ("2027-03-12 16:30", 2, "2027-03-15 09:00"),  # Friday afternoon → Monday
        ("2027-03-13 10:00", 1, "2027-03-15 09:00"),  # on a Saturday
        ("2027-03-08 08:00", 40, "2027-03-12 17:30"),  # a whole week: ends on Friday evening
    ],
)
def test_business_add_counts_working_hours_only(start, hours, due):
    assert sla.business_add(office(), at(start), int(hours * HOUR)) == at(due)


def test_business_seconds_counts_working_hours_only():
    calendar = office()
    assert sla.business_seconds(calendar, at("2027-03-08 11:00"), at("2027-03-08 14:30")) == 2 * HOUR
    assert sla.business_seconds(calendar, at("2027-03-12 16:30"), at("2027-03-15 09:00")) == 2 * HOUR
    assert sla.business_seconds(calendar, at("2027-03-13 09:00"), at("2027-03-14 18:00")) == 0  # weekend
    assert sla.business_seconds(calendar, at("2027-03-08 14:00"), at("2027-03-08 09:00")) == 0  # backwards
    assert sla.business_add(calendar, at("2027-03-08 09:00"), 0) == at("2027-03-08 09:00")


def test_no_calendar_counts_around_the_clock():
    start = at("2027-03-13 22:00")  # a Saturday night
    assert sla.business_add(None, start, 5 * HOUR) == at("2027-03-14 03:00")
    assert sla.business_seconds(None, start, at("2027-03-14 03:00")) == 5 * HOUR


def test_tet_2027_is_skipped_by_the_lunar_calendar():
    # The holidays package gives Tết Đinh Mùi 2027 (lunar new year on Saturday 6 February) and its days off.
    vietnam = holidays.country_holidays("VN", years=2027)
    tet = sorted(day for day, name in vietnam.items() if "Lunar New Year" in name)
    assert dt.date(2027, 2, 6) in tet and vietnam[dt.date(2027, 2, 6)] == "Lunar New Year"
    assert tet[0] == dt.date(2027, 2, 4) and tet[-1] == dt.date(2027, 2, 10)
    # Received on Wednesday 3 February at 16:30, two business hours: one that day, one after Tết.
    due = sla.business_add(office(), at("2027-02-03 16:30"), 2 * HOUR)
    assert due == at("2027-02-11 09:00")
    assert sla.business_seconds(office(), at("2027-02-03 16:30"), due) == 2 * HOUR
    # A calendar that works through public holidays does not skip them.
    assert sla.business_add(office(skip_holidays=False), at("2027-02-03 16:30"), 2 * HOUR) == at(
        "2027-02-04 09:00"
    )


def test_hung_kings_day_is_skipped():
    vietnam = holidays.country_holidays("VN", years=2027)
    hung_kings = [day for day, name in vietnam.items() if "Hung Kings" in name]
    assert hung_kings == [dt.date(2027, 4, 16)]  # 10th day of the 3rd lunar month, a Friday in 2027
    assert sla.business_add(office(), at("2027-04-15 17:00"), HOUR) == at("2027-04-19 08:30")


def test_a_substitute_day_off_and_the_saturday_worked_for_it():
    # 2026: Monday 31 August is off in exchange for Saturday 22 August, worked (with Monday's hours).
    calendar = office()
    assert sla.business_add(calendar, at("2026-08-21 17:00"), HOUR) == at("2026-08-22 08:30")
    # Friday 28 August 17:00 → Thursday 3 September: 31/08 (substitute), 01–02/09 (National Day) are off.
    assert sla.business_add(calendar, at("2026-08-28 17:00"), HOUR) == at("2026-09-03 08:30")


def test_extra_days_off_are_skipped_and_bad_ones_ignored():
    calendar = office(extra_days_off=["2027-03-09", "not a date", 42])
    assert sla.business_add(calendar, at("2027-03-08 17:00"), HOUR) == at("2027-03-10 08:30")


def test_a_calendar_keeps_its_own_time_zone_across_a_dst_change():
    # Europe/Berlin springs forward on Sunday 28 March 2027: that day has 23 hours.
    every_day = {str(day): [["00:00", "24:00"]] for day in range(7)}
    berlin = BusinessCalendar(name="Berlin", time_zone="Europe/Berlin", hours=every_day, skip_holidays=False)
    zone = ZoneInfo("Europe/Berlin")
    saturday, monday = dt.datetime(2027, 3, 27, tzinfo=zone), dt.datetime(2027, 3, 29, tzinfo=zone)
    assert sla.business_seconds(berlin, saturday, monday) == 47 * HOUR
    assert sla.business_add(berlin, saturday, 47 * HOUR) == monday
    # Office hours 09:00–17:00 in Berlin are 15:00–23:00 in Vietnam in winter, 14:00–22:00 in summer.
    hours = {str(day): [["09:00", "17:00"]] for day in range(5)}
    office_berlin = BusinessCalendar(name="B", time_zone="Europe/Berlin", hours=hours, skip_holidays=False)
    assert sla.business_add(office_berlin, at("2027-03-26 21:00"), 4 * HOUR) == at("2027-03-29 16:00")


def test_malformed_hours_are_skipped_and_reported():
    hours = {
        "0": [["25:00", "26:00"], "x", ["09:00", "08:00"], ["08:00", "12:00"], ["11:00", "13:00"]],
        "9": [],
    }
    calendar = BusinessCalendar(name="x", time_zone="UTC'); SELECT pg_sleep(5);--", hours=hours)
    # Monday 08:00–13:00 (overlaps merged) in Vietnam (the unknown time zone falls back to it).
    assert sla.business_seconds(calendar, at("2027-03-08 00:00"), at("2027-03-09 00:00")) == 5 * HOUR
    with pytest.raises(ValidationError) as error:
        sla.validate_hours(hours)
    assert len(error.value.messages) == 4
    with pytest.raises(ValidationError):
        sla.validate_hours(["08:00", "17:00"])
    sla.validate_hours({"0": [["08:00", "12:00"], ["13:30", "24:00"]]})  # valid: no error


def test_a_calendar_without_any_hours_counts_around_the_clock():
    calendar = BusinessCalendar(name="empty", hours={})
    assert sla.business_add(calendar, at("2027-03-13 22:00"), HOUR) == at("2027-03-13 23:00")


# Whole seconds between 2026 and 2028 in Vietnam; targets up to 3 business weeks.
moments = st.integers(min_value=0, max_value=3 * 365 * 86400).map(
    lambda offset: at("2026-01-01 00:00") + dt.timedelta(seconds=offset)
)
spans = st.integers(min_value=1, max_value=120 * HOUR)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(start=moments, seconds=spans)
def test_business_seconds_inverts_business_add(start, seconds):
    calendar = office()
    due = sla.business_add(calendar, start, seconds)
    assert due > start
    assert sla.business_seconds(calendar, start, due) == seconds
    # The due time is inside working hours: one second earlier is one business second less.
    assert sla.business_seconds(calendar, start, due - dt.timedelta(seconds=1)) == seconds - 1


@settings(max_examples=200, deadline=None)
@given(start=moments, a=spans, b=spans)
def test_business_time_is_monotonic_and_additive(start, a, b):
    calendar = office()
    low, high = sorted((a, b))
    assert sla.business_add(calendar, start, low) <= sla.business_add(calendar, start, high)
    middle = start + dt.timedelta(seconds=low)
    end = start + dt.timedelta(seconds=high)
    first, second = sla.business_seconds(calendar, start, middle), sla.business_seconds(calendar, middle, end)
    assert first <= first + second == sla.business_seconds(calendar, start, end)


def test_business_time_is_fast_over_long_spans():
    calendar = office()
    start = at("2027-01-04 08:00")
    began = time.perf_counter()
    for offset in range(500):
        due = sla.business_add(calendar, start + dt.timedelta(minutes=offset), 200 * HOUR)  # ~5 weeks
        sla.business_seconds(calendar, start, due)
    assert time.perf_counter() - began < 5  # about 0.1 s; a minute-by-minute walk takes minutes


# --- policies ------------------------------------------------------------------------------------


@pytest.fixture
def groups(db):
    from sencrm.customers.models import CustomerGroup

    return CustomerGroup.objects.create(name="VIP"), CustomerGroup.objects.create(name="Đại lý")


def test_the_most_specific_active_policy_applies(org, make_contact, groups):
    from sencrm.customers.models import Account

    vip, dealers = groups
    anything = make_policy(name="any")
    normal = make_policy(name="normal", priority=Priority.NORMAL)
    vip_any = make_policy(name="vip", customer_group=vip)
    vip_normal = make_policy(name="vip normal", priority=Priority.NORMAL, customer_group=vip)
    make_policy(
        name="off", priority=Priority.NORMAL, customer_group=vip, active=False, first_response_minutes=1
    )
    contact = make_contact(customer_group=vip)
    assert contact.customer_group == vip
    ticket = make_ticket(org["care"], created_at=at("2027-03-08 09:00"), contact=contact)
    assert sla.policy_for(ticket) == vip_normal
    vip_normal.active = False
    vip_normal.save()
    assert sla.policy_for(ticket) == normal
    ticket.priority = Priority.HIGH
    assert sla.policy_for(ticket) == vip_any
    ticket.contact = None
    assert sla.policy_for(ticket) == anything
    # The account's group counts when the contact has none.
    account = Account.objects.create(
        name="Công ty TNHH Ánh Dương", owner=org["sales1"], customer_group=dealers
    )
    dealer_high = make_policy(name="dealer high", priority=Priority.HIGH, customer_group=dealers)
    ticket.account = account
    assert sla.policy_for(ticket) == dealer_high
    for policy in (anything, normal, vip_any, dealer_high):
        policy.delete()
    ticket.account = None
    assert sla.policy_for(ticket) is None


def test_the_contacts_group_comes_before_the_accounts(org, make_contact, groups):
    from sencrm.customers.models import Account

    vip, dealers = groups
    for_dealers = make_policy(name="dealers", customer_group=dealers)
    for_vip = make_policy(name="vip", customer_group=vip)
    account = Account.objects.create(name="Đại lý Minh Châu", owner=org["sales1"], customer_group=dealers)
    contact = make_contact(customer_group=vip)
    ticket = make_ticket(org["care"], created_at=at("2027-03-08 09:00"), contact=contact, account=account)
    assert sla.policy_for(ticket) == for_vip
    ticket.contact = None
    assert sla.policy_for(ticket) == for_dealers


# --- a ticket's clock ----------------------------------------------------------------------------


@pytest.fixture
def queue(org):
    return make_queues(lead=org["manager"], members=(org["care"],))[0]


def test_start_sets_the_policy_and_both_due_times(org, queue):
    policy = make_policy()
    ticket = make_ticket(org["care"], created_at=at("2027-03-08 09:00"), queue=queue)
    sla.start(ticket, at("2027-03-08 11:30"))
    assert ticket.sla_policy == policy
    assert ticket.first_response_due == at("2027-03-08 14:00")  # 30 min before lunch, 30 after
    assert ticket.resolution_due == at("2027-03-09 11:30")  # 8 business hours
    ticket.save(update_fields=sla.SLA_FIELDS)
    ticket.refresh_from_db()
    assert ticket.first_response_due == at("2027-03-08 14:00")


def test_start_without_a_policy_sets_no_due_time(org, queue):
    ticket = make_ticket(org["care"], created_at=at("2027-03-08 09:00"), queue=queue)
    sla.start(ticket, at("2027-03-08 09:00"))
    assert ticket.sla_policy is None
    assert ticket.first_response_due is None and ticket.resolution_due is None
    assert sla.time_left(ticket, at("2027-03-08 10:00")) is None


def test_a_responded_ticket_keeps_no_first_response_clock(org, queue):
    make_policy()
    ticket = make_ticket(
        org["care"], created_at=at("2027-03-08 09:00"), queue=queue, first_responded_at=at("2027-03-08 09:10")
    )
    sla.start(ticket, at("2027-03-08 09:00"))
    assert ticket.first_response_due is None
    assert ticket.resolution_due == at("2027-03-09 09:00")  # 7 h on Monday, 1 h on Tuesday


def test_pause_while_waiting_then_resume_shifts_the_due_times(org, queue):
    make_policy()
    ticket = make_ticket(org["care"], created_at=at("2027-03-08 09:00"), queue=queue)
    sla.start(ticket, at("2027-03-08 09:00"))
    assert (ticket.first_response_due, ticket.resolution_due) == (
        at("2027-03-08 10:00"),
        at("2027-03-09 09:00"),
    )
    sla.pause(ticket, at("2027-03-08 09:30"))
    ticket.status = TicketStatus.WAITING
    assert ticket.first_response_due is None and ticket.resolution_due is None
    assert (ticket.first_response_left, ticket.resolution_left) == (30 * 60, 7.5 * HOUR)
    assert ticket.sla_paused_at == at("2027-03-08 09:30")
    assert sla.time_left(ticket, at("2027-03-08 12:00")) is None
    sla.pause(ticket, at("2027-03-08 11:00"))  # twice: nothing changes
    assert ticket.first_response_left == 30 * 60
    # Back on Tuesday at 10:00: the clock runs again for what was left.
    sla.resume(ticket, at("2027-03-09 10:00"))
    ticket.status = TicketStatus.OPEN
    assert ticket.first_response_due == at("2027-03-09 10:30")
    assert ticket.resolution_due == at("2027-03-10 09:30")  # 2 h + 4 h on Tuesday, 1.5 h on Wednesday
    assert (
        ticket.sla_paused_at is None and ticket.first_response_left is None and ticket.resolution_left is None
    )
    # The paused business time is exactly what the due time moved by.
    paused = sla.business_seconds(queue.calendar, at("2027-03-08 09:30"), at("2027-03-09 10:00"))
    assert sla.business_seconds(queue.calendar, at("2027-03-09 09:00"), ticket.resolution_due) == paused
    sla.resume(ticket, at("2027-03-09 11:00"))  # twice: nothing changes
    assert ticket.first_response_due == at("2027-03-09 10:30")
    ticket.save(update_fields=sla.SLA_FIELDS)


def test_a_late_target_stays_late_through_a_pause(org, queue):
    make_policy()
    ticket = make_ticket(org["care"], created_at=at("2027-03-08 09:00"), queue=queue, breached=True)
    sla.start(ticket, at("2027-03-08 09:00"))
    sla.pause(ticket, at("2027-03-08 10:30"))  # first response was due at 10:00
    assert ticket.first_response_left == 0 and ticket.first_response_due == at("2027-03-08 10:00")
    assert ticket.resolution_due is None and ticket.resolution_left == 6.5 * HOUR
    assert ticket.breached is True
    sla.resume(ticket, at("2027-03-08 14:00"))
    assert ticket.first_response_due == at("2027-03-08 10:00")
    assert ticket.resolution_due == at("2027-03-09 11:00")
    assert sla.time_left(ticket, at("2027-03-08 14:00")) == -dt.timedelta(hours=4)


def test_a_new_priority_restarts_from_creation_minus_the_time_spent_waiting(org, queue):
    make_policy()  # normal: 1 h / 8 h
    make_policy(name="urgent", priority=Priority.URGENT, first_response_minutes=15, resolution_minutes=4 * 60)
    ticket = make_ticket(org["care"], created_at=at("2027-03-08 09:00"), queue=queue)
    sla.start(ticket, at("2027-03-08 09:00"))
    ticket.first_responded_at = at("2027-03-08 09:20")
    sla.pause(ticket, at("2027-03-08 10:00"))
    sla.resume(ticket, at("2027-03-08 14:00"))  # 2.5 business hours waiting
    assert ticket.resolution_due == at("2027-03-09 11:30")
    ticket.priority = Priority.URGENT
    sla.start(ticket, at("2027-03-08 15:00"))
    assert ticket.sla_policy.name == "urgent"
    assert ticket.first_response_due == at("2027-03-08 10:00")  # responded: left as it was
    assert ticket.resolution_due == at("2027-03-08 17:00")  # 09:00 + 4 h + 2.5 h
    # While paused, a new priority gives the seconds left instead of a due time.
    sla.pause(ticket, at("2027-03-08 16:00"))
    ticket.priority = Priority.NORMAL
    sla.start(ticket, at("2027-03-08 16:30"))
    assert ticket.resolution_due is None
    assert ticket.resolution_left == 5 * HOUR  # 3 business hours counted: 09:00–10:00, 14:00–16:00


def test_a_priority_raised_past_the_target_is_late_at_once(org, queue):
    make_policy()
    make_policy(name="urgent", priority=Priority.URGENT, first_response_minutes=15, resolution_minutes=60)
    ticket = make_ticket(org["care"], created_at=at("2027-03-08 09:00"), queue=queue)
    sla.start(ticket, at("2027-03-08 09:00"))
    ticket.priority = Priority.URGENT
    sla.start(ticket, at("2027-03-08 11:00"))
    assert ticket.first_response_due == at("2027-03-08 09:15")
    assert ticket.resolution_due == at("2027-03-08 10:00")
    assert sla.time_left(ticket, at("2027-03-08 11:00")) == -dt.timedelta(minutes=105)


def test_time_left_and_ordering_by_the_next_due_time(org, queue):
    make_policy()
    now = at("2027-03-08 15:00")
    late = make_ticket(org["care"], created_at=at("2027-03-08 08:00"), queue=queue)
    soon = make_ticket(org["care"], created_at=at("2027-03-08 14:30"), queue=queue)
    responded = make_ticket(
        org["care"], created_at=at("2027-03-08 08:30"), queue=queue, first_responded_at=at("2027-03-08 08:40")
    )
    waiting = make_ticket(org["care"], created_at=at("2027-03-08 08:00"), queue=queue)
    closed = make_ticket(org["care"], created_at=at("2027-03-08 08:00"), queue=queue)
    for ticket in (late, soon, responded, waiting, closed):
        sla.start(ticket, ticket.created_at)
    sla.pause(waiting, now)
    waiting.status = TicketStatus.WAITING
    closed.status = TicketStatus.CLOSED
    for ticket in (late, soon, responded, waiting, closed):
        ticket.save()
    assert sla.time_left(late, now) == -dt.timedelta(hours=6)  # due 09:00
    assert sla.time_left(soon, now) == dt.timedelta(minutes=30)
    assert sla.time_left(responded, now) == responded.resolution_due - now  # Tuesday 08:00
    assert sla.time_left(waiting, now) is None and sla.time_left(closed, now) is None
    rows = sla.annotate_next_due(Ticket.objects.all()).order_by(F("sla_next_due").asc(nulls_last=True), "pk")
    assert [ticket.pk for ticket in rows] == [late.pk, soon.pk, responded.pk, waiting.pk, closed.pk]
    due = {ticket.pk: ticket.sla_next_due for ticket in rows}
    assert due[late.pk] == at("2027-03-08 09:00") and due[responded.pk] == responded.resolution_due
    assert due[waiting.pk] is None and due[closed.pk] is None
