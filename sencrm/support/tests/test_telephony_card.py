"""The caller's card (what the screen pop shows) through the agent's gate, its query count, the quick-create
of an unknown caller, the caller ID page's open tickets, and the live stream (server-sent events)."""

# The shared fixtures are imported: arguments naming them redefine nothing.
# ruff: noqa: F811

from __future__ import annotations

import asyncio
import json

import pytest
from asgiref.sync import async_to_sync
from django.test import AsyncClient
from django.urls import reverse

from sencrm.activities.services import activity_create
from sencrm.customers.models import Account, Contact
from sencrm.events.models import Event
from sencrm.support import live
from sencrm.support.models import Call
from sencrm.support.tests.telephony_helpers import (  # noqa: F401  (fixtures)
    CALLER,
    STRANGER,
    customer,
    event,
    make_invoice,
    make_order,
    make_ticket,
    phones,
    post_event,
    token_for,
)

pytestmark = pytest.mark.django_db
XSS = '"><img src=x onerror=alert(1)>'


def ring(client, phones, number=CALLER, extension="101", call_id="call-1"):
    token = token_for(phones["care"])
    response = post_event(
        client, token, event("ringing", call_id=call_id, extension=extension, **{"from": number})
    )
    assert response.status_code == 200, response.content
    return Call.objects.get(call_id=call_id)


def card_html(client, user, call):
    client.force_login(user)
    response = client.get(reverse("support:call_card", args=[call.pk]))
    assert response.status_code == 200, response.content
    return response.content.decode()


@pytest.fixture
def history(customer, org):
    """Six orders (the card shows five), invoices with a balance, open and closed tickets."""
    for n in range(6):
        make_order(customer, f"DH-2026-{n:04d}", 1_000_000 * (n + 1), days_ago=10 - n)
    make_invoice(customer, "HD-0001", 5_000_000, 2_000_000, days_ago=3)
    make_invoice(customer, "HD-0002", 1_500_000, 0, days_ago=2)
    make_ticket(customer, "SC000001", "Điều hòa không lạnh", status="open", owner=org["care"])
    make_ticket(customer, "SC000002", "Chảy nước dàn lạnh", status="waiting", owner=org["care"])
    make_ticket(customer, "SC000003", "Giao hàng trễ", status="closed", owner=org["care"])
    for subject in ("Gọi tư vấn", "Gửi báo giá", "Hẹn khảo sát", "Lắp đặt"):
        activity_create(actor=org["sales1"], data={"kind": "note", "subject": subject, "contact": customer})
    return customer


def test_the_card_shows_who_calls_and_their_history(client, org, phones, history):
    call = ring(client, phones)
    html = card_html(client, org["admin"], call)
    assert 'data-testid="caller-name"' in html and "Nguyễn Thị Ánh Tuyết" in html
    assert "Công ty TNHH Ánh Dương" in html  # the account
    assert "Nguyễn Văn Nam" in html  # the owner, sales1
    assert 'data-testid="caller-lifecycle">' in html
    assert "SC000001" in html and "SC000002" in html and "SC000003" not in html  # open tickets only
    assert "DH-2026-0005" in html and "DH-2026-0001" in html and "DH-2026-0000" not in html  # the last five
    assert "HD-0001" in html and "2.000.000 ₫" in html  # what is owed
    assert f'href="/tickets/new/?contact={history.pk}&amp;call={call.pk}"' in html
    assert 'data-testid="quick-create"' not in html
    assert html.count('data-event-type="') == 5  # the last five timeline entries


