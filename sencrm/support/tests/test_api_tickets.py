"""`/api/v1/tickets/`: the field names integrations rely on, writes through the ticket services (status
changes as transitions, escalation, replies, notes), the filters and the SLA sort, the access gate
(403 without the module, 404 outside the scope, exactly like a missing id) and bad input (400, never 500)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from sencrm.events.models import Event
from sencrm.support.models import Channel, Line, MessageKind, Ticket, TicketMessage, TicketStatus
from sencrm.support.tests.api_helpers import HIDDEN, bearer, care_desk, make_ticket, patch, post

URL = "/api/v1/tickets/"
CONTRACT = (
    "id", "number", "subject", "description", "contact", "account", "category", "priority", "channel",
    "status", "line", "queue", "assignee", "first_response_due", "resolution_due", "breached",
)  # fmt: skip


@pytest.fixture
def desk(org, make_contact):
    return care_desk(org, make_contact)


def detail(ticket) -> str:
    return f"{URL}{ticket.pk}/"


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


# --- create, read, change, delete ------------------------------------------------------------------


def test_a_ticket_created_by_the_api_is_routed_and_has_the_fields_of_the_contract(org, desk):
    response = post(
        bearer(org, "care"),
        URL,
        {
            "subject": "Điều hòa phòng khách không lạnh",
            "description": "Khách báo máy chạy nhưng không ra hơi lạnh từ hôm qua.",
            "contact": desk.customer.pk,
            "category": desk.cooling.pk,
            "priority": "high",
            "channel": "zalo",
        },
    )
    assert response.status_code == 201, response.json()
    created = response.json()
    assert set(CONTRACT) <= set(created)
    assert (created["status"], created["line"], created["priority"], created["channel"]) == (
        "new",
        "first",
        "high",
        "zalo",
    )
    # No rule matches: the default first-line queue, its only member present.
    assert (created["queue"], created["assignee"]) == (desk.first.pk, org["care"].pk)
    assert created["number"] and created["first_response_due"] and created["resolution_due"]
    assert created["breached"] is False and created["version"] == 1
    assert Event.objects.filter(type="ticket.created", subject_id=created["id"]).count() == 1


def test_a_ticket_can_be_given_its_queue_and_assignee(org, desk):
    response = post(
        bearer(org, "care"),
        URL,
        {
            "subject": "Máy nén kêu to",
            "queue": desk.second.pk,
            "assignee": org["tech"].pk,
            "channel": "phone",
        },
    )
    assert response.status_code == 201, response.json()
    assert (response.json()["queue"], response.json()["assignee"]) == (desk.second.pk, org["tech"].pk)


def test_every_channel_of_the_contract_is_accepted(org, desk):
    assert [c.value for c in Channel] == ["phone", "email", "web", "zalo", "facebook", "walk_in"]
    api = bearer(org, "care")
    for channel in Channel:
        response = post(api, URL, {"subject": f"Qua {channel.value}", "channel": channel.value})
        assert response.status_code == 201, response.json()
        assert response.json()["channel"] == channel.value


def test_privileged_and_computed_fields_cannot_be_set(org, desk):
    response = post(
        bearer(org, "care"),
        URL,
        {
            "subject": "Lắp đặt sai vị trí",
            "number": "SC-HACK",
            "line": "second",
            "breached": True,
            "first_response_due": "2000-01-01T00:00:00Z",
            "resolved_at": "2000-01-01T00:00:00Z",
            "team": 1,
            "version": 7,
        },
    )
    assert response.status_code == 201, response.json()
    created = response.json()
    assert created["number"] != "SC-HACK" and created["line"] == "first" and created["breached"] is False
    assert created["resolved_at"] is None and created["version"] == 1
    assert created["first_response_due"] is None or created["first_response_due"] > "2020"


def test_read_answers_the_row_with_its_sla_time_left(org, desk):
    ticket = make_ticket(desk, first_responded_at=timezone.now(), category=desk.cooling, channel="walk_in")
    body = bearer(org, "care").get(detail(ticket)).json()
    assert (body["number"], body["subject"], body["contact"], body["category"]) == (
        ticket.number,
        ticket.subject,
        desk.customer.pk,
        desk.cooling.pk,
    )
    assert (body["assignee"], body["queue"], body["line"], body["status"]) == (
        org["care"].pk,
        desk.first.pk,
        "first",
        "new",
    )
    # Answered already: the resolution clock counts, about 8 hours left.
    assert 7 * 3600 < body["time_left_seconds"] <= 8 * 3600
    waiting = make_ticket(desk, status=TicketStatus.WAITING, first_response_due=None, resolution_due=None)
    assert bearer(org, "care").get(detail(waiting)).json()["time_left_seconds"] is None


def test_a_change_sends_its_version_and_a_stale_one_is_a_409(org, desk):
    ticket = make_ticket(desk)
    api = bearer(org, "care")
    changed = patch(
        api, detail(ticket), {"subject": "Điều hòa chảy nước", "priority": "urgent", "version": 1}
    )
    assert changed.status_code == 200, changed.json()
    assert (changed.json()["subject"], changed.json()["priority"]) == ("Điều hòa chảy nước", "urgent")
    assert changed.json()["version"] == 2
    stale = patch(api, detail(ticket), {"subject": "Điều hòa kêu to", "version": 1})
    assert stale.status_code == 409
    assert stale.json()["code"] == "conflict" and stale.json()["current_version"] == 2
    assert Ticket.objects.get(pk=ticket.pk).subject == "Điều hòa chảy nước"


def test_a_new_assignee_is_an_agent_id(org, desk):
    ticket = make_ticket(desk)
    changed = patch(bearer(org, "care"), detail(ticket), {"assignee": org["tech"].pk, "version": 1})
    assert changed.status_code == 200, changed.json()
    assert changed.json()["assignee"] == org["tech"].pk
    assert Ticket.objects.get(pk=ticket.pk).owner == org["tech"]


def test_a_status_sent_with_patch_is_a_transition(org, desk):
    ticket = make_ticket(desk)
    api = bearer(org, "care")
    opened = patch(api, detail(ticket), {"status": "open", "version": 1})
    assert opened.status_code == 200, opened.json()
    assert opened.json()["status"] == "open"
    assert Event.objects.filter(type="ticket.status_changed", subject_id=ticket.pk).count() == 1
    refused = patch(api, detail(ticket), {"status": "closed"})  # open → closed is not on the map
    assert refused.status_code == 400 and refused.json()["code"] == "invalid"
    assert Ticket.objects.get(pk=ticket.pk).status == TicketStatus.OPEN


def test_a_status_change_with_a_stale_version_is_a_409(org, desk):
    ticket = make_ticket(desk)
    Ticket.objects.filter(pk=ticket.pk).update(version=3)
    stale = patch(bearer(org, "care"), detail(ticket), {"status": "open", "version": 2})
    assert stale.status_code == 409 and stale.json()["current_version"] == 3
    assert Ticket.objects.get(pk=ticket.pk).status == TicketStatus.NEW


def test_a_new_ticket_cannot_start_in_another_status(org, desk):
    response = post(bearer(org, "care"), URL, {"subject": "Bảo hành", "status": "resolved"})
    assert response.status_code == 400 and "status" in response.json()["errors"]
    assert not Ticket.all_objects.exists()


def test_delete_needs_the_delete_right(org, desk):
    ticket = make_ticket(desk, owner="manager")
    assert bearer(org, "care").delete(detail(ticket)).status_code == 403  # care: no delete right
    assert Ticket.objects.filter(pk=ticket.pk).exists()
    assert bearer(org, "manager").delete(detail(ticket)).status_code == 204
    assert not Ticket.objects.filter(pk=ticket.pk).exists()
    assert Ticket.all_objects.get(pk=ticket.pk).deleted_at is not None


# --- actions --------------------------------------------------------------------------------------


def test_transition_action_moves_along_the_map_with_a_note(org, desk):
    ticket = make_ticket(desk)
    api = bearer(org, "care")
    moved = post(api, f"{detail(ticket)}transition/", {"status": "waiting", "note": "Chờ khách gửi ảnh"})
    assert moved.status_code == 200, moved.json()
    assert moved.json()["status"] == "waiting"
    assert post(api, f"{detail(ticket)}transition/", {"status": "open"}).json()["status"] == "open"
    refused = post(api, f"{detail(ticket)}transition/", {"status": "new"})
    assert refused.status_code == 400
    assert post(api, f"{detail(ticket)}transition/", {"status": "gone"}).status_code == 400
    assert post(api, f"{detail(ticket)}transition/", {}).status_code == 400
    assert Ticket.objects.get(pk=ticket.pk).status == TicketStatus.OPEN


def test_escalate_sends_the_ticket_to_second_line_once(org, desk):
    ticket = make_ticket(desk)
    api = bearer(org, "care")
    escalated = post(api, f"{detail(ticket)}escalate/", {"note": "Cần kỹ thuật kiểm tra gas"})
    assert escalated.status_code == 200, escalated.json()
    body = escalated.json()
    assert (body["line"], body["queue"], body["assignee"]) == ("second", desk.second.pk, org["tech"].pk)
    assert Event.objects.filter(type="ticket.escalated", subject_id=ticket.pk).count() == 1
    note = TicketMessage.objects.get(ticket=ticket, kind=MessageKind.NOTE)
    assert "gas" in note.body
    again = post(api, f"{detail(ticket)}escalate/", {"note": "Lần nữa"})
    assert again.status_code == 400
    assert Event.objects.filter(type="ticket.escalated", subject_id=ticket.pk).count() == 1


def test_reply_emails_the_customer_with_the_ticket_number(org, desk, django_capture_on_commit_callbacks):
    ticket = make_ticket(desk)
    with django_capture_on_commit_callbacks(execute=True):
        response = post(bearer(org, "care"), f"{detail(ticket)}reply/", {"body": "Kỹ thuật sẽ đến lúc 9h."})
    assert response.status_code == 201, response.json()
    assert (response.json()["kind"], response.json()["ticket"]) == ("reply", ticket.pk)
    assert [m.to for m in mail.outbox] == [["tuyet@example.vn"]]
    assert ticket.number in mail.outbox[0].subject
    assert Ticket.objects.get(pk=ticket.pk).first_responded_at is not None


def test_notes_and_messages(org, desk):
    ticket = make_ticket(desk)
    api = bearer(org, "care")
    first = post(api, f"{detail(ticket)}notes/", {"body": "Khách khó tính, gọi trước 17h."})
    assert first.status_code == 201, first.json()
    assert (first.json()["kind"], first.json()["author"]) == ("note", org["care"].pk)
    post(api, f"{detail(ticket)}notes/", {"body": "Đã hẹn lịch."})
    messages = api.get(f"{detail(ticket)}messages/")
    assert messages.status_code == 200
    assert [m["body"] for m in messages.json()] == ["Khách khó tính, gọi trước 17h.", "Đã hẹn lịch."]


@pytest.mark.parametrize("path", ["reply", "notes"])
@pytest.mark.parametrize("body", [{}, {"body": ""}, {"body": "x" * 20_001}, {"body": ["a"]}, [1, 2]])
def test_a_message_needs_a_body(org, desk, path, body):
    ticket = make_ticket(desk)
    response = post(bearer(org, "care"), f"{detail(ticket)}{path}/", body)
    assert response.status_code == 400, response.content
    assert not TicketMessage.objects.exists()


# --- filters and sorting --------------------------------------------------------------------------


def test_filters(org, desk):
    a = make_ticket(desk, priority="urgent", category=desk.cooling, breached=True)
    b = make_ticket(desk, status=TicketStatus.RESOLVED, category=desk.billing, contact=desk.far_customer)
    c = make_ticket(desk, owner="tech", queue=desk.second, line=Line.SECOND, category=desk.technical)
    d = make_ticket(desk, status=TicketStatus.WAITING, subject="Hóa đơn VAT sai tên", resolution_due=None)
    api = bearer(org, "care")

    def found(query: str) -> set[int]:
        return set(ids(api.get(f"{URL}?{query}")))

    assert found("status=resolved") == {b.pk}
    assert found("priority=urgent") == {a.pk}
    assert found("line=second") == {c.pk}
    assert found(f"queue={desk.second.pk}") == {c.pk}
    assert found(f"assignee={org['tech'].pk}") == {c.pk}
    assert found(f"contact={desk.far_customer.pk}") == {b.pk}
    assert found("breached=true") == {a.pk}
    assert found("breached=false") == {b.pk, c.pk, d.pk}
    assert found(f"category={desk.technical.pk}") == {a.pk, c.pk}  # with the categories under it
    assert found(f"category={desk.cooling.pk}") == {a.pk}
    assert found("open=true") == {a.pk, c.pk, d.pk}
    assert found("open=false") == {b.pk}
    assert found("q=VAT") == {d.pk}


@pytest.mark.parametrize(
    "query",
    [
        "status=lost",
        "priority=critical",
        "line=third",
        "queue=abc",
        f"queue={HIDDEN}",
        "assignee=x",
        "contact=abc",
        f"contact={HIDDEN}",
        "breached=maybe",
        "open=yes%20please",
        "category=-1",
        "ordering=subject;DROP TABLE support_ticket",
        "ordering=owner__password",
        "page_size=0",
        "page_size=1000000",
        "cursor=forged",
        "q=" + "x" * 101,
    ],
)
def test_a_bad_filter_is_a_400(org, desk, query):
    make_ticket(desk)
    response = bearer(org, "care").get(f"{URL}?{query}")
    assert response.status_code == 400, (query, response.content)
    assert response.json()["code"] == "invalid"


def test_a_contact_outside_the_scope_filters_like_one_that_does_not_exist(org, desk):
    make_ticket(desk, owner="manager", contact=desk.far_customer)
    manager = bearer(org, "manager")
    hidden = manager.get(f"{URL}?contact={desk.far_customer.pk}")
    missing = manager.get(f"{URL}?contact={HIDDEN}")
    assert hidden.status_code == missing.status_code == 400
    assert hidden.json()["errors"].keys() == missing.json()["errors"].keys() == {"contact"}


def test_sorted_by_next_due_the_most_urgent_first_and_none_last_across_pages(org, desk):
    now = timezone.now()
    answered = {"first_responded_at": now, "first_response_due": now}

    def due(hours: float | None):
        return make_ticket(
            desk, resolution_due=now + dt.timedelta(hours=hours) if hours is not None else None, **answered
        )

    later, paused, sooner, late = (
        due(5),
        make_ticket(desk, status=TicketStatus.WAITING, resolution_due=None, first_response_due=None),
        due(1),
        due(-2),
    )
    api = bearer(org, "care")
    assert ids(api.get(f"{URL}?ordering=next_due")) == [late.pk, sooner.pk, later.pk, paused.pk]
    # One per page: the cursor walks through the ticket without a due time too.
    seen, url = [], f"{URL}?ordering=next_due&page_size=1"
    while url:
        page = api.get(url)
        assert page.status_code == 200, page.content
        seen += [row["id"] for row in page.json()["results"]]
        url = page.json()["next"]
    assert seen == [late.pk, sooner.pk, later.pk, paused.pk]
    assert ids(api.get(f"{URL}?ordering=-resolution_due"))[-1] == late.pk


# --- the access gate ------------------------------------------------------------------------------


def test_a_role_without_customer_care_gets_403(org, desk):
    ticket = make_ticket(desk)
    sales = bearer(org, "sales1")
    assert sales.get(URL).status_code == 403
    assert post(sales, URL, {"subject": "Thử"}).status_code == 403
    assert sales.get(detail(ticket)).status_code in (403, 404)
    assert post(sales, f"{detail(ticket)}escalate/", {}).status_code in (403, 404)
    assert Ticket.objects.get(pk=ticket.pk).line == Line.FIRST


def test_no_credentials_is_a_401(desk):
    from django.test import Client

    assert Client().get(URL).status_code == 401


def test_care_sees_every_ticket_and_a_manager_their_teams_and_queues(org, desk):
    mine = make_ticket(desk, owner="manager")
    teammates = make_ticket(desk, owner="sales1")  # Hà Nội team, like the manager
    cares = make_ticket(desk, owner="care")  # no team, first-line queue
    seconds = make_ticket(desk, owner="tech", queue=desk.second, line=Line.SECOND)
    every = {mine.pk, teammates.pk, cares.pk, seconds.pk}
    assert set(ids(bearer(org, "care").get(URL))) == every
    assert set(ids(bearer(org, "manager").get(URL))) == {mine.pk, teammates.pk}
    # Tech's scope is their queues' tickets (second line).
    assert set(ids(bearer(org, "tech").get(URL))) == {seconds.pk}
    desk.first.members.add(org["manager"])
    assert set(ids(bearer(org, "manager").get(URL))) == {mine.pk, teammates.pk, cares.pk}


def test_a_ticket_outside_the_scope_answers_exactly_like_a_missing_one(org, desk):
    ticket = make_ticket(desk, owner="care")
    manager = bearer(org, "manager")
    for method, suffix, body in (
        ("get", "", None),
        ("patch", "", {"subject": "Đổi"}),
        ("delete", "", None),
        ("post", "escalate/", {"note": "x"}),
        ("post", "transition/", {"status": "open"}),
        ("post", "reply/", {"body": "x"}),
        ("post", "notes/", {"body": "x"}),
        ("get", "messages/", None),
    ):
        call = getattr(manager, method)
        kwargs = {"data": body, "content_type": "application/json"} if body is not None else {}
        hidden = call(f"{URL}{ticket.pk}/{suffix}", **kwargs)
        missing = call(f"{URL}{HIDDEN}/{suffix}", **kwargs)
        assert hidden.status_code == missing.status_code == 404, (method, suffix)
        assert hidden.json() == missing.json()
    unchanged = Ticket.objects.get(pk=ticket.pk)
    assert (unchanged.subject, unchanged.status, unchanged.line, unchanged.version) == (
        ticket.subject,
        "new",
        "first",
        1,
    )
    assert not TicketMessage.objects.exists()


def test_a_link_outside_the_scope_is_refused_like_a_missing_id(org, desk):
    manager = bearer(org, "manager")
    hidden = post(manager, URL, {"subject": "Khách HCM", "contact": desk.far_customer.pk})
    missing = post(manager, URL, {"subject": "Khách HCM", "contact": HIDDEN})
    assert hidden.status_code == missing.status_code == 400
    assert hidden.json()["errors"]["contact"] == [
        m.replace(str(HIDDEN), str(desk.far_customer.pk)) for m in missing.json()["errors"]["contact"]
    ]
    ticket = make_ticket(desk, owner="manager")
    moved = patch(manager, detail(ticket), {"contact": desk.far_customer.pk})
    assert moved.status_code == 400 and "contact" in moved.json()["errors"]
    assert Ticket.objects.get(pk=ticket.pk).contact == desk.customer
    assert not Ticket.objects.filter(contact=desk.far_customer).exists()


# --- bad input ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "subject"),
        ({"subject": ""}, "subject"),
        ({"subject": "x" * 201}, "subject"),
        ({"subject": {"a": 1}}, "subject"),
        ({"description": "x" * 20_001}, "description"),
        ({"priority": "critical"}, "priority"),
        ({"priority": 3}, "priority"),
        ({"channel": "fax"}, "channel"),
        ({"contact": "abc"}, "contact"),
        ({"contact": HIDDEN}, "contact"),
        ({"contact": [1]}, "contact"),
        ({"account": HIDDEN}, "account"),
        ({"category": HIDDEN}, "category"),
        ({"queue": "first"}, "queue"),
        ({"assignee": HIDDEN}, "assignee"),
        ({"assignee": None}, "assignee"),
        ({"order": HIDDEN}, "order"),
        ({"contract": HIDDEN}, "contract"),
        ({"product": 1.5}, "product"),
        ({"requester_email": "not an email"}, "requester_email"),
        ({"requester_name": "x" * 151}, "requester_name"),
        ({"version": "one"}, "version"),
    ],
)
def test_bad_input_is_a_400_on_the_field(org, desk, body, field):
    response = post(bearer(org, "care"), URL, {"subject": "Thử", **body} if field != "subject" else body)
    assert response.status_code == 400, response.content
    assert field in response.json()["errors"], response.json()
    assert not Ticket.all_objects.exists()


@pytest.mark.parametrize("raw", ["[1, 2]", "null", '"x"', "{", "\u0000"])
def test_a_body_that_is_not_an_object_is_a_400(org, desk, raw):
    response = bearer(org, "care").generic("POST", URL, raw.encode(), content_type="application/json")
    assert response.status_code == 400, response.content
    assert not Ticket.all_objects.exists()


def test_an_unknown_ticket_or_a_non_numeric_id_is_a_404(org, desk):
    api = bearer(org, "care")
    assert api.get(f"{URL}{HIDDEN}/").status_code == 404
    assert api.get(f"{URL}abc/").status_code == 404
    assert api.get(f"{URL}{10**30}/").status_code == 404


# --- the list's cost and the CSV export ------------------------------------------------------------


def test_the_list_costs_the_same_queries_for_3_or_30_tickets(org, desk, django_assert_max_num_queries):
    api = bearer(org, "care")
    for _ in range(3):
        make_ticket(desk, category=desk.cooling)
    api.get(URL)  # warm the caches (content types, the role's grants)
    with CaptureQueriesContext(connection) as few:
        assert len(ids(api.get(URL))) == 3
    for n in range(27):
        make_ticket(desk, owner="tech" if n % 2 else "care", queue=desk.second if n % 3 else desk.first)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(ids(api.get(f"{URL}?ordering=next_due"))) == 30


def test_csv_export_needs_the_export_right_and_keeps_the_scope(org, desk):
    make_ticket(desk, subject='=HYPERLINK("http://evil")')
    make_ticket(desk, owner="tech", queue=desk.second, line=Line.SECOND)
    response = bearer(org, "care").get(f"{URL}?format=csv")
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    header, *rows = text.strip().splitlines()
    assert header.split(",")[:3] == ["id", "url", "number"] and len(rows) == 2
    assert "'=HYPERLINK" in text  # defused
    assert bearer(org, "tech").get(f"{URL}?format=csv").status_code == 403  # tech: no export right
