"""Care and service: SLA compliance and response times, CSAT and NPS, field work.

Definitions (docs/decisions.md, "Reports and dashboards"):

- **SLA** (`sla`): tickets created in the period (not merged away, not in the trash). *SLA compliance* =
  tickets with an SLA policy that did not breach it ÷ tickets with an SLA policy. *First response* and
  *resolution* times are the average business hours from the ticket's creation to its first reply and
  to its resolution, on its queue's calendar (24×7 without one): the ticket stamps them in minutes when
  it is answered and resolved (sencrm/support/sla.py's `business_minutes`), so SQL averages them.
- **CSAT / NPS** (`csat`): ratings answered in the period. CSAT = answers scoring 4–5 of 5 ÷ CSAT answers
  (support/reviews.py's rule); NPS = % promoters (9–10) − % detractors (0–6) of the NPS answers.
- **Field work** (`service`): work orders finished in the period (`done`, by `finished_at`) and those that
  could not be completed (`failed`, by their last change). *First-time fix* = done repairs and warranty
  repairs with no other repair of the same asset within 30 days after ÷ done repairs and warranty repairs.
  *Warranty* = done work orders not charged; *chargeable* = charged.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import models
from django.db.models import Avg, Count, Exists, F, OuterRef, Q
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sencrm.reports import base, dims
from sencrm.reports.base import COUNT, DAYS, NUMBER, PERCENT, Column, Drill, Params, Period, Report, Result

FIX_DAYS = 30
DRILL_LIMIT = 500


def _pct(part: Any, whole: Any) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"))


def _minutes_as_hours(value: Any) -> Decimal | None:
    if value is None:
        return None
    return (Decimal(str(value)) / 60).quantize(Decimal("0.1"))


def _grouped(
    qs: models.QuerySet[Any], expr: Any, group_by: str, **measures: Any
) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for row in qs.annotate(_g=expr).values("_g").annotate(**measures).order_by():
        out[dims.normalise(group_by, row.pop("_g"))] = row
    return out


def _rows(
    group_by: str, period: Period, got: dict[str, dict[str, Any]], make: Any, labels: dict[str, str]
) -> list[dict[str, Any]]:
    keys = (
        base.bucket_keys(group_by, period)
        if group_by in base.BUCKETS
        else sorted(got, key=lambda k: labels.get(k, k))
    )
    return [{"key": k, "label": labels.get(k, k), **make(got.get(k, {})), "drill": True} for k in keys]


def _field_labels(model: Any, name: str, keys: list[str]) -> dict[str, str]:
    field: Any = model._meta.get_field(name)
    out = {dims.NONE_KEY: _("(none)")}
    if field.choices:
        out.update({str(v): str(label) for v, label in field.flatchoices})
    elif field.is_relation:
        ids = [int(k) for k in keys if k.isdigit()]
        out.update({str(o.pk): str(o) for o in field.related_model._default_manager.filter(pk__in=ids)})
    return out


def _labels(model: Any, group_by: str, keys: list[str], field: str | None = None) -> dict[str, str]:
    if group_by in base.BUCKETS or group_by in ("employee", "team", "region"):
        return dims.labels(group_by, keys)
    return _field_labels(model, field or group_by, keys)


# --- SLA ------------------------------------------------------------------------------------------------


def tickets(user: Any, period: Period) -> models.QuerySet[Any]:
    from sencrm.support.models import Ticket

    level = base.report_level(user)
    start, end = period.bounds()
    qs = Ticket.objects.filter(
        deleted_at__isnull=True, merged_into__isnull=True, created_at__gte=start, created_at__lt=end
    )
    return base.in_scope(qs, user, level)


TICKET_FIELDS = {"category": "category", "line": "line", "channel": "channel", "priority": "priority"}


def _ticket_group(group_by: str) -> Any:
    if group_by in base.BUCKETS:
        return dims.time_bucket(group_by, "created_at", True)
    if group_by == "employee":
        return F("owner_id")
    if group_by == "team":
        return F("team_id")
    return F(TICKET_FIELDS[group_by])


@base.register
class SlaReport(Report):
    name = "sla"
    title = gettext_lazy("SLA and response times")
    description = gettext_lazy(
        "Tickets by category, line, channel, priority or time: SLA compliance, first response and "
        "resolution times."
    )
    section = "service"
    group_bys = ("category", "line", "channel", "priority", "team", "employee", "month", "week", "quarter")
    default_group_by = "category"

    def compute(self, user: Any, params: Params) -> Result:
        group_by, period = params.group_by, params.period
        measures = {
            "n": Count("pk"),
            "resolved": Count("pk", filter=Q(resolved_at__isnull=False)),
            "with_sla": Count("pk", filter=Q(sla_policy__isnull=False)),
            "breached_n": Count("pk", filter=Q(sla_policy__isnull=False, breached=True)),
            "first": Avg("first_response_business_minutes"),
            "resolution": Avg("resolution_business_minutes"),
        }
        qs = tickets(user, period)
        got = _grouped(qs, _ticket_group(group_by), group_by, **measures)

        def make(v: dict[str, Any]) -> dict[str, Any]:
            with_sla, breached = v.get("with_sla") or 0, v.get("breached_n") or 0
            return {
                "tickets": v.get("n") or 0,
                "resolved": v.get("resolved") or 0,
                "breached": breached,
                "sla_compliance": _pct(with_sla - breached, with_sla),
                "first_response_hours": _minutes_as_hours(v.get("first")),
                "resolution_hours": _minutes_as_hours(v.get("resolution")),
            }

        from sencrm.support.models import Ticket

        rows = _rows(
            group_by, period, got, make, _labels(Ticket, group_by, list(got), TICKET_FIELDS.get(group_by))
        )
        totals = make(qs.aggregate(**measures))
        return Result(
            title=self.title,
            params=params,
            group_label=self.group_label("category_ticket" if group_by == "category" else group_by),
            columns=[
                Column("tickets", gettext_lazy("Tickets"), COUNT, drill=True),
                Column("resolved", gettext_lazy("Resolved"), COUNT, drill=True),
                Column("breached", gettext_lazy("SLA breached"), COUNT, drill=True),
                Column("sla_compliance", gettext_lazy("SLA compliance"), PERCENT),
                Column("first_response_hours", gettext_lazy("First response (business hours)"), DAYS),
                Column("resolution_hours", gettext_lazy("Resolution (business hours)"), DAYS),
            ],
            rows=rows,
            totals=totals,
            chart={
                "type": "bar",
                "labels": [r["label"] for r in rows],
                "datasets": [
                    {
                        "label": str(_("SLA compliance")),
                        "data": [float(r["sla_compliance"] or 0) for r in rows],
                    }
                ],
            },
            notes=[
                _(
                    "Times are average business hours from the ticket's creation, on its queue's working "
                    "calendar (around the clock without one); waiting for the customer counts."
                )
            ],
        )

    def drill(self, user: Any, params: Params, key: str, column: str) -> Drill:
        period = _narrow(params, key)
        qs = tickets(user, period)
        if params.group_by not in base.BUCKETS:
            qs = _filter_group(qs, _ticket_group(params.group_by), key)
        if column == "resolved":
            qs = qs.filter(resolved_at__isnull=False)
        elif column == "breached":
            qs = qs.filter(sla_policy__isnull=False, breached=True)
        count = qs.count()
        rows = [
            {
                "number": t.number,
                "url": reverse("support:ticket_detail", args=[t.pk]),
                "subject": t.subject,
                "created": t.created_at,
                "status": t.get_status_display(),
                "breached": _("Yes") if t.breached else "",
            }
            for t in qs.order_by("-created_at", "-pk")[:DRILL_LIMIT]
        ]
        return Drill(
            str(_("Tickets")),
            [
                ("number", gettext_lazy("Ticket"), "link"),
                ("subject", gettext_lazy("Subject"), "text"),
                ("created", gettext_lazy("Created"), "datetime"),
                ("status", gettext_lazy("Status"), "text"),
                ("breached", gettext_lazy("SLA breached"), "text"),
            ],
            rows,
            count,
            count,
            total_key="count",
        )


def _narrow(params: Params, key: str) -> Period:
    if params.group_by in base.BUCKETS:
        bounds = dims.bucket_period(params.group_by, key)
        if bounds is None:
            return Period("custom", params.period.date_to, params.period.date_from)
        return Period(
            "custom", max(bounds[0], params.period.date_from), min(bounds[1], params.period.date_to)
        )
    return params.period


def _filter_group(qs: models.QuerySet[Any], expr: Any, key: str) -> models.QuerySet[Any]:
    qs = qs.annotate(_g=expr)
    if key == dims.NONE_KEY:
        return qs.filter(_g__isnull=True)
    return qs.filter(_g=key)


# --- CSAT and NPS -----------------------------------------------------------------------------------------


def reviews(user: Any, period: Period) -> models.QuerySet[Any]:
    from sencrm.support.models import Review

    level = base.report_level(user)
    start, end = period.bounds()
    qs = Review.objects.filter(
        deleted_at__isnull=True, score__isnull=False, answered_at__gte=start, answered_at__lt=end
    )
    return base.in_scope(qs, user, level)


def _review_group(group_by: str) -> Any:
    if group_by in base.BUCKETS:
        return dims.time_bucket(group_by, "answered_at", True)
    if group_by == "employee":
        return F("owner_id")
    if group_by == "team":
        return F("team_id")
    if group_by == "channel":
        return F("ticket__channel")
    return F("kind")


@base.register
class CsatReport(Report):
    name = "csat"
    title = gettext_lazy("CSAT and NPS")
    description = gettext_lazy("Customers' ratings of tickets and work orders: satisfaction (CSAT) and NPS.")
    section = "service"
    group_bys = ("month", "quarter", "week", "kind", "channel", "team", "employee")
    default_group_by = "month"

    def compute(self, user: Any, params: Params) -> Result:
        group_by, period = params.group_by, params.period
        measures = {
            "csat_n": Count("pk", filter=Q(kind="csat")),
            "satisfied": Count("pk", filter=Q(kind="csat", score__gte=4)),
            "csat_avg": Avg("score", filter=Q(kind="csat")),
            "nps_n": Count("pk", filter=Q(kind="nps")),
            "promoters": Count("pk", filter=Q(kind="nps", score__gte=9)),
            "detractors": Count("pk", filter=Q(kind="nps", score__lte=6)),
        }
        qs = reviews(user, period)
        got = _grouped(qs, _review_group(group_by), group_by, **measures)

        def make(v: dict[str, Any]) -> dict[str, Any]:
            csat_n, nps_n = v.get("csat_n") or 0, v.get("nps_n") or 0
            promoters, detractors = v.get("promoters") or 0, v.get("detractors") or 0
            nps = (Decimal(promoters - detractors) * 100 / nps_n).quantize(Decimal("0.1")) if nps_n else None
            avg = v.get("csat_avg")
            return {
                "answers": csat_n + nps_n,
                "csat": _pct(v.get("satisfied") or 0, csat_n),
                "average": Decimal(str(avg)).quantize(Decimal("0.01")) if avg is not None else None,
                "nps": nps,
                "promoters": promoters,
                "passives": nps_n - promoters - detractors,
                "detractors": detractors,
            }

        from sencrm.support.models import Review, Ticket

        if group_by == "channel":
            names = _field_labels(Ticket, "channel", list(got))
        else:
            names = _labels(Review, group_by, list(got))
        rows = _rows(group_by, period, got, make, names)
        return Result(
            title=self.title,
            params=params,
            group_label=self.group_label(group_by),
            columns=[
                Column("answers", gettext_lazy("Answers"), COUNT, drill=True),
                Column("csat", gettext_lazy("CSAT (share satisfied)"), PERCENT),
                Column("average", gettext_lazy("Average score (1–5)"), NUMBER),
                Column("nps", gettext_lazy("NPS"), NUMBER),
                Column("promoters", gettext_lazy("Promoters"), COUNT, drill=True),
                Column("passives", gettext_lazy("Passives"), COUNT),
                Column("detractors", gettext_lazy("Detractors"), COUNT, drill=True),
            ],
            rows=rows,
            totals=make(qs.aggregate(**measures)),
            chart={
                "type": "line" if group_by in base.BUCKETS else "bar",
                "labels": [r["label"] for r in rows],
                "datasets": [{"label": "CSAT", "data": [float(r["csat"] or 0) for r in rows]}],
            },
            notes=[_("CSAT: answers of 4 or 5 out of 5. NPS: % promoters (9–10) minus % detractors (0–6).")],
        )

    def drill(self, user: Any, params: Params, key: str, column: str) -> Drill:
        qs = reviews(user, _narrow(params, key))
        if params.group_by not in base.BUCKETS:
            qs = _filter_group(qs, _review_group(params.group_by), key)
        if column == "promoters":
            qs = qs.filter(kind="nps", score__gte=9)
        elif column == "detractors":
            qs = qs.filter(kind="nps", score__lte=6)
        count = qs.count()
        rows = [
            {
                "customer": str(r.contact or r.account or ""),
                "kind": r.get_kind_display(),
                "score": r.score,
                "answered": r.answered_at,
                "comment": r.comment[:200],
            }
            for r in qs.select_related("contact", "account").order_by("-answered_at", "-pk")[:DRILL_LIMIT]
        ]
        return Drill(
            str(_("Ratings")),
            [
                ("customer", gettext_lazy("Customer"), "text"),
                ("kind", gettext_lazy("Kind"), "text"),
                ("score", gettext_lazy("Score"), COUNT),
                ("answered", gettext_lazy("Answered"), "datetime"),
                ("comment", gettext_lazy("Comment"), "text"),
            ],
            rows,
            count,
            count,
            total_key="count",
        )


# --- field work -------------------------------------------------------------------------------------------


def work_orders(user: Any, period: Period) -> models.QuerySet[Any]:
    from sencrm.fieldservice.models import WorkOrder

    level = base.report_level(user)
    start, end = period.bounds()
    done = Q(status="done", finished_at__gte=start, finished_at__lt=end)
    failed = Q(status="failed", updated_at__gte=start, updated_at__lt=end)
    qs = WorkOrder.objects.filter(deleted_at__isnull=True).filter(done | failed)
    return base.in_scope(qs, user, level)


def _work_group(group_by: str) -> Any:
    if group_by in base.BUCKETS:
        return dims.time_bucket(group_by, "finished_at", True)
    if group_by == "technician":
        return F("technician_id")
    if group_by == "region":
        from django.db.models import Case, CharField, Value, When

        from sencrm.customers.choices import PROVINCE_REGIONS, Region

        return Case(
            *[
                When(
                    site_province__code__in=[p for p, r in PROVINCE_REGIONS.items() if r == region],
                    then=Value(str(region)),
                )
                for region in Region
            ],
            default=Value(dims.UNKNOWN),
            output_field=CharField(),
        )
    return F("kind")


def _fixed_first_time() -> Any:
    """No other repair of one of the same assets within FIX_DAYS after this one finished."""
    from sencrm.fieldservice.models import WorkOrder

    later = WorkOrder.objects.filter(
        deleted_at__isnull=True,
        kind__in=("repair", "warranty_repair"),
        assets__in=OuterRef("assets"),
        created_at__gt=OuterRef("finished_at"),
        created_at__lte=OuterRef("finished_at") + dt.timedelta(days=FIX_DAYS),
    ).exclude(pk=OuterRef("pk"))
    return ~Exists(later)


@base.register
class ServiceReport(Report):
    name = "service"
    title = gettext_lazy("Field work")
    description = gettext_lazy(
        "Work orders done and not completed, first-time fix rate, warranty and chargeable work, time spent."
    )
    section = "service"
    group_bys = ("kind", "technician", "region", "month", "quarter")
    default_group_by = "kind"

    def compute(self, user: Any, params: Params) -> Result:
        group_by, period = params.group_by, params.period
        repair = Q(status="done", kind__in=("repair", "warranty_repair"))
        measures = {
            "done": Count("pk", filter=Q(status="done"), distinct=True),
            "failed": Count("pk", filter=Q(status="failed"), distinct=True),
            "repairs": Count("pk", filter=repair, distinct=True),
            "fixed": Count("pk", filter=repair & Q(first_time=True), distinct=True),
            "warranty": Count("pk", filter=Q(status="done", chargeable=False), distinct=True),
            "chargeable": Count("pk", filter=Q(status="done", chargeable=True), distinct=True),
            "minutes": Avg("minutes_spent", filter=Q(status="done")),
        }
        qs = work_orders(user, period).annotate(first_time=_fixed_first_time())
        got = _grouped(qs, _work_group(group_by), group_by, **measures)

        def make(v: dict[str, Any]) -> dict[str, Any]:
            minutes = v.get("minutes")
            return {
                "done": v.get("done") or 0,
                "failed": v.get("failed") or 0,
                "first_time_fix": _pct(v.get("fixed") or 0, v.get("repairs") or 0),
                "warranty": v.get("warranty") or 0,
                "chargeable": v.get("chargeable") or 0,
                "minutes": Decimal(str(minutes)).quantize(Decimal("0.1")) if minutes is not None else None,
            }

        from sencrm.fieldservice.models import WorkOrder

        names = _labels(WorkOrder, "employee" if group_by == "technician" else group_by, list(got), "kind")
        rows = _rows(group_by, period, got, make, names)
        return Result(
            title=self.title,
            params=params,
            group_label=self.group_label(group_by),
            columns=[
                Column("done", gettext_lazy("Done"), COUNT, drill=True),
                Column("failed", gettext_lazy("Could not complete"), COUNT, drill=True),
                Column("first_time_fix", gettext_lazy("First-time fix"), PERCENT),
                Column("warranty", gettext_lazy("Under warranty (free)"), COUNT, drill=True),
                Column("chargeable", gettext_lazy("Chargeable"), COUNT, drill=True),
                Column("minutes", gettext_lazy("Minutes spent (average)"), DAYS),
            ],
            rows=rows,
            totals=make(qs.aggregate(**measures)),
            chart={
                "type": "bar",
                "labels": [r["label"] for r in rows],
                "datasets": [
                    {"label": str(_("Under warranty (free)")), "data": [r["warranty"] for r in rows]},
                    {"label": str(_("Chargeable")), "data": [r["chargeable"] for r in rows]},
                ],
            },
            notes=[
                _(
                    "First-time fix: done repairs with no other repair of the same installed product within "
                    "%(days)d days."
                )
                % {"days": FIX_DAYS}
            ],
        )

    def drill(self, user: Any, params: Params, key: str, column: str) -> Drill:
        qs = work_orders(user, _narrow(params, key))
        if params.group_by not in base.BUCKETS:
            qs = _filter_group(qs, _work_group(params.group_by), key)
        filters = {
            "done": Q(status="done"),
            "failed": Q(status="failed"),
            "warranty": Q(status="done", chargeable=False),
            "chargeable": Q(status="done", chargeable=True),
        }
        qs = qs.filter(filters.get(column, Q(pk__in=[])))
        count = qs.count()
        rows = [
            {
                "number": w.number,
                "url": reverse("fieldservice:workorder_detail", args=[w.pk]),
                "title": w.title,
                "kind": w.get_kind_display(),
                "technician": str(w.technician) if w.technician_id else "",
                "finished": w.finished_at,
            }
            for w in qs.select_related("technician").order_by("-finished_at", "-pk")[:DRILL_LIMIT]
        ]
        return Drill(
            str(_("Work orders")),
            [
                ("number", gettext_lazy("Work order"), "link"),
                ("title", gettext_lazy("Title"), "text"),
                ("kind", gettext_lazy("Work type"), "text"),
                ("technician", gettext_lazy("Technician"), "text"),
                ("finished", gettext_lazy("Finished"), "datetime"),
            ],
            rows,
            count,
            count,
            total_key="count",
        )
