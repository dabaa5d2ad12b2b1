"""Deliveries: built from the event log, claimed with a lease, sent, logged, retried with backoff.

The life of a delivery: the webhooks consumer writes it (pending) in the same transaction as its
receipt for the event, so each event yields each delivery exactly once, and nothing is sent before
that row exists. A sender claims it by setting a lease (`locked_until`) and writes the attempt row
before the request; when the answer comes it completes the attempt and either marks the delivery
delivered (2xx), schedules the next try (backoff) or gives up (failed). A worker killed mid-send
leaves the lease to expire: the sweep (every minute, and at every worker start) sends it again
with the same delivery id, which the receiver uses to drop the repeat.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
import uuid
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from sencrm.events.models import DeliveryState, Event, WebhookAttempt, WebhookDelivery, WebhookSubscription
from sencrm.events.webhooks import client, signing

log = logging.getLogger(__name__)

USER_AGENT = "SenCRM-Webhooks/1"
# Wait before the 2nd, 3rd… attempt: 1 min, 5 min, 30 min, 2 h, 12 h (then every 12 h up to the limit).
BACKOFF_SECONDS = (60, 300, 1800, 7200, 43200)
SWEEP_BATCH = 500


def body_build(delivery_id: uuid.UUID, event: Event) -> str:
    """The JSON body: the event as the receiver sees it. Never holds a secret."""
    customer = None
    if event.customer_type_id and event.customer_id:
        ct = ContentType.objects.get_for_id(event.customer_type_id)
        customer = {"type": ct.model, "id": event.customer_id}
    actor: dict[str, Any] = {"id": event.actor_id, "name": event.actor_display}
    if event.actor_id and event.actor is not None:
        actor["username"] = event.actor.get_username()
    payload = {
        "id": str(delivery_id),
        "event_id": event.pk,
        "type": event.type,
        "occurred_at": event.occurred_at.astimezone(dt.UTC).isoformat().replace("+00:00", "Z"),
        "actor": actor,
        "subject": {
            "type": ContentType.objects.get_for_id(event.subject_type_id).model,
            "id": event.subject_id,
            "repr": event.subject_repr,
        },
        "customer": customer,
        "data": event.data,
        "version": event.version,
    }
    return json.dumps(payload, cls=DjangoJSONEncoder, ensure_ascii=False, separators=(",", ":"))


def headers_build(delivery: WebhookDelivery, secret: str, body: bytes, timestamp: int) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-Sen-Event": delivery.event_type,
        "X-Sen-Delivery": str(delivery.uuid),
        "X-Sen-Timestamp": str(timestamp),
        "X-Sen-Signature": signing.signature(secret, timestamp, body),
    }


def deliveries_create(event: Event) -> list[int]:
    """One pending delivery per active subscription that wants this event (inside the consumer's
    transaction); they are queued for sending once it commits."""
    subscriptions = [
        s
        for s in WebhookSubscription.objects.filter(is_active=True, created_at__lte=event.occurred_at).only(
            "id", "event_types"
        )
        if s.matches(event.type)
    ]
    ids = []
    for subscription in subscriptions:
        delivery_id = uuid.uuid4()
        delivery = WebhookDelivery.objects.create(
            uuid=delivery_id,
            subscription=subscription,
            event=event,
            event_type=event.type,
            body=body_build(delivery_id, event),
            next_attempt_at=timezone.now(),
        )
        ids.append(delivery.pk)
    if ids:

        def wake() -> None:
            for pk in ids:
                enqueue(pk)

        transaction.on_commit(wake)
    return ids


def enqueue(delivery_id: int, eta: dt.datetime | None = None) -> None:
    from sencrm.events.tasks import webhook_deliver

    if eta is None:
        webhook_deliver(delivery_id)
    else:
        delay = max(0.0, (eta - timezone.now()).total_seconds())
        webhook_deliver.schedule(args=(delivery_id,), delay=delay)


def backoff(tries: int) -> dt.timedelta:
    """The wait after the `tries`-th failed attempt."""
    return dt.timedelta(seconds=BACKOFF_SECONDS[min(max(tries, 1), len(BACKOFF_SECONDS)) - 1])


def _claim(delivery_id: int, now: dt.datetime) -> tuple[WebhookDelivery, WebhookAttempt, str] | None:
    """Take the delivery for one attempt, unless it is not due, done, or leased by another sender."""
    token = uuid.uuid4().hex
    lease = dt.timedelta(seconds=settings.WEBHOOK_LEASE_SECONDS)
    with transaction.atomic():
        claimed = (
            WebhookDelivery.objects.filter(
                pk=delivery_id, state=DeliveryState.PENDING, next_attempt_at__lte=now
            )
            .filter(Q(locked_until__isnull=True) | Q(locked_until__lte=now))
            .update(
                locked_until=now + lease,
                lock_token=token,
                attempts=F("attempts") + 1,
                tries=F("tries") + 1,
                last_attempt_at=now,
            )
        )
        if not claimed:
            return None
        delivery = WebhookDelivery.objects.select_related("subscription").get(pk=delivery_id)
        # An attempt still open belonged to a sender that died (its lease expired).
        WebhookAttempt.objects.filter(delivery=delivery, finished_at__isnull=True).update(
            finished_at=now, error=_("Interrupted: the worker stopped before the answer was recorded.")
        )
        attempt = WebhookAttempt.objects.create(
            delivery=delivery, number=delivery.attempts, started_at=now, url=delivery.subscription.url
        )
    return delivery, attempt, token


def _finish(
    delivery: WebhookDelivery,
    attempt: WebhookAttempt,
    token: str,
    outcome: client.Outcome,
    finished: dt.datetime,
    *,
    give_up: bool = False,
) -> str:
    fields: dict[str, Any] = {
        "locked_until": None,
        "lock_token": "",
        "last_status_code": outcome.status,
        "last_error": outcome.error[:500],
    }
    if outcome.ok:
        fields.update(state=DeliveryState.DELIVERED, delivered_at=finished, last_error="")
    elif give_up or delivery.tries >= settings.WEBHOOK_MAX_ATTEMPTS:
        fields.update(state=DeliveryState.FAILED)
    else:
        fields.update(next_attempt_at=finished + backoff(delivery.tries))
    with transaction.atomic():
        WebhookAttempt.objects.filter(pk=attempt.pk).update(
            finished_at=finished,
            status_code=outcome.status,
            duration_ms=outcome.duration_ms,
            error=outcome.error[:500],
            response_excerpt=outcome.excerpt,
            url=(outcome.url or attempt.url)[:2000],
        )
        mine = WebhookDelivery.objects.filter(pk=delivery.pk, lock_token=token, state=DeliveryState.PENDING)
        updated = mine.update(**fields)
        if not updated and outcome.ok:
            # Our lease ran out mid-send and another sender took over; the receiver has it all the same.
            WebhookDelivery.objects.filter(pk=delivery.pk, state=DeliveryState.PENDING).update(
                state=DeliveryState.DELIVERED,
                delivered_at=finished,
                last_status_code=outcome.status,
                last_error="",
            )
    state: str = fields.get("state", DeliveryState.PENDING)
    if updated and state == DeliveryState.PENDING:
        transaction.on_commit(lambda: enqueue(delivery.pk, eta=fields["next_attempt_at"]))
    return state


def deliver(delivery_id: int, *, now: dt.datetime | None = None) -> str:
    """One attempt at a delivery; returns its state afterwards, or "skipped" (not due, done or busy)."""
    now = now or timezone.now()
    claimed = _claim(delivery_id, now)
    if claimed is None:
        return "skipped"
    delivery, attempt, token = claimed
    subscription = delivery.subscription
    if not subscription.is_active:
        outcome = client.Outcome(
            None, _("The webhook is inactive: activate it, then replay this delivery."), 0
        )
        return _finish(delivery, attempt, token, outcome, now, give_up=True)
    if delivery.tries > settings.WEBHOOK_MAX_ATTEMPTS:  # its last tries were interrupted
        outcome = client.Outcome(None, _("Gave up: the last attempts were interrupted."), 0)
        return _finish(delivery, attempt, token, outcome, now, give_up=True)
    body = delivery.body.encode()
    timestamp = int(time.time())
    outcome = client.post(
        subscription.url, body, headers_build(delivery, subscription.secret, body, timestamp)
    )
    if not outcome.ok:
        log.info("webhook delivery %s failed: %s %s", delivery.uuid, outcome.status, outcome.error)
    return _finish(delivery, attempt, token, outcome, now + dt.timedelta(milliseconds=outcome.duration_ms))


def sweep(now: dt.datetime | None = None, *, include_leased: bool = False) -> int:
    """Queue the pending deliveries that are due and not being sent (lost wake-ups, killed workers).

    `include_leased` (at worker start): also those whose sender may have died, at their lease's end.
    """
    now = now or timezone.now()
    pending = WebhookDelivery.objects.filter(state=DeliveryState.PENDING)
    due = (
        pending.filter(next_attempt_at__lte=now)
        .filter(Q(locked_until__isnull=True) | Q(locked_until__lte=now))
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    )
    queued = 0
    for pk in due:
        enqueue(pk)
        queued += 1
    if include_leased:
        for pk, until in pending.filter(locked_until__gt=now).values_list("pk", "locked_until")[:SWEEP_BATCH]:
            enqueue(pk, eta=until)
            queued += 1
    return queued


def purge(now: dt.datetime | None = None) -> int:
    """Forget finished deliveries older than WEBHOOK_LOG_RETENTION_DAYS (their events stay)."""
    cutoff = (now or timezone.now()) - dt.timedelta(days=settings.WEBHOOK_LOG_RETENTION_DAYS)
    deleted, _by_model = (
        WebhookDelivery.objects.exclude(state=DeliveryState.PENDING).filter(created_at__lt=cutoff).delete()
    )
    return deleted
