"""Lead conversion: in one step a lead becomes a contact (and an account, and optionally an
opportunity); its history, source, campaign and first touch carry over and it stays, converted."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from sencrm.core import access
from sencrm.core.modules import Action
from sencrm.customers.choices import LifecycleStage
from sencrm.customers.models import Account, Contact
from sencrm.customers.services import account_create, contact_create, contact_update
from sencrm.events.models import Event
from sencrm.events.services import record_update
from sencrm.sales.choices import LeadStatus
from sencrm.sales.models import Lead, Opportunity, Pipeline
from sencrm.sales.services.opportunities import opportunity_create


@dataclass
class Conversion:
    lead: Lead
    contact: Contact
    account: Account | None
    opportunity: Opportunity | None


def _contact_for(lead: Lead, *, actor: Any, contact: Contact | None, account: Account | None) -> Contact:
    phones = [p.number for p in lead.phones.all()]
    emails = [e.address for e in lead.emails.all()]
    if contact is None:
        return contact_create(
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
            },
            phones=phones,
            emails=emails,
            consents=lead.consents or None,
            actor_label=f"lead#{lead.pk}",
        )
    # Linking to a contact that exists: it gains what it lacks, and keeps what it has.
    access.check(actor, Action.EDIT, contact)
    changes: dict[str, Any] = {}
    if contact.source_id is None and lead.source_id:
        changes["source"] = lead.source
    first_touch = lead.first_touch_at or lead.created_at
    if contact.first_touch_at is None or first_touch < contact.first_touch_at:
        changes["first_touch_at"] = first_touch
    if contact.account_id is None and account is not None:
        changes["account"] = account
    if contact.lifecycle_stage in (LifecycleStage.TARGET, LifecycleStage.LEAD):
        changes["lifecycle_stage"] = LifecycleStage.PROSPECT
    known_phones = [p.number for p in contact.phones.all()]
    known_emails = [e.address for e in contact.emails.all()]
    return contact_update(
        contact,
        actor=actor,
        changes=changes,
        version=None,
        phones=[*known_phones, *phones],
        emails=[*known_emails, *emails],
        consents={
            k: v
            for k, v in (lead.consents or {}).items()
            if k not in {c.channel for c in contact.consents.all()}
        }
        or None,
        actor_label=f"lead#{lead.pk}",
    )


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
        account = account_create(
            actor=actor,
            owner=current.owner,
            data={
                "name": current.company,
                "province": current.province,
                "source": current.source,
                "lifecycle_stage": LifecycleStage.PROSPECT,
            },
            actor_label=f"lead#{current.pk}",
        )
    new_contact = _contact_for(current, actor=actor, contact=contact, account=account)
    opportunity = None
    if create_opportunity:
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
            },
            actor_label=f"lead#{current.pk}",
        )
        Opportunity.all_objects.filter(pk=opportunity.pk).update(lead=current)
        opportunity.lead = current
    # The lead's journey so far becomes the contact's: its events and activities move over.
    lead_ct = ContentType.objects.get_for_model(Lead)
    contact_ct = ContentType.objects.get_for_model(Contact)
    moved_events = Event.objects.filter(customer_type=lead_ct, customer_id=current.pk).update(
        customer_type=contact_ct, customer_id=new_contact.pk
    )
    from sencrm.activities.models import Activity

    moved_activities = Activity.all_objects.filter(lead=current).update(contact=new_contact, account=account)
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
            "moved_events": moved_events,
            "moved_activities": moved_activities,
            "source": current.source.code if current.source else None,
            "campaign": current.campaign,
            "first_touch_at": (current.first_touch_at or current.created_at).isoformat(),
        },
    )
    return Conversion(lead=converted, contact=new_contact, account=account, opportunity=opportunity)
