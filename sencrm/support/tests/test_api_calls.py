"""`/api/v1/calls/`, the call log: the contract's fields, logging and completing a call through the call
services (the call-back follow-up), the filters (by contact above all), the access gate and bad input."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from sencrm.activities.models import Activity
from sencrm.events.models import Event
from sencrm.support.models import Call
from sencrm.support.tests.api_helpers import HIDDEN, bearer, care_desk, make_call, make_ticket, patch, post

URL = "/api/v1/calls/"
CONTRACT = ("id", "contact", "direction", "started_at", "duration", "outcome", "agent", "ticket")


@pytest.fixture
def desk(org, make_contact):
    return care_desk(org, make_contact)


def detail(call) -> str:
    return f"{URL}{call.pk}/"


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def when(minutes_ago: int) -> str:
    return (timezone.now() - dt.timedelta(minutes=minutes_ago)).isoformat()


def test_an_agent_logs_a_call_with_the_fields_of_the_contract(org, desk):
    ticket = make_ticket(desk)
    started = timezone.now() - dt.timedelta(minutes=20)
    response = post(
        bearer(org, "care"),
        URL,
        {
            "contact": desk.customer.pk,
            "direction": "outbound",
            "started_at": started.isoformat(),
            "duration": 95,
            "outcome": "reached",
            "notes": "Khách hài lòng sau khi bảo hành.",
            "recording_url": "https://tongdai.example.vn/ghi-am/123.mp3",
            "ticket": ticket.pk,
        },
    )
    assert response.status_code == 201, response.json()
    created = response.json()
    assert set(CONTRACT) <= set(created)
    assert (created["contact"], created["direction"], created["duration"], created["outcome"]) == (
        desk.customer.pk,
        "outbound",
        95,
        "reached",
    )
    assert (created["agent"], created["ticket"], created["version"]) == (org["care"].pk, ticket.pk, 1)
    call = Call.objects.get(pk=created["id"])
    assert call.ended_at == call.started_at + dt.timedelta(seconds=95)
    assert Event.objects.filter(type="call.created", subject_id=call.pk).count() == 1


def test_a_number_alone_finds_its_customer(org, desk):
    response = post(bearer(org, "care"), URL, {"number": "0912 345 678", "duration": 30})
    assert response.status_code == 201, response.json()
    assert (response.json()["number"], response.json()["contact"]) == ("+84912345678", desk.customer.pk)


def test_a_call_needs_a_customer_or_a_number(org, desk):
    response = post(bearer(org, "care"), URL, {"duration": 30, "outcome": "reached"})
    assert response.status_code == 400 and response.json()["code"] == "invalid"
    assert not Call.objects.exists()


def test_call_back_needs_its_time_and_adds_the_follow_up_task(org, desk):
    api = bearer(org, "care")
    missing = post(api, URL, {"contact": desk.customer.pk, "outcome": "call_back"})
    assert missing.status_code == 400 and "callback_at" in missing.json()["errors"]
    at = timezone.now() + dt.timedelta(days=1)
    response = post(
        api, URL, {"contact": desk.customer.pk, "outcome": "call_back", "callback_at": at.isoformat()}
    )
    assert response.status_code == 201, response.json()
    task = Activity.objects.get(contact=desk.customer)
    assert (task.owner, abs((task.due_at - at).total_seconds()) < 1) == (org["care"], True)


def test_an_agent_completes_a_call_with_its_version(org, desk):
    call = make_call(desk, outcome="")
    api = bearer(org, "care")
    changed = patch(api, detail(call), {"outcome": "no_answer", "notes": "Thuê bao", "version": 1})
    assert changed.status_code == 200, changed.json()
    assert (changed.json()["outcome"], changed.json()["notes"], changed.json()["version"]) == (
        "no_answer",
        "Thuê bao",
        2,
    )
    stale = patch(api, detail(call), {"outcome": "reached", "version": 1})
    assert stale.status_code == 409 and stale.json()["current_version"] == 2
    assert Call.objects.get(pk=call.pk).outcome == "no_answer"


def test_what_the_telephony_system_reported_is_not_rewritten(org, desk):
    call = make_call(desk, provider="generic", call_id="abc-1", direction="inbound")
    response = patch(bearer(org, "care"), detail(call), {"duration": 1, "notes": "x"})
    assert response.status_code == 400 and "duration" in response.json()["errors"]
    assert Call.objects.get(pk=call.pk).duration == 95


def test_calls_are_never_deleted_nor_replaced(org, desk):
    call = make_call(desk)
    api = bearer(org, "care")
    assert api.delete(detail(call)).status_code == 405
    assert api.put(detail(call), {"notes": "x"}, content_type="application/json").status_code == 405
    assert Call.objects.filter(pk=call.pk).exists()


def test_filters(org, desk):
    ticket = make_ticket(desk)
    a = make_call(desk, started_at=timezone.now() - dt.timedelta(days=3))
    b = make_call(desk, contact=desk.far_customer, direction="inbound", outcome="missed", ticket=ticket)
    c = make_call(desk, owner="tech", outcome="no_answer")
    api = bearer(org, "care")

    def found(query: str) -> set[int]:
        return set(ids(api.get(f"{URL}?{query}")))

    assert found(f"contact={desk.customer.pk}") == {a.pk, c.pk}
    assert found(f"contact={desk.far_customer.pk}") == {b.pk}
    assert found(f"agent={org['tech'].pk}") == {c.pk}
    assert found(f"ticket={ticket.pk}") == {b.pk}
    assert found("direction=inbound") == {b.pk}
    assert found("outcome=no_answer") == {c.pk}
    day_ago = (timezone.now() - dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%S%z")
    assert found(f"started_before={day_ago.replace('+', '%2B')}") == {a.pk}
    assert found(f"started_after={day_ago.replace('+', '%2B')}") == {b.pk, c.pk}
    assert ids(api.get(f"{URL}?ordering=started_at"))[0] == a.pk


@pytest.mark.parametrize(
    "query",
    [
        "contact=abc",
        f"contact={HIDDEN}",
        f"ticket={HIDDEN}",
        "agent=me",
        "direction=sideways",
        "outcome=great",
        "started_after=yesterday",
        "started_before=2026-13-45",
        "ordering=notes",
        "ordering=-duration;DROP",
        "page_size=-1",
    ],
)
def test_a_bad_filter_is_a_400(org, desk, query):
    make_call(desk)
    response = bearer(org, "care").get(f"{URL}?{query}")
    assert response.status_code == 400, (query, response.content)


# --- the access gate ------------------------------------------------------------------------------


def test_a_role_without_customer_care_gets_403(org, desk):
    sales = bearer(org, "sales1")
    assert sales.get(URL).status_code == 403
    assert post(sales, URL, {"contact": desk.customer.pk}).status_code == 403
    assert not Call.objects.exists()


def test_care_sees_every_call_and_a_manager_their_teams(org, desk):
    cares = make_call(desk)
    managers = make_call(desk, owner="manager")
    teammates = make_call(desk, owner="sales1")
    techs = make_call(desk, owner="tech")
    assert set(ids(bearer(org, "care").get(URL))) == {cares.pk, managers.pk, teammates.pk, techs.pk}
    assert set(ids(bearer(org, "manager").get(URL))) == {managers.pk, teammates.pk}
    assert set(ids(bearer(org, "tech").get(URL))) == {techs.pk}


def test_a_call_outside_the_scope_answers_exactly_like_a_missing_one(org, desk):
    call = make_call(desk)
    manager = bearer(org, "manager")
    for method, body in (("get", None), ("patch", {"notes": "x", "outcome": "busy"})):
        kwargs = {"data": body, "content_type": "application/json"} if body else {}
        hidden = getattr(manager, method)(detail(call), **kwargs)
        missing = getattr(manager, method)(f"{URL}{HIDDEN}/", **kwargs)
        assert hidden.status_code == missing.status_code == 404
        assert hidden.json() == missing.json()
    unchanged = Call.objects.get(pk=call.pk)
    assert (unchanged.notes, unchanged.outcome, unchanged.version) == ("", "reached", 1)


@pytest.mark.parametrize("field", ["contact", "ticket"])
def test_a_link_outside_the_scope_is_refused_like_a_missing_id(org, desk, field):
    hidden_ids = {"contact": desk.far_customer.pk, "ticket": make_ticket(desk, owner="care").pk}
    manager = bearer(org, "manager")
    base = {"contact": desk.customer.pk, "duration": 10}
    hidden = post(manager, URL, {**base, field: hidden_ids[field]})
    missing = post(manager, URL, {**base, field: HIDDEN})
    assert hidden.status_code == missing.status_code == 400
    assert hidden.json()["errors"][field] == [
        m.replace(str(HIDDEN), str(hidden_ids[field])) for m in missing.json()["errors"][field]
    ]
    assert not Call.objects.exists()


# --- bad input ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"duration": -1}, "duration"),
        ({"duration": 10**9}, "duration"),
        ({"duration": "abc"}, "duration"),
        ({"duration": 1.5}, "duration"),
        ({"direction": "sideways"}, "direction"),
        ({"outcome": "great"}, "outcome"),
        ({"recording_url": "javascript:alert(1)"}, "recording_url"),
        ({"recording_url": "JaVaScRiPt:alert(1)"}, "recording_url"),
        ({"recording_url": "data:text/html,<script>alert(1)</script>"}, "recording_url"),
        ({"started_at": "yesterday"}, "started_at"),
        ({"started_at": when(-24 * 60)}, "started_at"),  # tomorrow
        ({"callback_at": "soon"}, "callback_at"),
        ({"callback_at": when(-60)}, "callback_at"),  # without the outcome "call back"
        ({"notes": "x" * 10_001}, "notes"),
        ({"number": "not a number"}, "number"),
        ({"number": "9" * 41}, "number"),
        ({"contact": "abc"}, "contact"),
        ({"contact": HIDDEN}, "contact"),
        ({"account": HIDDEN}, "account"),
        ({"ticket": [1]}, "ticket"),
        ({"version": 0}, "version"),
    ],
)
def test_bad_input_is_a_400_on_the_field(org, desk, body, field):
    response = post(bearer(org, "care"), URL, {"contact": desk.customer.pk, "duration": 10, **body})
    assert response.status_code == 400, response.content
    assert field in response.json()["errors"], response.json()
    assert not Call.objects.exists()


def test_the_agent_and_computed_fields_cannot_be_set(org, desk):
    response = post(
        bearer(org, "care"),
        URL,
        {
            "contact": desk.customer.pk,
            "duration": 60,
            "agent": org["manager"].pk,
            "ended_at": "2000-01-01T00:00:00Z",
            "team": 1,
            "version": 9,
        },
    )
    assert response.status_code == 201, response.json()
    call = Call.objects.get(pk=response.json()["id"])
    assert (call.owner, call.version, call.ended_at.year > 2000) == (org["care"], 1, True)


# --- the list's cost and the CSV export ------------------------------------------------------------


def test_the_list_costs_the_same_queries_for_3_or_30_calls(org, desk, django_assert_max_num_queries):
    ticket = make_ticket(desk)
    api = bearer(org, "care")
    for _ in range(3):
        make_call(desk, ticket=ticket)
    api.get(URL)
    with CaptureQueriesContext(connection) as few:
        assert len(ids(api.get(URL))) == 3
    for n in range(27):
        make_call(desk, owner="tech" if n % 2 else "care", contact=desk.far_customer, ticket=ticket)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(ids(api.get(URL))) == 30


def test_csv_export_keeps_the_export_scope(org, desk):
    make_call(desk, notes="=cmd|' /C calc'!A0")
    response = bearer(org, "care").get(f"{URL}?format=csv&contact={desk.customer.pk}")
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert text.splitlines()[0].startswith("id,url,contact,") and "'=cmd" in text
    assert bearer(org, "tech").get(f"{URL}?format=csv").status_code == 403
