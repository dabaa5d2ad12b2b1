"""A campaign's audience: who is in it, and who it may reach.

Anyone in the actor's view of contacts may be added (one by one or in bulk, by ids, tag or customer
group); being a member does not make a person reachable. The campaign reaches — lists, exports for the
ad and messaging tools, later sends — only the members whose latest consent-ledger row for the
campaign's contact channel and the marketing purpose says granted (computed in SQL at each read, so a
withdrawal excludes at once).
"""

from __future__ import annotations

from typing import Any

from django.db import models, transaction
from django.utils import timezone

from sencrm.core import access
from sencrm.core.modules import Action
from sencrm.customers.ledger import MARKETING, consent_granted_q
from sencrm.customers.models import Contact
from sencrm.events.services import event_emit
from sencrm.marketing.models import Campaign, CampaignMember

BATCH = 1000


@transaction.atomic
def add_members(*, actor: Any, campaign: Campaign, contacts_qs: models.QuerySet[Contact]) -> dict[str, int]:
    """Add the contacts of `contacts_qs` that the actor may see to the campaign's audience (needs the
    right to edit the campaign). Contacts already in it are left; contacts without consent are added too
    (they stay excluded from what the campaign reaches until they consent).

    Returns {"added", "already", "skipped"} (skipped: outside the actor's view of contacts)."""
    access.check(actor, Action.EDIT, campaign)
    asked = set(contacts_qs.values_list("pk", flat=True))
    visible = set(access.scope(actor, Contact, Action.VIEW).filter(pk__in=asked).values_list("pk", flat=True))
    have = set(campaign.members.filter(contact_id__in=visible).values_list("contact_id", flat=True))
    new = sorted(visible - have)
    now = timezone.now()
    CampaignMember.objects.bulk_create(
        [CampaignMember(campaign=campaign, contact_id=pk, added_at=now, added_by=actor) for pk in new],
        batch_size=BATCH,
        ignore_conflicts=True,  # a colleague adding the same contact at the same moment
    )
    result = {"added": len(new), "already": len(have), "skipped": len(asked - visible)}
    if new:
        event_emit(
            type="campaign.members_added",
            subject=campaign,
            actor=actor,
            data={**result, "contacts": new[:200]},
        )
    return result


def members(campaign: Campaign) -> models.QuerySet[CampaignMember]:
    """The audience: members whose contact is not in the trash."""
    return campaign.members.filter(contact__deleted_at__isnull=True)


def reachable_q(campaign: Campaign) -> models.Q:
    """Members with a current consent for the campaign's channel and marketing (none without a channel:
    nobody consented to an unknown channel)."""
    if not campaign.contact_channel:
        return models.Q(pk__in=[])
    return consent_granted_q(campaign.contact_channel, MARKETING, ref="contact_id")


def reachable_members(campaign: Campaign) -> models.QuerySet[CampaignMember]:
    return members(campaign).filter(reachable_q(campaign))


def excluded_count(campaign: Campaign) -> int:
    """Members left out for lack of a current consent."""
    return members(campaign).exclude(reachable_q(campaign)).count()
