"""The marketing funnel (target → lead → prospect → customer) and the sales pipeline.

Definitions (docs/decisions.md, "Reports"). A period is local dates in Asia/Ho_Chi_Minh, both ends
included; a datetime column is compared with the local midnights that bound them.

**Funnel** (`funnel`), grouped by source channel (the default), campaign, month or quarter. Each stage
counts what *entered* it during the period (flows of the same period, not one cohort followed through):

- **Targets**: contacts (not in the trash) that entered the lifecycle stage "target" in the period: created
  at that stage, or moved to it, as the event log records it (`contact.created` with the stage in its
  record, or an update whose `lifecycle_stage` change ends in "target"). Only in `extra["stages"]`.
- **Leads**: sales leads (not in the trash, converted ones included) created in the period, by the lead's
  source channel and first campaign (attribution's lead). Month: of the lead's creation.
- **Prospects**: leads converted in the period (`converted_at`), by the lead's source and first campaign,
  plus contacts that reached the stage "prospect" in the period other than by a lead's conversion (a
  contact created as a prospect, or moved to prospect by hand, a bulk action or a rule — the event log's
  lifecycle change; the events written by a conversion, `actor_label` "lead#…", are left out as the
  converted lead already counts), by the contact's source and first campaign.
- **Customers**: new paying customers — attribution's "new customers" (sencrm/marketing/attribution.py):
  the customers whose first receipt ever (`first_receipt`, its `first_receipt_at`) was paid in the
  period, from the attribution facts (`ReceiptFact.is_first`), by the customer's source channel and
  first campaign; counted where that receipt is in the reader's scope.
- **Lead → customer %** = customers / leads × 100 of the row (empty without leads). **Avg days to
  customer**: attribution's conversion lag — calendar days from the customer's first touch (else its
  creation) to that first receipt, a touch after the payment counting 0 — averaged over the row's
  customers.
- **Cost**: campaign costs (`CampaignCost`, by their date in the period) of the campaigns in the reader's
  scope (attribution's `costs`): by campaign, the campaign's; by source, the costs of the campaigns whose
  channel is that source channel (Facebook Ads → Facebook, Google Ads → Google Ads, Zalo → Zalo…; a
  campaign channel with no such source channel, e.g. TikTok, is a row of its own); by month/quarter, by
  the cost's date. Empty on a row no campaign cost reaches. Cost per lead = cost / leads, cost per
  customer = cost / customers (attribution's rounding; empty when the divisor is 0).
- `extra["stages"]`: the four stages' counts over the period and each step's conversion (this stage /
  the one before × 100, one decimal; empty when the one before is 0).

**Sales** (`sales`), grouped by employee (the default: the records' owner), team, month, quarter, stage
or source (the opportunity's; a quote's or order's through its opportunity):

- **Pipeline**: the amount of the opportunities open now (status "open") whose expected close date is
  in the period; **forecast**: their amount × probability / 100 (weighted). Month: of the expected close.
- **Won** / **lost**: count and amount of the opportunities closed won / lost (`closed_at`) in the
  period. **Win rate** = won / (won + lost) × 100; **average deal** = won amount / won count.
- **Sales cycle**: the average elapsed days (one decimal) from first touch — the lead's `first_touch_at`
  when the deal came from a lead that has one, else the opportunity's creation — to closed won, over the
  deals won in the period.
- **Quotes sent**: quote versions (not in the trash) whose `sent_at` is in the period; **quotes
  accepted**: quotes accepted (status "accepted") whose `decided_at` is in the period.
- **Late orders**: orders now confirmed or partly delivered (not fully delivered, not cancelled) whose
  promised delivery date is on or before the period's last day. By month/quarter, an order is in the
  bucket of its delivery date, and those due before the period in the first bucket (already late then).

Every figure is a grouped query under the reader's reports scope with the owner/team rule of its own
model (`base.in_scope`): a manager sees their teams' leads, contacts, receipts, campaigns, deals, quotes
and orders. A funnel is at most seven queries, a sales report six (the
groups' names included), whatever the number of records.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import connection, models
from django.db.models import (
    Case,
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    Min,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, NullIf
from django.db.models.lookups import Exact, IsNull
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sencrm.billing.models import Payment
from sencrm.commerce.models import Order, OrderStatus, Quote, QuoteStatus
from sencrm.customers.choices import LifecycleStage
from sencrm.customers.models import Contact
from sencrm.events.models import Event
from sencrm.marketing import attribution
from sencrm.marketing.models import CampaignChannel, CampaignCost, ReceiptFact
from sencrm.reports import dims
from sencrm.reports.base import (
    BUCKETS,
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
    bucket_keys,
    in_scope,
    register,
    report_level,
)
from sencrm.reports.revenue import AMOUNT, DRILL_LIMIT, _money, narrow
from sencrm.sales.choices import OpportunityStatus
from sencrm.sales.models import Lead, Opportunity, Stage

TIME = ("month", "quarter")
ONE_DECIMAL = Decimal("0.1")
# A campaign's channel → the source channel (customers.SourceChannel.code) its costs go to by source;
# the other channels are their own code (a source channel of that code, or a row of the channel).
CHANNEL_SOURCE = {CampaignChannel.FACEBOOK_ADS.value: "facebook"}


def percent(part: Any, whole: Any) -> Decimal | None:
    """part / whole × 100, one decimal; None when whole is 0."""
    if not whole:
        return None
    return (Decimal(part or 0) * 100 / Decimal(whole)).quantize(ONE_DECIMAL, ROUND_HALF_UP)


def _days(total: Any, count: Any) -> Decimal | None:
    if not count:
        return None
    return (Decimal(total or 0) / Decimal(count)).quantize(ONE_DECIMAL, ROUND_HALF_UP)


def _grouped(
    qs: models.QuerySet[Any], group_by: str, expr: Any, **measures: Any
) -> dict[str, dict[str, Any]]:
    """One GROUP BY: {group key: {measure: value}} (keys as `dims.normalise` writes them)."""
    out: dict[str, dict[str, Any]] = {}
    for row in qs.annotate(_g=expr).values("_g").annotate(**measures).order_by():
        key = dims.normalise(group_by, row.pop("_g"))
        into = out.setdefault(key, {})
        for name, value in row.items():
            if value is None:
                into.setdefault(name, None)
            elif isinstance(value, dt.timedelta):
                into[name] = (into.get(name) or dt.timedelta()) + value
            else:
                into[name] = (into.get(name) or 0) + value
    return out


def _match(expr: Any, key: str, integer: bool) -> Q:
    """The records of one (non-time) group: its expression equals the key (or is empty for "none")."""
    if key == dims.NONE_KEY:
        return Q(IsNull(expr, True))
    value: Any = key
    if integer:
        try:
            value = int(key)
        except ValueError:
            return Q(pk__in=[])
    return Q(Exact(expr, value))


def _fill_buckets(
    rows: list[dict[str, Any]], group_by: str, period: Period, empty: Callable[[str], dict[str, Any]]
) -> list[dict[str, Any]]:
    """Every time bucket of the period in order, the empty ones included."""
    present = {r["key"]: r for r in rows}
    keys = bucket_keys(group_by, period)
    names = dims.labels(group_by, keys)
    return [present.get(k) or {**empty(k), "key": k, "label": names[k]} for k in keys]


def _customer_name(obj: Any) -> str:
    customer = obj.contact or obj.account
    return str(customer) if customer else ""


# --- the funnel --------------------------------------------------------------------------------------


def _lead_expr(group_by: str, date: str) -> Any:
    if group_by == "source":
        return F("source__code")
    if group_by == "campaign":
        return F("first_campaign_id")
    return dims.time_bucket(group_by, date, True)


def _fact_expr(group_by: str) -> Any:
    if group_by == "source":
        return NullIf(F("source"), Value(""))
    if group_by == "campaign":
        return F("first_campaign_id")
    return dims.time_bucket(group_by, "paid_at", True)


def _cost_expr(group_by: str) -> Any:
    if group_by == "source":
        return Case(
            *[When(campaign__channel=c, then=Value(s)) for c, s in CHANNEL_SOURCE.items()],
            default=F("campaign__channel"),
            output_field=models.CharField(),
        )
    if group_by == "campaign":
        return F("campaign_id")
    return dims.time_bucket(group_by, "date", False)


def leads_created(user: Any, period: Period) -> models.QuerySet[Lead]:
    start, end = period.bounds()
    return attribution.leads(user, report_level(user)).filter(created_at__gte=start, created_at__lt=end)


def leads_converted(user: Any, period: Period) -> models.QuerySet[Lead]:
    start, end = period.bounds()
    qs = Lead.objects.filter(converted_at__gte=start, converted_at__lt=end)
    return in_scope(qs, user, report_level(user))


def contacts_reaching(user: Any, period: Period, stage: str) -> models.QuerySet[Contact]:
    """Contacts that entered the lifecycle `stage` in the period (the event log's creation at that
    stage, or a change to it), annotated `reached_at` (the first such moment); for "prospect" the
    events of a lead's conversion are left out (the converted lead counts instead)."""
    events = stage_events(period, stage)
    # The period's events first (a semi-join), then the first moment for those contacts only — not a
    # subquery into the event log for every contact.
    first = events.filter(subject_id=OuterRef("pk")).order_by("occurred_at", "id").values("occurred_at")[:1]
    qs = Contact.objects.filter(pk__in=events.values("subject_id")).annotate(reached_at=Subquery(first))
    return in_scope(qs, user, report_level(user))


