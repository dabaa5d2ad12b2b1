"""The two real formats: Asterisk AMI events forwarded as JSON (legs grouped by Linkedid) and Stringee's
signed event_url calls; each adapter off while its secret is not set."""

# The shared fixtures are imported: arguments naming them redefine nothing.
# ruff: noqa: F811

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

import pytest

from sencrm.support.models import Call, CallDirection, CallOutcome, TelephonyEvent
from sencrm.support.tests.telephony_helpers import CALLER_E164, customer, listening, phones  # noqa: F401

pytestmark = pytest.mark.django_db

AMI_URL = "/api/v1/telephony/asterisk/"
STRINGEE_URL = "/api/v1/telephony/stringee/"
AMI_TOKEN = "ami-forwarder-token-2026"
STRINGEE_SECRET = "stringee-signing-secret"
T0 = time.time() - 600  # ten minutes ago, in AMI's seconds since the epoch


@pytest.fixture
def adapters(settings):
    settings.TELEPHONY_ASTERISK_TOKEN = AMI_TOKEN
    settings.TELEPHONY_STRINGEE_SECRET = STRINGEE_SECRET


def ami(client, body, token=AMI_TOKEN):
    headers = {"X-Telephony-Token": token} if token else {}
    return client.post(AMI_URL, data=json.dumps(body), content_type="application/json", headers=headers)


def leg(event, uniqueid, linkedid="1741000000.1", at=0.0, **fields):
    """An AMI event of a channel, with the fields Asterisk sends (values are strings)."""
    body = {
        "Event": event,
        "Privilege": "call,all",
        "Channel": "PJSIP/trunk-viettel-00000001",
        "ChannelState": "0",
        "ChannelStateDesc": "Down",
        "CallerIDNum": "<unknown>",
        "CallerIDName": "<unknown>",
        "ConnectedLineNum": "<unknown>",
        "Context": "from-trunk",
        "Exten": "s",
        "Priority": "1",
        "Uniqueid": uniqueid,
        "Linkedid": linkedid,
        "Timestamp": f"{T0 + at:.6f}",
    }
    body.update(fields)
    return body


def incoming_call(agent_extension="101", linkedid="1741000000.1"):
    """A customer calls the hotline; the queue rings the agent's phone; the agent answers; both hang up."""
    agent = {
        "Channel": f"PJSIP/{agent_extension}-00000002",
        "CallerIDNum": agent_extension,
        "Context": "from-internal",
        "Exten": agent_extension,
    }
    customer_leg = {"CallerIDNum": "0912345678", "CallerIDName": "0912345678", "Exten": "02873001234"}
    return [
        leg("Newchannel", linkedid, linkedid, 0, **customer_leg),
        leg(
            "Newstate", linkedid, linkedid, 1, ChannelState="6", ChannelStateDesc="Up", **customer_leg
        ),  # the IVR answers
        leg("Newchannel", "1741000000.2", linkedid, 12, **agent),
        leg(
            "Newstate", "1741000000.2", linkedid, 12.5, ChannelState="5", ChannelStateDesc="Ringing", **agent
        ),
        leg("Newstate", "1741000000.2", linkedid, 20, ChannelState="6", ChannelStateDesc="Up", **agent),
        leg("Hangup", "1741000000.2", linkedid, 95, Cause="16", **agent),
        leg("Hangup", linkedid, linkedid, 95.2, Cause="16", **customer_leg),
    ]


def test_ami_legs_are_grouped_by_linkedid_into_one_call(client, adapters, phones, customer):
    results = [ami(client, message) for message in incoming_call()]
    assert [r.status_code for r in results] == [200] * 7
    answers = [r.json() for r in results]
    assert answers[0] == {"duplicate": False, "call_id": "1741000000.1", "event": "origin"}
    assert (
        answers[1]["ignored"] and answers[3]["ignored"] and answers[5]["ignored"]
    )  # IVR, ringing state, agent hangup
    call = Call.objects.get()
    assert (call.call_id, call.provider, call.owner, call.extension) == (
        "1741000000.1",
        "asterisk",
        phones["care"],
        "101",
    )
    assert (call.number, call.contact, call.direction) == (CALLER_E164, customer, CallDirection.INBOUND)
    assert (call.answered_at - call.started_at).total_seconds() == pytest.approx(8, abs=0.01)
    assert call.duration == 75 and call.outcome == ""
    assert sorted(TelephonyEvent.objects.values_list("event", flat=True)) == [
        "answered",
        "ended",
        "origin",
        "ringing:101",
    ]


