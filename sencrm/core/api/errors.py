"""Every API error as JSON: {"code", "message", "errors": {field: [messages]}}; never a 500 for bad input."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import exceptions, serializers, status
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import exception_handler

from sencrm.core.exceptions import StaleRecord


@extend_schema_field(
    {
        "type": "object",
        "additionalProperties": {
            "anyOf": [
                {
                    "type": "array",
                    "items": {"anyOf": [{"type": "string"}, {"type": "object"}, {"type": "array"}]},
                },
                {"type": "object", "additionalProperties": True},
            ]
        },
    }
)
class ErrorsField(serializers.DictField):
    """Per field, a list of messages; for a nested object or list (phones, emails, event types) an object
    with such lists per field or per item index ("0", "1"…)."""


class ApiErrorSerializer(serializers.Serializer):  # type: ignore[type-arg]
    """Every error answer of the API."""

    code = serializers.CharField(
        help_text="Machine-readable code: invalid, not_authenticated, authentication_failed, "
        "permission_denied, not_found, conflict, throttled, method_not_allowed, unsupported_media_type…"
    )
    message = serializers.CharField(help_text="What went wrong, for a person (in the user's language).")
    # A declared field: DRF takes it off the class, so Serializer.errors stays the property.
    errors = ErrorsField(help_text="Messages per field (non_field_errors for the whole body); {} if none.")  # type: ignore[assignment]
    current_version = serializers.IntegerField(
        required=False, help_text="With 409 only: the record's current version."
    )


def _as_lists(detail: Any) -> Any:
    if isinstance(detail, dict):
        return {str(k): _as_lists(v) for k, v in detail.items()}
    if isinstance(detail, list):
        return [str(item) if not isinstance(item, dict | list) else _as_lists(item) for item in detail]
    return [str(detail)]


def handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, StaleRecord):
        return Response(
            {
                "code": "conflict",
                "message": str(exc.message),
                "errors": {},
                "current_version": exc.current_version,
            },
            status=status.HTTP_409_CONFLICT,
        )
    if isinstance(exc, DjangoValidationError):
        errors = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        exc = exceptions.ValidationError(errors)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound(_("The record does not exist or you do not have access to it."))
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    response = exception_handler(exc, context)
    if response is None:
        return None
    request = context.get("request")
    if request is not None:
        # An error is JSON whatever was asked for (a CSV list, the YAML schema).
        request.accepted_renderer = JSONRenderer()
        request.accepted_media_type = JSONRenderer.media_type
    if isinstance(exc, exceptions.ValidationError):
        body = {"code": "invalid", "message": _("The data is not valid."), "errors": _as_lists(exc.detail)}
    else:
        detail = getattr(exc, "detail", "")
        code = getattr(detail, "code", None) or getattr(exc, "default_code", "error")
        body = {"code": code, "message": str(detail), "errors": {}}
    response.data = body
    return response
