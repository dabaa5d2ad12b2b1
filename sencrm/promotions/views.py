"""Promotion pages: the list with each promotion's results, a promotion's page (its results, the orders
that used it, its campaign in the attribution report), its form; under the Marketing menu."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from sencrm.commerce.models import Order, Quote
from sencrm.core import access
from sencrm.core.htmx import render_page_or_partial
from sencrm.core.modules import Action, Module
from sencrm.core.pagination import BadCursor, keyset_page
from sencrm.core.record_views import get_record, record_edit_page, service_form_page, trash_and_redirect
from sencrm.promotions import selectors, services
from sencrm.promotions.choices import PromotionKind
from sencrm.promotions.forms import PromotionForm
from sencrm.promotions.models import Promotion, PromotionUse

PAGE_SIZE = 50
STATES = ("running", "automatic")
RECENT_USES = 50
REPORT_MONTHS = 36  # the attribution report's longest period


def _filters(request: HttpRequest) -> dict[str, Any]:
    kind = request.GET.get("kind", "")
    state = request.GET.get("state", "")
    bad = [
        name
        for name, ok in (
            ("kind", not kind or kind in PromotionKind.values),
            ("state", not state or state in STATES),
        )
        if not ok
    ]
    if bad:
        raise ValidationError(_("Some filters are not valid: %(fields)s") % {"fields": ", ".join(bad)})
    return {"kind": kind, "state": state, "query": request.GET.get("q", "").strip()[:100]}


@login_required
@require_GET
def promotion_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    access.check_module(user, Module.MARKETING, Action.VIEW)
    context: dict[str, Any] = {
        "kinds": PromotionKind.choices,
        "kind": request.GET.get("kind", ""),
        "state": request.GET.get("state", ""),
        "query": request.GET.get("q", "")[:100],
        "can_create": access.can(user, Module.MARKETING, Action.CREATE),
    }
    try:
        qs = selectors.promotion_filter(
            access.scope(user, Promotion, Action.VIEW).select_related("owner", "gift_product"),
            today=timezone.localdate(),
            **_filters(request),
        )
        page = keyset_page(
            qs, sort="created_at", descending=True, cursor=request.GET.get("cursor"), size=PAGE_SIZE
        )
    except ValidationError as exc:
        context["error"] = " ".join(exc.messages)
        return render(request, "promotions/promotion_list.html", context, status=400)
    except BadCursor:
        context["error"] = _("This page link is no longer valid. Start again from the first page.")
        return render(request, "promotions/promotion_list.html", context, status=400)
    results = selectors.promotion_results([p.pk for p in page.rows])
    for promotion in page.rows:
        promotion.results = results[promotion.pk]
    context["page"] = page
    return render_page_or_partial(
        request, "promotions/promotion_list.html", "promotions/partials/promotion_rows.html", context
    )


def _attribution_url(user: Any, promotion: Promotion) -> str:
    """The attribution report by campaign over the promotion's dates (at most the report's 36 months),
    when the promotion belongs to a campaign the reader may see and they may read the report."""
    campaign = promotion.campaign
    if campaign is None or not access.in_scope(user, Action.VIEW, campaign):
        return ""
    if not access.can(user, Module.REPORTS, Action.VIEW):
        return ""
    today = timezone.localdate()
    end = promotion.valid_until or today
    start = promotion.valid_from or campaign.start_date
    if (end.year - start.year) * 12 + end.month - start.month >= REPORT_MONTHS or start > end:
        start = (end.replace(day=1) - dt.timedelta(days=31 * (REPORT_MONTHS - 1))).replace(day=1)
    try:
        base = reverse("marketing:attribution")
    except NoReverseMatch:
        return ""
    return (
        f"{base}?{urlencode({'by': 'campaign', 'date_from': start.isoformat(), 'date_to': end.isoformat()})}"
    )


def _uses(user: Any, promotion: Promotion) -> list[dict[str, Any]]:
    """The latest uses, each document named only when the reader may open it."""
    uses = list(
        PromotionUse.objects.filter(promotion=promotion)
        .select_related("order", "quote")
        .order_by("-used_at", "-pk")[:RECENT_USES]
    )
    orders = access.visible_ids(user, Order, [u.order_id for u in uses if u.order_id])
    quotes = access.visible_ids(user, Quote, [u.quote_id for u in uses if u.quote_id])
    rows = []
    for use in uses:
        document: Any = use.order or use.quote
        visible = (use.order_id in orders) if use.order_id else (use.quote_id in quotes)
        rows.append(
            {
                "use": use,
                "kind": _("Order") if use.order_id else _("Quote"),
                "document": document if visible else None,
                "total": document.total if visible else None,
            }
        )
    return rows


@login_required
@require_GET
def promotion_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    promotion = get_record(
        request,
        Promotion.objects.select_related("owner", "team", "gift_product", "campaign").prefetch_related(
            "products", "categories", "customer_groups"
        ),
        pk,
    )
    campaign = promotion.campaign
    context = {
        "object": promotion,
        "results": selectors.promotion_results([promotion.pk])[promotion.pk],
        "uses": _uses(user, promotion),
        "campaign": campaign
        if campaign is not None and access.in_scope(user, Action.VIEW, campaign)
        else None,
        "attribution_url": _attribution_url(user, promotion),
        "can_edit": access.in_scope(user, Action.EDIT, promotion),
        "can_delete": access.in_scope(user, Action.DELETE, promotion),
    }
    return render(request, "promotions/promotion_detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def promotion_create(request: HttpRequest) -> HttpResponse:
    access.check_module(request.user, Module.MARKETING, Action.CREATE)
    form = PromotionForm(request.POST or None, user=request.user)

    def save() -> Promotion:
        data = {k: v for k, v in form.record_changes().items() if k != "version"}
        return services.promotion_create(actor=request.user, data=data)

    return service_form_page(request, form, save, "promotions/promotion_form.html", {"object": None})


@login_required
@require_http_methods(["GET", "POST"])
def promotion_edit(request: HttpRequest, pk: int) -> HttpResponse:
    promotion = get_record(request, Promotion, pk, Action.EDIT)
    return record_edit_page(
        request, promotion, PromotionForm, services.promotion_update, "promotions/promotion_form.html"
    )


@login_required
@require_POST
def promotion_delete(request: HttpRequest, pk: int) -> HttpResponse:
    promotion = get_record(request, Promotion, pk, Action.DELETE)
    return trash_and_redirect(
        request, promotion, services.promotion_delete, reverse("promotions:promotion_list")
    )


urlpatterns = [
    path("marketing/promotions/", promotion_list, name="promotion_list"),
    path("marketing/promotions/new/", promotion_create, name="promotion_create"),
    path("marketing/promotions/<int:pk>/", promotion_detail, name="promotion_detail"),
    path("marketing/promotions/<int:pk>/edit/", promotion_edit, name="promotion_edit"),
    path("marketing/promotions/<int:pk>/delete/", promotion_delete, name="promotion_delete"),
]
