"""The sales part of "My day": the user's lead follow-ups due by tonight (sencrm/core/myday.py)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from sencrm.core import access, myday
from sencrm.core.modules import Action, Module
from sencrm.sales.models import Lead
from sencrm.sales.selectors import follow_ups


def lead_follow_ups(*, user: Any, now: dt.datetime | None = None) -> dict[str, Any] | None:
    """The user's own lead follow-ups due by the end of today, overdue ones apart (None without the
    right to see leads)."""
    now = now or timezone.now()
    if not access.can(user, Module.LEADS, Action.VIEW):
        return None
    overdue: list[Lead] = []
    today: list[Lead] = []
    for lead in follow_ups(user):  # all have a next_action_at (the selector filters on it)
        (overdue if lead.next_action_at is not None and lead.next_action_at < now else today).append(lead)
    return {"overdue": overdue, "today": today, "now": now}


@myday.register
def lead_follow_ups_panel(user: Any) -> myday.Panel | None:
    data = lead_follow_ups(user=user)
    return myday.Panel("sales/partials/lead_follow_ups.html", data) if data is not None else None
