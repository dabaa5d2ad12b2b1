"""The Zalo OA webhook receiver, fed real-format events signed as Zalo signs them
(X-ZEvent-Signature: mac = sha256(app_id + body + timestamp + OA secret key))."""

from __future__ import annotations

import json

import pytest

from sencrm.marketing.models import Conversation, ConversationMessage
from sencrm.marketing.tests import inbound_helpers
from sencrm.marketing.tests.inbound_helpers import (
    ZALO_APP_ID,
    ZALO_OA,
    local,
    ms,
    post_zalo,
    zalo_message,
    zalo_sign,
)
from sencrm.sales.models import Lead

pytestmark = pytest.mark.django_db
# The shared fixtures, used by name.
zalo_channel = inbound_helpers.zalo_channel

USER = "246845883529197922"


def _stored() -> tuple[int, int]:
    return Conversation.objects.count(), ConversationMessage.objects.count()


def test_a_signed_message_is_stored_once_and_a_phone_makes_the_lead(client, zalo_channel, org):
    first = zalo_message(USER, "Chào OA, em cần tư vấn máy lọc nước", "96d3cdf3af150460909", local(1, 8))
    for _attempt in range(2):
        response = post_zalo(client, first)
        assert response.status_code == 200 and response.content == b"EVENT_RECEIVED"
    assert _stored() == (1, 1) and Lead.objects.count() == 0
    post_zalo(client, zalo_message(USER, "Số của em: +84 912 345 678", "a1b2c3", local(10, 8, 15)))
    lead = Lead.objects.get()
    conversation = Conversation.objects.get()
    assert (conversation.page_id, conversation.platform_user_id, conversation.lead) == (ZALO_OA, USER, lead)
    assert lead.source.code == "zalo" and lead.first_touch_at == local(1, 8)
    assert [p.e164 for p in lead.phones.all()] == ["+84912345678"]
    assert "Zalo" in lead.full_name and lead.first_campaign is None


@pytest.mark.parametrize("how", ["missing", "wrong key", "other app id", "tampered body", "no mac= prefix"])
def test_a_bad_signature_is_403_and_stores_nothing(client, zalo_channel, how):
    payload = zalo_message(USER, "Xin chào", "m1", local(1, 8))
    raw = json.dumps(payload).encode()
    ts = payload["timestamp"]
    header = {
        "missing": "",
        "wrong key": zalo_sign(raw, ts, key="guess"),
        "other app id": zalo_sign(raw, ts, app_id="1"),
        "tampered body": zalo_sign(raw.replace(b"Xin", b"Bye"), ts),
        "no mac= prefix": zalo_sign(raw, ts)[4:],
    }[how]
    response = post_zalo(client, raw, header=header)
    assert response.status_code == 403
    assert _stored() == (0, 0)


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (lambda p: p.update(sender={"id": 246845883529197922}), "sender.id"),
        (lambda p: p.update(message="Xin chào"), "message"),
        (lambda p: p["message"].pop("msg_id"), "msg_id"),
        (lambda p: p.update(timestamp="15 giờ"), "timestamp"),
        (lambda p: p.update(event_name=None), "event_name"),
    ],
)
def test_wrong_types_in_a_signed_event_are_400(client, zalo_channel, change, words):
    payload = zalo_message(USER, "Xin chào", "m1", local(1, 8))
    change(payload)
    response = post_zalo(client, payload)
    assert response.status_code == 400
    assert words in response.json()["message"]
    assert _stored() == (0, 0)


def test_a_body_that_is_not_json_or_too_big_stores_nothing(client, zalo_channel):
    assert post_zalo(client, b"{oops", header="mac=00").status_code == 400
    big = zalo_message(USER, "ạ" * 600_000, "m_big", local(1, 8))
    assert post_zalo(client, big).status_code == 413
    assert _stored() == (0, 0)


def test_other_events_are_acknowledged_and_oa_replies_join_the_thread(client, zalo_channel):
    post_zalo(client, zalo_message(USER, "Giá bao nhiêu ạ?", "m_in", local(1, 8)))
    follow = {
        "app_id": ZALO_APP_ID,
        "oa_id": ZALO_OA,
        "event_name": "follow",
        "timestamp": str(ms(local(1, 8, 9))),
        "source": "oa_profile",
        "follower": {"id": USER},
        "user_id_by_app": "552177279717587730",
    }
    assert post_zalo(client, follow).status_code == 200
    reply = zalo_message(ZALO_OA, "Dạ 8.900.000đ ạ", "m_out", local(1, 8, 10, 3), event="oa_send_text")
    reply["recipient"] = {"id": USER}
    assert post_zalo(client, reply).status_code == 200
    conversation = Conversation.objects.get()
    assert [(m.direction, m.text) for m in conversation.messages.all()] == [
        ("in", "Giá bao nhiêu ạ?"),
        ("out", "Dạ 8.900.000đ ạ"),
    ]


def test_a_zalo_message_with_the_number_of_a_facebook_lead_finds_that_lead(client, zalo_channel, org):
    from sencrm.sales.services.leads import lead_create

    lead = lead_create(actor=org["sales1"], data={"full_name": "Lê Thu Hà"}, phones=["0987 654 321"])
    post_zalo(client, zalo_message(USER, "em Hà đây, 0987654321", "m_ha", local(2, 8)))
    conversation = Conversation.objects.get()
    lead.refresh_from_db()
    assert conversation.lead == lead and Lead.objects.count() == 1
    assert lead.first_touch_at == local(2, 8)
