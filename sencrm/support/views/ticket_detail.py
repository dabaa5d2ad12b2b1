"""A ticket's page and what is done on it: reply (emailed to the customer), internal note, status
change, escalation, assignment, merge, task. Each action is a POST view calling one service; reply
and note answer htmx with the conversation (the thread refreshed, the forms empty again), anything
else with a redirect to the page, or the page again with the reason (400) when the input is refused.

htmx swaps only 2xx answers: a refused reply or note comes back to htmx as 200 with the errors in the
conversation; without htmx it is the whole page with a 400, like every other form here."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import NoReverseMatch, path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from sencrm.activities.models import Activity
from sencrm.core import access
from sencrm.core.modules import Action, Module
from sencrm.core.record_views import add_validation_errors, get_record
from sencrm.events import selectors as event_selectors
from sencrm.support import selectors, services
from sencrm.support.forms import (
    AssignForm,
    EscalateForm,
    MergeForm,
    NoteForm,
    ReplyForm,
    TaskForm,
    TransitionForm,
)
from sencrm.support.models import TRANSITIONS, Call, Line, Review, Ticket, TicketStatus, TicketTask

TICKETS = Ticket.objects.select_related(
    "contact", "account", "owner", "team", "queue__calendar", "category__parent", "product", "order",
    "contract", "merged_into",
)  # fmt: skip


def _url(name: str, *args: Any) -> str:
    """A page of another part that may not be built yet: its address, or ""."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


def customer_link(ticket: Ticket) -> str:
    """The signed page the customer follows (sencrm/support/public_links.py), "" until it exists."""
    try:
        from sencrm.support import public_links
    except ModuleNotFoundError as error:
        if error.name != "sencrm.support.public_links":
            raise
        return ""
    # The brief named it ticket_link; public_links.py calls it link_for.
    make = getattr(public_links, "ticket_link", None) or getattr(public_links, "link_for", None)
    if make is None:
        return ""
    try:
        return str(make(ticket))
    except NoReverseMatch:  # the public page is not installed
        return ""


def transition_buttons(ticket: Ticket) -> list[dict[str, str]]:
    """The statuses the ticket may move to (models.TRANSITIONS), each with the words of its button."""
    reopen = ticket.status in (TicketStatus.RESOLVED, TicketStatus.CLOSED)
    words: dict[str, str] = {
        # "Open" alone reads as the status; the buttons say what the agent does.
        TicketStatus.OPEN: _("Reopen")
        if reopen
        else (_("Back to work") if ticket.status == TicketStatus.WAITING else _("Start work")),
        TicketStatus.WAITING: _("Wait for the customer"),
        TicketStatus.RESOLVED: _("Resolve"),
        TicketStatus.CLOSED: _("Close"),
    }
    return [{"status": s, "label": str(words.get(s, s))} for s in TRANSITIONS.get(ticket.status, ())]


def _tasks(user: Any, ticket: Ticket) -> list[dict[str, Any]]:
    links = list(
        TicketTask.objects.filter(ticket=ticket).select_related("activity__owner").order_by("-id")[:50]
    )
    visible = access.visible_pks(user, Activity, [link.activity_id for link in links])
    return [{"task": link.activity, "visible": link.activity_id in visible} for link in links]


def _calls(user: Any, ticket: Ticket) -> list[dict[str, Any]]:
    calls = access.scope(user, Call, Action.VIEW).filter(ticket=ticket).select_related("owner")
    return [
        {"call": call, "url": _url("support:call_detail", call.pk)}
        for call in calls.order_by("-started_at", "-id")[:20]
    ]


def conversation_context(request: HttpRequest, ticket: Ticket, **forms_: Any) -> dict[str, Any]:
    """What the conversation partial shows: the thread and the reply and note forms."""
    can_edit = access.in_scope(request.user, Action.EDIT, ticket)
    ticket.sla = selectors.sla_state(ticket, timezone.now())  # type: ignore[attr-defined]
    return {
        "object": ticket,
        "thread": list(ticket.messages.select_related("author").order_by("created_at", "id")),
        "can_edit": can_edit,
        "reply_form": forms_.get("reply_form") or ReplyForm(),
        "note_form": forms_.get("note_form") or NoteForm(),
        "can_reply": can_edit and bool(ticket.contact_id or ticket.requester_email),
        "flash": forms_.get("flash", ""),
    }


