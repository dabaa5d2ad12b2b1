"""The spine's bulk form: many records written with a handful of statements, under the same rules as
`record_create` / `record_update` (sencrm/events/services.py: `record_bulk_create`, `record_bulk_update`,
`record_bulk_delete` are the public doors; this module and bulk_update.py are their machinery).

`record_create` costs a few milliseconds a record (ORM save, full_clean, one event insert); an import of
100,000 rows has ≈ 0.2 ms. Here ids are allocated up front, rows go in with COPY (PostgreSQL) or one
executemany (SQLite), and the result is what the single-record services produce: the derived fields of
the record type's one `derive` (sencrm/events/children.py), its child rows, and one event per record
shaped as `event_emit` writes it. The gate: owners and teams the actor may assign (`action` and view
scope), links only to records the actor may view (one query per linked model and batch). Callers
validate the values (the import's parser does, cell by cell); everything runs in the caller's
transaction.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any, cast

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS, connection, connections, models
from django.utils import timezone

from sencrm.core import access
from sencrm.core.db import copy_text
from sencrm.core.modules import Action
from sencrm.events.children import Spec, spec_for
from sencrm.events.diff import audited_fields, json_value
from sencrm.events.models import Event

# Field types whose Python value is what the database takes (no adapting per row).
PLAIN = {
    "AutoField", "BigAutoField", "CharField", "TextField", "SlugField", "EmailField", "URLField",
    "ForeignKey",
    "IntegerField", "BigIntegerField", "SmallIntegerField", "PositiveIntegerField", "PositiveBigIntegerField",
    "PositiveSmallIntegerField", "BooleanField",
}  # fmt: skip


@dataclass(slots=True)
class Draft:
    """A record to create: model values by attname (owner_id, province_id…) and its children.
    `ref` is the caller's name for it (an import's file line), given back in the result."""

    ref: int
    values: dict[str, Any]
    phones: list[tuple[str, str]] = field(default_factory=list)  # (number as typed, E.164)
    emails: list[str] = field(default_factory=list)
    tags: list[tuple[int, str]] = field(default_factory=list)  # (tag id, name)
    derived: dict[str, Any] | None = None  # the spec's derive(...), computed ahead (e.g. in another thread)


@dataclass(slots=True)
class Change:
    """A change to an existing record: the given values set; phones, emails and tags added to the
    record's, custom field values merged into its own. `replace`: the given children replace the
    record's instead (None: left as they are), as an undo puts back what was. `version`: only if the
    record is still at this version (else it is counted stale and left alone)."""

    ref: int
    record_id: int
    values: dict[str, Any]
    custom: dict[str, Any] = field(default_factory=dict)
    phones: list[tuple[str, ...]] | None = None  # (number, E.164) or (number, E.164, label)
    emails: list[str] | None = None
    tags: list[tuple[int, str]] | None = None
    replace: bool = False
    version: int | None = None


@dataclass
class BulkResult:
    created: list[tuple[int, int]] = field(default_factory=list)  # (ref, id)
    updated: list[tuple[int, int]] = field(default_factory=list)  # (ref, id)
    deleted: list[int] = field(default_factory=list)  # ids
    before: dict[str, dict[str, Any]] = field(default_factory=dict)  # id → values before, version after
    unchanged: list[int] = field(default_factory=list)  # refs
    no_access: list[int] = field(default_factory=list)  # refs (ids for deletes): outside the scope, or gone
    refused: list[tuple[int, str]] = field(default_factory=list)  # (ref, reason)
    stale: list[int] = field(default_factory=list)  # refs (ids): changed since the expected version
    assigned: dict[int, int] = field(default_factory=dict)  # owner id → records created for / given to them
    versions: dict[int, int] = field(default_factory=dict)  # id → version after the write
    events: int = 0

    def merge(self, other: BulkResult) -> BulkResult:
        for name in ("created", "updated", "deleted", "unchanged", "no_access", "refused", "stale"):
            getattr(self, name).extend(getattr(other, name))
        self.before.update(other.before)
        self.versions.update(other.versions)
        for owner, count in other.assigned.items():
            self.assigned[owner] = self.assigned.get(owner, 0) + count
        self.events += other.events
        return self


def converter(f: models.Field[Any, Any]) -> Callable[[Any], Any]:
    """What turns a Python value of the field into what the database takes (as the ORM's save does)."""
    db = connections[DEFAULT_DB_ALIAS]  # the connection itself, not the per-thread proxy (hot loop)
    if f.get_internal_type() in PLAIN:
        return lambda value: value
    if f.get_internal_type() == "JSONField" and db.vendor == "sqlite" and getattr(f, "encoder", None) is None:
        # What JSONField.get_db_prep_save gives on SQLite (adapt_json_value; None is SQL NULL).
        return lambda value: None if value is None else json.dumps(value)
    if f.get_internal_type() == "DateTimeField":
        # A batch's rows share their timestamps: adapt each distinct value once.
        last: list[Any] = [object(), None]

        def convert(value: Any) -> Any:
            if value is not last[0]:
                last[0], last[1] = value, f.get_db_prep_save(value, db)
            return last[1]

        return convert
    return lambda value: f.get_db_prep_save(value, db)


@dataclass
class Insert:
    """Rows for one table, ready to write: values as lists (`rows`) or, once encoded, COPY's text (`data`)."""

    model: type[models.Model]
    attnames: list[str]
    rows: list[list[Any]]
    data: bytes | None = None

    def __post_init__(self) -> None:
        by_attname = {f.attname: f for f in self.model._meta.concrete_fields}
        fields = [by_attname[a] for a in self.attnames]
        self.columns = [cast(str, f.column) for f in fields]  # a concrete field always has a column
        # Only the columns whose values need adapting (dates, JSON…) go through the field.
        special = [(i, converter(f)) for i, f in enumerate(fields) if f.get_internal_type() not in PLAIN]
        if special:
            for values in self.rows:
                for i, convert in special:
                    values[i] = convert(values[i])

    def encode(self) -> None:
        """PostgreSQL: turn the rows into COPY's text now (in the thread preparing the next batch), so
        that writing them is only sending bytes."""
        if connection.vendor != "postgresql" or self.data is not None:
            return
        self.data, self.rows = copy_text(self.rows), []

    def write(self) -> None:
        if not self.rows and not self.data:
            return
        qn = connection.ops.quote_name
        table, columns = qn(self.model._meta.db_table), ", ".join(qn(c) for c in self.columns)
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                # COPY: a tenth of executemany's time for the same rows (the server still checks every
                # constraint and updates every index).
                with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                    if self.data is not None:
                        copy.write(self.data)
                    else:
                        for values in self.rows:
                            copy.write_row(values)
            else:
                placeholders = ", ".join(["%s"] * len(self.columns))
                sql = f"INSERT INTO {table} ({columns}) VALUES ({placeholders})"  # noqa: S608 - our table
                cursor.executemany(sql, self.rows)


def insert_columns(model: type[models.Model], attnames: list[str], rows: list[list[Any]]) -> None:
    """INSERT rows of values for these columns (the others take their database default or NULL)."""
    if rows:
        Insert(model, attnames, rows).write()


def allocate_ids(model: type[models.Model], count: int) -> list[int]:
    """Primary keys for `count` new rows. PostgreSQL: from the sequence. SQLite: after both the largest id
    and the AUTOINCREMENT high-water mark (ids of purged records are never reused: their events stay);
    safe because the batch runs in an immediate transaction, which holds the write lock."""
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)", [table, count]
            )
            return [row[0] for row in cursor.fetchall()]
        if not connection.in_atomic_block:
            raise RuntimeError("allocate_ids runs inside the batch's transaction")
        cursor.execute(f"SELECT MAX(id) FROM {connection.ops.quote_name(table)}")  # noqa: S608 - our table name
        largest = cursor.fetchone()[0] or 0
        cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
        row = cursor.fetchone()
        start = max(largest, row[0] if row else 0) + 1
    return list(range(start, start + count))


