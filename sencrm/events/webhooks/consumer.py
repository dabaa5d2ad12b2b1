"""The webhooks consumer: each event yields each matching subscription's delivery exactly once.

The delivery rows are written in the same transaction as the consumer's receipt for the event (see
sencrm.events.consumers.run_consumer), so a crash either keeps both or neither.
"""

from __future__ import annotations

from sencrm.events.consumers import consumer
from sencrm.events.models import ConsumerCursor, Event, WebhookSubscription
from sencrm.events.webhooks.delivery import deliveries_create

NAME = "webhooks"


@consumer(NAME)
def webhook_deliveries(event: Event) -> None:
    deliveries_create(event)


def cursor_fast_forward() -> bool:
    """While no subscription is active no event can make a delivery (a subscription receives only
    what happens after it is created or active), so the consumer skips the log instead of reading it
    500 events per dispatch — after `load_demo` or an import that is minutes of lag saved."""
    # The last id is read before the subscriptions: an event after it is read the ordinary way.
    last = Event.objects.order_by("-id").values_list("id", flat=True).first()
    if last is None or WebhookSubscription.objects.filter(is_active=True).exists():
        return False
    ConsumerCursor.objects.get_or_create(name=NAME)
    return bool(ConsumerCursor.objects.filter(name=NAME, last_event_id__lt=last).update(last_event_id=last))
