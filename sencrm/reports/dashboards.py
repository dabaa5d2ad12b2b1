"""Dashboards: widgets built from the canned reports, a default set per role, each user's own order.

A widget is a key in WIDGETS: a title, a template and a function computing its context as the reader
(every figure through `base.run` or the reports' own querysets, so under the reports scope). The board's
default: revenue this month against the target and last year, cash in, the pipeline, new customers,
retention, SLA compliance and CSAT, the revenue of the last twelve months and the month's best sellers.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import DecimalField, F, Sum
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from sencrm.core import access, homepage
from sencrm.core.db import analytic_query
from sencrm.core.modules import Action, Module
from sencrm.reports import base, revenue
from sencrm.reports.models import Dashboard, RevenueTarget


@dataclass(frozen=True)
class Widget:
    key: str
    title: str | Promise
    compute: Callable[[Any, dt.date], dict[str, Any] | None]
    wide: bool = False
    report: str = ""  # the canned report it opens


def _month(today: dt.date) -> base.Period:
    return base.Period.containing("month", today)


def _pct(part: Any, whole: Any) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"))


def _query(report: str, period: base.Period, **extra: str) -> str:
    from urllib.parse import urlencode

    from django.urls import reverse

    q = {
        "period": period.kind,
        "date_from": period.date_from.isoformat(),
        "date_to": period.date_to.isoformat(),
    }
    return f"{reverse('reports:report', args=[report])}?{urlencode({**q, **extra})}"


def revenue_month(user: Any, today: dt.date) -> dict[str, Any]:
    month = _month(today)
    so_far = base.Period("month", month.date_from, today)  # this month up to today
    value = revenue.revenue_total(user, month)
    last_year = revenue.revenue_total(user, so_far.last_year())
    target = RevenueTarget.objects.filter(month=month.date_from).values_list("amount", flat=True).first()
    return {
        "value": value,
        "kind": base.MONEY,
        "target": target,
        "target_percent": _pct(value, target),
        "last_year": last_year,
        "change": base.change(value, last_year),
        "compare_label": _("same days last year"),
        "url": _query("revenue", month, group_by="day"),
    }


def cash_month(user: Any, today: dt.date) -> dict[str, Any]:
    month = _month(today)
    so_far = base.Period("month", month.date_from, today)
    value = revenue.cash_total(user, month)
    last_year = revenue.cash_total(user, so_far.last_year())
    return {
        "value": value,
        "kind": base.MONEY,
        "last_year": last_year,
        "change": base.change(value, last_year),
        "compare_label": _("same days last year"),
        "url": _query("revenue", month, group_by="day"),
    }


def pipeline(user: Any, today: dt.date) -> dict[str, Any]:
    from sencrm.sales.choices import OpportunityStatus
    from sencrm.sales.models import Opportunity

    level = base.report_level(user)
    qs = base.in_scope(
        Opportunity.objects.filter(deleted_at__isnull=True, status=OpportunityStatus.OPEN), user, level
    )
    money = DecimalField(max_digits=20, decimal_places=2)
    agg = qs.aggregate(
        total=Sum("amount", output_field=money),
        weighted=Sum(F("amount") * F("probability") / 100, output_field=money),
    )
    url = _query("sales", _month(today)) if "sales" in base.REGISTRY else ""
    return {
        "value": Decimal(agg["total"] or 0).quantize(Decimal(1)),
        "kind": base.MONEY,
        "secondary": Decimal(agg["weighted"] or 0).quantize(Decimal(1)),
        "secondary_label": _("weighted by probability"),
        "url": url,
    }


def new_customers(user: Any, today: dt.date) -> dict[str, Any]:
    from sencrm.customers.models import Account, Contact

    month = _month(today)
    level = base.report_level(user)

    def count(period: base.Period) -> int:
        start, end = period.bounds()
        contacts = base.in_scope(
            Contact.objects.filter(first_receipt_at__gte=start, first_receipt_at__lt=end), user, level
        ).count()
        accounts = base.in_scope(
            Account.objects.filter(first_receipt_at__gte=start, first_receipt_at__lt=end), user, level
        ).count()
        return contacts + accounts

    value = count(month)
    last_year = count(base.Period("month", month.date_from, today).last_year())
    return {
        "value": value,
        "kind": base.COUNT,
        "last_year": last_year,
        "change": base.change(value, last_year),
        "compare_label": _("same days last year"),
        "url": _query("retention", month) if "retention" in base.REGISTRY else "",
    }


def _canned_total(
    name: str, key: str, period: base.Period, user: Any, group_by: str | None = None
) -> tuple[Any, Any] | None:
    report = base.REGISTRY.get(name)
    if report is None:
        return None
    params = base.Params(period=period, group_by=group_by or report.default_group_by)
    current = report.compute(user, params).totals.get(key)
    before = report.compute(user, params.with_period(period.previous())).totals.get(key)
    return current, before


def retention(user: Any, today: dt.date) -> dict[str, Any] | None:
    """The retention report's rate for this quarter and the one before, without its lifetime figures:
    one pass over three quarters of purchases (`loyalty.retention_rates`)."""
    if "retention" not in base.REGISTRY:
        return None
    from sencrm.reports import loyalty

    quarter = base.Period.containing("quarter", today)
    value, previous = loyalty.retention_rates(user, "quarter", quarter)
    return {
        "value": value,
        "kind": base.PERCENT,
        "previous": previous,
        "compare_label": _("previous quarter"),
        "url": _query("retention", quarter, group_by="month"),
    }


def sla(user: Any, today: dt.date) -> dict[str, Any] | None:
    month = _month(today)
    got = _canned_total("sla", "sla_compliance", month, user)
    if got is None:
        return None
    return {
        "value": got[0],
        "kind": base.PERCENT,
        "previous": got[1],
        "compare_label": _("previous month"),
        "url": _query("sla", month),
    }


def csat(user: Any, today: dt.date) -> dict[str, Any] | None:
    month = _month(today)
    got = _canned_total("csat", "csat", month, user)
    if got is None:
        return None
    return {
        "value": got[0],
        "kind": base.PERCENT,
        "previous": got[1],
        "compare_label": _("previous month"),
        "url": _query("csat", month),
    }


def revenue_chart(user: Any, today: dt.date) -> dict[str, Any]:
    """Invoiced revenue of the last twelve months, beside the twelve months a year earlier."""
    first = base.add_months(today.replace(day=1), -11)
    period = base.Period("custom", first, base.month_end(today))
    # The revenue report's figure by month, both years in one grouped query (the widget shows no cash).
    both = base.Period("custom", base.add_months(first, -12), period.date_to)
    by_month = revenue.revenue_by_month(user, both)
    months = [base.add_months(first, i) for i in range(12)]
    keys = [base.bucket_key("month", m) for m in months]
    earlier = [base.bucket_key("month", base.add_months(m, -12)) for m in months]
    return {
        "chart": {
            "type": "bar",
            "labels": [base.bucket_label("month", k) for k in keys],
            "datasets": [
                {"label": str(_("Invoiced revenue")), "data": [float(by_month.get(k, 0)) for k in keys]},
                {"label": str(_("A year earlier")), "data": [float(by_month.get(k, 0)) for k in earlier]},
            ],
        },
        "url": _query("revenue", period, group_by="month"),
    }


def best_sellers(user: Any, today: dt.date) -> dict[str, Any]:
    month = _month(today)
    report = base.REGISTRY["best-sellers"]
    result = report.compute(user, base.Params(period=month, group_by="product", options={"by": "revenue"}))
    return {"rows": result.rows[:5], "url": _query("best-sellers", month)}


WIDGETS: dict[str, Widget] = {
    w.key: w
    for w in (
        Widget("revenue_month", _("Revenue this month"), revenue_month, report="revenue"),
        Widget("cash_month", _("Cash in this month"), cash_month, report="revenue"),
        Widget("pipeline", _("Open pipeline"), pipeline, report="sales"),
        Widget("new_customers", _("New customers this month"), new_customers, report="retention"),
        Widget("retention", _("Retention this quarter"), retention, report="retention"),
        Widget("sla", _("SLA compliance this month"), sla, report="sla"),
        Widget("csat", _("CSAT this month"), csat, report="csat"),
        Widget("revenue_chart", _("Revenue, last 12 months"), revenue_chart, wide=True, report="revenue"),
        Widget("best_sellers", _("Best sellers this month"), best_sellers, wide=True, report="best-sellers"),
    )
}
DEFAULT = list(WIDGETS)


def layout(user: Any) -> list[str]:
    """The user's widgets in order: their own arrangement, else the default."""
    saved = Dashboard.objects.filter(user_id=user.pk).values_list("widgets", flat=True).first()
    keys = [k for k in (saved or DEFAULT) if k in WIDGETS]
    return keys if saved is not None else DEFAULT


