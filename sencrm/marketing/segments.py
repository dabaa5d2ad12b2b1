"""Segments: writing them (through the spine) and reading their members under the access gate.

Members are always read as contacts the reader may see (`access.scope`): a dynamic segment's rules are
compiled into the contacts query (segment_rules.py, one SQL query); a frozen segment's snapshot is joined
with an EXISTS. A snapshot is written by one INSERT … SELECT of the rules' query (no loop over contacts),
under the scope of whoever freezes it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, models, transaction
from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from sencrm.core import access
from sencrm.core.db import analytic_query
from sencrm.core.modules import Action
from sencrm.core.text import clean_text
from sencrm.customers.models import Contact
from sencrm.events.services import event_emit, record_create, record_delete, record_update
from sencrm.marketing import segment_rules
from sencrm.marketing.models import Segment, SegmentKind, SegmentMember

FIELDS = ("name", "description", "kind", "rules")


def _clean(data: Mapping[str, Any], partial: bool) -> dict[str, Any]:
    cleaned: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    unknown = sorted(set(data) - set(FIELDS) - {"owner", "version"})
    if unknown:
        errors["__all__"] = [_("Unknown field: %(value)s.") % {"value": ", ".join(unknown)[:100]}]
    if "name" in data or not partial:
        name = clean_text(str(data.get("name") or ""))[:200]
        if not name:
            errors["name"] = [_("Give the segment a name.")]
        cleaned["name"] = name
    if "description" in data:
        cleaned["description"] = str(data.get("description") or "")[:5000]
    if "kind" in data or not partial:
        kind = data.get("kind") or SegmentKind.DYNAMIC
        if kind not in SegmentKind.values:
            errors["kind"] = [_("Choose dynamic or frozen.")]
        cleaned["kind"] = kind
    if "rules" in data or not partial:
        rules = data.get("rules")
        try:
            segment_rules.compile_rules(rules)
        except ValidationError as exc:
            errors["rules"] = list(exc.message_dict.get("rules", exc.messages))
        cleaned["rules"] = rules
    if errors:
        raise ValidationError(errors)
    return cleaned


def contacts_matching(user: Any, rules: Any) -> models.QuerySet[Contact]:
    """The contacts the user may see that the rules select (ValidationError for bad rules)."""
    return segment_rules.matching(access.scope(user, Contact, Action.VIEW), rules)


def count(user: Any, rules: Any) -> int:
    """The live count while editing: one COUNT over the user's contacts."""
    query = contacts_matching(user, rules)
    with analytic_query():
        return query.count()


def members(user: Any, segment: Segment) -> models.QuerySet[Contact]:
    """The segment's contacts that the user may see, in one query."""
    visible = access.scope(user, Contact, Action.VIEW)
    if segment.kind == SegmentKind.FROZEN:
        snapshot = SegmentMember.objects.filter(segment_id=segment.pk, contact_id=OuterRef("pk"))
        return visible.filter(Exists(snapshot))
    try:
        return segment_rules.matching(visible, segment.rules)
    except ValidationError:
        # A rule that no longer holds (a custom field removed since): nobody, never an error page.
        return visible.none()


def counts(user: Any, segments: Iterable[Segment]) -> dict[int, int | None]:
    """{segment id: members the user may see} for a page of segments, in two queries whatever their
    number: one conditional COUNT per dynamic segment in a single aggregate over the user's contacts,
    and one grouped count of the frozen snapshots. None: rules that no longer compile."""
    segments = list(segments)
    out: dict[int, int | None] = {}
    visible = access.scope(user, Contact, Action.VIEW)
    aggregates: dict[str, Any] = {}
    specs = segment_rules.fields()
    for segment in segments:
        if segment.kind == SegmentKind.FROZEN:
            continue
        try:
            aggregates[f"s{segment.pk}"] = Count(
                "pk", filter=segment_rules.compile_rules(segment.rules, specs)
            )
        except ValidationError:
            out[segment.pk] = None
    if aggregates:
        with analytic_query():
            totals = visible.aggregate(**aggregates)
        for key, value in totals.items():
            out[int(key[1:])] = value
    frozen = [s.pk for s in segments if s.kind == SegmentKind.FROZEN]
    if frozen:
        rows = (
            SegmentMember.objects.filter(segment_id__in=frozen, contact__in=visible)
            .values("segment_id")
            .annotate(n=Count("pk"))
        )
        found = {row["segment_id"]: row["n"] for row in rows}
        out.update({pk: found.get(pk, 0) for pk in frozen})
    return out


