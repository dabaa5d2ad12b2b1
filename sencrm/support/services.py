"""Writes of tickets — through the spine (gate, validation, one event per write, one transaction).

Every function takes keyword arguments, returns the written Ticket (or the message/task it wrote),
raises ValidationError (field → message, in the user's language) for bad input, Http404/PermissionDenied
from the gate, and emits the events named in its docstring. `now` defaults to timezone.now() (tests
inject a clock). Emails to the customer (ticket_mail) and the rating request (reviews) go after commit.

The SLA clock (sla.py) is moved here, inside the write: start on create and when the priority, the
customer or the queue's calendar changes; pause while waiting for the customer, resume when leaving it;
a reopened ticket gets its due times moved by the business time it spent resolved.
"""

from __future__ import annotations

import copy
import datetime as dt
import logging
from collections.abc import Callable, Mapping
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import models, transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from sencrm.catalog.models import Product
from sencrm.commerce.models import Contract, Order
from sencrm.core import access
from sencrm.core.modules import Action, Module
from sencrm.core.numbering import next_number
from sencrm.core.phones import to_e164
from sencrm.core.text import clean_text
from sencrm.customers.models import Account, Contact
from sencrm.events.services import event_emit, record_create, record_delete, record_update
from sencrm.support import routing, sla, ticket_mail
from sencrm.support.models import (
    OPEN_STATUSES,
    TRANSITIONS,
    Call,
    CareCall,
    Channel,
    Line,
    MessageKind,
    Priority,
    Queue,
    Review,
    ReviewKind,
    Ticket,
    TicketCategory,
    TicketMessage,
    TicketStatus,
    TicketTask,
)

log = logging.getLogger(__name__)

# Fields a user may set on create/update (API, forms).
FIELDS = {
    "subject", "description", "contact", "account", "category", "priority", "channel", "product", "order",
    "contract", "queue", "owner", "requester_name", "requester_email", "requester_phone",
}  # fmt: skip
NUMBER_KIND = "ticket"  # SC-2026-000123 (sự cố), sencrm/core/numbering.py
MAX_TEXT = 20_000
TASK_FIELDS = {"subject", "description", "due_at", "reminder_at", "owner"}


def _links() -> dict[str, type[models.Model]]:
    return {
        "contact": Contact,
        "account": Account,
        "category": TicketCategory,
        "product": Product,
        "order": Order,
        "contract": Contract,
        "queue": Queue,
        "owner": get_user_model(),
    }


# --- cleaning --------------------------------------------------------------------------------------


def _text(value: Any) -> str:
    """NFC text, invisible characters dropped, the lines of a text box kept."""
    return "\n".join(clean_text(line) for line in str(value or "").splitlines()).strip()


def _body(value: Any, field: str = "body") -> str:
    text = _text(value)
    if not text:
        raise ValidationError({field: _("Write the message.")})
    if len(text) > MAX_TEXT:
        raise ValidationError({field: _("At most %(max)s characters.") % {"max": f"{MAX_TEXT:,}"}})
    return text


def _resolve(model: type[models.Model], value: Any, field: str) -> Any:
    """An instance of `model` from an instance or a primary key; a missing one answers like one outside
    the reader's scope (the gate checks the scope itself)."""
    if value is None or value == "":
        return None
    if isinstance(value, model):
        return value
    if isinstance(value, bool | models.Model):
        raise ValidationError({field: str(access.NOT_FOUND)})
    try:
        pk = int(str(value))
    except (TypeError, ValueError):
        raise ValidationError({field: str(access.NOT_FOUND)}) from None
    found = model._default_manager.filter(pk=pk).first()
    if found is None:
        raise ValidationError({field: str(access.NOT_FOUND)})
    return found


