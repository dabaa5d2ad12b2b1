"""`promotion.applied` is in the webhook catalogue, reaches a subscription's outbox with its data, and reads
as words in the history."""

from __future__ import annotations

from sencrm.events.consumers import run_consumer
from sencrm.events.models import Event, WebhookDelivery
from sencrm.events.webhooks import catalog, consumer
from sencrm.events.webhooks import services as webhooks


def test_promotion_events_are_in_the_webhook_catalogue():
    types = catalog.event_types()
    assert {"promotion.applied", "promotion.released", "promotion.created", "promotion.updated"} <= set(types)
    assert catalog.validate(["promotion.applied", "promotion.*"]) == ["promotion.applied", "promotion.*"]


def test_an_applied_promotion_reaches_the_webhook_outbox(org, settings, promo, new_order, customer):
    settings.WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    subscription, _secret = webhooks.webhook_create(
        actor=org["admin"], url="http://127.0.0.1:9/hook", event_types=["promotion.applied"]
    )
    promotion = promo("HE2026", "percent", 10)
    order = new_order("HE2026")
    run_consumer(consumer.NAME)
    delivery = WebhookDelivery.objects.get(subscription=subscription)
    event = Event.objects.get(pk=delivery.event_id)
    assert (delivery.event_type, event.type) == ("promotion.applied", "promotion.applied")
    assert event.subject_id == promotion.pk and event.customer_id == customer.pk
    assert event.data["promotion"] == {"id": promotion.pk, "code": "HE2026", "name": promotion.name}
    assert event.data["document"]["number"] == order.number
    assert event.data["customer"] == {"type": "contact", "id": customer.pk}


def test_the_event_reads_as_words(org, promo, new_order):
    from sencrm.events.formatting import type_label

    promo("HE2026")
    new_order("HE2026")
    assert type_label("promotion.applied") == "Promotion applied"
