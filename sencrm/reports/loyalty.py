# ruff: noqa: S608 - derived tables over SQL that Django compiled; every value is a parameter
"""Customers: retention, churn, repeat purchase and lifetime value; cohorts; RFM segments.

Definitions (docs/decisions.md, "Reports and dashboards"):

- **A customer** is an invoice's contact when it names one, else its account; **a purchase** is a live
  invoice (issued, partly paid or paid; VND; not a credit adjustment; not in the trash) on its issue date,
  among the invoices in the reader's reports scope.
- **Active in a period**: at least one purchase in it.
- **Retention rate of a period** = the customers active in the period before *and* in this one, divided
  by those active in the period before (the seeds' "retention went from 70 % to 78 %" is this, year on
  year); **churn** = 100 − retention. By month, quarter or year, each bucket is compared with the bucket
  just before it (a month with the month before).
- **New customers** of a bucket: whose first purchase ever is in it. **Repeat purchase rate** of the
  period: the share of its active customers who had two or more purchases by its end.
- **Customer lifetime value** (at the period's end): invoiced revenue before VAT of all purchases up to
  then, divided by the customers who made them.
- **Cohorts**: customers by the month of their first purchase × the months after it in which they bought
  (month 0 is the first purchase's month).
- **RFM** over the 12 months ending on the period's last day: recency (days since the last purchase),
  frequency (purchases), monetary (revenue before VAT), scored 1–5 on fixed steps (recency ≤ 30, 60, 120,
  240 days; frequency 1, 2, 3, 4–5, 6+; monetary under 5, 15, 40, 100 million đồng, then more) and named
  by recency and frequency: champions (R ≥ 4, F ≥ 4), loyal (R ≥ 3, F ≥ 3), new (R ≥ 4, F = 1), promising
  (R ≥ 3), cannot lose them (R = 1, F ≥ 4), at risk (F ≥ 3), hibernating (R = 2), lost (the rest).

In SQL: each report compiles the pairs (customer, bucket) of the purchases as a derived table and counts
with one GROUP BY over it (a self-join for retention, a join with each customer's first bucket for new
customers and cohorts, the per-customer aggregates for RFM) — a constant number of queries whatever the
number of invoices or buckets.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import connection, models
from django.db.models import Case, Count, ExpressionWrapper, F, IntegerField, Max, Q, Sum, Value, When
from django.db.models.functions import ExtractMonth, ExtractQuarter, ExtractYear
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from sencrm.billing.models import LIVE_STATUSES, Invoice
from sencrm.reports import base, dims
from sencrm.reports.base import (
    COUNT,
    DAYS,
    MONEY,
    PERCENT,
    ZERO,
    Column,
    Drill,
    Params,
    Period,
    Report,
    Result,
)

AMOUNT = models.DecimalField(max_digits=20, decimal_places=2)
RFM_DAYS = 365
SEGMENTS: tuple[tuple[str, Any], ...] = (
    ("champions", gettext_lazy("Champions")),
    ("loyal", gettext_lazy("Loyal customers")),
    ("new", gettext_lazy("New customers")),
    ("promising", gettext_lazy("Promising")),
    ("cannot_lose", gettext_lazy("Cannot lose them")),
    ("at_risk", gettext_lazy("At risk")),
    ("hibernating", gettext_lazy("Hibernating")),
    ("lost", pgettext_lazy("rfm segment", "Lost")),
)


def customer_key() -> Case:
    """One integer per customer: the contact's id × 2, else the account's id × 2 + 1."""
    return Case(
        When(contact_id__isnull=False, then=F("contact_id") * 2),
        default=F("account_id") * 2 + 1,
        output_field=IntegerField(),
    )


def bucket_index(bucket: str, column: str = "issue_date") -> Any:
    """A bucket as an integer that counts up by one from a bucket to the next (months: year × 12 + month)."""
    if bucket == "month":
        return ExtractYear(column) * 12 + ExtractMonth(column)
    if bucket == "quarter":
        return ExtractYear(column) * 4 + ExtractQuarter(column)
    return ExtractYear(column) + 0


def index_of(bucket: str, day: dt.date) -> int:
    if bucket == "month":
        return day.year * 12 + day.month
    if bucket == "quarter":
        return day.year * 4 + (day.month - 1) // 3 + 1
    return day.year


def period_of(bucket: str, index: int) -> Period:
    if bucket == "month":
        year, month = divmod(index - 1, 12)
        return Period.containing("month", dt.date(year, month + 1, 1))
    if bucket == "quarter":
        year, quarter = divmod(index - 1, 4)
        return Period.containing("quarter", dt.date(year, quarter * 3 + 1, 1))
    return Period.containing("year", dt.date(index, 1, 1))


def purchases(user: Any, until: dt.date | None = None, since: dt.date | None = None) -> Any:
    """The live invoices in the reader's reports scope, as purchases, with their customer key."""
    level = base.report_level(user)
    qs = Invoice.objects.filter(
        deleted_at__isnull=True, status__in=LIVE_STATUSES, currency="VND", is_credit=False
    ).filter(Q(contact__isnull=False) | Q(account__isnull=False))
    if until is not None:
        qs = qs.filter(issue_date__lte=until)
    if since is not None:
        qs = qs.filter(issue_date__gte=since)
    return base.in_scope(qs, user, level).annotate(ck=customer_key()).order_by()


