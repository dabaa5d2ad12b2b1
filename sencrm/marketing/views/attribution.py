"""The attribution report's pages: both views side by side (marketing:attribution), what is behind one
figure (marketing:attribution_detail) and the table as CSV or XLSX (marketing:attribution_export).

The reports module's right decides who may open them (403 without it) and the scope of every figure
(sencrm/marketing/attribution.py)."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from sencrm.core import access
from sencrm.core.export import csv_response, xlsx_response
from sencrm.core.modules import Action, Module
from sencrm.customers.models import SourceChannel
from sencrm.marketing import attribution, attribution_drilldown
from sencrm.marketing.attribution import Params
from sencrm.marketing.models import CampaignChannel

METRICS = ("leads", "customers", "revenue")


def channel_labels() -> dict[str, str]:
    """Channel codes in words: the campaigns' channels, the customers' source channels, "none"."""
    labels = {str(code): str(label) for code, label in CampaignChannel.choices}
    labels.update(dict(SourceChannel.objects.values_list("code", "name")))
    labels[attribution.NO_CHANNEL] = _("No channel")
    return labels


def _errors(exc: ValidationError) -> str:
    return " ".join(exc.messages)


def _params(request: HttpRequest) -> tuple[Params, str]:
    try:
        return attribution.parse_params(request.GET), ""
    except ValidationError as exc:
        return attribution.parse_params({}), _errors(exc)


def _links(params: Params, entry: dict[str, Any]) -> dict[str, str]:
    """The drill-down URL of every figure of a row, e.g. links["cash_revenue"]."""
    base = reverse("marketing:attribution_detail")
    campaign = "" if entry["campaign"] is None else str(entry["campaign"])
    links = {}
    for view in attribution.VIEWS:
        for metric in (*METRICS, "cost"):
            query = params.query(view=view, month=entry["month"], campaign=campaign, metric=metric)
            query["channel"] = entry["channel"]
            links[f"{view}_{metric}"] = f"{base}?{urlencode(query)}"
    return links


@login_required
@require_GET
def attribution_report(request: HttpRequest) -> HttpResponse:
    """Revenue by cash month and by lead month, side by side, per campaign or channel and month."""
    user = request.user
    access.check_module(user, Module.REPORTS, Action.VIEW)
    params, error = _params(request)
    data = attribution.side_by_side(user, params)
    labels = channel_labels()
    for entry in data["rows"]:
        entry["links"] = _links(params, entry)
        entry["channel_label"] = labels.get(entry["channel"], entry["channel"])
    context = {
        "params": params,
        "error": error,
        "form": {
            "date_from": request.GET.get("date_from", params.date_from.isoformat())[:10],
            "date_to": request.GET.get("date_to", params.date_to.isoformat())[:10],
        },
        "models": [
            ("first", _("First touch")),
            ("last", _("Last touch")),
            ("linear", _("Linear (first and latest)")),
        ],
        "rows": data["rows"],
        "cash": data["cash"],
        "lead": data["lead"],
        "lag_buckets": [key for key, _low, _high in attribution.LAG_BUCKETS],
        "chart": attribution.chart(data["cash"], data["lead"]),
        "export_query": urlencode(params.query()),
        "can_export": access.can(user, Module.REPORTS, Action.EXPORT),
    }
    return render(request, "marketing/attribution.html", context, status=400 if error else 200)


@login_required
@require_GET
def attribution_detail(request: HttpRequest) -> HttpResponse:
    """The receipts and customers (or leads, or cost entries) behind one figure of the report."""
    user = request.user
    access.check_module(user, Module.REPORTS, Action.VIEW)
    try:
        params = attribution.parse_params(request.GET)
        cell = attribution_drilldown.parse_cell(request.GET)
    except ValidationError as exc:
        return render(request, "marketing/attribution_detail.html", {"error": _errors(exc)}, status=400)
    detail = attribution_drilldown.drilldown(user, params, cell)
    context = {
        "params": params,
        "detail": detail,
        "channel_label": channel_labels().get(cell.channel, cell.channel),
        "back": f"{reverse('marketing:attribution')}?{urlencode(params.query())}",
    }
    return render(request, "marketing/attribution_detail.html", context)


def export_header() -> list[str]:
    per_view = [
        _("Leads"),
        _("New customers"),
        _("Revenue"),
        _("Cost per lead"),
        _("Cost per customer"),
        _("ROI"),
    ]
    cash = _("Revenue by month of payment")
    lead = _("Revenue by lead month (investment view)")
    return [
        _("Month"),
        _("Campaign"),
        _("Channel"),
        _("Cost"),
        *(f"{cash}: {name}" for name in per_view),
        *(f"{lead}: {name}" for name in per_view),
    ]


def export_rows(rows: list[dict[str, Any]], labels: dict[str, str]) -> Iterator[list[Any]]:
    def figures(row: attribution.Row) -> list[Any]:
        return [
            attribution.number(row.leads),
            attribution.number(row.customers),
            row.revenue,
            row.cost_per_lead,
            row.cost_per_customer,
            None if row.roi is None else float(row.roi),
        ]

    for entry in rows:
        yield [
            entry["month"],
            entry["campaign_name"] or "",
            labels.get(entry["channel"], entry["channel"]),
            entry["cost"] or Decimal(0),
            *figures(entry["cash"]),
            *figures(entry["lead"]),
        ]


@login_required
@require_GET
def attribution_export(request: HttpRequest) -> HttpResponseBase:
    """The report's table as CSV (?format=csv, the default) or XLSX (?format=xlsx)."""
    user = request.user
    access.check_module(user, Module.REPORTS, Action.EXPORT)
    try:
        params = attribution.parse_params(request.GET)
    except ValidationError as exc:
        return HttpResponse(_errors(exc), status=400, content_type="text/plain; charset=utf-8")
    kind = request.GET.get("format", "csv")
    if kind not in {"csv", "xlsx"}:
        return HttpResponse(
            _("Choose one of: %(values)s.") % {"values": "csv, xlsx"},
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    data = attribution.side_by_side(user, params)
    name = f"attribution-{params.by}-{params.model}-{params.date_from:%Y%m}-{params.date_to:%Y%m}"
    rows = export_rows(data["rows"], channel_labels())
    if kind == "xlsx":
        return xlsx_response(name, export_header(), rows)
    return csv_response(name, export_header(), rows)


urlpatterns = [
    path("marketing/attribution/", attribution_report, name="attribution"),
    path("marketing/attribution/detail/", attribution_detail, name="attribution_detail"),
    path("marketing/attribution/export/", attribution_export, name="attribution_export"),
]
