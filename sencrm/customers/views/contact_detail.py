"""A contact's page: details, consents, the journey (more of it through journey.timeline)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from sencrm.core import access
from sencrm.core.record_views import get_record
from sencrm.customers.models import Contact
from sencrm.customers.views.customers import detail_context


@login_required
@require_GET
def contact_detail(request: HttpRequest, pk: int) -> HttpResponse:
    contact = get_record(request, Contact, pk)
    access.label_related(request.user, [contact], "account")
    context = detail_context(request, contact)
    context["consents"] = {c.channel: c for c in contact.consents.all()}
    return render(request, "customers/contact_detail.html", context)
