"""The Facebook Page webhook receiver, fed real-format deliveries signed as Meta signs them."""

from __future__ import annotations

import json

import pytest

from sencrm.events.models import Event
from sencrm.marketing.models import Conversation, ConversationMessage
from sencrm.marketing.tests import inbound_helpers
from sencrm.marketing.tests.inbound_helpers import (
    FB_PAGE,
    FB_URL,
    FB_VERIFY_TOKEN,
    fb_message,
    fb_sign,
    local,
    ms,
    post_fb,
)
from sencrm.sales.models import Lead

pytestmark = pytest.mark.django_db
# The shared fixtures, used by name.
fanpage_campaign = inbound_helpers.fanpage_campaign
fb_channel = inbound_helpers.fb_channel


def _stored() -> tuple[int, int]:
    return Conversation.objects.count(), ConversationMessage.objects.count()


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"hub.mode": "subscribe", "hub.verify_token": FB_VERIFY_TOKEN, "hub.challenge": "1158201444"}, 200),
        ({"hub.mode": "subscribe", "hub.verify_token": "guess", "hub.challenge": "1158201444"}, 403),
        ({"hub.mode": "unsubscribe", "hub.verify_token": FB_VERIFY_TOKEN, "hub.challenge": "1"}, 403),
        ({"hub.mode": "subscribe", "hub.challenge": "1158201444"}, 403),
    ],
)
def test_handshake_echoes_the_challenge_only_for_our_verify_token(client, fb_channel, params, status):
    response = client.get(FB_URL, params)
    assert response.status_code == status
    if status == 200:
        assert response["Content-Type"].startswith("text/plain")
        assert response.content == b"1158201444"


def test_handshake_before_any_setup_is_refused(client, db):
    response = client.get(FB_URL, {"hub.mode": "subscribe", "hub.verify_token": "", "hub.challenge": "1"})
    assert response.status_code == 403


def test_a_signed_message_is_stored_once_even_when_delivered_again(client, fb_channel, fanpage_campaign):
    text = "Chào shop, điều hòa Daikin 12.000BTU giá bao nhiêu ạ? 😊"
    payload = fb_message("6483920174625531", text, "m_AbC123", local(1, 8))
    for _attempt in range(3):  # Messenger retries a delivery it thinks failed
        response = post_fb(client, payload)
        assert response.status_code == 200
        assert response.content == b"EVENT_RECEIVED"
    conversation = Conversation.objects.get()
    assert (conversation.platform, conversation.page_id, conversation.platform_user_id) == (
        "facebook",
        FB_PAGE,
        "6483920174625531",
    )
    assert conversation.message_count == 1 and conversation.status == "new"
    assert conversation.first_message_at == local(1, 8)
    assert conversation.campaign == fanpage_campaign  # the page's default campaign
    message = ConversationMessage.objects.get()
    assert message.text == text and message.direction == "in"
    created = Event.objects.get(type="conversation.created")
    assert created.subject_id == conversation.pk and created.customer_id is None
    assert created.occurred_at == local(1, 8)


def test_unicode_is_stored_as_nfc_and_big_text_is_kept(client, fb_channel):
    decomposed = "Nguye\u0302\u0303n Thi\u0323 A\u0301nh"  # NFD, as some phones send it
    post_fb(client, fb_message("1", decomposed + "\n" + "x" * 1900, "m_1", local(2, 8)))
    stored = ConversationMessage.objects.get().text
    assert stored.startswith("Nguyễn Thị Ánh\n") and len(stored) == len("Nguyễn Thị Ánh\n") + 1900


