"""Pages of the catalogue: products (list, page, form) and price lists with their prices."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from sencrm.catalog import exports, services
from sencrm.catalog.forms import PriceItemFormSet, PriceListForm, ProductForm
from sencrm.catalog.models import Category, PriceList, Product, ProductKind
from sencrm.catalog.selectors import product_search_filter
from sencrm.core import access
from sencrm.core.exceptions import StaleRecord
from sencrm.core.htmx import render_page_or_partial
from sencrm.core.modules import Action, Module
from sencrm.core.pagination import BadCursor, keyset_page
from sencrm.core.record_views import RecordList, add_validation_errors, record_export, service_form_page
from sencrm.events import selectors as event_selectors
from sencrm.savedviews.selectors import saved_views

PAGE_SIZE = 50


def _get(request: HttpRequest, model: type[Any], pk: int, action: str = Action.VIEW) -> Any:
    obj = get_object_or_404(access.scope(request.user, model, Action.VIEW), pk=pk)
    access.check(request.user, action, obj)
    return obj


def _filter_products(qs: Any, params: Any) -> Any:
    """The list's filters (type, category, active — active only unless asked — and the search box);
    ValidationError when one is not valid. Shared by the page and its export."""
    kind = params.get("kind", "")
    category = params.get("category", "")
    active = params.get("active", "1")
    if (
        (kind and kind not in ProductKind.values)
        or (category and not (category.isdigit() and len(category) < 12))
        or active not in ("", "1", "0")
    ):
        raise ValidationError(_("Some filters are not valid: %(fields)s") % {"fields": _("type, category")})
    if kind:
        qs = qs.filter(kind=kind)
    if category:
        qs = qs.filter(category_id=int(category))
    if active:
        qs = qs.filter(active=active == "1")
    query = params.get("q", "").strip()[:100]
    if query:
        qs = product_search_filter(qs, query)
    return qs


# The products a list page, or its export, shows for its parameters (over the gate's scope).
PRODUCTS = RecordList(Product, narrow=_filter_products)


@login_required
@require_GET
def product_list(request: HttpRequest) -> HttpResponse:
    access.check_module(request.user, Module.CATALOG, Action.VIEW)
    context: dict[str, Any] = {
        "query": request.GET.get("q", "").strip()[:100],
        "kind": request.GET.get("kind", ""),
        "kinds": ProductKind.choices,
        "category": request.GET.get("category", ""),
        "categories": Category.objects.select_related("parent"),
        "active": request.GET.get("active", "1"),
        "can_create": access.can(request.user, Module.CATALOG, Action.CREATE),
        "can_export": access.can(request.user, Module.CATALOG, Action.EXPORT),
        "list_name": "products",
        "saved_views": saved_views(request.user, "products"),
    }
    try:
        qs = PRODUCTS.queryset(request, Action.VIEW, request.GET)
        context["page"] = keyset_page(
            qs.select_related("category", "supplier"),
            sort="code",
            cursor=request.GET.get("cursor"),
            size=PAGE_SIZE,
        )
    except ValidationError as exc:
        context["error"] = " ".join(exc.messages)
        return render(request, "catalog/product_list.html", context, status=400)
    except BadCursor:
        context["error"] = _("This page link is no longer valid. Start again from the first page.")
        return render(request, "catalog/product_list.html", context, status=400)
    return render_page_or_partial(
        request, "catalog/product_list.html", "catalog/partials/product_table.html", context
    )


@login_required
@require_GET
def product_export(request: HttpRequest) -> HttpResponseBase:
    """The filtered list as CSV or XLSX (formula-safe cells), only over what the user may export."""

    def table(qs: Any) -> tuple[list[str], Any]:
        return exports.product_header(), exports.product_rows(qs, user=request.user)

    return record_export(request, PRODUCTS, module=Module.CATALOG, name="products", table=table)


@login_required
@require_GET
def product_detail(request: HttpRequest, pk: int) -> HttpResponse:
    product = _get(request, Product, pk)
    events, next_before = event_selectors.audit_trail(user=request.user, obj=product)
    prices = product.price_items.select_related("price_list__customer_group").filter(
        price_list__deleted_at__isnull=True
    )
    return render(
        request,
        "catalog/product_detail.html",
        {
            "object": product,
            "prices": prices.order_by("-price_list__valid_from"),
            "events": events,
            "next_before": next_before,
            "ct_id": ContentType.objects.get_for_model(Product).pk,
            "can_edit": access.in_scope(request.user, Action.EDIT, product),
            "can_delete": access.in_scope(request.user, Action.DELETE, product),
            "supplier": product.supplier
            if product.supplier and access.in_scope(request.user, Action.VIEW, product.supplier)
            else None,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def product_create(request: HttpRequest) -> HttpResponse:
    access.check_module(request.user, Module.CATALOG, Action.CREATE)
    form = ProductForm(request.POST or None, user=request.user)

    def save() -> Product:
        data = {k: v for k, v in form.cleaned_data.items() if k != "version"}
        return services.product_create(actor=request.user, data=data)

    return service_form_page(request, form, save, "catalog/product_form.html", {"object": None})


@login_required
@require_http_methods(["GET", "POST"])
def product_edit(request: HttpRequest, pk: int) -> HttpResponse:
    product = _get(request, Product, pk, Action.EDIT)
    form = ProductForm(request.POST or None, user=request.user, instance=product)

    def save() -> Product:
        stored = Product.all_objects.get(pk=product.pk)
        return services.product_update(
            stored, actor=request.user, changes=form.record_changes(), version=form.cleaned_data["version"]
        )

    return service_form_page(request, form, save, "catalog/product_form.html", {"object": product})


@login_required
@require_POST
def product_delete(request: HttpRequest, pk: int) -> HttpResponse:
    product = _get(request, Product, pk, Action.DELETE)
    services.product_delete(product, actor=request.user)
    messages.success(request, _("Moved to the trash. You can restore it from the trash."))
    return HttpResponseRedirect(reverse("catalog:product_list"))


# --- price lists ---------------------------------------------------------------------------------


@login_required
@require_GET
def pricelist_list(request: HttpRequest) -> HttpResponse:
    access.check_module(request.user, Module.CATALOG, Action.VIEW)
    lists = access.scope(request.user, PriceList, Action.VIEW).select_related("customer_group")
    return render(
        request,
        "catalog/pricelist_list.html",
        {
            "lists": lists.order_by("-valid_from", "name")[:500],
            "can_create": access.can(request.user, Module.CATALOG, Action.CREATE),
        },
    )


@login_required
@require_GET
def pricelist_detail(request: HttpRequest, pk: int) -> HttpResponse:
    price_list = _get(request, PriceList, pk)
    events, next_before = event_selectors.audit_trail(user=request.user, obj=price_list)
    return render(
        request,
        "catalog/pricelist_detail.html",
        {
            "object": price_list,
            "items": price_list.items.select_related("product").order_by("product__code"),
            "events": events,
            "next_before": next_before,
            "ct_id": ContentType.objects.get_for_model(PriceList).pk,
            "can_edit": access.in_scope(request.user, Action.EDIT, price_list),
        },
    )


def _pricelist_form(request: HttpRequest, price_list: PriceList | None) -> HttpResponse:
    form = PriceListForm(request.POST or None, user=request.user, instance=price_list)
    initial = (
        [{"product": i.product_id, "price": i.price} for i in price_list.items.order_by("product__code")]
        if price_list is not None
        else None
    )
    items = PriceItemFormSet(request.POST or None, user=request.user, initial=initial, prefix="items")
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid() and items.is_valid():
            try:
                if price_list is None:
                    data = {k: v for k, v in form.cleaned_data.items() if k != "version"}
                    saved = services.price_list_create(actor=request.user, data=data, items=items.items())
                else:
                    saved = services.price_list_update(
                        PriceList.all_objects.get(pk=price_list.pk),
                        actor=request.user,
                        changes=form.record_changes(),
                        version=form.cleaned_data["version"],
                        items=items.items(),
                    )
            except StaleRecord as exc:
                form.add_error(None, str(exc.message))
                status = 409
            except ValidationError as exc:
                add_validation_errors(form, exc)
            else:
                messages.success(request, _("Saved."))
                return HttpResponseRedirect(saved.get_absolute_url())
    return render(
        request,
        "catalog/pricelist_form.html",
        {"form": form, "items": items, "object": price_list},
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def pricelist_create(request: HttpRequest) -> HttpResponse:
    access.check_module(request.user, Module.CATALOG, Action.CREATE)
    return _pricelist_form(request, None)


@login_required
@require_http_methods(["GET", "POST"])
def pricelist_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _pricelist_form(request, _get(request, PriceList, pk, Action.EDIT))