def reaching_by_bucket(user: Any, period: Period, stage: str, bucket: str) -> dict[str, dict[str, Any]]:
    """`contacts_reaching` counted by the time bucket of each contact's first such moment: one grouped
    pass over the period's events (MIN per contact), then a count per bucket."""
    scoped = in_scope(Contact.objects.all(), user, report_level(user)).values("pk")
    inner = (
        stage_events(period, stage)
        .filter(subject_id__in=scoped)
        .values("subject_id")
        .annotate(b=dims.time_bucket(bucket, Min("occurred_at"), True))  # type: ignore[arg-type]
        .values("b")
    )
    sql, params = inner.query.sql_with_params()
    out: dict[str, dict[str, Any]] = {}
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT t.b, COUNT(*) FROM ({sql}) t GROUP BY t.b", params)  # noqa: S608
        for b, n in cursor.fetchall():
            day = b if isinstance(b, dt.date) else dt.date.fromisoformat(str(b)[:10])
            out[dims.normalise(bucket, day)] = {"prospects": n}
    return out


def stage_events(period: Period, stage: str) -> models.QuerySet[Event]:
    """The period's events of contacts created at `stage` or changed to it (for "prospect", not those
    of a lead's conversion: the converted lead counts instead)."""
    start, end = period.bounds()
    events = Event.objects.filter(
        subject_type=ContentType.objects.get_for_model(Contact),
        occurred_at__gte=start,
        occurred_at__lt=end,
    ).filter(
        Q(type="contact.created", data__record__lifecycle_stage=stage)
        | Q(data__changes__lifecycle_stage__1=stage)
    )
    if stage == LifecycleStage.PROSPECT:
        events = events.exclude(actor_label__startswith="lead#")
    return events


