"""Ticket pages: the list (my queue or all I may see; filters, search, the SLA's time left sortable,
keyset pages) and its export, the form (new, from a contact, an account, an order, a contract or a
call; edit with the version it was opened at), deletion. The ticket's own page and the actions on it
are in ticket_detail.py. Reads start from the access gate; writes are sencrm.support.services calls."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from sencrm.commerce.models import Contract, Order
from sencrm.core import access
from sencrm.core.htmx import render_page_or_partial
from sencrm.core.modules import Action, Module
from sencrm.core.pagination import BadCursor, keyset_page
from sencrm.core.record_views import (
    RecordList,
    call_service,
    get_record,
    record_edit_page,
    record_export,
    trash_and_redirect,
)
from sencrm.customers.models import Account, Contact
from sencrm.support import config_services, selectors, services
from sencrm.support.forms import TicketForm, agents
from sencrm.support.models import Call, Channel, Line, Priority, Queue, Ticket, TicketCategory, TicketStatus
from sencrm.support.views.ticket_detail import urlpatterns as detail_urlpatterns

PAGE_SIZE = 50


def _records(request: HttpRequest) -> RecordList:
    """The list's records for this reader ("assignee=me" is theirs), shared by the page and the export."""
    user = request.user
    return RecordList(Ticket, narrow=lambda qs, params: selectors.ticket_filter(qs, params, user=user))


def _pk(raw: Any) -> int | None:
    text = str(raw or "")
    return int(text) if text.isdigit() and len(text) < 12 else None


@login_required
@require_GET
def ticket_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    access.check_module(user, Module.SUPPORT, Action.VIEW)
    params = request.GET
    sort = params.get("sort", "-created")
    names = (
        "status",
        "priority",
        "line",
        "queue",
        "assignee",
        "category",
        "breached",
        "open",
        "contact",
        "account",
    )
    context: dict[str, Any] = {
        "statuses": TicketStatus.choices,
        "priorities": Priority.choices,
        "lines": Line.choices,
        "queues": Queue.objects.filter(active=True),
        "categories": TicketCategory.objects.filter(active=True).select_related("parent"),
        "agents": agents(user, Action.VIEW),
        "current": {name: params.get(name, "")[:20] for name in names},
        "query": params.get("q", "").strip()[:100],
        "sort": sort,
        "due_sort": sort in selectors.DUE_SORTS,
        "can_create": access.can(user, Module.SUPPORT, Action.CREATE),
        "can_configure": config_services.can_configure(user),
        "can_export": access.can(user, Module.SUPPORT, Action.EXPORT),
    }
    try:
        if sort not in selectors.SORTS:
            raise ValidationError(_("Unknown sort order."))
        qs = selectors.ticket_rows(_records(request).queryset(request, Action.VIEW, params))
        key, descending = selectors.SORTS[sort]
        cursor = params.get("cursor")
        if sort in selectors.DUE_SORTS:
            page = selectors.due_page(qs, descending=descending, cursor=cursor, size=PAGE_SIZE)
        else:
            page = keyset_page(qs, sort=key, descending=descending, cursor=cursor, size=PAGE_SIZE)
    except ValidationError as exc:
        context["error"] = " ".join(exc.messages)
        return render_page_or_partial(
            request, "support/ticket_list.html", "support/partials/ticket_table.html", context, status=400
        )
    except BadCursor:
        context["error"] = _("This page link is no longer valid. Start again from the first page.")
        return render_page_or_partial(
            request, "support/ticket_list.html", "support/partials/ticket_table.html", context, status=400
        )
    selectors.decorate(page.rows, user)
    context["page"] = page
    return render_page_or_partial(
        request, "support/ticket_list.html", "support/partials/ticket_table.html", context
    )


@login_required
@require_GET
def ticket_export(request: HttpRequest) -> HttpResponseBase:
    """The filtered list as CSV or XLSX, only over what the user may export."""

    def table(qs: Any) -> tuple[list[str], Any]:
        return selectors.export_header(), selectors.export_rows(qs, user=request.user)

    return record_export(request, _records(request), module=Module.SUPPORT, name="tickets", table=table)


# --- the form ----------------------------------------------------------------------------------------


