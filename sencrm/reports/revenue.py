"""Revenue (invoiced and received, side by side) and best sellers.

Definitions (docs/decisions.md, "Reports"):

- **Invoiced revenue** is the invoices' amount before VAT (`total − vat_total`: after every discount)
  on their issue date, for invoices issued in VND and not replaced, drafts and the trash left out; an
  adjustment that takes from an invoice (`is_credit`) counts negative.
- **Cash** is the receipts' amounts (billing payments of kind receipt, not in the trash) on the local
  date they were paid.
- By product and product category the invoiced revenue is the lines' amounts (after the lines' own
  discounts); the discounts given on a whole invoice are one row of their own, so the totals are the
  same whatever the grouping. Money received is not split by product: its column is empty there.
- The customer's region, province, group, source channel and first campaign are those of the
  invoice's (or receipt's) contact, else its account; the age band is the contact's on the period's
  last day.
- Every figure is a grouped query (two or three per report) under the reports scope of the reader.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import models
from django.db.models import Case, Count, DecimalField, F, Sum, Value, When
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sencrm.billing.models import LIVE_STATUSES, Invoice, InvoiceLine, Payment, PaymentKind
from sencrm.reports import dims
from sencrm.reports.base import (
    BUCKETS,
    COUNT,
    MONEY,
    NUMBER,
    ZERO,
    Column,
    Drill,
    Params,
    Period,
    Report,
    Result,
    in_scope,
    register,
    report_level,
)

AMOUNT = DecimalField(max_digits=20, decimal_places=2)
DOC_DISCOUNT = "invoice_discount"
DRILL_LIMIT = 500
CUSTOMER_DIMS = ("region", "province", "customer_group", "age_band", "channel", "campaign")
PRODUCT_DIMS = ("product", "category")

INVOICE_PATHS = dims.Paths(date="issue_date", is_datetime=False)
LINE_PATHS = dims.Paths(
    contact="invoice__contact",
    account="invoice__account",
    owner="invoice__owner",
    team="invoice__team",
    product="product",
    date="invoice__issue_date",
    is_datetime=False,
)
PAYMENT_PATHS = dims.Paths(date="paid_at", is_datetime=True)


def _sign() -> Case:
    return Case(When(is_credit=True, then=Value(-1)), default=Value(1))


def invoice_net() -> Any:
    """An invoice's revenue: before VAT, negative for an adjustment that takes from what is owed."""
    return (F("total") - F("vat_total")) * _sign()


def _live_in(period: Period, prefix: str = "") -> dict[str, Any]:
    """The filter for the invoices a report counts: live, in VND, issued in the period."""
    return {
        f"{prefix}deleted_at__isnull": True,
        f"{prefix}status__in": LIVE_STATUSES,
        f"{prefix}currency": "VND",
        f"{prefix}issue_date__gte": period.date_from,
        f"{prefix}issue_date__lte": period.date_to,
    }


def invoices(user: Any, period: Period) -> models.QuerySet[Invoice]:
    qs = Invoice.objects.filter(**_live_in(period))
    return in_scope(qs, user, report_level(user))


def lines(user: Any, period: Period) -> models.QuerySet[InvoiceLine]:
    """The lines of `invoices(user, period)`, filtered through the join (not `invoice__in`: one pass over
    the invoices instead of a second one for the subquery)."""
    qs = InvoiceLine.objects.filter(**_live_in(period, prefix="invoice__"))
    return in_scope(qs, user, report_level(user), prefix="invoice")


def receipts(user: Any, period: Period) -> models.QuerySet[Payment]:
    level = report_level(user)
    start, end = period.bounds()
    qs = Payment.objects.filter(
        deleted_at__isnull=True, kind=PaymentKind.RECEIPT, paid_at__gte=start, paid_at__lt=end
    )
    return in_scope(qs, user, level)


def _line_amount() -> Any:
    return F("amount") * Case(When(invoice__is_credit=True, then=Value(-1)), default=Value(1))


def _line_quantity() -> Any:
    return F("quantity") * Case(When(invoice__is_credit=True, then=Value(-1)), default=Value(1))


def _grouped(
    qs: models.QuerySet[Any], group_by: str, paths: dims.Paths, on: Any, **measures: Any
) -> dict[str, dict[str, Any]]:
    expr = dims.expression(group_by, paths, on)
    out: dict[str, dict[str, Any]] = {}
    for row in qs.annotate(_g=expr).values("_g").annotate(**measures).order_by():
        key = dims.normalise(group_by, row.pop("_g"))
        into = out.setdefault(key, {})
        for name, value in row.items():
            into[name] = (into.get(name) or 0) + (value or 0)
    return out


def _money(value: Any) -> Decimal:
    return Decimal(value or 0).quantize(Decimal(1))