def arrange(user: Any, keys: list[str]) -> list[str]:
    """Save the user's own arrangement (unknown keys are dropped; an empty list is allowed); event
    `dashboard.arranged`."""
    from sencrm.events.services import event_emit

    access.check_module(user, Module.REPORTS, Action.VIEW)
    clean = list(dict.fromkeys(k for k in keys if k in WIDGETS))
    with transaction.atomic():
        board, _created = Dashboard.objects.update_or_create(user_id=user.pk, defaults={"widgets": clean})
        event_emit(type="dashboard.arranged", subject=board, actor=user, data={"widgets": clean})
    return clean


def reset(user: Any) -> None:
    """Back to the role's default arrangement; event `dashboard.reset` when there was one of the user's."""
    from sencrm.events.services import event_emit

    with transaction.atomic():
        board = Dashboard.objects.select_for_update().filter(user_id=user.pk).first()
        if board is not None:
            event_emit(type="dashboard.reset", subject=board, actor=user, data={"widgets": board.widgets})
            board.delete()


def targets_set(*, actor: Any, values: dict[dt.date, Decimal | None]) -> int:
    """Set (an amount) or clear (None) the revenue target of each month given (administrators); one event
    `revenue_target.set` or `revenue_target.cleared` per month that changed. Answers how many changed."""
    from sencrm.events.services import event_emit

    access.check_module(actor, Module.ADMIN, Action.EDIT)
    changed = 0
    with transaction.atomic():
        existing = {
            t.month: t for t in RevenueTarget.objects.select_for_update().filter(month__in=list(values))
        }
        for month, amount in sorted(values.items()):
            current = existing.get(month)
            data: dict[str, Any] = {
                "month": month.isoformat(),
                "before": None if current is None else str(current.amount),
            }
            if amount is None:
                if current is None:
                    continue
                event_emit(type="revenue_target.cleared", subject=current, actor=actor, data=data)
                current.delete()
            elif current is None or current.amount != amount:
                target, _created = RevenueTarget.objects.update_or_create(
                    month=month, defaults={"amount": amount}
                )
                event_emit(
                    type="revenue_target.set",
                    subject=target,
                    actor=actor,
                    data={**data, "amount": str(amount)},
                )
            else:
                continue
            changed += 1
    return changed