def _visible(user: Any, model: Any, raw: Any, action: str = Action.VIEW) -> Any:
    pk = _pk(raw)
    return None if pk is None else access.scope(user, model, action).filter(pk=pk).first()


def prefill(user: Any, params: Mapping[str, Any]) -> dict[str, Any]:
    """A new ticket's fields from where it was opened: ?contact=, ?account=, ?order=, ?contract=, ?call=
    (the screen pop: its customer and number, and the call is linked once the ticket exists),
    ?channel=. A record the user may not see is ignored, like a missing one."""
    data: dict[str, Any] = {}
    call = _visible(user, Call, params.get("call"), Action.EDIT)
    if call is not None:
        data.update(call=call.pk, channel=Channel.PHONE, requester_phone=call.number)
        data.update(contact=call.contact_id, account=call.account_id)
    for name, model in (("order", Order), ("contract", Contract)):
        record = _visible(user, model, params.get(name))
        if record is not None:
            data[name] = record.pk
            data.setdefault("contact", record.contact_id)
            data.setdefault("account", record.account_id)
    contact = _visible(user, Contact, params.get("contact"))
    if contact is not None:
        data["contact"] = contact.pk
        if contact.account_id and access.visible_pks(user, Account, [contact.account_id]):
            data.setdefault("account", contact.account_id)
    account = _visible(user, Account, params.get("account"))
    if account is not None:
        data["account"] = account.pk
    channel = params.get("channel", "")
    if channel in Channel.values:
        data["channel"] = channel
    # Links the user may not see (a call's contact in another scope) are dropped, not shown.
    customers: tuple[tuple[str, Any], ...] = (("contact", Contact), ("account", Account))
    for name, model in customers:
        if data.get(name) and not access.visible_pks(user, model, [data[name]]):
            data.pop(name)
    return {k: v for k, v in data.items() if v not in (None, "")}


def _created_text(ticket: Ticket) -> str:
    if ticket.queue_id:
        return _("%(number)s opened: queue %(queue)s, assigned to %(owner)s.") % {
            "number": ticket.number,
            "queue": ticket.queue,
            "owner": ticket.owner,
        }
    return _("%(number)s opened, assigned to %(owner)s.") % {"number": ticket.number, "owner": ticket.owner}


@login_required
@require_http_methods(["GET", "POST"])
def ticket_create(request: HttpRequest) -> HttpResponse:
    user = request.user
    access.check_module(user, Module.SUPPORT, Action.CREATE)
    initial = prefill(user, request.GET) if request.method == "GET" else {}
    form = TicketForm(request.POST or None, user=user, prefill=initial)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            call = _visible(user, Call, form.cleaned_data.get("call"), Action.EDIT)

            def save() -> Ticket:
                with transaction.atomic():
                    ticket = services.ticket_create(actor=user, data=form.record_changes())
                    if call is not None:
                        # The call the ticket was opened from (the screen pop) points to it.
                        from sencrm.support.calls import call_update

                        call_update(call, actor=user, changes={"ticket": ticket}, version=None)
                return ticket

            ticket, status = call_service(form, save)
            if ticket is not None:
                messages.success(request, _created_text(ticket))
                return HttpResponseRedirect(ticket.get_absolute_url())
    return render(request, "support/ticket_form.html", {"form": form, "object": None}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def ticket_edit(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = get_record(request, Ticket, pk, Action.EDIT)
    return record_edit_page(request, ticket, TicketForm, services.ticket_update, "support/ticket_form.html")


@login_required
@require_POST
def ticket_delete(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = get_record(request, Ticket, pk, Action.DELETE)
    return trash_and_redirect(request, ticket, services.ticket_delete, reverse("support:ticket_list"))


urlpatterns = [
    path("tickets/", ticket_list, name="ticket_list"),
    path("tickets/export/", ticket_export, name="ticket_export"),
    path("tickets/new/", ticket_create, name="ticket_create"),
    path("tickets/<int:pk>/edit/", ticket_edit, name="ticket_edit"),
    path("tickets/<int:pk>/delete/", ticket_delete, name="ticket_delete"),
    *detail_urlpatterns,
]
