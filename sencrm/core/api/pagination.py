from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request
from rest_framework.response import Response

MAX_PAGE_SIZE = 500


class RecordCursorPagination(CursorPagination):
    """Cursor pages on (ordering, id); page_size 1–500, anything else is a 400 (never clamped)."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE
    ordering = ("-id",)

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

    def get_paginated_response(self, data: Any) -> Response:
        return Response(
            {
                "next": self.get_next_link(),
                "previous": self.get_previous_link(),
                "meta": {"page_size": self.page_size, "max_page_size": MAX_PAGE_SIZE},
                "results": data,
            }
        )