def new_customers(user: Any, period: Period) -> models.QuerySet[ReceiptFact]:
    """Attribution's new customers: the facts of first receipts paid in the period (cash view)."""
    params = attribution.Params(view="cash", date_from=period.date_from, date_to=period.date_to)
    return attribution.facts_in_period(attribution.facts(user, report_level(user)), params).filter(
        is_first=True
    )


def campaign_costs(user: Any, period: Period) -> models.QuerySet[CampaignCost]:
    return attribution.costs(user, report_level(user)).filter(
        date__gte=period.date_from, date__lte=period.date_to
    )


def _lag() -> Case:
    return Case(
        When(lag_days__lt=0, then=Value(0)), default=F("lag_days"), output_field=models.IntegerField()
    )


def _cost_rates(cost: Decimal | None, leads: int, customers: int) -> tuple[Decimal | None, Decimal | None]:
    if cost is None:
        return None, None
    row = attribution.Row("", None, "", leads=Decimal(leads), customers=Decimal(customers), cost=cost)
    return row.cost_per_lead, row.cost_per_customer


def _funnel_labels(group_by: str, keys: list[str]) -> dict[str, str]:
    names = dims.labels("channel" if group_by == "source" else group_by, keys)
    if group_by == "source":
        channels = {str(c.value): str(c.label) for c in CampaignChannel}
        for key in keys:
            if names.get(key, key) == key and key in channels:
                names[key] = channels[key]
        names[dims.NONE_KEY] = _("(no source)")
    return names


