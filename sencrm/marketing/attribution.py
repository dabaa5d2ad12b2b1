"""Attribution: what the campaigns and channels earned, by cash month and by lead month, side by side.

Definitions (docs/decisions.md copies them):

- **Revenue** is the money received: receipts (billing.Payment, kind "receipt", not in the trash), for the
  amount received, whatever invoices they pay. Payment vouchers (money out) are not revenue.
- **The customer of a receipt** is its contact when it names one, else its account. The customer's touch
  data are that record's `first_campaign`, `latest_campaign`, `first_touch_at`, `created_at` and `source`.
- **Models** (which campaign gets the credit): `first` (the default) gives everything to the customer's
  first campaign; `last` to their latest campaign; `linear` splits equally between the distinct campaigns
  among the first and the latest — we keep only those two touches, so a customer with two different
  campaigns gives half to each (the odd đồng of an odd amount goes to the first), one campaign gets all.
  Leads and new customers are credited the same way, so under `linear` a count may end in .5.
- **Channel**: the credited campaign's channel code (facebook_ads, google_ads, zalo…); with no campaign,
  the customer's (or lead's) source channel code (customers.SourceChannel.code: facebook, zalo…); with
  neither, "none". Rows without a campaign are therefore split by source channel.
- **Cash view**: a receipt counts in the month it was paid (`paid_at`, Asia/Ho_Chi_Minh). **Lead view**
  ("the investment view"): every receipt of a customer counts in the month of the customer's first touch
  (`first_touch_at`, falling back to `created_at` when it is unknown), or of the customer's creation when
  settings.ATTRIBUTION_LEAD_MONTH = "created" (env var, default "first_touch").
- **Leads** (sales.Lead, not in the trash, converted ones included) are credited by their own
  first/latest campaign and source: in the cash view by the month the lead was created, in the lead view
  by the lead's first-touch month (same setting and fallback as customers).
- **New customers**: customers whose first receipt ever (over all receipts of the company, the earliest
  `paid_at`) falls in the row — in the cash view by the month of that receipt, in the lead view by the
  customer's touch month — and counted only where that first receipt is in the viewer's scope. The first
  receipt is the customer record's `first_receipt` (billing keeps it with every receipt: the earliest
  receipt naming that contact, or that account); a receipt whose customer is an account counts only when
  it is the account's first receipt and names no contact (an account that first paid through one of its
  contacts became a customer then, as that contact).
- **Cost**: CampaignCost amounts by the month of their date (the same in both views: money is spent when
  it is spent), per campaign, or per channel as the costs of the channel's campaigns.
  Cost per lead = cost / leads, cost per customer = cost / new customers, ROI = (revenue − cost) / cost;
  each is empty when its divisor is 0.
- **Conversion lag**: calendar days (Asia/Ho_Chi_Minh) from the customer's first touch (else creation) to
  their first receipt, over the new customers of the report: median, mean and buckets 0–7, 8–30, 31–60,
  61–90 and 90+ (more than 90) days; a touch recorded after the payment counts as 0 days.
- **Period**: `date_from`/`date_to` (both included) filter the month axis of the view: the payment date in
  the cash view, the touch date in the lead view (so the lead view of a period holds every receipt, however
  late, of the customers first touched in it). At most MAX_MONTHS months.
- **Scope**: the viewer's scope of the reports module (sencrm/core/access.py): "all" sees everything;
  "team"/"own" see the receipts, leads and campaign costs that the owner/team rules of those records put
  in that scope (a manager's figures are their teams'). No reports right: PermissionDenied.
- **In SQL**: every figure is a grouped query (five per report, whatever the number of rows); revenue,
  new customers and the lag read the attribution facts (marketing.ReceiptFact: one row per live receipt
  with its customer's touch data, kept by sencrm/marketing/facts.py), so no query joins the receipts to
  the customers; Python only merges the grouped rows (months × campaigns), splits them by model and
  divides. The drill-down (attribution_drilldown.py) lists the receipts themselves (`receipts`).
"""

from __future__ import annotations

import calendar
import datetime as dt
import zoneinfo
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.db.models import Case, Count, DateTimeField, F, Q, Sum, When
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _

