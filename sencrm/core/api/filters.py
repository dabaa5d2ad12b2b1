from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.filters import OrderingFilter
from rest_framework.request import Request


class StrictOrderingFilter(OrderingFilter):
    """?ordering= accepts only the view's allowlisted fields; anything else is a 400, not ignored."""

    def get_ordering(self, request: Request, queryset: models.QuerySet[Any], view: Any) -> Any:
        raw = request.query_params.get(self.ordering_param)
        if raw:
            allowed = {name for name, _label in self.get_valid_fields(queryset, view, {"request": request})}
            fields = [f.strip() for f in raw.split(",")]
            bad = [f for f in fields if f.lstrip("-") not in allowed]
            if bad:
                raise exceptions.ValidationError(
                    {"ordering": [_("Cannot sort by: %(fields)s") % {"fields": ", ".join(bad)[:200]}]}
                )
            # Keep the order total, so cursor pages neither repeat nor skip rows.
            return [*fields, "-id" if fields[-1].startswith("-") else "id"]
        return super().get_ordering(request, queryset, view)
