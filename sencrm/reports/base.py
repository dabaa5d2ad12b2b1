"""The reports' common ground: the period, the parameters, the result, the registry and the scope.

A canned report is a `Report` subclass registered under its URL name (`revenue`, `best-sellers`…). It
computes a `Result` — columns, rows keyed by the group, totals — with grouped SQL queries under the
reader's reports scope, and answers a drill-down (`drill`) with the records behind one cell, whose sum
is the cell. The pages, the API, the exports, the dashboards and the scheduled emails all call
`run(user, name, params)`, so each figure has one definition (docs/decisions.md, "Reports").

Periods are dates in Asia/Ho_Chi_Minh: `date_from` and `date_to` both included; a datetime column is
compared with the local midnights that bound them (`Period.bounds`).
"""

from __future__ import annotations

import calendar
import datetime as dt
import zoneinfo
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any, ClassVar

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.http import Http404
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sencrm.core import access
from sencrm.core.db import analytic_query
from sencrm.core.modules import Action, Module, Scope

TZ = zoneinfo.ZoneInfo("Asia/Ho_Chi_Minh")
PERIODS = ("month", "quarter", "year", "custom")
BUCKETS = ("day", "week", "month", "quarter", "year")
MAX_DAYS = 3 * 366 + 1  # a custom period spans at most three years (the comparisons read two more)
ZERO = Decimal(0)


# --- the period --------------------------------------------------------------------------------------


def _month_index(day: dt.date) -> int:
    return day.year * 12 + day.month - 1


