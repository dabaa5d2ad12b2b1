"""More of a contact's or an account's journey (htmx: the "Older" button and the type filter)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.contrib.contenttypes.models import ContentType
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from sencrm.core.record_views import get_record
from sencrm.customers.models import Account, Contact
from sencrm.events import selectors as event_selectors


@login_required
@require_GET
def timeline(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    if kind not in ("contact", "account"):
        raise Http404
    model = Contact if kind == "contact" else Account
    obj = get_record(request, model, pk)
    before_raw = request.GET.get("before", "")
    if before_raw:
        try:
            event_selectors.parse_timeline_cursor(before_raw)
        except (ValueError, OverflowError):
            return HttpResponse(_("Invalid page."), status=400)
    # ?type=a.created&type=b.updated or ?type=a.created,b.updated
    types = [t for raw in request.GET.getlist("type") for t in raw.split(",") if t and len(t) <= 64][:20]
    events, next_before = event_selectors.customer_timeline(
        user=request.user, customer=obj, types=types or None, before=before_raw or None
    )
    return render(
        request,
        "customers/partials/timeline.html",
        {
            "object": obj,
            "events": events,
            "next_before": next_before,
            "kind": kind,
            "types": types,
            "ct_id": ContentType.objects.get_for_model(model).pk,
        },
    )
