"""The spine's writers: every change to a business record goes through these functions.

Each one checks the access gate, validates, saves and appends an Event in the same transaction,
then (after commit) wakes the event consumers. Domain services (contacts, leads, …) wrap them.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from typing import Any, TypeVar, cast

from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.dispatch import Signal
from django.utils import timezone

from sencrm.core import access
from sencrm.core.db import on_commit_once
from sencrm.core.exceptions import StaleRecord
from sencrm.core.models import Record
from sencrm.core.modules import Action
from sencrm.events import bulk, bulk_update
from sencrm.events.bulk import BulkResult, Change, Draft, Prepared
from sencrm.events.diff import changes as diff_changes
from sencrm.events.diff import fk_labels, snapshot
from sencrm.events.models import Event

R = TypeVar("R", bound=Record)
Related = Callable[[R], dict[str, list[Any]]]

# Sent inside the writing transaction after every write through these functions, single or bulk:
# sender = the model, ids = the records written, fields = the names of the fields changed (None: the
# records were created, trashed or restored). For what must follow a record in the same transaction
# without each writer knowing about it (the attribution facts: sencrm/marketing/facts.py).
records_written = Signal()


def _written(model: type[models.Model], ids: list[int], fields: set[str] | None = None) -> None:
    if ids:
        records_written.send(sender=model, ids=ids, fields=fields)


def _enqueue_dispatch() -> None:
    from sencrm.events.tasks import dispatch_events

    dispatch_events()


def _wake_consumers_after_commit() -> None:
    """Queue one dispatch per transaction, after it commits (never for a rolled-back change)."""
    on_commit_once(_enqueue_dispatch)


def consumers_wake() -> None:
    """For writers that add events themselves (Event.objects.create in bulk): one dispatch after commit."""
    _wake_consumers_after_commit()


def event_emit(
    *,
    type: str,
    subject: models.Model,
    actor: Any = None,
    actor_label: str = "",
    data: dict[str, Any] | None = None,
    customer: models.Model | None = None,
) -> Event:
    """Append an event; call it inside the transaction that made the change."""
    if customer is None and isinstance(subject, Record):
        customer = subject.event_customer()
    if not actor_label and getattr(actor, "acting_token_id", None):
        # Set by the bearer-token authentication: the write came through the API with that token.
        actor_label = f"apitoken#{actor.acting_token_id}"
    event = Event.objects.create(
        type=type,
        actor=actor if actor is not None and getattr(actor, "pk", None) else None,
        actor_label=actor_label[:80],
        subject_type=ContentType.objects.get_for_model(subject, for_concrete_model=False),
        subject_id=subject.pk,
        subject_repr=str(subject)[:200],
        customer_type=ContentType.objects.get_for_model(customer) if customer is not None else None,
        customer_id=customer.pk if customer is not None else None,
        data=data or {},
        version=getattr(subject, "version", None),
    )
    _wake_consumers_after_commit()
    return event


def _default_team(owner: Any) -> Any:
    """A record created for someone in exactly one team belongs to that team."""
    teams = list(owner.teams.all()[:2]) if getattr(owner, "pk", None) else []
    return teams[0] if len(teams) == 1 else None


@transaction.atomic
def record_create(
    model: type[R],
    *,
    actor: Any,
    data: dict[str, Any],
    owner: Any = None,
    team: Any = None,
    actor_label: str = "",
    related: Related[R] | None = None,
    system: bool = False,
) -> R:
    """Create a record; `related(obj)` writes its child rows (phones, tags…) in the same transaction
    and returns their state as {name: [old, new]} for the event.

    `system=True` is for the CRM's own rules and public doors (a web form): no user acts, so the
    gate is not asked; `actor_label` names the door and `owner` must be given.
    """
    if not system:
        access.check_module(actor, model.access_module, Action.CREATE)
    obj = model(**data)
    obj.owner = owner or actor
    obj.team = team if team is not None else _default_team(obj.owner)
    obj.created_by = obj.updated_by = actor
    if not system:
        access.check_assignable(actor, Action.CREATE, obj)
        access.check_links(actor, obj)
    obj.full_clean()
    obj.save()
    record = snapshot(obj)
    if related is not None:
        record.update({name: new for name, (_old, new) in related(obj).items()})
    event_emit(
        type=f"{model.event_type_prefix()}.created",
        subject=obj,
        actor=actor,
        actor_label=actor_label,
        data={"record": record},
    )
    _written(model, [obj.pk])
    return obj


def _locked(obj: R) -> R:
    # select_for_update serialises concurrent writers on PostgreSQL; SQLite's immediate
    # transactions already do.
    # type(obj)'s manager returns type(obj)'s rows; the stubs only know it as Record's manager.
    return cast(R, type(obj).all_objects.select_for_update().get(pk=obj.pk))


def _values_at_version(current: Record, version: int) -> tuple[dict[str, Any], set[str]]:
    """The record's field values as they were at `version`, and the fields changed since then.

    Rebuilt from the event log: each later update event holds the old value of what it changed.
    """
    at_version = snapshot(current)
    changed_since: set[str] = set()
    later = Event.objects.filter(
        subject_type=ContentType.objects.get_for_model(current, for_concrete_model=False),
        subject_id=current.pk,
        version__gt=version,
    ).order_by("id")
    for event in later.only("data"):
        for name, (old, _new) in event.data.get("changes", {}).items():
            if name not in changed_since:
                changed_since.add(name)
                at_version[name] = old
    return at_version, changed_since


@transaction.atomic
def record_update(
    obj: R,
    *,
    actor: Any,
    changes: dict[str, Any],
    version: int | None,
    actor_label: str = "",
    related: Related[R] | None = None,
    system: bool = False,
    event_type: str = "updated",
    extra_data: dict[str, Any] | None = None,
) -> R:
    """Apply `changes` made to the record as it was at `version`.

    When someone else saved in between, the save still goes through if the two edits touch
    different fields (they are merged); if they touch the same field, StaleRecord is raised and
    nothing is saved, never a silent overwrite. `system=True`: a business rule changes the record
    (a won deal makes the contact a customer), not gated by the actor's own rights.
    `event_type` names the event ("stage_changed"…); `extra_data` is added to its data.
    """
    current = _locked(obj)
    if not system:
        access.check(actor, Action.EDIT, current)
    before = snapshot(current)
    probe = copy.copy(current)
    for name, value in changes.items():
        setattr(probe, name, value)
    posted = snapshot(probe)
    if version is not None and current.version != version:
        at_version, changed_since = _values_at_version(current, version)
        mine = {name for name in posted if posted[name] != at_version.get(name)}
        if mine & changed_since:
            raise StaleRecord(current.version)
        # Disjoint edits: apply only what this user changed, keep the other user's fields.
        changes = {name: value for name, value in changes.items() if name in mine or name + "_id" in mine}
    for name, value in changes.items():
        setattr(current, name, value)
    current.full_clean()
    changed = diff_changes(before, snapshot(current))
    if related is not None:
        # Child rows ({name: [old, new]}, only what changed); written now, rolled back with the rest.
        changed.update(related(current))
    if not changed:
        return current  # saving without a change writes nothing and emits nothing
    if {"owner", "team"} & changed.keys() and not system:
        access.check_assignable(actor, Action.EDIT, current)
    if not system:
        access.check_links(actor, current, changed.keys())
    current.version += 1
    current.updated_by = actor if getattr(actor, "pk", None) else None
    current.updated_at = timezone.now()
    current.save()
    event_emit(
        type=f"{type(current).event_type_prefix()}.{event_type}",
        subject=current,
        actor=actor,
        actor_label=actor_label,
        data={"changes": changed, "labels": fk_labels(current, changed), **(extra_data or {})},
    )
    _written(type(current), [current.pk], set(changed))
    return current


@transaction.atomic
def record_delete(obj: R, *, actor: Any, version: int | None = None, actor_label: str = "") -> R:
    """Move the record to the trash (restorable until purged)."""
    current = _locked(obj)
    access.check(actor, Action.DELETE, current)
    if current.is_deleted:
        return current
    if version is not None and current.version != version:
        raise StaleRecord(current.version)
    current.deleted_at = timezone.now()
    current.deleted_by = actor
    current.version += 1
    current.save(update_fields=["deleted_at", "deleted_by", "version"])
    event_emit(
        type=f"{type(current).event_type_prefix()}.deleted",
        subject=current,
        actor=actor,
        actor_label=actor_label,
        data={"record": snapshot(current)},
    )
    _written(type(current), [current.pk])
    return current


@transaction.atomic
def record_restore(obj: R, *, actor: Any) -> R:
    current = _locked(obj)
    access.check(actor, Action.DELETE, current)
    if not current.is_deleted:
        return current
    current.deleted_at = None
    current.deleted_by = None
    current.version += 1
    current.save(update_fields=["deleted_at", "deleted_by", "version"])
    event_emit(type=f"{type(current).event_type_prefix()}.restored", subject=current, actor=actor)
    _written(type(current), [current.pk])
    return current


@transaction.atomic
def record_purge(obj: Record, *, actor_label: str = "system:purge") -> None:
    """Remove a record from the trash for good (the retention job); its history stays in the log."""
    event_emit(
        type=f"{type(obj).event_type_prefix()}.purged",
        subject=obj,
        actor_label=actor_label,
        data={"record": snapshot(obj)},
    )
    obj.delete()


# --- The bulk form: many records at once, under the same rules (sencrm/events/bulk.py) -------------
# The import, its undo and any later bulk job write through these, so that a rule added to the write path
# applies to every writer. Each checks the module right for `action`, writes in the caller's transaction
# (or its own) and wakes the consumers once, after commit. Events are shaped like the single-record
# functions' ("<prefix>.created" with the record, ".updated" with changes and labels, ".deleted"),
# with `extra_data` added to each (an import names itself there).


def record_bulk_prepare(
    model: type[R],
    *,
    actor: Any,
    drafts: list[Draft],
    actor_label: str = "",
    extra_data: Mapping[str, Any] | None = None,
    action: str = Action.CREATE,
) -> Prepared:
    """The creates of `record_bulk_create`, prepared ahead of its transaction and encoded for COPY
    (PostgreSQL only: ids from the sequences), so that the writing transaction only sends them."""
    access.check_module(actor, model.access_module, action)
    return bulk.prepare_create(
        model, actor=actor, drafts=drafts, actor_label=actor_label, extra=extra_data or {}, action=action,
        encode=True,
    )  # fmt: skip


@transaction.atomic
def record_bulk_create(
    model: type[R],
    *,
    actor: Any,
    drafts: list[Draft] | None = None,
    prepared: Prepared | None = None,
    actor_label: str = "",
    extra_data: Mapping[str, Any] | None = None,
    action: str = Action.CREATE,
) -> BulkResult:
    """Create records from drafts (values by attname, phones, emails, tags): derived fields from the
    model's one `derive`, owners/teams the actor may assign (`action` and view scope), links only to
    records the actor may view, one `.created` event each. `prepared`: from `record_bulk_prepare`.
    `action`: CREATE, or IMPORT for an import (the import right, and its scope for owners)."""
    access.check_module(actor, model.access_module, action)
    if prepared is None:
        prepared = bulk.prepare_create(
            model, actor=actor, drafts=drafts or [], actor_label=actor_label, extra=extra_data or {},
            action=action,
        )  # fmt: skip
    elif prepared.model is not model:
        raise ValueError("prepared for another model")
    result = bulk.write_prepared(prepared)
    if result.events:
        _wake_consumers_after_commit()
    _written(model, [pk for _ref, pk in result.created])
    return result


@transaction.atomic
def record_bulk_update(
    model: type[R],
    *,
    actor: Any,
    changes: list[Change],
    actor_label: str = "",
    extra_data: Mapping[str, Any] | None = None,
    action: str = Action.EDIT,
) -> BulkResult:
    """Apply changes to records the actor may edit (others: `no_access`), each locked; a record whose
    owner/team would leave the actor's `action` scope is refused ("assign"), a link outside the view
    scope refused for the batch; what would change nothing writes nothing. `result.before` keeps what
    each record was, for an undo."""
    access.check_module(actor, model.access_module, action)
    result = bulk_update.update(
        model, actor=actor, changes=changes, actor_label=actor_label, extra=extra_data or {}, action=action
    )
    if result.events:
        _wake_consumers_after_commit()
    fields = {name for change in changes for name in change.values}
    _written(model, [pk for _ref, pk in result.updated], {name.removesuffix("_id") for name in fields})
    return result


@transaction.atomic
def record_bulk_delete(
    model: type[R],
    *,
    actor: Any,
    ids: list[int],
    versions: Mapping[int, int] | None = None,
    actor_label: str = "",
    extra_data: Mapping[str, Any] | None = None,
    action: str = Action.DELETE,
) -> BulkResult:
    """Move records to the trash (restorable), each only if still at `versions[id]` when given."""
    access.check_module(actor, model.access_module, action)
    result = bulk_update.delete(
        model, actor=actor, ids=ids, versions=versions, actor_label=actor_label, extra=extra_data or {},
        action=action,
    )  # fmt: skip
    if result.events:
        _wake_consumers_after_commit()
    _written(model, list(result.deleted))
    return result


def notification_create(
    *, recipient_id: int, kind: str, params: dict[str, Any], url: str = "", event: Event | None = None
) -> Any:
    from sencrm.events.models import Notification

    return Notification.objects.create(
        recipient_id=recipient_id, kind=kind, params=params, url=url, event=event
    )


def notifications_mark_read(*, user: Any, ids: list[int] | None = None) -> int:
    from sencrm.events.models import Notification

    qs = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    return qs.update(read_at=timezone.now())
