"""Running an import job: the file is streamed in batches of ~1,000 rows; each batch is parsed,
checked for duplicates with a few queries, and written in one transaction together with the job's
counters, its undo log and its rejected rows, so that a crash or a cancel leaves a consistent job.

rows read = created + updated + skipped + rejected, always (empty rows are not rows).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from django.db import connection, connections, transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sencrm.core import access
from sencrm.core.db import analyze, written_tables
from sencrm.core.modules import Action
from sencrm.core.text import fold
from sencrm.events.bulk import BulkResult, Change, Draft, Prepared
from sencrm.events.children import spec_for
from sencrm.events.services import record_bulk_create, record_bulk_prepare, record_bulk_update
from sencrm.imports import products
from sencrm.imports.dedupe import Finder, SeenKeys, batch_keys
from sencrm.imports.fields import field_specs, model_for
from sencrm.imports.lookups import Lookups, key
from sencrm.imports.models import (
    DedupeMode,
    ImportChunk,
    ImportJob,
    ImportRowError,
    ImportStatus,
    ImportTarget,
)
from sencrm.imports.pacing import fewer_collections, read_ahead, relax_commit
from sencrm.imports.parser import ParsedRow, RowParser
from sencrm.imports.reader import BadRow, Rows
from sencrm.imports.values import as_text

log = logging.getLogger(__name__)
# Rows per transaction. Each commit writes every index page the batch touched; new names, phones and
# emails land all over their indexes, so bigger batches write fewer pages per row (measured on SQLite:
# 5,000 rows per batch import ~20 % faster than 1,000) while memory stays small (a few MB per batch).
BATCH = 5000

# Why rows were skipped (keys of ImportJob.skip_reasons), in the report's words.
SKIP_REASONS = {
    "duplicate": gettext_lazy("already in the CRM"),
    "duplicate_in_file": gettext_lazy("duplicate of an earlier row of the file"),
    "unchanged": gettext_lazy("already up to date"),
    "no_access": gettext_lazy("matches a record you may not edit"),
    "ambiguous": gettext_lazy("matches several records"),
    "converted": gettext_lazy("matches a converted lead"),
    "assign": gettext_lazy("you may not assign the record to this owner"),
}


def module_for(target: str) -> str:
    return model_for(target).access_module  # type: ignore[no-any-return]


def check_rights(user: Any, target: str) -> None:
    """PermissionDenied unless the role grants the import right of the record type's module."""
    access.check_module(user, module_for(target), Action.IMPORT)