def ticket_page(request: HttpRequest, ticket: Ticket, status: int = 200, **forms_: Any) -> HttpResponse:
    user = request.user
    events, next_before = event_selectors.audit_trail(user=user, obj=ticket)
    can_edit = access.in_scope(user, Action.EDIT, ticket)
    merged_into = ticket.merged_into
    context = {
        **conversation_context(request, ticket, **forms_),
        "contact": selectors.visible_or_none(user, ticket.contact),
        "account": selectors.visible_or_none(user, ticket.account),
        "order": selectors.visible_or_none(user, ticket.order),
        "contract": selectors.visible_or_none(user, ticket.contract),
        "merged_into": selectors.visible_or_none(user, merged_into),
        "transitions": transition_buttons(ticket) if can_edit and not ticket.merged_into_id else [],
        "can_escalate": can_edit and ticket.is_open and ticket.line == Line.FIRST,
        "can_delete": access.in_scope(user, Action.DELETE, ticket),
        "can_task": can_edit and access.can(user, Module.ACTIVITIES, Action.CREATE),
        "escalate_form": forms_.get("escalate_form") or EscalateForm(),
        "assign_form": forms_.get("assign_form") or AssignForm(user=user, ticket=ticket),
        "merge_form": forms_.get("merge_form") or MergeForm(user=user, ticket=ticket),
        "task_form": forms_.get("task_form") or TaskForm(),
        "tasks": _tasks(user, ticket),
        "calls": _calls(user, ticket),
        "reviews": list(
            access.scope(user, Review, Action.VIEW).filter(ticket=ticket).order_by("-requested_at")
        ),
        "customer_link": customer_link(ticket) if can_edit else "",
        "events": events,
        "next_before": next_before,
        "ct_id": ContentType.objects.get_for_model(Ticket).pk,
    }
    return render(request, "support/ticket_detail.html", context, status=status)


@login_required
@require_GET
def ticket_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return ticket_page(request, get_record(request, TICKETS, pk))


# --- actions -----------------------------------------------------------------------------------------


def _editable(request: HttpRequest, pk: int) -> Ticket:
    ticket: Ticket = get_record(request, TICKETS, pk, Action.EDIT)
    return ticket


def _run(form: forms.BaseForm, save: Callable[[], Any]) -> Any:
    """A service behind a small form: its result, or None with the reason on the form."""
    try:
        return save()
    except ValidationError as exc:
        add_validation_errors(form, exc)
    except PermissionDenied as exc:
        form.add_error(None, str(exc))
    return None


def _done(request: HttpRequest, ticket: Ticket, text: str) -> HttpResponse:
    messages.success(request, text)
    return HttpResponseRedirect(ticket.get_absolute_url())


def _message_post(request: HttpRequest, pk: int, form_class: type[forms.Form], kind: str) -> HttpResponse:
    """A reply or an internal note: htmx gets the conversation again, a plain form post the page."""
    ticket = _editable(request, pk)
    form = form_class(request.POST)
    written = None
    if form.is_valid():
        body = form.cleaned_data["body"]
        if kind == "reply":
            written = _run(form, lambda: services.ticket_reply(ticket, actor=request.user, body=body))
        else:
            written = _run(form, lambda: services.ticket_note(ticket, actor=request.user, body=body))
    flash = ""
    if written is not None:
        flash = _("Reply sent to the customer.") if kind == "reply" else _("Note added.")
        ticket = TICKETS.get(pk=ticket.pk)  # the first reply stopped a clock: show it
    if getattr(request, "htmx", False):
        forms_ = {} if written is not None else {f"{kind}_form": form}
        context = conversation_context(request, ticket, flash=flash, **forms_)
        return render(request, "support/partials/ticket_conversation.html", context)
    if written is not None:
        return _done(request, ticket, flash)
    return ticket_page(request, ticket, status=400, **{f"{kind}_form": form})


