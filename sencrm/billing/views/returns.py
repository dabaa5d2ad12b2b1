"""Returns: goods sent back against an order's delivered lines (with the credit note and refund they
make), the list of returns and a return's page."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from sencrm.billing import services
from sencrm.billing.forms import ReturnForm
from sencrm.billing.models import Return
from sencrm.billing.views.common import PAGE_SIZE, bad_page, visible_or_none
from sencrm.commerce.models import Order
from sencrm.core import access
from sencrm.core.modules import Action, Module
from sencrm.core.pagination import BadCursor, keyset_page
from sencrm.core.record_views import call_service, get_record

# --- returns ---------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def order_return(request: HttpRequest, pk: int) -> HttpResponse:
    """Goods sent back against the order's delivered lines; when they were invoiced, a credit note is
    issued against the invoice, and optionally what it leaves over is refunded."""
    user = request.user
    order = get_record(request, Order, pk)
    access.check_module(user, Module.BILLING, Action.CREATE)
    delivered = [
        line
        for line in order.lines.select_related("product").order_by("position", "id")
        if line.delivered_quantity > 0
    ]
    back = services.returned_quantities(order)
    form = ReturnForm(request.POST or None, lines=delivered)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            made, status = call_service(
                form,
                lambda: services.return_create(
                    order,
                    actor=user,
                    quantities=form.quantities(),
                    reason=data["reason"],
                    returned_on=data.get("returned_on"),
                    refund_method=data.get("refund_method") or "",
                ),
            )
            if made is not None:
                messages.success(request, _("Return %(number)s recorded.") % {"number": made.number})
                return HttpResponseRedirect(made.get_absolute_url())
    rows = [
        {
            "line": line,
            "returned": back.get(line.pk, Decimal(0)),
            "left": max(line.delivered_quantity - back.get(line.pk, Decimal(0)), Decimal(0)),
            "field": form[f"line_{line.pk}"],
        }
        for line in delivered
    ]
    return render(
        request, "billing/order_return.html", {"order": order, "form": form, "rows": rows}, status=status
    )


@login_required
@require_GET
def return_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    returned = get_record(
        request, Return.objects.select_related("order", "credit_invoice", "refund", "owner"), pk
    )
    context = {
        "object": returned,
        "lines": list(returned.lines.select_related("order_line").order_by("order_line__position", "id")),
        "order": visible_or_none(user, returned.order),
        "credit_invoice": visible_or_none(user, returned.credit_invoice),
        "refund": visible_or_none(user, returned.refund),
    }
    return render(request, "billing/return_detail.html", context)


@login_required
@require_GET
def return_list(request: HttpRequest) -> HttpResponse:
    access.check_module(request.user, Module.BILLING, Action.VIEW)
    context: dict[str, Any] = {}
    try:
        context["page"] = keyset_page(
            access.scope(request.user, Return, Action.VIEW).select_related("order", "credit_invoice"),
            sort="returned_on",
            descending=True,
            cursor=request.GET.get("cursor"),
            size=PAGE_SIZE,
        )
    except BadCursor:
        context["error"] = bad_page()
        return render(request, "billing/return_list.html", context, status=400)
    return render(request, "billing/return_list.html", context)