def test_the_card_goes_through_the_agents_gate(client, org, phones, history):
    call = ring(client, phones)
    # Care reads customers, orders and tickets, not invoices: no money on the card.
    html = card_html(client, org["care"], call)
    assert "Nguyễn Thị Ánh Tuyết" in html and "DH-2026-0005" in html
    assert 'data-testid="caller-invoices"' not in html and "HD-0001" not in html and "caller-owed" not in html
    # The manager (team Hà Nội) sees sales1's customer; a call of theirs to sales2's customer shows nothing.
    team = org["sales2"].teams.first()
    Contact.objects.filter(pk=history.pk).update(owner=org["sales2"], team=team)
    Account.objects.filter(pk=history.account_id).update(owner=org["sales2"], team=team)
    mine = ring(client, phones, extension="102", call_id="call-2")
    html = card_html(client, org["manager"], mine)
    assert 'data-testid="caller-hidden"' in html
    assert "Nguyễn Thị Ánh Tuyết" not in html and "DH-2026" not in html and "Ánh Dương" not in html
    assert 'data-testid="quick-create"' not in html  # no duplicate of someone they cannot see
    # Someone else's call: 404 like a missing one; a role without customer care: 403.
    client.force_login(org["manager"])
    assert client.get(reverse("support:call_card", args=[call.pk])).status_code == 404
    client.force_login(org["sales1"])
    assert client.get(reverse("support:call_card", args=[mine.pk])).status_code == 403


def test_the_cards_queries_do_not_grow_with_the_history(
    client, org, phones, customer, django_assert_max_num_queries
):
    call = ring(client, phones)
    client.force_login(org["admin"])
    url = reverse("support:call_card", args=[call.pk])
    client.get(url)  # warm the caches (content types, the user's grants)
    with django_assert_max_num_queries(16) as small:
        assert client.get(url).status_code == 200
    for n in range(20):
        make_order(customer, f"DH-{n:04d}", 100_000)
        make_invoice(customer, f"HD-{n:04d}", 100_000, 50_000)
        make_ticket(customer, f"SC{n:06d}", f"Sự cố {n}", owner=org["care"])
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert client.get(url).status_code == 200


def test_an_unknown_caller_gets_a_quick_create_form_with_the_number(client, org, phones):
    call = ring(client, phones, number=STRANGER, extension="103")
    html = card_html(client, org["admin"], call)
    assert 'data-testid="caller-unknown"' in html and 'data-testid="quick-create"' in html
    assert 'value="0987 654 321"' in html
    response = client.post(
        reverse("support:call_contact_create", args=[call.pk]), {"full_name": XSS, "phone": STRANGER}
    )
    assert response.status_code == 200
    contact = Contact.objects.get()
    assert contact.full_name.startswith('"><img') and contact.owner == org["admin"]
    call.refresh_from_db()
    assert call.contact == contact
    html = response.content.decode()
    assert "<img src=x" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert Event.objects.filter(type="call.updated", subject_id=call.pk).exists()


def test_the_quick_create_refuses_bad_input_and_roles_without_the_right(client, org, phones):
    call = ring(client, phones, number=STRANGER)
    client.force_login(org["admin"])
    url = reverse("support:call_contact_create", args=[call.pk])
    response = client.post(url, {"full_name": "", "phone": "not a phone"})
    assert response.status_code == 400 and 'class="invalid-feedback"' in response.content.decode()
    # Care may create the caller's contact from the card; a role without that right is refused.
    assert 'data-testid="quick-create"' in card_html(client, org["care"], call)
    client.force_login(org["board"])
    response = client.post(url, {"full_name": "Lý Văn Phúc", "phone": STRANGER})
    assert response.status_code in (403, 404)
    assert not Contact.objects.exists()
    assert client.get(url).status_code == 405


def test_caller_id_lists_the_open_tickets_of_the_number(client, org, history):
    client.force_login(org["care"])
    html = client.get(reverse("customers:caller_id"), {"phone": CALLER}).content.decode()
    assert "SC000001" in html and "SC000002" in html and "SC000003" not in html


# --- the live stream -------------------------------------------------------------------------------------