@dataclass
class Context:
    job: ImportJob
    actor: Any
    path: Path
    lookups: Lookups = field(init=False)
    parser: RowParser = field(init=False)
    finder: Finder = field(init=False)

    def __post_init__(self) -> None:
        specs = field_specs(self.job.target)
        self.lookups = Lookups(self.actor, self.job.target)
        self.parser = RowParser(self.job.target, self.job.columns, self.job.mapping, specs, self.lookups)
        self.finder = Finder(self.job.target, self.job.match_keys)
        # The access gate's per-user caches are filled here: parsing (owner column) may then run in a
        # thread without a database connection.
        for action in (Action.IMPORT, Action.VIEW):
            access.scope_level(self.actor, module_for(self.job.target), action)
        if getattr(self.actor, "pk", None):
            self.actor.team_ids()
            self.actor.teammate_ids()
        self.rows = Rows(self.path, self.job.file_kind, self.job.encoding, self.job.delimiter, self.job.sheet)
        self.model = target_model(self.job.target)
        # Products are written through their services, which derive their fields themselves.
        self.products = self.job.target == ImportTarget.PRODUCTS
        self.derive = None if self.products else spec_for(self.model).derive
        self.suppliers: dict[int, Any] = {}  # products: the suppliers the rows name, by id
        self.empty = 0

    def parsed(self, after_line: int = 0) -> Iterator[ParsedRow]:
        """Data rows below the header (and after `after_line`), parsed; empty rows are counted, not read."""
        for line, cells in self.rows:
            if line <= max(self.job.header_row, after_line):
                continue
            if isinstance(cells, BadRow):
                row = ParsedRow(line=line, cells=[])
                row.errors.append(_("This row cannot be read: %(error)s") % {"error": cells.message})
                yield row
                continue
            if not any(as_text(c).strip() for c in cells):
                self.empty += 1
                continue
            row = self.parser.parse(line, cells)
            if row.warnings and self.job.reject_warnings:  # the import option: strict, as before
                row.errors += row.warnings
                row.warnings, row.kept = [], {}
            if not row.errors and self.derive is not None:
                # name, phones and emails are final: the derived fields can be computed now
                row.derived = self.derive(row.values, [e for _n, e in row.phones], row.emails)
            yield row

    def resolve(self, rows: list[ParsedRow]) -> None:
        """Names that need the database, for a whole batch: accounts of contacts, suppliers of products."""
        if self.products:
            products.resolve(self.actor, rows, self.suppliers)
            return
        if self.job.target != ImportTarget.CONTACTS:
            return
        from sencrm.customers.models import Account

        wanted = {fold(r.account) for r in rows if r.account and not r.errors}
        if not wanted:
            return
        found: dict[str, list[tuple[str, int]]] = {}
        visible = access.scope(self.actor, Account, Action.VIEW).filter(sort_key__in=list(wanted))
        for sort_key, name, pk in visible.values_list("sort_key", "name", "pk"):
            found.setdefault(sort_key, []).append((name, pk))
        for row in rows:
            if not row.account or row.errors:
                continue
            candidates = found.get(fold(row.account), [])
            exact = [pk for name, pk in candidates if name == row.account]
            if len(candidates) == 1 or len(exact) == 1:
                row.values["account_id"] = exact[0] if len(exact) == 1 else candidates[0][1]
            elif not candidates:
                row.errors.append(
                    _("Account: no account named “%(name)s” that you can see") % {"name": row.account}
                )
            else:
                row.errors.append(_("Account: several accounts are named “%(name)s”") % {"name": row.account})


def batches(ctx: Context, rows: Iterator[ParsedRow]) -> Iterator[list[ParsedRow]]:
    """Batches of BATCH rows. Updating, a row sharing a key with a row already in the batch starts a new
    batch, so that the earlier one is written (and found by the next lookup) first; skipping, the writer
    tells such rows apart in memory (Writer._write_rows)."""
    dedupe = ctx.job.dedupe_mode == DedupeMode.UPDATE
    batch: list[ParsedRow] = []
    keys: set[tuple[str, str]] = set()
    for row in rows:
        row_keys = batch_keys(row, ctx.job.match_keys) if dedupe and not row.errors else set()
        if len(batch) >= BATCH or (row_keys & keys):
            yield batch
            batch, keys = [], set()
        batch.append(row)
        keys |= row_keys
    if batch:
        yield batch


# --- the preview: counts over the whole file, nothing written -----------------------------------------


def analyse(job: ImportJob, actor: Any, path: Path) -> dict[str, Any]:
    """Counts of new, duplicate and invalid rows over the whole file (duplicates: in the CRM already, or
    of an earlier row of the file), and the customer groups and tags that would be created."""
    with fewer_collections():
        return _analyse(job, actor, path)


