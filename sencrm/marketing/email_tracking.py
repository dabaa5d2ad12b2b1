"""What a recipient does with a campaign email: opens it (a pixel), clicks a link, unsubscribes.

Every link in a message is a signed token (django.core.signing, the secret key) naming the recipient row
and, for a click, the target written in the template: a token we did not make is refused, so the redirect
cannot be used to send anyone elsewhere (no open redirect). Each state is recorded once per recipient, with
the campaign's counter moved in the same transaction; a click counts as an open too (images are often
blocked) and makes the campaign the person's latest campaign, so attribution credits what they buy next.

Unsubscribing is the privacy app's page (`/u/<token>/`, a withdrawal in the consent ledger); the token
carries the recipient too, and `recipient_unsubscribed` (registered there) records it on the campaign.
"""

from __future__ import annotations

import functools
from typing import Any

from django.core import signing
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from sencrm.customers import unsubscribe as unsubscribe_links
from sencrm.customers.models import Contact
from sencrm.events.services import event_emit
from sencrm.marketing.models import EmailCampaign, EmailRecipient, RecipientStatus

OPEN_SALT = "sencrm.marketing.email.open"
CLICK_SALT = "sencrm.marketing.email.click"
MAX_URL = 2000
# A state moves forward only: a later open does not undo a click, nothing undoes an unsubscribe.
RANK = {
    RecipientStatus.QUEUED: 0,
    RecipientStatus.SKIPPED: 0,
    RecipientStatus.SENT: 1,
    RecipientStatus.BOUNCED: 1,
    RecipientStatus.OPENED: 2,
    RecipientStatus.CLICKED: 3,
    RecipientStatus.UNSUBSCRIBED: 4,
}


class BadLink(Exception):
    """A token we did not sign, or a target that is not a web address."""


@functools.cache
def _prefix(name: str) -> str:
    """The URL of `name` up to its token (resolved once: a campaign builds three links per message)."""
    return reverse(name, args=["T0KEN"]).removesuffix("T0KEN/")


def open_path(recipient_id: int) -> str:
    return f"{_prefix('marketing:email_open')}{signing.dumps(recipient_id, salt=OPEN_SALT)}/"


def click_path(recipient_id: int, url: str) -> str:
    token = signing.dumps({"r": recipient_id, "u": url[:MAX_URL]}, salt=CLICK_SALT, compress=True)
    return f"{_prefix('marketing:email_click')}{token}/"


def unsubscribe_path(contact_id: int, recipient_id: int | None) -> str:
    extra = {"r": recipient_id} if recipient_id else {}
    return f"{_prefix('privacy:unsubscribe')}{unsubscribe_links.token_for(contact_id, **extra)}/"


def read_open(token: str) -> int:
    try:
        value = signing.loads(token[:500], salt=OPEN_SALT)
    except signing.BadSignature:
        raise BadLink from None
    if not isinstance(value, int):
        raise BadLink
    return value


def read_click(token: str) -> tuple[int, str]:
    try:
        value = signing.loads(token[: MAX_URL * 2], salt=CLICK_SALT)
    except signing.BadSignature:
        raise BadLink from None
    if not isinstance(value, dict) or not isinstance(value.get("r"), int):
        raise BadLink
    url = str(value.get("u", ""))
    if not url.lower().startswith(("http://", "https://")):
        raise BadLink
    return value["r"], url


def _advance(recipient_id: int, status: str, stamp: str) -> EmailRecipient | None:
    """Set `stamp` (opened_at, clicked_at…) if it is not set yet, and raise the status if `status` ranks
    higher; the recipient when this call was the first to set it, else None."""
    now = timezone.now()
    changed = EmailRecipient.objects.filter(pk=recipient_id, **{f"{stamp}__isnull": True}).exclude(
        status__in=[RecipientStatus.QUEUED, RecipientStatus.SKIPPED]
    )
    if not changed.update(**{stamp: now}):
        return None
    row = EmailRecipient.objects.select_related("email_campaign").get(pk=recipient_id)
    if RANK[RecipientStatus(status)] > RANK[RecipientStatus(row.status)]:
        EmailRecipient.objects.filter(pk=row.pk).update(status=status)
        row.status = status
    counter = {"opened_at": "opened", "clicked_at": "clicked", "unsubscribed_at": "unsubscribed"}[stamp]
    EmailCampaign.all_objects.filter(pk=row.email_campaign_id).update(**{counter: F(counter) + 1})
    return row


@transaction.atomic
def record_open(recipient_id: int) -> bool:
    row = _advance(recipient_id, RecipientStatus.OPENED, "opened_at")
    if row is not None:
        _event(row, "email.opened")
    return row is not None


@transaction.atomic
def record_click(recipient_id: int, url: str) -> None:
    """The first click of a recipient: counted (and as an open), on the timeline, and the campaign
    becomes the contact's latest campaign."""
    record_open(recipient_id)
    row = _advance(recipient_id, RecipientStatus.CLICKED, "clicked_at")
    if row is None:
        return
    _event(row, "email.clicked", {"url": url[:300]})
    from sencrm.sales.campaigns import latest_campaign_touch

    contact = Contact.objects.filter(pk=row.contact_id).first()
    campaign = row.email_campaign.campaign
    if contact is not None and not campaign.is_deleted:
        latest_campaign_touch([contact], campaign, actor_label=f"email#{row.email_campaign_id}")


def recipient_unsubscribed(data: dict[str, Any], recorded: bool) -> None:
    """Called by the privacy app's unsubscribe (in its transaction) with the token's data."""
    recipient_id = data.get("r")
    if not isinstance(recipient_id, int):
        return
    row = _advance(recipient_id, RecipientStatus.UNSUBSCRIBED, "unsubscribed_at")
    if row is not None and row.contact_id == data.get("c"):
        _event(row, "email.unsubscribed")


def _event(row: EmailRecipient, kind: str, extra: dict[str, Any] | None = None) -> None:
    """On the contact's timeline; the subject is the recipient's row (the campaign's own history keeps
    its edits, not one line per person)."""
    event_emit(
        type=kind,
        subject=row,
        actor_label=f"email#{row.email_campaign_id}",
        customer=Contact(pk=row.contact_id),
        data=event_data(row, extra),
    )


def event_data(row: EmailRecipient, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "email_campaign": row.email_campaign_id,
        "name": row.email_campaign.name,
        "contact": row.contact_id,
        "email": row.email,
        **(extra or {}),
    }
