"""The care home page (my queue by time left, tickets at risk in my queues, today's care calls, the live
call card's container) with helpful empty states, the "My day" panel, and who gets them."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from sencrm.support.models import AgentExtension, BusinessCalendar, CareCall, CareCallStatus, TicketStatus
from sencrm.support.tests.pages_helpers import XSS, care_desk, make_ticket

HOME = reverse("home")


@pytest.fixture(autouse=True)
def _english(request):
    from django.utils import translation

    if "org" in request.fixturenames:
        request.getfixturevalue("org")
        from sencrm.users.models import User

        User.objects.update(language="en")
    with translation.override("en"):
        yield


@pytest.fixture
def desk(org, make_contact):
    return care_desk(org, make_contact)


def items(html: str, testid: str) -> list[str]:
    return re.findall(rf'data-testid="{testid}" data-number="([^"]+)"', html)


def test_the_care_home_page_without_any_care_data_says_what_to_expect(client_as, org):
    response = client_as("care").get(HOME)
    html = response.content.decode()
    assert response.status_code == 200
    for testid in ("care-my-queue", "care-at-risk", "care-calls-today", "care-live-call"):
        assert f'data-testid="{testid}"' in html, testid
    assert 'data-testid="my-queue-empty"' in html and "routing rules" in html
    assert "You are not in a care queue yet" in html
    assert 'data-testid="care-calls-empty"' in html and "care call rules" in html
    assert '<div id="screenpop" data-live-url="/live/events/"' in html and "js/screenpop.js" in html
    assert "No phone extension is set for you" in html
    assert 'data-testid="home-new-ticket"' in html


def test_my_queue_is_ordered_by_time_left_and_at_risk_lists_my_queues_tickets(client_as, org, desk):
    later = make_ticket(desk, due_in=dt.timedelta(hours=5), subject=XSS)
    late = make_ticket(desk, due_in=dt.timedelta(minutes=-5))
    soon = make_ticket(desk, due_in=dt.timedelta(minutes=50))
    waiting = make_ticket(desk, due_in=None, status=TicketStatus.WAITING, sla_paused_at=timezone.now())
    make_ticket(desk, due_in=None, status=TicketStatus.RESOLVED)  # done: nowhere on the home page
    unassigned = make_ticket(desk, owner="admin", due_in=dt.timedelta(days=2))  # admin is not a member
    breached = make_ticket(desk, owner="admin", due_in=dt.timedelta(hours=9), breached=True)
    make_ticket(desk, owner="tech", queue=desk.second, due_in=dt.timedelta(minutes=10))  # not care's queue
    AgentExtension.objects.create(user=org["care"], extension="101")
    response = client_as("care").get(HOME)
    html = response.content.decode()
    assert items(html, "my-ticket") == [late.number, soon.number, later.number, waiting.number]
    assert 'data-testid="my-queue-count">4<' in html
    # At risk: breached first, then by next due; the 2-hour horizon of a 24×7 queue; waiting for an agent.
    assert items(html, "risk-ticket") == [breached.number, late.number, soon.number, unassigned.number]
    assert 'data-testid="at-risk-count">4<' in html
    assert XSS not in html
    assert "Calls to your extension 101" in html


def test_the_at_risk_horizon_counts_business_hours_of_the_queues_calendar(client_as, org, desk):
    # Two weeks off from today: a ticket due in three days has no business hour left before it, so it
    # is at risk; on the 24×7 second line, the same due time is not.
    today = timezone.localdate()
    days_off = [(today + dt.timedelta(days=n)).isoformat() for n in range(15)]
    every_day = {str(day): [["08:00", "17:00"]] for day in range(7)}
    holiday = BusinessCalendar.objects.create(
        name="Nghỉ dài", hours=every_day, skip_holidays=False, extra_days_off=days_off
    )
    desk.first.calendar = holiday
    desk.first.save()
    desk.second.members.add(org["care"])
    on_holiday = make_ticket(desk, due_in=dt.timedelta(days=3))
    make_ticket(desk, queue=desk.second, due_in=dt.timedelta(days=3))
    html = client_as("care").get(HOME).content.decode()
    assert items(html, "risk-ticket") == [on_holiday.number]


def test_todays_care_calls_with_the_overdue_ones(client_as, org, desk):
    today = timezone.localdate()
    CareCall.objects.create(
        owner=org["care"],
        contact=desk.customer,
        purpose="Hỏi thăm sau lắp đặt",
        due_date=today - dt.timedelta(days=2),
    )
    CareCall.objects.create(owner=org["care"], contact=desk.other, purpose="Nhắc bảo dưỡng", due_date=today)
    CareCall.objects.create(
        owner=org["care"], contact=desk.other, purpose="Tuần sau", due_date=today + dt.timedelta(days=3)
    )
    CareCall.objects.create(
        owner=org["care"], contact=desk.other, purpose="Đã gọi", due_date=today, status=CareCallStatus.DONE
    )
    CareCall.objects.create(owner=org["tech"], contact=desk.other, purpose="Của người khác", due_date=today)
    html = client_as("care").get(HOME).content.decode()
    assert 'data-testid="care-calls-count">2<' in html
    assert "Hỏi thăm sau lắp đặt" in html and "Nhắc bảo dưỡng" in html
    assert "Tuần sau" not in html and "Đã gọi" not in html and "Của người khác" not in html
    assert html.index("Hỏi thăm sau lắp đặt") < html.index("Nhắc bảo dưỡng")  # the oldest first
    assert "overdue" in html
    assert reverse("support:carecall_list") in html


def test_the_home_page_queries_do_not_grow_with_the_tickets(client_as, desk):
    client = client_as("care")
    for _ in range(3):
        make_ticket(desk)
    client.get(HOME)

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(HOME).status_code == 200
        return len(queries)

    few = count()
    for index in range(25):
        make_ticket(
            desk, contact=desk.other if index % 2 else desk.customer, due_in=dt.timedelta(minutes=30 + index)
        )
    assert count() <= few  # (one fewer: a full queue of running clocks needs no second look for the others)


def test_roles_without_support_get_no_care_widgets(client_as, desk):
    make_ticket(desk)
    for username in ("sales1", "marketing", "accountant", "board"):
        html = client_as(username).get(HOME).content.decode()
        assert 'data-testid="care-my-queue"' not in html and 'id="screenpop"' not in html, username


def test_my_day_lists_my_tickets_due_by_tonight(client_as, org, desk):
    late = make_ticket(desk, due_in=dt.timedelta(minutes=-5))
    soon = make_ticket(desk, due_in=dt.timedelta(minutes=1))
    make_ticket(desk, due_in=dt.timedelta(days=2))
    make_ticket(desk, owner="admin", due_in=dt.timedelta(minutes=1))  # not mine
    html = client_as("care").get(reverse("activities:my_day")).content.decode()
    assert items(html, "myday-ticket") == [late.number, soon.number]
    assert client_as("care").get(reverse("activities:my_day")).status_code == 200


def test_the_my_day_panel_is_empty_with_words_and_absent_for_sales(client_as, org, desk):
    html = client_as("care").get(reverse("activities:my_day")).content.decode()
    assert 'data-testid="myday-tickets"' in html and "None of your tickets is due today" in html
    assert (
        'data-testid="myday-tickets"'
        not in client_as("sales1").get(reverse("activities:my_day")).content.decode()
    )


def test_the_care_home_page_with_the_demo_data(client_as, org, make_contact):
    from sencrm.demo.support import load_support
    from sencrm.support.models import Ticket

    for index in range(45):  # the demo's customers: people with a phone and no account
        make_contact(full_name=f"Khách hàng {index:02d}", phones=(f"0912 000 {index:03d}",))
    assert load_support(org) > 0
    assert Ticket.objects.filter(owner=org["care"], status__in=["new", "open"]).exists()
    response = client_as("care").get(HOME)
    html = response.content.decode()
    assert response.status_code == 200
    assert items(html, "my-ticket")
    # What is at risk depends on the hour (business hours, weekends): the page lists what the selector finds.
    from django.utils import timezone

    from sencrm.support import selectors

    at_risk = selectors.at_risk(org["care"], timezone.now()).count()
    assert len(items(html, "risk-ticket")) == min(at_risk, selectors.HOME_ROWS)
    assert 'data-testid="care-call"' in html
    assert "Calls to your extension 101" in html
    assert client_as("care").get(reverse("support:ticket_list")).status_code == 200
    assert client_as("care").get(reverse("activities:my_day")).status_code == 200