from sencrm.billing.models import Payment, PaymentKind
from sencrm.core import access
from sencrm.core.modules import Action, Module, Scope
from sencrm.marketing.models import Campaign, CampaignCost, ReceiptFact
from sencrm.sales.models import Lead

TZ = zoneinfo.ZoneInfo("Asia/Ho_Chi_Minh")
VIEWS = ("cash", "lead")
BYS = ("campaign", "channel")
MODELS = ("first", "last", "linear")
MAX_MONTHS = 36
NO_CHANNEL = "none"
ZERO = Decimal(0)
HALF = Decimal("0.5")
# (key, lowest day, highest day or None)
LAG_BUCKETS: tuple[tuple[str, int, int | None], ...] = (
    ("0-7", 0, 7),
    ("8-30", 8, 30),
    ("31-60", 31, 60),
    ("61-90", 61, 90),
    ("90+", 91, None),
)

Key = tuple[str, int | None, str]  # (month "YYYY-MM", campaign id or None, channel code)


@dataclass(frozen=True)
class Params:
    view: str = "cash"
    by: str = "campaign"
    model: str = "first"
    date_from: dt.date = dt.date(2000, 1, 1)
    date_to: dt.date = dt.date(2000, 1, 1)

    def months(self) -> list[str]:
        out = []
        year, month = self.date_from.year, self.date_from.month
        while (year, month) <= (self.date_to.year, self.date_to.month):
            out.append(f"{year:04d}-{month:02d}")
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return out

    def bounds(self) -> tuple[dt.datetime, dt.datetime]:
        start = dt.datetime.combine(self.date_from, dt.time.min, tzinfo=TZ)
        end = dt.datetime.combine(self.date_to + dt.timedelta(days=1), dt.time.min, tzinfo=TZ)
        return start, end

    def query(self, **changes: Any) -> dict[str, str]:
        values = {
            "view": self.view,
            "by": self.by,
            "model": self.model,
            "date_from": self.date_from.isoformat(),
            "date_to": self.date_to.isoformat(),
        }
        values.update({k: str(v) for k, v in changes.items()})
        return values


