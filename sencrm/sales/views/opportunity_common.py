"""Helpers shared by the opportunity pages: scoped look-up and the card's display fields."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone

from sencrm.core import access
from sencrm.core.modules import Action
from sencrm.core.record_views import get_record
from sencrm.customers.models import Account, Contact
from sencrm.sales.models import Opportunity


def get_opportunity(request: HttpRequest, pk: int, action: str = Action.VIEW) -> Opportunity:
    """The opportunity if the user may see it (else 404) and do `action` on it (else 403)."""
    related = Opportunity.objects.select_related(
        "stage", "pipeline", "owner", "team", "contact", "account", "lead"
    )
    opp: Opportunity = get_record(request, related, pk, action)
    return opp


def decorate_cards(user: Any, cards: list[Opportunity]) -> list[Opportunity]:
    """Add what a card shows beyond its fields: days in its stage, whether this user may move it,
    and the contact/account names only when the user may see those customers.

    At most two queries (visible customers) however many cards: call it once for the whole board.
    """
    now = timezone.now()
    # URLs by substitution: reversing two URLs per card was a measurable part of the board (make bench).
    detail_url = reverse("sales:opportunity_detail", args=[0])
    move_url = reverse("sales:opportunity_move", args=[0])
    contacts = access.visible_ids(user, Contact, {c.contact_id for c in cards if c.contact_id})
    accounts = access.visible_ids(user, Account, {c.account_id for c in cards if c.account_id})
    for opportunity in cards:
        card: Any = opportunity  # the display attributes below are added to the model instance
        entered = card.stage_entered_at
        card.days_in_stage = max((now - entered).days, 0) if entered else 0
        card.can_move = access.in_scope(user, Action.EDIT, card)
        card.contact_name = card.contact.full_name if card.contact_id in contacts else ""
        card.account_name = card.account.name if card.account_id in accounts else ""
        card.url = detail_url.replace("/0/", f"/{card.pk}/")
        card.move_url = move_url.replace("/0/", f"/{card.pk}/")
    return cards


def stage_options(stages: list[Any]) -> str:
    """The "Move to…" menu's options, rendered once for all the cards of a board (escaped names)."""
    from django.utils.html import format_html, format_html_join
    from django.utils.translation import gettext as _

    placeholder = format_html('<option value="" selected>{}</option>', _("Move to…"))
    options = format_html_join(
        "",
        '<option value="{}"{}>{}</option>',
        ((s.pk, ' data-lost="1"' if s.is_lost else "", s.name) for s in stages),
    )
    return placeholder + options