def _clean(data: Mapping[str, Any], current: Ticket | None) -> dict[str, Any]:
    """The ticket's fields, checked (create when `current` is None: everything; update: what is given)."""
    unknown = set(data) - FIELDS
    if unknown:
        raise ValidationError({name: _("This field cannot be set here.") for name in sorted(unknown)})
    creating = current is None
    cleaned: dict[str, Any] = {}
    errors: dict[str, str] = {}
    if "subject" in data or creating:
        cleaned["subject"] = clean_text(str(data.get("subject") or ""))
        if not cleaned["subject"]:
            errors["subject"] = _("Say in a few words what the problem is.")
        elif len(cleaned["subject"]) > 200:
            errors["subject"] = _("At most %(max)s characters.") % {"max": 200}
    if "description" in data:
        cleaned["description"] = _text(data["description"])
        if len(cleaned["description"]) > MAX_TEXT:
            errors["description"] = _("At most %(max)s characters.") % {"max": f"{MAX_TEXT:,}"}
    for name, choices, default in (
        ("priority", Priority, Priority.NORMAL),
        ("channel", Channel, Channel.PHONE),
    ):
        value = data.get(name)
        if creating and value in (None, ""):
            cleaned[name] = default
        elif name in data:
            if value not in choices.values:
                errors[name] = _("Choose one of the values offered.")
            cleaned[name] = value
    if "requester_name" in data:
        cleaned["requester_name"] = clean_text(str(data["requester_name"] or ""))[:150]
    if "requester_email" in data:
        email = clean_text(str(data["requester_email"] or ""))
        if email:
            try:
                validate_email(email)
            except ValidationError:
                errors["requester_email"] = _("This is not a valid email address.")
        cleaned["requester_email"] = email[:254]
    if "requester_phone" in data:
        phone = clean_text(str(data["requester_phone"] or ""))
        e164 = to_e164(phone) if phone else ""
        if e164 is None:
            errors["requester_phone"] = _("This is not a valid phone number (for example 0912 345 678).")
        cleaned["requester_phone"] = e164 or ""
    for name, model in _links().items():
        if name not in data:
            continue
        try:
            cleaned[name] = _resolve(model, data[name], name)
        except ValidationError as exc:
            errors[name] = exc.message_dict[name][0]
            continue
        value = cleaned[name]
        changed = value is not None and (current is None or getattr(current, f"{name}_id") != value.pk)
        if not changed:
            continue
        if name in ("category", "queue") and not value.active:
            errors[name] = _("This is switched off; choose another.")
        if name == "owner" and not value.is_active:
            errors[name] = _("This user cannot sign in any more; choose another.")
    if errors:
        raise ValidationError(errors)
    return cleaned


def _visible(actor: Any, obj: Any, system: bool) -> bool:
    return system or access.in_scope(actor, Action.VIEW, obj)


def _fill_customers(cleaned: dict[str, Any], current: Ticket | None, actor: Any, system: bool) -> None:
    """Keep the customer consistent: an order's or a contract's customer on a ticket without one, a
    contact's account when only the contact is given; refuse a document or an account of another
    customer. Filled links are only those the actor may see (the gate would refuse the others)."""

    def now(name: str) -> Any:
        return cleaned[name] if name in cleaned else (getattr(current, name) if current is not None else None)

    def changed(name: str) -> bool:
        value = cleaned.get(name)
        return name in cleaned and getattr(value, "pk", None) != (getattr(current, f"{name}_id", None))

    errors: dict[str, str] = {}
    for name, message in (
        ("order", _("This order is of another customer.")),
        ("contract", _("This contract is of another customer.")),
    ):
        document = cleaned.get(name)
        if document is None or not changed(name):
            continue
        contact, account = now("contact"), now("account")
        if contact is None and account is None:
            for side in ("contact", "account"):
                linked = getattr(document, side)
                if linked is not None and _visible(actor, linked, system):
                    cleaned[side] = linked
        elif not (
            (contact is not None and contact.pk == document.contact_id)
            or (account is not None and account.pk == document.account_id)
        ):
            errors[name] = message
    if changed("contact") and "account" not in cleaned and current is not None:
        # Another contact, no account given: the account follows the contact (not the previous one's).
        cleaned["account"] = None
    contact, account = now("contact"), now("account")
    if (changed("contact") or changed("account")) and contact is not None and contact.account_id:
        if account is None:
            if _visible(actor, contact.account, system):
                cleaned["account"] = contact.account
        elif account.pk != contact.account_id:
            errors["account"] = _("This contact belongs to another account.")
    if errors:
        raise ValidationError(errors)


