"""Every API error as JSON: {"code", "message", "errors": {field: [messages]}}; never a 500 for bad input."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

from sencrm.core.exceptions import StaleRecord


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
    if isinstance(exc, exceptions.ValidationError):
        body = {"code": "invalid", "message": _("The data is not valid."), "errors": _as_lists(exc.detail)}
    else:
        detail = getattr(exc, "detail", "")
        code = getattr(detail, "code", None) or getattr(exc, "default_code", "error")
        body = {"code": code, "message": str(detail), "errors": {}}
    response.data = body
    return response
