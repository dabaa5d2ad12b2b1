"""`POST /api/v1/telephony/events/`: token auth, bad input, replays, the call logged from ringing to its end
(owner by extension, customer by number, duration, missed), and the live message to the agent."""

# The shared fixtures are imported: arguments naming them redefine nothing.
# ruff: noqa: F811

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from sencrm.events.models import Event
from sencrm.support.models import Call, CallDirection, CallOutcome, TelephonyEvent
from sencrm.support.tests.telephony_helpers import (  # noqa: F401  (fixtures)
    CALLER_E164,
    customer,
    event,
    iso,
    listening,
    phones,
    post_event,
    token_for,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def switchboard(phones):
    """The telephony system's token: the care agent's (care may create customer-care records)."""
    return token_for(phones["care"])


def test_ringing_logs_the_call_for_the_agent_of_the_extension(client, switchboard, phones, customer):
    response = post_event(client, switchboard, event("ringing", extension="102"))
    assert response.status_code == 200, response.content
    body = response.json()
    call = Call.objects.get()
    assert body == {
        "duplicate": False,
        "call_id": "call-1",
        "event": "ringing",
        "call": call.pk,
        "owner": phones["manager"].pk,
    }
    assert (call.owner, call.contact, call.account) == (phones["manager"], customer, customer.account)
    assert (call.number, call.direction, call.extension, call.provider) == (
        CALLER_E164,
        "inbound",
        "102",
        "api",
    )
    assert call.answered_at is None and call.ended_at is None and call.outcome == ""
    created = Event.objects.get(type="call.created")
    assert (created.customer_type, created.customer_id) == (
        ContentType.objects.get_for_model(customer),
        customer.pk,
    )
    assert created.actor == phones["care"]  # the token's user, through the API token door
    assert TelephonyEvent.objects.filter(call_id="call-1", event="ringing").count() == 1


def test_a_replayed_event_is_a_duplicate_and_changes_nothing(client, switchboard, customer):
    assert post_event(client, switchboard, event("ringing")).status_code == 200
    assert post_event(client, switchboard, event("ended")).status_code == 200
    before = (Event.objects.count(), TelephonyEvent.objects.count(), Call.objects.get().version)
    for kind in ("ringing", "ended"):
        response = post_event(client, switchboard, event(kind))
        assert response.status_code == 200
        assert response.json() == {"duplicate": True, "call_id": "call-1", "event": kind}
    assert (Event.objects.count(), TelephonyEvent.objects.count(), Call.objects.get().version) == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (event("hangup"), "event"),
        (event("ringing", call_id=None), "call_id"),
        (event("ringing", call_id=""), "call_id"),
        (event("ringing", call_id="x" * 121), "call_id"),
        (event("ringing", call_id=["a"]), "call_id"),
        (event("ringing", at="yesterday"), "at"),
        (event("ringing", at="2026-02-30T10:00:00+07:00"), "at"),
        (event("ringing", at="1990-01-01T10:00:00+07:00"), "at"),
        (event("ringing", at="2999-01-01T10:00:00+07:00"), "at"),
        (event("ringing", at=12345), "at"),
        (event("ringing", **{"from": "not a number"}), "from"),
        (event("ringing", **{"from": "12345"}), "from"),
        (event("ringing", **{"from": None}), "from"),
        (event("ringing", **{"from": {"number": "0912345678"}}), "from"),
        (event("ringing", direction="outbound", to="abc"), "to"),
        (event("ringing", direction="sideways"), "direction"),
        (event("ringing", extension="1" * 21), "extension"),
        (event("ended", duration=-5), "duration"),
        (event("ended", duration=True), "duration"),
        (event("ended", recording_url="javascript:alert(1)"), "recording_url"),
    ],
)
def test_bad_input_is_a_400_naming_the_field_and_stores_nothing(client, switchboard, body, field):
    response = post_event(client, switchboard, body)
    assert response.status_code == 400, response.content
    assert response.json()["code"] == "invalid"
    assert field in response.json()["errors"]
    assert not TelephonyEvent.objects.exists() and not Call.objects.exists()


@pytest.mark.parametrize("body", [[event("ringing")], "ringing", None, 42])
def test_a_body_that_is_not_an_object_is_a_400(client, switchboard, body):
    response = post_event(client, switchboard, body)
    assert response.status_code == 400
    assert not TelephonyEvent.objects.exists()


def test_a_body_that_is_not_json_is_a_400(client, switchboard):
    response = client.post(
        "/api/v1/telephony/events/", data=b"{not json", content_type="application/json",
        headers={"Authorization": f"Bearer {switchboard}"},
    )  # fmt: skip
    assert response.status_code == 400
    assert not TelephonyEvent.objects.exists()


def test_credentials(client, org, phones):
    assert post_event(client, None, event("ringing")).status_code == 401
    assert post_event(client, "sen_not-a-real-token", event("ringing")).status_code == 401
    # A signed-in browser session is not a telephony system: only tokens open this door.
    client.force_login(org["care"])
    assert post_event(client, None, event("ringing")).status_code == 401
    client.logout()
    # A token whose user may not create customer-care records (sales has no customer care at all).
    response = post_event(client, token_for(org["sales1"]), event("ringing"))
    assert response.status_code == 403
    assert not TelephonyEvent.objects.exists() and not Call.objects.exists()


