"""Outgoing webhooks against a real local HTTP receiver: signature, headers, body, retries, replay, the
consumer's exactly-once rule, and a worker killed mid-send."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import tracemalloc

import pytest
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone

from sencrm.core.tests.testapp.models import Gadget
from sencrm.events import services as spine
from sencrm.events.consumers import run_consumer
from sencrm.events.models import ConsumerCursor, DeliveryState, Event, WebhookAttempt, WebhookDelivery
from sencrm.events.tests.conftest import Receiver, Reply
from sencrm.events.tests.test_worker import ROOT, run, worker_env
from sencrm.events.webhooks import consumer, delivery, services

pytestmark = pytest.mark.usefixtures("english")

HEADERS = {
    "X-Sen-Event",
    "X-Sen-Delivery",
    "X-Sen-Timestamp",
    "X-Sen-Signature",
    "Content-Type",
    "User-Agent",
}


def expected_signature(secret: str, timestamp: str, body: bytes) -> str:
    # What a receiver computes; written out here rather than calling our own signing module.
    return "sha256=" + hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def subscribe(org, url: str, types=("*",), **kwargs):
    return services.webhook_create(actor=org["admin"], url=url, event_types=list(types), **kwargs)


def gadget_event(org, type_: str = "gadget.created", name: str = "Điều hòa Daikin") -> Event:
    gadget = Gadget.objects.create(owner=org["sales1"], name=name)
    with transaction.atomic():
        return spine.event_emit(
            type=type_, subject=gadget, actor=org["sales1"], data={"record": {"name": name}}
        )


def build() -> list[WebhookDelivery]:
    run_consumer(consumer.NAME)
    return list(WebhookDelivery.objects.order_by("id"))


def test_a_delivery_is_a_signed_json_post_with_exact_headers_and_body(org, make_contact, receiver):
    _subscription, secret = subscribe(org, receiver.url(), ["contact.created"])
    contact = make_contact(emails=["tuyet@example.vn"])
    event = Event.objects.get(type="contact.created", subject_id=contact.pk)
    [d] = build()
    assert d.state == DeliveryState.PENDING and receiver.requests == []  # the row exists before any send

    assert delivery.deliver(d.pk) == DeliveryState.DELIVERED
    [request] = receiver.requests
    headers = request.headers
    assert set(headers) >= HEADERS
    assert headers["X-Sen-Event"] == "contact.created"
    assert headers["X-Sen-Delivery"] == str(d.uuid)
    assert headers["Content-Type"] == "application/json"
    assert headers["User-Agent"] == "SenCRM-Webhooks/1"
    timestamp = headers["X-Sen-Timestamp"]
    assert timestamp.isdigit() and abs(int(timestamp) - time.time()) < 30
    assert headers["X-Sen-Signature"] == expected_signature(secret, timestamp, request.body)
    assert headers["X-Sen-Signature"] != expected_signature("whsec_other", timestamp, request.body)

    body = json.loads(request.body)
    assert set(body) == {
        "id",
        "event_id",
        "type",
        "occurred_at",
        "actor",
        "subject",
        "customer",
        "data",
        "version",
    }
    assert body["id"] == str(d.uuid)
    assert body["event_id"] == event.pk
    assert body["type"] == "contact.created"
    assert dt.datetime.fromisoformat(body["occurred_at"].replace("Z", "+00:00")) == event.occurred_at
    assert body["actor"] == {"id": org["sales1"].pk, "name": str(org["sales1"]), "username": "sales1"}
    assert body["subject"] == {"type": "contact", "id": contact.pk, "repr": "Nguyễn Thị Ánh Tuyết"}
    assert body["customer"] == {"type": "contact", "id": contact.pk}
    assert body["data"] == event.data
    assert body["data"]["record"]["full_name"] == "Nguyễn Thị Ánh Tuyết"
    assert body["version"] == 1
    assert secret.encode() not in request.body

    d.refresh_from_db()
    assert d.delivered_at is not None and d.locked_until is None and d.last_status_code == 200
    attempt = d.attempt_log.get()
    assert (attempt.number, attempt.status_code, attempt.error) == (1, 200, "")
    assert attempt.finished_at is not None and attempt.duration_ms is not None
    assert attempt.response_excerpt == "ok"


def test_an_event_without_a_customer_or_actor_has_nulls(org, receiver):
    subscribe(org, receiver.url(), ["gadget.purged"])
    gadget = Gadget.objects.create(owner=org["sales1"], name="Bếp từ")
    with transaction.atomic():
        spine.event_emit(type="gadget.purged", subject=gadget, actor_label="system:purge", customer=None)
    [d] = build()
    delivery.deliver(d.pk)
    body = json.loads(receiver.requests[0].body)
    assert body["actor"] == {"id": None, "name": "system:purge"}
    assert body["customer"] == {"type": "gadget", "id": gadget.pk}  # a gadget is its own customer
    assert body["subject"]["type"] == "gadget"


def test_a_500_is_retried_with_backoff_and_every_attempt_is_logged(org, receiver):
    receiver.replies = [Reply(500, b"database down")]
    subscribe(org, receiver.url(), ["gadget.created"])
    gadget_event(org)
    [d] = build()

    assert delivery.deliver(d.pk) == DeliveryState.PENDING
    d.refresh_from_db()
    first = d.attempt_log.get()
    assert (d.attempts, d.last_status_code) == (1, 500)
    assert "500" in d.last_error and first.response_excerpt == "database down"
    wait = d.next_attempt_at - first.finished_at
    assert dt.timedelta(seconds=59) <= wait <= dt.timedelta(seconds=61)

    assert delivery.deliver(d.pk) == "skipped"  # not due yet
    assert delivery.deliver(d.pk, now=d.next_attempt_at) == DeliveryState.DELIVERED
    d.refresh_from_db()
    log = list(d.attempt_log.values_list("number", "status_code"))
    assert log == [(1, 500), (2, 200)]
    assert d.attempts == 2 and d.last_error == ""
    ids = {r.headers["X-Sen-Delivery"] for r in receiver.requests}
    assert ids == {str(d.uuid)}


def test_the_backoff_grows_from_a_minute_to_twelve_hours():
    minutes = [delivery.backoff(n).total_seconds() / 60 for n in range(1, 8)]
    assert minutes == [1, 5, 30, 120, 720, 720, 720]


def test_after_the_last_attempt_the_delivery_fails_for_good(org, receiver, settings):
    settings.WEBHOOK_MAX_ATTEMPTS = 3
    receiver.default = Reply(503)
    subscribe(org, receiver.url(), ["gadget.created"])
    gadget_event(org)
    [d] = build()
    now = timezone.now()
    states = []
    for _ in range(4):
        states.append(delivery.deliver(d.pk, now=now))
        now += dt.timedelta(days=1)
    assert states == ["pending", "pending", "failed", "skipped"]
    assert len(receiver.requests) == 3
    d.refresh_from_db()
    assert d.state == DeliveryState.FAILED and d.attempts == 3


def test_a_slow_receiver_times_out_and_is_retried(org, receiver, settings):
    settings.WEBHOOK_READ_TIMEOUT = 1
    receiver.replies = [Reply(delay=5)]
    subscribe(org, receiver.url(), ["gadget.created"])
    gadget_event(org)
    [d] = build()
    started = time.monotonic()
    assert delivery.deliver(d.pk) == DeliveryState.PENDING
    assert time.monotonic() - started < 4
    d.refresh_from_db()
    assert d.last_status_code is None and "Timed out" in d.last_error
    assert d.attempt_log.get().duration_ms < 4000


def test_a_closed_port_is_a_failed_attempt(org, settings):
    settings.WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    closed = Receiver()
    url = closed.url()
    closed.server.server_close()  # the port is ours but nobody listens any more
    subscribe(org, url, ["gadget.created"])
    gadget_event(org)
    [d] = build()
    assert delivery.deliver(d.pk) == DeliveryState.PENDING
    d.refresh_from_db()
    assert "Connection failed" in d.last_error


@pytest.mark.parametrize("status", [200, 500])
def test_a_10_mb_answer_is_read_only_up_to_64_kb(org, receiver, status):
    receiver.replies = [Reply(status, body=b"x" * (10 * 1024 * 1024))]  # made before measuring
    subscribe(org, receiver.url(), ["gadget.created"])
    gadget_event(org)
    [d] = build()
    tracemalloc.start()
    try:
        delivery.deliver(d.pk)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 2 * 1024 * 1024
    d.refresh_from_db()
    assert d.last_status_code == status
    assert d.state == (DeliveryState.DELIVERED if status == 200 else DeliveryState.PENDING)
    assert len(d.attempt_log.get().response_excerpt) == 1000


def test_replay_resends_the_same_delivery_id_and_body(org, receiver):
    subscribe(org, receiver.url(), ["gadget.created"])
    gadget_event(org)
    [d] = build()
    assert delivery.deliver(d.pk) == DeliveryState.DELIVERED
    services.delivery_replay(d, actor=org["admin"])
    d.refresh_from_db()
    assert d.state == DeliveryState.PENDING
    assert delivery.deliver(d.pk) == DeliveryState.DELIVERED
    first, second = receiver.requests
    assert first.headers["X-Sen-Delivery"] == second.headers["X-Sen-Delivery"] == str(d.uuid)
    assert first.body == second.body
    d.refresh_from_db()
    assert d.attempts == 2 and list(d.attempt_log.values_list("number", flat=True)) == [1, 2]


def test_a_failed_delivery_can_be_replayed_with_fresh_retries(org, receiver, settings):
    settings.WEBHOOK_MAX_ATTEMPTS = 1
    receiver.replies = [Reply(500), Reply(500)]
    subscribe(org, receiver.url(), ["gadget.created"])
    gadget_event(org)
    [d] = build()
    assert delivery.deliver(d.pk) == DeliveryState.FAILED
    services.delivery_replay(d, actor=org["admin"])
    assert delivery.deliver(d.pk) == DeliveryState.FAILED
    services.delivery_replay(d, actor=org["admin"])
    assert delivery.deliver(d.pk) == DeliveryState.DELIVERED
    assert len(receiver.requests) == 3


@pytest.mark.parametrize("username", ["manager", "sales1", "marketing", "care", "tech", "board"])
def test_only_an_administrator_can_replay(org, receiver, username):
    subscribe(org, receiver.url(), ["gadget.created"])
    gadget_event(org)
    [d] = build()
    delivery.deliver(d.pk)
    with pytest.raises(PermissionDenied):
        services.delivery_replay(d, actor=org[username])
    d.refresh_from_db()
    assert d.state == DeliveryState.DELIVERED


def test_a_delivery_being_sent_cannot_be_replayed(org, receiver):
    subscribe(org, receiver.url(), ["gadget.created"])
    gadget_event(org)
    [d] = build()
    WebhookDelivery.objects.filter(pk=d.pk).update(locked_until=timezone.now() + dt.timedelta(minutes=1))
    with pytest.raises(services.DeliveryInFlight):
        services.delivery_replay(d, actor=org["admin"])


def test_a_subscription_gets_only_the_event_types_it_asked_for(org, receiver):
    won, _ = subscribe(org, receiver.url(), ["opportunity.won"])
    every, _ = subscribe(org, receiver.url(), ["*"])
    gadgets, _ = subscribe(org, receiver.url(), ["gadget.*"])
    for type_ in ("opportunity.won", "opportunity.lost", "opportunity.stage_changed", "gadget.created"):
        gadget_event(org, type_)
    build()

    def types(subscription):
        qs = WebhookDelivery.objects.filter(subscription=subscription).exclude(
            event_type__startswith="webhook."
        )
        return sorted(qs.values_list("event_type", flat=True))

    assert types(won) == ["opportunity.won"]
    assert types(gadgets) == ["gadget.created"]
    assert types(every) == [
        "gadget.created",
        "opportunity.lost",
        "opportunity.stage_changed",
        "opportunity.won",
    ]


def test_an_inactive_subscription_gets_nothing(org, receiver):
    inactive, _ = subscribe(org, receiver.url(), ["*"], is_active=False)
    gadget_event(org)
    build()
    assert not WebhookDelivery.objects.filter(subscription=inactive).exists()


def test_a_subscription_deactivated_after_the_event_sends_nothing(org, receiver):
    subscription, _ = subscribe(org, receiver.url(), ["gadget.created"])
    gadget_event(org)
    [d] = build()
    services.webhook_update(subscription, actor=org["admin"], is_active=False)
    assert delivery.deliver(d.pk) == DeliveryState.FAILED
    assert receiver.requests == []
    d.refresh_from_db()
    assert "inactive" in d.last_error


def test_an_event_rolled_back_with_its_transaction_produces_no_delivery(org, receiver):
    subscribe(org, receiver.url(), ["gadget.created"])
    with pytest.raises(RuntimeError), transaction.atomic():
        gadget_event(org)
        raise RuntimeError("the change failed after the event was written")
    assert build() == []
    assert receiver.requests == []


def test_the_consumer_never_makes_two_deliveries_of_one_event_for_one_subscription(org, receiver):
    subscription, _ = subscribe(org, receiver.url(), ["gadget.created"])
    event = gadget_event(org)
    build()
    build()
    ConsumerCursor.objects.filter(name=consumer.NAME).update(last_event_id=0)  # as if restarted from scratch
    build()
    assert WebhookDelivery.objects.filter(subscription=subscription, event=event).count() == 1
    with pytest.raises(IntegrityError), transaction.atomic():
        WebhookDelivery.objects.create(
            subscription=subscription, event=event, event_type=event.type, body="{}"
        )


def test_events_from_before_the_subscription_are_not_sent(org, receiver):
    gadget_event(org)
    subscribe(org, receiver.url(), ["gadget.created"])
    assert build() == []


def test_a_sender_that_died_mid_send_is_replaced_when_its_lease_ends(org, receiver, settings):
    subscribe(org, receiver.url(), ["gadget.created"])
    gadget_event(org)
    [d] = build()
    now = timezone.now()
    claimed = delivery._claim(d.pk, now)  # a sender takes it… and dies before recording the answer
    assert claimed is not None
    assert delivery.deliver(d.pk, now=now) == "skipped"  # still leased
    later = now + dt.timedelta(seconds=settings.WEBHOOK_LEASE_SECONDS)
    assert delivery.deliver(d.pk, now=later) == DeliveryState.DELIVERED
    attempts = list(WebhookAttempt.objects.filter(delivery=d).order_by("number"))
    assert [a.number for a in attempts] == [1, 2]
    assert "Interrupted" in attempts[0].error and attempts[1].status_code == 200


def test_the_sweep_sends_due_deliveries_whose_wake_up_was_lost(org, receiver):
    subscribe(org, receiver.url(), ["gadget.created"])
    gadget_event(org)
    [d] = build()  # in this test the after-commit wake-up never runs
    assert delivery.sweep() == 1  # tasks run at once in the tests
    d.refresh_from_db()
    assert d.state == DeliveryState.DELIVERED and len(receiver.requests) == 1
    assert delivery.sweep() == 0


def test_with_no_active_subscription_the_consumer_skips_the_log(org, receiver):
    for i in range(5):
        gadget_event(org, name=f"g{i}")
    last = Event.objects.order_by("-id").first().pk
    assert consumer.cursor_fast_forward() is True
    assert ConsumerCursor.objects.get(name=consumer.NAME).last_event_id == last
    subscribe(org, receiver.url(), ["gadget.created"])
    assert consumer.cursor_fast_forward() is False  # an active subscription: read every event
    event = gadget_event(org)
    assert [d.event_id for d in build()] == [event.pk]


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl is not installed")
def test_the_documented_shell_check_verifies_a_real_delivery(org, receiver, tmp_path):
    _subscription, secret = subscribe(org, receiver.url(), ["gadget.created"])
    gadget_event(org)
    [d] = build()
    delivery.deliver(d.pk)
    [request] = receiver.requests
    (tmp_path / "body.json").write_bytes(request.body)
    script = (  # as in docs/api.md, "Verifying a signature"
        'EXPECTED="sha256=$(printf \'%s.\' "$TS" | cat - body.json | openssl dgst -sha256 -hmac "$SECRET"'
        " | sed 's/^.*= //')\"\n"
        '[ "$EXPECTED" = "$SIG" ] && echo "signature OK" || echo "BAD signature"'
    )
    env = {"PATH": os.environ["PATH"], "SECRET": secret, "TS": request.headers["X-Sen-Timestamp"]}
    good = subprocess.run(
        ["bash", "-c", script],
        cwd=tmp_path,
        env={**env, "SIG": request.headers["X-Sen-Signature"]},
        capture_output=True,
        text=True,
        check=True,
    )
    assert good.stdout.strip() == "signature OK"
    bad = subprocess.run(
        ["bash", "-c", script],
        cwd=tmp_path,
        env={**env, "SIG": "sha256=00"},
        capture_output=True,
        text=True,
        check=True,
    )
    assert bad.stdout.strip() == "BAD signature"


def test_old_finished_deliveries_are_purged(org, receiver):
    subscribe(org, receiver.url(), ["gadget.created"])
    gadget_event(org)
    [d] = build()
    delivery.deliver(d.pk)
    assert delivery.purge(now=timezone.now() + dt.timedelta(days=10)) == 0
    assert delivery.purge(now=timezone.now() + dt.timedelta(days=31)) > 0
    assert not WebhookDelivery.objects.exists()


def test_audit_events_of_webhooks_hold_no_secret_and_no_path(org):
    subscription, secret = subscribe(org, "https://hooks.example.vn/sen/T0KEN?key=abc", ["*"])
    services.webhook_update(subscription, actor=org["admin"], url="https://hooks.example.vn/other/T0KEN2")
    _subscription, new_secret = services.webhook_rotate_secret(subscription, actor=org["admin"])
    events = Event.objects.filter(type__startswith="webhook.")
    assert sorted(events.values_list("type", flat=True)) == [
        "webhook.created",
        "webhook.secret_rotated",
        "webhook.updated",
    ]
    dumped = json.dumps(list(events.values("data", "subject_repr")))
    for hidden in (secret, new_secret, "T0KEN", "key=abc"):
        assert hidden not in dumped
    assert new_secret != secret


@pytest.mark.django_db(transaction=True)
def test_a_change_is_sent_after_its_transaction_commits(org, receiver):
    # Huey runs tasks at once in the tests: commit → dispatch → consumer → delivery → send.
    _subscription, secret = subscribe(org, receiver.url(), ["gadget.created"])
    gadget = spine.record_create(Gadget, actor=org["sales1"], data={"name": "Máy giặt"})
    [request] = receiver.requests
    body = json.loads(request.body)
    assert body["subject"]["id"] == gadget.pk
    assert request.headers["X-Sen-Signature"] == expected_signature(
        secret, request.headers["X-Sen-Timestamp"], request.body
    )
    assert WebhookDelivery.objects.get().state == DeliveryState.DELIVERED


# --- a real worker, killed mid-send ---------------------------------------------------------------

SCRIPT_SUBSCRIBE_AND_CHANGE = """
from sencrm.demo.organisation import load_organisation
from sencrm.events import services
from sencrm.events.webhooks import services as webhooks
from sencrm.core.tests.testapp.models import Gadget
org = load_organisation()
subscription, secret = webhooks.webhook_create(actor=org["admin"], url=URL, event_types=["gadget.created"])
services.record_create(Gadget, actor=org["sales1"], data={"name": "Tủ lạnh Panasonic"})
print(secret)
"""

SCRIPT_STATE = """
import json
from sencrm.events.models import WebhookDelivery
print(json.dumps([
    {"state": d.state, "attempts": d.attempts, "leased": d.locked_until is not None,
     "log": [[a.number, a.status_code, a.error] for a in d.attempt_log.order_by("number")]}
    for d in WebhookDelivery.objects.all()
]))
"""


def _state(env: dict[str, str]) -> list[dict]:
    return json.loads(run(env, "shell", "--no-imports", "-c", SCRIPT_STATE).stdout.strip().splitlines()[-1])


def _start_worker(env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "manage.py", "run_huey", "--workers", "1"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own process group, so the kill reaches only what we started
    )


def _wait(condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.5)
    return False


def test_a_delivery_survives_a_worker_killed_mid_send(sqlite_data_dir):
    receiver = Receiver([Reply(delay=120)]).start()  # the first request hangs until the worker dies
    env = worker_env(sqlite_data_dir, None)
    env.update(
        {"WEBHOOK_ALLOWED_HOSTS": "127.0.0.1", "WEBHOOK_LEASE_SECONDS": "3", "WEBHOOK_READ_TIMEOUT": "60"}
    )
    workers: list[subprocess.Popen[bytes]] = []
    try:
        script = f"URL = {receiver.url()!r}\n" + SCRIPT_SUBSCRIBE_AND_CHANGE
        secret = run(env, "shell", "--no-imports", "-c", script).stdout.strip().splitlines()[-1]

        workers.append(_start_worker(env))
        assert _wait(lambda: len(receiver.requests) == 1, 60), "the worker never sent the delivery"
        os.killpg(workers[0].pid, signal.SIGKILL)  # mid-send: the receiver has not answered
        workers[0].wait(timeout=30)
        [killed] = _state(env)
        assert killed["state"] == DeliveryState.PENDING and killed["leased"] and killed["attempts"] == 1

        workers.append(_start_worker(env))
        assert _wait(lambda: len(receiver.requests) == 2, 90), "the delivery was not sent again"
        assert _wait(lambda: _state(env)[0]["state"] == DeliveryState.DELIVERED, 30)
    finally:
        for worker in workers:
            if worker.poll() is None:
                os.killpg(worker.pid, signal.SIGTERM)
                worker.wait(timeout=30)
        receiver.stop()

    [done] = _state(env)
    assert done["attempts"] == 2 and not done["leased"]
    assert [entry[:2] for entry in done["log"]] == [[1, None], [2, 200]]
    assert done["log"][0][2]  # "interrupted" (in the worker's language)
    # The receiver got it twice, with the same delivery id, each copy correctly signed.
    assert len(receiver.requests) == 2
    first, second = receiver.requests
    assert first.headers["X-Sen-Delivery"] == second.headers["X-Sen-Delivery"]
    assert first.body == second.body
    for request in receiver.requests:
        timestamp = request.headers["X-Sen-Timestamp"]
        assert request.headers["X-Sen-Signature"] == expected_signature(secret, timestamp, request.body)