def _snapshot(segment: Segment, actor: Any) -> int:
    """Replace the frozen segment's members with what its rules select now, under the actor's scope: one
    INSERT … SELECT."""
    SegmentMember.objects.filter(segment=segment).delete()
    chosen = contacts_matching(actor, segment.rules).order_by().values("pk")
    sql, params = chosen.query.sql_with_params()
    table = SegmentMember._meta.db_table
    now = timezone.now()
    with analytic_query(), connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (segment_id, contact_id, added_at) SELECT %s, t.*, %s FROM ({sql}) t",  # noqa: S608 - our table; values are parameters
            [segment.pk, now, *params],
        )
        written = int(cursor.rowcount)
    Segment.all_objects.filter(pk=segment.pk).update(frozen_at=now, frozen_count=written)
    segment.frozen_at, segment.frozen_count = now, written
    return written


@transaction.atomic
def segment_create(*, actor: Any, data: Mapping[str, Any], owner: Any = None) -> Segment:
    cleaned = _clean(data, partial=False)
    segment = record_create(Segment, actor=actor, data=cleaned, owner=owner or data.get("owner"))
    if segment.kind == SegmentKind.FROZEN:
        _snapshot(segment, actor)
    return segment


@transaction.atomic
def segment_update(
    segment: Segment, *, actor: Any, changes: Mapping[str, Any], version: int | None
) -> Segment:
    """Change a segment; a frozen one whose rules change (or that becomes frozen) takes a new snapshot."""
    cleaned = _clean(changes, partial=True)
    if "owner" in changes:
        cleaned["owner"] = changes["owner"]
    was_kind, was_rules = segment.kind, segment.rules
    updated = record_update(segment, actor=actor, changes=cleaned, version=version)
    if updated.kind == SegmentKind.FROZEN and (was_kind != SegmentKind.FROZEN or updated.rules != was_rules):
        _snapshot(updated, actor)
    return updated


@transaction.atomic
def segment_freeze(segment: Segment, *, actor: Any) -> Segment:
    """Take the snapshot again now (a frozen segment), or freeze a dynamic one."""
    access.check(actor, Action.EDIT, segment)
    if segment.kind != SegmentKind.FROZEN:
        return segment_update(segment, actor=actor, changes={"kind": SegmentKind.FROZEN}, version=None)
    written = _snapshot(segment, actor)
    event_emit(type="segment.frozen", subject=segment, actor=actor, data={"members": written})
    return segment


def segment_delete(segment: Segment, *, actor: Any, version: int | None = None) -> Segment:
    return record_delete(segment, actor=actor, version=version)


CHOICES_SHOWN = 200


def segment_choices(user: Any) -> list[tuple[str, str]]:
    """The segments a contacts list can be filtered by: those the user may see (by name)."""
    visible = access.scope(user, Segment, Action.VIEW).order_by("name", "id")
    return [(str(pk), name) for pk, name in visible.values_list("pk", "name")[:CHOICES_SHOWN]]


def filter_contacts(user: Any, qs: models.QuerySet[Contact], segment_id: Any) -> models.QuerySet[Contact]:
    """A contacts list narrowed to a segment the user may see (?segment=): an id outside their scope or
    missing narrows to nobody, the same either way."""
    try:
        pk = int(str(segment_id))
    except ValueError:
        return qs.none()
    segment = access.scope(user, Segment, Action.VIEW).filter(pk=pk).first()
    if segment is None:
        return qs.none()
    return qs.filter(Q(pk__in=members(user, segment).values("pk")))
