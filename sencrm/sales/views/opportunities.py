"""Opportunity pages: the table, the deal's page (stage history, audit), its form, won/lost, delete."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from sencrm.core import access
from sencrm.core.exceptions import StaleRecord
from sencrm.core.htmx import render_page_or_partial
from sencrm.core.modules import Action, Module
from sencrm.core.pagination import BadCursor, keyset_page
from sencrm.core.record_views import call_service, service_form_page
from sencrm.customers.models import Account, Contact
from sencrm.events import selectors as event_selectors
from sencrm.sales import services
from sencrm.sales.filters import OpportunityFilter
from sencrm.sales.models import Opportunity, Stage
from sencrm.sales.opportunity_forms import OpportunityForm
from sencrm.sales.selectors import opportunity_search_filter
from sencrm.sales.views.opportunity_common import decorate_cards, get_opportunity

PAGE_SIZE = 50
# ?sort= values of the opportunity table → (model field, descending); keyset paging needs non-null fields.
OPPORTUNITY_SORTS = {
    "name": ("name", False), "-name": ("name", True),
    "amount": ("amount", False), "-amount": ("amount", True),
    "created": ("created_at", False), "-created": ("created_at", True),
}  # fmt: skip


@login_required
@require_GET
def opportunity_list(request: HttpRequest) -> HttpResponse:
    access.check_module(request.user, Module.SALES, Action.VIEW)
    base = access.scope(request.user, Opportunity, Action.VIEW)
    filterset = OpportunityFilter(request.GET or None, queryset=base, request=request)
    sort = request.GET.get("sort", "-created")
    query = request.GET.get("q", "").strip()[:100]
    context: dict[str, Any] = {
        "filter": filterset,
        "sort": sort,
        "query": query,
        "can_create": access.can(request.user, Module.SALES, Action.CREATE),
    }
    if sort not in OPPORTUNITY_SORTS:
        context["error"] = _("Unknown sort order.")
    elif filterset.is_bound and not filterset.is_valid():
        context["error"] = _("Some filters are not valid: %(fields)s") % {
            "fields": ", ".join(filterset.errors)
        }
    if "error" in context:
        return render(request, "sales/opportunity_list.html", context, status=400)
    qs = filterset.qs if filterset.is_bound else base
    if query:
        qs = opportunity_search_filter(qs, query)
    qs = qs.select_related("stage", "pipeline", "owner", "contact", "account")
    field, descending = OPPORTUNITY_SORTS[sort]
    try:
        context["page"] = keyset_page(
            qs, sort=field, descending=descending, cursor=request.GET.get("cursor"), size=PAGE_SIZE
        )
    except BadCursor:
        context["error"] = _("This page link is no longer valid. Start again from the first page.")
        return render(request, "sales/opportunity_list.html", context, status=400)
    decorate_cards(request.user, context["page"].rows)
    return render_page_or_partial(
        request, "sales/opportunity_list.html", "sales/partials/opportunity_table.html", context
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
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            changes = form.record_changes()
            created, status = call_service(
                form,
                lambda: services.opportunity_create(
                    actor=request.user, data=changes, owner=form.cleaned_data.get("owner")
                ),
            )
            if created is not None:
                messages.success(request, _("Opportunity %(name)s was created.") % {"name": created.name})
                return redirect(created)
    return render(request, "sales/opportunity_form.html", {"form": form}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def opportunity_edit(request: HttpRequest, pk: int) -> HttpResponse:
    opp = get_opportunity(request, pk, Action.EDIT)
    form = OpportunityForm(request.POST or None, instance=opp, user=request.user)
    return service_form_page(
        request,
        form,
        lambda: services.opportunity_update(
            Opportunity.objects.get(pk=opp.pk),
            actor=request.user,
            changes=form.record_changes(),
            version=form.cleaned_data["version"],
        ),
        "sales/opportunity_form.html",
        {"object": opp},
    )


@login_required
@require_POST
def opportunity_delete(request: HttpRequest, pk: int) -> HttpResponse:
    opp = get_opportunity(request, pk, Action.DELETE)
    services.opportunity_delete(opp, actor=request.user)
    messages.success(request, _("Moved to the trash. You can restore it from the trash."))
    return HttpResponseRedirect(reverse("sales:opportunity_board") + f"?pipeline={opp.pipeline_id}")


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
