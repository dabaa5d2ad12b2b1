"""Writes for leads: capture (by hand, API, web form, import), update, assignment, follow-up."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from sencrm.core.text import clean_text
from sencrm.customers.consents import Answers, consents_write
from sencrm.customers.services import normalise_emails, normalise_phones
from sencrm.customfields import custom_fields
from sencrm.events.children import write_children
from sencrm.events.services import record_create, record_delete, record_update
from sencrm.sales import campaigns
from sencrm.sales.choices import LeadStatus
from sencrm.sales.derived import lead_derived
from sencrm.sales.models import Lead, RoundRobinState

TEXT_FIELDS = {"full_name", "company", "title", "campaign", "next_action", "unqualified_reason"}


def _clean(data: dict[str, Any]) -> dict[str, Any]:
    cleaned = dict(data)
    for name in TEXT_FIELDS & cleaned.keys():
        if cleaned[name] is not None:
            cleaned[name] = clean_text(cleaned[name])
    if cleaned.get("interest") is not None and "interest" in cleaned:
        cleaned["interest"] = str(cleaned["interest"]).strip()
    if "full_name" in cleaned and not cleaned["full_name"]:
        raise ValidationError({"full_name": _("Enter the lead's name.")})
    if cleaned.get("status") == LeadStatus.CONVERTED:
        raise ValidationError(
            {"status": _("A lead is converted with the Convert action, not by its status.")}
        )
    return cleaned


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
    consents: Answers | None = None,
    actor_label: str = "",
    system: bool = False,
) -> Lead:
    """Create a lead. `round_robin_team`: the owner is the team's next member in turn. `consents`
    ({channel: {granted, source, at}}, or under "consents" in `data`, as the API sends it): recorded as
    rows with their date and source, as a contact's are.

    The new owner is notified by the notifications consumer (it reads the created event).
    """
    data = _clean(data)
    consents = data.pop("consents", consents)
    data["custom_field_data"] = custom_fields.validate(
        Lead, data.get("custom_field_data") or {}, partial=False
    )
    phone_rows, email_rows = normalise_phones(phones), normalise_emails(emails)
    data.update(lead_derived(data, [p["e164"] for p in phone_rows], email_rows))
    if round_robin_team is not None:
        owner = round_robin_owner(round_robin_team) or owner
        team = round_robin_team
    # The campaigns: as given, else found from the UTM codes; one found by the rule that the actor may not
    # open is written by the rule right after (sencrm/sales/campaigns.py).
    given = [name for name in campaigns.CAMPAIGN_FIELDS if data.get(name) is not None]
    mine, by_rule = campaigns.split_by_access(
        None if system else actor, campaigns.campaign_values(data), given
    )
    data.update(mine)
    lead = record_create(
        Lead,
        actor=actor,
        data=data,
        owner=owner,
        team=team,
        actor_label=actor_label,
        related=lambda lead: {
            **write_children(lead, phone_rows, email_rows),
            **consents_write(lead, consents, actor=actor),
        },
        system=system,
    )
    if by_rule:
        lead = record_update(lead, actor=actor, changes=by_rule, version=None, system=True, actor_label="utm")
    return lead


@transaction.atomic
def lead_update(
    lead: Lead,
    *,
    actor: Any,
    changes: dict[str, Any],
    version: int | None,
    phones: Iterable[dict[str, str] | str] | None = None,
    emails: Iterable[str] | None = None,
    consents: Answers | None = None,
    actor_label: str = "",
) -> Lead:
    """Change a lead; `consents` as for `lead_create` (a changed answer is dated now, an unchanged one
    keeps its date and source)."""
    changes = dict(changes)
    consents = changes.pop("consents", consents)
    if lead.is_converted and (set(changes) - {"next_action", "next_action_at"} or consents):
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
        related=lambda current: {
            **write_children(current, phone_rows, email_rows),
            **consents_write(current, consents, actor=actor),
        },
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
    consents: Answers | None = None,
) -> Lead:
    """Link a new enquiry to an existing lead instead of creating a duplicate: its new phones and
    emails are added, its interest appended and its consent answers recorded."""
    new_phones = normalise_phones([*(p.number for p in lead.phones.all()), *phones])
    new_emails = normalise_emails([*(e.address for e in lead.emails.all()), *emails])
    changes: dict[str, Any] = {}
    interest = interest.strip()
    if interest and interest not in lead.interest:
        changes["interest"] = f"{lead.interest}\n{interest}".strip()
    return lead_update(
        lead,
        actor=actor,
        changes=changes,
        version=None,
        phones=new_phones,
        emails=new_emails,
        consents=consents,
    )


def lead_delete(lead: Lead, *, actor: Any, version: int | None = None) -> Lead:
    return record_delete(lead, actor=actor, version=version)