@register
class RevenueReport(Report):
    name = "revenue"
    title = gettext_lazy("Revenue")
    description = gettext_lazy(
        "Invoiced revenue (before VAT) and cash received, by employee, team, product, region, province, "
        "customer group, age band, channel, campaign or time."
    )
    section = "revenue"
    group_bys = (
        "month",
        "quarter",
        "year",
        "week",
        "day",
        "employee",
        "team",
        "product",
        "category",
        "region",
        "province",
        "customer_group",
        "age_band",
        "channel",
        "campaign",
    )
    default_group_by = "month"

    def columns(self, by_product: bool = False) -> list[Column]:
        count = gettext_lazy("Invoice lines") if by_product else gettext_lazy("Invoices")
        return [
            Column("revenue", gettext_lazy("Invoiced revenue"), MONEY, drill=True),
            Column("cash", gettext_lazy("Cash received"), MONEY, drill=True),
            Column("invoices", count, COUNT, drill=True),
        ]

    def compute(self, user: Any, params: Params) -> Result:
        period, group_by = params.period, params.group_by
        on = period.date_to
        rows: dict[str, dict[str, Any]] = {}
        by_product = group_by in PRODUCT_DIMS
        if by_product:
            got = _grouped(
                lines(user, period),
                group_by,
                LINE_PATHS,
                on,
                revenue=Sum(_line_amount(), output_field=AMOUNT),
                invoices=Count("id"),  # by product: the invoice lines (a distinct count costs a sort)
            )
            net = invoices(user, period).aggregate(v=Sum(invoice_net(), output_field=AMOUNT))["v"] or ZERO
            line_total = sum((Decimal(v.get("revenue") or 0) for v in got.values()), ZERO)
            if net - line_total:
                got[DOC_DISCOUNT] = {"revenue": net - line_total, "invoices": None}
            rows = got
        else:
            for key, values in _grouped(
                invoices(user, period),
                group_by,
                INVOICE_PATHS,
                on,
                revenue=Sum(invoice_net(), output_field=AMOUNT),
                invoices=Count("id"),
            ).items():
                rows.setdefault(key, {}).update(values)
            for key, values in _grouped(
                receipts(user, period), group_by, PAYMENT_PATHS, on, cash=Sum("amount", output_field=AMOUNT)
            ).items():
                rows.setdefault(key, {}).update(values)
        names = dims.labels(group_by, rows)
        names[DOC_DISCOUNT] = _("Discounts on whole invoices")
        out: list[dict[str, Any]] = []
        for key, values in rows.items():
            out.append(
                {
                    "key": key,
                    "label": names.get(key, key),
                    "revenue": _money(values.get("revenue")),
                    "cash": None if by_product else _money(values.get("cash")),
                    "invoices": values.get("invoices") or 0 if key != DOC_DISCOUNT else None,
                    "drill": key != DOC_DISCOUNT,
                }
            )
        if group_by in BUCKETS:
            present = {r["key"]: r for r in out}
            from sencrm.reports.base import bucket_keys

            out = [
                present.get(k)
                or {
                    "key": k,
                    "label": dims.labels(group_by, [k])[k],
                    "revenue": ZERO,
                    "cash": ZERO,
                    "invoices": 0,
                    "drill": True,
                }
                for k in bucket_keys(group_by, period)
            ]
        elif group_by == "age_band":
            out.sort(key=lambda r: dims.sort_key("age_band", r["key"]))
        else:
            out.sort(
                key=lambda r: (r["key"] == DOC_DISCOUNT, -(r["revenue"] or 0), -(r["cash"] or 0), r["label"])
            )
        totals = {
            "revenue": sum((r["revenue"] for r in out), ZERO),
            "cash": None if by_product else sum((r["cash"] or ZERO for r in out), ZERO),
            "invoices": sum(r["invoices"] or 0 for r in out),
        }
        notes: list[Any] = [
            _("Invoiced revenue is before VAT, on the invoice date; cash is the receipts on the day paid.")
        ]
        if by_product:
            notes.append(_("Money received is not split by product: see the revenue by another grouping."))
        chart = {
            "type": "line" if group_by in BUCKETS else "bar",
            "labels": [r["label"] for r in out[:30]],
            "datasets": [
                {"label": str(_("Invoiced revenue")), "data": [float(r["revenue"]) for r in out[:30]]},
                *(
                    []
                    if by_product
                    else [
                        {"label": str(_("Cash received")), "data": [float(r["cash"] or 0) for r in out[:30]]}
                    ]
                ),
            ],
        }
        return Result(
            title=self.title,
            params=params,
            group_label=self.group_label(group_by),
            columns=self.columns(by_product),
            rows=out,
            totals=totals,
            chart=chart,
            notes=notes,
        )

    def drill(self, user: Any, params: Params, key: str, column: str) -> Drill:
        period, group_by = narrow(params, key)
        on = params.period.date_to
        if column == "cash" and group_by not in PRODUCT_DIMS:
            qs = receipts(user, period)
            if group_by not in BUCKETS:
                qs = qs.filter(dims.drill_filter(group_by, key, PAYMENT_PATHS, on))
            return payments_drill(qs, _("Receipts"))
        if column in ("revenue", "invoices") and group_by in PRODUCT_DIMS:
            if key == DOC_DISCOUNT:
                return Drill(_("Discounts on whole invoices"), [], [], ZERO, 0)
            lqs = lines(user, period).filter(dims.drill_filter(group_by, key, LINE_PATHS, on))
            return lines_drill(lqs, invoices=column == "invoices")
        if column in ("revenue", "invoices"):
            iqs = invoices(user, period)
            if group_by not in BUCKETS:
                iqs = iqs.filter(dims.drill_filter(group_by, key, INVOICE_PATHS, on))
            return invoices_drill(iqs, total_key="revenue" if column == "revenue" else None)
        return Drill("", [], [], None, 0)


