"""The call log's writes, through the spine (gate, validation, one event per write, one transaction).

From the telephony system (telephony.py, no user acting — the gate was asked at the door):
`call_start` (event `call.created`: the call came in or went out and is ringing), `call_answer`
(`call.started`: the conversation began), `call_end` (`call.ended`, with the duration: the call is on the
customer's timeline by itself; one never answered gets the outcome "missed", or "no answer" when we called).

By an agent: `call_log` (a call typed after the fact, e.g. a care call from a mobile phone: `call.created`)
and `call_update` (outcome, notes, call-back time, ticket…: `call.updated`). The outcome "call back at an
agreed time" creates the follow-up, a task at `callback_at` for the agent (sencrm.activities).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from sencrm.core import access
from sencrm.core.modules import Action, Module
from sencrm.core.phones import display, to_e164
from sencrm.events.services import record_create, record_update
from sencrm.support.models import Call, CallDirection, CallOutcome

# What an agent may write on a call; the facts the telephony system reported (direction, number, times)
# are editable only on calls logged by hand.
EDITABLE = {"outcome", "callback_at", "notes", "recording_url", "ticket", "contact", "account", "lead"}
HAND_LOGGED = {"direction", "number", "started_at", "duration"}
MAX_DURATION = 24 * 3600  # seconds
FUTURE_SLACK = dt.timedelta(minutes=5)


# --- from the telephony system ---------------------------------------------------------------------------


def call_start(
    *,
    provider: str,
    call_id: str,
    number: str,
    direction: str,
    extension: str,
    at: dt.datetime,
    owner: Any,
    customer: Mapping[str, Any],
    actor: Any = None,
    actor_label: str = "",
) -> Call:
    """A call the telephony system reports (ringing): `customer` holds the contact/account/lead found
    for the number. Not gated here: the endpoint checked the sender (a token with the right to create
    support records, or the adapter's shared secret)."""
    data = {
        "call_id": call_id,
        "provider": provider,
        "direction": direction,
        "number": number,
        "extension": extension[:20],
        "started_at": at,
        **{name: customer.get(name) for name in ("contact", "account", "lead")},
    }
    return record_create(Call, actor=actor, data=data, owner=owner, actor_label=actor_label, system=True)


def call_answer(
    call: Call,
    *,
    at: dt.datetime,
    owner: Any = None,
    extension: str = "",
    actor: Any = None,
    actor_label: str = "",
) -> Call:
    """The call was picked up (by `owner`, when the telephony system says which agent did)."""
    if call.answered_at is not None or call.ended_at is not None:
        return call
    changes: dict[str, Any] = {"answered_at": max(at, call.started_at)}
    if owner is not None and owner.pk != call.owner_id:
        changes["owner"] = owner
    if extension:
        changes["extension"] = extension[:20]
    return record_update(
        call,
        actor=actor,
        changes=changes,
        version=None,
        actor_label=actor_label,
        system=True,
        event_type="started",
    )


def call_end(
    call: Call,
    *,
    at: dt.datetime,
    duration: int | None = None,
    recording_url: str = "",
    actor: Any = None,
    actor_label: str = "",
) -> Call:
    """The call ended: its end time and talk time (from the provider, else answered → ended), and the
    outcome "missed" (incoming) or "no answer" (outgoing) when nobody picked up."""
    if call.ended_at is not None:
        return call
    ended_at = max(at, call.answered_at or call.started_at)
    if duration is None:
        duration = int((ended_at - call.answered_at).total_seconds()) if call.answered_at else 0
    changes: dict[str, Any] = {"ended_at": ended_at, "duration": max(0, min(duration, MAX_DURATION))}
    if call.answered_at is None and not call.outcome:
        missed = call.direction == CallDirection.INBOUND
        changes["outcome"] = CallOutcome.MISSED if missed else CallOutcome.NO_ANSWER
    if recording_url:
        changes["recording_url"] = recording_url
    return record_update(
        call,
        actor=actor,
        changes=changes,
        version=None,
        actor_label=actor_label,
        system=True,
        event_type="ended",
        extra_data={"duration": changes["duration"]},
    )


# --- by an agent -----------------------------------------------------------------------------------------


def _refuse_unknown(data: Mapping[str, Any], allowed: set[str]) -> None:
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise ValidationError({name: _("This field cannot be set.") for name in unknown})


def _clean(data: Mapping[str, Any], *, current: Call | None = None) -> dict[str, Any]:
    """Normalise what an agent wrote: the number in E.164, texts, the duration's bounds, the call-back
    rule (a time is needed with "call back", and only then), the account of the contact."""
    clean = dict(data)
    errors: dict[str, str] = {}
    if "number" in clean:
        raw = str(clean["number"] or "").strip()
        e164 = to_e164(raw) if raw else ""
        if e164 is None:
            errors["number"] = _("Not a valid phone number: %(numbers)s") % {"numbers": raw[:40]}
        clean["number"] = e164 or ""
    if "notes" in clean:
        clean["notes"] = str(clean["notes"] or "").strip()[:10_000]
    if clean.get("recording_url") and not str(clean["recording_url"]).lower().startswith(
        ("https://", "http://")
    ):
        errors["recording_url"] = _("Enter a web address starting with http:// or https://.")
    if "duration" in clean:
        duration = clean["duration"]
        if isinstance(duration, bool) or not isinstance(duration, int) or not 0 <= duration <= MAX_DURATION:
            errors["duration"] = _("Enter a number of seconds between 0 and %(max)s.") % {"max": MAX_DURATION}
    started = clean.get("started_at")
    if started is not None and started > timezone.now() + FUTURE_SLACK:
        errors["started_at"] = _("A call cannot start in the future.")
    outcome = clean.get("outcome", current.outcome if current else "")
    callback_at = clean.get("callback_at", current.callback_at if current else None)
    if outcome == CallOutcome.CALL_BACK and callback_at is None:
        errors["callback_at"] = _("Say when to call back.")
    elif outcome != CallOutcome.CALL_BACK and "callback_at" in clean and clean["callback_at"] is not None:
        errors["callback_at"] = _("A call-back time goes with the outcome “Call back at an agreed time”.")
    elif outcome != CallOutcome.CALL_BACK and callback_at is not None:
        clean["callback_at"] = None  # the outcome changed: the agreed time no longer holds
    if errors:
        raise ValidationError(errors)
    contact = clean.get("contact")
    if contact is not None and "account" not in clean and contact.account_id:
        clean["account"] = contact.account
    return clean


def _follow_up(call: Call, *, actor: Any) -> None:
    """The task to call back at the agreed time, for the agent, on the call's customer."""
    from sencrm.activities.choices import Kind
    from sencrm.activities.services import activity_create

    if not access.can(actor, Module.ACTIVITIES, Action.CREATE):
        raise ValidationError(
            {"outcome": _("Your role cannot create the call-back task: choose another outcome.")}
        )
    if call.callback_at is None:  # checked by _clean; a call-back without a time has nothing to schedule
        return
    who = call.contact or call.account or call.lead
    name = str(who) if who is not None else display(call.number)
    data: dict[str, Any] = {
        "kind": Kind.TASK,
        "subject": (_("Call back %(who)s") % {"who": name})[:200],
        "description": call.notes,
        "due_at": call.callback_at,
        "contact": call.contact,
        "account": call.account,
        # A lead only when the agent may see it (the activity service refuses blind links).
        "lead": call.lead if call.lead and access.in_scope(actor, Action.VIEW, call.lead) else None,
    }
    reminder = call.callback_at - dt.timedelta(minutes=15)
    if reminder > timezone.now():
        data["reminder_at"] = reminder
    try:
        activity_create(actor=actor, data=data, owner=actor)
    except PermissionDenied as exc:
        raise ValidationError({"callback_at": str(exc)}) from exc


@transaction.atomic
def call_log(*, actor: Any, data: Mapping[str, Any], follow_up: bool = True) -> Call:
    """A call typed by the agent (who owns it). It needs a customer (contact, account or lead) or a number;
    the end time follows from the start and the duration. `follow_up=False` when the caller plans the
    "call back" itself (a care call list plans the next care call instead of a task)."""
    access.check_module(actor, Module.SUPPORT, Action.CREATE)
    _refuse_unknown(data, EDITABLE | HAND_LOGGED)
    clean = _clean(data)
    if not any(clean.get(name) for name in ("contact", "account", "lead", "number")):
        raise ValidationError(_("Choose the customer or enter the phone number."))
    if clean.get("number") and not any(clean.get(name) for name in ("contact", "account", "lead")):
        from sencrm.support.telephony import caller_of

        # A number alone: the call goes on the timeline of the customer with it, if the agent may see them.
        for name, record in caller_of(clean["number"]).items():
            if record is not None and access.in_scope(actor, Action.VIEW, record):
                clean[name] = record
    customer = clean.get("contact") or clean.get("account")
    if not clean.get("number") and customer is not None:
        clean["number"] = to_e164(customer.primary_phone) or ""  # the list finds the call by number too
    clean.setdefault("started_at", timezone.now())
    clean.setdefault("direction", CallDirection.OUTBOUND)
    clean["duration"] = clean.get("duration") or 0
    clean["ended_at"] = clean["started_at"] + dt.timedelta(seconds=clean["duration"])
    if clean["duration"] and not clean.get("outcome"):
        clean["outcome"] = CallOutcome.REACHED
    call = record_create(Call, actor=actor, data=clean, owner=actor)
    if follow_up and call.outcome == CallOutcome.CALL_BACK:
        _follow_up(call, actor=actor)
    return call


@transaction.atomic
def call_update(call: Call, *, actor: Any, changes: Mapping[str, Any], version: int | None) -> Call:
    """The agent's outcome, notes, call-back time, recording link, ticket and customer; on a call logged by
    hand also its direction, number, start and duration. A new "call back" outcome or time adds the
    follow-up task (saving the same values again adds nothing)."""
    current = Call.objects.select_for_update().get(pk=call.pk)
    _refuse_unknown(changes, EDITABLE | (HAND_LOGGED if not current.provider else set()))
    clean = _clean(changes, current=current)
    if {"started_at", "duration"} & clean.keys():
        started = clean.get("started_at", current.started_at)
        clean["ended_at"] = started + dt.timedelta(seconds=clean.get("duration", current.duration))
    before = (current.outcome, current.callback_at)
    updated: Call = record_update(current, actor=actor, changes=clean, version=version)
    if updated.outcome == CallOutcome.CALL_BACK and (updated.outcome, updated.callback_at) != before:
        _follow_up(updated, actor=actor)
    return updated