@register
class FunnelReport(Report):
    name = "funnel"
    title = gettext_lazy("Marketing funnel")
    description = gettext_lazy(
        "Targets, leads, prospects and new paying customers of the period, with the conversion, the days "
        "to a customer and the campaign costs per lead and per customer, by source, campaign or time."
    )
    section = "marketing"
    group_bys = ("source", "campaign", "month", "quarter")
    default_group_by = "source"

    def columns(self) -> list[Column]:
        return [
            Column("leads", gettext_lazy("Leads"), COUNT, drill=True),
            Column("prospects", gettext_lazy("Prospects"), COUNT, drill=True),
            Column("customers", gettext_lazy("New customers"), COUNT, drill=True),
            Column("lead_to_customer", gettext_lazy("Lead → customer %"), PERCENT),
            Column("avg_days", gettext_lazy("Avg days to customer"), DAYS),
            Column("cost", gettext_lazy("Cost"), MONEY),
            Column("cost_per_lead", gettext_lazy("Cost per lead"), MONEY),
            Column("cost_per_customer", gettext_lazy("Cost per customer"), MONEY),
        ]

    def compute(self, user: Any, params: Params) -> Result:
        period, group_by = params.period, params.group_by
        merged: dict[str, dict[str, Any]] = {}

        def add(got: dict[str, dict[str, Any]]) -> None:
            for key, values in got.items():
                into = merged.setdefault(key, {})
                for name, value in values.items():
                    into[name] = (into.get(name) or 0) + (value or 0) if value is not None else into.get(name)

        add(
            _grouped(
                leads_created(user, period), group_by, _lead_expr(group_by, "created_at"), leads=Count("id")
            )
        )
        add(
            _grouped(
                leads_converted(user, period),
                group_by,
                _lead_expr(group_by, "converted_at"),
                prospects=Count("id"),
            )
        )
        if group_by in BUCKETS:
            add(reaching_by_bucket(user, period, LifecycleStage.PROSPECT, group_by))
        else:
            add(
                _grouped(
                    contacts_reaching(user, period, LifecycleStage.PROSPECT),
                    group_by,
                    _lead_expr(group_by, "reached_at"),
                    prospects=Count("id"),
                )
            )
        add(
            _grouped(
                new_customers(user, period),
                group_by,
                _fact_expr(group_by),
                customers=Count("pk"),
                lag=Sum(_lag()),
                lag_n=Count("pk", filter=Q(lag_days__isnull=False)),
            )
        )
        add(
            _grouped(
                campaign_costs(user, period),
                group_by,
                _cost_expr(group_by),
                cost=Sum("amount", output_field=AMOUNT),
            )
        )
        targets = contacts_reaching(user, period, LifecycleStage.TARGET).count()
        names = _funnel_labels(group_by, list(merged))
        rows = [self._row(key, names.get(key, key), values) for key, values in merged.items()]
        if group_by in BUCKETS:
            rows = _fill_buckets(rows, group_by, period, lambda k: self._row(k, k, {}))
        else:
            rows.sort(key=lambda r: (-r["leads"], -r["customers"], -(r["cost"] or 0), r["label"]))
        total_values = {
            name: sum(v.get(name) or 0 for v in merged.values())
            for name in ("leads", "prospects", "customers", "lag", "lag_n")
        }
        costs = [v["cost"] for v in merged.values() if v.get("cost") is not None]
        total_values["cost"] = sum(costs, ZERO) if costs else None
        totals = self._row("", "", total_values)
        for name in ("key", "label", "drill"):
            totals.pop(name)
        leads, prospects, customers = totals["leads"], totals["prospects"], totals["customers"]
        counts = [
            (LifecycleStage.TARGET, targets),
            (LifecycleStage.LEAD, leads),
            (LifecycleStage.PROSPECT, prospects),
            (LifecycleStage.CUSTOMER, customers),
        ]
        stages = [
            {
                "key": stage.value,
                "label": str(stage.label),
                "count": count,
                "rate": percent(count, counts[i - 1][1]) if i else None,
            }
            for i, (stage, count) in enumerate(counts)
        ]
        chart = {
            "type": "bar",
            "labels": [s["label"] for s in stages],
            "datasets": [{"label": str(_("Entered the stage")), "data": [s["count"] for s in stages]}],
        }
        return Result(
            title=self.title,
            params=params,
            group_label=self.group_label(group_by),
            columns=self.columns(),
            rows=rows,
            totals=totals,
            chart=chart,
            notes=[
                _(
                    "Each stage counts what entered it in the period: leads created, leads converted and "
                    "contacts that became prospects, customers whose first payment was in the period."
                ),
                _("Costs are the campaign costs dated in the period."),
            ],
            extra={"stages": stages, "targets": targets},
        )

    @staticmethod
    def _row(key: str, label: str, values: dict[str, Any]) -> dict[str, Any]:
        leads = int(values.get("leads") or 0)
        customers = int(values.get("customers") or 0)
        cost = values.get("cost")
        cost = _money(cost) if cost is not None else None
        per_lead, per_customer = _cost_rates(cost, leads, customers)
        return {
            "key": key,
            "label": label,
            "leads": leads,
            "prospects": int(values.get("prospects") or 0),
            "customers": customers,
            "lead_to_customer": percent(customers, leads),
            "avg_days": _days(values.get("lag"), values.get("lag_n")),
            "cost": cost,
            "cost_per_lead": per_lead,
            "cost_per_customer": per_customer,
            "drill": True,
        }

    def drill(self, user: Any, params: Params, key: str, column: str) -> Drill:
        period, group_by = narrow(params, key)
        timed = group_by in BUCKETS
        integer = group_by == "campaign"
        if column == "leads":
            qs = leads_created(user, period)
            if not timed:
                qs = qs.filter(_match(_lead_expr(group_by, "created_at"), key, integer))
            return leads_drill(qs, [])
        if column == "prospects":
            converted = leads_converted(user, period)
            contacts = contacts_reaching(user, period, LifecycleStage.PROSPECT)
            if not timed:
                converted = converted.filter(_match(_lead_expr(group_by, "converted_at"), key, integer))
                contacts = contacts.filter(_match(_lead_expr(group_by, "reached_at"), key, integer))
            return leads_drill(converted, contacts)
        if column == "customers":
            facts = new_customers(user, period)
            if not timed:
                facts = facts.filter(_match(_fact_expr(group_by), key, integer))
            return customers_drill(facts)
        return Drill("", [], [], None, 0)