# --- helpers -----------------------------------------------------------------------------------------


def _locked(ticket: Ticket) -> Ticket:
    current: Ticket | None = Ticket.all_objects.select_for_update().filter(pk=ticket.pk).first()
    if current is None or current.is_deleted:
        raise Http404(str(access.NOT_FOUND))
    return current


def _sla_values(ticket: Ticket) -> dict[str, Any]:
    # The foreign key by its id, so that comparing does not load the policy.
    return {name: getattr(ticket, f"{name}_id" if name == "sla_policy" else name) for name in sla.SLA_FIELDS}


def _sla_changes(
    step: Callable[[Ticket, dt.datetime], None], ticket: Ticket, now: dt.datetime
) -> dict[str, Any]:
    """Run a step of the SLA clock on `ticket` (in memory) and return the fields it changed, for the
    write that follows (record_update reloads the row: changes not passed to it would be lost)."""
    before = _sla_values(ticket)
    step(ticket, now)
    after = _sla_values(ticket)
    return {name: getattr(ticket, name) for name in sla.SLA_FIELDS if after[name] != before[name]}


def _restart_clock(current: Ticket, cleaned: Mapping[str, Any], now: dt.datetime) -> dict[str, Any]:
    """A new priority, customer or calendar: the policy is applied again (sla.start on a copy)."""
    if current.status not in OPEN_STATUSES:
        return {}
    probe = copy.copy(current)
    for name, value in cleaned.items():
        setattr(probe, name, value)
    return _sla_changes(sla.start, probe, now)


def _clock_moves(current: Ticket, cleaned: Mapping[str, Any]) -> bool:
    def pk(name: str) -> Any:
        value = cleaned.get(name, getattr(current, name))
        return getattr(value, "pk", value)

    calendar = getattr(cleaned.get("queue", current.queue), "calendar_id", None)
    old_calendar = current.queue.calendar_id if current.queue is not None else None
    return (
        cleaned.get("priority", current.priority) != current.priority
        or pk("contact") != current.contact_id
        or pk("account") != current.account_id
        or calendar != old_calendar
    )


def _reopen_clock(current: Ticket, now: dt.datetime) -> dict[str, Any]:
    """A reopened ticket: a paused clock resumes; otherwise the due times that were still ahead when it
    was resolved move by the business time it spent resolved (a target already late stays late)."""
    if current.sla_paused_at is not None:
        return _sla_changes(sla.resume, current, now)
    since = current.resolved_at
    if since is None:
        return {}
    calendar = sla.calendar_for(current)
    changes: dict[str, Any] = {}
    for target in ("first_response", "resolution"):
        due = getattr(current, f"{target}_due")
        if due is None or (target == "first_response" and current.first_responded_at is not None):
            continue
        left = sla.business_seconds(calendar, since, due)
        if left > 0:
            changes[f"{target}_due"] = sla.business_add(calendar, now, left)
    return changes


def _team_of(owner: Any) -> Any:
    """A record held by someone in exactly one team belongs to that team (as record_create does)."""
    teams = list(owner.teams.all()[:2]) if getattr(owner, "pk", None) else []
    return teams[0] if len(teams) == 1 else None


def _queue_data(queue: Queue | None) -> dict[str, Any] | None:
    return {"id": queue.pk, "name": queue.name} if queue is not None else None


def _user_data(user: Any) -> dict[str, Any] | None:
    return {"id": user.pk, "name": str(user)} if user is not None else None


def _user(actor: Any) -> Any:
    return actor if getattr(actor, "pk", None) else None


def reopen_deadline(ticket: Ticket) -> dt.datetime | None:
    """Until when a resolved or closed ticket may be reopened (None: it never was resolved)."""
    if ticket.resolved_at is None:
        return None
    return ticket.resolved_at + dt.timedelta(days=int(settings.SUPPORT_REOPEN_DAYS))


