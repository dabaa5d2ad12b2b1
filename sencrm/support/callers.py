"""Customer care's part of caller ID (sencrm.core.callers): the open tickets of whoever has this number —
the contacts and accounts with it, and tickets left by a requester who gave it — within the user's scope."""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from sencrm.core import access, callers
from sencrm.core.modules import Action
from sencrm.customers.models import Phone
from sencrm.support.models import OPEN_STATUSES, Ticket


@callers.register("tickets", _("Open tickets"))
def open_tickets(user: Any, e164: str) -> list[callers.Caller]:
    phones = Phone.objects.filter(e164=e164)
    found = (
        access.scope(user, Ticket, Action.VIEW)
        .filter(
            Q(contact__in=phones.filter(contact__isnull=False).values("contact"))
            | Q(account__in=phones.filter(account__isnull=False).values("account"))
            | Q(requester_phone=e164),
            status__in=OPEN_STATUSES,
        )
        .select_related("owner")
        .order_by("-created_at", "-id")[:20]
    )
    return [
        callers.Caller(
            id=ticket.pk,
            name=str(ticket),
            url=ticket.get_absolute_url(),
            detail=ticket.get_priority_display(),
            status=ticket.status,
            status_label=ticket.get_status_display(),
            owner={"id": ticket.owner_id, "name": str(ticket.owner)},
        )
        for ticket in found
    ]
