"""The consent ledger (customers.ConsentRecord): appends, and what is consented now.

Every answer given or withdrawn is a new row, never changed nor deleted by the app; the current answer for
a person, channel and purpose is the latest row (by `at`, then by id). The per-channel rows the forms
read (customers.Consent, sales.LeadConsent: the marketing purpose) are kept in step with it here.

Each row emits `consent.changed` on the person's journey, in the caller's transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Exists, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.db.models.lookups import Exact
from django.utils import timezone
from django.utils.translation import gettext as _

from sencrm.core import access, panels
from sencrm.core.modules import Action, Module
from sencrm.core.myday import Panel
from sencrm.core.text import clean_text
from sencrm.customers.choices import ConsentChannel
from sencrm.customers.models import ConsentPurpose, ConsentRecord, ConsentSource, Contact
from sencrm.events.services import event_emit

MARKETING = ConsentPurpose.MARKETING
EVIDENCE_MAX = 500


def _owner(person: Any) -> dict[str, Any]:
    """The ledger's link to the person: a contact or a lead."""
    return {"contact": person} if isinstance(person, Contact) else {"lead": person}


def _check(channel: str, purpose: str, source: str) -> None:
    errors = {}
    if channel not in ConsentChannel.values:
        errors["channel"] = _("Unknown consent channel: %(value)s") % {"value": str(channel)[:40]}
    if purpose not in ConsentPurpose.values:
        errors["purpose"] = _("Unknown consent purpose: %(value)s") % {"value": str(purpose)[:40]}
    if source not in ConsentSource.values:
        errors["source"] = _("Unknown consent source: %(value)s") % {"value": str(source)[:40]}
    if errors:
        raise ValidationError(errors)


def consent_append(
    *,
    person: Any,
    channel: str,
    granted: bool,
    source: str,
    evidence: str = "",
    at: dt.datetime | None = None,
    purpose: str = MARKETING,
    actor: Any = None,
    state_text: str | None = None,
) -> ConsentRecord:
    """Append one answer to the person's ledger (in the caller's transaction), emit `consent.changed`
    and bring the person's current-state row of the channel in step (marketing purpose).

    `at`: when the answer was given (default now; never in the future). `state_text`: what the
    current-state row shows as "how consent was given" when this row is the latest (default: evidence)."""
    _check(channel, purpose, source)
    now = timezone.now()
    when = at or now
    if timezone.is_naive(when):
        when = timezone.make_aware(when)
    if when > now:
        raise ValidationError({"at": _("The date of a consent cannot be in the future.")})
    row = ConsentRecord.objects.create(
        **_owner(person),
        channel=channel,
        purpose=purpose,
        granted=bool(granted),
        at=when,
        source=source,
        evidence=clean_text(str(evidence or ""))[:EVIDENCE_MAX],
        recorded_at=now,
        recorded_by=actor if getattr(actor, "pk", None) else None,
    )
    event_emit(
        type="consent.changed",
        subject=person,
        actor=actor,
        data={
            "channel": channel,
            "purpose": purpose,
            "granted": row.granted,
            "source": source,
            "at": when.isoformat(),
        },
    )
    if purpose == MARKETING:
        state_sync(person, [channel], texts={row.pk: state_text} if state_text is not None else None)
    return row


def latest_rows(person: Any, purpose: str | None = MARKETING) -> dict[tuple[str, str], ConsentRecord]:
    """{(channel, purpose): the latest ledger row} of one person (`purpose` None: every purpose)."""
    rows = ConsentRecord.objects.filter(**_owner(person))
    if purpose is not None:
        rows = rows.filter(purpose=purpose)
    latest: dict[tuple[str, str], ConsentRecord] = {}
    for row in rows.order_by("at", "id"):
        latest[(row.channel, row.purpose)] = row
    return latest


def state_sync(
    person: Any, channels: Iterable[str], *, texts: Mapping[int, str | None] | None = None
) -> dict[str, list[Any]]:
    """Set the person's current-state rows (marketing) of these channels to their latest ledger row.

    `texts`: {ledger row id: text} to show as the state row's source when that row is the latest
    (a form's "how consent was given"); else the row's evidence. Returns {"consent_<channel>": [old, new]}
    for the channels whose answer changed."""
    latest = latest_rows(person)
    manager = person.consents
    current = {c.channel: c for c in manager.all()}
    changed: dict[str, list[Any]] = {}
    for channel in channels:
        row = latest.get((channel, MARKETING))
        if row is None:
            continue
        text = (texts or {}).get(row.pk)
        source = clean_text(text if text is not None else row.evidence)[:200]
        existing = current.get(channel)
        if existing is not None and (existing.granted, existing.recorded_at) == (row.granted, row.at):
            continue
        manager.model.objects.update_or_create(
            **{manager.field.name: person},
            channel=channel,
            defaults={"granted": row.granted, "recorded_at": row.at, "source": source},
        )
        if existing is None or existing.granted != row.granted:
            changed[f"consent_{channel}"] = [existing.granted if existing else None, row.granted]
    return changed


