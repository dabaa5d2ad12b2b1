"""The technician's day (the phone screen's data): their own work orders on one day, in route order.

A fixed number of queries whatever the day holds: the work orders (with customer and site in one join, on
the (technician, scheduled_start) index), then one query for their assets with product. Only the
technician's own rows are read, so the cost does not grow with the number of assets in the database.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Prefetch
from django.utils import timezone

from sencrm.core import access
from sencrm.core.modules import Action
from sencrm.fieldservice.models import OPEN_WORK, WorkOrder, WorkOrderAsset, WorkStatus


def _day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    tz = timezone.get_current_timezone()
    start = dt.datetime.combine(day, dt.time.min, tzinfo=tz)
    return start, start + dt.timedelta(days=1)


def technician_day(user: Any, day: dt.date) -> list[WorkOrder]:
    """The user's own work orders (they are the technician) booked on `day`, in route order (the booked
    start), cancelled ones left out; each with customer, site, and its assets (`asset_links`, each with
    the asset, its product and the warranty recorded on the work order)."""
    start, end = _day_bounds(day)
    links = WorkOrderAsset.objects.select_related("asset", "asset__product").order_by("asset_id")
    qs = (
        access.scope(user, WorkOrder, Action.VIEW)
        .filter(technician_id=user.pk, scheduled_start__gte=start, scheduled_start__lt=end)
        .exclude(status=WorkStatus.CANCELLED)
        .select_related("contact", "account", "site_province")
        .prefetch_related(Prefetch("asset_links", queryset=links))
        .order_by("scheduled_start", "id")
    )
    return list(qs)


def day_summary(user: Any, day: dt.date | None = None) -> dict[str, Any]:
    """What the technician's home needs: today's count, open count and the next open job."""
    day = day or timezone.localdate()
    jobs = technician_day(user, day)
    open_jobs = [j for j in jobs if j.status in OPEN_WORK]
    return {
        "day": day,
        "count": len(jobs),
        "open_count": len(open_jobs),
        "next": open_jobs[0] if open_jobs else None,
    }