def month_start(index: int) -> dt.date:
    return dt.date(index // 12, index % 12 + 1, 1)


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` later, clamped to the month's end (31 Jan + 1 → 28/29 Feb)."""
    start = month_start(_month_index(day) + months)
    last = calendar.monthrange(start.year, start.month)[1]
    return start.replace(day=min(day.day, last))


def month_end(day: dt.date) -> dt.date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


@dataclass(frozen=True)
class Period:
    """A stretch of local dates, both ends included; `kind` says how it was chosen (and how it moves)."""

    kind: str
    date_from: dt.date
    date_to: dt.date

    @classmethod
    def containing(cls, kind: str, day: dt.date) -> Period:
        if kind == "month":
            return cls(kind, day.replace(day=1), month_end(day))
        if kind == "quarter":
            first = dt.date(day.year, (day.month - 1) // 3 * 3 + 1, 1)
            return cls(kind, first, month_end(add_months(first, 2)))
        if kind == "year":
            return cls(kind, dt.date(day.year, 1, 1), dt.date(day.year, 12, 31))
        raise ValueError(kind)

    @property
    def days(self) -> int:
        return (self.date_to - self.date_from).days + 1

    def _whole_months(self) -> int | None:
        """The number of whole calendar months the period spans, or None when it is not whole months."""
        if self.date_from.day != 1 or self.date_to != month_end(self.date_to):
            return None
        return _month_index(self.date_to) - _month_index(self.date_from) + 1

    def previous(self) -> Period:
        """The period just before, of the same length: the previous month, quarter or year; for other
        stretches of whole months the same number of months; otherwise the same number of days."""
        months = self._whole_months()
        if months:
            start = add_months(self.date_from, -months)
            return Period(self.kind, start, month_end(add_months(start, months - 1)))
        end = self.date_from - dt.timedelta(days=1)
        return Period(self.kind, end - dt.timedelta(days=self.days - 1), end)

    def last_year(self) -> Period:
        """The same dates a year earlier (29 February → 28 February; a period ending on the last day of
        February ends on the last day of February)."""

        def back(day: dt.date, end: bool) -> dt.date:
            if day.month == 2 and (day.day == 29 or (end and day == month_end(day))):
                return month_end(dt.date(day.year - 1, 2, 1))
            return day.replace(year=day.year - 1)

        return Period(self.kind, back(self.date_from, False), back(self.date_to, True))

    def bounds(self) -> tuple[dt.datetime, dt.datetime]:
        """Local midnight at the start, and local midnight after the last day (excluded)."""
        start = dt.datetime.combine(self.date_from, dt.time.min, tzinfo=TZ)
        end = dt.datetime.combine(self.date_to + dt.timedelta(days=1), dt.time.min, tzinfo=TZ)
        return start, end

    def label(self) -> str:
        if self.kind == "month" and self._whole_months() == 1:
            return f"{self.date_from.month:02d}/{self.date_from.year}"
        if self.kind == "quarter" and self._whole_months() == 3 and self.date_from.month % 3 == 1:
            return _("Q%(q)d/%(year)d") % {
                "q": (self.date_from.month - 1) // 3 + 1,
                "year": self.date_from.year,
            }
        if self.kind == "year" and self._whole_months() == 12 and self.date_from.month == 1:
            return str(self.date_from.year)
        return f"{self.date_from:%d/%m/%Y} – {self.date_to:%d/%m/%Y}"

    def as_json(self) -> dict[str, str]:
        return {
            "period": self.kind,
            "date_from": self.date_from.isoformat(),
            "date_to": self.date_to.isoformat(),
            "label": self.label(),
        }


def bucket_key(bucket: str, day: dt.date) -> str:
    """The key of the time bucket holding `day`: 2026-12-05, 2026-W49, 2026-12, 2026-Q4, 2026."""
    if bucket == "day":
        return day.isoformat()
    if bucket == "week":
        year, week, _weekday = day.isocalendar()
        return f"{year}-W{week:02d}"
    if bucket == "month":
        return f"{day.year:04d}-{day.month:02d}"
    if bucket == "quarter":
        return f"{day.year:04d}-Q{(day.month - 1) // 3 + 1}"
    return f"{day.year:04d}"


def bucket_keys(bucket: str, period: Period) -> list[str]:
    """Every bucket of the period in order (empty ones included, so a chart has no holes)."""
    keys: list[str] = []
    day = period.date_from
    while day <= period.date_to:
        key = bucket_key(bucket, day)
        if not keys or keys[-1] != key:
            keys.append(key)
        day = day + dt.timedelta(days=1) if bucket in ("day", "week") else add_months(day.replace(day=1), 1)
    return keys


def bucket_label(bucket: str, key: str) -> str:
    if bucket == "day":
        return dt.date.fromisoformat(key).strftime("%d/%m/%Y")
    if bucket == "month":
        return f"{key[5:7]}/{key[:4]}"
    if bucket == "quarter":
        return f"{key[5:]}/{key[:4]}"
    if bucket == "week":
        return _("Week %(week)s/%(year)s") % {"week": key[6:], "year": key[:4]}
    return key


# --- parameters --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Params:
    period: Period
    group_by: str
    options: Mapping[str, str] = field(default_factory=dict)

    def query(self, **changes: Any) -> dict[str, str]:
        values = {
            "period": self.period.kind,
            "date_from": self.period.date_from.isoformat(),
            "date_to": self.period.date_to.isoformat(),
            "group_by": self.group_by,
            **{k: str(v) for k, v in self.options.items()},
        }
        values.update({k: str(v) for k, v in changes.items()})
        return values

    def moved(self, period: Period) -> dict[str, str]:
        """The query string of the same report over another period."""
        return self.query(date_from=period.date_from.isoformat(), date_to=period.date_to.isoformat())

    def next_period(self) -> Period:
        """The period just after, of the same length (the mirror of `Period.previous`)."""
        p = self.period
        months = p._whole_months()
        if months:
            start = add_months(p.date_from, months)
            return Period(p.kind, start, month_end(add_months(start, months - 1)))
        start = p.date_to + dt.timedelta(days=1)
        return Period(p.kind, start, start + dt.timedelta(days=p.days - 1))

    def with_period(self, period: Period) -> Params:
        return replace(self, period=period)


def _parse_date(raw: Any, name: str, errors: dict[str, list[str]]) -> dt.date | None:
    text = str(raw or "").strip()
    if not text:
        return None
    try:
        if len(text) != 10:
            raise ValueError(text)
        return dt.date.fromisoformat(text)
    except ValueError:
        errors[name] = [_("Enter a date as YYYY-MM-DD.")]
        return None


def parse_period(
    data: Mapping[str, Any], errors: dict[str, list[str]], today: dt.date | None = None
) -> Period:
    """`period` (month, quarter, year or custom): with `date`, the month, quarter or year holding it;
    else `date_from`/`date_to` give the stretch (both included); else the month, quarter or year holding
    `date_from` or today. `custom` needs both dates."""
    today = today or timezone.localdate()
    kind = str(data.get("period") or "month").strip()
    if kind not in PERIODS:
        errors["period"] = [_("Choose one of: %(values)s.") % {"values": ", ".join(PERIODS)}]
        kind = "month"
    date_from = _parse_date(data.get("date_from"), "date_from", errors)
    date_to = _parse_date(data.get("date_to"), "date_to", errors)
    day = _parse_date(data.get("date"), "date", errors)
    if day is not None and kind != "custom":
        return Period.containing(kind, day)  # the month, quarter or year holding the day
    anchor = date_from or today
    if kind == "custom" and not errors and (date_from is None or date_to is None):
        errors["date_from" if date_from is None else "date_to"] = [
            _("A custom period needs a start and an end date.")
        ]
    if date_from and date_to:
        if date_from > date_to:
            errors["date_to"] = [_("The end of the period is before its start.")]
        elif (date_to - date_from).days + 1 > MAX_DAYS:
            errors["date_to"] = [_("The period is too long: at most three years.")]
        else:
            return Period(kind, date_from, date_to)
    if kind == "custom":
        return Period.containing("month", today)
    return Period.containing(kind, anchor)


# --- results -----------------------------------------------------------------------------------------

# Kinds of value a column holds (how pages format it and how the API writes it).
MONEY, COUNT, NUMBER, PERCENT, DAYS, TEXT = "money", "count", "number", "percent", "days", "text"


@dataclass(frozen=True)
class Column:
    key: str
    label: str | Promise
    kind: str = MONEY
    drill: bool = False  # whether a cell opens the records behind it
    compare: bool = True  # whether the previous period and last year are shown beside it


@dataclass
class Result:
    title: str | Promise
    params: Params
    group_label: str | Promise
    columns: list[Column]
    rows: list[dict[str, Any]]  # each: key, label, and a value per column key
    totals: dict[str, Any]
    previous: dict[str, Any] | None = None  # totals of the previous period
    last_year: dict[str, Any] | None = None  # totals of the same period a year earlier
    previous_rows: dict[str, dict[str, Any]] = field(default_factory=dict)  # row key → values
    last_year_rows: dict[str, dict[str, Any]] = field(default_factory=dict)
    chart: dict[str, Any] | None = None  # {"type": "bar"|"line", "labels": [...], "datasets": [...]}
    notes: list[str | Promise] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)  # report-specific parts (a matrix, a lag…)


@dataclass
class Drill:
    """The records behind one cell: `rows` (at most `limit`), the cell's `total` recomputed from all of
    them, and their `count`."""

    title: str
    columns: list[tuple[str, str | Promise, str]]  # (key, label, kind)
    rows: list[dict[str, Any]]
    total: Any
    count: int
    total_key: str | None = None


# --- scope -------------------------------------------------------------------------------------------


def report_level(user: Any) -> str:
    """The reader's scope of the reports module; PermissionDenied without the right to view reports."""
    level = access.scope_level(user, Module.REPORTS, Action.VIEW)
    if level is None:
        raise PermissionDenied(_("Your role does not allow this."))
    return level


def in_scope(qs: models.QuerySet[Any], user: Any, level: str, prefix: str = "") -> models.QuerySet[Any]:
    """`qs` narrowed to the reports scope with the owner/team rule of the records' own model (a
    manager's figures are their teams' records); `prefix` reaches the gated record from a line."""
    if level == Scope.ALL:
        return qs
    if not prefix:
        model: Any = qs.model
        return qs.filter(model.access_q(user, level))
    target: Any = qs.model
    for part in prefix.split("__"):
        target = target._meta.get_field(part).related_model
    return qs.filter(**{f"{prefix}__in": target._default_manager.filter(target.access_q(user, level))})


# --- the registry ------------------------------------------------------------------------------------


class Report:
    """One canned report. Subclasses set the class attributes and implement `compute` (and `drill`)."""

    name: ClassVar[str]
    title: ClassVar[str | Promise]
    description: ClassVar[str | Promise] = ""
    section: ClassVar[str] = "sales"  # revenue, sales, marketing, service, customers
    group_bys: ClassVar[tuple[str, ...]] = ("month",)
    default_group_by: ClassVar[str] = "month"
    compare: ClassVar[bool] = True  # whether the previous period and last year are computed
    options: ClassVar[dict[str, tuple[str, ...]]] = {}  # extra query parameters and their choices

    def group_label(self, group_by: str) -> str | Promise:
        return GROUP_LABELS.get(group_by, group_by)

    def compute(self, user: Any, params: Params) -> Result:
        raise NotImplementedError

    def drill(self, user: Any, params: Params, key: str, column: str) -> Drill:
        raise Http404(str(access.NOT_FOUND))


REGISTRY: dict[str, Report] = {}


def register(cls: type[Report]) -> type[Report]:
    REGISTRY[cls.name] = cls()
    return cls


GROUP_LABELS: dict[str, str | Promise] = {
    "day": gettext_lazy("Day"),
    "week": gettext_lazy("Week"),
    "month": gettext_lazy("Month"),
    "quarter": gettext_lazy("Quarter"),
    "year": gettext_lazy("Year"),
    "employee": gettext_lazy("Employee"),
    "team": gettext_lazy("Team"),
    "product": gettext_lazy("Product"),
    "category": gettext_lazy("Product category"),
    "region": gettext_lazy("Region"),
    "province": gettext_lazy("Province"),
    "customer_group": gettext_lazy("Customer group"),
    "age_band": gettext_lazy("Age band"),
    "channel": gettext_lazy("Channel"),
    "campaign": gettext_lazy("Campaign"),
    "source": gettext_lazy("Source"),
    "category_ticket": gettext_lazy("Ticket category"),
    "line": gettext_lazy("Line"),
    "kind": gettext_lazy("Kind"),
    "technician": gettext_lazy("Technician"),
    "stage": gettext_lazy("Stage"),
    "segment": gettext_lazy("Segment"),
}


def get_report(name: str) -> Report:
    report = REGISTRY.get(name)
    if report is None:
        raise Http404(_("There is no report by that name."))
    return report


def parse_params(report: Report, data: Mapping[str, Any], today: dt.date | None = None) -> Params:
    """The report's parameters from a query string; a ValidationError per parameter (in the reader's
    language) for an unknown period, grouping or option, a bad date, or a reversed or too long period."""
    errors: dict[str, list[str]] = {}
    period = parse_period(data, errors, today)
    group_by = str(data.get("group_by") or report.default_group_by).strip()
    if group_by not in report.group_bys:
        errors["group_by"] = [_("Choose one of: %(values)s.") % {"values": ", ".join(report.group_bys)}]
    options: dict[str, str] = {}
    for name, choices in report.options.items():
        value = str(data.get(name) or choices[0]).strip()
        if value not in choices:
            errors[name] = [_("Choose one of: %(values)s.") % {"values": ", ".join(choices)}]
        options[name] = value
    if errors:
        raise ValidationError(errors)
    return Params(period=period, group_by=group_by, options=options)


Hook = Callable[[Any, Result], None]


def run(user: Any, name: str, params: Params) -> Result:
    """The report computed as `user` reads it (PermissionDenied without the right to view reports),
    with the previous period's and last year's figures when the report compares."""
    return run_report(user, get_report(name), params)


def run_report(user: Any, report: Report, params: Params) -> Result:
    """`run` for a report object (a saved builder report is not in the registry)."""
    report_level(user)
    with analytic_query():
        return _run_report(user, report, params)


def _run_report(user: Any, report: Report, params: Params) -> Result:
    result = report.compute(user, params)
    if report.compare:
        before, year_ago = params.period.previous(), params.period.last_year()
        previous = report.compute(user, params.with_period(before))
        if (year_ago.date_from, year_ago.date_to) == (before.date_from, before.date_to):
            last_year = previous  # a year: the previous period is the same period last year
        else:
            last_year = report.compute(user, params.with_period(year_ago))
        result.previous, result.last_year = previous.totals, last_year.totals
        result.previous_rows = _aligned(result, previous, params.group_by)
        result.last_year_rows = _aligned(result, last_year, params.group_by)
    return result


def _aligned(current: Result, other: Result, group_by: str) -> dict[str, dict[str, Any]]:
    """The other period's rows by the current rows' keys: the same key for a grouping by value, the
    same position for time buckets (this March beside last March, the n-th day beside the n-th)."""
    if group_by not in BUCKETS:
        return {row["key"]: row for row in other.rows}
    return {row["key"]: o for row, o in zip(current.rows, other.rows, strict=False)}


def change(current: Any, before: Any) -> Decimal | None:
    """The change in percent from `before` to `current` (None when `before` is 0 or missing)."""
    if current is None or before in (None, 0, ZERO):
        return None
    return ((Decimal(current) - Decimal(before)) * 100 / abs(Decimal(before))).quantize(Decimal("0.1"))
