"""Reads of the sales module: duplicates, the kanban board, forecast and the sales dashboard.

Every read starts from the access gate, so totals and charts are only over what the viewer may see.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import models
from django.db.models import Case, Count, F, IntegerField, Q, Sum, Value, When
from django.db.models.functions import TruncMonth
from django.utils import timezone

from sencrm.core import access
from sencrm.core.modules import Action
from sencrm.core.phones import looks_like_phone, to_e164
from sencrm.core.text import clean_text, fold, name_sort_key
from sencrm.customers.models import Contact, Email, Phone
from sencrm.sales.choices import OPEN_LEAD_STATUSES, OpportunityStatus
from sencrm.sales.models import Lead, LeadEmail, LeadPhone, Opportunity, Pipeline, Stage

_NUMBERISH = re.compile(r"[\d\s().+-]+")
BOARD_CARDS = 30  # cards per column on the board; more load on demand
CLOSED_CARDS = 10  # won and lost columns show the latest few: the board is for open deals


def lead_search_filter(qs: models.QuerySet[Lead], query: str) -> models.QuerySet[Lead]:
    """Accent-insensitive name/company/email search, or a phone number in any format."""
    query = clean_text(query)[:100]
    if not query:
        return qs
    key = fold(query)
    if _NUMBERISH.fullmatch(query):
        e164 = to_e164(query) if looks_like_phone(query) else None
        if e164:
            return qs.filter(pk__in=LeadPhone.objects.filter(e164=e164).values("lead"))
        key = re.sub(r"\D", "", query)
    if not key:
        return qs.none()
    return qs.filter(search_key__contains=key).annotate(
        search_rank=Case(
            When(full_name__iexact=query, then=Value(0)),
            When(search_key__startswith=key, then=Value(1)),
            default=Value(2),
            output_field=IntegerField(),
        )
    )


def opportunity_search_filter(qs: models.QuerySet[Opportunity], query: str) -> models.QuerySet[Opportunity]:
    """Accent-insensitive search in the deal's name ("dieu hoa" finds "Điều hòa"; pg_trgm on PostgreSQL)."""
    key = fold(clean_text(query)[:100])
    if not key:
        return qs if not query.strip() else qs.none()
    return qs.filter(search_key__contains=key)


@dataclass
class Duplicates:
    contacts: list[Contact] = field(default_factory=list)
    leads: list[Lead] = field(default_factory=list)
    hidden: int = 0  # matches the viewer may not see: counted, never named

    def __bool__(self) -> bool:
        return bool(self.contacts or self.leads or self.hidden)


def lead_duplicates(
    *,
    user: Any,
    phones_e164: list[str],
    emails: list[str],
    full_name: str = "",
    exclude_lead: int | None = None,
    limit: int = 10,
) -> Duplicates:
    """Contacts and open leads sharing a phone (any format), an email, or the folded full name.

    A fixed number of indexed lookups whatever the table sizes (E.164, lower-cased email, name sort
    key). Folded names only suggest: nothing is linked or merged automatically. Phone and email
    matches come first, so that same-name suggestions never push a real duplicate off the list.
    """
    keys = [e.lower() for e in emails]
    sort_key = name_sort_key(full_name) if full_name else ""
    if len(sort_key.split()) < 2:  # a one-word name matches too many people
        sort_key = ""
    # One lookup per key, each with its limit: a single query OR-ing them (pk IN phones OR pk IN
    # emails OR sort_key = …) ORDER BY -id LIMIT n makes PostgreSQL walk the primary key backwards
    # and filter every row until n match — the whole table for a rare name (173 ms at 140,000).
    exact_contacts: list[models.QuerySet[Any]] = []
    exact_leads: list[models.QuerySet[Any]] = []
    open_lead = {"lead__status__in": OPEN_LEAD_STATUSES, "lead__deleted_at__isnull": True}
    if phones_e164:
        exact_contacts.append(Phone.objects.filter(e164__in=phones_e164, contact__isnull=False))
        exact_leads.append(LeadPhone.objects.filter(e164__in=phones_e164, **open_lead))
    if keys:
        exact_contacts.append(Email.objects.filter(address_key__in=keys, contact__isnull=False))
        exact_leads.append(LeadEmail.objects.filter(address_key__in=keys, **open_lead))
    contact_ids = _ranked_ids(
        [qs.values_list("contact_id", flat=True) for qs in exact_contacts],
        Contact.objects.filter(sort_key=sort_key) if sort_key else None,
        limit,
    )
    lead_ids = _ranked_ids(
        [qs.values_list("lead_id", flat=True) for qs in exact_leads],
        Lead.objects.filter(sort_key=sort_key, status__in=OPEN_LEAD_STATUSES) if sort_key else None,
        limit,
        exclude=exclude_lead,
    )
    contacts = _in_order(Contact.objects.filter(pk__in=contact_ids).select_related("owner"), contact_ids)
    leads = _in_order(
        Lead.objects.filter(pk__in=lead_ids, status__in=OPEN_LEAD_STATUSES).select_related("owner"), lead_ids
    )
    found = Duplicates()
    for contact in contacts:
        if access.in_scope(user, Action.VIEW, contact):
            found.contacts.append(contact)
        else:
            found.hidden += 1
    for lead in leads:
        if access.in_scope(user, Action.VIEW, lead):
            found.leads.append(lead)
        else:
            found.hidden += 1
    return found