def widgets(user: Any, today: dt.date | None = None) -> list[dict[str, Any]]:
    """The user's dashboard, computed as the user reads it."""
    base.report_level(user)
    today = today or timezone.localdate()
    out = []
    with analytic_query():  # one transaction with the heavy reads' settings for every widget
        computed = {key: WIDGETS[key].compute(user, today) for key in layout(user)}
    for key, data in computed.items():
        widget = WIDGETS[key]
        if data is None:
            continue
        out.append(
            {"key": key, "title": widget.title, "wide": widget.wide, "chart_id": f"chart-{key}", **data}
        )
    out += saved_widgets(user)
    return out


def saved_widgets(user: Any) -> list[dict[str, Any]]:
    """The user's saved reports put on their dashboard: the chart, else the first rows."""
    from sencrm.reports import saved
    from sencrm.reports.models import SavedReport

    out = []
    for item in SavedReport.objects.filter(owner_id=user.pk, on_dashboard=True).order_by("name")[:12]:
        try:
            result = saved.run(user, item)
        except ValidationError:
            continue  # a definition that no longer validates (a field removed): shown on its own page
        column = result.columns[0] if result.columns else None
        rows = [
            {"rank": i, "label": r["label"], "value": r.get(column.key) if column else None}
            for i, r in enumerate(result.rows[:5], start=1)
        ]
        out.append(
            {
                "key": f"saved-{item.pk}",
                "title": item.name,
                "wide": True,
                "chart_id": f"chart-saved-{item.pk}",
                "chart": result.chart if result.chart and result.chart.get("labels") else None,
                "saved_rows": rows,
                "kind": column.kind if column else base.COUNT,
                "url": item.get_absolute_url(),
            }
        )
    return out


@homepage.register
def board_home(user: Any) -> dict[str, Any]:
    """The board's home page is its dashboard (the role reads dashboards and reports only); other roles
    with reports open it from the menu."""
    if access.can(user, Module.REPORTS, Action.VIEW) and not _works_records(user):
        return {"dashboard": widgets(user)}
    return {}


def _works_records(user: Any) -> bool:
    return any(
        access.can(user, module, Action.VIEW)
        for module in Module.values
        if module not in (Module.REPORTS, Module.ADMIN)
    )
