"""After-sales on the home page and in "My day" (sencrm/core/homepage.py, myday.py).

- A technician (fieldservice at "own" scope, no create right): today's jobs in route order with the next one
  first, and the link to the phone screen.
- A dispatcher (care, a manager, an administrator — fieldservice create): today's work orders by status, the
  work orders waiting for a technician or a time, maintenance visits of the week, warranties ending within the
  notice period.
Everything is read through the access gate; each list is at most HOME_ROWS long, with its full count.
Imported by registry.py, which registers these providers.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db.models import Count, Q, QuerySet
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from sencrm.core import access, homepage, myday
from sencrm.core.modules import Action, Module
from sencrm.fieldservice.models import (
    OPEN_WORK,
    Asset,
    AssetStatus,
    MaintenancePlan,
    MaintenanceVisit,
    VisitStatus,
    WorkOrder,
    WorkStatus,
)

HOME_ROWS = 6


def _url(name: str, *args: Any) -> str:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


def _day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    tz = timezone.get_current_timezone()
    start = dt.datetime.combine(day, dt.time.min, tzinfo=tz)
    return start, start + dt.timedelta(days=1)


def _rows(qs: QuerySet[WorkOrder]) -> QuerySet[WorkOrder]:
    return qs.select_related("contact", "account", "site_province", "technician")


def my_jobs(user: Any, day: dt.date) -> QuerySet[WorkOrder]:
    """The user's own jobs on `day` (they are its technician), in route order (the booked start)."""
    start, end = _day_bounds(day)
    mine = access.scope(user, WorkOrder, Action.VIEW).filter(
        technician_id=user.pk, scheduled_start__gte=start, scheduled_start__lt=end
    )
    return _rows(mine.exclude(status=WorkStatus.CANCELLED)).order_by("scheduled_start", "id")


def technician_home(user: Any, now: dt.datetime | None = None) -> dict[str, Any]:
    now = now or timezone.now()
    today = timezone.localdate(now)
    jobs = list(my_jobs(user, today))
    open_jobs = [j for j in jobs if j.status in OPEN_WORK]
    return {
        "jobs": jobs[: HOME_ROWS * 2],
        "jobs_count": len(jobs),
        "open_count": len(open_jobs),
        "done_count": sum(1 for j in jobs if j.status == WorkStatus.DONE),
        "next": open_jobs[0] if open_jobs else None,
        "today": today,
        "field_url": _url("fieldservice:field_day"),
        "list_url": _url("fieldservice:workorder_list"),
    }


def dispatcher_home(user: Any, now: dt.datetime | None = None) -> dict[str, Any]:
    now = now or timezone.now()
    today = timezone.localdate(now)
    start, end = _day_bounds(today)
    visible = access.scope(user, WorkOrder, Action.VIEW)
    todays = visible.filter(scheduled_start__gte=start, scheduled_start__lt=end)
    by_status = dict(todays.values_list("status").annotate(n=Count("id")).values_list("status", "n"))
    waiting = visible.filter(status=WorkStatus.SCHEDULED).filter(
        Q(technician__isnull=True) | Q(scheduled_start__isnull=True)
    )
    week_end = today + dt.timedelta(days=7)
    plans = access.scope(user, MaintenancePlan, Action.VIEW)
    visits = (
        MaintenanceVisit.objects.filter(
            plan__in=plans.values("pk"),
            status=VisitStatus.PLANNED,
            planned_date__lte=week_end,
        )
        .select_related("plan", "plan__contact", "plan__account")
        .order_by("planned_date", "id")
    )
    notice = today + dt.timedelta(days=settings.FIELDSERVICE_WARRANTY_NOTICE_DAYS)
    expiring = (
        access.scope(user, Asset, Action.VIEW)
        .filter(
            warranty_until__gte=today,
            warranty_until__lte=notice,
            warranty_void_on__isnull=True,
            status=AssetStatus.INSTALLED,
        )
        .select_related("product", "contact", "account")
        .order_by("warranty_until", "id")
    )
    return {
        "today": today,
        "today_count": sum(by_status.values()),
        "today_by_status": [
            {"status": s, "label": s.label, "count": by_status.get(s.value, 0)}
            for s in WorkStatus
            if by_status.get(s.value)
        ],
        "waiting": list(_rows(waiting).order_by("created_at", "id")[:HOME_ROWS]),
        "waiting_count": waiting.count(),
        "visits": list(visits[:HOME_ROWS]),
        "visits_count": visits.count(),
        "expiring": list(expiring[:HOME_ROWS]),
        "expiring_count": expiring.count(),
        "notice_days": settings.FIELDSERVICE_WARRANTY_NOTICE_DAYS,
        "dispatch_url": _url("fieldservice:dispatch"),
        "list_url": _url("fieldservice:workorder_list"),
        "create_url": _url("fieldservice:workorder_create"),
        "asset_list_url": _url("fieldservice:asset_list"),
        "plan_list_url": _url("fieldservice:plan_list"),
    }


def is_dispatcher(user: Any) -> bool:
    return access.can(user, Module.FIELDSERVICE, Action.CREATE)


@homepage.register
def fieldservice_widget(user: Any) -> dict[str, Any]:
    """A technician's day, or a dispatcher's overview; nothing for a role without field service."""
    if not access.can(user, Module.FIELDSERVICE, Action.VIEW):
        return {}
    if is_dispatcher(user):
        return {"fieldservice_dispatch": dispatcher_home(user)}
    return {"fieldservice_tech": technician_home(user)}


@myday.register
def jobs_today_panel(user: Any) -> myday.Panel | None:
    """The technician's jobs of the day, in "My day"."""
    if not access.can(user, Module.FIELDSERVICE, Action.VIEW):
        return None
    jobs = list(my_jobs(user, timezone.localdate()))
    if not jobs:
        return None
    data = {"jobs": jobs, "field_url": _url("fieldservice:field_day")}
    return myday.Panel("fieldservice/partials/myday_jobs.html", data)
