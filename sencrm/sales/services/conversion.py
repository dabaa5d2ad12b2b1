"""Lead conversion: in one step a lead becomes a contact (and an account, and optionally an
opportunity); its history, source, campaign, first touch and consents carry over and it stays, converted.

Every write goes through the services: the contact and account through theirs, the records that pointed
at the lead (activities…) gain the contact through `record_update` (one event each), and the lead's own
events are left as they were written: its `lead.converted` event, on the contact's journey, hands the
lead's journey to the contact (`events.selectors.customer_timeline` reads it from there; docs/decisions.md,
"Merge and conversion hand a journey over")."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from sencrm.core import access
from sencrm.core.models import Record
from sencrm.core.modules import Action
from sencrm.customers import ledger
from sencrm.customers.choices import LifecycleStage
from sencrm.customers.models import Account, ConsentSource, Contact
from sencrm.customers.services import account_create, contact_create, contact_update
from sencrm.events.services import record_update
from sencrm.sales import campaigns
from sencrm.sales.choices import LeadStatus
from sencrm.sales.models import Lead, Opportunity, Pipeline
from sencrm.sales.services.opportunities import opportunity_create


@dataclass
class Conversion:
    lead: Lead
    contact: Contact
    account: Account | None
    opportunity: Opportunity | None


def _consents_copy(lead: Lead, contact: Contact, *, actor: Any) -> None:
    """The lead's consent ledger goes to the contact, each row with its own date (source "conversion",
    evidence "lead #id"); the contact's current answer per channel is then the latest of both."""
    ledger.records_copy(lead, contact, via=ConsentSource.CONVERSION, evidence=f"lead #{lead.pk}", actor=actor)


def _contact_for(lead: Lead, *, actor: Any, contact: Contact | None, account: Account | None) -> Contact:
    phones = [p.number for p in lead.phones.all()]
    emails = [e.address for e in lead.emails.all()]
    mine, by_rule = campaigns.carried(lead, actor)
    if contact is None:
        made = contact_create(
            actor=actor,
            owner=lead.owner,
            data={
                "full_name": lead.full_name,
                "title": lead.title,
                "province": lead.province,
                "source": lead.source,
                "first_touch_at": lead.first_touch_at or lead.created_at,
                "account": account,
                "notes": lead.interest,
                "lifecycle_stage": LifecycleStage.PROSPECT,
                **mine,
            },
            phones=phones,
            emails=emails,
            actor_label=f"lead#{lead.pk}",
        )
        _consents_copy(lead, made, actor=actor)
        return campaigns.set_by_rule(made, by_rule, actor=actor, actor_label=f"lead#{lead.pk}")
    # Linking to a contact that exists: it gains what it lacks, and keeps what it has.
    access.check(actor, Action.EDIT, contact)
    changes: dict[str, Any] = {}
    if contact.source_id is None and lead.source_id:
        changes["source"] = lead.source
    first_touch = lead.first_touch_at or lead.created_at
    earlier = contact.first_touch_at is None or first_touch < contact.first_touch_at
    if earlier:
        changes["first_touch_at"] = first_touch
    # The lead's campaigns: its first is the contact's first when the lead came first; its latest is latest.
    wanted = {
        name: campaign
        for name, campaign in {**mine, **by_rule}.items()
        if name == "latest_campaign" or earlier or contact.first_campaign_id is None
    }
    changes.update({name: c for name, c in wanted.items() if name in mine})
    by_rule = {name: c for name, c in wanted.items() if name not in mine}
    if contact.account_id is None and account is not None:
        changes["account"] = account
    if contact.lifecycle_stage in (LifecycleStage.TARGET, LifecycleStage.LEAD):
        changes["lifecycle_stage"] = LifecycleStage.PROSPECT
    known_phones = [p.number for p in contact.phones.all()]
    known_emails = [e.address for e in contact.emails.all()]
    updated = contact_update(
        contact,
        actor=actor,
        changes=changes,
        version=None,
        phones=[*known_phones, *phones],
        emails=[*known_emails, *emails],
        actor_label=f"lead#{lead.pk}",
    )
    _consents_copy(lead, updated, actor=actor)
    return campaigns.set_by_rule(updated, by_rule, actor=actor, actor_label=f"lead#{lead.pk}")