def _defaults(model: type[models.Model]) -> dict[str, Any]:
    return {
        f.attname: (f.get_default() if f.has_default() else (None if f.null else ""))
        for f in model._meta.concrete_fields
        if not f.primary_key
    }


def prefix(model: type[models.Model]) -> str:
    return model.event_type_prefix()  # type: ignore[attr-defined,no-any-return]


class EventRows:
    """Event rows shaped as `event_emit` writes them (the record is its own journey's customer: a new
    contact, account or lead; a converted lead is never written in bulk). `extra` is added to each
    event's data (an import names itself: {"import": job id, "file": name})."""

    COLUMNS = ["occurred_at", "type", "actor_id", "actor_label", "subject_type_id", "subject_id",
               "subject_repr", "customer_type_id", "customer_id", "data", "version"]  # fmt: skip

    def __init__(
        self, model: type[models.Model], *, actor: Any, actor_label: str, extra: Mapping[str, Any]
    ) -> None:
        self.ct_id = ContentType.objects.get_for_model(model, for_concrete_model=False).pk
        self.actor_id = actor.pk if getattr(actor, "pk", None) else None
        if not actor_label and getattr(actor, "acting_token_id", None):
            actor_label = f"apitoken#{actor.acting_token_id}"  # as event_emit names an API token's writes
        self.actor_label = actor_label[:80]
        self.extra = dict(extra)
        self.rows: list[list[Any]] = []
        self.now = timezone.now()

    def add(self, event_type: str, pk: int, name: Any, version: int, data: dict[str, Any]) -> None:
        self.rows.append(
            [self.now, event_type, self.actor_id, self.actor_label, self.ct_id, pk, str(name)[:200],
             self.ct_id, pk, {**data, **self.extra}, version]
        )  # fmt: skip

    def as_insert(self) -> Insert:
        return Insert(Event, list(self.COLUMNS), self.rows)

    def write(self) -> int:
        insert_columns(Event, self.COLUMNS, self.rows)
        return len(self.rows)


