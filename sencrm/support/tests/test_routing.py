"""Routing: rules by category (and its ancestors), product, region, customer group and priority in
position order, the default queue; agents present (absences, inactive users, outside working hours);
round robin fairness, least busy, and concurrent creations that never give two tickets the same turn."""

from __future__ import annotations

import collections
import datetime as dt
import threading

import pytest
from django.db import connection

from sencrm.customers.models import CustomerGroup, Province
from sencrm.support import routing, services
from sencrm.support.models import Absence, Queue, RoutingRule, Ticket
from sencrm.support.tests import ticket_helpers
from sencrm.support.tests.ticket_helpers import MONDAY_10, build_desk

desk = ticket_helpers.desk  # shared fixtures
make_ticket = ticket_helpers.make_ticket

HOUR = dt.timedelta(hours=1)


@pytest.fixture
def queues(desk):
    """Three more first-line queues for the rules to choose from (no members: routing only)."""
    return {
        name: Queue.objects.create(name=name, line="first")
        for name in ("Kỹ thuật lạnh", "Miền Nam", "Khách VIP", "Sản phẩm", "Khẩn")
    }


def rule(queue, position=0, **conditions):
    return RoutingRule.objects.create(name=f"→ {queue.name}", queue=queue, position=position, **conditions)


def test_no_rule_matching_goes_to_the_default_first_line_queue(desk, make_ticket):
    assert routing.default_queue() == desk.first
    assert make_ticket().queue == desk.first


def test_a_rule_on_a_category_matches_its_sub_categories(desk, queues, make_ticket):
    rule(queues["Kỹ thuật lạnh"], category=desk.technical)
    assert make_ticket(category=desk.not_cooling).queue == queues["Kỹ thuật lạnh"]
    assert make_ticket(category=desk.technical).queue == queues["Kỹ thuật lạnh"]
    assert make_ticket(category=desk.delivery).queue == desk.first


def test_a_rule_on_a_product(desk, queues, make_ticket, org):
    from sencrm.catalog import services as catalog

    product = catalog.product_create(
        actor=org["manager"], data={"code": "DH-12", "name": "Điều hòa 12000BTU"}
    )
    other = catalog.product_create(actor=org["manager"], data={"code": "DH-9", "name": "Điều hòa 9000BTU"})
    rule(queues["Sản phẩm"], product=product)
    assert make_ticket(product=product).queue == queues["Sản phẩm"]
    assert make_ticket(product=other).queue == desk.first


def test_a_rule_on_a_region_reads_the_contacts_or_the_accounts_province(
    desk, queues, make_ticket, make_contact, org
):
    from sencrm.customers.services import account_create

    rule(queues["Miền Nam"], region="south")
    saigon = Province.objects.get(code="ho-chi-minh")
    assert make_ticket(contact=make_contact(province=saigon)).queue == queues["Miền Nam"]
    assert make_ticket(contact=make_contact(full_name="Hà Nội", phones=["0987 111 222"])).queue == desk.first
    account = account_create(actor=org["sales1"], data={"name": "Công ty Sài Gòn", "province": saigon})
    assert make_ticket(account=account).queue == queues["Miền Nam"]


def test_a_rule_on_a_customer_group_and_one_on_priority(desk, queues, make_ticket, make_contact):
    vip = CustomerGroup.objects.create(name="VIP")
    rule(queues["Khách VIP"], customer_group=vip)
    rule(queues["Khẩn"], position=1, priority="urgent")
    assert make_ticket(contact=make_contact(customer_group=vip)).queue == queues["Khách VIP"]
    assert make_ticket(priority="urgent").queue == queues["Khẩn"]
    assert make_ticket(priority="high").queue == desk.first


def test_the_first_matching_rule_by_position_wins_and_every_condition_must_hold(desk, queues, make_ticket):
    rule(queues["Khẩn"], position=2, priority="urgent")
    rule(queues["Kỹ thuật lạnh"], position=1, category=desk.technical, priority="urgent")
    assert make_ticket(category=desk.leaking, priority="urgent").queue == queues["Kỹ thuật lạnh"]
    assert make_ticket(category=desk.delivery, priority="urgent").queue == queues["Khẩn"]
    assert make_ticket(category=desk.leaking, priority="normal").queue == desk.first


