"""The campaign a lead came from, found from its UTM codes — by marketing, which sits above sales.

Sales may not import the marketing app (the dependency direction: sencrm/core/tests/test_layout.py), so
marketing registers its finder here when it starts (MarketingConfig.ready() → marketing/registry.py).
Without marketing installed no campaign is ever found and leads keep only their free-text `campaign`.

A link found by this rule is the CRM's, not the user's: a lead created by a manager who cannot open the
campaign (outside their teams) still gets it, written by the rule (`system=True`), never refused.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

from django.db import models
from django.db.models import Q

from sencrm.core import access
from sencrm.core.models import Record
from sencrm.core.modules import Action

Finder = Callable[[Mapping[str, Any]], Any]
R = TypeVar("R", bound=Record)
resolver: Finder | None = None

CAMPAIGN_FIELDS = ("first_campaign", "latest_campaign")


def register(finder: Finder) -> None:
    global resolver
    resolver = finder


def campaign_for_utm(utm: Mapping[str, Any] | None) -> Any:
    """The live campaign of these UTM codes (see marketing.selectors.campaign_for_utm), or None."""
    if resolver is None or not utm or not isinstance(utm, Mapping):
        return None
    return resolver(utm)


def campaign_values(data: Mapping[str, Any]) -> dict[str, Any]:
    """first/latest campaign for a new lead: as given, else from its UTM codes (else its free-text
    campaign read as a UTM campaign); the latest is the first when only the first is known."""
    first = data.get("first_campaign")
    latest = data.get("latest_campaign")
    if first is None and latest is None:
        utm = data.get("utm") or {}
        if not utm.get("utm_campaign") and data.get("campaign"):
            utm = {"utm_campaign": data["campaign"]}
        first = latest = campaign_for_utm(utm)
    elif first is None:
        first = latest
    elif latest is None:
        latest = first
    return {"first_campaign": first, "latest_campaign": latest} if first is not None else {}


def split_by_access(
    actor: Any, values: Mapping[str, Any], given: Iterable[str] = ()
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(links the actor sets themselves, links the rule sets): a campaign named by the actor (`given`) is
    theirs and checked by the gate; one found by the rule goes in directly when the actor may open it,
    else it is written afterwards by the rule."""
    mine: dict[str, Any] = {}
    rule: dict[str, Any] = {}
    for name, campaign in values.items():
        if (
            campaign is None
            or name in given
            or actor is None
            or access.in_scope(actor, Action.VIEW, campaign)
        ):
            mine[name] = campaign
        else:
            rule[name] = campaign
    return mine, rule


def records_of_person(phones_e164: list[str], emails: list[str], *, exclude_lead: int | None) -> list[Record]:
    """The contacts and open leads with one of these phones or emails (exact keys, no name guessing)."""
    from sencrm.customers.models import Contact
    from sencrm.sales.choices import LeadStatus
    from sencrm.sales.models import Lead

    keys = [e.lower() for e in emails if e]
    if not phones_e164 and not keys:
        return []
    match = Q(pk__in=[])
    lead_match = Q(pk__in=[])
    if phones_e164:
        match |= Q(phones__e164__in=phones_e164)
        lead_match |= Q(phones__e164__in=phones_e164)
    if keys:
        match |= Q(emails__address_key__in=keys)
        lead_match |= Q(emails__address_key__in=keys)
    contacts: models.QuerySet[Any] = Contact.objects.filter(match).distinct().order_by("pk")[:20]
    leads: models.QuerySet[Any] = (
        Lead.objects.filter(lead_match)
        .exclude(status__in=[LeadStatus.CONVERTED, LeadStatus.UNQUALIFIED])
        .exclude(pk=exclude_lead)
        .distinct()
        .order_by("pk")[:20]
    )
    return [*contacts, *leads]


def latest_campaign_touch(records: Iterable[Record], campaign: Any, *, actor_label: str) -> list[Record]:
    """People who came back through another campaign: their latest campaign becomes it (their first stays).
    A rule of the CRM (a web form has no user), written through the spine with one event each."""
    from sencrm.events.services import record_update

    changed = []
    for record in records:
        if campaign is None or getattr(record, "latest_campaign_id", campaign.pk) == campaign.pk:
            continue
        changes: dict[str, Any] = {"latest_campaign": campaign}
        if getattr(record, "first_campaign_id", None) is None:
            changes["first_campaign"] = campaign
        changed.append(
            record_update(
                record, actor=None, changes=changes, version=None, system=True, actor_label=actor_label
            )
        )
    return changed


def carried(lead: Any, actor: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """A converted lead's campaigns for what it becomes: (those the actor may set, those the rule sets)."""
    values = {
        name: getattr(lead, name) for name in CAMPAIGN_FIELDS if getattr(lead, f"{name}_id") is not None
    }
    return split_by_access(actor, values)


def set_by_rule(record: R, values: Mapping[str, Any], *, actor: Any, actor_label: str) -> R:
    """Write links the rule found and the actor may not open (see split_by_access)."""
    if not values:
        return record
    from sencrm.events.services import record_update

    return record_update(
        record, actor=actor, changes=dict(values), version=None, system=True, actor_label=actor_label
    )
