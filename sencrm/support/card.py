"""The caller's card (the screen pop): who is calling, what they bought and owe, their open tickets and
what happened to them lately — everything read through the agent's access gate.

The caller is the call's customer (telephony.caller_of linked it when the phone rang, whoever may see them)
or, for a bare number, found the same way. A customer the agent may not see is not described: the card
says the number belongs to someone outside their access (and offers no quick-create, which would make a
duplicate). Orders and invoices show only to roles that may read them; the account's name only when the
agent may open it. A fixed number of queries, whatever the customer's history (no query per row).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Q, Sum
from django.urls import NoReverseMatch, reverse
from django.utils.http import urlencode

from sencrm.core import access
from sencrm.core.modules import Action, Module
from sencrm.core.phones import display
from sencrm.customers.models import Account, Contact
from sencrm.sales.models import Lead
from sencrm.support.models import OPEN_STATUSES, Call, Ticket

ROWS = 5  # orders, invoices, tickets and timeline entries on the card


@dataclass
class CallerCard:
    number: str  # E.164, "" when withheld
    call: Call | None = None
    contact: Any = None  # the caller as the agent may see them: a contact, else an account, else a lead
    account: Any = None
    lead: Any = None
    account_label: str = ""  # the contact's account, named only if the agent may open it
    account_visible: bool = False
    hidden: bool = False  # a customer has this number, outside the agent's access
    tickets: list[Ticket] = field(default_factory=list)
    orders: list[Any] | None = None  # None: the agent's role does not read orders
    invoices: list[Any] | None = None
    owed: Decimal | None = None
    events: list[Any] = field(default_factory=list)
    can_create_contact: bool = False
    ticket_url: str = ""
    sections: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # from SECTIONS

    @property
    def number_display(self) -> str:
        return display(self.number)

    @property
    def customer(self) -> Any:
        return self.contact or self.account

    @property
    def known(self) -> bool:
        return self.customer is not None or self.lead is not None


# What modules above support add to the card (after-sales: the caller's installed products and work
# orders): each provider gets (user, card, who: the customer's Q on contact/account) and returns
# (template, context) or None; each must read in a fixed number of queries, whatever the history.
Section = Callable[[Any, "CallerCard", Q], "tuple[str, dict[str, Any]] | None"]
SECTIONS: list[Section] = []


def _url(name: str, **params: Any) -> str:
    """A page of another part of the app (the ticket form), or "" while it does not exist."""
    try:
        base = reverse(name)
    except NoReverseMatch:
        return ""
    query = urlencode({k: v for k, v in params.items() if v})
    return f"{base}?{query}" if query else base


def _visible(user: Any, record: Any) -> bool:
    return record is not None and access.in_scope(user, Action.VIEW, record)


def _documents(user: Any, card: CallerCard, who: Q) -> None:
    """The customer's last orders, and their last invoices with what they owe, as the agent may read them."""
    from sencrm.billing.models import OPEN_STATUSES as OPEN_INVOICES
    from sencrm.billing.models import Invoice
    from sencrm.commerce.models import Order

    if access.can(user, Module.COMMERCE, Action.VIEW):
        orders = access.scope(user, Order, Action.VIEW).filter(who)
        card.orders = list(orders.order_by("-issue_date", "-id")[:ROWS])
    if access.can(user, Module.BILLING, Action.VIEW):
        invoices = access.scope(user, Invoice, Action.VIEW).filter(who)
        card.invoices = list(invoices.order_by("-issue_date", "-id")[:ROWS])
        owed = invoices.filter(status__in=OPEN_INVOICES, is_credit=False).aggregate(s=Sum("balance"))["s"]
        card.owed = owed or Decimal(0)


def label_customers(user: Any, rows: list[Call]) -> None:
    """Each call's customer as the reader may see them (one query per kind of customer for the page)."""
    visible = {
        model: access.visible_pks(user, model, [getattr(r, f"{name}_id") for r in rows])
        for name, model in (("contact", Contact), ("account", Account), ("lead", Lead))
    }
    for row in rows:
        row.customer_label, row.customer_url = "", ""  # type: ignore[attr-defined]
        for name, model in (("contact", Contact), ("account", Account), ("lead", Lead)):
            record = getattr(row, name)
            if record is not None:
                seen = record.pk in visible[model]
                row.customer_label = str(record) if seen else str(access.NOT_VISIBLE)  # type: ignore[attr-defined]
                row.customer_url = record.get_absolute_url() if seen else ""  # type: ignore[attr-defined]
                break


def caller_card(*, user: Any, call: Call | None = None, number: str = "") -> CallerCard:
    """The card of a call (its customer), or of a number (E.164) when there is no call."""
    from sencrm.events import selectors as event_selectors
    from sencrm.support.telephony import caller_of

    if call is not None:
        number = call.number
        found = {"contact": call.contact, "account": call.account, "lead": call.lead}
    else:
        found = caller_of(number)
    card = CallerCard(number=number, call=call)
    contact: Any = found.get("contact")
    account, lead = found.get("account"), found.get("lead")
    if _visible(user, contact):
        card.contact = contact
        access.label_related(user, [contact], "account")
        card.account_label = contact.account_label
        card.account_visible = _visible(user, contact.account)
    elif _visible(user, account):
        card.account = account
    elif _visible(user, lead):
        card.lead = lead
    card.hidden = not card.known and any(r is not None for r in (contact, account, lead))
    customer = card.customer
    if customer is not None:
        if card.contact is not None:
            who = Q(contact=card.contact)
            if card.account_visible:
                who |= Q(account_id=card.contact.account_id)
        else:
            who = Q(account=card.account)
        if access.can(user, Module.SUPPORT, Action.VIEW):
            tickets = access.scope(user, Ticket, Action.VIEW).filter(who, status__in=OPEN_STATUSES)
            card.tickets = list(tickets.select_related("owner").order_by("-created_at", "-id")[:ROWS])
        _documents(user, card, who)
        card.sections = [
            section for provider in SECTIONS if (section := provider(user, card, who)) is not None
        ]
        card.events, _more = event_selectors.customer_timeline(user=user, customer=customer, limit=ROWS)
    card.can_create_contact = (
        not card.known and not card.hidden and access.can(user, Module.CUSTOMERS, Action.CREATE)
    )
    if access.can(user, Module.SUPPORT, Action.CREATE):
        card.ticket_url = _url(
            "support:ticket_create",
            contact=card.contact.pk if card.contact is not None else None,
            account=card.account.pk if card.account is not None else None,
            call=call.pk if call is not None else None,
        )
    return card
