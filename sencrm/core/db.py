"""The few places where SQLite and PostgreSQL need different SQL; everything else is portable."""

from __future__ import annotations

import json

from django.db import connection
from django.db.models import Q


def json_array_contains(field: str, key: str, value: str) -> Q:
    """Rows whose JSON `field[key]` (a list of strings) contains `value`."""
    if connection.vendor == "postgresql":
        return Q(**{f"{field}__contains": {key: [value]}})
    # SQLite keeps JSON as text with non-ASCII characters escaped (\u1ebf): match that text.
    return Q(**{f"{field}__{key}__icontains": json.dumps(value)})
