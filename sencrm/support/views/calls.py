"""The call log's pages: the list (filters by direction, outcome, agent and number; newest first, keyset
pages), a call's page with the agent's outcome form and its history, and "log a call" for a call made
outside the telephony system. Reads start from the access gate; writes are sencrm.support.calls calls."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from sencrm.core import access
from sencrm.core.htmx import render_page_or_partial
from sencrm.core.modules import Action, Module
from sencrm.core.pagination import BadCursor, keyset_page
from sencrm.core.phones import display, to_e164
from sencrm.core.record_views import call_service, get_record
from sencrm.events import selectors as event_selectors
from sencrm.support import calls
from sencrm.support.call_forms import CallLogForm, CallOutcomeForm
from sencrm.support.card import label_customers
from sencrm.support.models import Call, CallDirection, CallOutcome

PAGE_SIZE = 50


def _filters(request: HttpRequest) -> tuple[Q, dict[str, str]]:
    """The list's filters as a condition; ValidationError naming the bad ones."""
    params = request.GET
    current = {name: params.get(name, "")[:40] for name in ("direction", "outcome", "agent", "number")}
    condition, bad = Q(), []
    if current["direction"]:
        if current["direction"] not in CallDirection.values:
            bad.append(_("direction"))
        condition &= Q(direction=current["direction"])
    if current["outcome"]:
        if current["outcome"] not in [*CallOutcome.values, "none"]:
            bad.append(_("outcome"))
        condition &= Q(outcome="") if current["outcome"] == "none" else Q(outcome=current["outcome"])
    if current["agent"] == "me":
        condition &= Q(owner=request.user)
    elif current["agent"]:
        bad.append(_("agent"))
    if current["number"]:
        e164 = to_e164(current["number"])
        if e164 is None:
            bad.append(_("number"))
        condition &= Q(number=e164)
    if bad:
        raise ValidationError(_("Some filters are not valid: %(fields)s") % {"fields": ", ".join(bad)})
    return condition, current


@login_required
@require_GET
def call_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    access.check_module(user, Module.SUPPORT, Action.VIEW)
    context: dict[str, Any] = {
        "directions": CallDirection.choices,
        "outcomes": CallOutcome.choices,
        "can_create": access.can(user, Module.SUPPORT, Action.CREATE),
        "current": {},
    }
    status = 200
    try:
        condition, context["current"] = _filters(request)
        qs = access.scope(user, Call, Action.VIEW).filter(condition)
        qs = qs.select_related("contact", "account", "lead", "owner")
        context["page"] = keyset_page(
            qs, sort="started_at", descending=True, cursor=request.GET.get("cursor"), size=PAGE_SIZE
        )
    except ValidationError as exc:
        context["error"], status = " ".join(exc.messages), 400
    except BadCursor:
        context["error"], status = (
            _("This page link is no longer valid. Start again from the first page."),
            400,
        )
    else:
        label_customers(user, context["page"].rows)
    return render_page_or_partial(
        request, "support/call_list.html", "support/partials/call_table.html", context, status=status
    )


def _get(request: HttpRequest, pk: int, action: str = Action.VIEW) -> Call:
    access.check_module(request.user, Module.SUPPORT, Action.VIEW)
    records = Call.objects.select_related("contact", "account", "lead", "owner", "ticket")
    call: Call = get_record(request, records, pk, action)
    return call


def _detail(
    request: HttpRequest, call: Call, form: CallOutcomeForm | None = None, status: int = 200
) -> HttpResponse:
    user = request.user
    label_customers(user, [call])
    events, next_before = event_selectors.audit_trail(user=user, obj=call)
    can_edit = access.in_scope(user, Action.EDIT, call)
    if form is None and can_edit:
        form = CallOutcomeForm(
            initial={
                "outcome": call.outcome if call.outcome != CallOutcome.MISSED else "",
                "callback_at": call.callback_at,
                "notes": call.notes,
                "recording_url": call.recording_url,
                "version": call.version,
            }
        )
    ticket = (
        call.ticket if call.ticket is not None and access.in_scope(user, Action.VIEW, call.ticket) else None
    )
    context = {
        "object": call,
        "number": display(call.number),
        "form": form if can_edit else None,
        "ticket": ticket,
        "events": events,
        "next_before": next_before,
        "ct_id": ContentType.objects.get_for_model(Call).pk,
    }
    return render(request, "support/call_detail.html", context, status=status)


@login_required
@require_GET
def call_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, _get(request, pk))


@login_required
@require_POST
def call_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """The agent's outcome form (from the call's page)."""
    call = _get(request, pk, Action.EDIT)
    form = CallOutcomeForm(request.POST)
    status = 400
    if form.is_valid():
        changes = form.outcome_data()
        if call.outcome == CallOutcome.MISSED and not changes["outcome"]:
            changes.pop("outcome")  # "missed" stays until the agent gives another outcome
        saved, status = call_service(
            form,
            lambda: calls.call_update(
                call, actor=request.user, changes=changes, version=form.cleaned_data["version"]
            ),
        )
        if saved is not None:
            messages.success(request, _("Saved."))
            return HttpResponseRedirect(saved.get_absolute_url())
    return _detail(request, call, form, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def call_create(request: HttpRequest) -> HttpResponse:
    """Log a call; ?contact= (a link from the contact's page or the card) chooses the customer."""
    user = request.user
    access.check_module(user, Module.SUPPORT, Action.CREATE)
    if request.method == "POST":
        form = CallLogForm(request.POST, user=user)
    else:
        given = request.GET.get("contact", "")
        form = CallLogForm(
            user=user, initial={"contact": given} if given.isdigit() and len(given) < 12 else {}
        )
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            saved, status = call_service(form, lambda: calls.call_log(actor=user, data=form.service_data()))
            if saved is not None:
                messages.success(request, _("Call logged."))
                return HttpResponseRedirect(saved.get_absolute_url())
    contact_field: Any = form["contact"]
    chosen = contact_field.value()
    contact = None
    if chosen and str(chosen).isdigit() and len(str(chosen)) < 12:
        contact = form.fields["contact"].queryset.filter(pk=int(chosen)).first()  # type: ignore[attr-defined]
    return render(request, "support/call_form.html", {"form": form, "contact": contact}, status=status)


urlpatterns = [
    path("care/calls/", call_list, name="call_list"),
    path("care/calls/new/", call_create, name="call_create"),
    path("care/calls/<int:pk>/", call_detail, name="call_detail"),
    path("care/calls/<int:pk>/edit/", call_edit, name="call_edit"),
]
