"""Lead scoring v1: rules an administrator edits give a lead points; the lead keeps its score and
the list of rules that gave them (shown on its page)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone

from sencrm.sales.choices import OPEN_LEAD_STATUSES, RuleKind
from sencrm.sales.models import Lead, ScoringRule


def active_rules() -> list[ScoringRule]:
    return list(ScoringRule.objects.filter(is_active=True).order_by("position", "id"))


def _matches(rule: ScoringRule, lead: Lead, activity_count: int, now: dt.datetime) -> bool:
    value = rule.value.strip()
    if rule.kind == RuleKind.SOURCE:
        return lead.source is not None and lead.source.code == value
    if rule.kind == RuleKind.PROVINCE:
        return lead.province is not None and lead.province.code == value
    if rule.kind == RuleKind.FIELD_PRESENT:
        present = {
            "phone": bool(lead.primary_phone),
            "email": bool(lead.primary_email),
            "company": bool(lead.company),
            "province": lead.province_id is not None,
            "interest": bool(lead.interest.strip()),
            "campaign": bool(lead.campaign),
            "title": bool(lead.title),
        }
        return present.get(value, False)
    if rule.kind == RuleKind.EMAIL_DOMAIN:
        domains = {d.strip().lower().lstrip("@") for d in value.split(",") if d.strip()}
        emails = [e.address_key for e in lead.emails.all()]
        return any(e.rpartition("@")[2] in domains for e in emails)
    if rule.kind == RuleKind.ACTIVITY_COUNT:
        return value.isdigit() and activity_count >= int(value)
    if rule.kind == RuleKind.RECENCY:
        touched = lead.first_touch_at or lead.created_at
        return value.isdigit() and touched is not None and now - touched <= dt.timedelta(days=int(value))
    return False


def evaluate(lead: Lead, rules: list[ScoringRule] | None = None) -> tuple[int, list[list[Any]]]:
    """(score, [[rule id, rule name, points], …]) for the lead as it is now."""
    rules = active_rules() if rules is None else rules
    count = (
        lead.activities.filter(deleted_at__isnull=True).count()
        if any(r.kind == RuleKind.ACTIVITY_COUNT for r in rules)
        else 0
    )
    now = timezone.now()
    details: list[list[Any]] = [[r.pk, r.name, r.points] for r in rules if _matches(r, lead, count, now)]
    return sum(points for _id, _name, points in details), details


def lead_rescore(lead_id: int, rules: list[ScoringRule] | None = None) -> int | None:
    """Recompute one lead's score. Derived data, like the search key: no version, no event."""
    lead = (
        Lead.all_objects.select_related("source", "province")
        .prefetch_related("emails")
        .filter(pk=lead_id)
        .first()
    )
    if lead is None:
        return None
    score, details = evaluate(lead, rules)
    if score != lead.score or details != lead.score_details:
        Lead.all_objects.filter(pk=lead_id).update(score=score, score_details=details)
    return score


def leads_rescore_all(*, open_only: bool = False, batch: int = 500) -> int:
    """Every lead again (the rules changed, or the nightly pass for recency rules)."""
    rules = active_rules()
    qs = Lead.objects.all()
    if open_only:
        qs = qs.filter(status__in=OPEN_LEAD_STATUSES)
    done = 0
    for lead_id in qs.values_list("pk", flat=True).iterator(chunk_size=batch):
        with transaction.atomic():
            lead_rescore(lead_id, rules)
        done += 1
    return done
