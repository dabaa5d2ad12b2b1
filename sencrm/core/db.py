"""The few places where SQLite and PostgreSQL need different SQL; everything else is portable.

Also the one module that leans on what a database library does not document (see `on_commit_once`):
sencrm/core/tests/test_db.py fails the day that changes, and nothing else in the project reaches for it.
"""

from __future__ import annotations

import contextlib
import io
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Model, Prefetch, Q, QuerySet


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


def on_commit_once(func: Callable[[], None]) -> None:
    """`transaction.on_commit(func)`, unless `func` already waits for this transaction's commit.

    Every write emits an event and wakes the event consumers after commit; a transaction that writes a
    thousand records must queue one wake-up, not a thousand. Django has no public way to ask what
    waits for the commit, so this reads `connection.run_on_commit` (undocumented: a list of
    (savepoint ids, callable, robust) that Django empties on commit and trims on rollback, so a
    callable in it is sure to run, or to be dropped with the transaction). It is the project's only
    use of it; test_db.py checks the shape and fails if a Django upgrade changes it.
    Outside a transaction (autocommit) `func` runs at once, as `on_commit` does."""
    conn = transaction.get_connection()
    if conn.in_atomic_block and any(entry[1] is func for entry in conn.run_on_commit):
        return
    transaction.on_commit(func)


def copy_text(rows: Iterable[Sequence[Any]]) -> bytes:
    """PostgreSQL: rows in COPY's text format, adapted as `cursor.copy().write_row()` adapts them,
    ready to be sent later (or from another thread) with `copy.write(data)`. Uses psycopg's public
    `Copy` with a `FileWriter` (formatting without a COPY in progress); no query is sent."""
    from psycopg import Copy
    from psycopg.copy import FileWriter

    connection.ensure_connection()
    buffer = io.BytesIO()
    raw: Any = connection.connection
    with raw.cursor() as cursor, Copy(cursor, binary=False, writer=FileWriter(buffer)) as copy:
        for row in rows:
            copy.write_row(row)
    return buffer.getvalue()


@contextlib.contextmanager
def analytic_query() -> Iterator[None]:
    """A transaction for one heavy read (a segment over every contact, a report): on PostgreSQL it may
    hash a large set in memory (`work_mem`, settings.ANALYTIC_WORK_MEM) instead of spilling or falling
    back to a nested loop, and skips JIT compilation, which costs more than it saves on these plans.
    SET LOCAL ends with the transaction: the connection's other queries keep the server's defaults."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT set_config('work_mem', %s, true), set_config('jit', 'off', true)",
                    [settings.ANALYTIC_WORK_MEM],
                )
        yield


class PrefetchedInto:
    """A model attribute to name as a Prefetch's `to_attr` (see `prefetch_fast`): the rows are handed to
    the relation's own manager, as `prefetch_related("phones")` would, so `contact.phones.all()` reads
    them everywhere (serializers, templates, exports) without a query.

    Why: for a plain lookup Django builds each parent row's related queryset by applying the relation's
    filter (a queryset clone, 60–100 µs), 200 times for an API page of 51 contacts with four relations —
    a tenth of the request. Here each row gets a bare queryset holding its rows. This leans on two
    undocumented details, the `_prefetched_objects_cache` dict and a queryset's `_result_cache`;
    sencrm/core/tests/test_db.py fails the day they change."""

    def __init__(self, relation: str) -> None:
        self.relation = relation
        self.name = relation + "_prefetched"

    def __set_name__(self, owner: type[Model], name: str) -> None:
        self.name = name

    def __get__(self, obj: Model | None, owner: type[Model] | None = None) -> Any:
        if obj is None:
            return self
        cached = obj.__dict__.get("_prefetched_objects_cache", {}).get(self.relation)
        if cached is None:  # not prefetched yet: Django's prefetch (hasattr) then fetches it
            raise AttributeError(self.name)
        return list(cached)

    def __set__(self, obj: Model, rows: list[Model]) -> None:
        related: Any = obj._meta.get_field(self.relation).related_model
        queryset: QuerySet[Any] = QuerySet(model=related, using=obj._state.db)
        queryset._result_cache = list(rows)  # Django's own cache, see above
        queryset._prefetch_done = True  # type: ignore[attr-defined]  # not in django-stubs
        obj.__dict__.setdefault("_prefetched_objects_cache", {})[self.relation] = queryset


def prefetch_fast(*relations: str) -> list[Prefetch[Any]]:
    """`prefetch_related(*prefetch_fast("phones", "emails"))`: the model declares
    `phones_prefetched = PrefetchedInto("phones")` (and so on) for each relation."""
    return [Prefetch(relation, to_attr=relation + "_prefetched") for relation in relations]
