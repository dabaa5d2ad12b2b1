"""Content negotiation: JSON by default, CSV on request for reading; an unknown `?format=` is a 400."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.request import Request

from sencrm.core.api.csv_format import CSV_FORMAT

READ_METHODS = ("GET", "HEAD")


class ApiContentNegotiation(DefaultContentNegotiation):
    def select_renderer(
        self, request: Request, renderers: Any, format_suffix: str | None = None
    ) -> tuple[Any, str]:
        if request.method not in READ_METHODS:
            # CSV is for reading lists; a write always answers JSON.
            renderers = [r for r in renderers if getattr(r, "format", None) != CSV_FORMAT] or renderers
        wanted = format_suffix or request.query_params.get(self.settings.URL_FORMAT_OVERRIDE)
        if wanted:  # an empty ?format= is the default
            formats = [str(getattr(r, "format", "")) for r in renderers]
            if wanted not in formats:
                raise exceptions.ValidationError(
                    {
                        "format": [
                            _("Unknown format; use one of: %(formats)s.") % {"formats": ", ".join(formats)}
                        ]
                    }
                )
        renderer, media_type = super().select_renderer(request, renderers, format_suffix)
        return renderer, media_type
