from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import StreamingHttpResponse
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request
from rest_framework.response import Response

from sencrm.core.api import csv_format

MAX_PAGE_SIZE = 500


class RecordCursorPagination(CursorPagination):
    """Cursor pages on (ordering, id); page_size 1–500, anything else is a 400 (never clamped).

    With `?format=csv` (or `Accept: text/csv`) there are no pages: every matching row is streamed as
    CSV, in the same order (see sencrm.core.api.csv_format)."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE
    ordering: tuple[str, ...] = ("-id",)
    page_size_query_description = "Records per page, 1–500 (default 50); anything else is a 400."
    cursor_query_description = "The page cursor: the `next` or `previous` link of the page before."
    csv_export: StreamingHttpResponse | None = None

    def get_page_size(self, request: Request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        if not raw.isdigit() or not 1 <= int(raw) <= MAX_PAGE_SIZE:
            raise exceptions.ValidationError(
                {"page_size": [_("Must be a whole number from 1 to %(max)s.") % {"max": MAX_PAGE_SIZE}]}
            )
        return int(raw)

    def decode_cursor(self, request: Request) -> Any:
        try:
            return super().decode_cursor(request)
        except exceptions.NotFound as exc:
            # A tampered or forged cursor is bad input, not a missing page.
            raise exceptions.ValidationError({self.cursor_query_param: [_("Invalid page cursor.")]}) from exc

    def paginate_queryset(self, queryset: Any, request: Request, view: Any = None) -> Any:
        if csv_format.wants_csv(request):
            queryset = csv_format.export_queryset(request, view, queryset)
            ordering = self.get_ordering(request, queryset, view)
            self.csv_export = csv_format.csv_response(view, request, queryset.order_by(*ordering))
            return []
        try:
            return super().paginate_queryset(queryset, request, view)
        except (ValueError, TypeError, DjangoValidationError) as exc:
            if not request.query_params.get(self.cursor_query_param):
                raise
            # A well-formed cursor whose position does not fit the sort column (a forged one).
            raise exceptions.ValidationError({self.cursor_query_param: [_("Invalid page cursor.")]}) from exc

    def get_paginated_response(self, data: Any) -> Any:
        if self.csv_export is not None:
            return self.csv_export
        return Response(
            {
                "next": self.get_next_link(),
                "previous": self.get_previous_link(),
                "meta": {"page_size": self.page_size, "max_page_size": MAX_PAGE_SIZE},
                "results": data,
            }
        )

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        return {
            "type": "object",
            "required": ["next", "previous", "meta", "results"],
            "properties": {
                "next": {
                    "type": "string",
                    "format": "uri",
                    "nullable": True,
                    "description": "Link to the next page; null on the last page.",
                },
                "previous": {
                    "type": "string",
                    "format": "uri",
                    "nullable": True,
                    "description": "Link to the previous page; null on the first page.",
                },
                "meta": {
                    "type": "object",
                    "description": "How the list is paged.",
                    "required": ["page_size", "max_page_size"],
                    "properties": {
                        "page_size": {"type": "integer", "description": "Records per page in this answer."},
                        "max_page_size": {"type": "integer", "description": "The largest page_size allowed."},
                    },
                },
                "results": {**schema, "description": "The records of this page."},
            },
        }
