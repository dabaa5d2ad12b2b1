"""The ticket pages: the list (filters, search, time left sorted and coloured, keyset pages, export, no
N+1), the form (prefilled from a contact or a call, routed, refused input shown, stale version), the
ticket's page and its actions (reply and note with htmx, status buttons, escalate, assign, merge,
task, delete), the gate (sales 403, out of scope 404 with nothing changed), the customer's panel."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from sencrm.activities.models import Activity
from sencrm.support.models import Call, Line, MessageKind, Priority, Ticket, TicketMessage, TicketStatus
from sencrm.support.tests.pages_helpers import XSS, care_desk, make_ticket

LIST = reverse("support:ticket_list")


@pytest.fixture(autouse=True)
def _english(request):
    """These tests read the English source text (the users' language set to English)."""
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


def numbers(html: str) -> list[str]:
    return re.findall(r'data-testid="ticket-row" data-number="([^"]+)"', html)


# --- the list -------------------------------------------------------------------------------------


def test_care_sees_the_list_with_the_time_left_red_when_late_and_amber_when_warned(client_as, desk):
    late = make_ticket(desk, due_in=dt.timedelta(minutes=-30), subject="Trễ hạn")
    warned = make_ticket(desk, due_in=dt.timedelta(minutes=20), sla_warned_at=timezone.now())
    fine = make_ticket(desk, due_in=dt.timedelta(hours=5))
    waiting = make_ticket(desk, due_in=None, status=TicketStatus.WAITING, sla_paused_at=timezone.now())
    response = client_as("care").get(LIST)
    html = response.content.decode()
    assert response.status_code == 200
    assert set(numbers(html)) == {late.number, warned.number, fine.number, waiting.number}
    states = re.findall(r'data-testid="ticket-row" data-number="([^"]+)".*?data-state="(\w+)"', html, re.S)
    assert dict(states) == {
        late.number: "late",
        warned.number: "warned",
        fine.number: "ok",
        waiting.number: "paused",
    }
    assert "text-bg-danger" in html and "text-bg-warning" in html
    assert "30 min late" in html or "29 min late" in html
    assert 'data-testid="new-ticket"' in html and 'data-testid="export-csv"' in html


def test_the_time_left_sort_puts_the_next_due_first_and_pages_by_keyset(client_as, desk, monkeypatch):
    from sencrm.support.views import tickets

    monkeypatch.setattr(tickets, "PAGE_SIZE", 2)
    c = make_ticket(desk, due_in=dt.timedelta(hours=3))
    a = make_ticket(desk, due_in=dt.timedelta(minutes=-10))
    b = make_ticket(desk, due_in=dt.timedelta(hours=1))
    responded = make_ticket(
        desk, due_in=dt.timedelta(minutes=5), first_responded_at=timezone.now()
    )  # resolution counts: +7 h 5 min
    make_ticket(desk, due_in=None, status=TicketStatus.RESOLVED)  # no clock: left out of this sort
    client = client_as("care")
    first = client.get(LIST, {"sort": "due"})
    assert numbers(first.content.decode()) == [a.number, b.number]
    assert "only tickets whose SLA clock runs are listed" in first.content.decode()
    cursor = re.search(r'cursor=([^"&]+)" data-testid="next-page"', first.content.decode()).group(1)
    second = client.get(LIST + "?sort=due&cursor=" + cursor)
    assert numbers(second.content.decode()) == [c.number, responded.number]
    descending = client.get(LIST, {"sort": "-due"})
    assert numbers(descending.content.decode()) == [responded.number, c.number]
    # A cursor of the other direction, a forged one, an unknown sort: 400 with the reason.
    assert client.get(LIST + "?sort=-due&cursor=" + cursor).status_code == 400
    assert client.get(LIST, {"sort": "due", "cursor": "forged"}).status_code == 400
    bad = client.get(LIST, {"sort": "priority;DROP TABLE"})
    assert bad.status_code == 400 and "Unknown sort order" in bad.content.decode()


def test_the_filters_and_the_search(client_as, org, desk):
    cooling = make_ticket(desk, category=desk.cooling, priority=Priority.URGENT, subject="Máy lạnh kêu to")
    bill = make_ticket(desk, category=desk.billing, contact=desk.other, subject="Sai hóa đơn")
    second = make_ticket(
        desk,
        owner="tech",
        queue=desk.second,
        line=Line.SECOND,
        breached=True,
        contact=None,
        requester_name="Chị Hoa",
    )
    closed = make_ticket(desk, status=TicketStatus.CLOSED, due_in=None)
    client = client_as("care")

    def found(**params):
        response = client.get(LIST, params)
        assert response.status_code == 200, params
        return set(numbers(response.content.decode()))

    assert found(category=desk.technical.pk) == {cooling.number}  # sub-categories included
    assert found(priority="urgent") == {cooling.number}
    assert found(line="second") == {second.number}
    assert found(queue=desk.second.pk) == {second.number}
    assert found(breached="yes") == {second.number}
    assert found(status="closed") == {closed.number}
    assert found(open="no") == {closed.number}
    assert found(assignee="me", open="yes") == {cooling.number, bill.number}
    assert found(assignee=org["tech"].pk) == {second.number}
    assert found(contact=desk.other.pk) == {bill.number}
    assert found(q="binh") == {bill.number}  # the customer's name, accents ignored
    assert found(q="hóa đơn") == {bill.number}  # the subject
    assert found(q=cooling.number.lower()) == {cooling.number}
    assert found(q="Chị Hoa") == {second.number}  # the requester of a ticket without a contact
    for bad in (
        {"status": "bogus"},
        {"queue": "1 OR 1=1"},
        {"assignee": "x"},
        {"breached": "maybe"},
        {"category": "-1"},
    ):
        response = client.get(LIST, bad)
        assert response.status_code == 400, bad
        assert "Some filters are not valid" in response.content.decode()


def test_unassigned_means_not_with_an_agent_of_the_queue(client_as, desk):
    waiting = make_ticket(desk, owner="admin")  # admin is no member of first line
    make_ticket(desk)
    found = numbers(client_as("care").get(LIST, {"assignee": "unassigned"}).content.decode())
    assert found == [waiting.number]


def test_the_list_costs_the_same_queries_for_3_or_30_tickets(client_as, desk):
    client = client_as("care")
    for _ in range(3):
        make_ticket(desk, category=desk.cooling)
    client.get(LIST)  # warm caches (content types, sessions)

    def count(params):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(LIST, params).status_code == 200
        return len(queries)

    few, few_due = count({}), count({"sort": "due"})
    for index in range(27):
        make_ticket(
            desk, category=desk.cooling, contact=desk.other if index % 2 else desk.customer, account=None
        )
    assert count({}) == few
    assert count({"sort": "due"}) == few_due
    assert few <= 20


def test_htmx_asks_only_for_the_rows(client_as, desk):
    make_ticket(desk)
    response = client_as("care").get(LIST, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert 'data-testid="ticket-table"' in html and "<html" not in html


def test_export_is_csv_over_the_filter_and_formula_safe(client_as, desk):
    make_ticket(desk, subject='=HYPERLINK("http://evil/")')
    make_ticket(desk, priority=Priority.HIGH, subject="Cao")
    response = client_as("care").get(reverse("support:ticket_export"), {"priority": "high"})
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[0][:3] == ["Number", "Subject", "Customer"]
    assert [r[1] for r in rows[1:]] == ["Cao"]
    everything = client_as("care").get(reverse("support:ticket_export"))
    text = b"".join(everything.streaming_content).decode("utf-8-sig")
    assert "'=HYPERLINK" in text
    assert client_as("care").get(reverse("support:ticket_export"), {"format": "pdf"}).status_code == 400
    assert client_as("tech").get(reverse("support:ticket_export")).status_code == 403  # no export right
    assert client_as("sales1").get(reverse("support:ticket_export")).status_code == 403


# --- the gate --------------------------------------------------------------------------------------


def test_sales_get_403_and_a_ticket_outside_the_scope_is_a_404_with_nothing_changed(client_as, desk):
    ticket = make_ticket(desk)
    sales = client_as("sales1")
    assert sales.get(LIST).status_code == 403
    assert sales.get(reverse("support:ticket_create")).status_code == 403
    assert sales.get(ticket.get_absolute_url()).status_code == 404  # no view right: like a missing one
    tech = client_as("tech")  # second line: sees the tickets of the queues they are in
    assert numbers(tech.get(LIST).content.decode()) == []
    assert tech.get(ticket.get_absolute_url()).status_code == 404
    for name in (
        "ticket_note",
        "ticket_reply",
        "ticket_escalate",
        "ticket_merge",
        "ticket_task",
        "ticket_assign",
    ):
        assert (
            tech.post(reverse(f"support:{name}", args=[ticket.pk]), {"body": "x", "note": "x"}).status_code
            == 404
        )
    assert (
        tech.post(reverse("support:ticket_transition", args=[ticket.pk]), {"status": "open"}).status_code
        == 404
    )
    assert tech.get(reverse("support:ticket_edit", args=[ticket.pk])).status_code == 404
    assert tech.post(reverse("support:ticket_delete", args=[ticket.pk])).status_code == 404
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.NEW and ticket.version == 1 and not TicketMessage.objects.exists()
    assert client_as("care").post(reverse("support:ticket_delete", args=[ticket.pk])).status_code == 403
    assert Ticket.objects.filter(pk=ticket.pk).exists()


def test_get_is_refused_on_the_actions(client_as, desk):
    ticket = make_ticket(desk)
    assert client_as("care").get(reverse("support:ticket_reply", args=[ticket.pk])).status_code == 405


# --- the page --------------------------------------------------------------------------------------


def test_the_page_shows_the_header_customer_thread_and_the_signed_link(client_as, org, desk):
    ticket = make_ticket(desk, subject=XSS, description="Máy chảy nước", priority=Priority.URGENT)
    TicketMessage.objects.create(
        ticket=ticket, kind=MessageKind.NOTE, author=org["care"], body="Đã gọi khách"
    )
    TicketMessage.objects.create(ticket=ticket, kind=MessageKind.CUSTOMER, body=XSS)
    call = Call.objects.create(
        owner=org["care"], number="+84912345678", ticket=ticket, contact=desk.customer, duration=95
    )
    response = client_as("care").get(ticket.get_absolute_url())
    html = response.content.decode()
    assert response.status_code == 200
    assert XSS not in html and "&quot;&gt;&lt;img" in html
    assert 'data-kind="note"' in html and "bg-warning-subtle" in html and 'data-kind="customer"' in html
    assert desk.customer.get_absolute_url() in html
    assert 'data-testid="time-left" data-state="ok"' in html
    assert "Tuyến 1 – CSKH" in html and "Urgent" in html
    assert (
        'data-testid="to-open"' in html
        and 'data-testid="to-resolved"' in html
        and 'data-testid="to-closed"' not in html
    )
    assert 'data-testid="escalate-form"' in html
    link = re.search(r'id="customer-link" value="([^"]+)"', html).group(1)
    assert "/t/" in link and 'data-copy="customer-link"' in html  # the customer's signed page, copyable
    assert client_as("care").get(link[link.index("/t/") :]).status_code == 200
    assert call.number in html and "95 s" in html


def test_customer_panel_on_the_contact_page(client_as, desk):
    ticket = make_ticket(desk)
    make_ticket(desk, status=TicketStatus.CLOSED, due_in=None, subject="Đã xong")
    html = client_as("care").get(desk.customer.get_absolute_url()).content.decode()
    assert 'data-testid="customer-tickets"' in html and ticket.number in html and "Đã xong" not in html
    assert f"{reverse('support:ticket_create')}?contact={desk.customer.pk}" in html
    sales = client_as("sales1").get(desk.customer.get_absolute_url()).content.decode()
    assert 'data-testid="customer-tickets"' not in sales  # no support right, no panel


# --- create and edit (through the services) --------------------------------------------------------


def test_the_form_is_prefilled_from_a_contact_and_a_call(client_as, org, desk):
    call = Call.objects.create(owner=org["care"], number="+84912345678", contact=desk.customer)
    client = client_as("care")
    html = client.get(reverse("support:ticket_create"), {"contact": desk.customer.pk}).content.decode()
    assert f'<option value="{desk.customer.pk}" selected>' in html
    html = client.get(reverse("support:ticket_create"), {"call": call.pk}).content.decode()
    assert f'name="call" value="{call.pk}"' in html and 'value="+84912345678"' in html
    assert '<option value="phone" selected>' in html
    html = client.get(
        reverse("support:ticket_create"), {"channel": "zalo", "account": "1;DROP"}
    ).content.decode()
    assert '<option value="zalo" selected>' in html
    # An id out of the scope or that does not exist is ignored, never an error.
    assert client.get(reverse("support:ticket_create"), {"contact": "999999", "call": "x"}).status_code == 200


def test_create_routes_the_ticket_and_links_the_call(client_as, org, desk):
    call = Call.objects.create(owner=org["care"], number="+84912345678", contact=desk.customer)
    response = client_as("care").post(
        reverse("support:ticket_create"),
        {
            "subject": "Điều hòa không lạnh",
            "priority": "high",
            "channel": "phone",
            "contact": desk.customer.pk,
            "call": call.pk,
        },
    )
    ticket = Ticket.objects.get()
    assert response.status_code == 302 and response["Location"] == ticket.get_absolute_url()
    assert ticket.queue == desk.first and ticket.owner == org["care"] and ticket.resolution_due is not None
    call.refresh_from_db()
    assert call.ticket_id == ticket.pk
    page = client_as("care").get(ticket.get_absolute_url()).content.decode()
    assert "opened: queue Tuyến 1 – CSKH, assigned to" in page


def test_bad_input_comes_back_on_the_form(client_as, desk):
    client = client_as("care")
    response = client.post(
        reverse("support:ticket_create"),
        {
            "subject": "",
            "priority": "bogus",
            "channel": "phone",
            "contact": "999999",
            "requester_email": "not-an-email",
        },
    )
    html = response.content.decode()
    assert response.status_code == 400
    for name in ("subject", "priority", "contact", "requester_email"):
        assert f'data-testid="error-{name}"' in html, name
    too_long = client.post(
        reverse("support:ticket_create"), {"subject": "x" * 201, "priority": "normal", "channel": "web"}
    )
    assert too_long.status_code == 400 and not Ticket.objects.exists()


def test_edit_saves_and_a_stale_version_is_refused(client_as, org, desk):
    from sencrm.support import services

    ticket = services.ticket_create(
        actor=org["care"],
        data={"subject": "Cũ", "contact": desk.customer, "priority": "normal", "channel": "phone"},
    )
    url = reverse("support:ticket_edit", args=[ticket.pk])
    client = client_as("care")
    assert client.get(url).status_code == 200
    form = {
        "subject": "Mới",
        "priority": "high",
        "channel": "phone",
        "contact": desk.customer.pk,
        "queue": desk.first.pk,
        "version": ticket.version,
    }
    assert client.post(url, form).status_code == 302
    ticket.refresh_from_db()
    assert ticket.subject == "Mới" and ticket.priority == "high"
    stale = client.post(url, {**form, "subject": "Lần hai"})  # the version it was opened at is old now
    assert stale.status_code == 409 and "Someone else changed this record" in stale.content.decode()
    ticket.refresh_from_db()
    assert ticket.subject == "Mới"


# --- actions ----------------------------------------------------------------------------------------


@pytest.fixture
def ticket(org, desk):
    from sencrm.support import services

    return services.ticket_create(
        actor=org["care"],
        data={
            "subject": "Điều hòa không lạnh",
            "contact": desk.customer,
            "priority": "normal",
            "channel": "phone",
        },
    )


def test_reply_with_htmx_refreshes_the_conversation(client_as, ticket, django_capture_on_commit_callbacks):
    url = reverse("support:ticket_reply", args=[ticket.pk])
    client = client_as("care")
    with django_capture_on_commit_callbacks(execute=False):
        response = client.post(url, {"body": "Kỹ thuật sẽ đến lúc 14h."}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200 and "<html" not in html
    assert 'id="ticket-conversation"' in html and "Kỹ thuật sẽ đến lúc 14h." in html
    assert 'data-testid="conversation-flash"' in html and 'hx-swap-oob="true"' in html
    ticket.refresh_from_db()
    assert ticket.first_responded_at is not None
    empty = client.post(url, {"body": "   "}, HTTP_HX_REQUEST="true")  # htmx swaps only a 2xx
    assert empty.status_code == 200 and 'data-testid="error-reply-body"' in empty.content.decode()
    plain = client.post(url, {"body": ""})
    assert plain.status_code == 400 and 'data-testid="error-reply-body"' in plain.content.decode()
    assert TicketMessage.objects.filter(kind=MessageKind.REPLY).count() == 1


def test_note_without_htmx_redirects_to_the_page(client_as, ticket):
    response = client_as("care").post(
        reverse("support:ticket_note", args=[ticket.pk]), {"body": "Khách khó tính"}
    )
    assert response.status_code == 302 and response["Location"] == ticket.get_absolute_url()
    assert TicketMessage.objects.get().kind == MessageKind.NOTE


def test_status_buttons_follow_the_map_and_a_refused_move_is_a_message(client_as, ticket):
    url = reverse("support:ticket_transition", args=[ticket.pk])
    client = client_as("care")
    assert client.post(url, {"status": "open"}).status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.OPEN
    refused = client.post(url, {"status": "closed"}, follow=True)  # open → closed is not in the map
    assert refused.status_code == 200
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.OPEN
    assert 'class="alert' in refused.content.decode()
    assert client.post(url, {"status": "bogus"}, follow=True).status_code == 200
    client.post(url, {"status": "waiting"})
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.WAITING


def test_escalate_needs_a_note_and_moves_to_second_line(client_as, org, desk, ticket):
    url = reverse("support:ticket_escalate", args=[ticket.pk])
    client = client_as("care")
    refused = client.post(url, {"note": ""})
    assert refused.status_code == 400 and 'data-testid="error-note"' in refused.content.decode()
    assert client.post(url, {"note": "Cần kỹ thuật kiểm tra gas"}).status_code == 302
    ticket.refresh_from_db()
    assert ticket.line == Line.SECOND and ticket.queue == desk.second and ticket.owner == org["tech"]
    assert TicketMessage.objects.filter(ticket=ticket, kind=MessageKind.NOTE, body__contains="gas").exists()
    # Now out of care's queue, still in care's scope (all): the form is gone from the page.
    assert 'data-testid="escalate-form"' not in client.get(ticket.get_absolute_url()).content.decode()


def test_assign_to_an_agent_and_a_bad_choice_is_a_400(client_as, org, desk, ticket):
    url = reverse("support:ticket_assign", args=[ticket.pk])
    client = client_as("care")
    assert client.post(url, {}).status_code == 400
    assert client.post(url, {"owner": org["sales1"].pk}).status_code == 400  # not a queue member
    assert client.post(url, {"queue": desk.second.pk, "owner": org["tech"].pk}).status_code == 302
    ticket.refresh_from_db()
    assert ticket.owner == org["tech"] and ticket.queue == desk.second


def test_merge_by_number(client_as, org, desk, ticket):
    from sencrm.support import services

    target = services.ticket_create(
        actor=org["care"],
        data={"subject": "Trùng", "contact": desk.customer, "priority": "normal", "channel": "phone"},
    )
    url = reverse("support:ticket_merge", args=[ticket.pk])
    client = client_as("care")
    assert client.post(url, {"number": "SC-NOPE"}).status_code == 400
    itself = client.post(url, {"number": ticket.number})
    assert itself.status_code == 400 and "cannot be merged into itself" in itself.content.decode()
    response = client.post(url, {"number": target.number.lower()})
    assert response.status_code == 302 and response["Location"] == target.get_absolute_url()
    ticket.refresh_from_db()
    assert ticket.merged_into_id == target.pk
    assert 'data-testid="merged-into"' in client.get(ticket.get_absolute_url()).content.decode()


def test_add_a_task(client_as, ticket):
    url = reverse("support:ticket_task", args=[ticket.pk])
    client = client_as("care")
    assert client.post(url, {"subject": "", "due_at": "31/02/2026 10:00"}).status_code == 400
    assert client.post(url, {"subject": "Gọi lại khách", "due_at": "05/11/2030 14:30"}).status_code == 302
    task = Activity.objects.get(subject="Gọi lại khách")
    assert "Gọi lại khách" in client.get(ticket.get_absolute_url()).content.decode()
    assert task.due_at is not None


def test_admin_deletes_a_ticket(client_as, ticket):
    response = client_as("admin").post(reverse("support:ticket_delete", args=[ticket.pk]))
    assert response.status_code == 302 and response["Location"] == LIST
    assert not Ticket.objects.filter(pk=ticket.pk).exists()


def test_the_ticket_list_links_the_care_settings_for_those_who_may_change_them(client_as):
    assert 'data-testid="care-settings"' in client_as("care").get("/tickets/").content.decode()
    assert 'data-testid="care-settings"' not in client_as("tech").get("/tickets/").content.decode()