# --- the gate, a batch at a time ----------------------------------------------------------------


def may_assign(actor: Any, obj: Any, action: str) -> bool:
    """Whether the record may be given to its owner/team by the actor: within the scope of the action
    and of what the actor may view (no written record ends up invisible to its writer)."""
    return access.in_scope(actor, action, obj) and access.in_scope(actor, Action.VIEW, obj)


def check_assignable(actor: Any, model: type[models.Model], pairs: set[tuple[Any, Any]], action: str) -> None:
    """`access.check_assignable` for every distinct (owner id, team id) of a batch."""
    for owner_id, team_id in pairs:
        probe = model(owner_id=owner_id, team_id=team_id)
        access.check_assignable(actor, action, probe)
        access.check_assignable(actor, Action.VIEW, probe)


def check_links(actor: Any, model: type[models.Model], rows: Iterable[Mapping[str, Any]]) -> None:
    """`access.check_links` for a batch: a link (by attname) to a record outside the actor's view scope
    is refused with the words of a missing record, one query per linked model."""
    rows = list(rows)
    errors: dict[str, list[str]] = {}
    for link in access.gated_links(model):
        wanted = {row[link.attname] for row in rows if row.get(link.attname) is not None}
        if wanted and wanted - access.visible_pks(actor, link.related_model, wanted):
            errors[link.name] = [str(access.NOT_FOUND)]
    if errors:
        raise ValidationError(errors)


# --- creating -----------------------------------------------------------------------------------


@dataclass
class Prepared:
    """A batch's creates, ready to write (see `prepare_create`)."""

    model: type[models.Model]
    inserts: list[Insert]
    result: BulkResult


