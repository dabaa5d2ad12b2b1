"""Personal-data requests on the home page: the open ones, soonest deadline first, overdue ones marked
(marketing handles them; the administrator is also notified when one is overdue)."""

from __future__ import annotations

from typing import Any

from django.db.models import Case, When
from django.db.models.functions import Least
from django.utils import timezone

from sencrm.core import access, homepage
from sencrm.core.modules import Action, Module
from sencrm.privacy.models import OPEN_STATUSES, DataRequest, RequestStatus

ROWS = 6


@homepage.register
def privacy_widget(user: Any) -> dict[str, Any]:
    if not access.can(user, Module.PRIVACY, Action.EDIT):
        return {}
    now = timezone.now()
    # The next deadline: acknowledging until it is done, then completing.
    deadline = Case(
        When(status=RequestStatus.RECEIVED, then=Least("acknowledge_due_at", "due_at")),
        default="due_at",
    )
    rows = list(
        access.scope(user, DataRequest)
        .filter(status__in=OPEN_STATUSES)
        .annotate(deadline=deadline)
        .select_related("contact", "lead")
        .order_by("deadline", "id")[:ROWS]
    )
    for row in rows:
        row.overdue_now = row.deadline < now  # type: ignore[attr-defined]  # annotated above
    return {"privacy_requests": rows}
