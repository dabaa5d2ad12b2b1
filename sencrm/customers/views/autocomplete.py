"""Suggestions for the form boxes that search as the user types: the account and the province."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from sencrm.customers import selectors
from sencrm.customers.forms import province_suggestions


@login_required
@require_GET
def account_autocomplete(request: HttpRequest) -> HttpResponse:
    """At most 20 accounts the user may view, accent-insensitive."""
    accounts = selectors.account_search(user=request.user, query=request.GET.get("q", "")[:100], limit=20)
    return render(request, "customers/partials/account_suggestions.html", {"accounts": accounts})


@login_required
@require_GET
def province_suggestions_view(request: HttpRequest) -> HttpResponse:
    """Provinces and the names people write for them (reference data, the same for every user), each
    with the 2025 province it is saved as."""
    suggestions = province_suggestions(request.GET.get("q", "")[:100])
    return render(request, "customers/partials/province_suggestions.html", {"suggestions": suggestions})
