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
    from django.urls import reverse

    # Reports that live with their module (the attribution report is marketing's own page).
    links = {
        "marketing": [
            {
                "title": _("Marketing results"),
                "description": _("Revenue by cash month and by lead month, per campaign and channel."),
                "url": reverse("marketing:attribution"),
            }
        ]
    }
    sections = []
    for code, label in SECTIONS:
        reports = [r for r in base.REGISTRY.values() if r.section == code]
        if reports or links.get(code):
            sections.append({"label": label, "reports": reports, "links": links.get(code, [])})
    context: dict[str, Any] = {"sections": sections}
    context.update(_saved_context(request.user))
    return render(request, "reports/index.html", context)


def _saved_context(user: Any) -> dict[str, Any]:
    from sencrm.reports import saved

    return {"saved": list(saved.visible(user).order_by("name")[:50]), "can_build": True}


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
        "can_save_segment": name == "rfm" and access.can(user, Module.MARKETING, Action.CREATE),
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

    from django.shortcuts import redirect

    from sencrm.reports import dashboards
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
            dashboards.targets_set(actor=request.user, values=values)
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


# --- the report builder and saved reports ---------------------------------------------------------------


def _definition_from_post(data: Any) -> dict[str, Any]:
    import json

    measures = []
    for i in range(3):
        op = data.get(f"op{i}", "")
        if op:
            measures.append({"op": op, "field": data.get(f"field{i}", "")})
    try:
        filters = json.loads(data.get("filters") or "null")
    except ValueError:
        filters = {"invalid": True}
    if isinstance(filters, dict) and not filters.get("rules"):
        filters = None
    return {
        "source": data.get("source", ""),
        "group_by": data.get("group_by", ""),
        "measures": measures,
        "filters": filters,
        "sort": data.get("sort", "group"),
        "descending": data.get("descending") == "on",
        "chart": data.get("chart", "bar"),
        "limit": data.get("limit") or 50,
    }


def _builder_page(request: HttpRequest, definition: dict[str, Any], **extra: Any) -> HttpResponse:
    import json

    from sencrm.marketing.segment_builder import builder_context
    from sencrm.reports import builder

    source = builder.SOURCES.get(str(definition.get("source") or "")) or builder.SOURCES["invoices"]
    measures = list(definition.get("measures") or [{"op": "count"}])
    measures += [{"op": "", "field": ""}] * (3 - len(measures))
    context = {
        "sources": builder.SOURCES.values(),
        "source": source,
        "groups": [(g, builder.field_label(source, g)) for g in [*source.group_choices(), *source.extra]],
        "numbers": [(n, builder.field_label(source, n)) for n in source.numbers],
        "ops": builder.OPS.items(),
        "charts": builder.CHARTS,
        "definition": definition,
        "measures": measures[:3],
        "filters_json": json.dumps(definition.get("filters") or {"match": "all", "rules": []}),
        "segment_builder": builder_context(request.user) if source.contact is not None else None,
        "periods": PERIOD_LABELS[:3],
        **extra,
    }
    return render(request, "reports/builder.html", context, status=400 if extra.get("errors") else 200)


@login_required
def builder_view(request: HttpRequest) -> HttpResponse:
    """Build a report: preview it over a period, then save it under a name."""
    from django.shortcuts import redirect

    from sencrm.reports import builder, saved

    user = request.user
    access.check_module(user, Module.REPORTS, Action.VIEW)
    if request.method != "POST":
        return _builder_page(
            request, {"source": request.GET.get("source", "invoices"), "measures": [{"op": "count"}]}
        )
    definition = _definition_from_post(request.POST)
    period = request.POST.get("period", "month")
    try:
        valid = builder.validate(definition)
    except ValidationError as exc:
        return _builder_page(request, definition, errors=_errors(exc), period=period)
    if request.POST.get("action") == "save":
        try:
            made = saved.saved_create(
                actor=user,
                data={
                    "name": request.POST.get("name", ""),
                    "report": "custom",
                    "definition": valid.as_json(),
                    "period": period,
                },
            )
        except ValidationError as exc:
            return _builder_page(request, definition, errors=_errors(exc), period=period)
        return redirect(made.get_absolute_url())
    report = builder.BuiltReport(valid)
    try:
        params = base.parse_params(report, {"period": period if period in base.PERIODS[:3] else "month"})
    except ValidationError as exc:
        return _builder_page(request, definition, errors=_errors(exc), period=period)
    result = base.run_report(user, report, params)
    return _builder_page(
        request, definition, result=result, table=present.table(result, "custom", drill=False), period=period
    )


@login_required
def saved_new(request: HttpRequest) -> HttpResponse:
    """Save a canned report as shown (its grouping and options) under a name."""
    from django.shortcuts import redirect

    from sencrm.reports import saved

    if request.method != "POST":
        return redirect("reports:index")
    name = request.POST.get("report", "")
    report = base.get_report(name)
    query = {"group_by": request.POST.get("group_by", report.default_group_by)}
    for option in report.options:
        if request.POST.get(option):
            query[option] = request.POST[option]
    try:
        made = saved.saved_create(
            actor=request.user,
            data={
                "name": request.POST.get("name", ""),
                "report": name,
                "query": query,
                "period": request.POST.get("period", "month")
                if request.POST.get("period") in ("month", "quarter", "year")
                else "month",
            },
        )
    except ValidationError as exc:
        from django.contrib import messages

        messages.error(request, _errors(exc))
        return redirect(f"{base_url(name)}?{urlencode(query)}")
    return redirect(made.get_absolute_url())