def narrow(params: Params, key: str) -> tuple[Period, str]:
    """The period of a drill-down: a time bucket's own dates (within the period), else the period."""
    group_by = params.group_by
    if group_by in BUCKETS:
        bounds = dims.bucket_period(group_by, key)
        if bounds is None:
            return Period("custom", params.period.date_to, params.period.date_from), group_by  # empty
        start = max(bounds[0], params.period.date_from)
        end = min(bounds[1], params.period.date_to)
        return Period("custom", start, end), group_by
    return params.period, group_by


def _customer(obj: Any) -> str:
    customer = obj.contact or obj.account
    return str(customer) if customer else ""


def _link(name: str, pk: Any) -> str:
    return reverse(name, args=[pk])


def invoices_drill(qs: models.QuerySet[Invoice], total_key: str | None = "revenue") -> Drill:
    qs = qs.annotate(net=invoice_net())
    agg = qs.aggregate(total=Sum("net", output_field=AMOUNT), n=Count("id"))
    rows = [
        {
            "number": inv.number or f"#{inv.pk}",
            "url": _link("billing:invoice_detail", inv.pk),
            "date": inv.issue_date,
            "customer": _customer(inv),
            "owner": str(inv.owner) if inv.owner_id else "",
            "revenue": _money(inv.net),
        }
        for inv in qs.select_related("contact", "account", "owner").order_by("-issue_date", "-id")[
            :DRILL_LIMIT
        ]
    ]
    return Drill(
        title=str(_("Invoices")),
        columns=[
            ("number", gettext_lazy("Invoice"), "link"),
            ("date", gettext_lazy("Date"), "date"),
            ("customer", gettext_lazy("Customer"), "text"),
            ("owner", gettext_lazy("Employee"), "text"),
            ("revenue", gettext_lazy("Revenue before VAT"), MONEY),
        ],
        rows=rows,
        total=_money(agg["total"]) if total_key else agg["n"],
        count=agg["n"],
        total_key=total_key or "count",
    )


def payments_drill(qs: models.QuerySet[Payment], title: str) -> Drill:
    agg = qs.aggregate(total=Sum("amount", output_field=AMOUNT), n=Count("id"))
    rows = [
        {
            "number": p.number or f"#{p.pk}",
            "url": _link("billing:payment_detail", p.pk),
            "date": p.paid_at,
            "customer": _customer(p),
            "owner": str(p.owner) if p.owner_id else "",
            "amount": _money(p.amount),
        }
        for p in qs.select_related("contact", "account", "owner").order_by("-paid_at", "-id")[:DRILL_LIMIT]
    ]
    return Drill(
        title=title,
        columns=[
            ("number", gettext_lazy("Receipt"), "link"),
            ("date", gettext_lazy("Paid at"), "datetime"),
            ("customer", gettext_lazy("Customer"), "text"),
            ("owner", gettext_lazy("Employee"), "text"),
            ("amount", gettext_lazy("Amount"), MONEY),
        ],
        rows=rows,
        total=_money(agg["total"]),
        count=agg["n"],
        total_key="amount",
    )


