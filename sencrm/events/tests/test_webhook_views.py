"""Administration → Webhooks and /api/v1/webhooks/: administrators only, secret shown once, bad input 4xx."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.urls import reverse

from sencrm.core.tests.testapp.models import Gadget
from sencrm.events import services as spine
from sencrm.events.consumers import run_consumer
from sencrm.events.models import DeliveryState, Event, WebhookDelivery, WebhookSubscription
from sencrm.events.webhooks import consumer, delivery, services
from sencrm.users.services import api_token_create

pytestmark = pytest.mark.usefixtures("english")

NON_ADMINS = ["manager", "sales1", "sales2", "marketing", "care", "tech", "board"]
PUBLIC_URL = "https://93.184.216.34/sen-hook"  # checked only, never called
XSS = '"><img src=x onerror=alert(1)>'


@pytest.fixture
def hook(org):
    subscription, secret = services.webhook_create(
        actor=org["admin"], url=PUBLIC_URL, event_types=["gadget.created"], description="ERP"
    )
    gadget = Gadget.objects.create(owner=org["sales1"], name="Quạt")
    spine.event_emit(type="gadget.created", subject=gadget, actor=org["sales1"])
    run_consumer(consumer.NAME)
    subscription.secret_for_test = secret
    return subscription


def bearer(org, username: str, **kwargs) -> Client:
    _token, raw = api_token_create(user=org[username], name="test")
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}", **kwargs)


def page_urls(hook) -> list[str]:
    d = WebhookDelivery.objects.get(subscription=hook)
    return [
        reverse("events:webhook_list"),
        reverse("events:webhook_create"),
        reverse("events:webhook_edit", args=[hook.pk]),
        reverse("events:webhook_deliveries", args=[hook.pk]),
        reverse("events:webhook_delivery", args=[hook.pk, d.pk]),
    ]


# --- pages ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("username", NON_ADMINS)
def test_other_roles_get_403_and_change_nothing(client_as, hook, username):
    client = client_as(username)
    for url in page_urls(hook):
        assert client.get(url).status_code == 403, url
    d = WebhookDelivery.objects.get(subscription=hook)
    posts = {
        reverse("events:webhook_create"): {"url": PUBLIC_URL, "event_types": ["*"]},
        reverse("events:webhook_edit", args=[hook.pk]): {
            "url": PUBLIC_URL,
            "event_types": ["*"],
            "version": 1,
        },
        reverse("events:webhook_set_active", args=[hook.pk]): {"active": "0"},
        reverse("events:webhook_rotate_secret", args=[hook.pk]): {},
        reverse("events:webhook_delivery_replay", args=[hook.pk, d.pk]): {},
        reverse("events:webhook_delete", args=[hook.pk]): {},
    }
    for url, data in posts.items():
        assert client.post(url, data).status_code == 403, url
    hook_now = WebhookSubscription.objects.get()
    assert (hook_now.version, hook_now.is_active, hook_now.secret) == (1, True, hook.secret_for_test)
    assert WebhookDelivery.objects.get().state == DeliveryState.PENDING


def test_anonymous_visitors_are_sent_to_the_login_page(client, hook):
    for url in page_urls(hook):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response["Location"]


def test_the_admin_tabs_link_to_webhooks(client_as, org):
    page = client_as("admin").get(reverse("users:user_list")).content.decode()
    assert reverse("events:webhook_list") in page


def test_creating_a_webhook_shows_the_secret_once(client_as, org):
    client = client_as("admin")
    response = client.post(
        reverse("events:webhook_create"),
        {
            "url": PUBLIC_URL,
            "description": "ERP Bravo",
            "event_types": ["contact.created", "opportunity.won"],
            "is_active": "on",
        },
    )
    assert response.status_code == 200
    subscription = WebhookSubscription.objects.get()
    assert subscription.event_types == ["contact.created", "opportunity.won"]
    secret = subscription.secret
    assert secret.startswith("whsec_") and len(secret) > 40
    assert secret in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    # …and never again: not in any page, API answer or event.
    for url in [
        reverse("events:webhook_list"),
        reverse("events:webhook_edit", args=[subscription.pk]),
        reverse("events:webhook_deliveries", args=[subscription.pk]),
        reverse("events:log"),
        "/api/v1/webhooks/",
        f"/api/v1/webhooks/{subscription.pk}/",
        "/api/v1/schema/",
    ]:
        got = client.get(url)
        assert got.status_code == 200, url
        assert secret not in got.content.decode(), url
    assert secret not in json.dumps(list(Event.objects.values("data", "subject_repr")))


def test_rotating_the_secret_shows_the_new_one_once(client_as, hook):
    client = client_as("admin")
    response = client.post(reverse("events:webhook_rotate_secret", args=[hook.pk]))
    hook.refresh_from_db()
    assert hook.secret != hook.secret_for_test
    assert hook.secret in response.content.decode()
    assert hook.secret not in client.get(reverse("events:webhook_edit", args=[hook.pk])).content.decode()


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("http://127.0.0.1:8000/hook", "127.0.0.1"),
        ("http://0x7f000001/", "127.0.0.1"),
        ("http://[::ffff:127.0.0.1]/", "::ffff:7f00:1"),
        ("http://169.254.169.254/latest/meta-data/", "169.254.169.254"),
        ("http://localhost/", "127.0.0.1"),
        ("javascript:alert(1)", "http://"),
        ("JaVaScRiPt:alert(1)", "http://"),
        ("file:///etc/passwd", "http://"),
        ("http://admin:pw@93.184.216.34/", "password"),
    ],
)
def test_unsafe_urls_are_refused_with_a_clear_message(client_as, org, url, shown):
    response = client_as("admin").post(reverse("events:webhook_create"), {"url": url, "event_types": ["*"]})
    assert response.status_code == 400
    assert shown in response.content.decode()
    assert not WebhookSubscription.objects.exists()


def test_missing_event_types_are_refused(client_as, org):
    response = client_as("admin").post(reverse("events:webhook_create"), {"url": PUBLIC_URL})
    assert response.status_code == 400 and not WebhookSubscription.objects.exists()


def test_user_text_is_escaped(client_as, org):
    services.webhook_create(
        actor=org["admin"],
        url='https://93.184.216.34/?q="><svg/onload=alert(1)>',
        event_types=["*"],
        description=XSS,
    )
    services.webhook_create(
        actor=org["admin"], url='https://93.184.216.34/?q="><svg/onload=alert(2)>', event_types=["*"]
    )
    client = client_as("admin")
    subscription = WebhookSubscription.objects.order_by("id").first()
    for url in [reverse("events:webhook_list"), reverse("events:webhook_edit", args=[subscription.pk])]:
        html = client.get(url).content.decode()
        assert "<img src=x" not in html and "<svg/onload" not in html
        assert "&lt;img src=x onerror=alert(1)&gt;" in html
        assert "&lt;svg/onload=alert(" in html


def test_the_form_posts_need_the_csrf_token(org, hook):
    client = Client(enforce_csrf_checks=True)
    client.force_login(org["admin"])
    d = WebhookDelivery.objects.get()
    for url in [
        reverse("events:webhook_create"),
        reverse("events:webhook_edit", args=[hook.pk]),
        reverse("events:webhook_set_active", args=[hook.pk]),
        reverse("events:webhook_rotate_secret", args=[hook.pk]),
        reverse("events:webhook_delivery_replay", args=[hook.pk, d.pk]),
        reverse("events:webhook_delete", args=[hook.pk]),
    ]:
        assert client.post(url, {"url": PUBLIC_URL, "event_types": ["*"]}).status_code == 403, url
    assert WebhookSubscription.objects.get().version == 1


def test_edit_with_a_stale_version_is_refused(client_as, org, hook):
    client = client_as("admin")
    services.webhook_update(hook, actor=org["admin"], description="changed elsewhere")
    response = client.post(
        reverse("events:webhook_edit", args=[hook.pk]),
        {"url": PUBLIC_URL, "description": "mine", "event_types": ["*"], "is_active": "on", "version": 1},
    )
    assert response.status_code == 409
    assert WebhookSubscription.objects.get().description == "changed elsewhere"
    ok = client.post(
        reverse("events:webhook_edit", args=[hook.pk]),
        {"url": PUBLIC_URL, "description": "mine", "event_types": ["*"], "is_active": "on", "version": 2},
    )
    assert ok.status_code == 302
    assert WebhookSubscription.objects.get().event_types == ["*"]


def test_deactivate_activate_and_delete(client_as, hook, org):
    org["admin"].language = "en"
    org["admin"].save(update_fields=["language"])
    client = client_as("admin")
    client.post(reverse("events:webhook_set_active", args=[hook.pk]), {"active": "0"})
    assert WebhookSubscription.objects.get().is_active is False
    assert "Activate" in client.get(reverse("events:webhook_list")).content.decode()
    client.post(reverse("events:webhook_set_active", args=[hook.pk]), {"active": "1"})
    assert WebhookSubscription.objects.get().is_active is True
    client.post(reverse("events:webhook_delete", args=[hook.pk]))
    assert not WebhookSubscription.objects.exists() and not WebhookDelivery.objects.exists()
    assert Event.objects.filter(type="webhook.deleted").exists()


def test_the_delivery_log_shows_attempts_and_replays(client_as, hook, receiver, settings, org):
    hook.url = receiver.url()  # straight to the row: the test receiver is on 127.0.0.1
    hook.save()
    d = WebhookDelivery.objects.get()
    delivery.deliver(d.pk)
    org["admin"].language = "en"
    org["admin"].save(update_fields=["language"])
    client = client_as("admin")
    log = client.get(reverse("events:webhook_deliveries", args=[hook.pk])).content.decode()
    assert "gadget.created" in log and "Delivered" in log
    assert (
        client.get(reverse("events:webhook_deliveries", args=[hook.pk]), {"state": "failed"}).status_code
        == 200
    )
    detail = client.get(reverse("events:webhook_delivery", args=[hook.pk, d.pk])).content.decode()
    assert str(d.uuid) in detail and "200" in detail
    response = client.post(reverse("events:webhook_delivery_replay", args=[hook.pk, d.pk]))
    assert response.status_code == 302
    d.refresh_from_db()
    assert d.state == DeliveryState.PENDING  # queued again (sent after the commit)
    delivery.deliver(d.pk)
    assert [r.headers["X-Sen-Delivery"] for r in receiver.requests] == [str(d.uuid)] * 2


def test_bad_log_parameters_are_400_and_other_webhooks_deliveries_404(client_as, org, hook):
    client = client_as("admin")
    url = reverse("events:webhook_deliveries", args=[hook.pk])
    assert client.get(url, {"state": "nope"}).status_code == 400
    assert client.get(url, {"before": "x' OR 1=1"}).status_code == 400
    other, _secret = services.webhook_create(actor=org["admin"], url=PUBLIC_URL, event_types=["*"])
    d = WebhookDelivery.objects.get(subscription=hook)
    assert client.get(reverse("events:webhook_delivery", args=[other.pk, d.pk])).status_code == 404
    assert client.post(reverse("events:webhook_delivery_replay", args=[other.pk, d.pk])).status_code == 404


def test_list_and_log_queries_do_not_grow_with_rows(client_as, org, hook, django_assert_max_num_queries):
    for i in range(30):
        services.webhook_create(actor=org["admin"], url=PUBLIC_URL, event_types=["*"], description=f"w{i}")
    for i in range(30):
        gadget = Gadget.objects.create(owner=org["sales1"], name=f"g{i}")
        spine.event_emit(type="gadget.created", subject=gadget, actor=org["sales1"])
    run_consumer(consumer.NAME)
    client = client_as("admin")
    with django_assert_max_num_queries(12):
        client.get(reverse("events:webhook_list"))
    with django_assert_max_num_queries(12):
        client.get(reverse("events:webhook_deliveries", args=[hook.pk]))


# --- API ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("username", NON_ADMINS)
def test_the_api_answers_403_to_other_roles(org, hook, username):
    client = bearer(org, username)
    d = WebhookDelivery.objects.get()
    base = f"/api/v1/webhooks/{hook.pk}/"
    for url in ["/api/v1/webhooks/", base, f"{base}deliveries/", f"{base}deliveries/{d.pk}/"]:
        assert client.get(url).status_code == 403, url
    body = {"url": PUBLIC_URL, "event_types": ["*"]}
    assert client.post("/api/v1/webhooks/", body, content_type="application/json").status_code == 403
    assert client.patch(base, {"is_active": False}, content_type="application/json").status_code == 403
    assert client.post(f"{base}rotate-secret/").status_code == 403
    assert client.post(f"{base}deliveries/{d.pk}/replay/").status_code == 403
    assert client.delete(base).status_code == 403
    assert WebhookSubscription.objects.get().is_active and WebhookSubscription.objects.count() == 1


def test_the_api_needs_authentication(hook):
    assert Client().get("/api/v1/webhooks/").status_code == 401


def test_the_api_creates_and_shows_the_secret_only_in_that_answer(org):
    client = bearer(org, "admin")
    response = client.post(
        "/api/v1/webhooks/",
        {"url": PUBLIC_URL, "event_types": ["contact.created", "opportunity.*"], "description": "ERP"},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    created = response.json()
    secret = created["secret"]
    assert secret == WebhookSubscription.objects.get().secret
    assert created["event_types"] == ["contact.created", "opportunity.*"] and created["version"] == 1
    for url in ["/api/v1/webhooks/", f"/api/v1/webhooks/{created['id']}/"]:
        got = client.get(url)
        assert got.status_code == 200 and secret not in got.content.decode() and "secret" not in got.json()
    options = client.options(f"/api/v1/webhooks/{created['id']}/")
    assert secret not in options.content.decode()
    rotated = client.post(f"/api/v1/webhooks/{created['id']}/rotate-secret/").json()
    assert rotated["secret"] != secret and rotated["version"] == 2
    assert rotated["secret"] not in client.get(f"/api/v1/webhooks/{created['id']}/").content.decode()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": "http://0177.0.0.1/", "event_types": ["*"]}, "url"),
        ({"url": "http://2130706433/", "event_types": ["*"]}, "url"),
        ({"url": "http://[::1]/", "event_types": ["*"]}, "url"),
        ({"url": "http://10.1.2.3/", "event_types": ["*"]}, "url"),
        ({"url": "gopher://93.184.216.34/", "event_types": ["*"]}, "url"),
        ({"url": "javascript:alert(1)", "event_types": ["*"]}, "url"),
        ({"url": PUBLIC_URL, "event_types": ["contact.craeted"]}, "event_types"),
        ({"url": PUBLIC_URL, "event_types": []}, "event_types"),
        ({"url": PUBLIC_URL, "event_types": "contact.created"}, "event_types"),
        ({"url": PUBLIC_URL, "event_types": [{"x": 1}]}, "event_types"),
        ({"url": PUBLIC_URL, "event_types": ["*"], "description": "x" * 201}, "description"),
        ({"event_types": ["*"]}, "url"),
    ],
)
def test_the_api_refuses_bad_input_with_400_and_the_field(org, body, field):
    response = bearer(org, "admin").post("/api/v1/webhooks/", body, content_type="application/json")
    assert response.status_code == 400, response.content
    assert response.json()["code"] == "invalid" and field in response.json()["errors"]
    assert not WebhookSubscription.objects.exists()


def test_the_api_updates_with_the_version_check(org, hook):
    client = bearer(org, "admin")
    url = f"/api/v1/webhooks/{hook.pk}/"
    ok = client.patch(url, {"is_active": False, "version": 1}, content_type="application/json")
    assert ok.status_code == 200 and ok.json()["version"] == 2 and ok.json()["is_active"] is False
    stale = client.patch(url, {"description": "x", "version": 1}, content_type="application/json")
    assert stale.status_code == 409 and stale.json()["code"] == "conflict"
    bad = client.patch(url, {"url": "http://192.168.0.10/"}, content_type="application/json")
    assert bad.status_code == 400 and "url" in bad.json()["errors"]
    assert (
        client.put(
            url, {"url": PUBLIC_URL, "event_types": ["*"]}, content_type="application/json"
        ).status_code
        == 405
    )
    assert client.delete(url).status_code == 204
    assert not WebhookSubscription.objects.exists()


def test_the_api_lists_deliveries_and_replays_by_either_id(org, hook, receiver):
    client = bearer(org, "admin")
    WebhookSubscription.objects.filter(pk=hook.pk).update(url=receiver.url())
    d = WebhookDelivery.objects.get()
    delivery.deliver(d.pk)
    listed = client.get(f"/api/v1/webhooks/{hook.pk}/deliveries/").json()
    assert listed["results"][0]["delivery_id"] == str(d.uuid)
    assert listed["results"][0]["state"] == "delivered" and listed["results"][0]["attempts"] == 1
    assert client.get(f"/api/v1/webhooks/{hook.pk}/deliveries/", {"state": "failed"}).json()["results"] == []
    assert client.get(f"/api/v1/webhooks/{hook.pk}/deliveries/", {"state": "x"}).status_code == 400
    detail = client.get(f"/api/v1/webhooks/{hook.pk}/deliveries/{d.uuid}/").json()
    assert detail["payload"]["id"] == str(d.uuid) and detail["attempt_log"][0]["status_code"] == 200
    assert hook.secret_for_test not in json.dumps(detail)
    replay = client.post(f"/api/v1/webhooks/{hook.pk}/deliveries/{d.pk}/replay/")
    assert replay.status_code == 202 and replay.json()["state"] == "pending"
    delivery.deliver(d.pk)
    assert {r.headers["X-Sen-Delivery"] for r in receiver.requests} == {str(d.uuid)}
    assert len(receiver.requests) == 2
    assert client.get(f"/api/v1/webhooks/{hook.pk}/deliveries/nope/").status_code == 404
    assert client.get(f"/api/v1/webhooks/{hook.pk}/deliveries/999999/").status_code == 404


def test_the_session_api_needs_csrf(org, hook):
    client = Client(enforce_csrf_checks=True)
    client.force_login(org["admin"])
    assert client.get("/api/v1/webhooks/").status_code == 200
    response = client.post(
        "/api/v1/webhooks/", {"url": PUBLIC_URL, "event_types": ["*"]}, content_type="application/json"
    )
    assert response.status_code == 403
    assert WebhookSubscription.objects.count() == 1
