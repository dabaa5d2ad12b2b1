"""Reads of activities: "My day" (overdue and today's work), always within the user's scope."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import models
from django.utils import timezone

from sencrm.activities.choices import Kind, Status
from sencrm.activities.models import Activity
from sencrm.core import access
from sencrm.core.modules import Action


def my_day(*, user: Any, now: dt.datetime | None = None) -> dict[str, list[Activity]]:
    """The user's own planned work: overdue, due today (tasks and calls to make), today's meetings."""
    now = now or timezone.now()
    local = timezone.localtime(now)
    end_of_day = local.replace(hour=23, minute=59, second=59, microsecond=0)
    mine = (
        access.scope(user, Activity, Action.VIEW)
        .filter(owner=user, status=Status.PLANNED)
        .select_related("contact", "account", "lead")
    )
    overdue = mine.filter(due_at__lt=now).exclude(kind=Kind.MEETING).order_by("due_at", "id")
    today = mine.filter(due_at__gte=now, due_at__lte=end_of_day).order_by("due_at", "id")
    return {
        "overdue": list(overdue[:100]),
        "tasks": [a for a in today[:200] if a.kind in (Kind.TASK, Kind.NOTE)],
        "calls": [a for a in today[:200] if a.kind == Kind.CALL],
        "meetings": [a for a in today[:200] if a.kind == Kind.MEETING],
    }


def upcoming(*, user: Any, limit: int = 20) -> models.QuerySet[Activity]:
    return (
        access.scope(user, Activity, Action.VIEW)
        .filter(owner=user, status=Status.PLANNED, due_at__gt=timezone.now())
        .select_related("contact", "account", "lead")
        .order_by("due_at", "id")[:limit]
    )