def customer_may_write(ticket: Ticket, now: dt.datetime | None = None) -> bool:
    """Whether the customer may still write on the ticket's page (it reopens a resolved ticket)."""
    if ticket.merged_into_id is not None or ticket.status == TicketStatus.CLOSED:
        return False
    if ticket.status == TicketStatus.RESOLVED:
        deadline = reopen_deadline(ticket)
        return deadline is not None and (now or timezone.now()) <= deadline
    return True


def _review_after_commit(ticket: Ticket, actor: Any) -> None:
    """Ask for a rating once the resolution is committed (reviews.request_for_ticket)."""
    ticket_id, user = ticket.pk, _user(actor)

    def ask() -> None:
        from sencrm.support import reviews

        fresh = Ticket.objects.filter(pk=ticket_id, status=TicketStatus.RESOLVED).first()
        if fresh is None:
            return
        try:
            reviews.request_for_ticket(fresh, actor=user)
        except Exception:  # the resolution is committed: a failed request is logged, not a 500
            log.exception("rating request for ticket %s failed", ticket_id)

    transaction.on_commit(ask)


# --- create, update, delete --------------------------------------------------------------------------


@transaction.atomic
def ticket_create(
    *,
    actor: Any,
    data: Mapping[str, Any],
    actor_label: str = "",
    system: bool = False,
    now: dt.datetime | None = None,
    notify_customer: bool = False,
) -> Ticket:
    """Create a ticket: number from the "ticket" sequence, routed (routing.route) to a queue and an
    agent unless `queue`/`owner` are given, SLA policy applied (sla.start). Event `ticket.created`.
    `system=True` for public doors (the web form, a call without an agent): no gate.
    `notify_customer`: email the customer that the request was received, with its link."""
    now = now or timezone.now()
    if not system:
        access.check_module(actor, Module.SUPPORT, Action.CREATE)
    cleaned = _clean(data, None)
    _fill_customers(cleaned, None, actor, system)
    owner = cleaned.pop("owner", None)
    probe = Ticket(**cleaned, created_at=now)
    queue: Queue | None = cleaned.get("queue") or routing.route(probe)
    cleaned["queue"] = probe.queue = queue
    cleaned["line"] = probe.line = queue.line if queue is not None else Line.FIRST
    if owner is None and queue is not None:
        owner = routing.pick_agent(queue, now)
    owner = owner or routing.fallback_owner(queue, actor)
    if owner is None:
        raise ValidationError(_("Nobody can take the ticket: add agents to a queue first."))
    sla.start(probe, now)
    cleaned.update({name: getattr(probe, name) for name in sla.SLA_FIELDS})
    cleaned.update(number=next_number(NUMBER_KIND, timezone.localdate(now)), created_at=now, updated_at=now)
    ticket = record_create(
        Ticket, actor=actor, data=cleaned, owner=owner, actor_label=actor_label, system=system
    )
    if notify_customer:
        ticket_mail.status_after_commit(ticket, TicketStatus.NEW)
    return ticket


@transaction.atomic
def ticket_update(
    ticket: Ticket,
    *,
    actor: Any,
    changes: Mapping[str, Any],
    version: int | None,
    now: dt.datetime | None = None,
) -> Ticket:
    """Edit the ticket's fields (FIELDS); a new priority, customer or calendar re-applies the SLA
    policy. `ticket.updated`."""
    now = now or timezone.now()
    current = _locked(ticket)
    access.check(actor, Action.EDIT, current)
    if current.status == TicketStatus.CLOSED:
        raise ValidationError(_("A closed ticket cannot be changed; reopen it first."))
    cleaned = _clean(changes, current)
    _fill_customers(cleaned, current, actor, system=False)
    if "owner" in cleaned:
        if cleaned["owner"] is None:
            del cleaned["owner"]  # a ticket always has someone holding it
        elif cleaned["owner"].pk != current.owner_id:
            cleaned["team"] = _team_of(cleaned["owner"])
    if cleaned.get("queue") is not None:
        cleaned["line"] = cleaned["queue"].line
    if _clock_moves(current, cleaned):
        cleaned.update(_restart_clock(current, cleaned, now))
    return record_update(current, actor=actor, changes=cleaned, version=version)