def _analyse(job: ImportJob, actor: Any, path: Path) -> dict[str, Any]:
    ctx = Context(job, actor, path)
    seen = SeenKeys(job.match_keys)
    counts: dict[str, Any] = {"total": 0, "new": 0, "duplicate": 0, "invalid": 0, "warning": 0}
    new_groups: set[str] = set()
    new_tags: set[str] = set()
    new_categories: dict[str, str] = {}  # path key → the path as written
    categories = products.known_categories() if ctx.products else set()
    for batch in batches(ctx, ctx.parsed()):
        ctx.resolve(batch)
        valid = [r for r in batch if not r.errors]
        matches = ctx.finder.matches(valid) if job.match_keys else [[] for _r in valid]
        for row, found in zip(valid, matches, strict=True):
            in_file = seen.check_and_add(row)
            if not found and not in_file and ctx.parser.missing_required(row.custom):
                row.errors += ctx.parser.missing_required(row.custom)
                continue
            counts["duplicate" if found or in_file else "new"] += 1
            counts["warning"] += 1 if row.warnings else 0
            if row.group and key(row.group) not in ctx.lookups.groups:
                new_groups.add(row.group)
            new_tags.update(t for t in row.tags if key(t) not in ctx.lookups.tags)
            if row.category and products.path_key(row.category) not in categories:
                new_categories.setdefault(products.path_key(row.category), row.category)
        counts["invalid"] += sum(1 for r in batch if r.errors)
        counts["total"] += len(batch)
        ImportJob.objects.filter(pk=job.pk).update(rows_read=counts["total"], heartbeat_at=timezone.now())
    counts["empty"] = ctx.empty
    counts["new_groups"] = sorted(new_groups)[:50]
    counts["new_tags"] = sorted(new_tags)[:50]
    counts["new_categories"] = sorted(new_categories.values())[:50]
    return counts


# --- the import ------------------------------------------------------------------------------------


@dataclass
class Plan:
    """One batch sorted out and ready to write: what to create and update, what was skipped or rejected."""

    batch: list[ParsedRow]
    drafts: list[Draft]
    changes: list[Change]
    update_rows: dict[int, ParsedRow]  # line → row, for the report's notes on refused updates
    skipped: dict[str, int]
    notes: list[ImportRowError]
    rejected: list[ParsedRow]
    warned: dict[int, ParsedRow]  # line → row written with values that could not be placed
    keys: set[tuple[str, str]]  # the match keys the written rows bring (what the next lookup must see)
    empty: int
    prepared: Prepared | None = None  # the creates, prepared in the caller's thread (pipeline)


class Pipeline:
    """PostgreSQL: batch N is written and committed on a connection of its own, in a thread, while
    batch N+1 is looked up and sorted out on the caller's. Half of a batch's time is the server's
    (indexes, foreign-key checks at commit): the two overlap instead of taking turns.

    At most one batch is in flight, so every lookup sees all batches but that one; the rows that
    share a match key with it are handled by the writer (see Writer.write): skipped as duplicates of
    the file, or, when they would update, looked up once it has committed. Batches commit in order.
    """

    def __init__(self, commit: Any) -> None:
        from concurrent.futures import ThreadPoolExecutor

        self.commit = commit
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="import-writer")
        self.pending: Any = None
        self.keys: set[tuple[str, str]] = set()
        self.language = translation.get_language()

    def _write(self, plan: Plan) -> BulkResult:
        if self.language:
            translation.activate(self.language)
        return self.commit(plan)  # type: ignore[no-any-return]

    def submit(self, plan: Plan, done: Any) -> None:
        self.wait()
        future = self.executor.submit(self._write, plan)
        self.pending, self.keys = (future, done), plan.keys

    def wait(self) -> None:
        """Wait for the batch in flight (its error, if any, is raised here)."""
        if self.pending is None:
            return
        (future, done), self.pending, self.keys = self.pending, None, set()
        done(future.result())

    def close(self) -> None:
        try:
            self.wait()
        finally:
            self.executor.submit(connections.close_all).result()  # the writer thread's connection
            self.executor.shutdown()


# Write batches on a second connection where the database allows two writers (PostgreSQL), and the run
# is not inside a transaction of its caller's (a test's) that the second connection could not see.
PIPELINE = True


