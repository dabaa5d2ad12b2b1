"""Opportunity pages: the table, the deal's page (stage history, audit), its form, won/lost, delete."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from sencrm.core import access
from sencrm.core.exceptions import StaleRecord
from sencrm.core.modules import Action, Module
from sencrm.core.panels import panels as record_panels
from sencrm.core.record_views import (
    RecordList,
    record_edit_page,
    record_list_page,
    service_form_page,
    trash_and_redirect,
)
from sencrm.customers.models import Account, Contact
from sencrm.events import selectors as event_selectors
from sencrm.sales import services
from sencrm.sales.filters import OpportunityFilter
from sencrm.sales.models import Opportunity, Stage
from sencrm.sales.opportunity_forms import OpportunityForm
from sencrm.sales.selectors import opportunity_search_filter
from sencrm.sales.views.opportunity_common import decorate_cards, get_opportunity

FORM = "sales/opportunity_form.html"
# ?sort= values of the opportunity table → (model field, descending); keyset paging needs non-null fields.
OPPORTUNITY_SORTS = {
    "name": ("name", False), "-name": ("name", True),
    "amount": ("amount", False), "-amount": ("amount", True),
    "created": ("created_at", False), "-created": ("created_at", True),
}  # fmt: skip


OPPORTUNITIES = RecordList(
    Opportunity,
    OpportunityFilter,
    lambda qs, params: opportunity_search_filter(qs, params.get("q", "")[:100]),
)


@login_required
@require_GET
def opportunity_list(request: HttpRequest) -> HttpResponse:
    access.check_module(request.user, Module.SALES, Action.VIEW)
    return record_list_page(
        request,
        OPPORTUNITIES,
        sorts=OPPORTUNITY_SORTS,
        default_sort="-created",
        template="sales/opportunity_list.html",
        partial="sales/partials/opportunity_table.html",
        context={"can_create": access.can(request.user, Module.SALES, Action.CREATE)},
        related=["stage", "pipeline", "owner", "contact", "account"],
        decorate=lambda rows: decorate_cards(request.user, rows),
    )


def _visible(user: Any, obj: Any) -> Any:
    """A linked record, or None when the viewer may not see it (its name is not leaked)."""
    return obj if obj is not None and access.in_scope(user, Action.VIEW, obj) else None


def _detail_context(request: HttpRequest, opp: Opportunity) -> dict[str, Any]:
    user = request.user
    events, next_before = event_selectors.audit_trail(user=user, obj=opp)
    history = list(
        opp.stage_changes.select_related("from_stage", "to_stage", "actor").order_by("-entered_at", "-id")
    )
    can_edit = access.in_scope(user, Action.EDIT, opp)
    return {
        "object": opp,
        "contact": _visible(user, opp.contact),
        "account": _visible(user, opp.account),
        "lead": _visible(user, opp.lead),
        "history": history,
        "events": events,
        "next_before": next_before,
        "ct_id": ContentType.objects.get_for_model(Opportunity).pk,
        "panels": record_panels(opp, user),  # other modules' parts of the page (quotes and orders)
        "can_edit": can_edit,
        "can_delete": access.in_scope(user, Action.DELETE, opp),
        "can_win": can_edit and not opp.stage.is_won,
        "can_lose": can_edit and not opp.stage.is_lost,
    }


@login_required
@require_GET
def opportunity_detail(request: HttpRequest, pk: int) -> HttpResponse:
    opp = get_opportunity(request, pk)
    return render(request, "sales/opportunity_detail.html", _detail_context(request, opp))


def _prefill(request: HttpRequest) -> dict[str, Any]:
    """?contact=, ?account=, ?stage= of the create page: kept only when valid and visible."""
    found: dict[str, Any] = {}
    for name, model in (("contact", Contact), ("account", Account)):
        raw = request.GET.get(name, "")
        if raw.isdigit() and len(raw) < 12:
            obj = access.scope(request.user, model, Action.VIEW).filter(pk=int(raw)).first()
            if obj is not None:
                found[name] = obj
    if "account" not in found and found.get("contact") is not None and found["contact"].account_id:
        found["account"] = _visible(request.user, found["contact"].account)
    raw = request.GET.get("stage", "")
    if raw.isdigit() and len(raw) < 12:
        stage = Stage.objects.select_related("pipeline").filter(pk=int(raw), pipeline__is_active=True).first()
        if stage is not None:
            found["stage"], found["pipeline"] = stage, stage.pipeline
    return found


@login_required
@require_http_methods(["GET", "POST"])
def opportunity_create(request: HttpRequest) -> HttpResponse:
    access.check_module(request.user, Module.SALES, Action.CREATE)
    prefill = _prefill(request) if request.method == "GET" else {}
    form = OpportunityForm(request.POST or None, user=request.user, prefill=prefill)
    return service_form_page(
        request,
        form,
        lambda: services.opportunity_create(
            actor=request.user, data=form.record_changes(), owner=form.cleaned_data.get("owner")
        ),
        FORM,
        {},
        success=_("Opportunity %(name)s was created."),
    )


@login_required
@require_http_methods(["GET", "POST"])
def opportunity_edit(request: HttpRequest, pk: int) -> HttpResponse:
    opp = get_opportunity(request, pk, Action.EDIT)
    return record_edit_page(request, opp, OpportunityForm, services.opportunity_update, FORM)


@login_required
@require_POST
def opportunity_delete(request: HttpRequest, pk: int) -> HttpResponse:
    opp = get_opportunity(request, pk, Action.DELETE)
    board = reverse("sales:opportunity_board") + f"?pipeline={opp.pipeline_id}"
    return trash_and_redirect(request, opp, services.opportunity_delete, board)


@login_required
@require_POST
def opportunity_close(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark the deal won or lost (a lost deal needs a reason), with the version the page showed."""
    opp = get_opportunity(request, pk, Action.EDIT)
    outcome = request.POST.get("outcome", "")
    reason = request.POST.get("reason", "")[:1000]
    error, status = "", 400
    try:
        version = int(request.POST.get("version", ""))
    except ValueError:
        version = 0
    if outcome not in ("won", "lost"):
        error = _("Choose won or lost.")
    elif not 0 < version < 2**31:
        error = _("This page is out of date. Reload it and try again.")
    else:
        close = services.opportunity_mark_won if outcome == "won" else services.opportunity_mark_lost
        try:
            closed = close(opp, actor=request.user, version=version, reason=reason)
        except StaleRecord as exc:
            error, status = str(exc.message), 409
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            text = _("Marked as won.") if outcome == "won" else _("Marked as lost.")
            messages.success(request, text)
            return redirect(closed)
    context = _detail_context(request, opp)
    context.update(close_error=error, close_outcome=outcome, close_reason=reason)
    return render(request, "sales/opportunity_detail.html", context, status=status)
