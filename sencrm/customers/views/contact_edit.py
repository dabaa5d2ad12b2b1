"""Creating a contact (with the duplicate warning before saving), editing it, deleting it."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from sencrm.core import access
from sencrm.core.modules import Action, Module
from sencrm.core.phones import to_e164
from sencrm.core.record_views import form_post, get_record, record_edit_page, trash_and_redirect
from sencrm.customers import selectors, services
from sencrm.customers.forms import ContactForm
from sencrm.customers.models import Contact

FORM = "customers/contact_form.html"


def _duplicates_for(request: HttpRequest, form: ContactForm) -> dict[str, Any]:
    """Contacts that may be this one (phone, email, or name in the same province); only a count of
    those outside the user's scope."""
    province = form.cleaned_data.get("province")
    found = selectors.contact_duplicates(
        phones_e164=[e for e in (to_e164(p) for p in form.phone_list()) if e],
        emails=form.email_list(),
        full_name=form.cleaned_data.get("full_name", ""),
        province_id=province.pk if province else None,
        exclude_pk=None,
    )
    visible = [c for c in found if access.in_scope(request.user, Action.VIEW, c)]
    return {"visible": visible, "hidden": len(found) - len(visible)}


@login_required
@require_http_methods(["GET", "POST"])
def contact_create(request: HttpRequest) -> HttpResponse:
    access.check_module(request.user, Module.CUSTOMERS, Action.CREATE)
    form = ContactForm(request.POST or None, user=request.user)
    duplicates: dict[str, Any] = {}

    def page(status: int) -> HttpResponse:
        return render(request, FORM, {"form": form, "duplicates": duplicates}, status=status)

    if request.method != "POST":
        return page(200)
    if form.is_valid():
        duplicates = _duplicates_for(request, form)
        if (duplicates["visible"] or duplicates["hidden"]) and not form.cleaned_data.get("create_anyway"):
            # The second submit of the same form (the "create anyway" button) carries the flag.
            data = request.POST.copy()
            data["create_anyway"] = "on"
            form.data = data
            return page(409)
    return form_post(
        request,
        form,
        lambda: services.contact_create(
            actor=request.user,
            data=form.record_changes(),
            owner=form.cleaned_data.get("owner"),
            **form.service_kwargs(),
        ),
        failed=page,
        success=_("Contact %(name)s was created."),
    )


@login_required
@require_http_methods(["GET", "POST"])
def contact_edit(request: HttpRequest, pk: int) -> HttpResponse:
    contact = get_record(request, Contact, pk, Action.EDIT)
    return record_edit_page(request, contact, ContactForm, services.contact_update, FORM)


@login_required
@require_POST
def contact_delete(request: HttpRequest, pk: int) -> HttpResponse:
    contact = get_record(request, Contact, pk, Action.DELETE)
    return trash_and_redirect(request, contact, services.contact_delete, reverse("customers:contact_list"))
