from __future__ import annotations

import datetime as dt
from typing import Any

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.filters import OrderingFilter
from rest_framework.request import Request


class StrictBooleanField(forms.Field):
    """true/false (or 1/0); anything else is an error, not silently "no filter"."""

    def to_python(self, value: Any) -> bool | None:
        if value in (None, ""):
            return None
        text = str(value).strip().lower()
        if text in ("true", "1"):
            return True
        if text in ("false", "0"):
            return False
        raise ValidationError(_("Use true or false."), code="invalid")


class StrictBooleanFilter(django_filters.BooleanFilter):  # type: ignore[misc]
    field_class = StrictBooleanField


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

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        fields = [f if isinstance(f, str) else f[0] for f in getattr(view, "ordering_fields", None) or []]
        parameters: list[dict[str, Any]] = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            parameter["description"] = (
                f"Sort by {', '.join(fields)}; a leading `-` sorts descending, several are separated by "
                "commas. Anything else is a 400."
            )
        return parameters


# Sorts last when a nullable date is replaced by it in an ordering (keyset cursors never meet a NULL).
LAST_DATETIME = dt.datetime(9999, 12, 31, tzinfo=dt.UTC)


class AliasOrderingFilter(StrictOrderingFilter):
    """The allowlisted ?ordering=, where a public name may sort by an annotation (view.ordering_aliases)."""

    def get_ordering(self, request: Request, queryset: models.QuerySet[Any], view: Any) -> Any:
        ordering = super().get_ordering(request, queryset, view)
        aliases: dict[str, str] = getattr(view, "ordering_aliases", {})
        if not ordering:
            return ordering
        return [
            ("-" if f.startswith("-") else "") + aliases.get(f.lstrip("-"), f.lstrip("-")) for f in ordering
        ]