async def _read_stream(
    client: AsyncClient, url: str, until: int, publish: tuple[str, dict] | None = None
) -> list[str]:
    response = await client.get(url)
    assert response.status_code == 200 and response["Content-Type"].startswith("text/event-stream")
    chunks: list[str] = []
    stream = response.streaming_content.__aiter__()
    try:
        while len(chunks) < until:
            chunk = await asyncio.wait_for(stream.__anext__(), 2)
            chunks.append(chunk.decode() if isinstance(chunk, bytes) else chunk)
            if publish is not None and len(chunks) == 1:
                live.publish(*publish)
    finally:
        await stream.aclose()
    return chunks


def test_the_stream_sends_the_users_call_messages(org, settings):
    settings.LIVE_HEARTBEAT_SECONDS = 0.2
    client = AsyncClient()
    client.force_login(org["care"])
    message = {
        "type": "call",
        "event": "ringing",
        "call": 7,
        "number": "0912 345 678",
        "card": "/care/calls/7/card/",
    }
    chunks = async_to_sync(_read_stream)(client, "/live/events/", 3, (f"user:{org['care'].pk}", message))
    assert chunks[0].startswith("retry: 3000\n")
    assert chunks[1] == f"event: call\ndata: {json.dumps(message, ensure_ascii=False)}\n\n"
    assert chunks[2] == ": ping\n\n"  # nothing else: a heartbeat
    assert not live.LOCAL._subscribers  # the stream closed: its subscription is gone


def test_a_tab_opened_while_the_phone_rings_gets_the_call(client, org, phones, customer):
    call = ring(client, phones)
    stream = AsyncClient()
    stream.force_login(org["care"])
    chunks = async_to_sync(_read_stream)(stream, "/live/events/", 2)
    assert f'"call": {call.pk}' in chunks[1] and '"event": "ringing"' in chunks[1]


def test_the_stream_wants_a_signed_in_user_and_the_asgi_server(client, org):
    assert async_to_sync(AsyncClient().get)("/live/events/").status_code == 401
    # Through WSGI (the test server, runserver) the stream would hold a worker: 204 tells EventSource to stop.
    client.force_login(org["care"])
    assert client.get("/live/events/").status_code == 204
    signed_in = AsyncClient()
    signed_in.force_login(org["care"])
    assert async_to_sync(signed_in.post)("/live/events/").status_code == 405


def _redis_up() -> bool:
    import socket

    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1):
            return True
    except OSError:
        return False


def test_through_redis_a_message_reaches_its_channel_only(settings):
    if not _redis_up():
        pytest.skip("Redis is not reachable at 127.0.0.1:6379")
    from sencrm.support.tests.telephony_helpers import listening

    settings.REDIS_URL = "redis://127.0.0.1:6379/13"
    with listening("user:1") as mine, listening("user:2") as other:
        live.publish("user:1", {"type": "call", "event": "ringing", "call": 1})
        # Another installation on another Redis database, with the same user ids: not heard here.
        settings.REDIS_URL = "redis://127.0.0.1:6379/14"
        live.publish("user:1", {"type": "call", "event": "ringing", "call": 99})
        assert mine(1.0) == [{"type": "call", "event": "ringing", "call": 1}]
        assert other(0.2) == []


def test_without_redis_the_write_goes_on_and_the_browser_waits(
    client, org, phones, customer, settings, caplog, django_capture_on_commit_callbacks
):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens there
    with django_capture_on_commit_callbacks(execute=True):
        ring(client, phones)  # the ringing event is processed; the message is dropped with a warning
    assert Call.objects.count() == 1
    stream = AsyncClient()
    stream.force_login(org["care"])
    response = async_to_sync(stream.get)("/live/events/")
    assert response.status_code == 200

    async def body() -> list[str]:
        return [chunk.decode() async for chunk in response.streaming_content]

    assert async_to_sync(body)() == ["retry: 15000\n: unavailable\n\n"]
    assert "not sent" in caplog.text and "cannot subscribe" in caplog.text
