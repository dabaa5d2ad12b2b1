"""The report builder: a definition (a record type, filters, a grouping, measures, a sort and a chart)
validated into a report that runs like the canned ones — one grouped query under the reports scope.

A definition is JSON:

    {"source": "invoices",
     "group_by": "month",                      # a field, a time bucket, region or age band
     "measures": [{"op": "sum", "field": "total"}, {"op": "count"}],
     "filters": {"match": "all", "rules": [...]},   # the segment rule builder's, on the record's contact
     "sort": "measure" | "group", "descending": true,
     "chart": "bar" | "line" | "pie" | "none",
     "limit": 50}

`validate` answers a ValidationError naming the part at fault (an unknown source, field, grouping or
measure, a measure on a field that is not a number, bad rules…), in the reader's language: never a 500.
Saved definitions (SavedReport) are shared with a team or a role, put on dashboards and sent by email
on a schedule (sencrm/reports/schedules.py); whoever reads one reads it in their own scope.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import models
from django.db.models import Avg, Count, DecimalField, Max, Min, Q, Sum
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sencrm.core import access
from sencrm.core.modules import Action, Module
from sencrm.reports import base, dims

AMOUNT = DecimalField(max_digits=22, decimal_places=4)
OPS: dict[str, Any] = {
    "count": gettext_lazy("Count"),
    "sum": gettext_lazy("Sum"),
    "avg": gettext_lazy("Average"),
    "min": gettext_lazy("Minimum"),
    "max": gettext_lazy("Maximum"),
    "distinct": gettext_lazy("Distinct count"),
}
CHARTS = ("bar", "line", "pie", "none")
MAX_MEASURES = 6
MAX_LIMIT = 500
DRILL_LIMIT = 500
CUSTOMER_DIMS = ("region", "province", "customer_group", "age_band", "channel", "campaign")


@dataclass(frozen=True)
class Source:
    key: str
    label: str | Promise
    model_label: str  # app_label.Model
    date: str
    is_datetime: bool
    base_filter: Q
    groups: tuple[str, ...]  # model fields one may group by (choices, booleans, foreign keys)
    numbers: tuple[str, ...]  # model fields one may add up
    # Where the record's contact is (the segment rules apply to it): "" for contacts themselves, None for
    # records without one (leads keep their own province and campaign).
    contact: str | None = "contact"
    account: str | None = "account"
    gate: str = ""  # the path to the gated record for a line ("" : the record itself)
    url_name: str = ""
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def model(self) -> Any:
        from django.apps import apps

        return apps.get_model(self.model_label)

    def paths(self) -> dims.Paths:
        prefix = f"{self.gate}__" if self.gate else ""
        return dims.Paths(
            contact=self.contact or "contact",
            account=self.account or "account",
            owner=f"{prefix}owner",
            team=f"{prefix}team",
            product="product",
            date=self.date,
            is_datetime=self.is_datetime,
        )

    def group_choices(self) -> list[str]:
        customer = list(CUSTOMER_DIMS) if self.contact is not None else []
        return [*base.BUCKETS, *self.groups, *customer]


SOURCES: dict[str, Source] = {
    s.key: s
    for s in (
        Source(
            "invoices",
            gettext_lazy("Invoices"),
            "billing.Invoice",
            "issue_date",
            False,
            Q(deleted_at__isnull=True, status__in=("issued", "partly_paid", "paid")),
            ("status", "kind", "is_credit", "owner", "team", "currency"),
            ("total", "subtotal", "discount_total", "vat_total", "paid_total", "balance"),
            url_name="billing:invoice_detail",
        ),
        Source(
            "invoice_lines",
            gettext_lazy("Invoice lines"),
            "billing.InvoiceLine",
            "invoice__issue_date",
            False,
            Q(invoice__deleted_at__isnull=True, invoice__status__in=("issued", "partly_paid", "paid")),
            ("product", "vat_rate", "unit"),
            ("quantity", "amount", "vat_amount", "unit_price"),
            contact="invoice__contact",
            account="invoice__account",
            gate="invoice",
            extra={"category": "product__category"},
        ),
        Source(
            "receipts",
            gettext_lazy("Receipts"),
            "billing.Payment",
            "paid_at",
            True,
            Q(deleted_at__isnull=True, kind="receipt"),
            ("method", "owner", "team"),
            ("amount",),
            url_name="billing:payment_detail",
        ),
        Source(
            "contacts",
            gettext_lazy("Contacts"),
            "customers.Contact",
            "created_at",
            True,
            Q(deleted_at__isnull=True),
            ("lifecycle_stage", "gender", "source", "owner", "team", "first_campaign"),
            ("payment_terms_days",),
            contact="",
            account="account",
            url_name="customers:contact_detail",
        ),
        Source(
            "leads",
            gettext_lazy("Leads"),
            "sales.Lead",
            "created_at",
            True,
            Q(deleted_at__isnull=True),
            ("status", "source", "province", "first_campaign", "owner", "team"),
            ("score",),
            contact=None,
            account=None,
            url_name="sales:lead_detail",
        ),
        Source(
            "opportunities",
            gettext_lazy("Opportunities"),
            "sales.Opportunity",
            "created_at",
            True,
            Q(deleted_at__isnull=True),
            ("status", "stage", "pipeline", "source", "owner", "team", "first_campaign"),
            ("amount", "probability"),
            url_name="sales:opportunity_detail",
        ),
        Source(
            "tickets",
            gettext_lazy("Tickets"),
            "support.Ticket",
            "created_at",
            True,
            Q(deleted_at__isnull=True),
            ("status", "priority", "channel", "line", "category", "queue", "breached", "owner", "team"),
            ("first_response_business_minutes", "resolution_business_minutes"),
            url_name="support:ticket_detail",
        ),
        Source(
            "work_orders",
            gettext_lazy("Work orders"),
            "fieldservice.WorkOrder",
            "created_at",
            True,
            Q(deleted_at__isnull=True),
            ("kind", "status", "technician", "chargeable", "owner", "team"),
            ("minutes_spent", "labour_price"),
            url_name="fieldservice:workorder_detail",
        ),
    )
}


@dataclass(frozen=True)
class Definition:
    source: Source
    group_by: str
    measures: tuple[tuple[str, str], ...]  # (op, field or "")
    filters: Mapping[str, Any] | None
    sort: str
    descending: bool
    chart: str
    limit: int

    def as_json(self) -> dict[str, Any]:
        return {
            "source": self.source.key,
            "group_by": self.group_by,
            "measures": [{"op": op, **({"field": f} if f else {})} for op, f in self.measures],
            "filters": dict(self.filters) if self.filters else None,
            "sort": self.sort,
            "descending": self.descending,
            "chart": self.chart,
            "limit": self.limit,
        }


def field_label(source: Source, name: str) -> str:
    if name in base.BUCKETS or name in CUSTOMER_DIMS or name == "category":
        return str(base.GROUP_LABELS.get(name, name))
    try:
        return str(source.model._meta.get_field(name).verbose_name).capitalize()
    except FieldDoesNotExist:
        return name


def catalogue() -> list[dict[str, Any]]:
    """What the builder offers per source: its groupings and its number fields, with their labels."""
    return [
        {
            "key": s.key,
            "label": str(s.label),
            "groups": [{"key": g, "label": field_label(s, g)} for g in [*s.group_choices(), *s.extra]],
            "numbers": [{"key": n, "label": field_label(s, n)} for n in s.numbers],
        }
        for s in SOURCES.values()
    ]


def validate(data: Any) -> Definition:
    """A definition from JSON, checked part by part."""
    if not isinstance(data, Mapping):
        raise ValidationError({"definition": [_("A report definition must be an object.")]})
    errors: dict[str, list[str]] = {}
    source = SOURCES.get(str(data.get("source") or ""))
    if source is None:
        raise ValidationError({"source": [_("Choose one of: %(values)s.") % {"values": ", ".join(SOURCES)}]})
    groups = [*source.group_choices(), *source.extra]
    group_by = str(data.get("group_by") or "month")
    if group_by not in groups:
        errors["group_by"] = [
            _("“%(value)s” is not a grouping of %(source)s. Choose one of: %(values)s.")
            % {"value": group_by[:50], "source": source.label, "values": ", ".join(groups)}
        ]
    raw_measures = data.get("measures") or [{"op": "count"}]
    measures: list[tuple[str, str]] = []
    if not isinstance(raw_measures, list) or len(raw_measures) > MAX_MEASURES:
        errors["measures"] = [_("Give between 1 and %(n)d measures.") % {"n": MAX_MEASURES}]
        raw_measures = []
    for i, m in enumerate(raw_measures, start=1):
        if not isinstance(m, Mapping) or str(m.get("op") or "") not in OPS:
            errors.setdefault("measures", []).append(
                _("Measure %(n)d: choose one of: %(values)s.") % {"n": i, "values": ", ".join(OPS)}
            )
            continue
        op, name = str(m["op"]), str(m.get("field") or "")
        if op == "count":
            name = ""
        elif op == "distinct":
            customer = ("contact", "account") if source.contact else ()
            if name and name not in (*source.groups, *source.numbers, *customer):
                errors.setdefault("measures", []).append(
                    _("Measure %(n)d: “%(field)s” is not a field of %(source)s.")
                    % {"n": i, "field": name[:50], "source": source.label}
                )
                continue
            name = name or (source.contact or "pk")
        elif name not in source.numbers:
            errors.setdefault("measures", []).append(
                _("Measure %(n)d: “%(field)s” is not a number field of %(source)s (%(values)s).")
                % {"n": i, "field": name[:50], "source": source.label, "values": ", ".join(source.numbers)}
            )
            continue
        measures.append((op, name))
    filters = data.get("filters") or None
    if filters:
        from sencrm.marketing import segment_rules

        if source.contact is None:
            errors["filters"] = [_("These records have no contact to filter on.")]
        else:
            try:
                segment_rules.compile_rules(filters)
            except ValidationError as exc:
                errors["filters"] = [m for ms in exc.message_dict.values() for m in ms]
    sort = str(data.get("sort") or "group")
    if sort not in ("group", "measure"):
        errors["sort"] = [_("Choose one of: %(values)s.") % {"values": "group, measure"}]
    chart = str(data.get("chart") or "bar")
    if chart not in CHARTS:
        errors["chart"] = [_("Choose one of: %(values)s.") % {"values": ", ".join(CHARTS)}]
    try:
        limit = int(data.get("limit") or 50)
        if not 1 <= limit <= MAX_LIMIT:
            raise ValueError(limit)
    except (TypeError, ValueError):
        errors["limit"] = [_("Give a number of rows from 1 to %(n)d.") % {"n": MAX_LIMIT}]
        limit = 50
    if errors:
        raise ValidationError(errors)
    return Definition(
        source=source,
        group_by=group_by,
        measures=tuple(measures),
        filters=filters,
        sort=sort,
        descending=bool(data.get("descending", sort == "measure")),
        chart=chart,
        limit=limit,
    )


def _aggregate(op: str, name: str) -> Any:
    if op == "count":
        return Count("pk")
    if op == "distinct":
        return Count(name, distinct=True)
    return {"sum": Sum, "avg": Avg, "min": Min, "max": Max}[op](name, output_field=AMOUNT)


def _measure_key(i: int) -> str:
    return f"m{i}"


def _measure_label(source: Source, op: str, name: str) -> str:
    if op == "count":
        return _("Number of records")
    return f"{OPS[op]} — {field_label(source, name)}"


class BuiltReport(base.Report):
    """A report from a definition (not registered: saved reports and previews run it)."""

    name = "custom"
    section = "custom"

    def __init__(self, definition: Definition, title: str = "") -> None:
        self.definition = definition
        self.title = title or str(definition.source.label)  # type: ignore[misc]
        self.group_bys = (definition.group_by,)  # type: ignore[misc]
        self.default_group_by = definition.group_by  # type: ignore[misc]

    def queryset(self, user: Any, period: base.Period) -> models.QuerySet[Any]:
        d = self.definition
        source = d.source
        level = base.report_level(user)
        qs = source.model._default_manager.filter(source.base_filter)
        if source.is_datetime:
            start, end = period.bounds()
            qs = qs.filter(**{f"{source.date}__gte": start, f"{source.date}__lt": end})
        else:
            qs = qs.filter(**{f"{source.date}__gte": period.date_from, f"{source.date}__lte": period.date_to})
        qs = base.in_scope(qs, user, level, source.gate)
        if d.filters:
            from sencrm.customers.models import Contact
            from sencrm.marketing import segment_rules

            matching = Contact.objects.filter(segment_rules.compile_rules(d.filters))
            if source.key == "contacts":
                qs = qs.filter(pk__in=matching.values("pk"))
            else:
                qs = qs.filter(**{f"{source.contact}__in": matching.values("pk")})
        return qs

    def _group_expression(self, on: Any) -> Any:
        d = self.definition
        if d.group_by in base.BUCKETS:
            return dims.time_bucket(d.group_by, d.source.date, d.source.is_datetime)
        if d.group_by in CUSTOMER_DIMS:
            if d.source.key == "contacts":
                return _contact_dim(d.group_by, on)
            return dims.expression(d.group_by, d.source.paths(), on)
        if d.group_by in d.source.extra:
            return models.F(d.source.extra[d.group_by])
        return models.F(d.group_by)

    def compute(self, user: Any, params: base.Params) -> base.Result:
        d = self.definition
        period = params.period
        measures = {_measure_key(i): _aggregate(op, f) for i, (op, f) in enumerate(d.measures)}
        grouped = (
            self.queryset(user, period)
            .annotate(_g=self._group_expression(period.date_to))
            .values("_g")
            .annotate(**measures)
            .order_by()
        )
        values: dict[str, dict[str, Any]] = {}
        for row in grouped:
            raw = row.pop("_g")
            key = dims.normalise(d.group_by, raw) if d.group_by in base.BUCKETS else _key(raw)
            values[key] = row
        labels = self._labels(list(values))
        rows = [
            {
                "key": key,
                "label": labels.get(key, key),
                **{k: _clean(v) for k, v in row.items()},
                "drill": True,
            }
            for key, row in values.items()
        ]
        if d.group_by in base.BUCKETS:
            present = {r["key"]: r for r in rows}
            rows = [
                present.get(k)
                or {
                    "key": k,
                    "label": dims.labels(d.group_by, [k])[k],
                    **{m: 0 for m in measures},
                    "drill": True,
                }
                for k in base.bucket_keys(d.group_by, period)
            ]
        elif d.sort == "measure" and measures:
            rows.sort(key=lambda r: (r.get("m0") or 0, r["label"]), reverse=d.descending)
        else:
            rows.sort(key=lambda r: str(r["label"]), reverse=d.descending)
        rows = rows[: d.limit] if d.group_by not in base.BUCKETS else rows
        totals_row = self.queryset(user, period).aggregate(**measures)
        totals = {k: _clean(v) for k, v in totals_row.items()}
        columns = [
            base.Column(_measure_key(i), _measure_label(d.source, op, f), _kind(d.source, op, f), drill=True)
            for i, (op, f) in enumerate(d.measures)
        ]
        chart = None
        if d.chart != "none" and columns:
            chart = {
                "type": d.chart,
                "labels": [str(r["label"]) for r in rows[:50]],
                "datasets": [
                    {"label": str(c.label), "data": [float(r.get(c.key) or 0) for r in rows[:50]]}
                    for c in columns[:3]
                ],
            }
        return base.Result(
            title=self.title,
            params=params,
            group_label=field_label(d.source, d.group_by),
            columns=columns,
            rows=rows,
            totals=totals,
            chart=chart,
        )

    def _labels(self, keys: list[str]) -> dict[str, str]:
        d = self.definition
        name = d.group_by
        if name in base.BUCKETS or name in CUSTOMER_DIMS or name == "category":
            return dims.labels("campaign" if name == "campaign" else name, keys)
        model_field: Any = d.source.model._meta.get_field(name)
        out = {dims.NONE_KEY: _("(none)")}
        if model_field.choices:
            out.update({str(v): str(label) for v, label in model_field.flatchoices})
        elif isinstance(model_field, models.BooleanField):
            out.update({"True": _("Yes"), "False": _("No")})
        elif model_field.is_relation:
            related: Any = model_field.related_model
            ids = [int(k) for k in keys if k.isdigit()]
            if name in ("owner", "technician"):
                return {**out, **dims.labels("employee", keys)}
            out.update({str(o.pk): str(o) for o in related._default_manager.filter(pk__in=ids)})
        for key in keys:
            out.setdefault(key, key)
        return out

    def drill(self, user: Any, params: base.Params, key: str, column: str) -> base.Drill:
        d = self.definition
        index = int(column[1:]) if column[:1] == "m" and column[1:].isdigit() else -1
        if not 0 <= index < len(d.measures):
            return base.Drill("", [], [], None, 0)
        period = params.period
        if d.group_by in base.BUCKETS:
            bounds = dims.bucket_period(d.group_by, key)
            if bounds is None:
                return base.Drill("", [], [], None, 0)
            period = base.Period("custom", max(bounds[0], period.date_from), min(bounds[1], period.date_to))
            qs = self.queryset(user, period)
        else:
            expr = self._group_expression(params.period.date_to)
            qs = self.queryset(user, period).annotate(_g=expr)
            qs = qs.filter(_g__isnull=True) if key == dims.NONE_KEY else qs.filter(_g=_typed(key))
        op, name = d.measures[index]
        total = _clean(qs.aggregate(v=_aggregate(op, name))["v"])
        count = qs.count()
        url_name = d.source.url_name
        rows = []
        for obj in qs.order_by(f"-{d.source.date}", "-pk")[:DRILL_LIMIT]:
            row: dict[str, Any] = {"record": str(obj), "date": _date_of(obj, d.source.date)}
            if url_name:
                row["url"] = reverse(url_name, args=[obj.pk])
            if name and op not in ("count", "distinct"):
                row["value"] = _clean(_attr(obj, name))
            rows.append(row)
        columns: list[tuple[str, Any, str]] = [
            ("record", d.source.label, "link" if url_name else "text"),
            ("date", gettext_lazy("Date"), "date"),
        ]
        if name and op not in ("count", "distinct"):
            columns.append(("value", field_label(d.source, name), _kind(d.source, op, name)))
        return base.Drill(
            str(d.source.label), columns, rows, total, count, total_key="value" if name else None
        )


def _contact_dim(name: str, on: Any) -> Any:
    """A customer dimension for contacts themselves (the record is the contact)."""
    from django.db.models import F

    from sencrm.customers.choices import PROVINCE_REGIONS, Region

    if name == "age_band":
        return dims.age_band_case("date_of_birth", on)
    if name == "province":
        return F("province_id")
    if name == "customer_group":
        return F("customer_group_id")
    if name == "channel":
        return F("source__code")
    if name == "campaign":
        return F("first_campaign_id")
    from django.db.models import Case, CharField, Value, When

    return Case(
        *[
            When(
                province__code__in=[p for p, r in PROVINCE_REGIONS.items() if r == region],
                then=Value(str(region)),
            )
            for region in Region
        ],
        default=Value(dims.UNKNOWN),
        output_field=CharField(),
    )


def _key(value: Any) -> str:
    if value is None or value == "":
        return dims.NONE_KEY
    return str(value)


def _typed(key: str) -> Any:
    if key in ("True", "False"):
        return key == "True"
    return key


def _clean(value: Any) -> Any:
    if isinstance(value, Decimal | float):
        number = Decimal(str(value))
        return (
            number.quantize(Decimal(1))
            if number == number.to_integral_value()
            else number.quantize(Decimal("0.01"))
        )
    return value


def _kind(source: Source, op: str, name: str) -> str:
    if op in ("count", "distinct"):
        return base.COUNT
    if name in (
        "total",
        "subtotal",
        "discount_total",
        "vat_total",
        "paid_total",
        "balance",
        "amount",
        "vat_amount",
        "unit_price",
        "labour_price",
    ):
        return base.MONEY
    return base.NUMBER


def _attr(obj: Any, path: str) -> Any:
    for part in path.split("__"):
        obj = getattr(obj, part, None)
        if obj is None:
            return None
    return obj


def _date_of(obj: Any, path: str) -> Any:
    return _attr(obj, path)


def can_build(user: Any) -> bool:
    return access.can(user, Module.REPORTS, Action.VIEW)