def leads_drill(leads: models.QuerySet[Lead], contacts: Any) -> Drill:
    """Leads (and, for prospects, contacts that became prospects): their count is the cell."""
    n_leads = leads.count()
    n_contacts = contacts.count() if isinstance(contacts, models.QuerySet) else 0
    rows: list[dict[str, Any]] = [
        {
            "name": lead.full_name,
            "url": reverse("sales:lead_detail", args=[lead.pk]),
            "kind": str(_("Lead")),
            "date": lead.converted_at or lead.created_at,
            "source": str(lead.source) if lead.source_id else "",
            "campaign": str(lead.first_campaign) if lead.first_campaign_id else "",
            "owner": str(lead.owner),
        }
        for lead in leads.select_related("source", "first_campaign", "owner").order_by("-created_at", "-id")[
            :DRILL_LIMIT
        ]
    ]
    if n_contacts:
        rows += [
            {
                "name": c.full_name,
                "url": reverse("customers:contact_detail", args=[c.pk]),
                "kind": str(_("Contact")),
                "date": c.reached_at,
                "source": str(c.source) if c.source_id else "",
                "campaign": str(c.first_campaign) if c.first_campaign_id else "",
                "owner": str(c.owner),
            }
            for c in contacts.select_related("source", "first_campaign", "owner").order_by("-id")[
                : max(DRILL_LIMIT - len(rows), 0)
            ]
        ]
    return Drill(
        title=str(_("Leads") if not n_contacts else _("Prospects")),
        columns=[
            ("name", gettext_lazy("Name"), "link"),
            ("kind", gettext_lazy("Kind"), "text"),
            ("date", gettext_lazy("Date"), "datetime"),
            ("source", gettext_lazy("Source"), "text"),
            ("campaign", gettext_lazy("Campaign"), "text"),
            ("owner", gettext_lazy("Employee"), "text"),
        ],
        rows=rows,
        total=n_leads + n_contacts,
        count=n_leads + n_contacts,
        total_key="count",
    )


