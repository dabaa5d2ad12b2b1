"""Capturing a lead by hand (with the duplicate check before saving), editing it, deleting it."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from sencrm.activities import services as activity_services
from sencrm.core import access
from sencrm.core.exceptions import StaleRecord
from sencrm.core.modules import Action, Module
from sencrm.core.record_views import call_service, form_post, record_edit_page
from sencrm.customers.models import Contact
from sencrm.sales import selectors, services
from sencrm.sales.lead_forms import LeadForm
from sencrm.sales.models import Lead
from sencrm.sales.views.leads import get_lead

FORM = "sales/lead_form.html"


def _duplicate_context(request: HttpRequest, found: selectors.Duplicates) -> dict[str, Any]:
    user = request.user
    return {
        "contacts": found.contacts,
        "leads": [
            {"lead": lead, "can_add": access.in_scope(user, Action.EDIT, lead)} for lead in found.leads
        ],
        "hidden": found.hidden,
        "can_log": access.can(user, Module.ACTIVITIES, Action.CREATE),
    }


def _enquiry_text(form: LeadForm, *, with_contact_details: bool) -> str:
    """What the new enquiry said, for a lead or contact that already exists (nothing typed is lost)."""
    data = form.cleaned_data
    lines = [data.get("interest", "").strip()]
    if with_contact_details:
        lines.append(_("Name: %(value)s") % {"value": data["full_name"]})
        if form.phone_list():
            lines.append(_("Phones: %(value)s") % {"value": ", ".join(form.phone_list())})
        if form.email_list():
            lines.append(_("Emails: %(value)s") % {"value": ", ".join(form.email_list())})
    for label, value in (
        (_("Company"), data.get("company")),
        (_("Job title"), data.get("title")),
        (_("Source channel"), data.get("source")),
        (_("Campaign"), data.get("campaign")),
    ):
        if value:
            lines.append(f"{label}: {value}")
    if data.get("first_touch_at"):
        first = timezone.localtime(data["first_touch_at"]).strftime("%d/%m/%Y %H:%M")
        lines.append(_("First touch: %(value)s") % {"value": first})
    return "\n".join(line for line in lines if line)


def _link_to_existing(request: HttpRequest, form: LeadForm, link: str) -> HttpResponse | None:
    """ "Add to this lead" or "Log on this contact" instead of creating a duplicate lead.

    None (with the reason on the form) when the target is unknown, out of reach, or refused.
    """
    kind, _sep, raw = link.partition(":")
    target: Any = None
    if raw.isdigit() and kind == "lead":
        target = access.scope(request.user, Lead, Action.EDIT).filter(pk=int(raw)).first()
    elif raw.isdigit() and kind == "contact":
        target = access.scope(request.user, Contact, Action.VIEW).filter(pk=int(raw)).first()
    if target is None:
        form.add_error(None, _("You cannot add this enquiry to that record. Choose another one."))
        return None
    if kind == "lead":
        saved, _status = call_service(
            form,
            lambda: services.lead_add_details(
                target,
                actor=request.user,
                phones=form.phone_list(),
                emails=form.email_list(),
                interest=_enquiry_text(form, with_contact_details=False),
            ),
        )
        if saved is None:
            return None
        messages.success(request, _("The new details were added to the lead %(name)s.") % {"name": saved})
        return redirect(saved)
    subject = _("Enquiry from %(name)s") % {"name": form.cleaned_data["full_name"]}
    saved, _status = call_service(
        form,
        lambda: activity_services.activity_create(
            actor=request.user,
            data={
                "kind": "note",
                "subject": subject[:200],
                "description": _enquiry_text(form, with_contact_details=True),
                "contact": target,
            },
        ),
    )
    if saved is None:
        return None
    messages.success(request, _("The enquiry was logged as a note on %(name)s.") % {"name": target})
    return redirect(target)


@login_required
@require_http_methods(["GET", "POST"])
def lead_create(request: HttpRequest) -> HttpResponse:
    access.check_module(request.user, Module.LEADS, Action.CREATE)
    initial = {"first_touch_at": timezone.localtime().replace(second=0, microsecond=0)}
    form = LeadForm(request.POST or None, user=request.user, initial=initial)

    def page(status: int) -> HttpResponse:
        return render(request, FORM, {"form": form}, status=status)

    if request.method != "POST":
        return page(200)
    if form.is_valid():
        link = request.POST.get("link", "")[:40]
        if link:
            response = _link_to_existing(request, form, link)
            return response if response is not None else page(400)
        found = selectors.lead_duplicates(
            user=request.user,
            phones_e164=form.phones_e164(),
            emails=form.email_list(),
            full_name=form.cleaned_data["full_name"],
        )
        if found and not form.cleaned_data.get("create_anyway"):
            # The second submit of the same form (the "create anyway" button) carries the flag.
            data = request.POST.copy()
            data["create_anyway"] = "on"
            form.data = data
            context = {"form": form, "duplicates": _duplicate_context(request, found)}
            return render(request, FORM, context, status=409)

    def create() -> Lead:
        changes = form.record_changes()
        changes.pop("owner", None)  # given to the service as the owner (or the round robin's pick)
        return services.lead_create(
            actor=request.user,
            data=changes,
            owner=form.cleaned_data.get("owner"),
            round_robin_team=form.cleaned_data.get("round_robin_team"),
            **form.service_kwargs(),
        )

    return form_post(request, form, create, failed=page, success=_("Lead %(name)s was created."))


@login_required
@require_http_methods(["GET", "POST"])
def lead_edit(request: HttpRequest, pk: int) -> HttpResponse:
    lead = get_lead(request, pk, Action.EDIT)
    if lead.is_converted:
        return render(
            request,
            "sales/lead_message.html",
            {"object": lead, "message": _("This lead has been converted; change the contact instead.")},
            status=400 if request.method == "POST" else 200,
        )
    return record_edit_page(request, lead, LeadForm, services.lead_update, FORM)


@login_required
@require_POST
def lead_delete(request: HttpRequest, pk: int) -> HttpResponse:
    lead = get_lead(request, pk, Action.DELETE)
    version = request.POST.get("version", "")
    if version and (not version.isdigit() or int(version) != lead.version):
        message = _("Someone changed this lead after you opened it. Look at it again before deleting it.")
        return render(request, "sales/lead_message.html", {"object": lead, "message": message}, status=409)
    try:
        services.lead_delete(lead, actor=request.user, version=int(version) if version else None)
    except StaleRecord:
        message = _("Someone changed this lead after you opened it. Look at it again before deleting it.")
        return render(request, "sales/lead_message.html", {"object": lead, "message": message}, status=409)
    messages.success(request, _("Moved to the trash. You can restore it from the trash."))
    return HttpResponseRedirect(reverse("sales:lead_list"))