@login_required
@require_POST
def ticket_reply(request: HttpRequest, pk: int) -> HttpResponse:
    return _message_post(request, pk, ReplyForm, "reply")


@login_required
@require_POST
def ticket_note(request: HttpRequest, pk: int) -> HttpResponse:
    return _message_post(request, pk, NoteForm, "note")


@login_required
@require_POST
def ticket_transition(request: HttpRequest, pk: int) -> HttpResponse:
    """A status button: the refusal of a move the map does not allow comes back as a message."""
    ticket = _editable(request, pk)
    form = TransitionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Unknown status."))
        return HttpResponseRedirect(ticket.get_absolute_url())
    status = form.cleaned_data["status"]
    try:
        services.ticket_transition(ticket, actor=request.user, status=status, note=form.cleaned_data["note"])
    except ValidationError as exc:
        for text in exc.messages:
            messages.error(request, text)
        return HttpResponseRedirect(ticket.get_absolute_url())
    label = TicketStatus(status).label
    return _done(request, ticket, _("The ticket is now: %(status)s.") % {"status": label})


@login_required
@require_POST
def ticket_escalate(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = _editable(request, pk)
    form = EscalateForm(request.POST)
    done = None
    if form.is_valid():
        done = _run(
            form, lambda: services.ticket_escalate(ticket, actor=request.user, note=form.cleaned_data["note"])
        )
    if done is None:
        return ticket_page(request, ticket, status=400, escalate_form=form)
    return _done(
        request, done, _("Escalated to second line: %(queue)s.") % {"queue": done.queue or _("no queue")}
    )


@login_required
@require_POST
def ticket_assign(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = _editable(request, pk)
    form = AssignForm(request.POST, user=request.user, ticket=ticket)
    done = None
    if form.is_valid():
        data = form.cleaned_data
        done = _run(
            form,
            lambda: services.ticket_assign(
                ticket, actor=request.user, owner=data["owner"], queue=data["queue"]
            ),
        )
    if done is None:
        return ticket_page(request, ticket, status=400, assign_form=form)
    return _done(request, done, _("Assigned to %(owner)s.") % {"owner": done.owner})


@login_required
@require_POST
def ticket_merge(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = _editable(request, pk)
    form = MergeForm(request.POST, user=request.user, ticket=ticket)
    done = None
    if form.is_valid():
        target = form.cleaned_data["number"]
        done = _run(form, lambda: services.ticket_merge(ticket, into=target, actor=request.user))
    if done is None:
        return ticket_page(request, ticket, status=400, merge_form=form)
    target = form.cleaned_data["number"]
    messages.success(request, _("Merged into %(number)s.") % {"number": target.number})
    return HttpResponseRedirect(target.get_absolute_url())


@login_required
@require_POST
def ticket_task(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = _editable(request, pk)
    access.check_module(request.user, Module.ACTIVITIES, Action.CREATE)
    form = TaskForm(request.POST)
    done = None
    if form.is_valid():
        done = _run(
            form, lambda: services.ticket_task_create(ticket, actor=request.user, data=form.cleaned_data)
        )
    if done is None:
        return ticket_page(request, ticket, status=400, task_form=form)
    return _done(request, ticket, _("Task added."))


urlpatterns = [
    path("tickets/<int:pk>/", ticket_detail, name="ticket_detail"),
    path("tickets/<int:pk>/reply/", ticket_reply, name="ticket_reply"),
    path("tickets/<int:pk>/note/", ticket_note, name="ticket_note"),
    path("tickets/<int:pk>/status/", ticket_transition, name="ticket_transition"),
    path("tickets/<int:pk>/escalate/", ticket_escalate, name="ticket_escalate"),
    path("tickets/<int:pk>/assign/", ticket_assign, name="ticket_assign"),
    path("tickets/<int:pk>/merge/", ticket_merge, name="ticket_merge"),
    path("tickets/<int:pk>/task/", ticket_task, name="ticket_task"),
]
