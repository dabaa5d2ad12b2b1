"""`?format=csv` on the API's list endpoints: the same filters, search, ordering and access gate as the
JSON list, every matching row (no pages), streamed in chunks so memory stays flat.

Cells are made formula-safe like the UI's exports (sencrm.core.export), the file is UTF-8 with a BOM
(Excel opens Vietnamese text correctly), nested lists are joined with "; " and custom fields get one
column each (`cf_<key>`). Reading a list as CSV needs the module's export right, as in the UI (403).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from itertools import islice
from typing import Any

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.http import StreamingHttpResponse
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request

from sencrm.core import access
from sencrm.core.export import safe_cell
from sencrm.core.modules import Action, Module

CSV_FORMAT = "csv"
CSV_MEDIA_TYPE = "text/csv"
CHUNK = 500
LIST_SEPARATOR = "; "
# Of an object in a nested list (a phone, an e-mail), the one value that stands for it in a cell.
ITEM_KEYS = ("number", "address", "name", "id")
CUSTOM_FIELDS = "custom_fields"


class CsvRenderer(BaseRenderer):
    """Renders what is not streamed: a single record as one row. Errors stay JSON."""

    media_type = CSV_MEDIA_TYPE
    format = CSV_FORMAT
    charset = "utf-8"

    def render(
        self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None
    ) -> bytes | str:
        response = (renderer_context or {}).get("response")
        if response is not None and response.status_code >= 400:
            response["Content-Type"] = "application/json"
            return JSONRenderer().render(data, "application/json", renderer_context)
        if data is None:
            return b""
        rows = data if isinstance(data, list) else [data]
        header = list(rows[0]) if rows and isinstance(rows[0], dict) else []
        writer = csv.writer(_Echo())
        lines = ["\ufeff" + writer.writerow(header)]
        lines += [writer.writerow(flatten_row(row, header)) for row in rows if isinstance(row, dict)]
        return "".join(lines).encode("utf-8")


class _Echo:
    def write(self, value: str) -> str:
        return value


def wants_csv(request: Request) -> bool:
    renderer = getattr(request, "accepted_renderer", None)
    return getattr(renderer, "format", None) == CSV_FORMAT


def cell(value: Any) -> Any:
    """One JSON value as a CSV cell (text that a spreadsheet would run as a formula is defused)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return safe_cell(LIST_SEPARATOR.join(_text(_item(v)) for v in value))
    if isinstance(value, dict):
        return _text(value)
    return safe_cell(value)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    return str(value)


def _item(value: Any) -> Any:
    if isinstance(value, dict):
        for key in ITEM_KEYS:
            if key in value:
                return value[key]
    return value


def flatten_row(row: dict[str, Any], header: list[str]) -> list[Any]:
    custom = row.get(CUSTOM_FIELDS)
    custom = custom if isinstance(custom, dict) else {}
    return [
        cell(custom.get(name[3:]) if name.startswith("cf_") and name not in row else row.get(name))
        for name in header
    ]


def export_module(view: Any, model: type[models.Model]) -> str:
    """The module whose export right reading this list as CSV needs (administration when none)."""
    module = (
        getattr(view, "export_module", None)
        or getattr(view, "access_module", None)
        or getattr(model, "access_module", None)
    )
    return str(module or Module.ADMIN)


def check_export(request: Request, view: Any, model: type[models.Model]) -> None:
    if not access.can(request.user, export_module(view, model), Action.EXPORT):
        raise exceptions.PermissionDenied(_("Your role does not allow exporting these records."))


def export_queryset(request: Request, view: Any, queryset: models.QuerySet[Any]) -> models.QuerySet[Any]:
    """The rows a CSV may hold: the module's export right (403 without it), then the export *scope*
    over the list's rows, as the UI's exports do; a role that sees all contacts but may export only
    its own gets only its own."""
    check_export(request, view, queryset.model)
    if access.is_gated(queryset.model):
        return access.scope(request.user, queryset, Action.EXPORT)
    return queryset


def _custom_field_keys(model: type[models.Model]) -> list[str]:
    if not any(f.name == "custom_field_data" for f in model._meta.get_fields()):
        return []
    custom_field = apps.get_model("customfields", "CustomField")
    return list(
        custom_field.objects.filter(content_type=ContentType.objects.get_for_model(model))
        .order_by("position", "id")
        .values_list("key", flat=True)
    )


def header_for(view: Any, model: type[models.Model]) -> list[str]:
    fields = view.get_serializer().fields
    names: list[str] = []
    for name, field in fields.items():
        if field.write_only:
            continue
        if name == CUSTOM_FIELDS:
            names += [f"cf_{key}" for key in _custom_field_keys(model)]
        else:
            names.append(name)
    return names


def csv_response(view: Any, request: Request, queryset: models.QuerySet[Any]) -> StreamingHttpResponse:
    """Every row of the (filtered, ordered) queryset, serialized by the view's serializer in chunks."""
    header = header_for(view, queryset.model)
    writer = csv.writer(_Echo())

    def stream() -> Iterator[str]:
        yield "\ufeff" + writer.writerow(header)
        rows = queryset.iterator(chunk_size=CHUNK)
        while chunk := list(islice(rows, CHUNK)):
            for row in view.get_serializer(chunk, many=True).data:
                yield writer.writerow(flatten_row(row, header))

    name = request.path.rstrip("/").rsplit("/", 1)[-1] or "export"
    response = StreamingHttpResponse(stream(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    return response
