"""The forecast: open deals by expected close month, owner or team, weighted and unweighted."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, cast

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from sencrm.core import access
from sencrm.core.modules import Action, Module
from sencrm.sales import selectors
from sencrm.sales.opportunity_forms import ForecastForm

DEFAULT_MONTHS = 6


def chart_data(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Chart.js bar data (weighted next to unweighted), whole đồng as numbers."""
    return {
        "labels": [str(r["label"]) for r in rows],
        "datasets": [
            {"label": _("Weighted"), "data": [int(r["weighted"]) for r in rows]},
            {"label": _("Unweighted"), "data": [int(r["amount"]) for r in rows]},
        ],
    }


def totals(rows: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "count": sum(r["count"] for r in rows),
        "amount": sum((r["amount"] for r in rows), Decimal(0)),
        "weighted": sum((r["weighted"] for r in rows), Decimal(0)),
    }


@login_required
@require_GET
def forecast(request: HttpRequest) -> HttpResponse:
    access.check_module(request.user, Module.SALES, Action.VIEW)
    form = ForecastForm(request.GET or None)
    context: dict[str, Any] = {"form": form}
    if form.is_bound and not form.is_valid():
        context["error"] = _("Some options are not valid: %(fields)s") % {
            "fields": "; ".join(
                f"{form.fields[k].label or k}: {' '.join(cast('list[str]', v))}"  # ErrorList yields str
                for k, v in form.errors.items()
            )
        }
        return render(request, "sales/forecast.html", context, status=400)
    data = form.cleaned_data if form.is_bound else {}
    by = data.get("by") or "month"
    rows = selectors.forecast(
        request.user,
        months=data.get("months") or DEFAULT_MONTHS,
        start=data.get("start"),
        by=by,
        pipeline=data.get("pipeline"),
    )
    context.update(rows=rows, by=by, totals=totals(rows), chart=chart_data(rows))
    return render(request, "sales/forecast.html", context)