class Writer:
    """Turns a batch's parsed rows into creates/updates/skips and writes them with the job's counters."""

    def __init__(self, ctx: Context) -> None:
        self.ctx, self.job, self.actor = ctx, ctx.job, ctx.actor
        self.created_ids: set[int] = set()
        self.owners: dict[int, int] = {}  # owner id → records this import created for them
        self.empty = ctx.empty  # empty rows met so far (set by the run loop: the reader is ahead)
        # Every event of the import names it (the history reads "Import ‘file.xlsx’").
        self.extra = {"import": self.job.pk, "file": self.job.file_name}
        self.team_id = ctx.lookups.team_of(self.actor) if getattr(self.actor, "pk", None) else None
        pipelined = (
            PIPELINE
            and connection.vendor == "postgresql"
            and not connection.in_atomic_block
            and not ctx.products  # written row by row through the services, in the caller's thread
        )
        self.product_writer = (
            products.ProductWriter(self.actor, self.job.actor_label, ctx.suppliers) if ctx.products else None
        )
        self.pipeline = Pipeline(self.commit) if pipelined else None

    def draft(self, row: ParsedRow) -> Draft:
        # Values that could not be placed go to the new record's address line / notes. An update
        # leaves them out (the record's own notes are not replaced): the warnings list names them.
        values = self.ctx.parser.with_kept(row.values, row.kept) if row.kept else dict(row.values)
        values.setdefault("owner_id", self.actor.pk)
        if "team_id" not in values:
            values["team_id"] = self.team_id
        if self.ctx.parser.customs or row.custom:
            values["custom_field_data"] = {k: v for k, v in row.custom.items() if v is not None}
        return Draft(row.line, values, row.phones, row.emails, self._tags(row), row.derived)

    def change(self, row: ParsedRow, pk: int) -> Change:
        # (number, E.164) pairs: the tuple[str, ...] Change takes (a list is invariant, hence the cast)
        phones = cast("list[tuple[str, ...]]", row.phones)
        return Change(row.line, pk, dict(row.values), row.custom, phones, row.emails, self._tags(row))

    def _tags(self, row: ParsedRow) -> list[tuple[int, str]]:
        if not row.tags:
            return []
        return [(self.ctx.lookups.tags[key(t)], t) for t in row.tags if key(t) in self.ctx.lookups.tags]

    def _ensure_names(self, rows: list[ParsedRow]) -> None:
        """Customer groups and tags the rows name, created if new (committed on their own: a batch that
        fails later leaves them, unused)."""
        from sencrm.customers import services

        groups = {r.group for r in rows if r.group and key(r.group) not in self.ctx.lookups.groups}
        tags = {t for r in rows for t in r.tags if key(t) not in self.ctx.lookups.tags}
        if groups:
            made = services.customer_groups_ensure(sorted(groups))
            self.ctx.lookups.groups.update({key(name): pk for name, pk in made.items()})
        if tags:
            self.ctx.lookups.tags.update(
                {key(name): pk for name, pk in services.tags_ensure(sorted(tags)).items()}
            )
        for row in rows:
            if row.group:
                row.values["customer_group_id"] = self.ctx.lookups.groups[key(row.group)]

    def write(self, batch: list[ParsedRow]) -> None:
        self.ctx.resolve(batch)
        valid = [r for r in batch if not r.errors]
        mode = self.job.dedupe_mode
        lookup = mode != DedupeMode.CREATE and self.job.match_keys
        in_flight = 0  # rows repeating a key of the batch being written: duplicates of the file
        if lookup and self.pipeline is not None and self.pipeline.keys:
            keys = self.pipeline.keys
            hits = [r for r in valid if batch_keys(r, self.job.match_keys) & keys]
            if hits and mode == DedupeMode.SKIP:
                hit_lines = {r.line for r in hits}
                valid = [r for r in valid if r.line not in hit_lines]
                in_flight = len(hits)
            elif hits:  # they would update a record being written: look up once it is committed
                self.pipeline.wait()
        matches = self.ctx.finder.matches(valid) if lookup else [[] for _r in valid]
        targeted: set[int] = set()
        for i, found in enumerate(matches):
            if mode == DedupeMode.UPDATE and len(found) == 1 and found[0] in targeted:
                # Two rows of the batch match one record: write up to here, then look the rest up again.
                self._write_rows(batch[: batch.index(valid[i])], valid[:i], matches[:i])
                self.write(batch[batch.index(valid[i]) :])
                return
            targeted.update(found)
        self._write_rows(batch, valid, matches, in_flight)

    def _write_rows(
        self, batch: list[ParsedRow], valid: list[ParsedRow], matches: list[list[int]], in_flight: int = 0
    ) -> None:
        to_create: list[ParsedRow] = []
        to_update: dict[int, tuple[ParsedRow, int]] = {}  # line → (row, record id)
        skipped: dict[str, int] = {"duplicate_in_file": in_flight} if in_flight else {}
        notes: list[ImportRowError] = []  # skipped rows worth listing in the report
        mode = self.job.dedupe_mode
        creating: set[tuple[str, str]] = set()  # skipping: keys of the rows of this batch to be created
        for row, found in zip(valid, matches, strict=True):
            if not found:
                keys = batch_keys(row, self.job.match_keys) if mode == DedupeMode.SKIP else set()
                if keys & creating:  # repeats a row created just above: what the next lookup would find
                    skipped["duplicate_in_file"] = skipped.get("duplicate_in_file", 0) + 1
                    self._note_duplicate(row, notes, "duplicate_in_file")
                    continue
                row.errors += self.ctx.parser.missing_required(row.custom)
                if not row.errors:
                    to_create.append(row)
                    creating |= keys
            elif mode == DedupeMode.SKIP:
                reason = "duplicate_in_file" if set(found) & self.created_ids else "duplicate"
                skipped[reason] = skipped.get(reason, 0) + 1
                self._note_duplicate(row, notes, reason)
            elif len(found) > 1:
                skipped["ambiguous"] = skipped.get("ambiguous", 0) + 1
                ids = ", ".join(f"#{pk}" for pk in found[:5])
                notes.append(self._note(row, f"{SKIP_REASONS['ambiguous']} ({ids})"))
            else:
                to_update[row.line] = (row, found[0])
        writing = to_create + [r for r, _pk in to_update.values()]
        self._ensure_names(writing)
        plan = Plan(
            batch=batch,
            drafts=[self.draft(r) for r in to_create],
            changes=[self.change(r, pk) for r, pk in to_update.values()],
            update_rows={line: row for line, (row, _pk) in to_update.items()},
            skipped=skipped,
            notes=notes,
            rejected=[r for r in batch if r.errors],
            warned={r.line: r for r in writing if r.warnings},
            keys={k for r in writing for k in batch_keys(r, self.job.match_keys)},
            empty=self.empty,
        )
        if self.pipeline is not None:
            # Ids, rows, events and their COPY text are made here, while the writer sends the last batch.
            plan.prepared = record_bulk_prepare(
                self.ctx.model,
                actor=self.actor,
                drafts=plan.drafts,
                actor_label=self.job.actor_label,
                extra_data=self.extra,
                action=Action.IMPORT,
            )
            self.pipeline.submit(plan, self._written)
        else:
            self._written(self.commit(plan))

    def _written(self, result: BulkResult) -> None:
        """After a batch committed (in the caller's thread)."""
        self.created_ids.update(pk for _l, pk in result.created)
        for owner, count in result.assigned.items():
            self.owners[owner] = self.owners.get(owner, 0) + count

    def commit(self, plan: Plan) -> BulkResult:
        """Write one batch in one transaction, with the job's counters, undo log and report rows."""
        skipped = dict(plan.skipped)
        notes = list(plan.notes)
        with transaction.atomic():
            relax_commit()
            if self.product_writer is not None:
                # Row by row through the catalogue's services; the rows they refuse are rejected.
                lines = {d.ref for d in plan.drafts}
                creates = [r for r in plan.batch if r.line in lines]
                updates = {c.ref: (plan.update_rows[c.ref], c.record_id) for c in plan.changes}
                result, failed = self.product_writer.write(creates, updates)
                plan.rejected = sorted(plan.rejected + failed, key=lambda r: r.line)
            else:
                # Through the spine's bulk form: the import right, owners the importer may assign,
                # links in scope, derived fields, one event per record (sencrm/events/bulk.py).
                result = record_bulk_create(
                    self.ctx.model,
                    actor=self.actor,
                    drafts=plan.drafts,
                    prepared=plan.prepared,
                    actor_label=self.job.actor_label,
                    extra_data=self.extra,
                    action=Action.IMPORT,
                )
            if plan.changes and self.product_writer is None:
                result.merge(
                    record_bulk_update(
                        self.ctx.model,
                        actor=self.actor,
                        changes=plan.changes,
                        actor_label=self.job.actor_label,
                        extra_data=self.extra,
                        action=Action.IMPORT,
                    )
                )
            if not self.ctx.products:
                self._consents(plan, result)
            skipped["unchanged"] = skipped.get("unchanged", 0) + len(result.unchanged)
            refused = [(line, "no_access") for line in result.no_access] + result.refused
            for line, reason in refused:
                skipped[reason] = skipped.get(reason, 0) + 1
                notes.append(self._note(plan.update_rows[line], str(SKIP_REASONS.get(reason, reason))))
            # Rows with warnings that were written (created or updated, not skipped or refused).
            written = [line for line, _pk in result.created] + [line for line, _pk in result.updated]
            warned = [plan.warned[line] for line in written if line in plan.warned]
            if result.created or result.before:
                ImportChunk.objects.create(
                    job=self.job, created_ids=[pk for _l, pk in result.created], updated=result.before
                )
            ImportRowError.objects.bulk_create(
                [
                    ImportRowError(
                        job=self.job,
                        line=r.line,
                        message="; ".join(r.errors + r.warnings)[:4000],  # every problem of the row
                        cells=[as_text(c) for c in r.cells],
                    )
                    for r in plan.rejected
                ]
                + notes
                + [
                    ImportRowError(
                        job=self.job,
                        line=r.line,
                        message="; ".join(r.warnings)[:4000],
                        cells=[as_text(c) for c in r.cells],
                        warning=True,
                    )
                    for r in warned
                ]
            )
            reasons = dict(self.job.skip_reasons)
            for reason, count in skipped.items():
                if count:
                    reasons[reason] = reasons.get(reason, 0) + count
            self.job.skip_reasons = reasons
            ImportJob.objects.filter(pk=self.job.pk).update(
                rows_read=F("rows_read") + len(plan.batch),
                created=F("created") + len(result.created),
                updated=F("updated") + len(result.updated),
                skipped=F("skipped") + sum(skipped.values()),
                rejected=F("rejected") + len(plan.rejected),
                warned=F("warned") + len(warned),
                empty_rows=plan.empty,
                skip_reasons=reasons,
                last_line=plan.batch[-1].line,
                heartbeat_at=timezone.now(),
            )
        return result

    def _consents(self, plan: Plan, result: BulkResult) -> None:
        """The consent columns' answers of the rows written (created, updated or matched unchanged), to
        the ledger as answers of the import (evidence: the job and its file), in the batch's transaction."""
        rows = {r.line: r for r in plan.batch if r.consents}
        if not rows:
            return
        matched = {c.ref: c.record_id for c in plan.changes}
        targets = [*result.created, *result.updated, *((line, matched[line]) for line in result.unchanged)]
        from sencrm.customers.ledger import import_answers

        import_answers(
            self.ctx.model,
            actor=self.actor,
            answers=[(pk, rows[line].consents) for line, pk in targets if line in rows],
            evidence=f"import #{self.job.pk}: {self.job.file_name}",
        )

    def finish(self) -> None:
        """Wait for the batch in flight, if any."""
        if self.pipeline is not None:
            self.pipeline.close()

    def _note(self, row: ParsedRow, message: str) -> ImportRowError:
        return ImportRowError(job=self.job, line=row.line, message=message, cells=[], skipped=True)

    def _note_duplicate(self, row: ParsedRow, notes: list[ImportRowError], reason: str) -> None:
        """Products: a skipped duplicate is listed with its line and code (a catalogue is small, and a
        code given twice is usually a mistake); other record types only count them."""
        if self.ctx.products:
            code = row.values.get("code", "")
            notes.append(self._note(row, f"{_('Code')} {code}: {SKIP_REASONS[reason]}"))