def prepare_create(
    model: type[models.Model],
    *,
    actor: Any,
    drafts: list[Draft],
    actor_label: str,
    extra: Mapping[str, Any],
    action: str,
    encode: bool = False,
) -> Prepared:
    """Everything about creating the drafts before writing: the gate (owners, teams, links), ids, rows,
    child rows and events (with `encode`, already in COPY's format). PostgreSQL may run it outside the
    batch's transaction (its ids come from sequences); SQLite takes ids from the tables, inside."""
    result = BulkResult()
    if not drafts:
        return Prepared(model, [], result)
    spec = spec_for(model)
    check_assignable(actor, model, {(d.values["owner_id"], d.values.get("team_id")) for d in drafts}, action)
    check_links(actor, model, (d.values for d in drafts))
    events = EventRows(model, actor=actor, actor_label=actor_label, extra=extra)
    inserts = _create(spec, actor, drafts, result, events)
    inserts.append(events.as_insert())
    result.events = len(events.rows)
    if encode:
        for item in inserts:
            item.encode()
    return Prepared(model, inserts, result)


def write_prepared(prepared: Prepared) -> BulkResult:
    for item in prepared.inserts:
        item.write()
    return prepared.result


def _create(
    spec: Spec, actor: Any, drafts: list[Draft], result: BulkResult, events: EventRows
) -> list[Insert]:
    model = spec.model
    now = timezone.now()
    actor_id = actor.pk if getattr(actor, "pk", None) else None
    base = {
        **_defaults(model),
        "created_at": now,
        "updated_at": now,
        "created_by_id": actor_id,
        "updated_by_id": actor_id,
        "version": 1,
    }
    audited = [(f.name, f.attname) for f in audited_fields(model)]  # type: ignore[arg-type]
    # Columns whose values are not JSON as they are (dates, datetimes, decimals): converted for the event.
    complex_ = {f.attname for f in audited_fields(model) if f.get_internal_type() not in PLAIN}  # type: ignore[arg-type]
    ids = allocate_ids(model, len(drafts))
    event_type = f"{prefix(model)}.created"
    label, label_column = (["mobile"], ["label"]) if spec.phone_label else ([], [])
    rows: list[dict[str, Any]] = []
    phones: list[list[Any]] = []
    emails: list[list[Any]] = []
    tags: list[tuple[int, int]] = []
    derive = spec.derive
    for draft, pk in zip(drafts, ids, strict=True):
        derived = draft.derived
        if derived is None:
            derived = derive(draft.values, [e for _n, e in draft.phones], draft.emails)
        row = {**base, **draft.values, **derived, "id": pk}
        rows.append(row)
        record = {name: row[attname] for name, attname in audited}
        for name, attname in audited:
            if attname in complex_ and row[attname] is not None:
                record[name] = json_value(row[attname])
        if draft.phones:
            record["phones"] = [n for n, _e in draft.phones]
        if draft.emails:
            record["emails"] = list(draft.emails)
        if draft.tags:
            record["tags"] = sorted(name for _pk, name in draft.tags)
        events.add(event_type, pk, row[spec.name_field], 1, {"record": record})
        for position, (number, e164) in enumerate(draft.phones):
            phones.append([pk, number, e164, position, *label])
        for position, address in enumerate(draft.emails):
            emails.append([pk, address, address.lower(), position])
        tags += [(pk, tag_id) for tag_id, _name in draft.tags]
        result.created.append((draft.ref, pk))
        result.versions[pk] = 1
        owner = row.get("owner_id")
        if owner is not None:
            result.assigned[owner] = result.assigned.get(owner, 0) + 1
    attnames = [f.attname for f in model._meta.concrete_fields]
    get = itemgetter(*attnames)
    inserts = [
        Insert(model, attnames, [list(get(row)) for row in rows]),
        Insert(spec.phone_model, [spec.phone_fk, "number", "e164", "position", *label_column], phones),
        Insert(spec.email_model, [spec.email_fk, "address", "address_key", "position"], emails),
    ]
    if tags:
        inserts.append(tags_insert(model, tags))
    return inserts


def tags_insert(model: type[models.Model], pairs: list[tuple[int, int]]) -> Insert:
    through: Any = model._meta.get_field("tags").remote_field.through  # type: ignore[union-attr]
    return Insert(through, [f"{model._meta.model_name}_id", "tag_id"], [[a, b] for a, b in pairs])