def ticket_delete(ticket: Ticket, *, actor: Any, version: int | None = None) -> Ticket:
    """To the trash (restorable). `ticket.deleted`."""
    return record_delete(ticket, actor=actor, version=version)


# --- status ------------------------------------------------------------------------------------------


def _move(
    current: Ticket,
    *,
    actor: Any,
    status: str,
    note: str,
    system: bool,
    now: dt.datetime,
    actor_label: str = "",
) -> Ticket:
    """The transition itself, on a locked ticket the caller may edit."""
    if status not in TicketStatus.values:
        raise ValidationError({"status": _("Choose one of the values offered.")})
    previous = current.status
    if status == previous:
        return current
    if current.merged_into_id is not None:
        raise ValidationError(_("This ticket was merged into another one; work on that one."))
    if status not in TRANSITIONS.get(previous, ()):
        raise ValidationError(
            {
                "status": _("A ticket cannot go from “%(from)s” to “%(to)s”.")
                % {"from": TicketStatus(previous).label, "to": TicketStatus(status).label}
            }
        )
    changes: dict[str, Any] = {"status": status}
    reopening = previous in (TicketStatus.RESOLVED, TicketStatus.CLOSED) and status == TicketStatus.OPEN
    if reopening:
        deadline = reopen_deadline(current)
        if deadline is None or now > deadline:
            raise ValidationError(
                {
                    "status": _(
                        "This ticket was resolved more than %(days)s days ago and cannot be reopened; "
                        "open a new ticket."
                    )
                    % {"days": settings.SUPPORT_REOPEN_DAYS}
                }
            )
        changes.update(
            _reopen_clock(current, now), resolved_at=None, resolution_business_minutes=None, closed_at=None
        )
    elif previous == TicketStatus.WAITING and status == TicketStatus.OPEN:
        changes.update(_sla_changes(sla.resume, current, now))
    # Waiting pauses the clock; resolving from waiting leaves it paused (a reopening resumes it).
    if status == TicketStatus.WAITING:
        changes.update(_sla_changes(sla.pause, current, now))
    elif status == TicketStatus.RESOLVED:
        changes["resolved_at"] = now
        changes["resolution_business_minutes"] = sla.business_minutes(current, now)
    elif status == TicketStatus.CLOSED:
        changes["closed_at"] = now
    text = _text(note)[:MAX_TEXT]
    if text:
        TicketMessage.objects.create(
            ticket=current, kind=MessageKind.NOTE, author=_user(actor), body=text, created_at=now
        )
    moved = record_update(
        current,
        actor=actor,
        changes=changes,
        version=None,
        system=system,
        actor_label=actor_label,
        event_type="status_changed",
        extra_data={"from": previous, "to": status, "note": text[:1000]},
    )
    follow = {TicketStatus.RESOLVED: "resolved", TicketStatus.CLOSED: "closed"}.get(TicketStatus(status))
    if reopening:
        follow = "reopened"
    if follow:
        event_emit(
            type=f"ticket.{follow}",
            subject=moved,
            actor=actor,
            actor_label=actor_label,
            data={"from": previous},
        )
    if status == TicketStatus.RESOLVED:
        ticket_mail.status_after_commit(moved, TicketStatus.RESOLVED)
        _review_after_commit(moved, actor)
    return moved


@transaction.atomic
def ticket_transition(
    ticket: Ticket,
    *,
    actor: Any,
    status: str,
    note: str = "",
    system: bool = False,
    now: dt.datetime | None = None,
) -> Ticket:
    """Move along models.TRANSITIONS (refused otherwise, with a message naming both statuses);
    waiting pauses the SLA clock and leaving it resumes it; resolved sets resolved_at, emails the
    customer and asks for a rating (reviews.request_for_ticket); reopening is allowed within
    SUPPORT_REOPEN_DAYS of the resolution. The note is kept as an internal note.
    Events `ticket.status_changed` and, as applies, `ticket.resolved`, `ticket.closed`, `ticket.reopened`."""
    now = now or timezone.now()
    current = _locked(ticket)
    if not system:
        access.check(actor, Action.EDIT, current)
    return _move(current, actor=actor, status=status, note=note, system=system, now=now)