def customers_drill(facts: models.QuerySet[ReceiptFact]) -> Drill:
    """The new customers behind a cell: their first receipts."""
    agg = facts.aggregate(n=Count("pk"))
    lags = dict(facts.values_list("payment_id", "lag_days")[:DRILL_LIMIT])
    payments = Payment.all_objects.filter(pk__in=list(lags)).select_related("contact", "account", "owner")
    rows = [
        {
            "customer": _customer_name(p),
            "url": reverse("billing:payment_detail", args=[p.pk]),
            "date": p.paid_at,
            "amount": _money(p.amount),
            "days": max(lags.get(p.pk) or 0, 0) if lags.get(p.pk) is not None else None,
            "owner": str(p.owner) if p.owner_id else "",
        }
        for p in payments.order_by("-paid_at", "-id")
    ]
    return Drill(
        title=str(_("New customers")),
        columns=[
            ("customer", gettext_lazy("Customer"), "link"),
            ("date", gettext_lazy("First payment"), "datetime"),
            ("amount", gettext_lazy("Amount"), MONEY),
            ("days", gettext_lazy("Days to customer"), DAYS),
            ("owner", gettext_lazy("Employee"), "text"),
        ],
        rows=rows,
        total=agg["n"],
        count=agg["n"],
        total_key="count",
    )


# --- sales -------------------------------------------------------------------------------------------

# Where each kind of record keeps what a grouping reads (the opportunity itself, or a document's).
_OPP = {"employee": "owner_id", "team": "team_id", "stage": "stage_id", "source": "source__code"}
_DOC = {
    "employee": "owner_id",
    "team": "team_id",
    "stage": "opportunity__stage_id",
    "source": "opportunity__source__code",
}
_INTEGER = ("employee", "team", "stage")


def _sales_expr(group_by: str, fields: dict[str, str], date: str, is_datetime: bool) -> Any:
    if group_by in BUCKETS:
        return dims.time_bucket(group_by, date, is_datetime)
    return F(fields[group_by])


def opportunities(user: Any) -> models.QuerySet[Opportunity]:
    return in_scope(Opportunity.objects.all(), user, report_level(user))


def open_pipeline(user: Any, period: Period) -> models.QuerySet[Opportunity]:
    return opportunities(user).filter(
        status=OpportunityStatus.OPEN,
        expected_close_date__gte=period.date_from,
        expected_close_date__lte=period.date_to,
    )


def closed(user: Any, period: Period, status: str | None = None) -> models.QuerySet[Opportunity]:
    start, end = period.bounds()
    statuses = [status] if status else [OpportunityStatus.WON, OpportunityStatus.LOST]
    return opportunities(user).filter(status__in=statuses, closed_at__gte=start, closed_at__lt=end)


def _cycle() -> Any:
    start = Coalesce(F("lead__first_touch_at"), F("created_at"))
    return ExpressionWrapper(F("closed_at") - start, output_field=DurationField())


def quotes_sent(user: Any, period: Period) -> models.QuerySet[Quote]:
    start, end = period.bounds()
    qs = Quote.objects.filter(sent_at__gte=start, sent_at__lt=end)
    return in_scope(qs, user, report_level(user))


def quotes_accepted(user: Any, period: Period) -> models.QuerySet[Quote]:
    start, end = period.bounds()
    qs = Quote.objects.filter(status=QuoteStatus.ACCEPTED, decided_at__gte=start, decided_at__lt=end)
    return in_scope(qs, user, report_level(user))


def orders_late(user: Any, period: Period) -> models.QuerySet[Order]:
    qs = Order.objects.filter(
        status__in=[OrderStatus.CONFIRMED, OrderStatus.PARTLY_DELIVERED], delivery_date__lte=period.date_to
    )
    return in_scope(qs, user, report_level(user))


def _stage_labels(keys: list[str]) -> tuple[dict[str, str], dict[str, tuple[int, int, int]]]:
    ids = [int(k) for k in keys if k.isdigit()]
    stages = list(Stage.objects.filter(pk__in=ids).select_related("pipeline"))
    several = len({s.pipeline_id for s in stages}) > 1
    names = {str(s.pk): f"{s.pipeline.name} — {s.name}" if several else s.name for s in stages}
    order = {str(s.pk): (s.pipeline.position, s.pipeline_id, s.position) for s in stages}
    names[dims.NONE_KEY] = _("(no opportunity)")
    return names, order


