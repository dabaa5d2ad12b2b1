"""The conversation queue (pages and API), its actions and the access gate, and the receivers' settings."""

from __future__ import annotations

import itertools

import pytest

from sencrm.core.crypto import decrypt
from sencrm.events.models import Event
from sencrm.marketing.conversations import (
    Incoming,
    conversation_assign,
    conversations_new,
    conversations_receive,
)
from sencrm.marketing.models import Conversation, InboundChannel
from sencrm.marketing.tests import inbound_helpers
from sencrm.marketing.tests.inbound_helpers import (
    FB_APP_SECRET,
    FB_PAGE,
    local,
)
from sencrm.sales.models import Lead

pytestmark = pytest.mark.django_db
# The shared fixtures, used by name.
fanpage_campaign = inbound_helpers.fanpage_campaign
fb_channel = inbound_helpers.fb_channel
_ids = itertools.count(1)


def thread(
    user_id: str, text: str = "Xin chào shop", day: int = 1, platform: str = "facebook", name: str = ""
):
    n = next(_ids)
    conversations_receive(
        channel=InboundChannel.objects.filter(platform=platform).first(),
        messages=[
            Incoming(
                platform=platform,
                page_id=FB_PAGE,
                user_id=user_id,
                message_id=f"m_{n}",
                sent_at=local(day, 8, 10, n % 60),
                text=text,
                display_name=name,
            )
        ],
    )
    return Conversation.objects.get(platform=platform, platform_user_id=user_id)


@pytest.fixture
def queue(org, fb_channel):
    """sales1's thread, an unassigned one, and one taken by sales2."""
    mine = thread("100", "Điều hòa Panasonic 9000BTU", day=1, name="Phạm Thị Hoa")
    free = thread("200", "<script>alert(1)</script> giá?", day=2)
    theirs = thread("300", "Cho em báo giá", day=3)
    conversation_assign(mine, actor=org["sales1"], assignee=org["sales1"])
    conversation_assign(theirs, actor=org["sales2"], assignee=org["sales2"])
    return {"mine": mine, "free": free, "theirs": theirs}


def test_the_queue_shows_what_the_user_may_see_newest_message_first(client_as, queue):
    response = client_as("sales1").get("/conversations/")
    assert response.status_code == 200
    names = [str(c) for c in response.context["page"].rows]
    assert names == [str(queue["free"]), "Phạm Thị Hoa"]  # not sales2's; newest message first
    body = response.content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body and "<script>alert(1)" not in body
    assert "Điều hòa Panasonic 9000BTU" in body


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"mine": "mine"}, ["mine"]),
        ({"mine": "unassigned"}, ["free"]),
        ({"platform": "zalo"}, []),
        ({"q": "0912 345 678"}, []),
        ({"status": "closed"}, []),
    ],
)
def test_the_queue_filters(client_as, queue, params, expected):
    rows = client_as("sales1").get("/conversations/", params).context["page"].rows
    assert sorted(r.pk for r in rows) == sorted(queue[k].pk for k in expected)


@pytest.mark.parametrize(
    "params", [{"platform": "myspace"}, {"status": "lost"}, {"mine": "theirs"}, {"cursor": "x"}]
)
def test_a_bad_filter_is_a_400_with_the_reason(client_as, queue, params):
    response = client_as("admin").get("/conversations/", params)
    assert response.status_code == 400
    assert response.context["error"]


def test_the_list_costs_the_same_queries_for_many_rows(
    client_as, org, fb_channel, django_assert_max_num_queries
):
    for n in range(30):
        thread(f"9{n}", f"Tin nhắn {n} số 0912 000 {n:03d}")
    client = client_as("marketing")
    with django_assert_max_num_queries(14):
        response = client.get("/conversations/")
    assert len(response.context["page"].rows) == 30


