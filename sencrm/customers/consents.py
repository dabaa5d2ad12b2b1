"""Consent to be contacted (email, SMS, phone call, Zalo) for marketing: every door's answers, written to
the consent ledger (sencrm/customers/ledger.py) and to the current answer per channel.

Contacts (`customers.Consent`) and leads (`sales.LeadConsent`) keep current-answer rows of the same shape
under the related name `consents`; these helpers read and write both, so every door (forms, the API, the
public web form, imports, conversion, merge, demo data) records consent the same way. The services call
`consents_write` inside their write: each answer given or withdrawn becomes a ledger row (with its door and
evidence) in the same transaction, and what changed goes into the record's event.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sencrm.core.text import clean_text
from sencrm.customers import ledger
from sencrm.customers.choices import ConsentChannel
from sencrm.customers.models import ConsentSource

# {channel: {"granted": bool, "at": datetime or ISO text (optional), "source": str (how it was given, as
# shown with the answer), "via": a ConsentSource (the door; default "form"), "evidence": str (what proves
# it: the form's text and version, the call's id, the file's name; default the "source" text)}}; None for
# a channel drops its current answer without a ledger row (nobody withdrew anything).
Answers = Mapping[str, Mapping[str, Any] | None]


def _recorded_at(value: Any) -> dt.datetime:
    """When the answer was given: a datetime or ISO text from the caller (a web form, a lead's row), else
    now. Text that is not a date and time is treated as missing."""
    when = value if isinstance(value, dt.datetime) else None
    if isinstance(value, str):
        try:
            when = parse_datetime(value)
        except ValueError:  # well formed but impossible ("2025-02-30T10:00")
            when = None
    if when is None:
        return timezone.now()
    if timezone.is_naive(when):
        when = timezone.make_aware(when)
    return min(when, timezone.now())  # an answer is never recorded in the future


def api_evidence(actor: Any, text: str = "") -> str:
    """What proves an answer that came through the API: the token it came with (or the session)."""
    token = getattr(actor, "acting_token_id", None)
    door = f"API token #{token}" if token else "API (session)"
    return f"{door}: {text}" if text else door


def consents_write(record: Any, answers: Answers | None, *, actor: Any = None) -> dict[str, list[Any]]:
    """Record the answers for a contact or a lead, in the caller's transaction.

    A new or changed answer is appended to the ledger with its date (`at`, else now), door (`via`) and
    evidence, by `actor`, and becomes the current answer; the same answer again records nothing (it keeps
    its own date and source). An answer without `granted` is ignored. Returns what changed as
    {"consent_<channel>": [old, new]} for the record's event.
    """
    if not answers:
        return {}
    unknown = sorted(set(answers) - set(ConsentChannel.values))
    if unknown:
        raise ValidationError(
            {"consents": _("Unknown consent channel: %(channels)s") % {"channels": ", ".join(unknown)[:100]}}
        )
    current = {c.channel: c for c in record.consents.all()}
    latest = {channel: row for (channel, _p), row in ledger.latest_rows(record).items()}
    changed: dict[str, list[Any]] = {}
    for channel, answer in answers.items():
        existing = current.get(channel)
        if answer is None:
            if existing is not None:
                existing.delete()
                changed[f"consent_{channel}"] = [existing.granted, None]
            continue
        granted = answer.get("granted")
        if granted is None:
            continue
        # The ledger's latest row is the current answer; the state row stands in for answers recorded
        # before the ledger existed.
        said = latest[channel].granted if channel in latest else (existing.granted if existing else None)
        text = clean_text(str(answer.get("source") or ""))[:200]
        if said == bool(granted):
            # Already so in the ledger (written there directly, e.g. a data request's withdrawal, or rows
            # a merge moved over): only bring the current-state row in step.
            texts = {latest[channel].pk: text or None} if channel in latest else None
            changed.update(ledger.state_sync(record, [channel], texts=texts))
            continue
        via = answer.get("via") or ConsentSource.FORM
        evidence = str(answer.get("evidence") or text)
        if via == ConsentSource.API:
            evidence = api_evidence(actor, evidence)
        ledger.consent_append(
            person=record,
            channel=channel,
            granted=bool(granted),
            at=_recorded_at(answer.get("at")),
            source=via,
            evidence=evidence,
            actor=actor,
            state_text=text,
        )
        changed[f"consent_{channel}"] = [existing.granted if existing else None, bool(granted)]
    return changed


def consents_carried(
    source: Any, target: Any = None, *, newer_wins: bool = False
) -> dict[str, dict[str, Any]]:
    """The answers of `source` (a contact being merged) that `target` takes (None: a record being made
    from it): the channels it has no answer for, and with `newer_wins` those where the source's answer is
    more recent. Each keeps its own date and source; the ledger rows name the source ("merge", "contact
    #12"; a lead: "conversion", "lead #12")."""
    from sencrm.customers.models import Contact

    via = ConsentSource.MERGE if isinstance(source, Contact) else ConsentSource.CONVERSION
    label = "contact" if isinstance(source, Contact) else "lead"
    have = {c.channel: c for c in target.consents.all()} if target is not None else {}
    return {
        c.channel: {
            "granted": c.granted,
            "at": c.recorded_at,
            "source": c.source,
            "via": via,
            "evidence": f"{label} #{source.pk}: {c.source}" if c.source else f"{label} #{source.pk}",
        }
        for c in source.consents.all()
        if c.channel not in have or (newer_wins and c.recorded_at > have[c.channel].recorded_at)
    }


class ConsentFields(forms.Form):
    """The consent boxes of a record's form (one per channel) and how consent was given.

    A ticked box records consent; unticking a channel that had consent records its withdrawal; a channel
    never answered and left unticked records nothing (nobody was asked)."""

    consent_email = forms.BooleanField(label=gettext_lazy("Email"), required=False)
    consent_sms = forms.BooleanField(label=gettext_lazy("SMS"), required=False)
    consent_phone = forms.BooleanField(label=gettext_lazy("Phone call"), required=False)
    consent_zalo = forms.BooleanField(label=gettext_lazy("Zalo"), required=False)
    consent_source = forms.CharField(
        label=gettext_lazy("How consent was given"),
        required=False,
        max_length=200,
        help_text=gettext_lazy("E.g. signed form at the showroom, Zalo message of 01/08."),
    )
    consent_names = ["consent_email", "consent_sms", "consent_zalo", "consent_phone", "consent_source"]

    def consent_initial(self, record: Any) -> None:
        """Tick the boxes of the channels the record has consent for (an edit form, not yet posted)."""
        if getattr(record, "pk", None) and not self.is_bound:
            for consent in record.consents.all():
                self.initial[f"consent_{consent.channel}"] = consent.granted

    def consents(self, record: Any = None) -> dict[str, dict[str, Any]]:
        """The answers for `consents_write` ({channel: {granted, source}})."""
        answered = {c.channel for c in record.consents.all()} if getattr(record, "pk", None) else set()
        source = self.cleaned_data.get("consent_source", "")
        return {
            channel: {
                "granted": bool(self.cleaned_data.get(f"consent_{channel}")),
                "source": source,
                "via": ConsentSource.FORM,
            }
            for channel in ConsentChannel.values
            if self.cleaned_data.get(f"consent_{channel}") or channel in answered
        }