@pytest.mark.parametrize(
    "how", ["missing", "wrong secret", "tampered body", "sha1 scheme", "garbage", "inactive channel"]
)
def test_a_bad_signature_is_403_and_stores_nothing(client, fb_channel, how):
    payload = fb_message("6483920174625531", "Xin chào", "m_bad", local(1, 8))
    raw = json.dumps(payload).encode()
    header = {
        "missing": "",
        "wrong secret": fb_sign(raw, "not-the-secret"),
        "tampered body": fb_sign(raw.replace(b"Xin", b"Bye")),
        "sha1 scheme": "sha1=" + fb_sign(raw)[7:47],
        "garbage": "sha256=zz",
        "inactive channel": fb_sign(raw),
    }[how]
    if how == "inactive channel":
        fb_channel.is_active = False
        fb_channel.save(update_fields=["is_active"])
    response = post_fb(client, raw, header=header)
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert _stored() == (0, 0)
    assert not Event.objects.filter(type__startswith="conversation.").exists()


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (b"{not json", "JSON"),
        (b"\xff\xfe{}", "JSON"),
        (b"[" * 100_000 + b"]" * 100_000, "JSON"),
        (b"[]", "JSON object"),
        (json.dumps({"object": "instagram", "entry": []}).encode(), '"page"'),
        (json.dumps({"object": "page", "entry": {"id": "1"}}).encode(), '"entry"'),
        (json.dumps({"object": "page", "entry": [{"id": 104857392018475, "messaging": []}]}).encode(), "id"),
    ],
)
def test_a_signed_body_that_is_not_a_page_delivery_is_400(client, fb_channel, body, words):
    response = post_fb(client, body)
    assert response.status_code == 400
    assert words in response.json()["message"]
    assert _stored() == (0, 0)


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (lambda e: e.update(sender={"id": 6483920174625531}), "sender.id"),
        (lambda e: e.update(timestamp="1754017200000"), "timestamp"),
        (lambda e: e.update(timestamp=True), "timestamp"),
        (lambda e: e.update(timestamp=10**20), "timestamp"),
        (lambda e: e.update(message="Xin chào"), "message"),
        (lambda e: e["message"].update(text=["a"]), "message.text"),
        (lambda e: e["message"].pop("mid"), "message.mid"),
        (lambda e: e["message"].update(attachments={"type": "image"}), "attachments"),
    ],
)
def test_wrong_types_in_a_signed_delivery_are_400_and_nothing_of_it_is_stored(
    client, fb_channel, change, words
):
    payload = fb_message("6483920174625531", "Tin 1", "m_ok", local(1, 8))
    bad = fb_message("999", "Tin 2", "m_bad", local(1, 8))["entry"][0]["messaging"][0]
    change(bad)
    payload["entry"][0]["messaging"].append(bad)  # a good event and a bad one: all or nothing
    response = post_fb(client, payload)
    assert response.status_code == 400
    assert words in response.json()["message"]
    assert _stored() == (0, 0)


def test_a_body_over_one_megabyte_is_refused_unread(client, fb_channel):
    payload = fb_message("1", "a" * (1024 * 1024), "m_big", local(1, 8))
    response = post_fb(client, payload)
    assert response.status_code == 413
    assert _stored() == (0, 0)


def test_events_that_are_not_messages_are_acknowledged_and_echoes_join_the_thread(client, fb_channel):
    psid = "6483920174625531"
    post_fb(client, fb_message(psid, "Cho em hỏi giá", "m_in", local(1, 8)))
    delivery = {
        "object": "page",
        "entry": [
            {
                "id": FB_PAGE,
                "time": ms(local(1, 8, 11)),
                "messaging": [
                    {
                        "sender": {"id": psid},
                        "recipient": {"id": FB_PAGE},
                        "timestamp": ms(local(1, 8, 11)),
                        "delivery": {"mids": ["m_out"], "watermark": ms(local(1, 8, 11))},
                    },
                    {
                        "sender": {"id": psid},
                        "recipient": {"id": FB_PAGE},
                        "timestamp": ms(local(1, 8, 11)),
                        "read": {"watermark": ms(local(1, 8, 11))},
                    },
                ],
            }
        ],
    }
    assert post_fb(client, delivery).status_code == 200
    assert _stored() == (1, 1)
    echo = fb_message(FB_PAGE, "Dạ giá 12.500.000đ ạ", "m_out", local(1, 8, 10, 5), is_echo=True)
    echo["entry"][0]["messaging"][0]["recipient"] = {"id": psid}
    stranger_echo = fb_message(FB_PAGE, "Chào bạn", "m_out2", local(1, 8, 10, 6), is_echo=True)
    stranger_echo["entry"][0]["messaging"][0]["recipient"] = {"id": "555"}
    assert post_fb(client, echo).status_code == 200
    assert post_fb(client, stranger_echo).status_code == 200
    conversation = Conversation.objects.get()
    assert [(m.direction, m.text) for m in conversation.messages.all()] == [
        ("in", "Cho em hỏi giá"),
        ("out", "Dạ giá 12.500.000đ ạ"),
    ]


def test_another_page_of_the_same_app_is_left_out(client, fb_channel):
    response = post_fb(client, fb_message("1", "Xin chào", "m_other", local(1, 8), page="222"))
    assert response.status_code == 200
    assert _stored() == (0, 0)


