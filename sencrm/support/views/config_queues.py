"""Settings pages: queues (first and second line, members, lead, assignment, escalation) and the
routing rules that send new tickets to them, in order."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from sencrm.support import config_services
from sencrm.support.config_forms import QueueForm, RoutingRuleForm
from sencrm.support.models import Queue, RoutingRule
from sencrm.support.views.config_base import config_edit, page_context, require_read, require_write
from sencrm.users.models import User


@login_required
@require_GET
def queue_list(request: HttpRequest) -> HttpResponse:
    require_read(request)
    queues = Queue.objects.select_related("calendar", "lead", "escalation_queue").prefetch_related(
        Prefetch("members", queryset=User.objects.order_by("full_name", "username"))
    )
    context = {**page_context(request, "queues"), "queues": queues}
    return render(request, "support/config_queues.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def queue_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    return config_edit(
        request,
        pk,
        model=Queue,
        form_class=QueueForm,
        save=lambda obj, data: config_services.queue_save(actor=request.user, queue=obj, **data),
        tab="queues",
        list_name="support:queue_list",
        new_title=_("New queue"),
    )


@login_required
@require_GET
def rule_list(request: HttpRequest) -> HttpResponse:
    require_read(request)
    rules = RoutingRule.objects.select_related("queue", "category__parent", "product", "customer_group")
    context = {**page_context(request, "rules"), "rules": list(rules)}
    return render(request, "support/config_rules.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def rule_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    return config_edit(
        request,
        pk,
        model=RoutingRule,
        form_class=RoutingRuleForm,
        save=lambda obj, data: config_services.rule_save(actor=request.user, rule=obj, **data),
        tab="rules",
        list_name="support:rule_list",
        new_title=_("New routing rule"),
        form_kwargs={"user": request.user},
    )


@login_required
@require_POST
def rule_move(request: HttpRequest, pk: int) -> HttpResponse:
    """Move a rule one place up or down (`direction`)."""
    require_write(request)
    rule = get_object_or_404(RoutingRule, pk=pk)
    try:
        config_services.rule_move(actor=request.user, rule=rule, direction=request.POST.get("direction", ""))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        context = {
            **page_context(request, "rules"),
            "rules": list(RoutingRule.objects.select_related("queue")),
        }
        return render(request, "support/config_rules.html", context, status=400)
    return redirect("support:rule_list")


urlpatterns = [
    path("support/settings/queues/", queue_list, name="queue_list"),
    path("support/settings/queues/new/", queue_edit, name="queue_create"),
    path("support/settings/queues/<int:pk>/edit/", queue_edit, name="queue_edit"),
    path("support/settings/routing/", rule_list, name="rule_list"),
    path("support/settings/routing/new/", rule_edit, name="rule_create"),
    path("support/settings/routing/<int:pk>/edit/", rule_edit, name="rule_edit"),
    path("support/settings/routing/<int:pk>/move/", rule_move, name="rule_move"),
]
