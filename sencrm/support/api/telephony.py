"""The telephony doors: `POST /api/v1/telephony/events/` (any system, with a personal API token whose user
may create customer-care records), `/api/v1/telephony/asterisk/` (AMI events forwarded as JSON, with the
shared token TELEPHONY_ASTERISK_TOKEN in `X-Telephony-Token`) and `/api/v1/telephony/stringee/` (Stringee's
event_url, signed with TELEPHONY_STRINGEE_SECRET). See sencrm/support/telephony.py for the formats.

The two adapters are plain Django views, like the platforms' webhook receivers: they sign in with a shared
secret, not a user, and CSRF does not apply (no browser session rides on them). Off (404) while their
setting is empty; a missing or wrong token or signature is a 403 and stores nothing.
"""

from __future__ import annotations

import hmac
import json
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from sencrm.core import access
from sencrm.core.modules import Action, Module
from sencrm.support import telephony
from sencrm.users.authentication import BearerTokenAuthentication

MAX_BODY_BYTES = 256 * 1024  # a batch of AMI events is a few kilobytes
MAX_BATCH = 500
ASTERISK_TOKEN_HEADER = "HTTP_X_TELEPHONY_TOKEN"  # noqa: S105  (a header name)


class CallEventSerializer(serializers.Serializer):  # type: ignore[type-arg]
    """The generic call event (documentation: telephony.parse_event checks the body)."""

    event = serializers.ChoiceField(choices=telephony.EVENTS)
    call_id = serializers.CharField(
        max_length=telephony.MAX_ID, help_text="The call's id in the telephony system."
    )
    direction = serializers.ChoiceField(
        choices=["inbound", "outbound"], required=False, help_text="Default inbound."
    )
    from_ = serializers.CharField(
        required=False,
        help_text="The caller's number (the customer's, for an incoming call; required on ringing).",
    )
    to = serializers.CharField(
        required=False, help_text="The called number (the customer's, for an outgoing call)."
    )
    extension = serializers.CharField(
        required=False, max_length=20, help_text="The agent's extension: whose screen shows the caller."
    )
    at = serializers.DateTimeField(required=False, help_text="When it happened (ISO 8601); default now.")
    duration = serializers.IntegerField(
        required=False, min_value=0, help_text="Talk time in seconds (ended; default answered → ended)."
    )
    recording_url = serializers.URLField(required=False)

    def get_fields(self) -> dict[str, Any]:
        fields = super().get_fields()
        fields["from"] = fields.pop("from_")  # "from" is a Python keyword
        return fields


RESULT = inline_serializer(
    "CallEventResult",
    {
        "duplicate": serializers.BooleanField(
            help_text="True: this event was received before; nothing done."
        ),
        "call_id": serializers.CharField(),
        "event": serializers.CharField(),
        "call": serializers.IntegerField(required=False, help_text="The call in the call log."),
        "owner": serializers.IntegerField(required=False, help_text="The agent the call is given to."),
        "ignored": serializers.BooleanField(required=False),
    },
)


class CallEventView(APIView):
    """Receive a call event from the telephony system."""

    authentication_classes = [BearerTokenAuthentication]
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Receive a call event",
        description="`ringing` creates the call in the call log, finds the customer by number and shows "
        "their card on the screen of the agent whose `extension` rings (AgentExtension; else the token's "
        "user); `answered` and `ended` complete it (`ended`: the duration, and `missed` when nobody "
        "answered; the event `call.ended` goes on the customer's timeline). Each (call_id, event) is "
        "processed once: a replay answers `duplicate: true`. The token's user needs the right to create "
        "customer-care records.",
        request=CallEventSerializer,
        responses={200: RESULT},
        tags=["telephony"],
    )
    def post(self, request: Request) -> Response:
        access.check_module(request.user, Module.SUPPORT, Action.CREATE)
        event = telephony.parse_event(request.data)
        return Response(telephony.receive(event, fallback_owner=request.user, actor=request.user))


# --- the adapters ----------------------------------------------------------------------------------------


def _error(status: int, code: str, message: str, errors: dict[str, Any] | None = None) -> JsonResponse:
    return JsonResponse({"code": code, "message": message, "errors": errors or {}}, status=status)


def _invalid(exc: ValidationError) -> JsonResponse:
    errors = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
    return _error(400, "invalid", _("The data is not valid."), errors)


def _forbidden() -> JsonResponse:
    return _error(403, "permission_denied", _("The token or the signature is missing or does not match."))


def _body(request: HttpRequest) -> bytes | JsonResponse:
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > MAX_BODY_BYTES or len(raw := request.body) > MAX_BODY_BYTES:
        return _error(413, "too_large", _("The body is larger than %(n)s bytes.") % {"n": MAX_BODY_BYTES})
    return raw


def _json(raw: bytes) -> Any:
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise ValidationError(_("The body is not valid UTF-8 JSON.")) from exc


@csrf_exempt
@require_POST
def asterisk_events(request: HttpRequest) -> HttpResponse:
    """One AMI event (a JSON object) or a batch of them (a list), in the order Asterisk sent them."""
    secret = settings.TELEPHONY_ASTERISK_TOKEN
    if not secret:
        return _error(404, "not_found", _("The Asterisk adapter is not switched on."))
    token = request.META.get(ASTERISK_TOKEN_HEADER, "").strip()
    if not token or not hmac.compare_digest(token.encode(), secret.encode()):
        return _forbidden()
    raw = _body(request)
    if isinstance(raw, HttpResponse):
        return raw
    try:
        payload = _json(raw)
        batch = payload if isinstance(payload, list) else [payload]
        if len(batch) > MAX_BATCH:
            raise ValidationError(_("At most %(n)s events at a time.") % {"n": MAX_BATCH})
    except ValidationError as exc:
        return _invalid(exc)
    owner = telephony.default_owner()
    results = []
    for index, message in enumerate(batch):
        try:
            results.append(telephony.asterisk_receive(message, fallback_owner=owner))
        except ValidationError as exc:
            # The events before it are processed (each in its own transaction): a retried batch finds
            # them again as duplicates.
            answer = _invalid(exc)
            if isinstance(payload, list):
                answer = _error(
                    400,
                    "invalid",
                    _("Event %(n)s of the batch is not valid.") % {"n": index},
                    {str(index): exc.messages},
                )
            return answer
    return JsonResponse({"results": results} if isinstance(payload, list) else results[0])


@csrf_exempt
@require_POST
def stringee_events(request: HttpRequest) -> HttpResponse:
    """Stringee's event_url: the signature is checked on the raw body before anything is read."""
    secret = settings.TELEPHONY_STRINGEE_SECRET
    if not secret:
        return _error(404, "not_found", _("The Stringee adapter is not switched on."))
    raw = _body(request)
    if isinstance(raw, HttpResponse):
        return raw
    if not telephony.stringee_signature_ok(
        raw, request.META.get(telephony.STRINGEE_SIGNATURE_HEADER, ""), secret
    ):
        return _forbidden()
    try:
        event = telephony.stringee_event(_json(raw))
        if event is None:
            return JsonResponse({"ignored": True})
        result = telephony.receive(event, fallback_owner=telephony.default_owner())
    except ValidationError as exc:
        return _invalid(exc)
    return JsonResponse(result)


urlpatterns = [
    path("telephony/events/", CallEventView.as_view(), name="telephony-events"),
    path("telephony/asterisk/", asterisk_events, name="telephony-asterisk"),
    path("telephony/stringee/", stringee_events, name="telephony-stringee"),
]