def _ranked_ids(
    exact: list[models.QuerySet[Any]],
    by_name: models.QuerySet[Any] | None,
    limit: int,
    exclude: int | None = None,
) -> list[int]:
    """Ids matched by phone or email (newest first), then the newest same-name ones, at most `limit`."""
    # Sorted here, not by the database: with ORDER BY … LIMIT the planner may walk the foreign key's
    # index and filter on the number instead of looking the number up (a handful of rows).
    ids = sorted({i for qs in exact for i in qs[: limit * 10] if i != exclude}, reverse=True)[:limit]
    if by_name is not None and len(ids) < limit:
        others = by_name.exclude(pk__in=[*ids, exclude] if exclude else ids)
        ids += list(others.order_by("-id").values_list("id", flat=True)[: limit - len(ids)])
    return ids


def _in_order(qs: models.QuerySet[Any], ids: list[int]) -> list[Any]:
    by_id = {obj.pk: obj for obj in qs} if ids else {}
    return [by_id[i] for i in ids if i in by_id]


def pipelines() -> list[Pipeline]:
    return list(Pipeline.objects.filter(is_active=True).prefetch_related("stages").order_by("position", "id"))


def _board_filters(qs: models.QuerySet[Opportunity], filters: dict[str, Any]) -> models.QuerySet[Opportunity]:
    if filters.get("owner"):
        qs = qs.filter(owner_id=filters["owner"])
    if filters.get("team"):
        qs = qs.filter(team_id=filters["team"])
    if filters.get("close_from"):
        qs = qs.filter(expected_close_date__gte=filters["close_from"])
    if filters.get("close_to"):
        qs = qs.filter(expected_close_date__lte=filters["close_to"])
    return qs


def board_queryset(user: Any, pipeline: Pipeline, filters: dict[str, Any]) -> models.QuerySet[Opportunity]:
    qs = access.scope(user, Opportunity, Action.VIEW).filter(pipeline=pipeline)
    return _board_filters(qs, filters)


def board_columns(user: Any, pipeline: Pipeline, filters: dict[str, Any]) -> list[dict[str, Any]]:
    """The kanban: per stage its count, amount and weighted amount (one grouped query) and its
    first cards (one query per stage, on the board index). Closed stages show recently closed deals."""
    qs = board_queryset(user, pipeline, filters)
    totals: dict[int, Mapping[str, Any]] = {
        row["stage_id"]: row
        for row in qs.values("stage_id").annotate(
            n=Count("id"), total=Sum("amount"), weighted=Sum(F("amount") * F("probability"))
        )
    }
    columns = []
    for stage in pipeline.stages.all():
        cards = list(
            qs.filter(stage=stage)
            .select_related("owner", "contact", "account")
            .only(
                "id", "name", "amount", "probability", "expected_close_date", "version", "stage_entered_at",
                "status", "stage_id", "owner_id", "team_id", "contact_id", "account_id", "currency",
                "owner__username", "owner__full_name", "contact__full_name", "account__name",
            )
            .order_by("-id")[: CLOSED_CARDS if stage.is_closed else BOARD_CARDS]
        )  # fmt: skip
        row = totals.get(stage.pk, {})
        columns.append(
            {
                "stage": stage,
                "count": row.get("n", 0),
                "amount": row.get("total") or Decimal(0),
                "weighted": ((row.get("weighted") or Decimal(0)) / 100).quantize(Decimal(1)),
                "cards": cards,
                "more": row.get("n", 0) > len(cards),
            }
        )
    return columns


def board_more(user: Any, stage: Stage, filters: dict[str, Any], before_id: int) -> list[Opportunity]:
    qs = board_queryset(user, stage.pipeline, filters).filter(stage=stage, id__lt=before_id)
    return list(qs.select_related("owner", "contact", "account").order_by("-id")[:BOARD_CARDS])


