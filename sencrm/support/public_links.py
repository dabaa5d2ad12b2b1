"""The customer's signed link to a ticket (`/t/<token>/`): no account, no login.

The token names the ticket (its id and number) and is signed with the secret key under its own salt
(django.core.signing), with the time it was made: it is valid for SUPPORT_LINK_DAYS days from then.
Every email about the ticket carries a fresh one, so a customer who hears from us keeps a working link.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import signing
from django.urls import reverse

from sencrm.support.models import Ticket

SALT = "sencrm.support.ticket-link"
MAX_TOKEN = 500  # longer than any token we make: the rest is not even read


class BadLink(Exception):
    """A token we did not make (changed, cut short, for another purpose)."""


class ExpiredLink(BadLink):
    """A token we made, older than SUPPORT_LINK_DAYS."""


def max_age_seconds() -> int:
    return int(getattr(settings, "SUPPORT_LINK_DAYS", 90)) * 24 * 3600


def token_for(ticket: Ticket) -> str:
    return signing.dumps({"t": ticket.pk, "n": ticket.number}, salt=SALT, compress=True)


def path_for(ticket: Ticket) -> str:
    return reverse("support:public_ticket", args=[token_for(ticket)])


def link_for(ticket: Ticket) -> str:
    """The absolute link for an email (PUBLIC_URL + the page's path)."""
    return f"{str(settings.PUBLIC_URL).rstrip('/')}{path_for(ticket)}"


def read(token: str) -> dict[str, Any]:
    """The token's data; ExpiredLink when too old, BadLink when not ours."""
    try:
        data = signing.loads(token[:MAX_TOKEN], salt=SALT, max_age=max_age_seconds())
    except signing.SignatureExpired as exc:
        raise ExpiredLink from exc
    except signing.BadSignature as exc:
        raise BadLink from exc
    if not isinstance(data, dict) or not isinstance(data.get("t"), int) or not isinstance(data.get("n"), str):
        raise BadLink
    return data


def ticket_for(token: str) -> Ticket | None:
    """The ticket a valid token names (None: deleted since). A merged duplicate leads to the ticket
    it was merged into, where the conversation goes on."""
    data = read(token)
    ticket = Ticket.objects.filter(pk=data["t"], number=data["n"]).first()
    seen: set[int] = set()
    while ticket is not None and ticket.merged_into_id is not None and ticket.pk not in seen:
        seen.add(ticket.pk)
        ticket = Ticket.objects.filter(pk=ticket.merged_into_id).first()
    return ticket
