"""The administrator's settings of the two receivers: page/OA id, secrets (stored encrypted, never shown
back), default campaign, on/off."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from sencrm.core import access
from sencrm.core.crypto import decrypt, encrypt
from sencrm.core.modules import Action, Module
from sencrm.events.services import event_emit
from sencrm.marketing.models import Campaign, InboundChannel, Platform


def inbound_channels() -> dict[str, InboundChannel]:
    """Each platform's settings (unsaved defaults for a platform never set up)."""
    stored = {c.platform: c for c in InboundChannel.objects.select_related("default_campaign", "updated_by")}
    return {p: stored.get(p) or InboundChannel(platform=p, is_active=False) for p in Platform.values}


def secret_state(channel: InboundChannel) -> dict[str, bool]:
    """Whether each secret is set (and readable with the current key): all the page ever shows of them."""
    return {
        "secret": bool(decrypt(channel.secret_encrypted)),
        "token": bool(decrypt(channel.token_encrypted)),
    }


@transaction.atomic
def inbound_channel_save(
    *,
    actor: Any,
    platform: str,
    page_id: str,
    is_active: bool,
    default_campaign: Campaign | None,
    secret: str | None = None,
    token: str | None = None,
) -> InboundChannel:
    """Save a platform's settings; a secret or token of None (left blank) keeps the stored one.

    The event names what changed, never a secret's value."""
    access.check_module(actor, Module.ADMIN, Action.EDIT)
    channel, _created = InboundChannel.objects.select_for_update().get_or_create(platform=platform)
    before = {
        "page_id": channel.page_id,
        "is_active": channel.is_active,
        "default_campaign": channel.default_campaign_id,
    }
    channel.page_id = page_id.strip()[:64]
    channel.is_active = is_active
    channel.default_campaign = default_campaign
    changes: dict[str, list[Any]] = {
        name: [old, new]
        for name, old, new in (
            ("page_id", before["page_id"], channel.page_id),
            ("is_active", before["is_active"], channel.is_active),
            ("default_campaign", before["default_campaign"], channel.default_campaign_id),
        )
        if old != new
    }
    if secret:
        channel.secret_encrypted = encrypt(secret.strip())
        changes["secret"] = ["***", "***"]
    if token:
        channel.token_encrypted = encrypt(token.strip())
        changes["token"] = ["***", "***"]
    channel.updated_at = timezone.now()
    channel.updated_by = actor
    channel.save()
    if changes:
        event_emit(type="inbound_channel.updated", subject=channel, actor=actor, data={"changes": changes})
    return channel