def test_ami_events_in_a_batch_and_replayed(client, adapters, phones, customer):
    response = ami(client, incoming_call())
    assert response.status_code == 200
    assert len(response.json()["results"]) == 7
    again = ami(client, incoming_call()).json()["results"]
    assert all(r.get("duplicate") or r.get("ignored") for r in again)
    assert Call.objects.count() == 1


def test_a_ring_group_pops_on_every_agent_and_the_one_who_answers_owns_the_call(
    client, adapters, phones, customer, django_capture_on_commit_callbacks
):
    linkedid = "1741000100.1"
    first = leg("Newchannel", linkedid, linkedid, 0, CallerIDNum="0912345678", Exten="02873001234")
    ring = [
        leg(
            "Newchannel",
            f"1741000100.{n}",
            linkedid,
            3,
            Channel=f"PJSIP/{ext}-0000000{n}",
            CallerIDNum=ext,
            Exten=ext,
        )
        for n, ext in ((2, "101"), (3, "104"))
    ]
    up = leg(
        "Newstate",
        "1741000100.3",
        linkedid,
        9,
        Channel="PJSIP/104-00000003",
        CallerIDNum="104",
        ChannelState="6",
    )
    with listening(f"user:{phones['care'].pk}") as care, listening(f"user:{phones['care2'].pk}") as care2:
        with django_capture_on_commit_callbacks(execute=True):
            for message in (first, *ring):
                assert ami(client, message).status_code == 200
        assert [m["event"] for m in care(1.0)] == ["ringing"]
        assert [m["event"] for m in care2(1.0)] == ["ringing"]
        with django_capture_on_commit_callbacks(execute=True):
            ami(client, up)
        assert [m["event"] for m in care2(1.0)] == ["answered"]
    call = Call.objects.get()
    assert (call.owner, call.extension) == (phones["care2"], "104")


def test_an_agent_dialling_out_pops_the_card_of_whom_they_call(client, adapters, phones, customer):
    linkedid = "1741000200.1"
    agent = {
        "Channel": "PJSIP/101-00000009",
        "CallerIDNum": "101",
        "Exten": "0912345678",
        "Context": "from-internal",
    }
    trunk = {"Channel": "PJSIP/trunk-viettel-0000000a", "CallerIDNum": "0912345678", "Exten": "0912345678"}
    for message in (
        leg("Newchannel", linkedid, linkedid, 0, **agent),
        leg("Newchannel", "1741000200.2", linkedid, 1, **trunk),
        leg("Newstate", "1741000200.2", linkedid, 6, ChannelState="6", **trunk),
        leg("Hangup", linkedid, linkedid, 66, **agent),
    ):
        assert ami(client, message).status_code == 200
    call = Call.objects.get()
    assert (call.direction, call.owner, call.contact, call.duration) == (
        CallDirection.OUTBOUND,
        phones["care"],
        customer,
        60,
    )


def test_internal_calls_and_other_events_are_ignored(client, adapters, phones):
    linkedid = "1741000300.1"
    internal = [
        leg(
            "Newchannel", linkedid, linkedid, 0, Channel="PJSIP/103-1", CallerIDNum="103", Exten="102"
        ),  # agent to agent
        leg("Newchannel", "1741000300.2", linkedid, 1, Channel="PJSIP/102-2", CallerIDNum="102", Exten="102"),
        leg("Hangup", linkedid, linkedid, 9, Channel="PJSIP/103-1", CallerIDNum="103"),
        {"Event": "PeerStatus", "Peer": "PJSIP/101", "PeerStatus": "Reachable"},
        {"Event": "FullyBooted"},
    ]
    for message in internal:
        response = ami(client, message)
        assert response.status_code == 200
    assert not Call.objects.exists()


def test_a_missed_incoming_call_on_asterisk(client, adapters, phones, customer):
    messages = [m for m in incoming_call() if m.get("ChannelState") != "6" or m["Uniqueid"] == m["Linkedid"]]
    for message in messages:
        ami(client, message)
    assert Call.objects.get().outcome == CallOutcome.MISSED


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"Event": "Newchannel", "Uniqueid": "1.1"}, "Linkedid"),
        ({"Event": "Hangup", "Linkedid": "1.1"}, "Linkedid"),
        (leg("Newchannel", "1.1", "1.1", Timestamp="soon"), "Timestamp"),
        (leg("Newchannel", "1.1", "1.1", Timestamp="99999999999"), "Timestamp"),
    ],
)
def test_ami_bad_events_are_a_400(client, adapters, body, field):
    response = ami(client, body)
    assert response.status_code == 400 and field in response.json()["errors"]
    assert not TelephonyEvent.objects.exists()