# --- assignment and escalation ----------------------------------------------------------------------


@transaction.atomic
def ticket_assign(
    ticket: Ticket,
    *,
    actor: Any,
    owner: Any = None,
    queue: Any = None,
    system: bool = False,
    now: dt.datetime | None = None,
) -> Ticket:
    """Give the ticket to a queue and/or an agent (an agent of the queue, picked by routing when only
    the queue is given). `ticket.assigned`."""
    now = now or timezone.now()
    current = _locked(ticket)
    if not system:
        access.check(actor, Action.EDIT, current)
    if owner in (None, "") and queue in (None, ""):
        raise ValidationError({"owner": _("Choose a queue or an agent.")})
    if current.status == TicketStatus.CLOSED:
        raise ValidationError(_("A closed ticket cannot be changed; reopen it first."))
    cleaned = _clean({"owner": owner, "queue": queue}, current)
    changes: dict[str, Any] = {}
    target: Queue | None = cleaned["queue"]
    if target is not None:
        changes.update(queue=target, line=target.line)
        if cleaned["owner"] is None and target.pk != current.queue_id:
            cleaned["owner"] = routing.pick_agent(target, now) or routing.fallback_owner(
                target, current.owner
            )
        if _clock_moves(current, changes):
            changes.update(_restart_clock(current, changes, now))
    if cleaned["owner"] is not None:
        changes.update(owner=cleaned["owner"], team=_team_of(cleaned["owner"]))
    return record_update(
        current,
        actor=actor,
        changes=changes,
        version=None,
        system=system,
        event_type="assigned",
        extra_data={"queue": _queue_data(target or current.queue), "owner": _user_data(changes.get("owner"))},
    )


def _escalation_target(source: Queue | None) -> Queue | None:
    escalates_to: Any = source.escalation_queue if source is not None and source.escalation_queue_id else None
    if escalates_to is not None and escalates_to.active:
        chosen: Queue = escalates_to
        return chosen
    return Queue.objects.filter(active=True, line=Line.SECOND).order_by("pk").first()


@transaction.atomic
def ticket_escalate(
    ticket: Ticket,
    *,
    actor: Any,
    note: str = "",
    system: bool = False,
    now: dt.datetime | None = None,
    reason: str = "",
    actor_label: str = "",
) -> Ticket:
    """To second line: line=second, the queue's escalation queue (or the first second-line queue),
    an agent of it, escalated_at; the note (required from an agent) is kept as an internal note.
    Escalating a ticket already on second line is refused. `ticket.escalated` with
    {"from_queue", "to_queue", "reason": "manual" | "sla_breach", "note"}."""
    now = now or timezone.now()
    reason = reason or ("sla_breach" if system else "manual")
    current = _locked(ticket)
    if not system:
        access.check(actor, Action.EDIT, current)
    text = _text(note)[:MAX_TEXT]
    if not text and not system:
        raise ValidationError({"note": _("Say why the ticket goes to second line.")})
    if current.line == Line.SECOND:
        raise ValidationError(_("This ticket is already on second line."))
    if current.status not in OPEN_STATUSES:
        raise ValidationError(_("Only a ticket that is still open can be escalated."))
    source: Queue | None = current.queue
    target = _escalation_target(source)
    if target is None:
        raise ValidationError(
            _("There is no second-line queue to escalate to; ask an administrator to set one up.")
        )
    agent = routing.pick_agent(target, now) or routing.fallback_owner(target, current.owner)
    changes: dict[str, Any] = {
        "queue": target,
        "line": Line.SECOND,
        "owner": agent,
        "team": _team_of(agent),
        "escalated_at": now,
    }
    if _clock_moves(current, changes):
        changes.update(_restart_clock(current, changes, now))
    if text:
        TicketMessage.objects.create(
            ticket=current, kind=MessageKind.NOTE, author=_user(actor), body=text, created_at=now
        )
    return record_update(
        current,
        actor=actor,
        changes=changes,
        version=None,
        system=system,
        actor_label=actor_label or ("system:sla" if system and reason == "sla_breach" else ""),
        event_type="escalated",
        extra_data={
            "from_queue": _queue_data(source),
            "to_queue": _queue_data(target),
            "reason": reason,
            "note": text[:1000],
        },
    )


