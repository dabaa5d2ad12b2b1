"""Converting a lead in one step: a contact (new or existing), an account, maybe an opportunity."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from sencrm.core import access
from sencrm.core.modules import Action, Module
from sencrm.core.record_views import call_service
from sencrm.customers import selectors as customer_selectors
from sencrm.customers.models import Account, Contact
from sencrm.sales import selectors, services
from sencrm.sales.lead_forms import ConvertForm
from sencrm.sales.models import Lead
from sencrm.sales.views.leads import get_lead

SEARCH_LIMIT = 10


def _get_convertible(request: HttpRequest, pk: int) -> Lead:
    lead = get_lead(request, pk, Action.EDIT)
    access.check_module(request.user, Module.CUSTOMERS, Action.CREATE)
    return lead


def _suggestions(request: HttpRequest, lead: Lead) -> dict[str, list[Any]]:
    """Contacts the lead probably is (its duplicates) and accounts named like its company."""
    found = selectors.lead_duplicates(
        user=request.user,
        phones_e164=list(lead.phones.values_list("e164", flat=True)),
        emails=list(lead.emails.values_list("address", flat=True)),
        full_name=lead.full_name,
        exclude_lead=lead.pk,
    )
    accounts = (
        customer_selectors.account_search(user=request.user, query=lead.company, limit=5)
        if lead.company
        else []
    )
    return {"suggested_contacts": found.contacts, "suggested_accounts": accounts}


def _pick(request: HttpRequest, model: type[Any], value: str) -> Any:
    """The chosen existing record if the user may see it; None for "new"/"none" or out of reach."""
    if not value.isdigit():
        return None
    return access.scope(request.user, model, Action.VIEW).filter(pk=int(value)).first()


@login_required
@require_http_methods(["GET", "POST"])
def lead_convert(request: HttpRequest, pk: int) -> HttpResponse:
    lead = _get_convertible(request, pk)
    if lead.is_converted:
        return render(
            request,
            "sales/lead_message.html",
            {
                "object": lead,
                "message": _("This lead has already been converted; it cannot be converted again."),
            },
            status=400 if request.method == "POST" else 200,
        )
    chosen: dict[str, Any] = {"contact": None, "account": None}
    initial = {}
    if request.method == "GET":
        # "Convert into this contact" from the possible duplicates on the lead's page.
        chosen["contact"] = _pick(request, Contact, request.GET.get("contact", "")[:20])
        if chosen["contact"] is not None:
            initial["contact"] = str(chosen["contact"].pk)
    form = ConvertForm(request.POST or None, lead=lead, initial=initial)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            chosen["contact"] = _pick(request, Contact, data["contact"])
            chosen["account"] = _pick(request, Account, data["account"])
            if data["contact"].isdigit() and chosen["contact"] is None:
                form.add_error("contact", _("Choose a contact you have access to."))
            if data["account"].isdigit() and chosen["account"] is None:
                form.add_error("account", _("Choose an account you have access to."))
            if not form.errors:
                result, status = call_service(
                    form,
                    lambda: services.lead_convert(
                        lead,
                        actor=request.user,
                        contact=chosen["contact"],
                        account=chosen["account"],
                        create_account=data["account"] == "new",
                        create_opportunity=data["create_opportunity"],
                        opportunity_name=data["opportunity_name"],
                        opportunity_amount=data["amount"],
                        expected_close_date=data["expected_close_date"],
                        pipeline=data["pipeline"],
                    ),
                )
                if result is not None:
                    messages.success(
                        request,
                        _("%(lead)s was converted: its history is now on the contact's page.")
                        % {"lead": lead},
                    )
                    return redirect(result.contact)
    context = {
        "object": lead,
        "form": form,
        "chosen": chosen,
        "can_create_opportunity": access.can(request.user, Module.SALES, Action.CREATE),
        **_suggestions(request, lead),
    }
    return render(request, "sales/lead_convert.html", context, status=status)


@login_required
@require_GET
def lead_convert_search(request: HttpRequest, pk: int) -> HttpResponse:
    """Contacts or accounts to link, found as the user types (only what the user may see)."""
    lead = _get_convertible(request, pk)
    kind = request.GET.get("kind", "contact")
    if kind not in ("contact", "account"):
        return HttpResponse(_("Unknown kind."), status=400, content_type="text/plain; charset=utf-8")
    query = request.GET.get("q", "")[:100].strip()
    results: list[Any] = []
    if query:
        search = customer_selectors.contact_search if kind == "contact" else customer_selectors.account_search
        results = search(user=request.user, query=query, limit=SEARCH_LIMIT)
    return render(
        request,
        "sales/partials/lead_convert_choices.html",
        {"object": lead, "kind": kind, "results": results, "query": query},
    )
