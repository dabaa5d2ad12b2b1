"""Writes for leads: capture (by hand, API, web form, import), update, assignment, follow-up."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from sencrm.core.phones import display, search_digits
from sencrm.core.text import clean_text, fold, name_sort_key
from sencrm.customers.services import normalise_emails, normalise_phones
from sencrm.customfields import custom_fields
from sencrm.events.services import record_create, record_delete, record_update
from sencrm.sales.choices import LeadStatus
from sencrm.sales.models import Lead, LeadEmail, LeadPhone, RoundRobinState

TEXT_FIELDS = {"full_name", "company", "title", "campaign", "next_action", "unqualified_reason"}


def _clean(data: dict[str, Any]) -> dict[str, Any]:
    cleaned = dict(data)
    for name in TEXT_FIELDS & cleaned.keys():
        if cleaned[name] is not None:
            cleaned[name] = clean_text(cleaned[name])
    if cleaned.get("interest") is not None and "interest" in cleaned:
        cleaned["interest"] = str(cleaned["interest"]).strip()
    if "full_name" in cleaned:
        if not cleaned["full_name"]:
            raise ValidationError({"full_name": _("Enter the lead's name.")})
        cleaned["sort_key"] = name_sort_key(cleaned["full_name"])
    if cleaned.get("status") == LeadStatus.CONVERTED:
        raise ValidationError(
            {"status": _("A lead is converted with the Convert action, not by its status.")}
        )
    return cleaned


def _write_children(
    lead: Lead, phones: list[dict[str, str]] | None, emails: list[str] | None
) -> dict[str, list[Any]]:
    """Replace phones/emails when given; refresh the search key and primary phone/email."""
    changed: dict[str, list[Any]] = {}
    if phones is not None:
        before = [p.number for p in lead.phones.all()]
        after = [p["number"] for p in phones]
        if before != after:
            lead.phones.all().delete()
            LeadPhone.objects.bulk_create(
                LeadPhone(lead=lead, number=p["number"], e164=p["e164"], position=i)
                for i, p in enumerate(phones)
            )
            changed["phones"] = [before, after]
    if emails is not None:
        before = [e.address for e in lead.emails.all()]
        if before != emails:
            lead.emails.all().delete()
            LeadEmail.objects.bulk_create(
                LeadEmail(lead=lead, address=a, address_key=a.lower(), position=i)
                for i, a in enumerate(emails)
            )
            changed["emails"] = [before, emails]
    phone_rows = list(lead.phones.values_list("e164", flat=True))
    email_rows = list(lead.emails.values_list("address_key", flat=True))
    parts = [fold(lead.full_name), fold(lead.company), *(search_digits(e) for e in phone_rows), *email_rows]
    first_email = lead.emails.values_list("address", flat=True).first()
    derived = {
        "search_key": " ".join(p for p in parts if p),
        "primary_phone": display(phone_rows[0]) if phone_rows else "",
        "primary_email": first_email or "",
    }
    Lead.all_objects.filter(pk=lead.pk).update(**derived)
    for name, value in derived.items():
        setattr(lead, name, value)
    return changed


def round_robin_owner(team: Any) -> Any:
    """The next active member of the team after the one who got the last lead (None: empty team)."""
    members = list(team.members.filter(is_active=True).order_by("id"))
    if not members:
        return None
    state, _created = RoundRobinState.objects.select_for_update().get_or_create(team=team)
    following = [m for m in members if state.last_user_id is None or m.pk > state.last_user_id]
    chosen = following[0] if following else members[0]
    state.last_user = chosen
    state.save(update_fields=["last_user"])
    return chosen


@transaction.atomic
def lead_create(
    *,
    actor: Any,
    data: dict[str, Any],
    phones: Iterable[dict[str, str] | str] = (),
    emails: Iterable[str] = (),
    owner: Any = None,
    team: Any = None,
    round_robin_team: Any = None,
    actor_label: str = "",
    system: bool = False,
) -> Lead:
    """Create a lead. `round_robin_team`: the owner is the team's next member in turn.

    The new owner is notified by the notifications consumer (it reads the created event).
    """
    data = _clean(data)
    data["custom_field_data"] = custom_fields.validate(
        Lead, data.get("custom_field_data") or {}, partial=False
    )
    phone_rows, email_rows = normalise_phones(phones), normalise_emails(emails)
    if round_robin_team is not None:
        owner = round_robin_owner(round_robin_team) or owner
        team = round_robin_team
    return record_create(
        Lead,
        actor=actor,
        data=data,
        owner=owner,
        team=team,
        actor_label=actor_label,
        related=lambda lead: _write_children(lead, phone_rows, email_rows),
        system=system,
    )


@transaction.atomic
def lead_update(
    lead: Lead,
    *,
    actor: Any,
    changes: dict[str, Any],
    version: int | None,
    phones: Iterable[dict[str, str] | str] | None = None,
    emails: Iterable[str] | None = None,
    actor_label: str = "",
) -> Lead:
    if lead.is_converted and set(changes) - {"next_action", "next_action_at"}:
        raise ValidationError(_("This lead has been converted; change the contact instead."))
    changes = _clean(changes)
    if "custom_field_data" in changes:
        changes["custom_field_data"] = custom_fields.validate(
            Lead, changes["custom_field_data"] or {}, partial=True, existing=lead.custom_field_data
        )
    phone_rows = normalise_phones(phones) if phones is not None else None
    email_rows = normalise_emails(emails) if emails is not None else None
    return record_update(
        lead,
        actor=actor,
        changes=changes,
        version=version,
        actor_label=actor_label,
        related=lambda current: _write_children(current, phone_rows, email_rows),
    )


def lead_assign(
    lead: Lead, *, actor: Any, owner: Any = None, team: Any = None, version: int | None = None
) -> Lead:
    """Give the lead to `owner`, or to the next member of `team` in turn (round robin)."""
    with transaction.atomic():
        if owner is None and team is not None:
            owner = round_robin_owner(team)
        if owner is None:
            raise ValidationError({"owner": _("Choose who gets the lead (the team has no active member).")})
        changes: dict[str, Any] = {"owner": owner}
        if team is not None:
            changes["team"] = team
        return lead_update(lead, actor=actor, changes=changes, version=version)


def lead_add_details(
    lead: Lead,
    *,
    actor: Any,
    phones: Iterable[str] = (),
    emails: Iterable[str] = (),
    interest: str = "",
) -> Lead:
    """Link a new enquiry to an existing lead instead of creating a duplicate: its new phones and
    emails are added and its interest appended."""
    new_phones = normalise_phones([*(p.number for p in lead.phones.all()), *phones])
    new_emails = normalise_emails([*(e.address for e in lead.emails.all()), *emails])
    changes: dict[str, Any] = {}
    interest = interest.strip()
    if interest and interest not in lead.interest:
        changes["interest"] = f"{lead.interest}\n{interest}".strip()
    return lead_update(lead, actor=actor, changes=changes, version=None, phones=new_phones, emails=new_emails)


def lead_delete(lead: Lead, *, actor: Any, version: int | None = None) -> Lead:
    return record_delete(lead, actor=actor, version=version)
