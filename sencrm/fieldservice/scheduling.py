"""Booking technicians: travel time between sites, conflicts (double booking, too little travel time, an
absence, a technician who takes no jobs), the technicians who can take a work order, a technician's day.

Travel time needed between the end of one job and the start of the next (both directions):
0 minutes at the same site address, settings.FIELDSERVICE_TRAVEL_MINUTES within a province (or when a
site's province is unknown), settings.FIELDSERVICE_TRAVEL_MINUTES_OTHER_PROVINCE between provinces.
Only open work orders count (done, failed and cancelled ones free the time).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from sencrm.core.text import fold
from sencrm.fieldservice.models import OPEN_WORK, Technician, WorkOrder


def _address_key(site: Any) -> str:
    parts = (getattr(site, "site_street", "") or "", getattr(site, "site_ward", "") or "")
    return fold(" ".join(p.strip() for p in parts if p.strip()))


def travel_minutes(a: Any, b: Any) -> int:
    """Minutes needed to go from site `a` to site `b` (work orders, assets: anything with site_* fields)."""
    if a is None or b is None:
        return 0
    key_a, key_b = _address_key(a), _address_key(b)
    prov_a, prov_b = getattr(a, "site_province_id", None), getattr(b, "site_province_id", None)
    if key_a and key_a == key_b and prov_a == prov_b:
        return 0
    if prov_a and prov_b and prov_a != prov_b:
        return int(settings.FIELDSERVICE_TRAVEL_MINUTES_OTHER_PROVINCE)
    return int(settings.FIELDSERVICE_TRAVEL_MINUTES)


def local(value: dt.datetime) -> str:
    """A time as the messages show it: dd/mm HH:MM, local time."""
    return timezone.localtime(value).strftime("%d/%m %H:%M")


def _absences(user_id: int, start: dt.datetime, end: dt.datetime) -> list[Any]:
    from sencrm.support.models import Absence

    return list(
        Absence.objects.filter(user_id=user_id, starts_at__lt=end, ends_at__gt=start).order_by("starts_at")
    )


def conflicts(
    technician: Any,
    start: dt.datetime,
    end: dt.datetime,
    *,
    site: Any = None,
    exclude_id: int | None = None,
) -> list[str]:
    """Why `technician` (a user, or a Technician profile) cannot do a job at `site` from `start` to `end`:
    translated messages naming the conflicting work order and times; empty when the slot is free."""
    user = technician.user if isinstance(technician, Technician) else technician
    messages: list[str] = []
    profile = Technician.objects.filter(user_id=user.pk).first()
    if profile is None:
        return [_("%(name)s is not a technician.") % {"name": user}]
    if not profile.active or not user.is_active:
        messages.append(_("%(name)s does not take jobs at the moment.") % {"name": user})
    longest = max(
        int(settings.FIELDSERVICE_TRAVEL_MINUTES), int(settings.FIELDSERVICE_TRAVEL_MINUTES_OTHER_PROVINCE)
    )
    margin = dt.timedelta(minutes=longest)
    others = (
        WorkOrder.objects.filter(
            technician_id=user.pk,
            status__in=OPEN_WORK,
            scheduled_start__isnull=False,
            scheduled_end__isnull=False,
            scheduled_start__lt=end + margin,
            scheduled_end__gt=start - margin,
        )
        .exclude(pk=exclude_id)
        .order_by("scheduled_start", "id")
    )
    for other in others:
        if other.scheduled_start is None or other.scheduled_end is None:
            continue
        times = {
            "number": other.number,
            "start": local(other.scheduled_start),
            "end": local(other.scheduled_end),
            "name": user,
        }
        if other.scheduled_start < end and other.scheduled_end > start:
            messages.append(
                _("%(name)s already has work order %(number)s from %(start)s to %(end)s.") % times
            )
            continue
        if other.scheduled_end <= start:
            needed = travel_minutes(other, site)
            gap = start - other.scheduled_end
        else:
            needed = travel_minutes(site, other)
            gap = other.scheduled_start - end
        if gap < dt.timedelta(minutes=needed):
            messages.append(
                _(
                    "Not enough travel time: %(name)s has work order %(number)s from %(start)s to %(end)s "
                    "and needs %(minutes)s minutes to get between the two sites."
                )
                % {**times, "minutes": needed}
            )
    for absence in _absences(user.pk, start, end):
        messages.append(
            _("%(name)s is away from %(start)s to %(end)s.")
            % {"name": user, "start": local(absence.starts_at), "end": local(absence.ends_at)}
        )
    return messages


def candidates(wo: WorkOrder) -> list[Technician]:
    """Active technicians with the work order's skill (if any) who serve its province (or every province),
    the least loaded on the work order's day first."""
    qs = Technician.objects.filter(active=True, user__is_active=True).select_related("user")
    if wo.skill_id:
        qs = qs.filter(skills=wo.skill_id)
    if wo.site_province_id:
        qs = qs.filter(Q(provinces=wo.site_province_id) | Q(provinces__isnull=True))
    day = timezone.localtime(wo.scheduled_start).date() if wo.scheduled_start else timezone.localdate()
    begin = timezone.make_aware(dt.datetime.combine(day, dt.time.min))
    finish = begin + dt.timedelta(days=1)
    ids = list(qs.values_list("pk", flat=True).distinct())
    loads = dict(
        WorkOrder.objects.filter(
            technician__technician__in=ids,
            status__in=OPEN_WORK,
            scheduled_start__gte=begin,
            scheduled_start__lt=finish,
        )
        .values_list("technician_id")
        .annotate(n=Count("id"))
        .values_list("technician_id", "n")
    )
    found = list(Technician.objects.filter(pk__in=ids).select_related("user"))
    found.sort(key=lambda t: (loads.get(t.user_id, 0), str(t.user).lower(), t.pk))
    return found


def day_route(technician_user: Any, day: dt.date) -> list[WorkOrder]:
    """The technician's work orders of the day (any status) in the order they are booked."""
    begin = timezone.make_aware(dt.datetime.combine(day, dt.time.min))
    finish = begin + dt.timedelta(days=1)
    return list(
        WorkOrder.objects.filter(
            technician_id=technician_user.pk, scheduled_start__gte=begin, scheduled_start__lt=finish
        )
        .select_related("contact", "account", "site_province", "skill")
        .order_by("scheduled_start", "id")
    )
