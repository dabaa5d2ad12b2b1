"""The OpenAPI schema's conventions, in one place for every module's endpoints.

- Every operation documents the error answers it can give (the JSON body of sencrm.core.api.errors),
  unless the view declared its own: 400, 401, 403, 429, 404 where the path names a record and 409 for
  writes to a record (the version check). 429 carries `Retry-After`.
- List endpoints also answer CSV (`?format=csv`, see sencrm.core.api.csv_format); nothing else does.
- A field without a help text is described by its label (its model field's verbose name); an operation
  without a summary gets one from its action ("List contacts", "Change a contact"…).
"""

from __future__ import annotations

import re
from typing import Any

from django.utils import translation
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import get_doc, get_view_model
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework.settings import api_settings

from sencrm.core.api.csv_format import CSV_FORMAT, CSV_MEDIA_TYPE
from sencrm.core.api.errors import ApiErrorSerializer

JSON = "application/json"

# `?search=` of the customer-like lists (contacts, accounts, leads): shared by their modules' views.
SEARCH = OpenApiParameter(
    "search", str, description="Accent-insensitive text, or a phone number in any format."
)

ERRORS = {
    "400": "Bad input: `message` and the messages per field in `errors` (a body, a filter, `ordering`, "
    "`page_size`, the page cursor or `format`).",
    "401": "No credentials, or an invalid, expired or revoked token.",
    "403": "Your role does not allow this (for `?format=csv`: the module's export right), or a browser "
    "session's write without its CSRF token.",
    "404": "No such record, or it is outside your access scope (the two look the same).",
    "409": "Someone changed the record since the `version` you sent: `current_version` holds the "
    "current one; read the record again and retry.",
    "429": "Too many requests for this token (or user, or IP address): wait the seconds in `Retry-After`.",
}
RETRY_AFTER = {
    "Retry-After": {
        "schema": {"type": "integer"},
        "description": "Seconds to wait before the next request.",
    }
}
CSV_SCHEMA = {
    "type": "string",
    "description": "With `?format=csv` (or `Accept: text/csv`): every matching record, not paged, as CSV "
    "(UTF-8 with BOM): one column per field of the JSON answer, nested lists joined with `; `, one "
    "`cf_<key>` column per custom field.",
}
FORMAT_DESCRIPTION = (
    "`csv` for every matching record as CSV (same filters, search and ordering; needs the export right), "
    "`json` (the default) for pages."
)

# DRF action → summary, with the model's verbose names.
SUMMARIES = {
    "list": "List {plural}",
    "create": "Create {a} {name}",
    "retrieve": "Read {a} {name}",
    "update": "Replace {a} {name}",
    "partial_update": "Change {a} {name}",
    "destroy": "Delete {a} {name}",
}


class ApiAutoSchema(AutoSchema):
    def get_summary(self) -> str | None:
        summary = super().get_summary()
        if summary:
            return summary
        action = getattr(self.view, "action", None)
        model = get_view_model(self.view, emit_warnings=False)  # type: ignore[no-untyped-call]
        if action in SUMMARIES and model is not None:
            with translation.override("en"):
                name = str(model._meta.verbose_name)
                return SUMMARIES[action].format(
                    a="an" if name[:1] in "aeiou" else "a", name=name, plural=model._meta.verbose_name_plural
                )
        handler = getattr(self.view, action or self.method.lower(), None)
        doc = get_doc(handler) if handler is not None else ""
        if not doc and action is None:  # a function view (@api_view): its docstring
            doc = get_doc(self.view.__class__)
        return re.split(r"[.;:(]\s*", doc, maxsplit=1)[0].strip() if doc else None

    def _resolve_path_parameters(self, variables: Any) -> list[dict[str, Any]]:
        parameters: list[dict[str, Any]] = super()._resolve_path_parameters(variables)  # type: ignore[no-untyped-call]
        for parameter in parameters:
            if not parameter.get("description"):
                parameter["description"] = (
                    "The record's id." if parameter["name"] == "id" else parameter["name"]
                )
        return parameters

    def _answers_csv(self) -> bool:
        return self.method == "GET" and self._get_paginator() is not None and self._is_list_view()  # type: ignore[no-untyped-call]

    def map_renderers(self, attribute: str) -> list[Any]:
        found = super().map_renderers(attribute)
        if self._answers_csv():
            return found
        return [item for item in found if item not in (CSV_FORMAT, CSV_MEDIA_TYPE)]

    def _get_format_parameters(self) -> list[dict[str, Any]]:
        parameters: list[dict[str, Any]] = super()._get_format_parameters()
        for parameter in parameters:
            if parameter["name"] == api_settings.URL_FORMAT_OVERRIDE:
                parameter["description"] = FORMAT_DESCRIPTION
        return parameters

    def _get_response_for_code(
        self, serializer: Any, status_code: str, media_types: Any = None, direction: Any = "response"
    ) -> dict[str, Any]:
        if status_code >= "400" and not media_types:
            media_types = [JSON]
        result: dict[str, Any] = super()._get_response_for_code(  # type: ignore[no-untyped-call]
            serializer, status_code, media_types, direction
        )
        content = result.get("content", {})
        if CSV_MEDIA_TYPE in content:
            content[CSV_MEDIA_TYPE] = {"schema": CSV_SCHEMA}
        return result

    def _get_response_headers_for_code(self, status_code: str, direction: Any = "response") -> dict[str, Any]:
        headers: dict[str, Any] = super()._get_response_headers_for_code(status_code, direction)
        if str(status_code) == "429":
            headers = {**RETRY_AFTER, **headers}
        return headers

    def _error_codes(self) -> list[str]:
        codes = ["400", "401", "403"]
        names_record = "{" in self.path
        if names_record:
            codes.append("404")
        if self.method in ("PUT", "PATCH") or (self.method == "POST" and names_record):
            codes.append("409")
        return [*codes, "429"]

    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        responses: dict[str, Any] = super()._get_response_bodies(direction)
        for code in self._error_codes():
            if code not in responses:
                responses[code] = self._get_response_for_code(
                    OpenApiResponse(ApiErrorSerializer, description=ERRORS[code]), code, direction=direction
                )
        return responses

    def _get_serializer_field_meta(self, field: Any, direction: Any) -> dict[str, Any]:
        meta: dict[str, Any] = super()._get_serializer_field_meta(field, direction)  # type: ignore[no-untyped-call]
        if "description" not in meta and getattr(field, "label", None):
            meta["description"] = str(field.label)
        return meta