def notify_owners(job: ImportJob, actor: Any, owners: dict[int, int]) -> None:
    """One notification per user the import gave records to (other than the importer), with the count:
    the per-record "assigned to you" of the event consumer is not sent for imported records."""
    from django.urls import reverse

    from sencrm.events.services import notification_create

    lists: dict[str, str] = {
        ImportTarget.CONTACTS: "customers:contact_list",
        ImportTarget.ACCOUNTS: "customers:account_list",
        ImportTarget.LEADS: "sales:lead_list",
        ImportTarget.PRODUCTS: "catalog:product_list",
    }
    by = actor.get_full_name() or actor.get_username() if getattr(actor, "pk", None) else job.actor_label
    for owner, count in owners.items():
        if owner == getattr(actor, "pk", None) or not count:
            continue
        notification_create(
            recipient_id=owner,
            kind="import_assigned",
            params={"by": by, "count": count, "target": job.target, "file": job.file_name},
            url=f"{reverse(lists[job.target])}?owner={owner}",
        )


ANALYZE_EVERY_ROWS = 200_000


def target_model(target: str) -> Any:
    from django.apps import apps

    labels: dict[str, str] = {
        ImportTarget.CONTACTS: "customers.Contact",
        ImportTarget.ACCOUNTS: "customers.Account",
        ImportTarget.LEADS: "sales.Lead",
        ImportTarget.PRODUCTS: "catalog.Product",
    }
    return apps.get_model(labels[target])