def test_answered_then_ended_logs_the_duration_on_the_customers_timeline(
    client, switchboard, phones, customer
):
    start = timezone.now().replace(microsecond=0) - dt.timedelta(minutes=5)
    post_event(client, switchboard, event("ringing", at=iso(start)))
    post_event(client, switchboard, event("answered", at=iso(start + dt.timedelta(seconds=7))))
    response = post_event(client, switchboard, event("ended", at=iso(start + dt.timedelta(seconds=97))))
    assert response.status_code == 200
    call = Call.objects.get()
    assert call.started_at == start
    assert call.answered_at == start + dt.timedelta(seconds=7)
    assert call.ended_at == start + dt.timedelta(seconds=97)
    assert call.duration == 90 and call.outcome == ""
    ended = Event.objects.get(type="call.ended")
    assert ended.customer_id == customer.pk and ended.data["duration"] == 90
    assert ended.data["changes"]["duration"] == [0, 90]
    assert Event.objects.filter(type="call.started", subject_id=call.pk).count() == 1


def test_a_call_nobody_answered_is_missed(client, switchboard, customer):
    post_event(client, switchboard, event("ringing"))
    post_event(client, switchboard, event("ended"))
    call = Call.objects.get()
    assert (call.outcome, call.duration) == (CallOutcome.MISSED, 0)
    assert call.ended_at is not None


def test_an_outgoing_call_nobody_answered_is_no_answer(client, switchboard, customer):
    body = {"direction": "outbound", "from": "101", "to": "0912.345.678"}
    post_event(client, switchboard, event("ringing", **body))
    post_event(client, switchboard, event("ended", **body))
    call = Call.objects.get()
    assert (call.direction, call.number, call.contact) == (CallDirection.OUTBOUND, CALLER_E164, customer)
    assert call.outcome == CallOutcome.NO_ANSWER


def test_an_extension_nobody_has_gives_the_call_to_the_tokens_user(client, switchboard, phones):
    post_event(client, switchboard, event("ringing", extension="999", **{"from": "0987 654 321"}))
    call = Call.objects.get()
    assert call.owner == phones["care"] and call.contact is None and call.number == "+84987654321"


def test_the_talk_time_and_recording_the_system_reports_win(client, switchboard, customer):
    post_event(client, switchboard, event("ringing"))
    post_event(client, switchboard, event("answered"))
    post_event(
        client, switchboard, event("ended", duration=42, recording_url="https://pbx.example.vn/r/1.mp3")
    )
    call = Call.objects.get()
    assert (call.duration, call.recording_url) == (42, "https://pbx.example.vn/r/1.mp3")


def test_an_end_without_its_ringing_needs_the_number(client, switchboard, customer):
    response = post_event(client, switchboard, event("ended", call_id="late", **{"from": None}))
    assert response.status_code == 400 and "call_id" in response.json()["errors"]
    assert not TelephonyEvent.objects.exists()
    # With the number, the call is logged all the same (its ringing was lost on the way).
    assert post_event(client, switchboard, event("ended", call_id="late")).status_code == 200
    call = Call.objects.get(call_id="late")
    assert call.contact == customer and call.outcome == CallOutcome.MISSED


def test_events_after_the_end_change_nothing(client, switchboard, customer):
    post_event(client, switchboard, event("ringing"))
    post_event(client, switchboard, event("ended"))
    version = Call.objects.get().version
    assert post_event(client, switchboard, event("answered")).status_code == 200
    assert Call.objects.get().version == version and Call.objects.get().answered_at is None


def test_a_time_without_offset_is_read_in_vietnam(client, switchboard, customer):
    post_event(client, switchboard, event("ringing", at="2026-03-02T09:30:00"))
    assert Call.objects.get().started_at == dt.datetime(2026, 3, 2, 2, 30, tzinfo=dt.UTC)


def test_ringing_tells_the_agents_browser_after_the_commit(
    client, switchboard, phones, customer, django_capture_on_commit_callbacks
):
    with listening(f"user:{phones['care'].pk}") as received:
        with django_capture_on_commit_callbacks(execute=True):
            post_event(client, switchboard, event("ringing"))
            assert received(0.05) == []  # nothing before the commit
        messages = received(1.0)
        call = Call.objects.get()
        assert messages == [
            {
                "type": "call",
                "event": "ringing",
                "call": call.pk,
                "number": "0912 345 678",
                "card": f"/care/calls/{call.pk}/card/",
            }
        ]
        with django_capture_on_commit_callbacks(execute=True):
            post_event(client, switchboard, event("ended"))
        assert [m["event"] for m in received(1.0)] == ["ended"]


def test_another_agents_channel_hears_nothing(
    client, switchboard, phones, customer, django_capture_on_commit_callbacks
):
    with listening(f"user:{phones['manager'].pk}") as received:
        with django_capture_on_commit_callbacks(execute=True):
            post_event(client, switchboard, event("ringing", extension="101"))
        assert received(0.2) == []