def _link_to_contact(lead: Lead, *, actor: Any, contact: Contact, account: Account | None) -> dict[str, Any]:
    """The records that point at the lead and may name a customer (activities, a deal made from the lead…)
    gain its contact and account where they name none, each through `record_update` so that the change is
    on its history; found from the models' metadata, so a module added later is covered too."""
    moved: dict[str, Any] = {}
    for rel in Lead._meta.related_objects:
        model: Any = rel.related_model
        if rel.many_to_many or not issubclass(model, Record):
            continue  # the lead's own rows (phones, emails, consents) stay with it
        names = {f.name: f.related_model for f in model._meta.concrete_fields if f.is_relation}
        if names.get("contact") is not Contact:
            continue
        ids = []
        for row in model.all_objects.filter(**{rel.field.name: lead}).order_by("pk"):
            changes: dict[str, Any] = {}
            if row.contact_id is None:
                changes["contact"] = contact
            if account is not None and names.get("account") is Account and row.account_id is None:
                changes["account"] = account
            if not changes:
                continue
            # A rule of the conversion, not the actor's own edit (the lead's owner may not own its calls).
            record_update(
                row, actor=actor, changes=changes, version=None, system=True, actor_label=f"lead#{lead.pk}"
            )
            ids.append(row.pk)
        if ids:
            moved[model._meta.label] = {"count": len(ids), "ids": ids}
    return moved


@transaction.atomic
def lead_convert(
    lead: Lead,
    *,
    actor: Any,
    contact: Contact | None = None,
    account: Account | None = None,
    create_account: bool = True,
    create_opportunity: bool = False,
    opportunity_name: str = "",
    opportunity_amount: Decimal | int | None = None,
    expected_close_date: dt.date | None = None,
    pipeline: Pipeline | None = None,
) -> Conversion:
    """Convert the lead. `contact`/`account`: link to existing ones instead of creating them (an
    account is created from the lead's company when `create_account` and none is given).

    Refuses a lead already converted (a second conversion would duplicate the customer).
    """
    current = Lead.all_objects.select_for_update().get(pk=lead.pk)
    access.check(actor, Action.EDIT, current)
    if current.is_deleted:
        raise ValidationError(_("This lead is in the trash."))
    if current.is_converted:
        raise ValidationError(_("This lead has already been converted."))
    if account is not None:
        access.check(actor, Action.VIEW, account)
    elif contact is not None and contact.account_id:
        account = contact.account
    elif create_account and current.company:
        mine, by_rule = campaigns.carried(current, actor)
        account = account_create(
            actor=actor,
            owner=current.owner,
            data={
                "name": current.company,
                "province": current.province,
                "source": current.source,
                "lifecycle_stage": LifecycleStage.PROSPECT,
                "first_touch_at": current.first_touch_at or current.created_at,
                **mine,
            },
            actor_label=f"lead#{current.pk}",
        )
        account = campaigns.set_by_rule(account, by_rule, actor=actor, actor_label=f"lead#{current.pk}")
    new_contact = _contact_for(current, actor=actor, contact=contact, account=account)
    opportunity = None
    if create_opportunity:
        mine, by_rule = campaigns.carried(current, actor)
        opportunity = opportunity_create(
            actor=actor,
            owner=current.owner,
            data={
                "name": opportunity_name.strip() or (current.company or current.full_name),
                "contact": new_contact,
                "account": account,
                "amount": Decimal(opportunity_amount or 0),
                "expected_close_date": expected_close_date,
                "pipeline": pipeline,
                "products": current.interest,
                "source": current.source,
                "campaign": current.campaign,
                "lead": current,
                **mine,
            },
            actor_label=f"lead#{current.pk}",
        )
        opportunity = campaigns.set_by_rule(
            opportunity, by_rule, actor=actor, actor_label=f"lead#{current.pk}"
        )
    moved = _link_to_contact(current, actor=actor, contact=new_contact, account=account)
    converted = record_update(
        current,
        actor=actor,
        changes={
            "status": LeadStatus.CONVERTED,
            "converted_at": timezone.now(),
            "converted_contact": new_contact,
            "converted_account": account,
            "converted_opportunity": opportunity,
            "next_action": "",
            "next_action_at": None,
        },
        version=None,
        system=True,  # the edit right was checked above; conversion may also be done on a lead's behalf
        event_type="converted",
        extra_data={
            "contact": new_contact.pk,
            "account": account.pk if account else None,
            "opportunity": opportunity.pk if opportunity else None,
            # What was linked to the contact: {"activities.Activity": {"count": n, "ids": […]}}.
            "moved": moved,
            "source": current.source.code if current.source else None,
            "campaign": current.campaign,
            "first_touch_at": (current.first_touch_at or current.created_at).isoformat(),
        },
    )
    return Conversion(lead=converted, contact=new_contact, account=account, opportunity=opportunity)
