"""Sales settings for administrators: pipelines with their stages, and the lead scoring rules."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from sencrm.core import access
from sencrm.core.modules import Action, Module
from sencrm.core.record_views import call_service
from sencrm.customers.models import Province, SourceChannel
from sencrm.sales.choices import SCORABLE_FIELDS, RuleKind
from sencrm.sales.models import Opportunity, Pipeline, ScoringRule, Stage
from sencrm.sales.services import settings as services
from sencrm.sales.settings_forms import PipelineForm, ScoringRuleForm, stage_formset


def _admin(request: HttpRequest, action: str = Action.VIEW) -> None:
    access.check_module(request.user, Module.ADMIN, action)


# ---------------------------------------------------------------------------------------------
# Pipelines


@login_required
@require_GET
def pipeline_list(request: HttpRequest) -> HttpResponse:
    _admin(request)
    pipelines = (
        Pipeline.objects.order_by("position", "id")
        .annotate(stage_count=Count("stages"))
        .prefetch_related(Prefetch("stages", queryset=Stage.objects.order_by("position", "id")))
    )
    return render(request, "sales/settings_pipelines.html", {"pipelines": pipelines, "section": "pipelines"})


@login_required
@require_http_methods(["GET", "POST"])
def pipeline_create(request: HttpRequest) -> HttpResponse:
    _admin(request, Action.CREATE)
    form = PipelineForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            pipeline, status = call_service(
                form, lambda: services.pipeline_create(actor=request.user, **form.cleaned_data)
            )
            if pipeline is not None:
                messages.success(
                    request,
                    _("Pipeline %(name)s was created with three starting stages: now name its stages.")
                    % {"name": pipeline.name},
                )
                return redirect("sales:settings_pipeline_edit", pk=pipeline.pk)
    return render(
        request, "sales/settings_pipeline_form.html", {"form": form, "section": "pipelines"}, status=status
    )


@login_required
@require_http_methods(["GET", "POST"])
def pipeline_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _admin(request, Action.EDIT if request.method == "POST" else Action.VIEW)
    pipeline = get_object_or_404(Pipeline, pk=pk)
    pipeline_initial = {
        "name": pipeline.name,
        "is_active": pipeline.is_active,
        "is_default": pipeline.is_default,
    }
    form = PipelineForm(request.POST or None, initial=pipeline_initial)
    stages = stage_formset(pipeline, request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid() and stages.is_valid():
            saved, status = call_service(
                form,
                lambda: services.pipeline_update(
                    pipeline, actor=request.user, changes=form.cleaned_data, stages=stages.stage_inputs()
                ),
            )
            if saved is not None:
                messages.success(request, _("Pipeline %(name)s was saved.") % {"name": saved.name})
                return redirect("sales:settings_pipeline_edit", pk=saved.pk)
    deals = pipeline_deals(pipeline)
    for row in stages.forms:
        row.deal_count = deals.get(row.initial.get("id"), 0)
    context = {"form": form, "stages": stages, "object": pipeline, "section": "pipelines"}
    return render(request, "sales/settings_pipeline_form.html", context, status=status)


def pipeline_deals(pipeline: Pipeline) -> dict[int, int]:
    """Opportunities (also those in the trash) per stage: a stage with some cannot be deleted."""
    rows = Opportunity.all_objects.filter(pipeline=pipeline).values("stage_id").annotate(n=Count("id"))
    return {row["stage_id"]: row["n"] for row in rows}


# ---------------------------------------------------------------------------------------------
# Scoring rules


def rule_value_label(rule: ScoringRule, sources: dict[str, str], provinces: dict[str, str]) -> str:
    """The rule's value as people read it (the channel's or province's name, the field's label)."""
    if rule.kind == RuleKind.SOURCE:
        return sources.get(rule.value, rule.value)
    if rule.kind == RuleKind.PROVINCE:
        return provinces.get(rule.value, rule.value)
    if rule.kind == RuleKind.FIELD_PRESENT:
        return str(SCORABLE_FIELDS.get(rule.value, rule.value))
    if rule.kind == RuleKind.RECENCY:
        return _("%(days)s days") % {"days": rule.value}
    return rule.value


@login_required
@require_GET
def scoring_list(request: HttpRequest) -> HttpResponse:
    _admin(request)
    rules = list(ScoringRule.objects.order_by("position", "id"))
    sources = dict(SourceChannel.objects.values_list("code", "name"))
    provinces = dict(Province.objects.values_list("code", "name"))
    rows = [{"rule": r, "value_label": rule_value_label(r, sources, provinces)} for r in rules]
    return render(request, "sales/settings_scoring.html", {"rows": rows, "section": "scoring"})


@login_required
@require_http_methods(["GET", "POST"])
def scoring_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    if request.method == "POST":
        _admin(request, Action.EDIT if pk else Action.CREATE)
    else:
        _admin(request)
    rule = get_object_or_404(ScoringRule, pk=pk) if pk else None
    initial: dict[str, Any] = {"is_active": True}
    if rule is not None:
        initial = {
            "name": rule.name,
            "kind": rule.kind,
            "value": rule.value,
            "points": rule.points,
            "is_active": rule.is_active,
        }
    elif request.GET.get("kind") in RuleKind.values:
        initial["kind"] = request.GET["kind"]
    form = ScoringRuleForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            saved, status = call_service(
                form, lambda: services.scoring_rule_save(actor=request.user, rule=rule, **form.cleaned_data)
            )
            if saved is not None:
                messages.success(
                    request,
                    _("Rule %(name)s was saved. Scores are being recomputed in the background.")
                    % {"name": saved.name},
                )
                return redirect("sales:settings_scoring")
    return render(
        request,
        "sales/settings_rule_form.html",
        {"form": form, "object": rule, "section": "scoring"},
        status=status,
    )


@login_required
@require_GET
def scoring_value_field(request: HttpRequest) -> HttpResponse:
    """The value input for the chosen kind of rule (htmx swaps it in when the kind changes)."""
    _admin(request)
    kind = request.GET.get("kind", "")
    form = ScoringRuleForm(initial={"kind": kind if kind in RuleKind.values else ""})
    return render(request, "sales/partials/settings_rule_value.html", {"form": form})


@login_required
@require_POST
def scoring_delete(request: HttpRequest, pk: int) -> HttpResponse:
    _admin(request, Action.DELETE)
    rule = get_object_or_404(ScoringRule, pk=pk)
    services.scoring_rule_delete(actor=request.user, rule=rule)
    messages.success(
        request,
        _("Rule %(name)s was removed. Scores are being recomputed in the background.") % {"name": rule.name},
    )
    return redirect("sales:settings_scoring")
