"""What the inbound and conversation tests share: the platforms' settings, payloads in the platforms' own
formats, and posting them signed exactly as Facebook and Zalo sign them (the signing is written here from
the platforms' documentation, independently of the receivers' code)."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from typing import Any
from zoneinfo import ZoneInfo

import pytest

FB_PAGE = "104857392018475"
FB_APP_SECRET = "fb-app-secret-8f2c1d"
FB_VERIFY_TOKEN = "sen-verify-2026"
ZALO_OA = "388613280878808645"
ZALO_APP_ID = "360846524940903967"
ZALO_OA_SECRET = "zalo-oa-secret-key-91ab"
FB_URL = "/api/v1/inbound/facebook/"
ZALO_URL = "/api/v1/inbound/zalo/"
HCM = ZoneInfo("Asia/Ho_Chi_Minh")


def local(day: int, month: int, hour: int = 10, minute: int = 0, year: int = 2026) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=HCM)


def ms(at: dt.datetime) -> int:
    return int(at.timestamp() * 1000)


@pytest.fixture
def fanpage_campaign(org):
    from sencrm.events.services import record_create
    from sencrm.marketing.models import Campaign

    data = {
        "name": "Fanpage tháng 8 - điều hòa",
        "channel": "facebook_ads",
        "start_date": dt.date(2026, 8, 1),
        "utm_source": "facebook",
        "utm_campaign": "fanpage-t8",
    }
    return record_create(Campaign, actor=org["marketing"], data=data)


@pytest.fixture
def fb_channel(org, hanoi, fanpage_campaign):
    from sencrm.marketing.inbound.channels import inbound_channel_save

    return inbound_channel_save(
        actor=org["admin"],
        platform="facebook",
        page_id=FB_PAGE,
        is_active=True,
        default_campaign=fanpage_campaign,
        secret=FB_APP_SECRET,
        token=FB_VERIFY_TOKEN,
    )


@pytest.fixture
def zalo_channel(org, hanoi):
    from sencrm.marketing.inbound.channels import inbound_channel_save

    return inbound_channel_save(
        actor=org["admin"],
        platform="zalo",
        page_id=ZALO_OA,
        is_active=True,
        default_campaign=None,
        secret=ZALO_OA_SECRET,
        token=ZALO_APP_ID,
    )


def fb_message(
    psid: str, text: str, mid: str, at: dt.datetime, *, page: str = FB_PAGE, **extra: Any
) -> dict[str, Any]:
    """A Page webhook delivery with one message, as Messenger sends it."""
    message = {"mid": mid, "text": text, **extra}
    return {
        "object": "page",
        "entry": [
            {
                "id": page,
                "time": ms(at) + 350,
                "messaging": [
                    {
                        "sender": {"id": psid},
                        "recipient": {"id": page},
                        "timestamp": ms(at),
                        "message": message,
                    }
                ],
            }
        ],
    }


def fb_sign(raw: bytes, secret: str = FB_APP_SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()


def post_fb(client: Any, payload: Any, *, secret: str = FB_APP_SECRET, header: str | None = None) -> Any:
    raw = payload if isinstance(payload, bytes) else json.dumps(payload, ensure_ascii=False).encode()
    signature = fb_sign(raw, secret) if header is None else header
    extra = {"HTTP_X_HUB_SIGNATURE_256": signature} if signature else {}
    return client.post(FB_URL, raw, content_type="application/json", **extra)


def zalo_message(
    user: str, text: str, msg_id: str, at: dt.datetime, *, event: str = "user_send_text"
) -> dict[str, Any]:
    """A Zalo OA "user_send_text" event, as the OA webhook sends it (ids and timestamp as strings)."""
    return {
        "app_id": ZALO_APP_ID,
        "user_id_by_app": "552177279717587730",
        "event_name": event,
        "timestamp": str(ms(at)),
        "sender": {"id": user},
        "recipient": {"id": ZALO_OA},
        "message": {"text": text, "msg_id": msg_id},
    }


def zalo_sign(raw: bytes, timestamp: str, *, app_id: str = ZALO_APP_ID, key: str = ZALO_OA_SECRET) -> str:
    return "mac=" + hashlib.sha256(app_id.encode() + raw + timestamp.encode() + key.encode()).hexdigest()


def post_zalo(client: Any, payload: Any, *, key: str = ZALO_OA_SECRET, header: str | None = None) -> Any:
    raw = payload if isinstance(payload, bytes) else json.dumps(payload, ensure_ascii=False).encode()
    timestamp = str(payload.get("timestamp", "")) if isinstance(payload, dict) else ""
    signature = zalo_sign(raw, timestamp, key=key) if header is None else header
    extra = {"HTTP_X_ZEVENT_SIGNATURE": signature} if signature else {}
    return client.post(ZALO_URL, raw, content_type="application/json", **extra)
