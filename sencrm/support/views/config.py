"""Customer care's settings (/support/settings/): ticket categories, business calendars, queues,
routing rules, SLA policies, care call rules, absences and phone extensions.

Who may (one rule, in `config_services.can_configure` / `can_read`, checked by the pages and again by
the services):
- **change** the settings: a role with `support` edit at the scope *all* (the care desk's lead; the
  built-in "Customer care" role has it), or `admin` edit (administrators);
- **read** them: any role with `support` view (an agent sees the queues and targets they work to) or
  `admin` view; their edit pages show the form read-only, and every write answers 403;
- **absences**, besides: a queue's lead records them for the queue's members, any care agent their own.
Everyone else (sales, accounting…) gets 403 on every page.

The pages live in config_tree.py (categories, calendars), config_queues.py (queues, routing rules),
config_policies.py (SLA, care call rules) and config_people.py (absences, extensions); their URL
patterns are gathered here with the index page.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from sencrm.support.models import (
    Absence,
    AgentExtension,
    BusinessCalendar,
    CareCallRule,
    Queue,
    RoutingRule,
    SlaPolicy,
    TicketCategory,
)
from sencrm.support.views import config_people, config_policies, config_queues, config_tree
from sencrm.support.views.config_base import page_context, require_read

SECTIONS: list[tuple[str, Any, Any, Any]] = [
    (
        "support:category_list",
        _("Ticket categories"),
        _("The tree agents file tickets under."),
        TicketCategory,
    ),
    (
        "support:calendar_list",
        _("Business calendars"),
        _("Working hours and days off for SLA clocks."),
        BusinessCalendar,
    ),
    ("support:queue_list", _("Queues"), _("First and second line, their members and escalation."), Queue),
    ("support:rule_list", _("Routing rules"), _("Which queue a new ticket goes to."), RoutingRule),
    ("support:sla_list", _("SLA policies"), _("First response and resolution targets."), SlaPolicy),
    (
        "support:carerule_list",
        _("Care call rules"),
        _("Calls added to care lists by themselves."),
        CareCallRule,
    ),
    ("support:absence_list", _("Absences"), _("Agents away: routing skips them."), Absence),
    (
        "support:extension_list",
        _("Phone extensions"),
        _("Whose screen pops up when an extension rings."),
        AgentExtension,
    ),
]


@login_required
@require_GET
def config_index(request: HttpRequest) -> HttpResponse:
    require_read(request)
    counts: dict[Any, int] = {model: model.objects.count() for *_rest, model in SECTIONS}
    counts[Absence] = Absence.objects.filter(ends_at__gt=timezone.now()).count()
    sections = [
        {"url_name": url_name, "title": title, "text": text, "count": counts[model]}
        for url_name, title, text, model in SECTIONS
    ]
    context = {**page_context(request, "index"), "sections": sections}
    return render(request, "support/config_index.html", context)


urlpatterns = [
    path("support/settings/", config_index, name="config_index"),
    *config_tree.urlpatterns,
    *config_queues.urlpatterns,
    *config_policies.urlpatterns,
    *config_people.urlpatterns,
]
