"""Group-by dimensions as SQL expressions, and the labels of their values.

A dimension is an expression the database groups by (`expression(name, …)`), so a report is one
GROUP BY whatever the number of records; `labels(name, keys)` names the groups afterwards with one query
per dimension. A record's customer is its contact when it names one, else its account: the customer's
province, region, group, source channel and first campaign come from that record; the age band from the
contact's date of birth on the period's last day (an account has no age: "unknown").
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db import models
from django.db.models import Case, CharField, F, Q, Value, When
from django.db.models.functions import (
    Coalesce,
    TruncDay,
    TruncMonth,
    TruncQuarter,
    TruncWeek,
    TruncYear,
)
from django.db.models.lookups import Exact, In, IsNull
from django.utils.translation import gettext as _

from sencrm.customers.choices import PROVINCE_REGIONS, Region
from sencrm.reports.base import BUCKETS, TZ, bucket_key, bucket_label

UNKNOWN = "unknown"
NONE_KEY = "none"

AGE_BANDS: tuple[tuple[str, int | None, int | None], ...] = (
    # (key, youngest age included, oldest age included) — the segment rules' bands
    ("under_25", None, 24),
    ("25_34", 25, 34),
    ("35_44", 35, 44),
    ("45_54", 45, 54),
    ("55_plus", 55, None),
)


def years_before(day: dt.date, years: int) -> dt.date:
    """The same day `years` earlier; 29 February becomes 28 February."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def age_band_case(dob: str, on: dt.date) -> Case:
    """The age band of a date of birth on a day, in SQL: age ≥ n ⇔ born on or before `on` n years
    earlier (someone born on 29 February is a year older on 1 March in other years)."""
    whens = []
    for key, youngest, _oldest in reversed(AGE_BANDS):
        if youngest is None:
            whens.append(When(**{f"{dob}__isnull": False}, then=Value(key)))
        else:
            whens.append(When(**{f"{dob}__lte": years_before(on, youngest)}, then=Value(key)))
    return Case(*whens, default=Value(UNKNOWN), output_field=CharField())


def _province_code(contact: str, account: str) -> Any:
    return Coalesce(F(f"{contact}__province__code"), F(f"{account}__province__code"))


def _in(expression: Any, values: list[str]) -> Q:
    return Q(In(expression, values))


def time_bucket(bucket: str, column: str, is_datetime: bool) -> Any:
    """The start of the bucket holding the column's value (a local date for a datetime column)."""
    kwargs: dict[str, Any] = {"tzinfo": TZ} if is_datetime else {}
    trunc = {
        "day": TruncDay,
        "week": TruncWeek,
        "month": TruncMonth,
        "quarter": TruncQuarter,
        "year": TruncYear,
    }[bucket]
    return trunc(column, output_field=models.DateField(), **kwargs)


def bucket_of(bucket: str, value: Any) -> str:
    """The bucket key of a truncated value as the database returns it (a date, or a datetime)."""
    if value is None:
        return NONE_KEY
    if isinstance(value, dt.datetime):
        value = value.astimezone(TZ).date() if value.tzinfo else value.date()
    return bucket_key(bucket, value)


class Paths:
    """Where a report's records keep their customer, owner, team, product and date."""

    def __init__(
        self,
        *,
        contact: str = "contact",
        account: str = "account",
        owner: str = "owner",
        team: str = "team",
        product: str | None = None,
        date: str,
        is_datetime: bool,
    ) -> None:
        self.contact, self.account, self.owner, self.team = contact, account, owner, team
        self.product, self.date, self.is_datetime = product, date, is_datetime


def expression(name: str, paths: Paths, on: dt.date) -> Any:
    """The SQL expression of a dimension for records reached through `paths`."""
    c, a = paths.contact, paths.account
    if name in BUCKETS:
        return time_bucket(name, paths.date, paths.is_datetime)
    if name == "employee":
        return F(f"{paths.owner}_id")
    if name == "team":
        return F(f"{paths.team}_id")
    if name == "product":
        return F(f"{paths.product}_id")
    if name == "category":
        return F(f"{paths.product}__category_id")
    if name == "province":
        return Coalesce(F(f"{c}__province_id"), F(f"{a}__province_id"))
    if name == "region":
        code = _province_code(c, a)
        return Case(
            *[
                When(
                    _in(code, [p for p, r in PROVINCE_REGIONS.items() if r == region]),
                    then=Value(str(region)),
                )
                for region in Region
            ],
            default=Value(UNKNOWN),
            output_field=CharField(),
        )
    if name == "customer_group":
        return Coalesce(F(f"{c}__customer_group_id"), F(f"{a}__customer_group_id"))
    if name == "age_band":
        return age_band_case(f"{c}__date_of_birth", on)
    if name == "channel":
        return Coalesce(F(f"{c}__source__code"), F(f"{a}__source__code"))
    if name == "campaign":
        return Coalesce(F(f"{c}__first_campaign_id"), F(f"{a}__first_campaign_id"))
    raise ValueError(name)