def run(job: ImportJob, actor: Any, path: Path) -> ImportJob:
    """Import the file; resumes after `last_line` when a previous run was interrupted."""
    with fewer_collections():
        return _run(job, actor, path)


def _run(job: ImportJob, actor: Any, path: Path) -> ImportJob:
    check_rights(actor, job.target)
    ctx = Context(job, actor, path)
    writer = Writer(ctx)
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportStatus.RUNNING, started_at=job.started_at or timezone.now(), heartbeat_at=timezone.now()
    )
    if job.last_line:
        ctx.empty = job.empty_rows
    else:  # a fresh run: the preview used the counters for its progress
        ImportJob.objects.filter(pk=job.pk).update(
            rows_read=0, created=0, updated=0, skipped=0, rejected=0, warned=0, empty_rows=0, skip_reasons={}
        )
        job.skip_reasons = {}
    cancelled = False
    empty = ctx.empty

    def produce() -> Iterator[tuple[list[ParsedRow], int]]:
        for batch in batches(ctx, ctx.parsed(after_line=job.last_line)):
            yield batch, ctx.empty  # the empty rows met up to the end of this batch

    tables = written_tables(target_model(job.target))
    since_analyze = 0
    try:
        for batch, empty in read_ahead(produce()):
            writer.empty = empty
            writer.write(batch)
            since_analyze += len(batch)
            if since_analyze >= ANALYZE_EVERY_ROWS:  # a long import keeps the planner informed
                analyze(tables)  # (the batch still in flight on the writer's connection comes next time)
                since_analyze = 0
            if ImportJob.objects.filter(pk=job.pk, cancel_requested=True).exists():
                cancelled = True
                break
    finally:
        writer.finish()
        # Leave the tables analysed: lists right after a large import must not be planned as if the
        # tables were empty (autovacuum is off or lagging; issue 12).
        analyze(tables)
        notify_owners(job, actor, writer.owners)
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportStatus.CANCELLED if cancelled else ImportStatus.DONE,
        finished_at=timezone.now(),
        empty_rows=empty,
    )
    job.refresh_from_db()
    return job
