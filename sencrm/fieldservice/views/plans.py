"""Maintenance plan pages: the list, a plan (its visits with due and planned dates, skip / reschedule,
the work orders it generated), the create and edit form (`?contract=<id>` prefills from a contract) and
ending a plan. Every read goes through the gate (plan_selectors), every write through plans.py."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from sencrm.core import access
from sencrm.core.modules import Action, Module
from sencrm.core.record_views import add_validation_errors, record_edit_page, service_form_page
from sencrm.fieldservice import plans
from sencrm.fieldservice.models import MaintenancePlan, MaintenanceVisit, VisitStatus
from sencrm.fieldservice.plan_forms import PlanEndForm, PlanForm, VisitRescheduleForm, VisitSkipForm
from sencrm.fieldservice.plan_selectors import (
    contract_prefill,
    plan_assets,
    plan_get,
    plan_visits,
    plan_work_orders,
    with_next_visits,
)
from sencrm.fieldservice.plan_selectors import (
    plan_list as select_plans,
)

PAGE_SIZE = 50


def _require_module(request: HttpRequest, action: str = Action.VIEW) -> None:
    access.check_module(request.user, Module.FIELDSERVICE, action)


@login_required
@require_GET
def plan_list(request: HttpRequest) -> HttpResponse:
    _require_module(request)
    q = request.GET.get("q", "").strip()[:100]
    active = request.GET.get("active", "1")
    active = active if active in ("0", "1", "") else "1"
    plans_qs = with_next_visits(select_plans(request.user, q=q, active=active))
    page = Paginator(plans_qs, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "q": q,
        "active": active,
        "can_create": access.can(request.user, Module.FIELDSERVICE, Action.CREATE),
    }
    return render(request, "fieldservice/plan_list.html", context)


def _detail(request: HttpRequest, plan: MaintenancePlan, status: int = 200, **extra: Any) -> HttpResponse:
    context = {
        "plan": plan,
        "object": plan,
        "visits": plan_visits(plan),
        "assets": list(plan_assets(plan)[:100]),
        "work_orders": list(plan_work_orders(request.user, plan)[:50]),
        "can_edit": access.in_scope(request.user, Action.EDIT, plan) and plan.active,
        "planned": VisitStatus.PLANNED,
        **extra,
    }
    return render(request, "fieldservice/plan_detail.html", context, status=status)


@login_required
@require_GET
def plan_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, plan_get(request.user, pk))


@login_required
@require_http_methods(["GET", "POST"])
def plan_create(request: HttpRequest) -> HttpResponse:
    _require_module(request, Action.CREATE)
    prefill = contract_prefill(request.user, request.GET.get("contract", ""))
    form = PlanForm(request.POST or None, user=request.user, prefill=prefill)

    def save() -> MaintenancePlan:
        return plans.plan_create(actor=request.user, data=form.record_changes(), **form.service_kwargs())

    context = {"title": _("New maintenance plan"), "from_contract": prefill.get("contract")}
    return service_form_page(
        request,
        form,
        save,
        "fieldservice/plan_form.html",
        context,
        success=_("The plan %(name)s was created."),
    )


@login_required
@require_http_methods(["GET", "POST"])
def plan_edit(request: HttpRequest, pk: int) -> HttpResponse:
    plan = plan_get(request.user, pk)
    access.check(request.user, Action.EDIT, plan)
    return record_edit_page(
        request, plan, PlanForm, plans.plan_update, "fieldservice/plan_form.html", {"title": str(plan)}
    )


@login_required
@require_http_methods(["GET", "POST"])
def plan_end(request: HttpRequest, pk: int) -> HttpResponse:
    plan = plan_get(request.user, pk)
    access.check(request.user, Action.EDIT, plan)
    form = PlanEndForm(request.POST or None)

    def save() -> MaintenancePlan:
        return plans.plan_end(plan, actor=request.user, **form.cleaned_data)

    return service_form_page(
        request,
        form,
        save,
        "fieldservice/plan_end.html",
        {"plan": plan},
        success=_("The plan %(name)s ended."),
    )


def _visit(request: HttpRequest, plan_pk: int, pk: int) -> MaintenanceVisit:
    plan = plan_get(request.user, plan_pk)
    access.check(request.user, Action.EDIT, plan)
    visit: MaintenanceVisit = get_object_or_404(MaintenanceVisit, plan=plan, pk=pk)
    return visit


def _visit_post(
    request: HttpRequest, visit: MaintenanceVisit, form: Any, act: Any, done: str
) -> HttpResponse:
    """Skip or reschedule: back to the plan, or the plan's page again with the reason (400)."""
    if form.is_valid():
        try:
            act()
        except ValidationError as exc:
            add_validation_errors(form, exc)
        else:
            messages.success(request, done)
            return redirect(visit.plan)
    errors = [str(e) for errors in form.errors.values() for e in errors]
    return _detail(request, visit.plan, 400, visit_error=" ".join(errors), error_visit=visit.pk)


@login_required
@require_POST
def visit_skip(request: HttpRequest, plan_pk: int, pk: int) -> HttpResponse:
    visit = _visit(request, plan_pk, pk)
    form = VisitSkipForm(request.POST)
    return _visit_post(
        request,
        visit,
        form,
        lambda: plans.visit_skip(visit, actor=request.user, **form.cleaned_data),
        _("The visit was skipped; the next ones keep their dates."),
    )


@login_required
@require_POST
def visit_reschedule(request: HttpRequest, plan_pk: int, pk: int) -> HttpResponse:
    visit = _visit(request, plan_pk, pk)
    form = VisitRescheduleForm(request.POST)
    return _visit_post(
        request,
        visit,
        form,
        lambda: plans.visit_reschedule(visit, actor=request.user, **form.cleaned_data),
        _("The visit was moved; the next ones keep their dates."),
    )


urlpatterns = [
    path("field-service/plans/", plan_list, name="plan_list"),
    path("field-service/plans/new/", plan_create, name="plan_create"),
    path("field-service/plans/<int:pk>/", plan_detail, name="plan_detail"),
    path("field-service/plans/<int:pk>/edit/", plan_edit, name="plan_edit"),
    path("field-service/plans/<int:pk>/end/", plan_end, name="plan_end"),
    path("field-service/plans/<int:plan_pk>/visits/<int:pk>/skip/", visit_skip, name="visit_skip"),
    path(
        "field-service/plans/<int:plan_pk>/visits/<int:pk>/reschedule/",
        visit_reschedule,
        name="visit_reschedule",
    ),
]
