"""The public web-to-lead door: validate, resist spam, create the lead as the form's rules say."""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from sencrm.sales import campaigns
from sencrm.sales.models import Lead, WebForm, WebFormSubmission
from sencrm.sales.services.leads import lead_create

UTM_KEYS = ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content")


def ip_hash(ip: str) -> str:
    # Stored hashed with the secret key: enough to count, not to identify a visitor.
    return hashlib.sha256(f"{settings.SECRET_KEY}:{ip}".encode()).hexdigest()


def rate_limited(form: WebForm, ip: str) -> bool:
    """More submissions from this address in the window than WEBFORM_RATE_LIMIT allows."""
    window = timezone.now() - dt.timedelta(minutes=settings.WEBFORM_RATE_WINDOW_MINUTES)
    recent = WebFormSubmission.objects.filter(ip_hash=ip_hash(ip), submitted_at__gte=window).count()
    return recent >= settings.WEBFORM_RATE_LIMIT


def submission_log(form: WebForm, ip: str, outcome: str, lead: Lead | None = None) -> None:
    WebFormSubmission.objects.create(form=form, ip_hash=ip_hash(ip), outcome=outcome, lead=lead)


@transaction.atomic
def lead_capture(
    *,
    form: WebForm,
    data: dict[str, Any],
    phones: list[str],
    emails: list[str],
    consent: bool,
    consent_text: str,
    utm: dict[str, str],
    referrer: str,
    ip: str,
) -> Lead:
    """Create the lead a visitor submitted (validated by the caller's form; raises ValidationError)."""
    now = timezone.now()
    channels = {"email": bool(emails), "phone": bool(phones)}
    # The visitor's answer holds for the channels they gave us (recorded as rows by the lead service). The
    # box must be ticked to submit (an unticked form is refused and records nothing, not a refusal); the
    # ledger keeps the text the visitor saw and its version (a hash: the form keeps no edit history).
    version = hashlib.sha256(consent_text.encode()).hexdigest()[:12]
    evidence = f"web form #{form.pk} {form.name} (text {version}): {consent_text}"
    consents = {
        channel: {
            "granted": consent,
            "at": now,
            "source": f"{form.name}: {consent_text}"[:200],
            "via": "web_form",
            "evidence": evidence,
        }
        for channel, present in channels.items()
        if present and consent
    }
    lead_data = {
        **data,
        "source": form.source,
        "campaign": utm.get("utm_campaign") or form.campaign,
        "first_touch_at": now,
        "utm": {k: v[:200] for k, v in utm.items() if k in UTM_KEYS and v},
        "referrer": referrer[:500],
        "web_form": form,
    }
    owner = form.owner if form.owner is not None and form.owner.is_active else None
    if owner is None:
        # A round robin over an empty team falls back to this too: the lead is never lost.
        from sencrm.users.models import User

        owner = User.objects.filter(is_superuser=True, is_active=True).order_by("id").first()
    lead = lead_create(
        actor=None,
        data=lead_data,
        phones=phones,
        emails=emails,
        owner=owner,
        round_robin_team=form.team,
        consents=consents,
        actor_label=f"webform#{form.pk}",
        system=True,
    )
    submission_log(form, ip, "created", lead)
    if lead.latest_campaign_id is not None:
        # Someone we knew, back through this campaign: their latest campaign is this one.
        known = campaigns.records_of_person(
            list(lead.phones.values_list("e164", flat=True)), emails, exclude_lead=lead.pk
        )
        campaigns.latest_campaign_touch(known, lead.latest_campaign, actor_label=f"webform#{form.pk}")
    return lead
