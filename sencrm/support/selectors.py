"""Reads of tickets for the pages: the list's filters and search, its "time left" sort in keyset pages,
the SLA state shown on a row, the export's rows, and what the care home page and "My day" count.

Everything starts from the access gate's scope (`access.scope`); the SLA arithmetic is sla.py's
(`annotate_next_due`, `time_left`, `business_add`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping
from itertools import islice
from typing import Any

from django.core import signing
from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from sencrm.core import access
from sencrm.core.modules import Action
from sencrm.core.pagination import COUNT_CAP, MAX_PAGE_SIZE, BadCursor, KeysetPage
from sencrm.core.text import clean_text, fold
from sencrm.support import sla
from sencrm.support.models import (
    OPEN_STATUSES,
    CareCall,
    CareCallStatus,
    Line,
    Priority,
    Queue,
    Ticket,
    TicketCategory,
    TicketStatus,
)

NEXT_DUE = "sla_next_due"  # the annotation sla.annotate_next_due adds
AT_RISK_SECONDS = 2 * 3600  # "at risk": due within two business hours
HOME_ROWS = 8
PANEL_ROWS = 10
_SALT = "sencrm.support.due"
CHUNK = 1000

# ?sort= of the ticket list → (key, descending); "due" is the SLA's next due time (an annotation).
SORTS = {
    "created": ("created_at", False),
    "-created": ("created_at", True),
    "due": (NEXT_DUE, False),
    "-due": (NEXT_DUE, True),
}
DUE_SORTS = ("due", "-due")
YES_NO = ("", "yes", "no")


def _bad(name: str) -> ValidationError:
    return ValidationError(_("Some filters are not valid: %(fields)s") % {"fields": name})


def _pk(raw: Any) -> int | None:
    text = str(raw or "")
    return int(text) if text.isdigit() and len(text) < 12 else None


def category_and_below(pk: int) -> list[int]:
    """A category and every category under it (the tree is small: read whole)."""
    children: dict[int | None, list[int]] = {}
    for cid, parent in TicketCategory.objects.values_list("id", "parent_id"):
        children.setdefault(parent, []).append(cid)
    found, todo = [pk], [pk]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.append(child)
                todo.append(child)
    return found


def unassigned_q() -> Q:
    """Tickets waiting for an agent of their queue: the owner (the creator, the queue lead or the
    routing's fallback; a ticket always has one) is not a member of the ticket's queue."""
    member = Queue.members.through.objects.filter(queue_id=OuterRef("queue_id"), user_id=OuterRef("owner_id"))
    return Q(queue__isnull=False) & Q(~Exists(member))


def _choice(params: Mapping[str, Any], name: str, allowed: Iterable[str]) -> str:
    value = str(params.get(name, ""))
    if value and value not in allowed:
        raise _bad(name)
    return value


def ticket_filter(qs: QuerySet[Ticket], params: Mapping[str, Any], *, user: Any = None) -> QuerySet[Ticket]:
    """The list's filters and search box (allowlisted; a bad value is a ValidationError naming it),
    shared by the page and its export."""
    for name, values in (
        ("status", TicketStatus.values),
        ("priority", Priority.values),
        ("line", Line.values),
    ):
        value = _choice(params, name, values)
        if value:
            qs = qs.filter(**{name: value})
    for name, field in (("queue", "queue_id"), ("contact", "contact_id"), ("account", "account_id")):
        raw = params.get(name, "")
        if raw:
            pk = _pk(raw)
            if pk is None:
                raise _bad(name)
            qs = qs.filter(**{field: pk})
    assignee = str(params.get("assignee", ""))
    if assignee == "me":
        qs = qs.filter(owner_id=getattr(user, "pk", None))
    elif assignee == "unassigned":
        qs = qs.filter(unassigned_q())
    elif assignee:
        pk = _pk(assignee)
        if pk is None:
            raise _bad("assignee")
        qs = qs.filter(owner_id=pk)
    category = params.get("category", "")
    if category:
        pk = _pk(category)
        if pk is None:
            raise _bad("category")
        qs = qs.filter(category_id__in=category_and_below(pk))
    breached = _choice(params, "breached", YES_NO)
    if breached:
        qs = qs.filter(breached=breached == "yes")
    is_open = _choice(params, "open", YES_NO)
    if is_open == "yes":
        qs = qs.filter(status__in=OPEN_STATUSES)
    elif is_open == "no":
        qs = qs.exclude(status__in=OPEN_STATUSES)
    return ticket_search(qs, str(params.get("q", "")))


def ticket_search(qs: QuerySet[Ticket], query: str) -> QuerySet[Ticket]:
    """Tickets whose number, subject, requester or customer (name, phone, email; accents ignored)
    contains every word of the query."""
    for word in clean_text(query)[:100].split():
        folded = fold(word)
        qs = qs.filter(
            Q(number__icontains=word)
            | Q(subject__icontains=word)
            | Q(requester_name__icontains=word)
            | Q(requester_email__icontains=word)
            | Q(requester_phone__icontains=word)
            | Q(contact__search_key__contains=folded)
            | Q(account__search_key__contains=folded)
        )
    return qs


# --- the "time left" sort ---------------------------------------------------------------------------


def due_page(
    qs: QuerySet[Ticket], *, descending: bool = False, cursor: str | None = None, size: int = 50
) -> KeysetPage:
    """A keyset page of the tickets whose SLA clock runs, by next due time then id (core.pagination
    pages by a concrete field only; this is its twin for the annotation). Tickets without a running
    clock (waiting, resolved, closed, no policy) have no next due time and are left out: NULLs sort
    first on SQLite and last on PostgreSQL, and a keyset needs a key."""
    size = max(1, min(size, MAX_PAGE_SIZE))
    qs = sla.annotate_next_due(qs).filter(**{f"{NEXT_DUE}__isnull": False})
    total = qs.order_by()[: COUNT_CAP + 1].count()
    tag = "-due" if descending else "due"
    if cursor:
        try:
            value, last_id, cursor_tag = signing.loads(cursor, salt=_SALT)
            when = dt.datetime.fromisoformat(value)
        except (signing.BadSignature, TypeError, ValueError) as exc:
            raise BadCursor(cursor) from exc
        if cursor_tag != tag or not isinstance(last_id, int):
            raise BadCursor(cursor)
        op = "lt" if descending else "gt"
        qs = qs.filter(Q(**{f"{NEXT_DUE}__{op}": when}) | Q(**{NEXT_DUE: when, f"id__{op}": last_id}))
    order = [f"-{NEXT_DUE}", "-id"] if descending else [NEXT_DUE, "id"]
    rows = list(qs.order_by(*order)[: size + 1])
    next_cursor = None
    if len(rows) > size:
        rows = rows[:size]
        last = rows[-1]
        next_cursor = signing.dumps(
            [getattr(last, NEXT_DUE).isoformat(), last.pk, tag], salt=_SALT, compress=True
        )
    return KeysetPage(
        rows=rows, next_cursor=next_cursor, count=min(total, COUNT_CAP), count_capped=total > COUNT_CAP
    )


# --- the SLA on a row ------------------------------------------------------------------------------


def _duration(seconds: int) -> str:
    minutes = seconds // 60
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return _("%(d)d d %(h)d h") % {"d": days, "h": hours}
    if hours:
        return _("%(h)d h %(m)02d min") % {"h": hours, "m": minutes}
    return _("%(m)d min") % {"m": minutes}


def sla_state(ticket: Ticket, now: dt.datetime) -> dict[str, Any]:
    """What a row and the ticket's header say of the SLA: the time left (negative when late), its
    words, and a state: "late" (red), "warned" (amber), "ok", "paused" (waiting for the customer) or
    "" (no clock: closed, resolved, no policy)."""
    if ticket.status == TicketStatus.WAITING:
        return {"left": None, "text": _("paused"), "state": "paused"}
    if not ticket.is_open:
        return {"left": None, "text": "", "state": ""}
    left = sla.time_left(ticket, now)
    if left is None:
        return {
            "left": None,
            "text": _("breached") if ticket.breached else "",
            "state": "late" if ticket.breached else "",
        }
    seconds = int(left.total_seconds())
    if seconds < 0:
        return {"left": left, "text": _("%(time)s late") % {"time": _duration(-seconds)}, "state": "late"}
    state = "late" if ticket.breached else ("warned" if ticket.sla_warned_at else "ok")
    return {"left": left, "text": _("%(time)s left") % {"time": _duration(seconds)}, "state": state}


def decorate(tickets: Iterable[Ticket], user: Any, now: dt.datetime | None = None) -> list[Ticket]:
    """Set `sla` (see sla_state) and the customer's name as the user may read it on each ticket, with
    one query per customer model for all of them."""
    rows = list(tickets)
    now = now or timezone.now()
    access.label_related(user, rows, "contact")
    access.label_related(user, rows, "account")
    for ticket in rows:
        ticket.sla = sla_state(ticket, now)  # type: ignore[attr-defined]
        ticket.customer_label = (  # type: ignore[attr-defined]
            ticket.account_label or ticket.contact_label or ticket.requester_name  # type: ignore[attr-defined]
        )
    return rows


ROW_RELATED = ("contact", "account", "owner", "queue__calendar", "category__parent")


def ticket_rows(qs: QuerySet[Ticket]) -> QuerySet[Ticket]:
    return qs.select_related(*ROW_RELATED)


# --- export ----------------------------------------------------------------------------------------


def export_header() -> list[str]:
    return [
        _("Number"),
        _("Subject"),
        _("Customer"),
        _("Status"),
        _("Priority"),
        pgettext("support line", "Line"),
        _("Queue"),
        _("Assignee"),
        _("Category"),
        _("Channel"),
        _("Created"),
        _("First response due"),
        _("Resolution due"),
        _("SLA breached"),
    ]


def _local(value: dt.datetime | None) -> Any:
    # Spreadsheets know no time zones: the time of Vietnam, without its offset.
    return timezone.localtime(value).replace(tzinfo=None) if value else None


def export_rows(qs: QuerySet[Ticket], *, user: Any) -> Iterator[list[Any]]:
    tickets = ticket_rows(qs).order_by("-created_at", "-id").iterator(chunk_size=CHUNK)
    while chunk := list(islice(tickets, CHUNK)):
        access.label_related(user, chunk, "contact")
        access.label_related(user, chunk, "account")
        for t in chunk:
            yield [
                t.number,
                t.subject,
                t.account_label or t.contact_label or t.requester_name,  # type: ignore[attr-defined]
                t.get_status_display(),
                t.get_priority_display(),
                t.get_line_display(),
                str(t.queue or ""),
                str(t.owner),
                str(t.category or ""),
                t.get_channel_display(),
                _local(t.created_at),
                _local(t.first_response_due),
                _local(t.resolution_due),
                _("Yes") if t.breached else "",
            ]


# --- the care home page and My day ------------------------------------------------------------------


def my_queue_ids(user: Any) -> list[int]:
    """The queues the user works in: a member or the lead."""
    return list(
        Queue.objects.filter(Q(members=user) | Q(lead=user), active=True)
        .values_list("pk", flat=True)
        .distinct()
    )


def by_next_due(qs: QuerySet[Ticket], limit: int) -> list[Ticket]:
    """Tickets with a running clock by next due time, then the others (paused, no policy) newest first."""
    annotated = sla.annotate_next_due(qs)
    running = list(
        ticket_rows(annotated.filter(**{f"{NEXT_DUE}__isnull": False})).order_by(NEXT_DUE, "id")[:limit]
    )
    if len(running) < limit:
        others = annotated.filter(**{f"{NEXT_DUE}__isnull": True}).order_by("-created_at", "-id")
        running += list(ticket_rows(others)[: limit - len(running)])
    return running


def my_open_tickets(user: Any) -> QuerySet[Ticket]:
    return access.scope(user, Ticket, Action.VIEW).filter(owner=user, status__in=OPEN_STATUSES)


def at_risk(user: Any, now: dt.datetime, queue_ids: list[int] | None = None) -> QuerySet[Ticket]:
    """Open tickets of the user's queues that are breached, due within two business hours (by each
    queue's calendar), or waiting for an agent of the queue (see unassigned_q)."""
    queue_ids = my_queue_ids(user) if queue_ids is None else queue_ids
    base = sla.annotate_next_due(
        access.scope(user, Ticket, Action.VIEW).filter(status__in=OPEN_STATUSES, queue_id__in=queue_ids)
    )
    if not queue_ids:
        return base.none()
    soon = Q()
    for queue in Queue.objects.filter(pk__in=queue_ids).select_related("calendar"):
        horizon = sla.business_add(queue.calendar, now, AT_RISK_SECONDS)
        soon |= Q(queue_id=queue.pk, **{f"{NEXT_DUE}__lte": horizon})
    return base.filter(soon | Q(breached=True) | unassigned_q())


def care_calls_today(user: Any, today: dt.date) -> QuerySet[CareCall]:
    """The user's planned care calls due today or overdue, the oldest first."""
    return (
        access.scope(user, CareCall, Action.VIEW)
        .filter(owner=user, status=CareCallStatus.PLANNED, due_date__lte=today)
        .select_related("contact", "account")
        .order_by("due_date", "id")
    )


def due_by_tonight(user: Any, now: dt.datetime) -> list[Ticket]:
    """The user's open tickets whose next due time is before the end of today (overdue ones too)."""
    tonight = timezone.make_aware(
        dt.datetime.combine(timezone.localdate(now) + dt.timedelta(days=1), dt.time.min)
    )
    qs = sla.annotate_next_due(my_open_tickets(user)).filter(**{f"{NEXT_DUE}__lt": tonight})
    return list(ticket_rows(qs).order_by(NEXT_DUE, "id")[:PANEL_ROWS])


def customer_open_tickets(user: Any, **customer: Any) -> QuerySet[Ticket]:
    """A contact's or an account's open tickets the user may see (`contact=` or `account=`)."""
    return access.scope(user, Ticket, Action.VIEW).filter(status__in=OPEN_STATUSES, **customer)


def visible_or_none(user: Any, obj: Any) -> Any:
    """A linked record when the user may open it, else None (the page then names no link)."""
    return obj if obj is not None and access.in_scope(user, Action.VIEW, obj) else None
