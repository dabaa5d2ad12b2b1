"""The Zalo Official Account webhook, as Zalo documents it (developers.zalo.me, "Webhook" of the OA API).

Events come as `POST` with a JSON body such as
`{"app_id": "…", "event_name": "user_send_text", "sender": {"id": USER_ID}, "recipient": {"id": OA_ID},
"message": {"text": "…", "msg_id": "…"}, "timestamp": "<ms>", "user_id_by_app": "…"}`.

Signature (what is implemented here): the header `X-ZEvent-Signature` is `mac=` followed by the hex
SHA-256 — a plain hash, not an HMAC — of the concatenation, in this order, of the app id, the raw body
exactly as received, the body's `timestamp` value, and the OA secret key (the key of the OA linked to the
app, not the app secret):

    mac = sha256(app_id + raw_body + timestamp + oa_secret_key).hexdigest()

The app id is the one the administrator stored; the comparison is constant-time. Because the timestamp
is read from the body, a body that is not JSON cannot be checked and is answered 400 (nothing stored).

`user_send_*` and `anonymous_send_*` events are the person's messages (text, image, link, sticker,
file, location…); `oa_send_*` are the OA's own replies (sender = the OA, recipient = the person), stored
as outbound in the person's thread. Follow/unfollow, "received" and "seen" events are acknowledged and
not stored.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from sencrm.marketing.conversations import Incoming
from sencrm.marketing.inbound.common import attachment_count, message_text, millis, obj, text
from sencrm.marketing.models import MessageDirection, Platform

SIGNATURE_HEADER = "HTTP_X_ZEVENT_SIGNATURE"
INBOUND_PREFIXES = ("user_send_", "anonymous_send_")
OUTBOUND_PREFIX = "oa_send_"


def signature(app_id: str, raw: bytes, timestamp: str, oa_secret_key: str) -> str:
    """The header value Zalo sends for `raw` ("mac=<hex>")."""
    signed = app_id.encode() + raw + timestamp.encode() + oa_secret_key.encode()
    return "mac=" + hashlib.sha256(signed).hexdigest()


def timestamp_of(payload: Any) -> str:
    """The body's `timestamp`, as it was written (a string of digits; a number is read as its digits)."""
    value = payload.get("timestamp") if isinstance(payload, dict) else None
    if isinstance(value, bool) or not isinstance(value, str | int):
        return ""
    return str(value)


def signature_ok(raw: bytes, header: str, *, app_id: str, timestamp: str, oa_secret_key: str) -> bool:
    if not (header and app_id and timestamp and oa_secret_key):
        return False
    expected = signature(app_id, raw, timestamp, oa_secret_key)
    return hmac.compare_digest(expected.encode(), header.strip().encode())


def parse(payload: Any, oa_id: str = "") -> list[Incoming]:
    """The message of a delivery ([] for events that are not messages; PayloadError for a body that is
    not a Zalo OA event). With `oa_id`, events of another OA are left out."""
    body = obj(payload, "The body")
    event = text(body.get("event_name"), '"event_name"', max_length=64)
    sent_at = millis(body.get("timestamp"), '"timestamp"', digits_string=True)
    inbound = event.startswith(INBOUND_PREFIXES)
    if not inbound and not event.startswith(OUTBOUND_PREFIX):
        return []
    sender = text(obj(body.get("sender"), '"sender"').get("id"), '"sender.id"')
    recipient = text(obj(body.get("recipient"), '"recipient"').get("id"), '"recipient.id"')
    message = obj(body.get("message"), '"message"')
    page_id, user_id = (recipient, sender) if inbound else (sender, recipient)
    if oa_id and page_id != oa_id:
        return []
    return [
        Incoming(
            platform=Platform.ZALO,
            page_id=page_id,
            user_id=user_id,
            message_id=text(message.get("msg_id"), '"message.msg_id"'),
            sent_at=sent_at,
            text=message_text(message.get("text"), '"message.text"'),
            attachments=attachment_count(message.get("attachments"), '"message.attachments"'),
            direction=MessageDirection.INBOUND if inbound else MessageDirection.OUTBOUND,
        )
    ]
