"""Writes of campaigns and their costs — through the spine (gate, validation, events, one transaction).

A campaign's `cost_total` is the sum of its cost entries, recomputed with an aggregate in the transaction
that changes them (never incremented), with the campaign row locked, so two writers cannot make it drift.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils.translation import gettext as _

from sencrm.core import access
from sencrm.core.modules import Action, Module
from sencrm.core.text import clean_text, fold
from sencrm.events.services import event_emit, record_create, record_delete, record_update
from sencrm.marketing.models import Campaign, CampaignCost, CostOrigin
from sencrm.marketing.selectors import utm_code

ZERO = Decimal(0)
MAX_AMOUNT = Decimal(10) ** 15
CAMPAIGN_FIELDS = {
    "name", "channel", "start_date", "end_date", "budget", "utm_source", "utm_medium", "utm_campaign",
    "description", "contact_channel", "owner",
}  # fmt: skip
UTM_FIELDS = ("utm_source", "utm_medium", "utm_campaign")


# --- campaigns -------------------------------------------------------------------------------------


def _clean(data: Mapping[str, Any], current: Campaign | None = None) -> dict[str, Any]:
    unknown = set(data) - CAMPAIGN_FIELDS
    if unknown:
        raise ValidationError({name: _("This field cannot be set here.") for name in sorted(unknown)})
    cleaned = dict(data)
    if "name" in cleaned:
        cleaned["name"] = clean_text(cleaned["name"])
        if not cleaned["name"]:
            raise ValidationError({"name": _("Enter the campaign's name.")})
    if "description" in cleaned:
        cleaned["description"] = str(cleaned["description"] or "").strip()
    for name in UTM_FIELDS:
        if name in cleaned:
            cleaned[name] = utm_code(cleaned[name])
    errors: dict[str, str] = {}
    start = cleaned.get("start_date", getattr(current, "start_date", None))
    end = cleaned.get("end_date", getattr(current, "end_date", None))
    if start is not None and end is not None and end < start:
        errors["end_date"] = _("The campaign cannot end before it starts.")
    budget = cleaned.get("budget")
    if budget is not None and Decimal(budget) < 0:
        errors["budget"] = _("The budget cannot be negative.")
    elif budget is not None and Decimal(budget) != Decimal(budget).to_integral_value():
        errors["budget"] = _("Amounts are in whole VND: no decimals.")
    if errors:
        raise ValidationError(errors)
    return cleaned


def _check_utm_unique(values: Mapping[str, Any], exclude: int | None = None) -> None:
    """One live campaign per UTM triple, so that an incoming lead names one campaign."""
    triple = {name: values.get(name) or "" for name in UTM_FIELDS}
    if not triple["utm_campaign"]:
        return
    taken = Campaign.objects.filter(**{f"{name}__iexact": value for name, value in triple.items()})
    if exclude is not None:
        taken = taken.exclude(pk=exclude)
    if taken.exists():
        raise ValidationError(
            {
                "utm_campaign": _(
                    "Another campaign already uses these UTM codes (source, medium and campaign): "
                    "incoming leads could not tell them apart."
                )
            }
        )


@transaction.atomic
def campaign_create(
    *, actor: Any, data: Mapping[str, Any], owner: Any = None, actor_label: str = ""
) -> Campaign:
    access.check_module(actor, Module.MARKETING, Action.CREATE)
    cleaned = _clean(data)
    owner = cleaned.pop("owner", None) or owner
    _check_utm_unique(cleaned)
    cleaned["search_key"] = fold(cleaned.get("name", ""))[:400]
    cleaned.pop("cost_total", None)
    return record_create(Campaign, actor=actor, data=cleaned, owner=owner, actor_label=actor_label)


@transaction.atomic
def campaign_update(
    campaign: Campaign, *, actor: Any, changes: Mapping[str, Any], version: int | None, actor_label: str = ""
) -> Campaign:
    cleaned = _clean(changes, current=campaign)
    if cleaned.get("owner", campaign.owner) is None:
        cleaned.pop("owner", None)
    if set(UTM_FIELDS) & cleaned.keys():
        _check_utm_unique({n: cleaned.get(n, getattr(campaign, n)) for n in UTM_FIELDS}, exclude=campaign.pk)
    if "name" in cleaned:
        cleaned["search_key"] = fold(cleaned["name"])[:400]
    return record_update(campaign, actor=actor, changes=cleaned, version=version, actor_label=actor_label)


def campaign_delete(campaign: Campaign, *, actor: Any, version: int | None = None) -> Campaign:
    """To the trash; its costs stay with it (restored with it)."""
    return record_delete(campaign, actor=actor, version=version)


# --- costs -----------------------------------------------------------------------------------------


def _locked_for_costs(campaign: Campaign, actor: Any) -> Campaign:
    """The campaign, locked, if the actor may change it (its costs are part of it)."""
    current: Campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    access.check(actor, Action.EDIT, current)
    return current


def _refresh_total(campaign: Campaign) -> Decimal:
    total = CampaignCost.objects.filter(campaign=campaign).aggregate(total=Sum("amount"))["total"] or ZERO
    Campaign.all_objects.filter(pk=campaign.pk).update(cost_total=total)
    campaign.cost_total = total
    return total


def _amount(value: Any) -> Decimal:
    try:
        amount = Decimal(str(value).strip())
    except (ArithmeticError, ValueError):
        raise ValidationError({"amount": _("Enter the amount in VND.")}) from None
    if not amount.is_finite():
        raise ValidationError({"amount": _("Enter the amount in VND.")})
    if amount < 0:
        raise ValidationError({"amount": _("A cost cannot be negative.")})
    if amount >= MAX_AMOUNT:
        raise ValidationError({"amount": _("The amount is too large.")})
    if amount != amount.to_integral_value():
        raise ValidationError({"amount": _("Amounts are in whole VND: no decimals.")})
    return amount.quantize(Decimal(1))


def _cost_event(kind: str, campaign: Campaign, actor: Any, cost: CampaignCost, **extra: Any) -> None:
    event_emit(
        type=f"campaign.cost_{kind}",
        subject=campaign,
        actor=actor,
        data={"date": cost.date.isoformat(), "amount": str(cost.amount), "origin": cost.origin,
              "cost_total": str(campaign.cost_total), **extra},
    )  # fmt: skip


@transaction.atomic
def cost_add(
    campaign: Campaign, *, actor: Any, date: dt.date, amount: Any, by_month: bool = False
) -> CampaignCost:
    """A cost typed in: for a day, or for a month (stored on the month's first day)."""
    current = _locked_for_costs(campaign, actor)
    day = date.replace(day=1) if by_month else date
    value = _amount(amount)
    if current.end_date is not None and day > current.end_date:
        raise ValidationError({"date": _("The campaign had ended by then.")})
    if CampaignCost.objects.filter(campaign=current, date=day, origin=CostOrigin.MANUAL).exists():
        raise ValidationError(
            {"date": _("A cost is already typed in for this day (or month): change that one instead.")}
        )
    cost = CampaignCost(campaign=current, date=day, amount=value, origin=CostOrigin.MANUAL, created_by=actor)
    cost.full_clean()
    cost.save()
    _refresh_total(current)
    _cost_event("added", current, actor, cost)
    return cost


@transaction.atomic
def cost_update(cost: CampaignCost, *, actor: Any, amount: Any) -> CampaignCost:
    """Correct a cost's amount (typed in or imported: a later import of the same file sets it again)."""
    current = _locked_for_costs(cost.campaign, actor)
    row = CampaignCost.objects.select_for_update().get(pk=cost.pk, campaign=current)
    old = row.amount
    row.amount = _amount(amount)
    if row.amount == old:
        return row
    row.save(update_fields=["amount"])
    _refresh_total(current)
    _cost_event("changed", current, actor, row, old_amount=str(old))
    return row


@transaction.atomic
def cost_delete(cost: CampaignCost, *, actor: Any) -> None:
    current = _locked_for_costs(cost.campaign, actor)
    row = CampaignCost.objects.select_for_update().get(pk=cost.pk, campaign=current)
    row.delete()
    _refresh_total(current)
    _cost_event("deleted", current, actor, row)


# --- costs imported from an ad platform's export ---------------------------------------------------


@dataclass
class CostRow:
    line: int
    date: dt.date
    campaign: str
    amount: Decimal


@dataclass
class Rejected:
    line: int
    reason: str
    value: str = ""


@dataclass
class CostImport:
    rows: int = 0  # the rows of the file kept (their cost is stored)
    total: Decimal = ZERO  # what those rows spent
    created: int = 0  # cost entries new to the CRM
    updated: int = 0  # entries the file had already given, set again
    campaigns: list[dict[str, Any]] = field(default_factory=list)  # [{campaign, rows, total}]
    rejected: list[Rejected] = field(default_factory=list)


def _campaign_index(actor: Any) -> tuple[dict[str, set[int]], dict[str, set[int]], dict[int, Campaign]]:
    campaigns = {c.pk: c for c in access.scope(actor, Campaign, Action.VIEW)}
    by_utm: dict[str, set[int]] = defaultdict(set)
    by_name: dict[str, set[int]] = defaultdict(set)
    for campaign in campaigns.values():
        if campaign.utm_campaign:
            by_utm[campaign.utm_campaign.lower()].add(campaign.pk)
        by_name[fold(campaign.name)].add(campaign.pk)
    return by_utm, by_name, campaigns


def _match(
    name: str, by_utm: Mapping[str, set[int]], by_name: Mapping[str, set[int]]
) -> tuple[int | None, str]:
    """The campaign a row names (its UTM campaign, else its folded name), or why none."""
    found = by_utm.get(name.strip().lower()) or by_name.get(fold(name)) or set()
    if len(found) == 1:
        return next(iter(found)), ""
    if found:
        return None, _("several campaigns have this name")
    return None, _("no campaign has this name or UTM campaign")


@transaction.atomic
def costs_import(
    *,
    actor: Any,
    rows: Iterable[CostRow],
    origin: str,
    file_name: str,
    rejected: Iterable[Rejected] = (),
) -> CostImport:
    """Store the spend of an ad platform's export: one entry per campaign, day and platform (rows of the
    same campaign and day in the file are added up), so that importing the same file again sets the same
    entries to the same amounts and never doubles the cost. Rows naming no campaign the actor may change
    are reported with their line, never dropped silently; the good rows are kept."""
    access.check_module(actor, Module.MARKETING, Action.IMPORT)
    if origin not in (CostOrigin.FACEBOOK, CostOrigin.GOOGLE):
        raise ValidationError({"origin": _("Choose Facebook Ads or Google Ads.")})
    result = CostImport(rejected=list(rejected))
    by_utm, by_name, campaigns = _campaign_index(actor)
    sums: dict[tuple[int, dt.date], Decimal] = defaultdict(Decimal)
    counts: dict[int, int] = defaultdict(int)
    for row in rows:
        pk, reason = _match(row.campaign, by_utm, by_name)
        if pk is None:
            result.rejected.append(Rejected(row.line, reason, row.campaign))
            continue
        campaign = campaigns[pk]
        if not access.in_scope(actor, Action.IMPORT, campaign):
            result.rejected.append(
                Rejected(row.line, _("you may import costs only for your own campaigns"), row.campaign)
            )
            continue
        sums[(pk, row.date)] += row.amount
        counts[pk] += 1
        result.rows += 1
        result.total += row.amount
    touched = sorted({pk for pk, _day in sums})
    locked = {c.pk: c for c in Campaign.objects.select_for_update().filter(pk__in=touched).order_by("pk")}
    existing = {
        (c.campaign_id, c.date): c
        for c in CampaignCost.objects.filter(
            campaign_id__in=touched, origin=origin, date__in={day for _pk, day in sums}
        )
    }
    new, changed = [], []
    for (pk, day), amount in sums.items():
        if amount >= MAX_AMOUNT:
            result.rejected.append(Rejected(0, _("the amount is too large"), str(amount)))
            continue
        cost = existing.get((pk, day))
        if cost is None:
            new.append(CampaignCost(campaign_id=pk, date=day, amount=amount, origin=origin,
                                    source_file=file_name[:200], created_by=actor))  # fmt: skip
        elif cost.amount != amount or cost.source_file != file_name[:200]:
            cost.amount, cost.source_file = amount, file_name[:200]
            changed.append(cost)
        else:
            result.updated += 1
    CampaignCost.objects.bulk_create(new)
    CampaignCost.objects.bulk_update(changed, ["amount", "source_file"])
    result.created, result.updated = len(new), result.updated + len(changed)
    for pk in touched:
        campaign = locked[pk]
        _refresh_total(campaign)
        spent = sum((a for (c, _d), a in sums.items() if c == pk), ZERO)
        event_emit(
            type="campaign.cost_imported",
            subject=campaign,
            actor=actor,
            data={"file": file_name[:200], "origin": origin, "rows": counts[pk], "total": str(spent),
                  "cost_total": str(campaign.cost_total)},
        )  # fmt: skip
        result.campaigns.append({"campaign": campaign, "rows": counts[pk], "total": spent})
    result.rejected.sort(key=lambda r: r.line)
    return result
