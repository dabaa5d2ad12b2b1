"""The few places where SQLite and PostgreSQL need different SQL; everything else is portable."""

from __future__ import annotations

import json
from typing import Any

from django.db import connection
from django.db.models import Model, Q


def json_array_contains(field: str, key: str, value: str) -> Q:
    """Rows whose JSON `field[key]` (a list of strings) contains `value`."""
    if connection.vendor == "postgresql":
        return Q(**{f"{field}__contains": {key: [value]}})
    # SQLite keeps JSON as text with non-ASCII characters escaped (\u1ebf): match that text.
    return Q(**{f"{field}__{key}__icontains": json.dumps(value)})


def written_tables(model: type[Model]) -> list[str]:
    """The tables a bulk write of `model` touches: its own, its child rows (phones, e-mails, consents…),
    its many-to-many links, and the event log."""
    from django.apps import apps

    tables = [model._meta.db_table]
    for rel in model._meta.related_objects:
        child: Any = rel.related_model
        if rel.one_to_many and child is not model:
            tables.append(child._meta.db_table)
    links: list[Any] = [f.remote_field.through for f in model._meta.many_to_many]
    tables += [through._meta.db_table for through in links]
    tables.append(apps.get_model("events", "Event")._meta.db_table)
    return list(dict.fromkeys(tables))


def analyze(tables: list[str]) -> None:
    """Refresh the planner's statistics after a bulk load (an import, the demo or bench loaders).

    PostgreSQL plans from statistics that only ANALYZE (or autovacuum, which may be off or lag by
    minutes) writes: right after a large COPY it believes the tables are empty and picks plans that
    join every row before the LIMIT (issue 12: list p50 633 ms → 42 ms after ANALYZE). SQLite gets
    `PRAGMA optimize`, which analyses only what needs it."""
    if not tables:
        return
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            quoted = ", ".join(connection.ops.quote_name(t) for t in tables)
            cursor.execute(f"ANALYZE {quoted}")
        elif connection.vendor == "sqlite":
            cursor.execute("PRAGMA optimize")
