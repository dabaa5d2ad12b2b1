"""The platforms' webhook receivers: `/api/v1/inbound/facebook/` and `/api/v1/inbound/zalo/`.

Plain Django views, not DRF: the platforms sign the raw body, sign in with nothing and expect a quick 200.
A missing or bad signature (or the platform not set up and switched on) is a 403 and stores nothing; a
signed body the receiver cannot read is a 400 with the reason, nothing stored; a body over 1 MB is a 413.
Everything else is acknowledged with 200 "EVENT_RECEIVED", a retried delivery included (stored once).
The messages are stored in the request (a few rows each): the answer comes in well under the platforms'
time limits (Zalo: 2 s).

CSRF does not apply: nobody's browser session rides on these calls, and the signature is the
authentication.
"""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from sencrm.core.crypto import decrypt
from sencrm.marketing.conversations import conversations_receive
from sencrm.marketing.inbound import facebook, zalo
from sencrm.marketing.inbound.common import MAX_BODY_BYTES, PayloadError, channel_for
from sencrm.marketing.models import InboundChannel, Platform

RECEIVED = "EVENT_RECEIVED"


def _error(status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse({"code": code, "message": message, "errors": {}}, status=status)


def _forbidden() -> JsonResponse:
    # One answer for a bad signature, a missing one and a platform not set up: nothing to learn from it.
    return _error(403, "permission_denied", _("The signature is missing or does not match."))


def _raw_body(request: HttpRequest) -> bytes | JsonResponse:
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    too_big = _error(413, "too_large", _("The body is larger than %(n)s bytes.") % {"n": MAX_BODY_BYTES})
    if declared > MAX_BODY_BYTES:
        return too_big
    raw = request.body
    return too_big if len(raw) > MAX_BODY_BYTES else raw


def _json(raw: bytes) -> Any:
    """The parsed body; PayloadError when it is not JSON (or nested beyond what can be read)."""
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise PayloadError(_("The body is not valid UTF-8 JSON.")) from exc


def _received() -> HttpResponse:
    return HttpResponse(RECEIVED, content_type="text/plain; charset=utf-8")


@csrf_exempt
@require_http_methods(["GET", "POST"])
def facebook_webhook(request: HttpRequest) -> HttpResponse:
    """GET: the subscription handshake; POST: the Page's messaging events (see inbound/facebook.py)."""
    if request.method == "GET":
        configured = InboundChannel.objects.filter(platform=Platform.FACEBOOK, is_active=True).first()
        token = decrypt(configured.token_encrypted) if configured is not None else ""
        challenge = facebook.handshake(request.GET, token)
        if challenge is None:
            return _error(403, "permission_denied", _("The verify token does not match."))
        return HttpResponse(challenge, content_type="text/plain; charset=utf-8")
    raw = _raw_body(request)
    if isinstance(raw, HttpResponse):
        return raw
    channel = channel_for(Platform.FACEBOOK)
    header = request.META.get(facebook.SIGNATURE_HEADER, "")
    if channel is None or not facebook.signature_ok(raw, header, decrypt(channel.secret_encrypted)):
        return _forbidden()
    try:
        messages = facebook.parse(_json(raw), channel.page_id)
    except PayloadError as exc:
        return _error(400, "invalid", str(exc))
    conversations_receive(channel=channel, messages=messages)
    return _received()


@csrf_exempt
@require_POST
def zalo_webhook(request: HttpRequest) -> HttpResponse:
    """The Official Account's events (see inbound/zalo.py for the signature)."""
    raw = _raw_body(request)
    if isinstance(raw, HttpResponse):
        return raw
    channel = channel_for(Platform.ZALO)
    if channel is None:
        return _forbidden()
    try:
        payload = _json(raw)
    except PayloadError as exc:
        # The signed timestamp is inside the body: without JSON there is nothing to check it with.
        return _error(400, "invalid", str(exc))
    signed = zalo.signature_ok(
        raw,
        request.META.get(zalo.SIGNATURE_HEADER, ""),
        app_id=decrypt(channel.token_encrypted),
        timestamp=zalo.timestamp_of(payload),
        oa_secret_key=decrypt(channel.secret_encrypted),
    )
    if not signed:
        return _forbidden()
    try:
        messages = zalo.parse(payload, channel.page_id)
    except PayloadError as exc:
        return _error(400, "invalid", str(exc))
    conversations_receive(channel=channel, messages=messages)
    return _received()


urlpatterns = [
    path("inbound/facebook/", facebook_webhook, name="inbound-facebook"),
    path("inbound/zalo/", zalo_webhook, name="inbound-zalo"),
]