@register
class SalesReport(Report):
    name = "sales"
    title = gettext_lazy("Sales")
    description = gettext_lazy(
        "Open pipeline and weighted forecast, deals won and lost, win rate, average deal, sales cycle, "
        "quotes sent and accepted and late orders, by employee, team, stage, source or time."
    )
    section = "sales"
    group_bys = ("employee", "team", "month", "quarter", "stage", "source")
    default_group_by = "employee"

    def columns(self) -> list[Column]:
        return [
            Column("pipeline", gettext_lazy("Open pipeline"), MONEY, drill=True),
            Column("forecast", gettext_lazy("Weighted forecast"), MONEY),
            Column("won", gettext_lazy("Won"), COUNT, drill=True),
            Column("won_amount", gettext_lazy("Won amount"), MONEY, drill=True),
            Column("lost", gettext_lazy("Lost"), COUNT, drill=True),
            Column("lost_amount", gettext_lazy("Lost amount"), MONEY, drill=True),
            Column("win_rate", gettext_lazy("Win rate %"), PERCENT),
            Column("avg_deal", gettext_lazy("Average deal"), MONEY),
            Column("sales_cycle_days", gettext_lazy("Sales cycle (days)"), DAYS),
            Column("quotes_sent", gettext_lazy("Quotes sent"), COUNT),
            Column("quotes_accepted", gettext_lazy("Quotes accepted"), COUNT),
            Column("orders_late", gettext_lazy("Late orders"), COUNT),
        ]

    def compute(self, user: Any, params: Params) -> Result:
        period, group_by = params.period, params.group_by
        merged: dict[str, dict[str, Any]] = {}

        def add(got: dict[str, dict[str, Any]]) -> None:
            for key, values in got.items():
                merged.setdefault(key, {}).update(values)

        won_q, lost_q = Q(status=OpportunityStatus.WON), Q(status=OpportunityStatus.LOST)
        add(
            _grouped(
                open_pipeline(user, period),
                group_by,
                _sales_expr(group_by, _OPP, "expected_close_date", False),
                pipeline=Sum("amount", output_field=AMOUNT),
                weighted=Sum(F("amount") * F("probability"), output_field=AMOUNT),
            )
        )
        add(
            _grouped(
                closed(user, period),
                group_by,
                _sales_expr(group_by, _OPP, "closed_at", True),
                won=Count("id", filter=won_q),
                won_amount=Sum("amount", filter=won_q, output_field=AMOUNT),
                lost=Count("id", filter=lost_q),
                lost_amount=Sum("amount", filter=lost_q, output_field=AMOUNT),
                cycle=Sum(_cycle(), filter=won_q, output_field=DurationField()),
            )
        )
        add(
            _grouped(
                quotes_sent(user, period),
                group_by,
                _sales_expr(group_by, _DOC, "sent_at", True),
                quotes_sent=Count("id"),
            )
        )
        add(
            _grouped(
                quotes_accepted(user, period),
                group_by,
                _sales_expr(group_by, _DOC, "decided_at", True),
                quotes_accepted=Count("id"),
            )
        )
        late = _grouped(
            orders_late(user, period),
            group_by,
            _sales_expr(group_by, _DOC, "delivery_date", False),
            orders_late=Count("id"),
        )
        if group_by in BUCKETS:
            first = bucket_keys(group_by, period)[0]
            earlier = sum(v["orders_late"] for k, v in late.items() if k < first)
            late = {k: v for k, v in late.items() if k >= first}
            if earlier:
                late.setdefault(first, {"orders_late": 0})["orders_late"] += earlier
        add(late)

        order: dict[str, Any] = {}
        if group_by == "stage":
            names, order = _stage_labels(list(merged))
        elif group_by == "source":
            names = dims.labels("channel", merged)
            names[dims.NONE_KEY] = _("(no source)")
        else:
            names = dims.labels(group_by, merged)
        if group_by == "team":
            names[dims.NONE_KEY] = _("(no team)")
        rows = [self._row(key, names.get(key, key), values) for key, values in merged.items()]
        if group_by in BUCKETS:
            rows = _fill_buckets(rows, group_by, period, lambda k: self._row(k, k, {}))
        elif group_by == "stage":
            rows.sort(key=lambda r: (order.get(r["key"], (1 << 30, 0, 0)), r["label"]))
        else:
            rows.sort(key=lambda r: (-r["won_amount"], -r["pipeline"], r["label"]))
        sums: dict[str, Any] = {}
        for values in merged.values():
            for name, value in values.items():
                if value is not None:
                    sums[name] = sums[name] + value if name in sums else value
        totals = self._row("", "", sums)
        for name in ("key", "label", "drill"):
            totals.pop(name)
        chart = {
            "type": "line" if group_by in BUCKETS else "bar",
            "labels": [r["label"] for r in rows[:30]],
            "datasets": [
                {"label": str(_("Won amount")), "data": [float(r["won_amount"]) for r in rows[:30]]},
                {"label": str(_("Weighted forecast")), "data": [float(r["forecast"]) for r in rows[:30]]},
            ],
        }
        return Result(
            title=self.title,
            params=params,
            group_label=self.group_label(group_by),
            columns=self.columns(),
            rows=rows,
            totals=totals,
            chart=chart,
            notes=[
                _(
                    "Pipeline and forecast: deals open now that are expected to close in the period. Won and "
                    "lost: deals closed in the period. Late orders: confirmed, not fully delivered, promised "
                    "by the period's last day."
                )
            ],
        )

    @staticmethod
    def _row(key: str, label: str, values: dict[str, Any]) -> dict[str, Any]:
        won, lost = int(values.get("won") or 0), int(values.get("lost") or 0)
        won_amount = _money(values.get("won_amount"))
        cycle = values.get("cycle")
        cycle_days = (
            _days(Decimal(cycle.total_seconds()) / 86400, won) if isinstance(cycle, dt.timedelta) else None
        )
        return {
            "key": key,
            "label": label,
            "pipeline": _money(values.get("pipeline")),
            "forecast": _money(Decimal(values.get("weighted") or 0) / 100),
            "won": won,
            "won_amount": won_amount,
            "lost": lost,
            "lost_amount": _money(values.get("lost_amount")),
            "win_rate": percent(won, won + lost),
            "avg_deal": _money(won_amount / won) if won else None,
            "sales_cycle_days": cycle_days,
            "quotes_sent": int(values.get("quotes_sent") or 0),
            "quotes_accepted": int(values.get("quotes_accepted") or 0),
            "orders_late": int(values.get("orders_late") or 0),
            "drill": True,
        }

    def drill(self, user: Any, params: Params, key: str, column: str) -> Drill:
        period, group_by = narrow(params, key)
        if column == "pipeline":
            qs = open_pipeline(user, period)
        elif column in ("won", "won_amount"):
            qs = closed(user, period, OpportunityStatus.WON)
        elif column in ("lost", "lost_amount"):
            qs = closed(user, period, OpportunityStatus.LOST)
        else:
            return Drill("", [], [], None, 0)
        if group_by not in BUCKETS:
            qs = qs.filter(_match(F(_OPP[group_by]), key, group_by in _INTEGER))
        return opportunities_drill(qs, amounts=column not in ("won", "lost"))