def default_period(today: dt.date | None = None, months: int = 12) -> tuple[dt.date, dt.date]:
    """This month and the `months - 1` before it, up to today."""
    today = today or timezone.localdate()
    index = today.year * 12 + today.month - 1 - (months - 1)
    return dt.date(index // 12, index % 12 + 1, 1), today


def _parse_date(raw: str, name: str, errors: dict[str, list[str]]) -> dt.date | None:
    raw = raw.strip()
    if not raw:
        return None
    try:
        if len(raw) != 10:
            raise ValueError(raw)
        return dt.date.fromisoformat(raw)
    except ValueError:
        errors[name] = [_("Enter a date as YYYY-MM-DD.")]
        return None


def parse_params(data: Mapping[str, Any], today: dt.date | None = None) -> Params:
    """The report's parameters from a query string; ValidationError (per parameter, in the user's
    language) for an unknown view, grouping or model, a bad date, a reversed or too long period."""
    errors: dict[str, list[str]] = {}

    def choice(name: str, allowed: tuple[str, ...], default: str) -> str:
        value = str(data.get(name) or default).strip()
        if value not in allowed:
            errors[name] = [_("Choose one of: %(values)s.") % {"values": ", ".join(allowed)}]
            return default
        return value

    view = choice("view", VIEWS, "cash")
    by = choice("by", BYS, "campaign")
    model = choice("model", MODELS, "first")
    default_from, default_to = default_period(today)
    date_from = _parse_date(str(data.get("date_from") or ""), "date_from", errors) or default_from
    date_to = _parse_date(str(data.get("date_to") or ""), "date_to", errors) or default_to
    if not errors:
        if date_from > date_to:
            errors["date_to"] = [_("The end of the period is before its start.")]
        elif (date_to.year * 12 + date_to.month) - (date_from.year * 12 + date_from.month) >= MAX_MONTHS:
            errors["date_to"] = [
                _("The period is too long: at most %(months)d months.") % {"months": MAX_MONTHS}
            ]
    if errors:
        raise ValidationError(errors)
    return Params(view=view, by=by, model=model, date_from=date_from, date_to=date_to)


# --- scope -----------------------------------------------------------------------------------------


def report_level(user: Any) -> str:
    """The viewer's scope of the reports module; PermissionDenied without the right to view reports."""
    level = access.scope_level(user, Module.REPORTS, Action.VIEW)
    if level is None:
        raise PermissionDenied(_("Your role does not allow this."))
    return level


def _in_scope(qs: models.QuerySet[Any], user: Any, level: str) -> models.QuerySet[Any]:
    """`qs` narrowed to the reports scope, with the owner/team rules of the records' own model."""
    if level == Scope.ALL:
        return qs
    model: Any = qs.model
    return qs.filter(model.access_q(user, level))


# --- the customer of a receipt, as SQL expressions ---------------------------------------------------


def _customer(field_name: str, output_field: models.Field[Any, Any] | None = None) -> Case:
    """A column of the receipt's customer: its contact's when it names one, else its account's."""
    return Case(
        When(contact__isnull=False, then=F(f"contact__{field_name}")),
        default=F(f"account__{field_name}"),
        output_field=output_field,
    )


def _touch(prefix_created: Any, prefix_touch: Any, rule: str) -> Any:
    if rule == "created":
        return prefix_created
    return Coalesce(prefix_touch, prefix_created, output_field=DateTimeField())


def lead_month_rule() -> str:
    return str(getattr(settings, "ATTRIBUTION_LEAD_MONTH", "first_touch"))


def receipts(user: Any, level: str | None = None) -> models.QuerySet[Payment]:
    """The receipts in the viewer's scope, annotated with their customer's touch data: `fc`, `lc` (first
    and latest campaign ids), `src` (source channel code), `touch` (the lead view's date), `lag_from`
    (first touch, else creation: where the conversion lag starts) and `first_id` (the customer's first
    receipt: first_receipt_q)."""
    level = level or report_level(user)
    created = _customer("created_at", DateTimeField())
    first_touch = _customer("first_touch_at", DateTimeField())
    qs: models.QuerySet[Payment] = (
        _in_scope(Payment.objects.filter(kind=PaymentKind.RECEIPT), user, level)
        .annotate(
            fc=_customer("first_campaign_id", models.IntegerField()),
            lc=_customer("latest_campaign_id", models.IntegerField()),
            src=_customer("source__code", models.CharField()),
            touch=_touch(created, first_touch, lead_month_rule()),
            lag_from=Coalesce(first_touch, created, output_field=DateTimeField()),
            first_id=_customer("first_receipt_id", models.IntegerField()),
        )
        .order_by()
    )
    return qs


def first_receipt_q() -> Q:
    """The receipt (annotated by `receipts`) is its customer's first ever: the customer record keeps its
    id (billing writes it with each receipt), so this is a comparison on the row already joined, not a
    search through every earlier payment. For an account customer the receipt names no contact, so it is
    the account's first only when the account never paid through one of its contacts before."""
    return Q(first_id=F("pk"))


def _in_period(qs: models.QuerySet[Any], params: Params, date_field: str, touch_field: str) -> Any:
    start, end = params.bounds()
    name = date_field if params.view == "cash" else touch_field
    return qs.filter(**{f"{name}__gte": start, f"{name}__lt": end}).annotate(
        month=TruncMonth(name, tzinfo=TZ)
    )


def leads(user: Any, level: str | None = None) -> models.QuerySet[Lead]:
    level = level or report_level(user)
    qs: models.QuerySet[Lead] = (
        _in_scope(Lead.objects.all(), user, level)
        .annotate(
            fc=F("first_campaign_id"),
            lc=F("latest_campaign_id"),
            src=F("source__code"),
            touch=_touch(F("created_at"), F("first_touch_at"), lead_month_rule()),
        )
        .order_by()
    )
    return qs


def facts(user: Any, level: str | None = None) -> models.QuerySet[ReceiptFact]:
    """The attribution facts (one per live receipt, with its customer's touch data: facts.py) in the
    viewer's scope, annotated `fc`, `lc`, `src` like `receipts`."""
    level = level or report_level(user)
    qs: models.QuerySet[ReceiptFact] = ReceiptFact.objects.all()
    if level != Scope.ALL:
        qs = qs.filter(access.owner_team_q(user, level))
    return qs.annotate(fc=F("first_campaign_id"), lc=F("latest_campaign_id"), src=F("source")).order_by()


def facts_in_period(qs: models.QuerySet[ReceiptFact], params: Params) -> models.QuerySet[ReceiptFact]:
    """The facts whose date on the view's axis is in the period, annotated `month` (its first day): the
    payment in the cash view; in the lead view the first touch (else creation), or the creation by the
    setting. Months are columns of the facts (Vietnam time), not computed per row."""
    start, end = params.bounds()
    if params.view == "cash":
        axis, month = "paid_at", "paid_month"
    elif lead_month_rule() == "created":
        axis, month = "customer_created_at", "created_month"
    else:
        axis, month = "touch_at", "touch_month"
    return qs.filter(**{f"{axis}__gte": start, f"{axis}__lt": end}).annotate(month=F(month))


def costs(user: Any, level: str | None = None) -> models.QuerySet[CampaignCost]:
    level = level or report_level(user)
    campaigns = _in_scope(Campaign.all_objects.all(), user, level)
    return CampaignCost.objects.filter(campaign__in=campaigns.values("pk")).order_by()


# --- the report ----------------------------------------------------------------------------------------


@dataclass
class Row:
    month: str
    campaign: int | None
    channel: str
    leads: Decimal = ZERO
    customers: Decimal = ZERO
    revenue: Decimal = ZERO
    cost: Decimal = ZERO
    campaign_name: str = ""

    @property
    def cost_per_lead(self) -> Decimal | None:
        return _divide(self.cost, self.leads)

    @property
    def cost_per_customer(self) -> Decimal | None:
        return _divide(self.cost, self.customers)

    @property
    def roi(self) -> Decimal | None:
        if not self.cost:
            return None
        return ((self.revenue - self.cost) / self.cost).quantize(Decimal("0.01"), ROUND_HALF_UP)

    @property
    def roi_percent(self) -> int | None:
        roi = self.roi
        return None if roi is None else int(roi * 100)

    @property
    def key(self) -> Key:
        return (self.month, self.campaign, self.channel)


@dataclass
class Report:
    params: Params
    rows: list[Row]
    lag: dict[str, Any]
    totals: Row = field(default_factory=lambda: Row("", None, ""))

    def by_month(self) -> dict[str, Decimal]:
        out = dict.fromkeys(self.params.months(), ZERO)
        for row in self.rows:
            out[row.month] = out.get(row.month, ZERO) + row.revenue
        return out


def _divide(amount: Decimal, count: Decimal) -> Decimal | None:
    return (amount / count).quantize(Decimal(1), ROUND_HALF_UP) if count else None


def _month(value: Any) -> str:
    if isinstance(value, dt.datetime):
        if timezone.is_aware(value):
            value = value.astimezone(TZ)
        return f"{value:%Y-%m}"
    if isinstance(value, dt.date):
        return f"{value:%Y-%m}"
    return str(value)[:7]


def _credits(model: str, fc: int | None, lc: int | None) -> list[tuple[int | None, Decimal]]:
    """Which campaigns a touch pair credits, with their shares (summing to 1)."""
    if model == "first":
        return [(fc, Decimal(1))]
    if model == "last":
        return [(lc, Decimal(1))]
    distinct = [c for c in dict.fromkeys((fc, lc)) if c is not None]
    if len(distinct) == 2:
        return [(distinct[0], HALF), (distinct[1], HALF)]
    return [(distinct[0] if distinct else None, Decimal(1))]


def _split_amount(amount: Decimal, shares: list[tuple[int | None, Decimal]]) -> list[Decimal]:
    """Whole đồng for each share, summing to `amount` exactly (the odd đồng to the first)."""
    if len(shares) == 1:
        return [amount]
    second = (amount / 2).to_integral_value(rounding="ROUND_FLOOR")
    return [amount - second, second]


def _group_keys(model: str) -> list[str]:
    return {"first": ["fc"], "last": ["lc"], "linear": ["fc", "lc"]}[model]


def report(user: Any, params: Params) -> Report:
    """The attribution report of one view (see the module's docstring), in six grouped queries."""
    level = report_level(user)
    keys = _group_keys(params.model)
    grouped: dict[Key, Row] = {}
    channels: dict[int, str] = {}

    def credit(values: Mapping[str, Any], metric: str, amount: Decimal, money: bool) -> None:
        month = _month(values["month"])
        shares = _credits(params.model, values.get("fc"), values.get("lc"))
        parts = _split_amount(amount, shares) if money else [amount * share for _c, share in shares]
        for (campaign, _share), part in zip(shares, parts, strict=True):
            pending.append((month, campaign, values.get("src") or NO_CHANNEL, metric, part))

    pending: list[tuple[str, int | None, str, str, Decimal]] = []
    paid = facts_in_period(facts(user, level), params)
    # Revenue and new customers in one pass over the period's facts (no join: facts.py).
    grouped_paid = paid.values("month", "src", *keys).annotate(
        total=Sum("amount"), n=Count("pk", filter=Q(is_first=True))
    )
    for values in grouped_paid:
        credit(values, "revenue", Decimal(values["total"] or 0), True)
        if values["n"]:
            credit(values, "customers", Decimal(values["n"]), False)
    lead_rows = _in_period(leads(user, level), params, "created_at", "touch")
    for values in lead_rows.values("month", "src", *keys).annotate(n=Count("id")):
        credit(values, "leads", Decimal(values["n"]), False)
    start, end = params.date_from, params.date_to
    spent = (
        costs(user, level)
        .filter(date__gte=start, date__lte=end)
        .annotate(month=TruncMonth("date"))
        .values("month", "campaign_id")
        .annotate(total=Sum("amount"))
    )
    for values in spent:
        pending.append((_month(values["month"]), values["campaign_id"], "", "cost", values["total"] or ZERO))
    firsts = facts_in_period(facts(user, level), params).filter(is_first=True)
    histogram: dict[int, int] = defaultdict(int)
    for values in firsts.values("lag_days").annotate(n=Count("pk")):
        histogram[max(values["lag_days"] or 0, 0)] += values["n"]  # a touch after the payment: 0 days
    lag = lag_summary(histogram)

    ids = {campaign for _m, campaign, _s, _k, _v in pending if campaign is not None}
    names: dict[int, str] = {}
    for pk, name, channel in Campaign.all_objects.filter(pk__in=ids).values_list("pk", "name", "channel"):
        names[pk], channels[pk] = name, channel
    for month, campaign, source, metric, value in pending:
        channel = channels.get(campaign, NO_CHANNEL) if campaign is not None else source
        key: Key = (month, campaign if params.by == "campaign" else None, channel)
        row = grouped.get(key)
        if row is None:
            row = grouped[key] = Row(*key, campaign_name=names.get(key[1], "") if key[1] else "")
        setattr(row, metric, getattr(row, metric) + value)
    rows = sorted(grouped.values(), key=lambda r: (r.month, r.campaign_name or "\uffff", r.channel))
    totals = Row("", None, "")
    for row in rows:
        for metric in ("leads", "customers", "revenue", "cost"):
            setattr(totals, metric, getattr(totals, metric) + getattr(row, metric))
    return Report(params=params, rows=rows, lag=lag, totals=totals)


def lag_summary(histogram: Mapping[int, int]) -> dict[str, Any]:
    count = sum(histogram.values())
    buckets = {key: 0 for key, _low, _high in LAG_BUCKETS}
    for days, n in histogram.items():
        for key, low, high in LAG_BUCKETS:
            if days >= low and (high is None or days <= high):
                buckets[key] += n
                break
    if not count:
        return {"median": None, "mean": None, "count": 0, "buckets": buckets}
    ordered = sorted(histogram.items())

    def nth(index: int) -> int:
        seen = 0
        for days, n in ordered:
            seen += n
            if index < seen:
                return days
        return ordered[-1][0]

    if count % 2:
        median: Decimal = Decimal(nth(count // 2))
    else:
        median = (Decimal(nth(count // 2 - 1)) + Decimal(nth(count // 2))) / 2
    mean = Decimal(sum(days * n for days, n in ordered)) / count
    return {
        "median": int(median) if median == median.to_integral_value() else float(median),
        "mean": float(mean.quantize(Decimal("0.1"), ROUND_HALF_UP)),
        "count": count,
        "buckets": buckets,
    }


# --- what the API, the exports and the home page read ------------------------------------------------


def number(value: Decimal) -> int | float:
    """A count as JSON: whole under first/last, possibly .5 under linear."""
    return int(value) if value == value.to_integral_value() else float(value)


def money(value: Decimal | None) -> str | None:
    return None if value is None else str(value.quantize(Decimal(1), ROUND_HALF_UP))


def as_json(result: Report) -> dict[str, Any]:
    """The API's body (docs/api.md, "Attribution report")."""
    return {
        "view": result.params.view,
        "by": result.params.by,
        "model": result.params.model,
        "date_from": result.params.date_from.isoformat(),
        "date_to": result.params.date_to.isoformat(),
        "rows": [
            {
                "month": row.month,
                "campaign": row.campaign,
                "campaign_name": row.campaign_name or None,
                "channel": row.channel,
                "leads": number(row.leads),
                "customers": number(row.customers),
                "revenue": money(row.revenue),
                "cost": money(row.cost),
                "cost_per_lead": money(row.cost_per_lead),
                "cost_per_customer": money(row.cost_per_customer),
                "roi": None if row.roi is None else str(row.roi),
            }
            for row in result.rows
        ],
        "lag_days": result.lag,
    }


def side_by_side(user: Any, params: Params) -> dict[str, Any]:
    """Both views over the same period, model and grouping, merged by (month, campaign, channel): what
    the report page and its exports show."""
    cash = report(user, Params(**{**params.__dict__, "view": "cash"}))
    lead = report(user, Params(**{**params.__dict__, "view": "lead"}))
    merged: dict[Key, dict[str, Any]] = {}
    for name, result in (("cash", cash), ("lead", lead)):
        for row in result.rows:
            entry = merged.setdefault(
                row.key,
                {
                    "month": row.month,
                    "campaign": row.campaign,
                    "campaign_name": row.campaign_name,
                    "channel": row.channel,
                    "cost": row.cost,
                },
            )
            entry[name] = row
    for entry in merged.values():
        for name in ("cash", "lead"):
            entry.setdefault(
                name, Row(entry["month"], entry["campaign"], entry["channel"], cost=entry["cost"])
            )
    rows = sorted(merged.values(), key=lambda r: (r["month"], r["campaign_name"] or "\uffff", r["channel"]))
    return {"cash": cash, "lead": lead, "rows": rows}


def chart(cash: Report, lead: Report) -> dict[str, Any]:
    """Chart.js bar data (static/js/charts.js): revenue by month in both views."""
    months = cash.params.months()
    by_cash, by_lead = cash.by_month(), lead.by_month()
    return {
        "labels": [f"{m[5:]}/{m[:4]}" for m in months],
        "datasets": [
            {"label": _("Revenue by month of payment"), "data": [int(by_cash.get(m, ZERO)) for m in months]},
            {
                "label": _("Revenue by lead month (investment view)"),
                "data": [int(by_lead.get(m, ZERO)) for m in months],
            },
        ],
    }


def attribution_chart_6_months(user: Any, today: dt.date | None = None) -> dict[str, Any] | None:
    """The marketing home page's chart: revenue of the last 6 months (this one included), cash view next
    to lead view, first-touch model, in the viewer's reports scope; None without the right to view
    reports. Chart.js data: {"labels": ["03/2026", …], "datasets": [{label, data}, {label, data}]}."""
    if access.scope_level(user, Module.REPORTS, Action.VIEW) is None:
        return None
    date_from, date_to = default_period(today, months=6)
    date_to = date_to.replace(day=calendar.monthrange(date_to.year, date_to.month)[1])
    params = Params(date_from=date_from, date_to=date_to)
    return chart(report(user, params), report(user, Params(**{**params.__dict__, "view": "lead"})))


def campaigns_of_channel(channel: str) -> Iterable[int]:
    return Campaign.all_objects.filter(channel=channel).values_list("pk", flat=True)
