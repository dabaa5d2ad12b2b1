"""The unsubscribe link of marketing emails: a signed token naming the contact, no login.

Following it (and confirming) appends a withdrawal of email marketing consent to the contact's ledger
(source "unsubscribe", evidence: the link's purpose and issue date). The token is signed with the secret
key (django.core.signing) and does not expire: a person may unsubscribe from an old email too.

It lives beside the consent ledger (customers), below both apps that use it: the privacy app serves the
page, marketing puts the link in its emails (neither may import the other's modules both ways).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core import signing
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from sencrm.customers import ledger
from sencrm.customers.models import ConsentSource, Contact

SALT = "sencrm.privacy.unsubscribe.email-marketing"
CHANNEL = "email"


class BadToken(Exception):
    """A token that was not made by us (tampered, truncated, for another purpose)."""


# Called in the unsubscribe's transaction with the token's data and whether a withdrawal was recorded:
# how a higher app learns of it (marketing counts it on the email campaign the link came in).
AFTER_UNSUBSCRIBE: list[Callable[[dict[str, Any], bool], None]] = []


def token_for(contact_id: int, **extra: Any) -> str:
    """A token naming the contact; `extra` (e.g. the campaign copy it came in) is signed with it."""
    data = {"c": contact_id, "d": timezone.localdate().isoformat(), **extra}
    return signing.dumps(data, salt=SALT, compress=True)


def unsubscribe_token(contact: Contact) -> str:
    return token_for(contact.pk)


def unsubscribe_url(contact: Contact, request: Any = None) -> str:
    """The link to put in a marketing email to this contact (absolute when given the request)."""
    url = reverse("privacy:unsubscribe", args=[unsubscribe_token(contact)])
    return request.build_absolute_uri(url) if request is not None else url


def token_read(token: str) -> dict[str, Any]:
    try:
        data = signing.loads(token[:1000], salt=SALT)
    except signing.BadSignature as exc:
        raise BadToken from exc
    if not isinstance(data, dict) or not isinstance(data.get("c"), int):
        raise BadToken
    return data


@transaction.atomic
def unsubscribe(token: str) -> bool:
    """Withdraw the email marketing consent the token names (BadToken if it is not ours). Following the
    same link again records nothing more. Returns whether a withdrawal was recorded."""
    data = token_read(token)
    contact = Contact.objects.filter(pk=data["c"]).first()
    if contact is None:  # deleted since: nothing to withdraw, and nothing to tell a stranger either
        return False
    latest = ledger.latest_rows(contact).get((CHANNEL, ledger.MARKETING))
    if latest is not None and not latest.granted:
        for hook in AFTER_UNSUBSCRIBE:
            hook(data, False)
        return False
    issued = str(data.get("d", ""))[:10]
    ledger.consent_append(
        person=contact,
        channel=CHANNEL,
        purpose=ledger.MARKETING,
        granted=False,
        source=ConsentSource.UNSUBSCRIBE,
        evidence=f"unsubscribe link ({SALT}), issued {issued}",
    )
    for hook in AFTER_UNSUBSCRIBE:
        hook(data, True)
    return True