def forecast(
    user: Any,
    *,
    months: int = 6,
    start: dt.date | None = None,
    by: str = "month",
    pipeline: Pipeline | None = None,
) -> list[dict[str, Any]]:
    """Open deals by expected close month (by="month"), or by owner/team over those months:
    [{key, label, count, amount, weighted}]. Weighted = Σ amount × probability / 100."""
    today = start or timezone.localdate()
    first = today.replace(day=1)
    end_month = first.month - 1 + months
    end = dt.date(first.year + end_month // 12, end_month % 12 + 1, 1)
    qs = access.scope(user, Opportunity, Action.VIEW).filter(
        status=OpportunityStatus.OPEN, expected_close_date__gte=first, expected_close_date__lt=end
    )
    if pipeline is not None:
        qs = qs.filter(pipeline=pipeline)
    sums = {"n": Count("id"), "total": Sum("amount"), "weighted": Sum(F("amount") * F("probability"))}
    rows: list[dict[str, Any]] = []
    if by == "month":
        grouped: dict[dt.date, Mapping[str, Any]] = {
            (r["month"].date() if isinstance(r["month"], dt.datetime) else r["month"]): r
            for r in qs.annotate(month=TruncMonth("expected_close_date")).values("month").annotate(**sums)
        }
        for i in range(months):
            m = first.month - 1 + i
            month = dt.date(first.year + m // 12, m % 12 + 1, 1)
            r = grouped.get(month, {})
            rows.append(_forecast_row(month.isoformat(), f"{month:%m/%Y}", r))
        return rows
    key = "owner" if by == "owner" else "team"
    for r in qs.values(f"{key}_id").annotate(**sums).order_by(f"{key}_id"):
        rows.append(_forecast_row(r[f"{key}_id"], "", r))
    _label_rows(rows, key)
    return rows


def _forecast_row(key: Any, label: str, r: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "key": key,
        "label": label,
        "count": r.get("n", 0) or 0,
        "amount": r.get("total") or Decimal(0),
        "weighted": ((r.get("weighted") or Decimal(0)) / 100).quantize(Decimal(1)),
    }


def _label_rows(rows: list[dict[str, Any]], key: str) -> None:
    from sencrm.users.models import Team, User

    model: Any = User if key == "owner" else Team
    names = {obj.pk: str(obj) for obj in model.objects.filter(pk__in=[r["key"] for r in rows if r["key"]])}
    for r in rows:
        r["label"] = names.get(r["key"], "—")


def pipeline_by_stage(user: Any, pipeline: Pipeline) -> list[dict[str, Any]]:
    """Open pipeline value per stage (the dashboard's bar chart)."""
    qs = access.scope(user, Opportunity, Action.VIEW).filter(pipeline=pipeline, status=OpportunityStatus.OPEN)
    sums: dict[int, Mapping[str, Any]] = {
        r["stage_id"]: r for r in qs.values("stage_id").annotate(total=Sum("amount"), n=Count("id"))
    }
    return [
        {
            "stage": s.name,
            "amount": sums.get(s.pk, {}).get("total") or Decimal(0),
            "count": sums.get(s.pk, {}).get("n", 0),
        }
        for s in pipeline.stages.all()
        if not s.is_closed
    ]


def win_stats(user: Any, *, days: int = 90) -> dict[str, Any]:
    """Win rate and average deal size over the deals closed in the last `days` days."""
    since = timezone.now() - dt.timedelta(days=days)
    qs = access.scope(user, Opportunity, Action.VIEW).filter(closed_at__gte=since)
    row = qs.aggregate(
        won=Count("id", filter=Q(status=OpportunityStatus.WON)),
        lost=Count("id", filter=Q(status=OpportunityStatus.LOST)),
        won_amount=Sum("amount", filter=Q(status=OpportunityStatus.WON)),
    )
    closed = row["won"] + row["lost"]
    won_amount = row["won_amount"] or Decimal(0)
    return {
        "days": days,
        "won": row["won"],
        "lost": row["lost"],
        "win_rate": round(100 * row["won"] / closed) if closed else None,
        "won_amount": won_amount,
        "average_deal": (won_amount / row["won"]).quantize(Decimal(1)) if row["won"] else None,
    }


def my_open_leads(user: Any, limit: int = 10) -> list[Lead]:
    return list(
        Lead.objects.filter(owner=user, status__in=OPEN_LEAD_STATUSES)
        .select_related("source")
        .order_by("-score", "-id")[:limit]
    )


def follow_ups(user: Any, *, until: dt.datetime | None = None, limit: int = 50) -> list[Lead]:
    """The user's own open leads with a next action due by `until` (default: end of today)."""
    if until is None:
        now = timezone.localtime()
        until = now.replace(hour=23, minute=59, second=59)
    return list(
        Lead.objects.filter(
            owner=user, status__in=OPEN_LEAD_STATUSES, next_action_at__isnull=False, next_action_at__lte=until
        )
        .select_related("source")
        .order_by("next_action_at", "id")[:limit]
    )
