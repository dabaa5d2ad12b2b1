"""The administrators' writes on webhooks: subscribe, change, deactivate, delete, rotate the secret, replay.

Each checks the Administration right, validates (SSRF guard, known event types) and writes an event
for the audit trail. The secret is returned only by `webhook_create` and `webhook_rotate_secret`,
to be shown once; events carry only the URL's origin (a path or query may hold a receiver's token).
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from sencrm.core import access
from sencrm.core.exceptions import StaleRecord
from sencrm.core.modules import Action, Module
from sencrm.core.text import clean_text
from sencrm.events.models import DeliveryState, WebhookDelivery, WebhookSubscription
from sencrm.events.services import event_emit
from sencrm.events.webhooks import catalog, delivery, signing, ssrf

EDITABLE = ("url", "description", "event_types", "is_active")


class DeliveryInFlight(Exception):
    """A replay asked for while the delivery is being sent."""

    message = _("This delivery is being sent right now. Wait a moment, then replay it if it fails.")


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _audit_view(values: dict[str, Any]) -> dict[str, Any]:
    return {**values, "url": _origin(values["url"])} if "url" in values else values


def _validated(values: dict[str, Any]) -> dict[str, Any]:
    cleaned = dict(values)
    errors: dict[str, list[str]] = {}
    if "url" in cleaned:
        cleaned["url"] = str(cleaned["url"] or "").strip()
        try:
            ssrf.check_url(cleaned["url"])
        except ssrf.UnsafeURL as exc:
            errors["url"] = [str(exc)]
    if "event_types" in cleaned:
        try:
            cleaned["event_types"] = catalog.validate(cleaned["event_types"])
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if "description" in cleaned:
        cleaned["description"] = clean_text(cleaned["description"])
        if len(cleaned["description"]) > 200:
            errors["description"] = [str(_("At most 200 characters."))]
    if "is_active" in cleaned:
        cleaned["is_active"] = bool(cleaned["is_active"])
    if errors:
        raise ValidationError(errors)
    return cleaned


@transaction.atomic
def webhook_create(
    *, actor: Any, url: str, event_types: list[str], description: str = "", is_active: bool = True
) -> tuple[WebhookSubscription, str]:
    """Subscribe a URL; returns the subscription and its secret (show it once, never again)."""
    access.check_module(actor, Module.ADMIN, Action.CREATE)
    values = _validated(
        {"url": url, "event_types": event_types, "description": description, "is_active": is_active}
    )
    secret = signing.secret_generate()
    subscription = WebhookSubscription.objects.create(**values, secret=secret, created_by=actor)
    event_emit(
        type="webhook.created", subject=subscription, actor=actor, data={"record": _audit_view(values)}
    )
    return subscription, secret


@transaction.atomic
def webhook_update(
    subscription: WebhookSubscription, *, actor: Any, version: int | None = None, **changes: Any
) -> WebhookSubscription:
    """Change the URL, event types, description or active flag; a stale `version` is refused."""
    access.check_module(actor, Module.ADMIN, Action.EDIT)
    current = WebhookSubscription.objects.select_for_update().get(pk=subscription.pk)
    if version is not None and version != current.version:
        raise StaleRecord(current.version)
    values = _validated({k: v for k, v in changes.items() if k in EDITABLE})
    changed = {k: [getattr(current, k), v] for k, v in values.items() if getattr(current, k) != v}
    if not changed:
        return current
    for name, (_old, new) in changed.items():
        setattr(current, name, new)
    current.version += 1
    current.updated_at = timezone.now()
    current.save()
    if "url" in changed:
        changed["url"] = [_origin(changed["url"][0]), _origin(changed["url"][1])]
    event_emit(type="webhook.updated", subject=current, actor=actor, data={"changes": changed})
    return current


@transaction.atomic
def webhook_delete(subscription: WebhookSubscription, *, actor: Any) -> None:
    """Remove the subscription with its delivery log (deactivate it to keep the log)."""
    access.check_module(actor, Module.ADMIN, Action.DELETE)
    record = _audit_view(
        {
            "url": subscription.url,
            "description": subscription.description,
            "event_types": subscription.event_types,
        }
    )
    event_emit(type="webhook.deleted", subject=subscription, actor=actor, data={"record": record})
    subscription.delete()


@transaction.atomic
def webhook_rotate_secret(
    subscription: WebhookSubscription, *, actor: Any
) -> tuple[WebhookSubscription, str]:
    """A new secret, effective for the next attempt of every delivery; returns it (show it once)."""
    access.check_module(actor, Module.ADMIN, Action.EDIT)
    current = WebhookSubscription.objects.select_for_update().get(pk=subscription.pk)
    secret = signing.secret_generate()
    current.secret = secret
    current.secret_rotated_at = current.updated_at = timezone.now()
    current.version += 1
    current.save()
    event_emit(type="webhook.secret_rotated", subject=current, actor=actor)
    return current, secret


@transaction.atomic
def delivery_replay(
    target: WebhookDelivery, *, actor: Any, now: dt.datetime | None = None
) -> WebhookDelivery:
    """Send a delivery again now, with the same delivery id (a receiver that has it drops it)."""
    access.check_module(actor, Module.ADMIN, Action.EDIT)
    now = now or timezone.now()
    current = WebhookDelivery.objects.select_for_update().get(pk=target.pk)
    if current.locked_until is not None and current.locked_until > now:
        raise DeliveryInFlight(str(DeliveryInFlight.message))
    current.state = DeliveryState.PENDING
    current.next_attempt_at = now
    current.tries = 0  # a fresh series of retries
    current.delivered_at = None  # the attempt log keeps the earlier success
    current.save(update_fields=["state", "next_attempt_at", "tries", "delivered_at"])
    transaction.on_commit(lambda: delivery.enqueue(current.pk))
    return current
