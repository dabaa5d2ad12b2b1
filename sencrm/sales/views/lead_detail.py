"""A lead's page: its details, score and why, duplicates, follow-up, assignment, status, journey."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.contrib.contenttypes.models import ContentType
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from sencrm.core import access
from sencrm.core.modules import Action, Module
from sencrm.core.panels import panels as record_panels
from sencrm.core.record_views import form_post
from sencrm.customers.choices import ConsentChannel
from sencrm.customfields import custom_fields
from sencrm.events import selectors as event_selectors
from sencrm.sales import selectors, services
from sencrm.sales.lead_forms import AssignForm, FollowUpForm, StatusForm
from sencrm.sales.models import Lead
from sencrm.sales.views.leads import get_lead

PAGE = "sales/lead_detail.html"


def _visible(user: Any, obj: Any) -> Any:
    """A record the lead became, if the viewer may see it (else only its existence is shown)."""
    if obj is None or obj.is_deleted or not access.in_scope(user, Action.VIEW, obj):
        return None
    return obj


def _timeline_types() -> list[tuple[str, str]]:
    return [
        ("lead.created,lead.updated,lead.deleted,lead.restored", _("Changes")),
        ("activity.created,activity.updated", _("Activities")),
    ]


def _journey(request: HttpRequest, lead: Lead) -> dict[str, Any]:
    user = request.user
    if not lead.is_converted:
        events, next_before = event_selectors.customer_timeline(user=user, customer=lead)
        return {
            "events": events,
            "next_before": next_before,
            "timeline_url": reverse("sales:lead_timeline", args=[lead.pk]),
            "timeline_types": _timeline_types(),
        }
    # After conversion the journey belongs to the contact; the lead keeps its own audit trail.
    audit, audit_before = event_selectors.audit_trail(user=user, obj=lead)
    converted = {
        "contact": _visible(user, lead.converted_contact),
        "account": _visible(user, lead.converted_account),
        "opportunity": _visible(user, lead.converted_opportunity),
    }
    return {
        "converted": converted,
        "rows": [{"event": e, "changes": event_selectors.describe_changes(e, Lead)} for e in audit],
        "next_before": audit_before,
    }


def _detail(request: HttpRequest, lead: Lead, *, status: int = 200, **forms_: Any) -> HttpResponse:
    user = request.user
    phones = list(lead.phones.all())
    emails = list(lead.emails.all())
    can_edit = access.in_scope(user, Action.EDIT, lead)
    open_lead = not lead.is_converted
    duplicates = None
    if open_lead:
        duplicates = selectors.lead_duplicates(
            user=user,
            phones_e164=[p.e164 for p in phones],
            emails=[e.address for e in emails],
            full_name=lead.full_name,
            exclude_lead=lead.pk,
        )
    extra = [
        (f.label, custom_fields.display(f, lead.custom_field_data.get(f.key)))
        for f in custom_fields.definitions(Lead)
    ]
    channels = dict(ConsentChannel.choices)
    context: dict[str, Any] = {
        "object": lead,
        "phones": phones,
        "emails": emails,
        "now": timezone.now(),
        "score_total": sum(points for _id, _name, points in lead.score_details),
        "duplicates": duplicates,
        "custom_values": [(label, value) for label, value in extra if value],
        "consents": [
            {"label": channels.get(c.channel, c.channel), "consent": c}
            for c in sorted(lead.consents.all(), key=lambda c: list(channels).index(c.channel))
        ],
        "utm": sorted((str(k), str(v)) for k, v in (lead.utm or {}).items()),
        "ct_id": ContentType.objects.get_for_model(Lead).pk,
        "panels": record_panels(lead, user),  # other modules' parts of the page (data requests)
        "can_edit": can_edit,
        "can_delete": access.in_scope(user, Action.DELETE, lead),
        "can_convert": can_edit and open_lead and access.can(user, Module.CUSTOMERS, Action.CREATE),
        "log_field": "lead",
        "follow_up_form": forms_.get("follow_up_form") or FollowUpForm(initial=_follow_up_initial(lead)),
        "follow_up_open": "follow_up_form" in forms_,
        "assign_form": forms_.get("assign_form")
        or AssignForm(user=user, initial={"owner": lead.owner_id, "version": lead.version}),
        "status_form": forms_.get("status_form")
        or StatusForm(
            initial={
                "status": lead.status,
                "unqualified_reason": lead.unqualified_reason,
                "version": lead.version,
            }
        ),
        **_journey(request, lead),
    }
    return render(request, PAGE, context, status=status)


def _follow_up_initial(lead: Lead) -> dict[str, Any]:
    return {"next_action": lead.next_action, "next_action_at": lead.next_action_at, "version": lead.version}


@login_required
@require_GET
def lead_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, get_lead(request, pk))


@login_required
@require_GET
def lead_timeline(request: HttpRequest, pk: int) -> HttpResponse:
    """More of the lead's journey (htmx: the "Older" button and the type filter)."""
    lead = get_lead(request, pk)
    before_raw = request.GET.get("before", "")[:60]
    if before_raw:
        try:
            event_selectors.parse_timeline_cursor(before_raw)
        except (ValueError, OverflowError):
            return HttpResponse(_("Invalid page."), status=400, content_type="text/plain; charset=utf-8")
    types = [t for raw in request.GET.getlist("type") for t in raw.split(",") if t and len(t) <= 64][:20]
    events, next_before = event_selectors.customer_timeline(
        user=request.user, customer=lead, types=types or None, before=before_raw or None
    )
    context = {
        "object": lead,
        "events": events,
        "next_before": next_before,
        "types": types,
        "ct_id": ContentType.objects.get_for_model(Lead).pk,
        "timeline_url": reverse("sales:lead_timeline", args=[lead.pk]),
    }
    return render(request, "customers/partials/timeline.html", context)


