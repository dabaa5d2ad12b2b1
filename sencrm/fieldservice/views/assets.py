"""Installed-product pages: the list (search, filters, keyset pages) and its export (CSV/XLSX, export scope),
an asset's page (warranty card with the rule, a "check on a date" box, void, status, its work orders, its
maintenance plans, its history), the create and edit form. Reads go through the gate (asset_selectors),
writes through assets.py."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from sencrm.core import access
from sencrm.core.export import csv_response, xlsx_response
from sencrm.core.htmx import render_page_or_partial
from sencrm.core.modules import Action, Module
from sencrm.core.pagination import BadCursor, keyset_page
from sencrm.core.record_views import add_validation_errors, record_edit_page, service_form_page
from sencrm.customers.models import Account, Contact
from sencrm.events.formatting import event_title
from sencrm.events.models import Event
from sencrm.fieldservice import assets, warranty
from sencrm.fieldservice.asset_forms import (
    AssetFilterForm,
    AssetForm,
    AssetStatusForm,
    AssetVoidForm,
    WarrantyCheckForm,
)
from sencrm.fieldservice.asset_selectors import asset_history, asset_list
from sencrm.fieldservice.models import Asset, AssetStatus, MaintenancePlan

PAGE_SIZE = 50
LIST = "fieldservice/asset_list.html"
TABLE = "fieldservice/partials/asset_table.html"


def _get(request: HttpRequest, pk: int, action: str = Action.VIEW) -> Asset:
    scoped = access.scope(request.user, Asset, Action.VIEW).select_related(
        "product", "contact", "account", "order", "contract", "site_province", "replaced_by__product"
    )
    asset: Asset = get_object_or_404(scoped, pk=pk)
    access.check(request.user, action, asset)
    return asset


def _filters(request: HttpRequest) -> dict[str, Any]:
    form = AssetFilterForm(request.GET)
    if not form.is_valid():
        raise ValidationError(_("A filter has a value that is not offered. Clear the filters and try again."))
    return {k: v for k, v in form.cleaned_data.items() if v not in (None, "")}


@login_required
@require_GET
def asset_list_view(request: HttpRequest) -> HttpResponse:
    user = request.user
    access.check_module(user, Module.FIELDSERVICE, Action.VIEW)
    params = request.GET
    context: dict[str, Any] = {
        "statuses": AssetStatus.choices,
        "filter_form": AssetFilterForm(params),
        "current": {
            name: params.get(name, "")[:20] for name in ("status", "product", "province", "warranty")
        },
        "query": params.get("q", "").strip()[:100],
        "can_create": access.can(user, Module.FIELDSERVICE, Action.CREATE),
        "can_export": access.can(user, Module.FIELDSERVICE, Action.EXPORT),
        "today": timezone.localdate(),
    }
    try:
        rows = asset_list(user, _filters(request))
        page = keyset_page(
            rows, sort="created_at", descending=True, cursor=params.get("cursor"), size=PAGE_SIZE
        )
    except ValidationError as exc:
        context["error"] = " ".join(exc.messages)
        return render_page_or_partial(request, LIST, TABLE, context, status=400)
    except BadCursor:
        context["error"] = _("This page link is no longer valid. Start again from the first page.")
        return render_page_or_partial(request, LIST, TABLE, context, status=400)
    today = context["today"]
    for asset in page.rows:
        asset.warranty_today = warranty.check(asset, today)
    context["page"] = page
    return render_page_or_partial(request, LIST, TABLE, context)


EXPORT_HEADER = [
    "id", "product_code", "product", "serial_number", "customer", "site", "province", "installed_on",
    "warranty_until", "warranty_rule", "in_warranty_today", "status",
]  # fmt: skip


@login_required
@require_GET
def asset_export(request: HttpRequest) -> HttpResponseBase:
    """The filtered list as CSV or XLSX, only over what the user may export."""
    access.check_module(request.user, Module.FIELDSERVICE, Action.EXPORT)
    fmt = request.GET.get("format", "csv")
    try:
        if fmt not in ("csv", "xlsx"):
            raise ValidationError(_("Unknown export format."))
        rows_qs = asset_list(request.user, _filters(request), action=Action.EXPORT)
    except ValidationError as exc:
        return HttpResponse(" ".join(exc.messages), status=400, content_type="text/plain; charset=utf-8")
    today = timezone.localdate()

    def rows() -> Any:
        for a in rows_qs.iterator(chunk_size=500):
            check = warranty.check(a, today)
            yield [
                a.pk, a.product.code, a.product.name, a.serial_number, str(a.customer or ""), a.site_address,
                str(a.site_province or ""), a.installed_on, a.warranty_until, a.warranty_rule,
                "yes" if check.in_warranty else "no", a.status,
            ]  # fmt: skip

    name = f"installed-products-{today:%Y%m%d}"
    if fmt == "xlsx":
        return xlsx_response(name, EXPORT_HEADER, rows())
    return csv_response(name, EXPORT_HEADER, rows())


def _timeline(asset: Asset) -> list[dict[str, Any]]:
    events = Event.objects.filter(
        subject_type=ContentType.objects.get_for_model(Asset), subject_id=asset.pk
    ).select_related("actor")
    return [
        {"at": e.occurred_at, "title": event_title(e), "actor": str(e.actor) if e.actor else e.actor_label}
        for e in events.order_by("-id")[:50]
    ]


def _plans(request: HttpRequest, asset: Asset) -> list[MaintenancePlan]:
    scoped = access.scope(request.user, MaintenancePlan, Action.VIEW)
    return list(scoped.filter(assets=asset).order_by("-id")[:20])


def _detail(request: HttpRequest, asset: Asset, status: int = 200, **extra: Any) -> HttpResponse:
    today = timezone.localdate()
    can_edit = access.in_scope(request.user, Action.EDIT, asset)
    context = {
        "asset": asset,
        "object": asset,
        "check": warranty.check(asset, today),
        "history": asset_history(asset, user=request.user),
        "plans": _plans(request, asset),
        "timeline": _timeline(asset),
        "can_edit": can_edit,
        "can_create_work_order": access.can(request.user, Module.FIELDSERVICE, Action.CREATE),
        "statuses": AssetStatus.choices,
        "check_form": extra.pop("check_form", WarrantyCheckForm(initial={"on": today})),
        "on_text": f"{today:%d/%m/%Y}",
        "void_form": extra.pop("void_form", AssetVoidForm(initial={"on": today})),
        "status_form": extra.pop("status_form", AssetStatusForm(initial={"status": asset.status})),
        **extra,
    }
    return render(request, "fieldservice/asset_detail.html", context, status=status)


@login_required
@require_GET
def asset_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, _get(request, pk))


@login_required
@require_GET
def asset_warranty(request: HttpRequest, pk: int) -> HttpResponse:
    """The "check on a date" box (htmx partial): in or out on that day, with the rule."""
    asset = _get(request, pk)
    form = WarrantyCheckForm(request.GET)
    on_text = request.GET.get("on", "")[:20]
    context: dict[str, Any] = {"asset": asset, "check_form": form, "on_text": on_text}
    status = 200
    if form.is_valid():
        context["result"] = warranty.check(asset, form.cleaned_data["on"])
    else:
        status = 400
    return render(request, "fieldservice/partials/asset_warranty_check.html", context, status=status)


def _prefill(request: HttpRequest) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for name, model in (("contact", Contact), ("account", Account)):
        raw = request.GET.get(name, "")
        if raw.isdigit() and len(raw) < 12 and access.visible_pks(request.user, model, [int(raw)]):
            data[name] = int(raw)
    return data


@login_required
@require_http_methods(["GET", "POST"])
def asset_create(request: HttpRequest) -> HttpResponse:
    access.check_module(request.user, Module.FIELDSERVICE, Action.CREATE)
    prefill = _prefill(request) if request.method == "GET" else {}
    form = AssetForm(request.POST or None, user=request.user, prefill=prefill)

    def save() -> Asset:
        return assets.asset_create(actor=request.user, data=form.record_changes())

    context = {"title": _("New installed product")}
    return service_form_page(
        request, form, save, "fieldservice/asset_form.html", context, success=_("%(name)s was recorded.")
    )


@login_required
@require_http_methods(["GET", "POST"])
def asset_edit(request: HttpRequest, pk: int) -> HttpResponse:
    asset = _get(request, pk, Action.EDIT)
    return record_edit_page(
        request, asset, AssetForm, assets.asset_update, "fieldservice/asset_form.html", {"title": str(asset)}
    )


@login_required
@require_POST
def asset_void(request: HttpRequest, pk: int) -> HttpResponse:
    asset = _get(request, pk, Action.EDIT)
    form = AssetVoidForm(request.POST)
    if form.is_valid():
        try:
            assets.asset_void_warranty(
                asset, actor=request.user, reason=form.cleaned_data["reason"], on=form.cleaned_data["on"]
            )
        except ValidationError as exc:
            add_validation_errors(form, exc)
        else:
            messages.success(request, _("The warranty was voided."))
            return HttpResponseRedirect(asset.get_absolute_url())
    return _detail(request, asset, status=400, void_form=form)


@login_required
@require_POST
def asset_status(request: HttpRequest, pk: int) -> HttpResponse:
    asset = _get(request, pk, Action.EDIT)
    form = AssetStatusForm(request.POST)
    if form.is_valid():
        replaced_by = None
        pk_new = form.cleaned_data.get("replaced_by")
        try:
            if pk_new:
                replaced_by = access.scope(request.user, Asset, Action.VIEW).filter(pk=pk_new).first()
                if replaced_by is None:
                    raise ValidationError({"replaced_by": str(access.NOT_FOUND)})
            assets.asset_set_status(
                asset, actor=request.user, status=form.cleaned_data["status"], replaced_by=replaced_by
            )
        except ValidationError as exc:
            add_validation_errors(form, exc)
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Saved."))
            return HttpResponseRedirect(asset.get_absolute_url())
    return _detail(request, asset, status=400, status_form=form)


urlpatterns = [
    path("field-service/assets/", asset_list_view, name="asset_list"),
    path("field-service/assets/export/", asset_export, name="asset_export"),
    path("field-service/assets/new/", asset_create, name="asset_create"),
    path("field-service/assets/<int:pk>/", asset_detail, name="asset_detail"),
    path("field-service/assets/<int:pk>/edit/", asset_edit, name="asset_edit"),
    path("field-service/assets/<int:pk>/warranty/", asset_warranty, name="asset_warranty"),
    path("field-service/assets/<int:pk>/void/", asset_void, name="asset_void"),
    path("field-service/assets/<int:pk>/status/", asset_status, name="asset_status"),
]
