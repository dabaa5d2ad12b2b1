"""Segment rules (tệp đối tượng): a tree of conditions on contacts, validated, compiled to one SQL query.

A rule set is a group: {"match": "all" | "any", "rules": [rule or group, …]}; a rule is
{"field": …, "op": …, "value": …}. `FIELDS` lists every field with its operators (the rule builder
reads it through `catalogue()`); `compile_rules` turns a validated tree into one Q on Contact — direct
columns, the account's columns through its foreign key, and uncorrelated IN subqueries for tags, consent,
activities, purchases and campaign audiences (the database builds each set once, a hashed semi-join,
instead of probing per contact) — so counting or listing a segment is one query whatever its size, and
`access.scope` narrows it to what the reader may see.

Any mistake (an unknown field or operator, a value of the wrong kind, a missing record, too deep a tree)
is a ValidationError naming the rule ("Rule 2.1: …") in the user's language, never a 500.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import DecimalField, Exists, F, OuterRef, Q
from django.db.models.fields.json import KT
from django.db.models.functions import Cast
from django.db.models.lookups import Exact, GreaterThan, GreaterThanOrEqual, LessThan, LessThanOrEqual
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sencrm.customers.choices import ConsentChannel, Gender, LifecycleStage, Region, provinces_of_region

MAX_DEPTH = 3
MAX_RULES = 50
MAX_VALUES = 500
MAX_DAYS = 36_500
MATCHES = ("all", "any")
AGE_BANDS: tuple[tuple[str, Any, int | None, int | None], ...] = (
    # (key, label, youngest age included, oldest age included)
    ("under_25", gettext_lazy("Under 25"), None, 24),
    ("25_34", "25–34", 25, 34),
    ("35_44", "35–44", 35, 44),
    ("45_54", "45–54", 45, 54),
    ("55_plus", "55+", 55, None),
    ("unknown", gettext_lazy("Unknown"), None, None),
)


class RuleError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class FieldSpec:
    key: str
    label: Any
    kind: str  # text, choice, ref, date, number, bool, tags, consent, activity, purchase, campaign, birthday
    path: str = ""  # the ORM path on Contact, for the column kinds
    choices: tuple[tuple[str, Any], ...] = ()
    ref: str = ""  # for "ref": which list the ids come from (REF_MODELS)
    group: Any = ""
    options: dict[str, Any] = field(default_factory=dict)


OPS: dict[str, tuple[str, ...]] = {
    "text": ("contains", "not_contains", "equals", "is_empty", "is_not_empty"),
    "choice": ("in", "not_in"),
    "ref": ("in", "not_in", "is_empty", "is_not_empty"),
    "date": (
        "before",
        "after",
        "between",
        "within_last_days",
        "more_than_days_ago",
        "is_empty",
        "is_not_empty",
    ),
    "number": ("eq", "gt", "gte", "lt", "lte", "between", "is_empty", "is_not_empty"),
    "bool": ("is_true", "is_false"),
    "multi": ("any", "none"),
    "tags": ("any", "all", "none"),
    "consent": ("granted", "not_granted"),
    "activity": ("none_within_days", "any_within_days"),
    "purchase": ("bought", "not_bought"),
    "campaign": ("member_of", "not_member_of"),
    "birthday": ("this_month", "in_month", "within_next_days"),
}
OP_LABELS: dict[str, Any] = {
    "contains": gettext_lazy("contains"), "not_contains": gettext_lazy("does not contain"),
    "equals": gettext_lazy("is"), "is_empty": gettext_lazy("is empty"),
    "is_not_empty": gettext_lazy("is not empty"),
    "in": gettext_lazy("is one of"), "not_in": gettext_lazy("is none of"),
    "before": gettext_lazy("before"), "after": gettext_lazy("after"), "between": gettext_lazy("between"),
    "within_last_days": gettext_lazy("in the last … days"),
    "more_than_days_ago": gettext_lazy("more than … days ago"),
    "eq": "=", "gt": ">", "gte": "≥", "lt": "<", "lte": "≤",
    "is_true": gettext_lazy("is yes"), "is_false": gettext_lazy("is no"),
    "any": gettext_lazy("has any of"), "all": gettext_lazy("has all of"), "none": gettext_lazy("has none of"),
    "granted": gettext_lazy("has consented"), "not_granted": gettext_lazy("has not consented"),
    "none_within_days": gettext_lazy("none in the last … days"),
    "any_within_days": gettext_lazy("at least one in the last … days"),
    "bought": gettext_lazy("bought"), "not_bought": gettext_lazy("did not buy"),
    "member_of": gettext_lazy("is in the audience of"),
    "not_member_of": gettext_lazy("is not in the audience of"),
    "this_month": gettext_lazy("is this month"), "in_month": gettext_lazy("is in month"),
    "within_next_days": gettext_lazy("is in the next … days"),
}  # fmt: skip


def _ref_models() -> dict[str, Any]:
    from sencrm.catalog.models import Category, Product
    from sencrm.customers.models import CustomerGroup, Province, SourceChannel, Tag
    from sencrm.marketing.models import Campaign
    from sencrm.users.models import Team, User

    return {
        "customer_group": CustomerGroup, "source": SourceChannel, "province": Province, "tag": Tag,
        "user": User, "team": Team, "campaign": Campaign, "product": Product, "category": Category,
    }  # fmt: skip


def _base_fields() -> list[FieldSpec]:
    contact, account = gettext_lazy("Contact"), gettext_lazy("Company")
    journey = gettext_lazy("Journey")
    return [
        FieldSpec("full_name", gettext_lazy("Full name"), "text", "full_name", group=contact),
        FieldSpec("title", gettext_lazy("Job title"), "text", "title", group=contact),
        FieldSpec("gender", gettext_lazy("Gender"), "choice", "gender", tuple(Gender.choices), group=contact),
        FieldSpec("date_of_birth", gettext_lazy("Date of birth"), "date", "date_of_birth", group=contact),
        FieldSpec("birthday", gettext_lazy("Birthday"), "birthday", "date_of_birth", group=contact),
        FieldSpec("age_band", gettext_lazy("Age band"), "choice", "date_of_birth",
                  tuple((k, label) for k, label, _y, _o in AGE_BANDS), group=contact),
        FieldSpec("lifecycle_stage", gettext_lazy("Lifecycle stage"), "choice", "lifecycle_stage",
                  tuple(LifecycleStage.choices), group=contact),
        FieldSpec("customer_group", gettext_lazy("Customer group"), "ref", "customer_group",
                  ref="customer_group", group=contact),
        FieldSpec("province", gettext_lazy("Province"), "ref", "province", ref="province", group=contact),
        FieldSpec("region", gettext_lazy("Region"), "choice", "province__code", tuple(Region.choices),
                  group=contact),
        FieldSpec("street", gettext_lazy("Street address"), "text", "street", group=contact),
        FieldSpec("source", gettext_lazy("Source channel"), "ref", "source", ref="source", group=contact),
        FieldSpec("owner", gettext_lazy("Owner"), "ref", "owner", ref="user", group=contact),
        FieldSpec("team", gettext_lazy("Team"), "ref", "team", ref="team", group=contact),
        FieldSpec("tags", gettext_lazy("Tags"), "tags", ref="tag", group=contact),
        FieldSpec("consent", gettext_lazy("Consent"), "consent", group=contact),
        FieldSpec("created_at", gettext_lazy("Created"), "date", "created_at", group=journey),
        FieldSpec("first_touch_at", gettext_lazy("First touch"), "date", "first_touch_at", group=journey),
        FieldSpec("first_receipt_at", gettext_lazy("First payment"), "date", "first_receipt_at",
                  group=journey),
        FieldSpec("first_campaign", gettext_lazy("First campaign"), "ref", "first_campaign", ref="campaign",
                  group=journey),
        FieldSpec("latest_campaign", gettext_lazy("Latest campaign"), "ref", "latest_campaign",
                  ref="campaign", group=journey),
        FieldSpec("campaign", gettext_lazy("Campaign audience"), "campaign", ref="campaign", group=journey),
        FieldSpec("activity", gettext_lazy("Activity"), "activity", group=journey),
        FieldSpec("purchase", gettext_lazy("Purchase"), "purchase", group=journey),
        FieldSpec("account.name", gettext_lazy("Company name"), "text", "account__name", group=account),
        FieldSpec("account.tax_code", gettext_lazy("Tax code"), "text", "account__tax_code", group=account),
        FieldSpec("account.industry", gettext_lazy("Industry"), "text", "account__industry", group=account),
        FieldSpec("account.customer_group", gettext_lazy("Company's customer group"), "ref",
                  "account__customer_group", ref="customer_group", group=account),
        FieldSpec("account.province", gettext_lazy("Company's province"), "ref", "account__province",
                  ref="province", group=account),
        FieldSpec("account.region", gettext_lazy("Company's region"), "choice", "account__province__code",
                  tuple(Region.choices), group=account),
    ]  # fmt: skip


CUSTOM_KINDS = {
    "text": "text", "number": "number", "money": "number", "date": "date", "choice": "choice",
    "multi": "multi", "bool": "bool",
}  # fmt: skip


def _custom_fields() -> list[FieldSpec]:
    from sencrm.customers.models import Account, Contact
    from sencrm.customfields.custom_fields import definitions

    out = []
    for model, prefix, path in ((Contact, "custom.", "custom_field_data"),
                                (Account, "account.custom.", "account__custom_field_data")):  # fmt: skip
        group = gettext_lazy("Custom fields") if model is Contact else gettext_lazy("Company's custom fields")
        for cf in definitions(model):
            choices = tuple((str(o), str(o)) for o in (cf.options or []))
            out.append(
                FieldSpec(f"{prefix}{cf.key}", cf.label, CUSTOM_KINDS.get(cf.type, "text"),
                          f"{path}__{cf.key}", choices, group=group, options={"custom": cf.type})
            )  # fmt: skip
    return out


def fields() -> dict[str, FieldSpec]:
    return {spec.key: spec for spec in (*_base_fields(), *_custom_fields())}


def catalogue() -> list[dict[str, Any]]:
    """What the rule builder offers: each field with its label, group, kind, operators and choices."""
    return [
        {
            "key": spec.key,
            "label": str(spec.label),
            "group": str(spec.group),
            "kind": spec.kind,
            "ref": spec.ref,
            "ops": [{"key": op, "label": str(OP_LABELS[op])} for op in OPS[spec.kind]],
            "choices": [{"value": str(v), "label": str(label)} for v, label in spec.choices],
        }
        for spec in fields().values()
    ]


# --- values -------------------------------------------------------------------------------------------


def _days(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise RuleError(_("Enter a number of days."))
    try:
        days = int(str(value).strip())
    except ValueError:
        raise RuleError(_("Enter a number of days.")) from None
    if not 0 <= days <= MAX_DAYS:
        raise RuleError(_("The number of days must be between 0 and %(max)d.") % {"max": MAX_DAYS})
    return days


def _date(value: Any) -> dt.date:
    if isinstance(value, str):
        text = value.strip()
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            pass
        day, _sep, rest = text.partition("/")
        month, _sep, year = rest.partition("/")
        try:
            return dt.date(int(year), int(month), int(day))
        except ValueError:
            pass
    raise RuleError(_("Enter a date as YYYY-MM-DD or DD/MM/YYYY."))


def _number(value: Any) -> Decimal:
    if isinstance(value, bool) or value is None:
        raise RuleError(_("Enter a number."))
    try:
        number = Decimal(str(value).strip().replace(" ", ""))
    except (InvalidOperation, ValueError):
        raise RuleError(_("Enter a number.")) from None
    if not number.is_finite() or abs(number) >= Decimal(10) ** 18:
        raise RuleError(_("Enter a number."))
    return number


def _list(value: Any) -> list[Any]:
    items = value if isinstance(value, list) else [value] if value not in (None, "") else []
    if not items:
        raise RuleError(_("Choose at least one value."))
    if len(items) > MAX_VALUES:
        raise RuleError(_("Too many values (at most %(max)d).") % {"max": MAX_VALUES})
    return items


def _ids(value: Any, ref: str) -> list[int]:
    ids = []
    for item in _list(value):
        if isinstance(item, bool):
            raise RuleError(_("Unknown choice: %(value)s.") % {"value": item})
        try:
            ids.append(int(str(item)))
        except ValueError:
            raise RuleError(_("Unknown choice: %(value)s.") % {"value": str(item)[:50]}) from None
    model = _ref_models()[ref]
    manager = getattr(model, "all_objects", model._default_manager)
    found = set(manager.filter(pk__in=ids).values_list("pk", flat=True))
    missing = [i for i in ids if i not in found]
    if missing:
        raise RuleError(_("Unknown choice: %(value)s.") % {"value": ", ".join(map(str, missing[:5]))})
    return ids


def _choices(value: Any, spec: FieldSpec) -> list[str]:
    allowed = {str(v) for v, _label in spec.choices}
    items = [str(v) for v in _list(value)]
    wrong = [v for v in items if v not in allowed]
    if wrong:
        raise RuleError(_("Unknown choice: %(value)s.") % {"value": ", ".join(w[:50] for w in wrong[:5])})
    return items


def _object(value: Any) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise RuleError(_("This rule needs its settings (an object)."))
    return value


def _years_ago(today: dt.date, years: int) -> dt.date:
    try:
        return today.replace(year=today.year - years)
    except ValueError:  # 29 February
        return today.replace(year=today.year - years, day=28)


# --- compiling ----------------------------------------------------------------------------------------


def _text(spec: FieldSpec, op: str, value: Any) -> Q:
    path = spec.path
    if op == "is_empty":
        return Q(**{f"{path}__isnull": True}) | Q(**{path: ""})
    if op == "is_not_empty":
        return ~Q(**{f"{path}__isnull": True}) & ~Q(**{path: ""})
    if not isinstance(value, (str, int, Decimal)) or isinstance(value, bool) or not str(value).strip():
        raise RuleError(_("Enter the text to look for."))
    text = str(value).strip()[:200]
    if op == "equals":
        return Q(**{f"{path}__iexact": text})
    q = Q(**{f"{path}__icontains": text})
    return q if op == "contains" else ~q | Q(**{f"{path}__isnull": True})


def _choice(spec: FieldSpec, op: str, value: Any) -> Q:
    items = _choices(value, spec)
    if spec.key == "age_band":
        q = Q(pk__in=[])
        for item in items:
            q |= _age_band_q(item)
    elif spec.key.endswith("region"):
        q = Q(**{f"{spec.path}__in": [code for r in items for code in provinces_of_region(r)]})
    elif spec.options.get("custom"):
        q = Q(**{f"{spec.path}__in": items})
    else:
        q = Q(**{f"{spec.path}__in": items})
    return q if op == "in" else ~q | (Q() if spec.key == "age_band" else Q(**{f"{spec.path}__isnull": True}))


def _age_band_q(band: str) -> Q:
    today = timezone.localdate()
    for key, _label, youngest, oldest in AGE_BANDS:
        if key != band:
            continue
        if key == "unknown":
            return Q(date_of_birth__isnull=True)
        q = Q(date_of_birth__isnull=False)
        if youngest is not None:  # at least `youngest` years old: born on or before that many years ago
            q &= Q(date_of_birth__lte=_years_ago(today, youngest))
        if oldest is not None:  # at most `oldest`: born after (oldest + 1) years ago
            q &= Q(date_of_birth__gt=_years_ago(today, oldest + 1))
        return q
    raise RuleError(_("Unknown choice: %(value)s.") % {"value": band})


def _ref(spec: FieldSpec, op: str, value: Any) -> Q:
    if op == "is_empty":
        return Q(**{f"{spec.path}__isnull": True})
    if op == "is_not_empty":
        return Q(**{f"{spec.path}__isnull": False})
    q = Q(**{f"{spec.path}__in": _ids(value, spec.ref)})
    return q if op == "in" else ~q | Q(**{f"{spec.path}__isnull": True})


def _moment(day: dt.date, end: bool = False) -> dt.datetime:
    moment = dt.datetime.combine(day + dt.timedelta(days=1) if end else day, dt.time.min)
    return timezone.make_aware(moment)


def _date_q(spec: FieldSpec, op: str, value: Any) -> Q:
    path = spec.path
    is_datetime = spec.key in ("created_at", "first_touch_at", "first_receipt_at") or (
        spec.options.get("custom") is None and path.endswith("_at")
    )
    custom = bool(spec.options.get("custom"))
    if op == "is_empty":
        return Q(**{f"{path}__isnull": True})
    if op == "is_not_empty":
        return Q(**{f"{path}__isnull": False})
    today = timezone.localdate()

    def bound(day: dt.date, end: bool = False) -> Any:
        if custom:
            return day.isoformat()  # custom dates are stored as ISO text: they compare as text
        return _moment(day, end) if is_datetime else day

    if op in ("within_last_days", "more_than_days_ago"):
        day = today - dt.timedelta(days=_days(value))
        if op == "within_last_days":
            return Q(**{f"{path}__gte": bound(day)})
        return Q(**{f"{path}__lt": bound(day)})
    if op == "between":
        pair = value if isinstance(value, list) and len(value) == 2 else None
        if pair is None:
            raise RuleError(_("Enter two dates: from and to."))
        start, end = _date(pair[0]), _date(pair[1])
        if end < start:
            raise RuleError(_("The end of the period is before its start."))
        if is_datetime and not custom:
            return Q(**{f"{path}__gte": bound(start), f"{path}__lt": bound(end, end=True)})
        return Q(**{f"{path}__gte": bound(start), f"{path}__lte": bound(end)})
    day = _date(value)
    if op == "before":
        return Q(**{f"{path}__lt": bound(day)})
    return (
        Q(**{f"{path}__gte": bound(day, end=True)})
        if is_datetime and not custom
        else Q(**{f"{path}__gt": bound(day)})
    )


def _number_q(spec: FieldSpec, op: str, value: Any) -> Q:
    path = spec.path
    if op == "is_empty":
        return Q(**{f"{path}__isnull": True})
    if op == "is_not_empty":
        return Q(**{f"{path}__isnull": False})
    # A custom field keeps its number as text in the JSON: compared as a number after a cast.
    column: Any = F(path)
    if spec.options.get("custom"):
        column = Cast(KT(path), DecimalField(max_digits=30, decimal_places=6))
    if op == "between":
        if not (isinstance(value, list) and len(value) == 2):
            raise RuleError(_("Enter two numbers: from and to."))
        low, high = _number(value[0]), _number(value[1])
        return Q(GreaterThanOrEqual(column, low)) & Q(LessThanOrEqual(column, high))
    number = _number(value)
    lookups: dict[str, Any] = {
        "eq": Exact, "gt": GreaterThan, "gte": GreaterThanOrEqual, "lt": LessThan, "lte": LessThanOrEqual,
    }  # fmt: skip
    return Q(lookups[op](column, number))


def _bool_q(spec: FieldSpec, op: str, value: Any) -> Q:
    return Q(**{spec.path: op == "is_true"})


def _multi_q(spec: FieldSpec, op: str, value: Any) -> Q:
    from sencrm.core.db import json_array_contains

    items = _choices(value, spec)
    column, _sep, key = spec.path.rpartition("__")
    q = Q(pk__in=[])
    for item in items:
        q |= json_array_contains(column, key, item)
    return q if op == "any" else ~q


def _tags_q(spec: FieldSpec, op: str, value: Any) -> Q:
    from sencrm.customers.models import Contact

    ids = _ids(value, "tag")
    through = Contact.tags.through
    if op == "all":
        q = Q()
        for tag in ids:
            q &= Q(pk__in=through.objects.filter(tag_id=tag).values("contact_id"))
        return q
    has = Q(pk__in=through.objects.filter(tag_id__in=ids).values("contact_id"))
    return has if op == "any" else ~has


def _consent_q(spec: FieldSpec, op: str, value: Any) -> Q:
    from sencrm.customers.ledger import consented_contact_ids
    from sencrm.customers.models import ConsentPurpose

    settings = _object(value)
    channel = str(settings.get("channel") or "")
    purpose = str(settings.get("purpose") or ConsentPurpose.MARKETING)
    if channel not in ConsentChannel.values:
        raise RuleError(_("Unknown choice: %(value)s.") % {"value": channel[:50] or "—"})
    if purpose not in ConsentPurpose.values:
        raise RuleError(_("Unknown choice: %(value)s.") % {"value": purpose[:50]})
    # The set of consenting contacts, built once (not each contact's latest row looked up in turn).
    q = Q(pk__in=consented_contact_ids(channel, purpose))
    return q if op == "granted" else ~q


def _activity_q(spec: FieldSpec, op: str, value: Any) -> Q:
    from sencrm.activities.choices import Kind, Status
    from sencrm.activities.models import Activity

    settings = _object(value)
    kind = str(settings.get("kind") or "")
    if kind and kind not in Kind.values:
        raise RuleError(_("Unknown choice: %(value)s.") % {"value": kind[:50]})
    since = _moment(timezone.localdate() - dt.timedelta(days=_days(settings.get("days"))))
    activities = Activity.objects.filter(contact_id__isnull=False, status=Status.DONE).filter(
        Q(completed_at__gte=since) | Q(completed_at__isnull=True, due_at__gte=since)
    )
    if kind:
        activities = activities.filter(kind=kind)
    has = Q(pk__in=activities.values("contact_id"))
    return has if op == "any_within_days" else ~has


def _category_tree(ids: Iterable[int]) -> list[int]:
    """These categories and every category below them (a walk over the category table, not contacts)."""
    from sencrm.catalog.models import Category

    children: dict[int | None, list[int]] = {}
    for pk, parent in Category.objects.values_list("pk", "parent_id"):
        children.setdefault(parent, []).append(pk)
    out, todo = set(), list(ids)
    while todo:
        pk = todo.pop()
        if pk not in out:
            out.add(pk)
            todo.extend(children.get(pk, []))
    return sorted(out)


def _purchase_q(spec: FieldSpec, op: str, value: Any) -> Q:
    from sencrm.commerce.models import Order, OrderLine, OrderStatus

    settings = _object(value)
    known = {"product", "category", "min_amount", "more_than_days_ago", "within_days"}
    unknown = sorted(set(settings) - known)
    if unknown:
        raise RuleError(_("Unknown setting: %(value)s.") % {"value": ", ".join(str(u)[:30] for u in unknown)})
    # The contact's own orders, and those of their company that name no contact: two uncorrelated sets
    # (the database hashes each once), not a lookup per contact.
    orders = Order.objects.filter(
        status__in=[OrderStatus.CONFIRMED, OrderStatus.PARTLY_DELIVERED, OrderStatus.DELIVERED],
    )
    today = timezone.localdate()
    if settings.get("more_than_days_ago") not in (None, ""):
        orders = orders.filter(
            issue_date__lt=today - dt.timedelta(days=_days(settings["more_than_days_ago"]))
        )
    if settings.get("within_days") not in (None, ""):
        orders = orders.filter(issue_date__gte=today - dt.timedelta(days=_days(settings["within_days"])))
    if settings.get("min_amount") not in (None, ""):
        orders = orders.filter(total__gte=_number(settings["min_amount"]))
    lines = OrderLine.objects.all()
    narrowed = False
    if settings.get("product") not in (None, ""):
        lines = lines.filter(product_id__in=_ids(settings["product"], "product"))
        narrowed = True
    if settings.get("category") not in (None, ""):
        lines = lines.filter(product__category_id__in=_category_tree(_ids(settings["category"], "category")))
        narrowed = True
    if narrowed:
        orders = orders.filter(pk__in=lines.values("order_id"))
    own = orders.filter(contact_id__isnull=False).values("contact_id")
    company = orders.filter(contact__isnull=True, account_id__isnull=False).values("account_id")
    # account_id IS NOT NULL keeps a contact without a company right under NOT (no NULL from IN).
    has = Q(pk__in=own) | Q(account_id__isnull=False, account_id__in=company)
    return has if op == "bought" else ~has


def _campaign_q(spec: FieldSpec, op: str, value: Any) -> Q:
    from sencrm.marketing.models import CampaignMember

    members = CampaignMember.objects.filter(
        contact_id=OuterRef("pk"), campaign_id__in=_ids(value, "campaign")
    )
    has = Q(Exists(members))
    return has if op == "member_of" else ~has


def _birthday_q(spec: FieldSpec, op: str, value: Any) -> Q:
    today = timezone.localdate()
    if op == "this_month":
        return Q(date_of_birth__month=today.month)
    if op == "in_month":
        try:
            month = int(str(value))
        except ValueError:
            month = 0
        if not 1 <= month <= 12:
            raise RuleError(_("Choose a month from 1 to 12."))
        return Q(date_of_birth__month=month)
    days = _days(value)
    if days > 366:
        raise RuleError(_("The number of days must be between 0 and %(max)d.") % {"max": 366})
    q = Q(pk__in=[])
    for offset in range(days + 1):  # at most 367 (month, day) pairs: one OR, still one query
        day = today + dt.timedelta(days=offset)
        q |= Q(date_of_birth__month=day.month, date_of_birth__day=day.day)
    return q


COMPILERS: dict[str, Callable[[FieldSpec, str, Any], Q]] = {
    "text": _text, "choice": _choice, "ref": _ref, "date": _date_q, "number": _number_q, "bool": _bool_q,
    "multi": _multi_q, "tags": _tags_q, "consent": _consent_q, "activity": _activity_q,
    "purchase": _purchase_q, "campaign": _campaign_q, "birthday": _birthday_q,
}  # fmt: skip


def _where(path: tuple[int, ...]) -> str:
    return _("Rule %(n)s") % {"n": ".".join(map(str, path))} if path else _("Rules")


def _error(message: str) -> ValidationError:
    return ValidationError({"rules": [message]})


def _compile(node: Any, specs: Mapping[str, FieldSpec], path: tuple[int, ...], counter: list[int]) -> Q:
    where = _where(path)
    if not isinstance(node, Mapping):
        raise _error(_("%(where)s: a rule must be an object.") % {"where": where})
    if "rules" in node:
        if len(path) > MAX_DEPTH:
            raise _error(
                _("%(where)s: groups nest at most %(max)d deep.") % {"where": where, "max": MAX_DEPTH}
            )
        match = node.get("match", "all")
        if match not in MATCHES:
            raise _error(_('%(where)s: match must be "all" or "any".') % {"where": where})
        children = node.get("rules")
        if not isinstance(children, list):
            raise _error(_("%(where)s: rules must be a list.") % {"where": where})
        if not children:
            return Q() if match == "all" else Q(pk__in=[])
        parts = [_compile(child, specs, (*path, n), counter) for n, child in enumerate(children, start=1)]
        q = parts[0]
        for part in parts[1:]:
            q = q & part if match == "all" else q | part
        return q
    counter[0] += 1
    if counter[0] > MAX_RULES:
        raise _error(_("A segment has at most %(max)d rules.") % {"max": MAX_RULES})
    key = node.get("field")
    spec = specs.get(key) if isinstance(key, str) else None
    if spec is None:
        raise _error(_("%(where)s: unknown field %(field)s.") % {"where": where, "field": str(key)[:60]})
    op = node.get("op")
    if op not in OPS[spec.kind]:
        raise _error(
            _("%(where)s: %(field)s cannot use the operator %(op)s.")
            % {"where": where, "field": spec.label, "op": str(op)[:40]}
        )
    try:
        return COMPILERS[spec.kind](spec, op, node.get("value"))
    except RuleError as exc:
        raise _error(
            _("%(where)s (%(field)s): %(message)s")
            % {"where": where, "field": spec.label, "message": exc.message}
        ) from None


def compile_rules(rules: Any, specs: Mapping[str, FieldSpec] | None = None) -> Q:
    """The Q on Contact of a rule tree; ValidationError {"rules": [message]} for any mistake. `specs`:
    `fields()` read once for many rule trees (a page of segments)."""
    if not isinstance(rules, Mapping) or "rules" not in rules:
        raise ValidationError({"rules": [_('Rules must be a group: {"match": "all", "rules": […]}.')]})
    return _compile(rules, specs if specs is not None else fields(), (), [0])


def matching(qs: models.QuerySet[Any], rules: Any) -> models.QuerySet[Any]:
    """`qs` (contacts, already under the gate) narrowed to the rules, in one query."""
    return qs.filter(compile_rules(rules))