def test_sales2_cannot_open_sales1s_thread_and_sees_the_unassigned_one(client_as, queue):
    client = client_as("sales2")
    assert client.get(f"/conversations/{queue['mine'].pk}/").status_code == 404
    assert client.get("/conversations/999999/").status_code == 404
    page = client.get(f"/conversations/{queue['free'].pk}/")
    assert page.status_code == 200 and "giá?" in page.content.decode()
    before = Conversation.objects.get(pk=queue["mine"].pk)
    for action in ("assign", "close", "convert"):
        response = client.post(f"/conversations/{queue['mine'].pk}/{action}/", {"version": 2, "assignee": 1})
        assert response.status_code == 404
    after = Conversation.objects.get(pk=queue["mine"].pk)
    assert (after.assignee_id, after.status, after.lead_id) == (before.assignee_id, before.status, None)


def test_assign_takes_a_thread_from_the_queue_and_refuses_someone_out_of_reach(client_as, org, queue):
    client = client_as("sales1")
    free = queue["free"]
    refused = client.post(f"/conversations/{free.pk}/assign/", {"assignee": org["sales2"].pk, "version": 1})
    assert refused.status_code == 400  # sales may only take it themselves
    assert Conversation.objects.get(pk=free.pk).assignee is None
    taken = client.post(f"/conversations/{free.pk}/assign/", {"assignee": org["sales1"].pk, "version": 1})
    assert taken.status_code == 302
    free.refresh_from_db()
    assert (free.assignee, free.status, free.version) == (org["sales1"], "open", 2)
    event = Event.objects.filter(type="conversation.assigned", subject_id=free.pk).get()
    assert event.actor == org["sales1"]
    stale = client_as("admin").post(
        f"/conversations/{free.pk}/assign/", {"assignee": org["sales2"].pk, "version": 1}
    )
    assert stale.status_code == 409
    manager = client_as("manager")  # a manager hands a thread to a member of their team
    assert (
        manager.post(
            f"/conversations/{free.pk}/assign/", {"assignee": org["sales1"].pk, "version": 2}
        ).status_code
        == 302
    )


def test_convert_makes_the_lead_in_one_step_and_only_once(client_as, org, queue, fanpage_campaign):
    client = client_as("sales1")
    mine = Conversation.objects.get(pk=queue["mine"].pk)
    response = client.post(f"/conversations/{mine.pk}/convert/", {"version": mine.version})
    lead = Lead.objects.get()
    assert response.status_code == 302 and response["Location"] == lead.get_absolute_url()
    assert (lead.full_name, lead.owner, lead.source.code) == ("Phạm Thị Hoa", org["sales1"], "facebook")
    assert lead.first_touch_at == mine.first_message_at and lead.first_campaign == fanpage_campaign
    assert not lead.phones.exists()
    mine.refresh_from_db()
    assert (mine.lead, mine.status) == (lead, "converted")
    event = Event.objects.get(type="conversation.converted")
    assert event.customer_id == lead.pk and event.actor == org["sales1"]
    again = client.post(f"/conversations/{mine.pk}/convert/", {"version": mine.version})
    assert again.status_code == 400 and Lead.objects.count() == 1


def test_a_role_without_lead_creation_cannot_convert(client_as, org, queue):
    # care sees no leads at all: the queue is not theirs
    assert client_as("care").get("/conversations/").status_code == 403
    assert (
        client_as("care").post(f"/conversations/{queue['free'].pk}/convert/", {"version": 1}).status_code
        == 404
    )


def test_close_takes_it_out_of_the_queue_and_a_new_message_brings_it_back(client_as, org, queue):
    free = queue["free"]
    assert client_as("sales1").post(f"/conversations/{free.pk}/close/", {"version": 1}).status_code == 302
    free.refresh_from_db()
    assert free.status == "closed"
    assert free not in conversations_new(org["sales1"])
    thread("200", "Em hỏi lại ạ", day=4)
    free.refresh_from_db()
    assert free.status == "new"
    assert conversations_new(org["sales1"], limit=5)[0] == free


def test_conversations_new_for_the_home_page(org, queue):
    found = conversations_new(org["sales2"], limit=10)
    assert found == [queue["free"]]
    assert found[0].last_text.startswith("<script>")