# --- messages ---------------------------------------------------------------------------------------


@transaction.atomic
def ticket_note(ticket: Ticket, *, actor: Any, body: str) -> TicketMessage:
    """An internal note (never shown to the customer). `ticket.noted`."""
    current = _locked(ticket)
    access.check(actor, Action.EDIT, current)
    text = _body(body)
    message = TicketMessage.objects.create(
        ticket=current, kind=MessageKind.NOTE, author=_user(actor), body=text
    )
    event_emit(
        type="ticket.noted", subject=current, actor=actor, data={"message": message.pk, "excerpt": text[:200]}
    )
    return message


@transaction.atomic
def ticket_reply(ticket: Ticket, *, actor: Any, body: str, now: dt.datetime | None = None) -> TicketMessage:
    """A reply to the customer, emailed after commit with "[<number>]" in the subject and the signed
    link to the ticket's page (not emailed when the ticket has no address: `emailed_to` stays empty);
    the first reply sets first_responded_at (the first-response clock stops) and opens a new ticket.
    `ticket.replied`."""
    now = now or timezone.now()
    current = _locked(ticket)
    access.check(actor, Action.EDIT, current)
    if current.status == TicketStatus.CLOSED:
        raise ValidationError({"body": _("This ticket is closed; reopen it to reply.")})
    text = _body(body)
    to = ticket_mail.recipient(current)
    message = TicketMessage.objects.create(
        ticket=current, kind=MessageKind.REPLY, author=_user(actor), body=text, created_at=now, emailed_to=to
    )
    data = {"message": message.pk, "to": to, "excerpt": text[:200]}
    if current.first_responded_at is None:
        current = record_update(
            current,
            actor=actor,
            changes={
                "first_responded_at": now,
                "first_response_business_minutes": sla.business_minutes(current, now),
            },
            version=None,
            event_type="replied",
            extra_data=data,
        )
    else:
        event_emit(type="ticket.replied", subject=current, actor=actor, data=data)
    ticket_mail.reply_after_commit(message)
    if current.status == TicketStatus.NEW:
        _move(current, actor=actor, status=TicketStatus.OPEN, note="", system=False, now=now)
    return message


@transaction.atomic
def ticket_customer_message(ticket: Ticket, *, body: str, now: dt.datetime | None = None) -> TicketMessage:
    """The customer's message (signed page, later email); reopens a waiting or resolved ticket (a
    resolved one within SUPPORT_REOPEN_DAYS; after that, or on a closed ticket, it is refused).
    `ticket.customer_replied`."""
    now = now or timezone.now()
    current = _locked(ticket)
    text = _body(body)
    if not customer_may_write(current, now):
        raise ValidationError({"body": _("This request is closed. Please send us a new request.")})
    message = TicketMessage.objects.create(
        ticket=current, kind=MessageKind.CUSTOMER, author=None, body=text, created_at=now
    )
    event_emit(
        type="ticket.customer_replied",
        subject=current,
        actor_label="customer",
        data={"message": message.pk, "excerpt": text[:200]},
    )
    if current.status in (TicketStatus.WAITING, TicketStatus.RESOLVED):
        _move(
            current,
            actor=None,
            status=TicketStatus.OPEN,
            note="",
            system=True,
            now=now,
            actor_label="customer",
        )
    return message


# --- merge and tasks -----------------------------------------------------------------------------------


def _same_customer(a: Ticket, b: Ticket) -> bool:
    if a.contact_id and b.contact_id:
        return a.contact_id == b.contact_id
    if a.account_id and b.account_id:
        return a.account_id == b.account_id
    return True


