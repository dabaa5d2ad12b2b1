"""Merging another contact into this one: choose it (suggested duplicates or a search), see what this
contact gains, confirm. The merge itself is `customers.merge.contact_merge`."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from sencrm.core import access
from sencrm.core.modules import Action
from sencrm.core.record_views import get_record
from sencrm.customers import merge, selectors
from sencrm.customers.models import Contact


@login_required
@require_http_methods(["GET", "POST"])
def contact_merge(request: HttpRequest, pk: int) -> HttpResponse:
    survivor = get_record(request, Contact, pk, Action.EDIT)
    other_raw = request.POST.get("loser") or request.GET.get("other", "")
    other = None
    if other_raw:
        if not other_raw.isdigit():
            return HttpResponse(_("Invalid contact."), status=400)
        other = get_record(request, Contact, int(other_raw), Action.DELETE)
    if request.method == "POST" and other is not None:
        try:
            survivor = merge.contact_merge(actor=request.user, survivor=survivor, loser=other)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(
                request,
                _("%(loser)s was merged into %(survivor)s.")
                % {"loser": other.full_name, "survivor": survivor.full_name},
            )
            return redirect(survivor)
    query = request.GET.get("q", "")[:100]
    candidates: list[Contact] = []
    if other is None:
        phones = list(survivor.phones.values_list("e164", flat=True))
        emails = list(survivor.emails.values_list("address_key", flat=True))
        suggested = selectors.contact_duplicates(
            phones_e164=phones,
            emails=emails,
            full_name=survivor.full_name,
            province_id=survivor.province_id,
            exclude_pk=survivor.pk,
        )
        candidates = [c for c in suggested if access.in_scope(request.user, Action.DELETE, c)]
        if query:
            candidates = [
                c for c in selectors.contact_search(user=request.user, query=query) if c.pk != survivor.pk
            ]
    context = {
        "object": survivor,
        "other": other,
        "query": query,
        "candidates": candidates,
        "preview": merge.merge_preview(survivor, other) if other is not None else None,
    }
    return render(request, "customers/contact_merge.html", context)