def normalise(name: str, value: Any) -> str:
    """A group's key as text (the API's `key`, the drill-down's parameter)."""
    if name in BUCKETS:
        return bucket_of(name, value)
    if value is None or value == "":
        return NONE_KEY
    return str(value)


def drill_filter(name: str, key: str, paths: Paths, on: dt.date) -> Q:
    """The records of one group, as a filter (the drill-down's: its sum is the group's cell)."""
    if name in BUCKETS:
        raise ValueError(name)  # time buckets are filtered by dates (reports narrow the period instead)
    expr = expression(name, paths, on)
    if key == NONE_KEY:
        return Q(IsNull(expr, True))
    value: Any = key
    if name in ("employee", "team", "product", "category", "province", "customer_group", "campaign"):
        try:
            value = int(key)
        except ValueError:
            return Q(pk__in=[])
    return Q(Exact(expr, value))


def bucket_period(bucket: str, key: str) -> tuple[dt.date, dt.date] | None:
    """The first and last day of a time bucket from its key (None for a malformed key)."""
    from sencrm.reports.base import Period, add_months, month_end

    try:
        if bucket == "day":
            day = dt.date.fromisoformat(key)
            return day, day
        if bucket == "week":
            year, week = int(key[:4]), int(key[6:])
            start = dt.date.fromisocalendar(year, week, 1)
            return start, start + dt.timedelta(days=6)
        if bucket == "month":
            start = dt.date(int(key[:4]), int(key[5:7]), 1)
            return start, month_end(start)
        if bucket == "quarter":
            start = dt.date(int(key[:4]), (int(key[6:]) - 1) * 3 + 1, 1)
            return start, month_end(add_months(start, 2))
        if bucket == "year":
            p = Period.containing("year", dt.date(int(key[:4]), 1, 1))
            return p.date_from, p.date_to
    except (ValueError, IndexError):
        return None
    return None


def labels(name: str, keys: Iterable[str]) -> dict[str, str]:
    """The names of a dimension's groups (one query for the lot)."""
    wanted = [k for k in keys if k != NONE_KEY]
    out: dict[str, str] = {NONE_KEY: _("(none)"), UNKNOWN: _("Unknown")}
    if name in BUCKETS:
        out.update({k: bucket_label(name, k) for k in wanted})
        return out
    ids = [int(k) for k in wanted if k.isdigit()]
    if name == "employee":
        from sencrm.users.models import User

        for user in User.objects.filter(pk__in=ids).only("full_name", "username"):
            out[str(user.pk)] = user.full_name or user.username
    elif name == "team":
        from sencrm.users.models import Team

        out.update({str(pk): n for pk, n in Team.objects.filter(pk__in=ids).values_list("pk", "name")})
    elif name == "product":
        from sencrm.catalog.models import Product

        for pk, code, n in Product.objects.filter(pk__in=ids).values_list("pk", "code", "name"):
            out[str(pk)] = f"{code} — {n}" if code else n
    elif name == "category":
        from sencrm.catalog.models import Category

        out.update({str(pk): n for pk, n in Category.objects.filter(pk__in=ids).values_list("pk", "name")})
        out[NONE_KEY] = _("(no category)")
    elif name == "province":
        from sencrm.customers.models import Province

        out.update({str(pk): n for pk, n in Province.objects.filter(pk__in=ids).values_list("pk", "name")})
    elif name == "customer_group":
        from sencrm.customers.models import CustomerGroup

        out.update(
            {str(pk): n for pk, n in CustomerGroup.objects.filter(pk__in=ids).values_list("pk", "name")}
        )
    elif name == "campaign":
        from sencrm.marketing.models import Campaign

        out.update({str(pk): n for pk, n in Campaign.objects.filter(pk__in=ids).values_list("pk", "name")})
        out[NONE_KEY] = _("(no campaign)")
    elif name == "channel":
        from sencrm.customers.models import SourceChannel

        out.update(dict(SourceChannel.objects.filter(code__in=wanted).values_list("code", "name")))
    elif name == "region":
        out.update({str(r.value): str(r.label) for r in Region})
    elif name == "age_band":
        out.update(
            {
                "under_25": _("Under 25"),
                "25_34": "25–34",
                "35_44": "35–44",
                "45_54": "45–54",
                "55_plus": "55+",
            }
        )
    for key in wanted:
        out.setdefault(key, key)
    return out


def sort_key(name: str, key: str) -> tuple[int, Any]:
    """Buckets and age bands in their natural order; the rest by value (the reports sort by measure)."""
    order = [k for k, _y, _o in AGE_BANDS]
    if name == "age_band":
        return (order.index(key) if key in order else len(order), key)
    return (0, key)
