"""What the two receivers share: the size cap, the bad-payload error, reading the platforms' fields with
their types checked, and the channel's stored secrets."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from sencrm.core.crypto import decrypt
from sencrm.core.text import clean_text
from sencrm.marketing.models import InboundChannel

# A Messenger or Zalo delivery is a few kilobytes; anything near this is not one.
MAX_BODY_BYTES = 1024 * 1024
MAX_TEXT_CHARS = 20_000
# A message time outside this window is a broken or forged payload, not a message.
EARLIEST = dt.datetime(2004, 1, 1, tzinfo=dt.UTC)
FUTURE_SLACK = dt.timedelta(days=1)


class PayloadError(ValueError):
    """A signed delivery the receiver cannot read: answered 400 with this message, nothing stored."""


def channel_for(platform: str) -> InboundChannel | None:
    """The platform's settings when the administrator switched it on and set its secret."""
    channel = InboundChannel.objects.select_related("default_campaign", "updated_by").filter(
        platform=platform
    )
    found = channel.first()
    if found is None or not found.is_active or not decrypt(found.secret_encrypted):
        return None
    return found


def obj(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise PayloadError(f"{where} must be a JSON object.")
    return value


def text(value: Any, where: str, *, required: bool = True, max_length: int = 128) -> str:
    """A string field (ids are strings on both platforms: a number there is a wrong type)."""
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        raise PayloadError(f"{where} must be a non-empty string.")
    if len(value) > max_length:
        raise PayloadError(f"{where} is longer than {max_length} characters.")
    return value.strip()


def message_text(value: Any, where: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise PayloadError(f"{where} must be a string.")
    # NFC and no bidi overrides, but the person's line breaks are kept.
    return "\n".join(clean_text(line) for line in value[:MAX_TEXT_CHARS].splitlines()).strip()


def millis(value: Any, where: str, *, digits_string: bool = False) -> dt.datetime:
    """A time in milliseconds since the epoch (Facebook: a number; Zalo: a string of digits)."""
    if digits_string and isinstance(value, str) and value.isdigit() and len(value) <= 16:
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        kind = "a string of digits" if digits_string else "a whole number"
        raise PayloadError(f"{where} must be {kind} (milliseconds since 1970).")
    try:
        at = dt.datetime.fromtimestamp(value / 1000, tz=dt.UTC)
    except (OverflowError, OSError, ValueError) as exc:
        raise PayloadError(f"{where} is not a valid time.") from exc
    if not EARLIEST <= at <= timezone.now() + FUTURE_SLACK:
        raise PayloadError(f"{where} is not a plausible message time.")
    return at


def attachment_count(value: Any, where: str) -> int:
    if value is None:
        return 0
    if not isinstance(value, list):
        raise PayloadError(f"{where} must be a list.")
    return len(value)
