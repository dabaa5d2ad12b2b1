"""Each user's saved list views."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from sencrm.savedviews import services

# Lists that can have saved views: list name → URL name.
SAVABLE_LISTS = {
    "contacts": "customers:contact_list",
    "accounts": "customers:account_list",
    "leads": "sales:lead_list",
    "products": "catalog:product_list",
    "quotes": "commerce:quote_list",
    "orders": "commerce:order_list",
    "contracts": "commerce:contract_list",
    "invoices": "billing:invoice_list",
    "payments": "billing:payment_list",
}


@login_required
@require_POST
def saved_view_save(request: HttpRequest, list_name: str) -> HttpResponse:
    if list_name not in SAVABLE_LISTS:
        return HttpResponse(_("Unknown list."), status=404)
    url = reverse(SAVABLE_LISTS[list_name])
    name = request.POST.get("name", "").strip()
    querystring = request.POST.get("querystring", "")
    if not name:
        messages.error(request, _("Give the view a name."))
    else:
        services.saved_view_save(user=request.user, list_name=list_name, name=name, querystring=querystring)
        messages.success(request, _("View %(name)s was saved.") % {"name": name[:80]})
    return HttpResponseRedirect(f"{url}?{querystring}" if querystring else url)


@login_required
@require_POST
def saved_view_delete(request: HttpRequest, list_name: str, pk: int) -> HttpResponse:
    try:
        url = reverse(SAVABLE_LISTS[list_name])
    except (KeyError, NoReverseMatch):
        return HttpResponse(_("Unknown list."), status=404)
    if not services.saved_view_delete(user=request.user, pk=pk):
        return HttpResponse(_("Unknown view."), status=404)
    return HttpResponseRedirect(url)