def test_inactive_rules_and_queues_are_skipped(desk, queues, make_ticket):
    rule(queues["Khẩn"], priority="urgent", active=False)
    rule(queues["Khách VIP"], position=1, priority="urgent")
    queues["Khách VIP"].active = False
    queues["Khách VIP"].save()
    assert make_ticket(priority="urgent").queue == desk.first


def test_a_given_queue_and_agent_are_kept(desk, make_ticket, org):
    ticket = make_ticket(queue=desk.second, owner=org["manager"])
    assert ticket.queue == desk.second and ticket.line == "second" and ticket.owner == org["manager"]


# --- agents ----------------------------------------------------------------------------------------


def test_round_robin_is_fair(desk, make_ticket):
    owners = collections.Counter(make_ticket().owner.username for _ in range(30))
    assert owners == {"care": 10, "care2": 10, "care3": 10}
    order = [make_ticket().owner for _ in range(3)]
    assert len(set(order)) == 3  # each in turn, not one of them twice


def test_an_absent_agent_is_skipped_until_back(desk, make_ticket):
    away = desk.agents[1]
    Absence.objects.create(user=away, starts_at=MONDAY_10 - HOUR, ends_at=MONDAY_10 + HOUR, note="Nghỉ phép")
    during = {make_ticket(now=MONDAY_10).owner for _ in range(6)}
    assert away not in during and len(during) == 2
    after = {make_ticket(now=MONDAY_10 + 2 * HOUR).owner for _ in range(3)}
    assert away in after


def test_an_inactive_user_gets_nothing(desk, make_ticket):
    gone = desk.agents[2]
    gone.is_active = False
    gone.save()
    assert gone not in {make_ticket().owner for _ in range(6)}


def test_outside_working_hours_every_member_present_still_counts(desk, make_ticket):
    sunday = MONDAY_10 - dt.timedelta(days=1)
    assert {make_ticket(now=sunday).owner for _ in range(3)} == set(desk.agents)


def test_least_busy_takes_the_agent_with_the_fewest_open_tickets(desk, make_ticket, org):
    for _ in range(3):
        make_ticket()  # one each
    free = desk.agents[1]  # round robin would now give the next ticket to agents[0]
    for ticket in Ticket.objects.filter(owner=free):
        services.ticket_transition(ticket, actor=org["care"], status="resolved")
    desk.first.assignment = "least_busy"
    desk.first.save()
    assert make_ticket().owner == free
    # Now one open ticket each: the tie goes in turn, after the last one given.
    assert make_ticket().owner == desk.agents[2]


def test_without_anyone_present_the_ticket_waits_with_the_lead_or_the_actor(desk, make_ticket, org):
    for agent in desk.agents:
        Absence.objects.create(user=agent, starts_at=MONDAY_10 - HOUR, ends_at=MONDAY_10 + HOUR)
    ticket = make_ticket()
    assert ticket.queue == desk.first and ticket.owner == org["manager"]
    assert routing.is_unassigned(ticket)
    desk.first.lead = None
    desk.first.save()
    assert make_ticket().owner == org["care"]  # the actor holds it
    assert not routing.is_unassigned(make_ticket(now=MONDAY_10 + 2 * HOUR))


@pytest.mark.django_db(transaction=True)
def test_concurrent_creations_take_turns(org, hanoi):
    desk = build_desk(org)
    results: list[str] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(6)

    def create() -> None:
        try:
            barrier.wait(timeout=10)
            ticket = services.ticket_create(actor=org["care"], data={"subject": "Cùng lúc"}, now=MONDAY_10)
            results.append(ticket.owner.username)
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=create) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    assert collections.Counter(results) == {"care": 2, "care2": 2, "care3": 2}
    assert Ticket.objects.filter(queue=desk.first).count() == 6