def test_an_ad_referral_credits_the_ads_campaign(client, fb_channel, org):
    from sencrm.events.services import record_create
    from sencrm.marketing.models import Campaign

    ad_campaign = record_create(
        Campaign,
        actor=org["marketing"],
        data={"name": "Quảng cáo inverter", "channel": "facebook_ads", "start_date": local(1, 8).date(),
              "utm_campaign": "120210000000001"},
    )  # fmt: skip
    payload = fb_message("77", "Tư vấn giúp em", "m_ad", local(3, 8))
    payload["entry"][0]["messaging"][0]["referral"] = {
        "ref": "inverter",
        "ad_id": "120210000000001",
        "source": "ADS",
        "type": "OPEN_THREAD",
    }
    assert post_fb(client, payload).status_code == 200
    assert Conversation.objects.get().campaign == ad_campaign


def test_the_seeds_story_first_touch_is_the_first_message_not_the_day_of_the_phone(
    client, fb_channel, fanpage_campaign, org
):
    from sencrm.events.selectors import customer_timeline

    psid = "6483920174625531"
    post_fb(client, fb_message(psid, "Shop ơi điều hòa 2 chiều còn hàng không?", "m_0108", local(1, 8, 10)))
    conversation = Conversation.objects.get()
    assert conversation.lead_id is None and Lead.objects.count() == 0

    post_fb(client, fb_message(psid, "sdt của em là 0912 345 678, gọi em nhé", "m_1008", local(10, 8, 15)))
    lead = Lead.objects.get()
    conversation.refresh_from_db()
    assert conversation.lead == lead and conversation.phone == "+84912345678"
    assert lead.first_touch_at == local(1, 8, 10)
    assert [p.e164 for p in lead.phones.all()] == ["+84912345678"]
    assert lead.source.code == "facebook"
    assert lead.first_campaign == fanpage_campaign and lead.latest_campaign == fanpage_campaign
    assert lead.owner == org["admin"]  # who set the page up
    assert lead.full_name.startswith("Người dùng Facebook") and "625531" in lead.full_name
    assert "điều hòa 2 chiều" in lead.interest
    converted = Event.objects.get(type="conversation.converted")
    assert converted.customer_id == lead.pk

    # The conversation is on the lead's timeline.
    events, _next = customer_timeline(user=org["admin"], customer=lead)
    assert "conversation.converted" in {e.type for e in events}

    # Days later another account writes with the same number (another format): the same lead.
    post_fb(client, fb_message("7700112233", "Em là chị của bạn 84912345678 ạ", "m_2008", local(20, 8, 9)))
    other = Conversation.objects.get(platform_user_id="7700112233")
    assert other.lead == lead and Lead.objects.count() == 1
    lead.refresh_from_db()
    assert lead.first_touch_at == local(1, 8, 10)  # an earlier touch is kept
    linked = Event.objects.get(type="conversation.linked")
    assert linked.subject_id == other.pk and linked.customer_id == lead.pk


def test_a_phone_of_an_existing_contact_links_it_and_moves_its_first_touch_earlier(
    client, fb_channel, fanpage_campaign, make_contact
):
    contact = make_contact(full_name="Trần Văn Bình", phones=["+84 903 111 222"])
    assert contact.first_touch_at is None
    post_fb(client, fb_message("42", "Alo shop", "m_a", local(5, 8, 8)))
    post_fb(client, fb_message("42", "Số em 0903.111.222", "m_b", local(6, 8, 8)))
    conversation = Conversation.objects.get()
    contact.refresh_from_db()
    assert conversation.contact == contact and Lead.objects.count() == 0
    assert contact.first_touch_at == local(5, 8, 8)
    assert contact.first_campaign == fanpage_campaign
    assert Event.objects.filter(type="conversation.linked", customer_id=contact.pk).exists()


@pytest.mark.django_db(transaction=True)
def test_two_deliveries_of_the_same_message_at_once_store_it_once(fb_channel):
    """Messenger may deliver twice in parallel: the second insert meets the unique key and counts as a
    duplicate (PostgreSQL runs them truly at once; SQLite serialises writers)."""
    import threading

    from django.db import connection
    from django.test import Client

    if connection.vendor != "postgresql":
        pytest.skip("needs concurrent writers")
    payload = fb_message("6483920174625531", "Em cần tư vấn", "m_twice", local(1, 8))
    barrier = threading.Barrier(2)
    answers: list[int] = []

    def deliver() -> None:
        from django.db import connections

        try:
            barrier.wait()
            answers.append(post_fb(Client(), payload).status_code)
        finally:
            connections.close_all()

    workers = [threading.Thread(target=deliver) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert answers == [200, 200]
    assert _stored() == (1, 1)
    assert Event.objects.filter(type="conversation.created").count() == 1
