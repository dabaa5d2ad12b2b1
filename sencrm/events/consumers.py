"""Event consumers: readers of the event log that act on it, each exactly once per event.

A consumer keeps a cursor and writes a receipt per event in the same transaction as its action, so a
consumer that crashes half-way rolls back that event's work and, re-run, resumes there without
acting twice. External side effects (e-mail, webhooks) are queued from a consumer with the event id
as their idempotency key.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.db import IntegrityError, transaction

from sencrm.events.models import ConsumerCursor, ConsumerReceipt, Event

log = logging.getLogger(__name__)

Handler = Callable[[Event], None]
CONSUMERS: dict[str, Handler] = {}

# Event ids are allocated before commit, so a slow transaction can commit an event with a smaller id
# than one already processed. Consumers therefore look back this many ids behind their cursor and
# skip what their receipts say they handled.
LOOKBACK = 1000
BATCH = 500


class _AlreadyHandled(Exception):
    pass


def consumer(name: str) -> Callable[[Handler], Handler]:
    def register(func: Handler) -> Handler:
        CONSUMERS[name] = func
        return func

    return register


def run_consumer(name: str, *, batch: int = BATCH) -> int:
    """Handle the pending events of one consumer; returns how many it handled."""
    handler = CONSUMERS[name]
    cursor, _ = ConsumerCursor.objects.get_or_create(name=name)
    done = ConsumerReceipt.objects.filter(consumer=name, event_id__gt=cursor.last_event_id - LOOKBACK)
    pending = (
        Event.objects.filter(id__gt=cursor.last_event_id - LOOKBACK)
        .exclude(id__in=done.values("event_id"))
        .select_related("actor", "subject_type")
        .order_by("id")[:batch]
    )
    handled = 0
    for event in pending:
        try:
            with transaction.atomic():
                handler(event)
                try:
                    with transaction.atomic():
                        ConsumerReceipt.objects.create(consumer=name, event=event)
                except IntegrityError as exc:
                    # Another worker handled this event at the same time: undo ours.
                    raise _AlreadyHandled from exc
                ConsumerCursor.objects.filter(name=name, last_event_id__lt=event.id).update(
                    last_event_id=event.id
                )
        except _AlreadyHandled:
            log.info("consumer %s: event %s already handled", name, event.id)
            continue
        handled += 1
    return handled


def run_all(*, max_rounds: int = 200) -> dict[str, int]:
    """Drain every consumer (in batches, so a bulk load of thousands of events is caught up in one
    dispatch instead of one batch a minute); bounded, the periodic dispatch picks up the rest."""
    handled: dict[str, int] = {}
    for name in CONSUMERS:
        total = 0
        for _round in range(max_rounds):
            done = run_consumer(name)
            total += done
            if done < BATCH:
                break
        handled[name] = total
    return handled


@consumer("notifications")
def notify_assignee(event: Event) -> None:
    """Tell a user when a record is assigned to them by someone else."""
    from sencrm.events.services import notification_create

    action = event.type.rpartition(".")[2]
    new_owner = None
    if action == "created":
        new_owner = event.data.get("record", {}).get("owner")
    elif action == "updated" and "owner" in event.data.get("changes", {}):
        new_owner = event.data["changes"]["owner"][1]
    if new_owner is None or new_owner == event.actor_id:
        return
    if event.data.get("import"):  # an import sends each owner one notification with the count
        return
    subject = event.subject_type.get_object_for_this_type(pk=event.subject_id) if event.subject_type else None
    url = subject.get_absolute_url() if subject is not None and hasattr(subject, "get_absolute_url") else ""
    notification_create(
        recipient_id=new_owner,
        event=event,
        kind="assigned",
        params={"record": event.subject_repr, "by": event.actor_display},
        url=url,
    )