def test_api_list_detail_assign_and_convert(client_as, org, queue):
    client = client_as("sales2")
    listed = client.get("/api/v1/conversations/")
    assert listed.status_code == 200
    ids = {row["id"] for row in listed.json()["results"]}
    assert ids == {queue["free"].pk, queue["theirs"].pk}
    assert client.get(f"/api/v1/conversations/{queue['mine'].pk}/").status_code == 404
    detail = client.get(f"/api/v1/conversations/{queue['theirs'].pk}/").json()
    assert [m["text"] for m in detail["messages"]] == ["Cho em báo giá"]
    assert client.get("/api/v1/conversations/", {"status": "lost"}).status_code == 400
    exported = client.get("/api/v1/conversations/", {"format": "csv"})
    assert exported.status_code == 200 and "Cho em báo giá" in b"".join(exported.streaming_content).decode()
    assert client.get("/api/v1/conversations/", {"page_size": "-1"}).status_code == 400
    bad = client.post(
        f"/api/v1/conversations/{queue['free'].pk}/assign/",
        {"assignee": "x"},
        content_type="application/json",
    )
    assert bad.status_code == 400
    took = client.post(
        f"/api/v1/conversations/{queue['free'].pk}/assign/",
        {"assignee": org["sales2"].pk, "version": 1},
        content_type="application/json",
    )
    assert took.status_code == 200 and took.json()["assignee"] == org["sales2"].pk
    converted = client.post(
        f"/api/v1/conversations/{queue['free'].pk}/convert/", {}, content_type="application/json"
    )
    assert converted.status_code == 201
    assert Lead.objects.get(pk=converted.json()["lead"]).owner == org["sales2"]
    conflict = client.post(
        f"/api/v1/conversations/{queue['theirs'].pk}/convert/",
        {"version": 99},
        content_type="application/json",
    )
    assert conflict.status_code == 409


def test_settings_store_secrets_encrypted_and_never_show_them(client_as, org, fb_channel):
    client = client_as("admin")
    page = client.get("/marketing/inbound/")
    body = page.content.decode()
    assert page.status_code == 200
    assert FB_APP_SECRET not in body and "sen-verify-2026" not in body
    assert "/api/v1/inbound/facebook/" in body and "/api/v1/inbound/zalo/" in body
    stored = InboundChannel.objects.get(platform="facebook")
    assert FB_APP_SECRET not in stored.secret_encrypted and decrypt(stored.secret_encrypted) == FB_APP_SECRET
    # A blank secret keeps the stored one; a new verify token replaces the old.
    response = client.post(
        "/marketing/inbound/",
        {
            "platform": "facebook",
            "facebook-is_active": "on",
            "facebook-page_id": "5555",
            "facebook-token": "new-token",
        },
    )
    assert response.status_code == 302
    stored.refresh_from_db()
    assert (
        decrypt(stored.secret_encrypted) == FB_APP_SECRET and decrypt(stored.token_encrypted) == "new-token"
    )
    assert stored.page_id == "5555" and stored.updated_by == org["admin"]
    event = Event.objects.filter(type="inbound_channel.updated").latest("id")
    assert FB_APP_SECRET not in str(event.data) and "new-token" not in str(event.data)
    # Switching Zalo on without its secrets is refused.
    refused = client.post("/marketing/inbound/", {"platform": "zalo", "zalo-is_active": "on"})
    assert refused.status_code == 400
    assert not InboundChannel.objects.filter(platform="zalo", is_active=True).exists()


def test_settings_are_for_administrators_only(client_as, fb_channel):
    for username in ("marketing", "manager", "sales1"):
        client = client_as(username)
        assert client.get("/marketing/inbound/").status_code == 403
        assert (
            client.post("/marketing/inbound/", {"platform": "facebook", "facebook-page_id": "1"}).status_code
            == 403
        )
    assert InboundChannel.objects.get(platform="facebook").page_id == FB_PAGE
