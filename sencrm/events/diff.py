"""Turning a record into JSON-safe values, and two snapshots into the changed fields."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models


def json_value(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, list | tuple):
        return [json_value(v) for v in value]
    if isinstance(value, dict):
        return {str(k): json_value(v) for k, v in value.items()}
    return str(value)


def audited_fields(obj: models.Model) -> list[models.Field[Any, Any]]:
    exclude: frozenset[str] = getattr(obj, "audit_exclude", frozenset())
    return [f for f in obj._meta.concrete_fields if f.name not in exclude and not f.primary_key]


def _python_value(field: models.Field[Any, Any], obj: models.Model) -> Any:
    # Values set but not yet cleaned (61 for a DecimalField) compare equal to their clean form.
    value = field.value_from_object(obj)
    try:
        return field.to_python(value)
    except ValidationError:
        return value  # full_clean() reports it


def snapshot(obj: models.Model) -> dict[str, Any]:
    """{field name: JSON value}; a foreign key is its primary key."""
    return {f.name: json_value(_python_value(f, obj)) for f in audited_fields(obj)}


def changes(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    return {name: [before.get(name), value] for name, value in after.items() if before.get(name) != value}


def fk_labels(obj: models.Model, changed: dict[str, list[Any]]) -> dict[str, list[str | None]]:
    """Readable names of the old and new related records of changed foreign keys (for the audit trail)."""
    labels: dict[str, list[str | None]] = {}
    for field in audited_fields(obj):
        if field.name in changed and field.is_relation and field.related_model is not None:
            related: Any = field.related_model
            pair: list[str | None] = []
            for pk in changed[field.name]:
                target = related._base_manager.filter(pk=pk).first() if pk is not None else None
                pair.append(str(target) if target is not None else None)
            labels[field.name] = pair
    return labels