def lines_drill(qs: models.QuerySet[InvoiceLine], *, invoices: bool = False) -> Drill:
    """Invoice lines; their total is the revenue, or with `invoices` the number of lines."""
    qs = qs.annotate(net=_line_amount(), qty=_line_quantity())
    agg = qs.aggregate(total=Sum("net", output_field=AMOUNT), n=Count("id"))
    rows = [
        {
            "number": line.invoice.number or f"#{line.invoice_id}",
            "url": _link("billing:invoice_detail", line.invoice_id),
            "date": line.invoice.issue_date,
            "customer": _customer(line.invoice),
            "product": line.description or (str(line.product) if line.product_id else ""),
            "quantity": line.qty,
            "revenue": _money(line.net),
        }
        for line in qs.select_related("invoice__contact", "invoice__account", "product").order_by(
            "-invoice__issue_date", "-id"
        )[:DRILL_LIMIT]
    ]
    return Drill(
        title=str(_("Invoice lines")),
        columns=[
            ("number", gettext_lazy("Invoice"), "link"),
            ("date", gettext_lazy("Date"), "date"),
            ("customer", gettext_lazy("Customer"), "text"),
            ("product", gettext_lazy("Product"), "text"),
            ("quantity", gettext_lazy("Quantity"), NUMBER),
            ("revenue", gettext_lazy("Revenue before VAT"), MONEY),
        ],
        rows=rows,
        total=agg["n"] if invoices else _money(agg["total"]),
        count=agg["n"],
        total_key="count" if invoices else "revenue",
    )


@register
class BestSellersReport(Report):
    name = "best-sellers"
    title = gettext_lazy("Best sellers")
    description = gettext_lazy("The products (or categories) sold most, by quantity and by revenue.")
    section = "revenue"
    group_bys = ("product", "category")
    default_group_by = "product"
    options = {"by": ("revenue", "quantity")}
    TOP = 50

    def compute(self, user: Any, params: Params) -> Result:
        period, group_by = params.period, params.group_by
        got = _grouped(
            lines(user, period).filter(product__isnull=False)
            if group_by == "product"
            else lines(user, period),
            group_by,
            LINE_PATHS,
            period.date_to,
            quantity=Sum(_line_quantity()),
            revenue=Sum(_line_amount(), output_field=AMOUNT),
            invoices=Count("id"),  # invoice lines
        )
        names = dims.labels(group_by, got)
        rows: list[dict[str, Any]] = [
            {
                "key": key,
                "label": names.get(key, key),
                "quantity": Decimal(v.get("quantity") or 0).normalize() if v.get("quantity") else Decimal(0),
                "revenue": _money(v.get("revenue")),
                "invoices": v.get("invoices") or 0,
                "drill": True,
            }
            for key, v in got.items()
        ]
        by = params.options.get("by", "revenue")
        rows.sort(key=lambda r: (-r[by], -r["revenue"] if by == "quantity" else -r["quantity"], r["label"]))
        for rank, row in enumerate(rows, start=1):
            row["rank"] = rank
        totals = {
            "quantity": sum((r["quantity"] for r in rows), Decimal(0)),
            "revenue": sum((r["revenue"] for r in rows), ZERO),
            "products": len(rows),
        }
        top = rows[: self.TOP]
        chart = {
            "type": "bar",
            "labels": [r["label"] for r in top[:15]],
            "datasets": [
                {
                    "label": str(_("Revenue") if by == "revenue" else _("Quantity")),
                    "data": [float(r[by]) for r in top[:15]],
                }
            ],
        }
        return Result(
            title=self.title,
            params=params,
            group_label=self.group_label(group_by),
            columns=[
                Column("rank", "#", COUNT, compare=False),
                Column("quantity", gettext_lazy("Quantity"), NUMBER, drill=True),
                Column("revenue", gettext_lazy("Revenue before VAT"), MONEY, drill=True),
                Column("invoices", gettext_lazy("Invoice lines"), COUNT),
            ],
            rows=top,
            totals=totals,
            chart=chart,
            notes=[_("Revenue of the invoice lines, after the lines' discounts and before VAT.")],
        )

    def drill(self, user: Any, params: Params, key: str, column: str) -> Drill:
        qs = lines(user, params.period).filter(
            dims.drill_filter(params.group_by, key, LINE_PATHS, params.period.date_to)
        )
        return lines_drill(qs)


def revenue_total(user: Any, period: Period) -> Decimal:
    """Invoiced revenue of a period (the dashboards' figure), one query."""
    return _money(invoices(user, period).aggregate(v=Sum(invoice_net(), output_field=AMOUNT))["v"])


def revenue_by_month(user: Any, period: Period) -> dict[str, Decimal]:
    """Invoiced revenue of each month of a period (key "2026-12"), one grouped query: the revenue report's
    figure by month, without its cash and comparisons (the dashboard's chart)."""
    got = _grouped(
        invoices(user, period),
        "month",
        INVOICE_PATHS,
        period.date_to,
        revenue=Sum(invoice_net(), output_field=AMOUNT),
    )
    return {key: _money(v.get("revenue")) for key, v in got.items()}


def cash_total(user: Any, period: Period) -> Decimal:
    return _money(receipts(user, period).aggregate(v=Sum("amount", output_field=AMOUNT))["v"])
