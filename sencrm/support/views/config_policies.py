"""Settings pages: SLA policies (targets in business hours) and the rules that fill care call lists."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from sencrm.support import config_services
from sencrm.support.config_forms import CareCallRuleForm, SlaPolicyForm
from sencrm.support.models import CareCallRule, SlaPolicy
from sencrm.support.views.config_base import config_edit, page_context, require_read


def duration(minutes: int) -> str:
    """Business minutes as hours and minutes ("4 h", "1 h 30 min", "45 min")."""
    hours, rest = divmod(minutes, 60)
    if hours and rest:
        return _("%(h)s h %(m)s min") % {"h": hours, "m": rest}
    if hours:
        return _("%(h)s h") % {"h": hours}
    return _("%(m)s min") % {"m": rest}


@login_required
@require_GET
def sla_list(request: HttpRequest) -> HttpResponse:
    require_read(request)
    rows = [
        {
            "policy": p,
            "first_response": duration(p.first_response_minutes),
            "resolution": duration(p.resolution_minutes),
            "warn": duration(p.warn_before_minutes),
        }
        for p in SlaPolicy.objects.select_related("customer_group")
    ]
    context = {**page_context(request, "sla"), "rows": rows}
    return render(request, "support/config_sla.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def sla_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    return config_edit(
        request,
        pk,
        model=SlaPolicy,
        form_class=SlaPolicyForm,
        save=lambda obj, data: config_services.sla_save(actor=request.user, policy=obj, **data),
        tab="sla",
        list_name="support:sla_list",
        new_title=_("New SLA policy"),
        template="support/config_sla_form.html",
    )


@login_required
@require_GET
def carerule_list(request: HttpRequest) -> HttpResponse:
    require_read(request)
    rules = CareCallRule.objects.select_related("agent", "queue")
    context = {**page_context(request, "carerules"), "rules": rules}
    return render(request, "support/config_carerules.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def carerule_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    return config_edit(
        request,
        pk,
        model=CareCallRule,
        form_class=CareCallRuleForm,
        save=lambda obj, data: config_services.carerule_save(actor=request.user, rule=obj, **data),
        tab="carerules",
        list_name="support:carerule_list",
        new_title=_("New care call rule"),
    )


urlpatterns = [
    path("support/settings/sla/", sla_list, name="sla_list"),
    path("support/settings/sla/new/", sla_edit, name="sla_create"),
    path("support/settings/sla/<int:pk>/edit/", sla_edit, name="sla_edit"),
    path("support/settings/care-calls/", carerule_list, name="carerule_list"),
    path("support/settings/care-calls/new/", carerule_edit, name="carerule_create"),
    path("support/settings/care-calls/<int:pk>/edit/", carerule_edit, name="carerule_edit"),
]
