"""Writes of personal-data requests, through the spine: register, acknowledge, extend (once), complete,
reject. Each checks the gate (module PRIVACY: create to register, edit for the rest), locks the request,
refuses a transition the register does not allow, writes and records its event in one transaction.

Completing a `withdrawal` withdraws every consent the person currently gives (a new row in the consent
ledger for each channel and purpose, and the record's current answers); completing a `deletion`
anonymises the person (sencrm/privacy/anonymise.py) after the completion is recorded, so that the
completion's own event is scrubbed with the rest.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from sencrm.core import access
from sencrm.core.modules import Action, Module
from sencrm.core.numbering import next_number
from sencrm.core.text import clean_text
from sencrm.events.services import record_create, record_update
from sencrm.privacy import deadlines
from sencrm.privacy.models import DataRequest, RequestKind, RequestStatus
from sencrm.privacy.selectors import person_records

NUMBER_KIND = "data_request"  # YCDL-2026-00001 (yêu cầu dữ liệu), sencrm/core/numbering.py
CREATE_FIELDS = frozenset({"contact", "lead", "kind", "received_at", "channel", "details", "owner"})
MAX_TEXT = 5000


def _text(value: Any, *, multiline: bool = True) -> str:
    """NFC text, invisible characters dropped; lines kept in a text box."""
    raw = str(value or "")
    if not multiline:
        return clean_text(raw)
    return "\n".join(clean_text(line) for line in raw.splitlines()).strip()


def _required_text(value: Any, field: str, message: str) -> str:
    text = _text(value)
    if not text:
        raise ValidationError({field: message})
    if len(text) > MAX_TEXT:
        raise ValidationError({field: _("At most %(max)s characters.") % {"max": MAX_TEXT}})
    return text


def _clean_create(data: Mapping[str, Any]) -> dict[str, Any]:
    unknown = set(data) - CREATE_FIELDS
    if unknown:
        raise ValidationError({name: _("This field cannot be set here.") for name in sorted(unknown)})
    cleaned = dict(data)
    contact, lead = cleaned.get("contact"), cleaned.get("lead")
    if (contact is None) == (lead is None):
        raise ValidationError({"contact": _("Choose the person: a contact or a lead (one of them).")})
    if cleaned.get("kind") not in RequestKind.values:
        raise ValidationError({"kind": _("Choose the kind of request.")})
    received = cleaned.get("received_at") or timezone.now()
    if not isinstance(received, dt.datetime):
        raise ValidationError({"received_at": _("Enter a valid date and time.")})
    if timezone.is_naive(received):
        received = received.replace(tzinfo=deadlines.VIETNAM)
    if received > timezone.now() + dt.timedelta(minutes=5):
        raise ValidationError({"received_at": _("A request cannot be received in the future.")})
    if received.year < 2000:
        raise ValidationError({"received_at": _("Enter a valid date and time.")})
    cleaned["received_at"] = received
    cleaned["channel"] = _text(cleaned.get("channel"), multiline=False)[:100]
    details = _text(cleaned.get("details"))
    if len(details) > MAX_TEXT:
        raise ValidationError({"details": _("At most %(max)s characters.") % {"max": MAX_TEXT}})
    cleaned["details"] = details
    return cleaned


@transaction.atomic
def request_create(*, actor: Any, data: Mapping[str, Any], actor_label: str = "") -> DataRequest:
    """Register a request received from a contact or a lead: numbered, its deadlines computed."""
    access.check_module(actor, Module.PRIVACY, Action.CREATE)
    cleaned = _clean_create(data)
    owner = cleaned.pop("owner", None)
    received = cleaned["received_at"]
    cleaned["acknowledge_due_at"] = deadlines.acknowledge_due(received)
    cleaned["due_at"] = deadlines.complete_due(received)
    cleaned["number"] = next_number(NUMBER_KIND, deadlines.local_day(received))
    # record_create checks the links (a contact or lead outside the actor's scope: "does not exist").
    return record_create(DataRequest, actor=actor, data=cleaned, owner=owner, actor_label=actor_label)


def _locked_open(request: DataRequest, actor: Any) -> DataRequest:
    current: DataRequest = DataRequest.all_objects.select_for_update().get(pk=request.pk)
    access.check(actor, Action.EDIT, current)
    if not current.is_open:
        raise ValidationError(_("This request is closed."))
    return current


def _transition(
    current: DataRequest,
    *,
    actor: Any,
    changes: dict[str, Any],
    event: str,
    extra: dict[str, Any] | None = None,
) -> DataRequest:
    return record_update(
        current, actor=actor, changes=changes, version=None, event_type=event, extra_data=extra
    )


@transaction.atomic
def request_acknowledge(request: DataRequest, *, actor: Any) -> DataRequest:
    """The person was told the request is received and how it will be handled."""
    current = _locked_open(request, actor)
    if current.acknowledged_at is not None:
        raise ValidationError(_("This request was already acknowledged."))
    return _transition(
        current,
        actor=actor,
        changes={"status": RequestStatus.ACKNOWLEDGED, "acknowledged_at": timezone.now()},
        event="acknowledged",
    )


@transaction.atomic
def request_extend(request: DataRequest, *, actor: Any, reason: str) -> DataRequest:
    """The one extension (+15 days), with the reason the person is given. Telling the person about the
    extension answers them, so it also acknowledges a request not yet acknowledged."""
    text = _required_text(reason, "reason", _("Give the reason for the extension."))
    current = _locked_open(request, actor)
    if current.extended_at is not None:
        raise ValidationError(_("A request can be extended only once."))
    now = timezone.now()
    changes: dict[str, Any] = {
        "status": RequestStatus.EXTENDED,
        "extended_at": now,
        "extension_reason": text,
        "due_at": deadlines.complete_due(current.received_at, extended=True),
    }
    if current.acknowledged_at is None:
        changes["acknowledged_at"] = now
    return _transition(current, actor=actor, changes=changes, event="extended")


@transaction.atomic
def request_complete(request: DataRequest, *, actor: Any, outcome: str) -> DataRequest:
    """Done: what was done goes in `outcome`. A withdrawal withdraws the person's consents; a deletion
    anonymises the person (after this request's completion is recorded, so that it is scrubbed too)."""
    text = _required_text(outcome, "outcome", _("Say what was done."))
    current = _locked_open(request, actor)
    now = timezone.now()
    changes: dict[str, Any] = {"status": RequestStatus.COMPLETED, "completed_at": now, "outcome": text}
    if current.acknowledged_at is None:
        changes["acknowledged_at"] = now
    extra: dict[str, Any] = {}
    if current.kind == RequestKind.WITHDRAWAL:
        extra["withdrawn"] = consents_withdraw_all(current, actor=actor)
    done = _transition(current, actor=actor, changes=changes, event="completed", extra=extra)
    if current.kind == RequestKind.DELETION:
        from sencrm.privacy.anonymise import person_anonymise

        person_anonymise(actor=actor, request=done)
    return DataRequest.all_objects.get(pk=done.pk)


@transaction.atomic
def request_reject(request: DataRequest, *, actor: Any, reason: str) -> DataRequest:
    """Refused (e.g. the requester's identity could not be verified), with the reason given to them."""
    text = _required_text(reason, "reason", _("Give the reason for the refusal."))
    current = _locked_open(request, actor)
    now = timezone.now()
    changes: dict[str, Any] = {"status": RequestStatus.REJECTED, "completed_at": now, "outcome": text}
    if current.acknowledged_at is None:
        changes["acknowledged_at"] = now
    return _transition(current, actor=actor, changes=changes, event="rejected")


# --- consent withdrawal ---------------------------------------------------------------------------------
# Through the consent ledger's public function (sencrm/customers/ledger.py: consent_append), which appends
# the row, records `consent.changed` and keeps the record's current answers in step.


def ledger_withdraw(
    *, contacts: list[Any], leads: list[Any], actor: Any, evidence: str
) -> list[dict[str, str]]:
    """Append a withdrawal for every consent the person currently gives (the latest ledger row of a
    channel and purpose says granted), and for a current answer "yes" that the ledger does not hold (given
    before the ledger existed). Returns what was withdrawn ([{channel, purpose}])."""
    from sencrm.customers.ledger import consent_append, latest_rows
    from sencrm.customers.models import ConsentPurpose, ConsentSource

    withdrawn = []
    for person in [*contacts, *leads]:
        for (channel, purpose), row in sorted(latest_rows(person, purpose=None).items()):
            if row.granted:
                consent_append(
                    person=person, channel=channel, purpose=purpose, granted=False,
                    source=ConsentSource.REQUEST, evidence=evidence, actor=actor,
                )  # fmt: skip
                withdrawn.append({"channel": channel, "purpose": purpose})
        for state in list(person.consents.filter(granted=True)):
            consent_append(
                person=person, channel=state.channel, purpose=ConsentPurpose.MARKETING, granted=False,
                source=ConsentSource.REQUEST, evidence=evidence, actor=actor,
            )  # fmt: skip
            withdrawn.append({"channel": state.channel, "purpose": ConsentPurpose.MARKETING})
    return withdrawn


def consents_withdraw_all(request: DataRequest, *, actor: Any) -> list[dict[str, str]]:
    contacts, leads = person_records(request)
    # The evidence is the request's number (language-neutral: the ledger outlives the reader's language).
    return ledger_withdraw(contacts=contacts, leads=leads, actor=actor, evidence=request.number)