@login_required
def saved_page(request: HttpRequest, pk: int) -> HttpResponse:
    from sencrm.reports import saved
    from sencrm.reports.models import Schedule, ScheduleFormat
    from sencrm.users.models import Role, Team

    user = request.user
    item = saved.get_visible(user, pk)
    report = saved.report_of(item)
    error = ""
    try:
        params = saved.params_of(item, request.GET)
    except ValidationError as exc:
        params, error = saved.params_of(item), _errors(exc)
    result = base.run_report(user, report, params)
    period = params.period
    context = {
        "item": item,
        "report": report,
        "result": result,
        "table": present.table(
            result, f"saved-{item.pk}", drill_url=reverse_saved("reports:saved_drill", item.pk)
        ),
        "params": params,
        "error": error,
        "form": _form(request, report, params),
        "previous_label": period.previous().label(),
        "last_year_label": period.last_year().label(),
        "export_query": urlencode(params.query()),
        "can_export": access.can(user, Module.REPORTS, Action.EXPORT),
        "can_change": saved.can_change(user, item),
        "teams": Team.objects.order_by("name")
        if access.can(user, Module.ADMIN, Action.EDIT)
        else Team.objects.filter(pk__in=getattr(user, "team_ids", frozenset)()).order_by("name"),
        "roles": Role.objects.order_by("name"),
        "schedules": Schedule.choices,
        "formats": ScheduleFormat.choices,
    }
    return render(request, "reports/saved.html", context, status=400 if error else 200)


def reverse_saved(name: str, pk: int) -> str:
    from django.urls import reverse

    return reverse(name, args=[pk])


@login_required
def saved_edit(request: HttpRequest, pk: int) -> HttpResponse:
    from django.contrib import messages
    from django.shortcuts import redirect

    from sencrm.reports import saved
    from sencrm.users.models import Role, Team

    item = saved.get_visible(request.user, pk)
    if request.method != "POST":
        return redirect(item.get_absolute_url())
    if request.POST.get("action") == "delete":
        saved.saved_delete(item, actor=request.user)
        return redirect("reports:index")
    team_id = request.POST.get("shared_team") or ""
    role_id = request.POST.get("shared_role") or ""
    data = {
        "name": request.POST.get("name", item.name),
        "period": request.POST.get("period", item.period),
        "shared_team": Team.objects.filter(pk=int(team_id)).first() if team_id.isdigit() else None,
        "shared_role": Role.objects.filter(pk=int(role_id)).first() if role_id.isdigit() else None,
        "on_dashboard": request.POST.get("on_dashboard") == "on",
        "schedule": request.POST.get("schedule", ""),
        "schedule_format": request.POST.get("schedule_format", "pdf"),
        "send_to_shared": request.POST.get("send_to_shared") == "on",
    }
    try:
        saved.saved_update(item, actor=request.user, data=data)
    except ValidationError as exc:
        messages.error(request, _errors(exc))
    else:
        messages.success(request, _("The report was saved."))
    return redirect(item.get_absolute_url())


@login_required
@require_GET
def saved_drill(request: HttpRequest, pk: int) -> HttpResponse:
    from sencrm.reports import saved

    user = request.user
    item = saved.get_visible(user, pk)
    report = saved.report_of(item)
    try:
        params = saved.params_of(item, request.GET)
    except ValidationError as exc:
        return render(request, "reports/drill.html", {"error": _errors(exc), "report": report}, status=400)
    base.report_level(user)
    detail = report.drill(user, params, request.GET.get("key", "")[:100], request.GET.get("column", "")[:50])
    context = {
        "report": report,
        "detail": detail,
        "rows": present.drill_rows(detail),
        "total": present.display(detail.total, _total_kind(detail)),
        "params": params,
        "back": f"{item.get_absolute_url()}?{urlencode(params.query())}",
    }
    return render(request, "reports/drill.html", context)


@login_required
@require_GET
def saved_export(request: HttpRequest, pk: int) -> HttpResponseBase:
    from sencrm.reports import saved

    user = request.user
    access.check_module(user, Module.REPORTS, Action.EXPORT)
    item = saved.get_visible(user, pk)
    try:
        params = saved.params_of(item, request.GET)
    except ValidationError as exc:
        return HttpResponse(_errors(exc), status=400, content_type="text/plain; charset=utf-8")
    fmt = request.GET.get("format", "csv")
    if fmt not in ("csv", "xlsx", "pdf"):
        return HttpResponse(
            _("Choose one of: %(values)s.") % {"values": "csv, xlsx, pdf"},
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    result = base.run_report(user, saved.report_of(item), params)
    filename = f"report-{item.pk}-{params.period.date_from:%Y%m%d}-{params.period.date_to:%Y%m%d}"
    if fmt == "pdf":
        return pdf_response(result, item.report, filename)
    header, rows = present.export_rows(result)
    if fmt == "xlsx":
        return xlsx_response(filename, header, rows)
    return csv_response(filename, header, rows)


@login_required
def rfm_save_segment(request: HttpRequest) -> HttpResponse:
    """Save one RFM segment's contacts as a frozen marketing segment (marketing's create right)."""
    import datetime as dt

    from django.contrib import messages
    from django.shortcuts import redirect

    from sencrm.reports import loyalty

    if request.method != "POST":
        return redirect("reports:report", name="rfm")
    access.check_module(request.user, Module.REPORTS, Action.VIEW)
    access.check_module(request.user, Module.MARKETING, Action.CREATE)
    raw = request.POST.get("date", "")[:10]
    try:
        until = dt.date.fromisoformat(raw)
    except ValueError:
        until = timezone.localdate()
    name = request.POST.get("name", "").strip()
    try:
        segment = loyalty.save_as_segment(request.user, until, request.POST.get("segment", ""), name)
    except ValidationError as exc:
        messages.error(request, _errors(exc))
        return redirect(f"{base_url('rfm')}?{urlencode({'date': until.isoformat()})}")
    return redirect(segment.get_absolute_url())
