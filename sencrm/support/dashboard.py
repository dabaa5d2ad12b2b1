"""Customer care on the home page, in "My day" and on a customer's page (sencrm/core/homepage.py,
myday.py, panels.py): the agent's queue with the SLA's time left, the tickets of their queues at
risk, today's care calls, the live call card; their tickets due by tonight; a customer's open
tickets. Imported by registry.py, which registers these providers."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import F
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from sencrm.core import access, homepage, myday, panels
from sencrm.core.modules import Action, Module
from sencrm.support import selectors
from sencrm.support.models import AgentExtension


def _url(name: str) -> str:
    try:
        return reverse(name)
    except NoReverseMatch:
        return ""


def care_home(user: Any, now: dt.datetime | None = None) -> dict[str, Any]:
    """The care home page's data: each list at most HOME_ROWS long, with its full count."""
    now = now or timezone.now()
    rows = selectors.HOME_ROWS
    queue_ids = selectors.my_queue_ids(user)
    mine = selectors.my_open_tickets(user)
    risk = selectors.at_risk(user, now, queue_ids)
    risk_rows = selectors.ticket_rows(risk).order_by(
        "-breached", F(selectors.NEXT_DUE).asc(nulls_last=True), "id"
    )
    calls = selectors.care_calls_today(user, timezone.localdate(now))
    extension = AgentExtension.objects.filter(user_id=user.pk).values_list("extension", flat=True).first()
    return {
        "mine": selectors.decorate(selectors.by_next_due(mine, rows), user, now),
        "mine_count": mine.count(),
        "risk": selectors.decorate(risk_rows[:rows], user, now),
        "risk_count": risk.count(),
        "in_queues": bool(queue_ids),
        "calls": list(calls[:rows]),
        "calls_count": calls.count(),
        "today": timezone.localdate(now),
        "carecall_url": _url("support:carecall_list"),
        "extension": extension or "",
        "can_create": access.can(user, Module.SUPPORT, Action.CREATE),
    }


@homepage.register
def care_widget(user: Any) -> dict[str, Any]:
    """Shown when the role has the support module (the care agents, their managers, administrators)."""
    if not access.can(user, Module.SUPPORT, Action.VIEW):
        return {}
    return {"support": care_home(user)}


@myday.register
def tickets_due_panel(user: Any) -> myday.Panel | None:
    """The user's open tickets due by tonight (late ones first), in "My day"."""
    if not access.can(user, Module.SUPPORT, Action.VIEW):
        return None
    now = timezone.now()
    tickets = selectors.decorate(selectors.due_by_tonight(user, now), user, now)
    return myday.Panel("support/home_myday.html", {"tickets": tickets})


def _customer_panel(user: Any, param: str, customer: Any) -> myday.Panel | None:
    if not access.can(user, Module.SUPPORT, Action.VIEW):
        return None
    qs = selectors.customer_open_tickets(user, **{param: customer})
    can_create = access.can(user, Module.SUPPORT, Action.CREATE)
    tickets = selectors.by_next_due(qs, selectors.PANEL_ROWS)
    if not tickets and not can_create:
        return None
    return myday.Panel(
        "support/partials/ticket_customer_panel.html",
        {
            "tickets": selectors.decorate(tickets, user),
            "count": qs.count() if len(tickets) >= selectors.PANEL_ROWS else len(tickets),
            "all_url": f"{reverse('support:ticket_list')}?{param}={customer.pk}",
            "new_url": f"{reverse('support:ticket_create')}?{param}={customer.pk}" if can_create else "",
            **_customer_ratings(user, param, customer),
        },
    )


def _customer_ratings(user: Any, param: str, customer: Any) -> dict[str, Any]:
    """The customer's ratings as the user may read them: the CSAT summary and the last NPS answer."""
    from sencrm.support.models import Review, ReviewKind
    from sencrm.support.reviews import csat_summary

    theirs = access.scope(user, Review).filter(**{param: customer})
    last_nps = (
        theirs.filter(kind=ReviewKind.NPS, answered_at__isnull=False, score__isnull=False)
        .order_by("-answered_at")
        .values_list("score", flat=True)
        .first()
    )
    return {"csat": csat_summary(theirs), "last_nps": last_nps}


@panels.register("customers.contact")
def contact_tickets(contact: Any, user: Any) -> myday.Panel | None:
    return _customer_panel(user, "contact", contact)


@panels.register("customers.account")
def account_tickets(account: Any, user: Any) -> myday.Panel | None:
    return _customer_panel(user, "account", account)