def opportunities_drill(qs: models.QuerySet[Opportunity], *, amounts: bool) -> Drill:
    """Opportunities; their total is the amount, or without `amounts` their number."""
    agg = qs.aggregate(total=Sum("amount", output_field=AMOUNT), n=Count("id"))
    rows = [
        {
            "name": o.name,
            "url": reverse("sales:opportunity_detail", args=[o.pk]),
            "customer": _customer_name(o),
            "stage": o.stage.name,
            "date": o.closed_at or o.expected_close_date,
            "owner": str(o.owner),
            "amount": _money(o.amount),
        }
        for o in qs.select_related("contact", "account", "owner", "stage").order_by("-closed_at", "-id")[
            :DRILL_LIMIT
        ]
    ]
    return Drill(
        title=str(_("Opportunities")),
        columns=[
            ("name", gettext_lazy("Opportunity"), "link"),
            ("customer", gettext_lazy("Customer"), "text"),
            ("stage", gettext_lazy("Stage"), "text"),
            ("date", gettext_lazy("Closed / expected"), "text"),
            ("owner", gettext_lazy("Employee"), "text"),
            ("amount", gettext_lazy("Amount"), MONEY),
        ],
        rows=rows,
        total=_money(agg["total"]) if amounts else agg["n"],
        count=agg["n"],
        total_key="amount" if amounts else "count",
    )