def test_ami_bad_batches(client, adapters, phones):
    assert ami(client, ["not an object"]).status_code == 400
    assert ami(client, [leg("Hangup", "1.1", "1.1")] * 501).status_code == 400
    response = client.post(
        AMI_URL, data=b"\xff", content_type="application/json", headers={"X-Telephony-Token": AMI_TOKEN}
    )
    assert response.status_code == 400


def test_the_ami_door_is_closed_without_the_token(client, settings, phones):
    settings.TELEPHONY_ASTERISK_TOKEN = ""
    assert ami(client, incoming_call()[0], token="anything").status_code == 404
    settings.TELEPHONY_ASTERISK_TOKEN = AMI_TOKEN
    assert ami(client, incoming_call()[0], token="wrong-token").status_code == 403
    assert ami(client, incoming_call()[0], token=None).status_code == 403
    assert client.get(AMI_URL, headers={"X-Telephony-Token": AMI_TOKEN}).status_code == 405
    assert not TelephonyEvent.objects.exists()


# --- Stringee --------------------------------------------------------------------------------------------


def stringee_body(status, call_id="call-vn-1-ABCD-1741000000", **extra):
    body = {
        "call_status": status,
        "project_id": 25,
        "account_sid": "AC0123",
        "timestamp_ms": int(T0 * 1000),
        "from": {"number": "84912345678", "alias": "84912345678", "is_online": False, "type": "external"},
        "to": {"number": "101", "alias": "101", "is_online": True, "type": "internal"},
        "type": "stringee_call",
        "call_id": call_id,
    }
    body.update(extra)
    return json.dumps(body).encode()


def signed(raw, secret=STRINGEE_SECRET):
    return base64.b64encode(hmac.new(secret.encode(), raw, hashlib.sha1).digest()).decode()


def stringee(client, raw, signature=None):
    headers = {"X-Stringee-Signature": signed(raw) if signature is None else signature}
    return client.post(STRINGEE_URL, data=raw, content_type="application/json", headers=headers)


def test_a_signed_stringee_call_is_logged(client, adapters, phones, customer):
    assert stringee(client, stringee_body("created")).json() == {"ignored": True}
    assert stringee(client, stringee_body("ringing")).status_code == 200
    assert stringee(client, stringee_body("answered", timestamp_ms=int((T0 + 4) * 1000))).status_code == 200
    ended = stringee_body(
        "ended", timestamp_ms=int((T0 + 50) * 1000), duration=50, answerDuration=46, endedBy="EXTERNAL"
    )
    assert stringee(client, ended).json()["duplicate"] is False
    assert stringee(client, ended).json()["duplicate"] is True
    call = Call.objects.get()
    assert (call.provider, call.owner, call.contact, call.number) == (
        "stringee",
        phones["care"],
        customer,
        CALLER_E164,
    )
    assert call.duration == 46 and call.ended_at is not None


def test_stringee_signature_and_switch(client, settings, phones):
    settings.TELEPHONY_STRINGEE_SECRET = STRINGEE_SECRET
    raw = stringee_body("ringing")
    assert stringee(client, raw, signature="").status_code == 403
    assert stringee(client, raw, signature=signed(raw, "another-secret")).status_code == 403
    assert stringee(client, raw + b" ", signature=signed(raw)).status_code == 403  # the body was changed
    settings.TELEPHONY_STRINGEE_SECRET = ""
    assert stringee(client, raw).status_code == 404
    assert not TelephonyEvent.objects.exists() and not Call.objects.exists()


@pytest.mark.parametrize(
    "raw",
    [
        b"[1, 2]",
        b"not json",
        stringee_body(None),
        stringee_body("ringing", call_id=""),
        stringee_body("ringing", **{"from": "84912345678"}),
        stringee_body("ringing", to={"number": "101", "type": "robot"}),
        stringee_body("ringing", timestamp_ms=99_999_999_999_999),
    ],
)
def test_signed_stringee_nonsense_is_a_400(client, adapters, phones, raw):
    assert stringee(client, raw).status_code == 400
    assert not TelephonyEvent.objects.exists()


def test_an_app_to_app_stringee_call_is_ignored(client, adapters, phones):
    raw = stringee_body("ringing", **{"from": {"number": "102", "type": "internal"}})
    assert stringee(client, raw).json() == {"ignored": True}
    assert not Call.objects.exists()