def first_bought_in(user: Any, period: Period) -> models.QuerySet[Any]:
    """The keys of the customers whose first purchase is in the period: one grouped pass over the
    purchases up to its end (not NOT IN over the earlier ones, which PostgreSQL cannot hash when they
    are many, and then compares row by row)."""
    keys: models.QuerySet[Any] = (
        purchases(user, until=period.date_to)
        .values("ck")
        .annotate(first=models.Min("issue_date"))
        .filter(first__gte=period.date_from)
        .values("ck")
    )
    return keys


def _sql(qs: models.QuerySet[Any]) -> tuple[str, tuple[Any, ...]]:
    sql, params = qs.query.sql_with_params()
    return sql, tuple(params)


def _rows(sql: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


def _pct(part: Any, whole: Any) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"))


def _bought_in(buckets: list[Period]) -> dict[str, Any]:
    """Per customer, a0, a1…: 1 if they bought in that bucket, else 0 (aggregates over their purchases)."""
    return {
        f"a{i}": Max(
            Case(
                When(issue_date__gte=b.date_from, issue_date__lte=b.date_to, then=Value(1)),
                default=Value(0),
                output_field=IntegerField(),
            )
        )
        for i, b in enumerate(buckets)
    }


def retention_figures(
    user: Any, bucket: str, period: Period
) -> tuple[dict[int, dict[str, Any]], dict[str, Any]]:
    """Per bucket of the period (month, quarter or year index): active customers, base (active the bucket
    before), retained, new; and the whole period's retention, churn, repeat rate, new customers and
    lifetime value against the period just before it.

    One query: the purchases up to the period's end grouped per customer (first purchase, purchases and
    revenue in all, in the period and in the period before, and whether they bought in each bucket), then
    summed over the customers — one pass over the invoices whatever the number of buckets."""
    first, last = index_of(bucket, period.date_from), index_of(bucket, period.date_to)
    before = period.previous()
    buckets = [period_of(bucket, i) for i in range(first - 1, last + 1)]
    net = ExpressionWrapper(F("total") - F("vat_total"), output_field=AMOUNT)
    in_period = Q(issue_date__gte=period.date_from)
    in_before = Q(issue_date__gte=before.date_from, issue_date__lte=before.date_to)
    per_bucket = _bought_in(buckets)
    inner = (
        purchases(user, until=period.date_to)
        .values("ck")
        .annotate(
            c_first=models.Min("issue_date"),
            n_total=Count("id"),
            rev_total=Sum(net),
            n_period=Count("id", filter=in_period),
            rev_period=Sum(net, filter=in_period),
            n_before=Count("id", filter=in_before),
            **per_bucket,
        )
    )
    sql, params = _sql(inner)
    columns = [
        "COUNT(*)",
        "SUM(t.rev_total)",
        "SUM(CASE WHEN t.n_period > 0 THEN 1 ELSE 0 END)",
        "SUM(t.rev_period)",
        "SUM(CASE WHEN t.n_before > 0 THEN 1 ELSE 0 END)",
        "SUM(CASE WHEN t.n_before > 0 AND t.n_period > 0 THEN 1 ELSE 0 END)",
        "SUM(CASE WHEN t.c_first >= %s THEN 1 ELSE 0 END)",
        "SUM(CASE WHEN t.n_period > 0 AND t.n_total >= 2 THEN 1 ELSE 0 END)",
    ]
    outer: list[Any] = [period.date_from]
    for i, b in enumerate(buckets):
        columns.append(f"SUM(t.a{i})")
        columns.append(f"SUM(t.a{i} * t.a{i - 1})" if i else "0")
        columns.append("SUM(CASE WHEN t.c_first >= %s AND t.c_first <= %s THEN 1 ELSE 0 END)")
        outer += [b.date_from, b.date_to]
    [row] = _rows(f"SELECT {', '.join(columns)} FROM ({sql}) t", (*outer, *params))
    return _bucket_figures(row, first, last), _period_totals(row)


def retention_rates(user: Any, bucket: str, period: Period) -> tuple[Decimal | None, Decimal | None]:
    """The retention rate of a period (month, quarter or year: `bucket`) and of the one before, as the
    retention report's totals compute them, without its lifetime figures: one grouped pass over the
    purchases of the three periods (the one two back is the base of the one before)."""
    index = index_of(bucket, period.date_from)
    buckets = [period_of(bucket, i) for i in (index - 2, index - 1, index)]
    flags = _bought_in(buckets)
    inner = (
        purchases(user, until=buckets[2].date_to, since=buckets[0].date_from).values("ck").annotate(**flags)
    )
    sql, params = _sql(inner)
    [row] = _rows(f"SELECT SUM(t.a1), SUM(t.a1 * t.a2), SUM(t.a0), SUM(t.a0 * t.a1) FROM ({sql}) t", params)
    base_n, retained, before_base, before_retained = (_int(v) for v in row)
    return _pct(retained, base_n), _pct(before_retained, before_base)


def _int(value: Any) -> int:
    return int(value or 0)


def _money_of(value: Any) -> Decimal:
    return Decimal(str(value or 0)).quantize(Decimal(1))


def _bucket_figures(row: tuple[Any, ...], first: int, last: int) -> dict[int, dict[str, Any]]:
    out: dict[int, dict[str, Any]] = {}
    for position, index in enumerate(range(first, last + 1), start=1):
        active, retained, new = row[8 + 3 * position : 11 + 3 * position]
        out[index] = {
            "customers": _int(active),
            "base": _int(row[8 + 3 * (position - 1)]),
            "retained": _int(retained),
            "new": _int(new),
        }
    return out


def _period_totals(row: tuple[Any, ...]) -> dict[str, Any]:
    lifetime_n, lifetime_revenue, active, revenue, base_n, retained, new, repeat = row[:8]
    retention = _pct(_int(retained), _int(base_n))
    return {
        "customers": _int(active),
        "base": _int(base_n),
        "retained": _int(retained),
        "retention": retention,
        "churn": (Decimal(100) - retention) if retention is not None else None,
        "new": _int(new),
        "repeat_rate": _pct(_int(repeat), _int(active)),
        "revenue": _money_of(revenue),
        "clv": (_money_of(lifetime_revenue) / _int(lifetime_n)).quantize(Decimal(1)) if lifetime_n else None,
    }


@base.register
class RetentionReport(Report):
    name = "retention"
    title = gettext_lazy("Retention")
    description = gettext_lazy(
        "Customers who bought again: retention and churn by month, quarter or year, new customers, the "
        "repeat purchase rate and customer lifetime value."
    )
    section = "customers"
    group_bys = ("month", "quarter", "year")
    default_group_by = "month"
    compare = False  # each bucket is compared with the one before; the totals with the period before

    def compute(self, user: Any, params: Params) -> Result:
        bucket, period = params.group_by, params.period
        first, last = index_of(bucket, period.date_from), index_of(bucket, period.date_to)
        figures, totals = retention_figures(user, bucket, period)
        rows = []
        for index in range(first, last + 1):
            f = figures[index]
            own = period_of(bucket, index)
            retention = _pct(f["retained"], f["base"])
            rows.append(
                {
                    "key": base.bucket_key(bucket, own.date_from),
                    "label": own.label(),
                    "customers": f["customers"],
                    "base": f["base"],
                    "retained": f["retained"],
                    "retention": retention,
                    "churn": (Decimal(100) - retention) if retention is not None else None,
                    "new": f["new"],
                    "drill": True,
                }
            )
        chart = {
            "type": "line",
            "labels": [r["label"] for r in rows],
            "datasets": [
                {"label": str(_("Retention rate (%)")), "data": [float(r["retention"] or 0) for r in rows]}
            ],
        }
        return Result(
            title=self.title,
            params=params,
            group_label=self.group_label(bucket),
            columns=[
                Column("customers", gettext_lazy("Active customers"), COUNT, drill=True),
                Column("base", gettext_lazy("Active the period before"), COUNT),
                Column("retained", gettext_lazy("Bought again"), COUNT, drill=True),
                Column("retention", gettext_lazy("Retention rate"), PERCENT),
                Column("churn", gettext_lazy("Churn"), PERCENT),
                Column("new", gettext_lazy("New customers"), COUNT, drill=True),
            ],
            rows=rows,
            totals={k: totals[k] for k in ("customers", "base", "retained", "retention", "churn", "new")},
            chart=chart,
            notes=[
                _(
                    "Retention: the customers who bought in the period before and bought again in this one, "
                    "divided by those who bought in the period before."
                ),
                _("Whole period: repeat purchase rate %(repeat)s, customer lifetime value %(clv)s.")
                % {
                    "repeat": f"{totals['repeat_rate']} %" if totals["repeat_rate"] is not None else "—",
                    "clv": f"{totals['clv']:,} ₫".replace(",", ".") if totals["clv"] is not None else "—",
                },
            ],
            extra={"repeat_rate": totals["repeat_rate"], "clv": totals["clv"], "revenue": totals["revenue"]},
        )

    def drill(self, user: Any, params: Params, key: str, column: str) -> Drill:
        bounds = dims.bucket_period(params.group_by, key)
        if bounds is None or column not in ("customers", "retained", "new"):
            return Drill("", [], [], None, 0)
        own = Period("custom", bounds[0], bounds[1])
        now = purchases(user, until=own.date_to, since=own.date_from)
        keys = now.values("ck")
        if column == "retained":
            before = period_of(params.group_by, index_of(params.group_by, own.date_from) - 1)
            keys = now.filter(
                ck__in=purchases(user, until=before.date_to, since=before.date_from).values("ck")
            ).values("ck")
        elif column == "new":
            keys = first_bought_in(user, own)
        return customers_drill(user, keys, own.date_to)


def customers_drill(user: Any, keys: models.QuerySet[Any], until: dt.date) -> Drill:
    """The customers whose keys are in `keys`: name, first and last purchase, revenue up to `until`."""
    grouped = (
        purchases(user, until=until)
        .filter(ck__in=keys)
        .values("ck", "contact_id", "account_id")
        .annotate(
            first=models.Min("issue_date"),
            last=Max("issue_date"),
            revenue=Sum(F("total") - F("vat_total"), output_field=AMOUNT),
            n=Count("id"),
        )
        .order_by("-revenue")
    )
    count = purchases(user, until=until).filter(ck__in=keys).aggregate(n=Count("ck", distinct=True))["n"]
    page = list(grouped[:500])
    from sencrm.customers.models import Account, Contact

    contacts = dict(
        Contact.objects.filter(pk__in=[r["contact_id"] for r in page if r["contact_id"]]).values_list(
            "pk", "full_name"
        )
    )
    accounts = dict(
        Account.objects.filter(pk__in=[r["account_id"] for r in page if not r["contact_id"]]).values_list(
            "pk", "name"
        )
    )
    rows = []
    for r in page:
        if r["contact_id"]:
            name, url = (
                contacts.get(r["contact_id"], ""),
                reverse("customers:contact_detail", args=[r["contact_id"]]),
            )
        else:
            name, url = (
                accounts.get(r["account_id"], ""),
                reverse("customers:account_detail", args=[r["account_id"]]),
            )
        rows.append(
            {
                "customer": name,
                "url": url,
                "first": r["first"],
                "last": r["last"],
                "purchases": r["n"],
                "revenue": Decimal(r["revenue"] or 0).quantize(Decimal(1)),
            }
        )
    return Drill(
        title=str(_("Customers")),
        columns=[
            ("customer", gettext_lazy("Customer"), "link"),
            ("first", gettext_lazy("First purchase"), "date"),
            ("last", gettext_lazy("Last purchase"), "date"),
            ("purchases", gettext_lazy("Purchases"), COUNT),
            ("revenue", gettext_lazy("Revenue before VAT"), MONEY),
        ],
        rows=rows,
        total=count,
        count=count,
        total_key="count",
    )


@base.register
class CohortsReport(Report):
    name = "cohorts"
    title = gettext_lazy("Cohort retention")
    description = gettext_lazy(
        "Customers by the month of their first purchase, and the share of them buying again each month after."
    )
    section = "customers"
    group_bys = ("month",)
    default_group_by = "month"
    compare = False
    MONTHS = 12

    def compute(self, user: Any, params: Params) -> Result:
        period = params.period
        first, last = index_of("month", period.date_from), index_of("month", period.date_to)
        horizon = base.month_end(base.add_months(period.date_to, self.MONTHS))
        pairs = purchases(user, until=horizon).annotate(b=bucket_index("month")).values("ck", "b").distinct()
        firsts = (
            purchases(user, until=horizon)
            .annotate(b=bucket_index("month"))
            .values("ck")
            .annotate(f=models.Min("b"))
            .values("ck", "f")
        )
        psql, pparams = _sql(pairs)
        fsql, fparams = _sql(firsts)
        sql = (
            f"SELECT f.f, p.b - f.f, COUNT(*) FROM ({psql}) p JOIN ({fsql}) f ON f.ck = p.ck "
            f"WHERE f.f >= %s AND f.f <= %s AND p.b - f.f <= %s GROUP BY f.f, p.b - f.f"
        )
        counts: dict[int, dict[int, int]] = {}
        for f, k, n in _rows(sql, pparams + fparams + (first, last, self.MONTHS)):
            counts.setdefault(int(f), {})[int(k)] = n
        today_index = index_of("month", timezone.localdate())
        rows, matrix_rows = [], []
        for index in range(first, last + 1):
            size = counts.get(index, {}).get(0, 0)
            cells: list[dict[str, Any] | None] = []
            for k in range(self.MONTHS + 1):
                if index + k > today_index:
                    cells.append(None)
                    continue
                n = counts.get(index, {}).get(k, 0)
                cells.append({"count": n, "percent": _pct(n, size) if size else None})
            label = period_of("month", index).label()
            month1 = cells[1]["percent"] if len(cells) > 1 and cells[1] else None
            rows.append(
                {
                    "key": base.bucket_key("month", period_of("month", index).date_from),
                    "label": label,
                    "customers": size,
                    "month_1": month1,
                    "month_3": cells[3]["percent"] if cells[3] else None,
                    "month_6": cells[6]["percent"] if cells[6] else None,
                    "month_12": cells[12]["percent"] if cells[12] else None,
                    "drill": True,
                }
            )
            matrix_rows.append({"label": label, "size": size, "cells": cells})
        return Result(
            title=self.title,
            params=params,
            group_label=_("First purchase"),
            columns=[
                Column("customers", gettext_lazy("New customers"), COUNT, drill=True),
                Column("month_1", gettext_lazy("Month 1 (%)"), PERCENT),
                Column("month_3", gettext_lazy("Month 3 (%)"), PERCENT),
                Column("month_6", gettext_lazy("Month 6 (%)"), PERCENT),
                Column("month_12", gettext_lazy("Month 12 (%)"), PERCENT),
            ],
            rows=rows,
            totals={
                "customers": sum(r["customers"] for r in rows),
                "month_1": None,
                "month_3": None,
                "month_6": None,
                "month_12": None,
            },
            extra={"matrix": {"months": list(range(self.MONTHS + 1)), "rows": matrix_rows}},
            notes=[
                _(
                    "Each cell: the share of the cohort's customers who bought in that month after "
                    "their first."
                )
            ],
        )

    def drill(self, user: Any, params: Params, key: str, column: str) -> Drill:
        bounds = dims.bucket_period("month", key)
        if bounds is None or column != "customers":
            return Drill("", [], [], None, 0)
        own = Period("custom", bounds[0], bounds[1])
        return customers_drill(user, first_bought_in(user, own), own.date_to)


def _score(expr: str, steps: tuple[Any, ...], ascending: bool) -> str:
    """A 1–5 score in SQL: CASE over fixed steps (for recency a smaller value scores higher)."""
    whens = []
    for i, step in enumerate(steps):
        score = 5 - i if ascending else i + 1
        op = "<=" if ascending else "<"
        whens.append(f"WHEN {expr} {op} {step} THEN {score}")
    return f"CASE {' '.join(whens)} ELSE {1 if ascending else len(steps) + 1} END"


def _segment_sql() -> str:
    r, f = "r", "f"
    return (
        "CASE "
        f"WHEN {r} >= 4 AND {f} >= 4 THEN 'champions' "
        f"WHEN {r} >= 3 AND {f} >= 3 THEN 'loyal' "
        f"WHEN {r} >= 4 AND {f} = 1 THEN 'new' "
        f"WHEN {r} >= 3 THEN 'promising' "
        f"WHEN {r} = 1 AND {f} >= 4 THEN 'cannot_lose' "
        f"WHEN {f} >= 3 THEN 'at_risk' "
        f"WHEN {r} = 2 THEN 'hibernating' "
        "ELSE 'lost' END"
    )


def rfm_customers_sql(user: Any, until: dt.date) -> tuple[str, tuple[Any, ...]]:
    """Per customer of the 12 months to `until`: ck, contact_id, recency days, frequency, monetary,
    R/F/M scores and the segment — a derived table."""
    since = until - dt.timedelta(days=RFM_DAYS - 1)
    grouped = (
        purchases(user, until=until, since=since)
        .values("ck")
        .annotate(
            last=Max("issue_date"),
            freq=Count("id"),
            money=Sum(F("total") - F("vat_total"), output_field=AMOUNT),
            contact=Max("contact_id"),
        )
        .values("ck", "last", "freq", "money", "contact")
    )
    sql, params = _sql(grouped)
    if connection.vendor == "postgresql":
        days = "(CAST(%s AS date) - g.last)"
    else:
        days = "CAST(julianday(%s) - julianday(g.last) AS INTEGER)"
    scored = f"SELECT g.ck, g.contact, g.freq, g.money, {days} AS recency FROM ({sql}) g"
    r = _score("s.recency", (30, 60, 120, 240), True)
    f = _score("s.freq", (2, 3, 4, 6), False)
    m = _score("s.money", (5_000_000, 15_000_000, 40_000_000, 100_000_000), False)
    full = (
        f"SELECT t.*, {_segment_sql()} AS segment FROM (SELECT s.*, {r} AS r, {f} AS f, {m} AS m "
        f"FROM ({scored}) s) t"
    )
    return full, (until.isoformat(), *params)


@base.register
class RfmReport(Report):
    name = "rfm"
    title = gettext_lazy("RFM segments")
    description = gettext_lazy(
        "Customers by recency, frequency and monetary value over the last 12 months: champions, loyal, at "
        "risk, lost… — each segment can be saved as a marketing segment."
    )
    section = "customers"
    group_bys = ("segment",)
    default_group_by = "segment"
    compare = False

    def compute(self, user: Any, params: Params) -> Result:
        sql, sql_params = rfm_customers_sql(user, params.period.date_to)
        got = {
            seg: (n, money, recency, freq)
            for seg, n, money, recency, freq in _rows(
                "SELECT x.segment, COUNT(*), SUM(x.money), AVG(x.recency), AVG(x.freq) "
                f"FROM ({sql}) x GROUP BY x.segment",
                sql_params,
            )
        }
        rows = []
        for key, label in SEGMENTS:
            n, money, recency, freq = got.get(key, (0, 0, None, None))
            rows.append(
                {
                    "key": key,
                    "label": str(label),
                    "customers": n,
                    "revenue": Decimal(money or 0).quantize(Decimal(1)),
                    "recency": Decimal(str(recency)).quantize(Decimal("0.1"))
                    if recency is not None
                    else None,
                    "frequency": Decimal(str(freq)).quantize(Decimal("0.1")) if freq is not None else None,
                    "drill": True,
                }
            )
        since = params.period.date_to - dt.timedelta(days=RFM_DAYS - 1)
        return Result(
            title=self.title,
            params=params,
            group_label=_("Segment"),
            columns=[
                Column("customers", gettext_lazy("Customers"), COUNT, drill=True),
                Column("revenue", gettext_lazy("Revenue before VAT"), MONEY),
                Column("recency", gettext_lazy("Days since the last purchase (average)"), DAYS),
                Column("frequency", gettext_lazy("Purchases (average)"), DAYS),
            ],
            rows=rows,
            totals={
                "customers": sum(r["customers"] for r in rows),
                "revenue": sum((r["revenue"] for r in rows), ZERO),
                "recency": None,
                "frequency": None,
            },
            chart={
                "type": "bar",
                "labels": [r["label"] for r in rows],
                "datasets": [{"label": str(_("Customers")), "data": [r["customers"] for r in rows]}],
            },
            notes=[
                _("Purchases from %(since)s to %(until)s, scored on fixed steps (docs/decisions.md).")
                % {"since": since.strftime("%d/%m/%Y"), "until": params.period.date_to.strftime("%d/%m/%Y")}
            ],
        )

    def drill(self, user: Any, params: Params, key: str, column: str) -> Drill:
        if key not in dict(SEGMENTS) or column != "customers":
            return Drill("", [], [], None, 0)
        return customers_drill(user, segment_keys(user, params.period.date_to, key), params.period.date_to)


def segment_keys(user: Any, until: dt.date, segment: str) -> Any:
    """The customer keys of one RFM segment, as a queryset-compatible list (one query)."""
    sql, params = rfm_customers_sql(user, until)
    return [row[0] for row in _rows(f"SELECT x.ck FROM ({sql}) x WHERE x.segment = %s", (*params, segment))]


def save_as_segment(user: Any, until: dt.date, segment: str, name: str) -> Any:
    """A frozen marketing segment holding the contacts of one RFM segment (accounts are not segment
    members: they are left out), made through the marketing services."""
    from django.core.exceptions import ValidationError
    from django.db import transaction
    from django.utils import timezone

    from sencrm.events.services import event_emit
    from sencrm.marketing import segments as marketing_segments
    from sencrm.marketing.models import Segment, SegmentKind, SegmentMember

    if segment not in dict(SEGMENTS):
        raise ValidationError(
            {"segment": [_("Choose one of: %(values)s.") % {"values": ", ".join(dict(SEGMENTS))}]}
        )
    keys = segment_keys(user, until, segment)
    contact_ids = sorted(k // 2 for k in keys if k % 2 == 0)
    label = dict(SEGMENTS)[segment]
    everyone = {"match": "all", "rules": []}
    with transaction.atomic():
        made = marketing_segments.segment_create(
            actor=user,
            data={
                "name": name,
                "description": _("RFM segment “%(segment)s” on %(day)s.")
                % {"segment": label, "day": until.strftime("%d/%m/%Y")},
                "kind": SegmentKind.DYNAMIC,
                "rules": everyone,
            },
        )
        # Frozen with the RFM segment's contacts that the user may see (not what the rules select).
        chosen = list(
            marketing_segments.contacts_matching(user, everyone)
            .filter(pk__in=contact_ids)
            .values_list("pk", flat=True)
        )
        now = timezone.now()
        SegmentMember.objects.bulk_create(
            SegmentMember(segment=made, contact_id=pk, added_at=now) for pk in chosen
        )
        Segment.all_objects.filter(pk=made.pk).update(
            kind=SegmentKind.FROZEN, frozen_at=now, frozen_count=len(chosen)
        )
        made.refresh_from_db()
        event_emit(
            type="segment.frozen", subject=made, actor=user, data={"members": len(chosen), "rfm": segment}
        )
    return made