@transaction.atomic
def ticket_merge(duplicate: Ticket, *, into: Ticket, actor: Any, now: dt.datetime | None = None) -> Ticket:
    """Move the duplicate's messages, calls, care calls, tasks and rating into `into`, close the
    duplicate with merged_into set. Both must be visible and editable, of the same customer.
    `ticket.merged` on both. Returns `into`."""
    now = now or timezone.now()
    if duplicate.pk == into.pk:
        raise ValidationError(_("A ticket cannot be merged into itself."))
    # Both rows locked in id order, so that two merges of the same pair cannot deadlock.
    locked = {t.pk: _locked(t) for t in sorted((duplicate, into), key=lambda t: t.pk)}
    dup, target = locked[duplicate.pk], locked[into.pk]
    access.check(actor, Action.EDIT, dup)
    access.check(actor, Action.EDIT, target)
    if dup.merged_into_id is not None:
        raise ValidationError(_("This ticket was already merged into another one."))
    if target.merged_into_id is not None or target.status == TicketStatus.CLOSED:
        raise ValidationError({"into": _("Choose a ticket that is not closed to merge into.")})
    if not _same_customer(dup, target):
        raise ValidationError({"into": _("The two tickets are of different customers.")})
    moved: dict[str, Any] = {}
    for name, rows in (
        ("messages", TicketMessage.objects.filter(ticket=dup)),
        ("tasks", TicketTask.objects.filter(ticket=dup)),
    ):
        ids = list(rows.values_list("pk", flat=True))
        rows.update(ticket=target)
        if ids:
            moved[name] = ids
    rated = Review.all_objects.filter(ticket=target, kind=ReviewKind.CSAT).exists()
    label = f"system:merge#{dup.pk}"
    models_with_ticket: tuple[tuple[str, Any], ...] = (
        ("calls", Call),
        ("care_calls", CareCall),
        ("reviews", Review),
    )
    for name, model in models_with_ticket:
        ids = []
        for row in model.all_objects.filter(ticket=dup).order_by("pk"):
            if model is Review and row.kind == ReviewKind.CSAT and rated:
                continue  # one rating per ticket: the kept ticket's own stays, this one stays here
            record_update(
                row, actor=actor, changes={"ticket": target}, version=None, system=True, actor_label=label
            )
            ids.append(row.pk)
        if ids:
            moved[name] = ids
    record_update(
        dup,
        actor=actor,
        changes={"merged_into": target, "status": TicketStatus.CLOSED, "closed_at": now},
        version=None,
        event_type="merged",
        extra_data={"into": {"id": target.pk, "number": target.number}},
    )
    event_emit(
        type="ticket.merged",
        subject=target,
        actor=actor,
        data={"merged": {"id": dup.pk, "number": dup.number}, "moved": moved},
    )
    return target


@transaction.atomic
def ticket_task_create(ticket: Ticket, *, actor: Any, data: Mapping[str, Any]) -> Any:
    """A task (activities' service) linked to the ticket and its customer (the customer only when the
    actor may see it: a technician's task stays on the ticket)."""
    from sencrm.activities.choices import Kind
    from sencrm.activities.services import activity_create

    current = _locked(ticket)
    access.check(actor, Action.EDIT, current)
    unknown = set(data) - TASK_FIELDS
    if unknown:
        raise ValidationError({name: _("This field cannot be set here.") for name in sorted(unknown)})
    subject = clean_text(str(data.get("subject") or ""))
    if not subject:
        raise ValidationError({"subject": _("Say what is to be done.")})
    task: dict[str, Any] = {
        "kind": Kind.TASK,
        "subject": subject[:200],
        "description": _text(data.get("description"))[:MAX_TEXT],
    }
    for name in ("due_at", "reminder_at"):
        if data.get(name):
            task[name] = data[name]
    for name in ("contact", "account"):
        customer = getattr(current, name)
        if customer is not None and access.in_scope(actor, Action.VIEW, customer):
            task[name] = customer
    activity = activity_create(actor=actor, data=task, owner=data.get("owner") or None)
    TicketTask.objects.create(ticket=current, activity=activity)
    return activity