def _open_lead_or_400(request: HttpRequest, lead: Lead) -> HttpResponse | None:
    if lead.is_converted:
        message = _("This lead has been converted; change the contact instead.")
        return render(request, "sales/lead_message.html", {"object": lead, "message": message}, status=400)
    return None


@login_required
@require_http_methods(["GET", "POST"])
def lead_follow_up(request: HttpRequest, pk: int) -> HttpResponse:
    """Set or clear the next action and its time (the inline form on the lead's page)."""
    if request.method == "POST":
        return _inline_post(
            request,
            pk,
            "follow_up_form",
            FollowUpForm(request.POST),
            lambda lead, data: services.lead_update(
                lead,
                actor=request.user,
                changes={"next_action": data["next_action"], "next_action_at": data["next_action_at"]},
                version=data["version"],
            ),
            lambda saved: _("Next action saved."),
        )
    lead = get_lead(request, pk, Action.EDIT)
    refused = _open_lead_or_400(request, lead)
    if refused is not None:
        return refused
    form = FollowUpForm(initial=_follow_up_initial(lead))
    if getattr(request, "htmx", False):
        return render(request, "sales/partials/lead_follow_up_form.html", {"object": lead, "form": form})
    return _detail(request, lead, follow_up_form=form)


def _inline_post(
    request: HttpRequest,
    pk: int,
    name: str,
    form: forms.Form,
    save: Callable[[Lead, dict[str, Any]], Lead],
    success: Callable[[Lead], str],
) -> HttpResponse:
    """One of the lead page's own forms (follow-up, assignment, status) posted: `save` runs on the
    stored lead, then back to the page; the page again with the form's reasons otherwise."""
    lead = get_lead(request, pk, Action.EDIT)
    refused = _open_lead_or_400(request, lead)
    if refused is not None:
        return refused
    return form_post(
        request,
        form,
        lambda: save(Lead.objects.get(pk=lead.pk), form.cleaned_data),
        failed=lambda status: _detail(request, lead, status=status, **{name: form}),
        success=success,
    )


@login_required
@require_POST
def lead_assign(request: HttpRequest, pk: int) -> HttpResponse:
    """Give the lead to an owner, or to the next member of a team in turn (round robin)."""
    return _inline_post(
        request,
        pk,
        "assign_form",
        AssignForm(request.POST, user=request.user),
        lambda lead, data: services.lead_assign(
            lead, actor=request.user, owner=data.get("owner"), team=data.get("team"), version=data["version"]
        ),
        lambda saved: _("%(name)s is now assigned to %(owner)s.") % {"name": saved, "owner": saved.owner},
    )


@login_required
@require_POST
def lead_status(request: HttpRequest, pk: int) -> HttpResponse:
    """Qualify the lead: contacted, qualified, or unqualified with a reason."""
    return _inline_post(
        request,
        pk,
        "status_form",
        StatusForm(request.POST),
        lambda lead, data: services.lead_update(
            lead,
            actor=request.user,
            changes={"status": data["status"], "unqualified_reason": data["unqualified_reason"]},
            version=data["version"],
        ),
        lambda saved: _("Status of %(name)s saved.") % {"name": saved},
    )