def records_copy(
    source: Any, target: Any, *, via: str, evidence: str, actor: Any = None
) -> list[ConsentRecord]:
    """Copy every ledger row of `source` (a lead being converted) to `target` (its contact), each with its
    own `at`, as `via` with `evidence` ("lead #12: <the row's own evidence>"); the target's current answers
    follow (the latest answer wins, whoever it was given to).

    A source with current-state rows but no ledger rows for a channel (answers recorded before the ledger
    existed) has those answers copied as rows too, so that nothing it consented to is lost."""
    rows = list(ConsentRecord.objects.filter(**_owner(source)).order_by("at", "id"))
    have = {(r.channel, r.purpose) for r in rows}
    texts_by_channel = {c.channel: c.source for c in source.consents.all()}
    for state in source.consents.all():
        if (state.channel, MARKETING) not in have:
            rows.append(
                ConsentRecord(
                    channel=state.channel,
                    purpose=MARKETING,
                    granted=state.granted,
                    at=state.recorded_at,
                    evidence=state.source,
                )
            )
    copied = []
    for row in sorted(rows, key=lambda r: r.at):
        own = f"{evidence}: {row.evidence}" if row.evidence else evidence
        copied.append(
            consent_append(
                person=target,
                channel=row.channel,
                purpose=row.purpose,
                granted=row.granted,
                at=min(row.at, timezone.now()),
                source=via,
                evidence=own,
                actor=actor,
                # The copied answer reads on the target as it read on the source.
                state_text=texts_by_channel.get(row.channel) or None,
            )
        )
    return copied


def import_answers(
    model: Any, *, actor: Any, answers: list[tuple[int, dict[str, bool]]], evidence: str
) -> None:
    """An import's consent columns: {channel: yes/no} per record id (contacts or leads), recorded as the
    forms' answers are (an answer the ledger already holds records nothing, so a re-import is a no-op)."""
    from sencrm.customers.consents import consents_write

    people = model._base_manager.filter(pk__in=[pk for pk, _a in answers]).in_bulk()
    for pk, given in answers:
        person = people.get(pk)
        if person is None:
            continue
        consents_write(
            person,
            {
                channel: {"granted": granted, "via": ConsentSource.IMPORT, "evidence": evidence}
                for channel, granted in given.items()
            },
            actor=actor,
        )


# Selectors -------------------------------------------------------------------------------------------


def consent_latest(
    channel: str, purpose: str = MARKETING, *, ref: str = "pk", person: str = "contact"
) -> Subquery:
    """The granted flag of the latest ledger row of the person at OuterRef(`ref`) (NULL: never asked)."""
    rows = ConsentRecord.objects.filter(**{person: OuterRef(ref)}, channel=channel, purpose=purpose)
    return Subquery(rows.order_by("-at", "-id").values("granted")[:1], output_field=models.BooleanField())


def consent_granted_q(
    channel: str, purpose: str = MARKETING, *, ref: str = "pk", person: str = "contact"
) -> Q:
    """Q: the person at `ref` ("pk" on contacts, "contact_id" on rows that point at one) has a current
    consent for the channel and purpose: their latest ledger row says granted (computed in SQL)."""
    if channel not in ConsentChannel.values or purpose not in ConsentPurpose.values:
        return Q(pk__in=[])
    # Never asked (no row) counts as no consent; the Coalesce also keeps `exclude()` right (NOT NULL).
    latest = Coalesce(consent_latest(channel, purpose, ref=ref, person=person), Value(False))
    return Q(Exact(latest, True))


def consented_contact_ids(channel: str, purpose: str = MARKETING) -> models.QuerySet[ConsentRecord, Any]:
    """The ids of the contacts whose latest ledger row for the channel and purpose says granted, as one
    uncorrelated subquery (`pk__in=`): the database builds the set once (a hashed semi-join) instead of
    looking up each contact's latest row — what a segment over 1,000,000 contacts needs."""
    later = ConsentRecord.objects.filter(
        Q(at__gt=OuterRef("at")) | Q(at=OuterRef("at"), id__gt=OuterRef("id")),
        contact_id=OuterRef("contact_id"),
        channel=channel,
        purpose=purpose,
    )
    return (
        ConsentRecord.objects.filter(contact__isnull=False, channel=channel, purpose=purpose, granted=True)
        .filter(~Exists(later))
        .values("contact_id")
    )


def consented_contacts(
    qs: models.QuerySet[Contact], channel: str, purpose: str = MARKETING
) -> models.QuerySet[Contact]:
    """The contacts of `qs` with a current consent for the channel and purpose."""
    return qs.filter(consent_granted_q(channel, purpose))


def ledger_rows(person: Any) -> models.QuerySet[ConsentRecord]:
    """The person's ledger, newest first, with who recorded each row."""
    return ConsentRecord.objects.filter(**_owner(person)).select_related("recorded_by").order_by("-at", "-id")


# The ledger on the contact's page (sencrm/core/panels.py) -----------------------------------------------

PANEL_ROWS = 50


@panels.register("customers.contact")
def contact_consent_panel(contact: Any, user: Any) -> Panel | None:
    """The contact's consent ledger: what they agreed to or withdrew, when, how and the evidence."""
    if not access.can(user, Module.CUSTOMERS, Action.VIEW):
        return None
    rows = list(ledger_rows(contact)[: PANEL_ROWS + 1])
    current = list(latest_rows(contact, purpose=None).values())
    return Panel(
        "customers/_consent_ledger.html",
        {
            "rows": rows[:PANEL_ROWS],
            "more": len(rows) > PANEL_ROWS,
            "current": sorted(current, key=lambda r: (r.purpose, r.channel)),
        },
    )
