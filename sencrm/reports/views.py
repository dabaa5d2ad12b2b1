"""The reports' pages: the index, a canned report with its period picker, comparisons, chart and table,
the records behind a figure, and the exports (CSV, XLSX, PDF). Every page computes through `base.run`
as the reader (the access gate's reports scope)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from sencrm.core import access
from sencrm.core.export import csv_response, xlsx_response
from sencrm.core.modules import Action, Module
from sencrm.reports import base, present

SECTIONS = (
    ("revenue", gettext_lazy("Revenue")),
    ("sales", gettext_lazy("Sales")),
    ("marketing", gettext_lazy("Marketing")),
    ("service", gettext_lazy("Care and service")),
    ("customers", gettext_lazy("Customers")),
)
PERIOD_LABELS = (
    ("month", gettext_lazy("Month")),
    ("quarter", gettext_lazy("Quarter")),
    ("year", gettext_lazy("Year")),
    ("custom", gettext_lazy("Custom")),
)
OPTION_LABELS: dict[str, Any] = {
    "by": gettext_lazy("Rank by"),
    "revenue": gettext_lazy("Revenue"),
    "quantity": gettext_lazy("Quantity"),
}


def _errors(exc: ValidationError) -> str:
    if hasattr(exc, "message_dict"):
        return " ".join(m for messages in exc.message_dict.values() for m in messages)
    return " ".join(exc.messages)


@login_required
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    access.check_module(request.user, Module.REPORTS, Action.VIEW)
    sections = []
    for code, label in SECTIONS:
        reports = [r for r in base.REGISTRY.values() if r.section == code]
        if reports:
            sections.append({"label": label, "reports": reports})
    context: dict[str, Any] = {"sections": sections}
    context.update(_saved_context(request.user))
    return render(request, "reports/index.html", context)


def _saved_context(user: Any) -> dict[str, Any]:
    try:
        from sencrm.reports import builder  # type: ignore[attr-defined,unused-ignore]
    except ImportError:  # the report builder comes in its own slice
        return {}
    return {"saved": builder.visible_reports(user)[:50], "can_build": True}


def _params(request: HttpRequest, report: base.Report) -> tuple[base.Params, str]:
    try:
        return base.parse_params(report, request.GET), ""
    except ValidationError as exc:
        return base.parse_params(report, {}), _errors(exc)


def _form(request: HttpRequest, report: base.Report, params: base.Params) -> dict[str, Any]:
    return {
        "period": params.period.kind,
        "date": params.period.date_from.isoformat(),
        "date_from": params.period.date_from.isoformat(),
        "date_to": params.period.date_to.isoformat(),
        "group_by": params.group_by,
        "periods": PERIOD_LABELS,
        "group_bys": [(g, report.group_label(g)) for g in report.group_bys],
        "options": [
            {
                "name": name,
                "label": OPTION_LABELS.get(name, name),
                "value": params.options.get(name),
                "choices": [(c, OPTION_LABELS.get(c, c)) for c in choices],
            }
            for name, choices in report.options.items()
        ],
    }


@login_required
@require_GET
def report_page(request: HttpRequest, name: str) -> HttpResponse:
    user = request.user
    access.check_module(user, Module.REPORTS, Action.VIEW)
    report = base.get_report(name)
    params, error = _params(request, report)
    result = base.run(user, name, params)
    period = params.period
    context = {
        "report": report,
        "name": name,
        "result": result,
        "table": present.table(result, name),
        "params": params,
        "error": error,
        "form": _form(request, report, params),
        "previous_label": period.previous().label(),
        "last_year_label": period.last_year().label(),
        "previous_query": urlencode(params.moved(period.previous())),
        "next_query": urlencode(params.moved(params.next_period())),
        "next_label": params.next_period().label(),
        "export_query": urlencode(params.query()),
        "can_export": access.can(user, Module.REPORTS, Action.EXPORT),
        "today": timezone.localdate(),
    }
    return render(request, "reports/report.html", context, status=400 if error else 200)


@login_required
@require_GET
def drill(request: HttpRequest, name: str) -> HttpResponse:
    """The records behind one figure: the same period, group and column; their total is the figure."""
    user = request.user
    access.check_module(user, Module.REPORTS, Action.VIEW)
    report = base.get_report(name)
    key = request.GET.get("key", "")[:100]
    column = request.GET.get("column", "")[:50]
    try:
        params = base.parse_params(report, request.GET)
    except ValidationError as exc:
        return render(request, "reports/drill.html", {"error": _errors(exc), "report": report}, status=400)
    detail = report.drill(user, params, key, column)
    back = f"{base_url(name)}?{urlencode(params.query())}"
    context = {
        "report": report,
        "detail": detail,
        "rows": present.drill_rows(detail),
        "total": present.display(detail.total, _total_kind(detail)),
        "params": params,
        "back": back,
    }
    return render(request, "reports/drill.html", context)


def _total_kind(detail: base.Drill) -> str:
    for key, _label, kind in detail.columns:
        if key == detail.total_key:
            return kind
    return base.COUNT


def base_url(name: str) -> str:
    from django.urls import reverse

    return reverse("reports:report", args=[name])


@login_required
@require_GET
def export(request: HttpRequest, name: str) -> HttpResponseBase:
    user = request.user
    access.check_module(user, Module.REPORTS, Action.EXPORT)
    report = base.get_report(name)
    try:
        params = base.parse_params(report, request.GET)
    except ValidationError as exc:
        return HttpResponse(_errors(exc), status=400, content_type="text/plain; charset=utf-8")
    fmt = request.GET.get("format", "csv")
    if fmt not in ("csv", "xlsx", "pdf"):
        return HttpResponse(
            _("Choose one of: %(values)s.") % {"values": "csv, xlsx, pdf"},
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    result = base.run(user, name, params)
    filename = f"{name}-{params.period.date_from:%Y%m%d}-{params.period.date_to:%Y%m%d}"
    if fmt == "pdf":
        return pdf_response(result, name, filename)
    header, rows = present.export_rows(result)
    if fmt == "xlsx":
        return xlsx_response(filename, header, rows)
    return csv_response(filename, header, rows)


def report_pdf(result: base.Result, name: str) -> bytes:
    """The report as a printable PDF (the documents' engine, WeasyPrint with the shipped font)."""
    from sencrm.documents.pdf import html_to_pdf

    html = render_to_string(
        "reports/report_pdf.html",
        {
            "result": result,
            "table": present.table(result, name),
            "previous_label": result.params.period.previous().label(),
            "last_year_label": result.params.period.last_year().label(),
            "printed_at": timezone.localtime(),
        },
    )
    return html_to_pdf(html)


def pdf_response(result: base.Result, name: str, filename: str) -> HttpResponse:
    from sencrm.documents.pdf import pdf_response as respond

    return respond(report_pdf(result, name), filename=f"{filename}.pdf", inline=False)


# --- dashboards ----------------------------------------------------------------------------------------


@login_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    from sencrm.reports import dashboards

    user = request.user
    access.check_module(user, Module.REPORTS, Action.VIEW)
    context = {
        "dashboard": dashboards.widgets(user),
        "today": timezone.localdate(),
        "can_set_targets": access.can(user, Module.ADMIN, Action.EDIT),
    }
    return render(request, "reports/dashboard.html", context)


@login_required
def dashboard_edit(request: HttpRequest) -> HttpResponse:
    """Each user arranges their own dashboard: which widgets, in which order (or back to the default)."""
    from django.shortcuts import redirect

    from sencrm.reports import dashboards

    user = request.user
    access.check_module(user, Module.REPORTS, Action.VIEW)
    if request.method == "POST":
        if request.POST.get("action") == "reset":
            dashboards.reset(user)
        else:
            shown = set(request.POST.getlist("show"))

            def order(key: str) -> tuple[int, int]:
                raw = request.POST.get(f"order_{key}", "")
                position = int(raw) if raw.isdigit() else 99
                return position, list(dashboards.WIDGETS).index(key)

            dashboards.arrange(user, sorted((k for k in dashboards.WIDGETS if k in shown), key=order))
        return redirect("reports:dashboard")
    current = dashboards.layout(user)
    rows = [
        {
            "key": key,
            "title": widget.title,
            "shown": key in current,
            "order": current.index(key) + 1 if key in current else "",
        }
        for key, widget in dashboards.WIDGETS.items()
    ]
    rows.sort(key=lambda r: (not r["shown"], r["order"] or 99))
    return render(request, "reports/dashboard_edit.html", {"rows": rows})


@login_required
def targets(request: HttpRequest) -> HttpResponse:
    """The monthly revenue targets of a year (administrators)."""
    import datetime as dt
    from decimal import Decimal

    from django.db import transaction
    from django.shortcuts import redirect

    from sencrm.reports.models import RevenueTarget

    access.check_module(request.user, Module.ADMIN, Action.EDIT)
    raw_year = (request.POST.get("year") or request.GET.get("year") or "").strip()
    year = (
        int(raw_year) if raw_year.isdigit() and 2000 <= int(raw_year) <= 2100 else timezone.localdate().year
    )
    errors: list[str] = []
    if request.method == "POST":
        values: dict[dt.date, Decimal | None] = {}
        for month in range(1, 13):
            text = "".join(ch for ch in request.POST.get(f"m{month}", "") if ch not in " .,₫\u00a0")
            if not text:
                values[dt.date(year, month, 1)] = None
            elif text.isdigit() and len(text) <= 15:
                values[dt.date(year, month, 1)] = Decimal(text)
            else:
                errors.append(
                    _("%(month)02d/%(year)d: enter a whole amount in đồng.") % {"month": month, "year": year}
                )
        if not errors:
            with transaction.atomic():
                for first, amount in values.items():
                    if amount is None:
                        RevenueTarget.objects.filter(month=first).delete()
                    else:
                        RevenueTarget.objects.update_or_create(month=first, defaults={"amount": amount})
            return redirect(f"{request.path}?year={year}")
    saved = dict(RevenueTarget.objects.filter(month__year=year).values_list("month", "amount"))
    rows = [
        {
            "month": m,
            "label": f"{m:02d}/{year}",
            "amount": request.POST.get(f"m{m}") if errors else saved.get(dt.date(year, m, 1)),
        }
        for m in range(1, 13)
    ]
    return render(
        request,
        "reports/targets.html",
        {"year": year, "rows": rows, "errors": errors},
        status=400 if errors else 200,
    )
