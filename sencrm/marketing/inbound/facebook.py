"""The Facebook Page messaging webhook, as Meta documents it (Messenger Platform, "Webhooks").

- Subscription handshake: `GET ?hub.mode=subscribe&hub.verify_token=<ours>&hub.challenge=<n>` is answered
  with the challenge (text/plain, 200) when the token is the one the administrator stored, else 403.
- Events: `POST` with `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body, keyed with the app
  secret>` (compared in constant time). The body is
  `{"object": "page", "entry": [{"id": PAGE_ID, "time": ms, "messaging": [{"sender": {"id": PSID},
  "recipient": {"id": PAGE_ID}, "timestamp": ms, "message": {"mid": …, "text": …, "attachments": […]}}]}]}`.
  A message with `"is_echo": true` is the page's own reply (sender = the page, recipient = the person):
  stored as outbound in the person's thread. Deliveries, reads, reactions, postbacks and feed changes
  are acknowledged and not stored. A `referral` (click-to-Messenger ad: `ad_id`, `ref`) names the
  campaign whose UTM campaign equals it.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from typing import Any

from sencrm.marketing.conversations import Incoming
from sencrm.marketing.inbound.common import PayloadError, attachment_count, message_text, millis, obj, text
from sencrm.marketing.models import MessageDirection, Platform

SIGNATURE_HEADER = "HTTP_X_HUB_SIGNATURE_256"


def signature(raw: bytes, app_secret: str) -> str:
    """The header value Facebook sends for `raw` ("sha256=<hex>")."""
    return "sha256=" + hmac.new(app_secret.encode(), raw, hashlib.sha256).hexdigest()


def signature_ok(raw: bytes, header: str, app_secret: str) -> bool:
    if not app_secret or not header:
        return False
    return hmac.compare_digest(signature(raw, app_secret).encode(), header.strip().encode())


def handshake(params: Mapping[str, str], verify_token: str) -> str | None:
    """The challenge to echo, or None when the request is not a subscription with our token."""
    if params.get("hub.mode") != "subscribe" or not verify_token:
        return None
    offered = params.get("hub.verify_token", "")
    if not hmac.compare_digest(offered.encode(), verify_token.encode()):
        return None
    challenge = params.get("hub.challenge", "")
    return challenge if challenge and len(challenge) <= 200 else None


def _referrals(event: dict[str, Any], message: dict[str, Any]) -> tuple[str, ...]:
    found: list[str] = []
    holders = [event, message, event.get("postback") if isinstance(event.get("postback"), dict) else {}]
    for holder in holders:
        referral = holder.get("referral") if isinstance(holder, dict) else None
        if isinstance(referral, dict):
            found += [
                str(referral[k])[:100] for k in ("ad_id", "ref") if isinstance(referral.get(k), str | int)
            ]
    return tuple(found)


def _message(event: dict[str, Any], where: str) -> Incoming | None:
    sender = text(obj(event.get("sender"), f"{where}.sender").get("id"), f"{where}.sender.id")
    recipient = text(obj(event.get("recipient"), f"{where}.recipient").get("id"), f"{where}.recipient.id")
    sent_at = millis(event.get("timestamp"), f"{where}.timestamp")
    if "message" not in event:
        return None  # delivery, read, reaction, postback, referral alone: acknowledged, not stored
    message = obj(event["message"], f"{where}.message")
    echo = message.get("is_echo") is True
    return Incoming(
        platform=Platform.FACEBOOK,
        # An echo goes from the page to the person: the thread is the recipient's.
        page_id=sender if echo else recipient,
        user_id=recipient if echo else sender,
        message_id=text(message.get("mid"), f"{where}.message.mid"),
        sent_at=sent_at,
        text=message_text(message.get("text"), f"{where}.message.text"),
        attachments=attachment_count(message.get("attachments"), f"{where}.message.attachments"),
        direction=MessageDirection.OUTBOUND if echo else MessageDirection.INBOUND,
        referrals=_referrals(event, message),
    )


def parse(payload: Any, page_id: str = "") -> list[Incoming]:
    """The messages of a delivery (PayloadError for anything that is not a Page webhook). With `page_id`,
    entries of other pages the same app serves are left out."""
    body = obj(payload, "The body")
    if body.get("object") != "page":
        raise PayloadError('"object" must be "page" (a Page subscription).')
    entries = body.get("entry")
    if not isinstance(entries, list):
        raise PayloadError('"entry" must be a list.')
    found: list[Incoming] = []
    for n, raw_entry in enumerate(entries):
        entry = obj(raw_entry, f"entry[{n}]")
        entry_page = text(entry.get("id"), f"entry[{n}].id")
        events = entry.get("messaging", [])
        if not isinstance(events, list):
            raise PayloadError(f"entry[{n}].messaging must be a list.")
        for m, raw_event in enumerate(events):
            message = _message(obj(raw_event, f"entry[{n}].messaging[{m}]"), f"entry[{n}].messaging[{m}]")
            if message is not None and (not page_id or entry_page == page_id):
                found.append(message)
    return found
