"""The dispatch board's data: the technicians (rows), their work orders and absences over a day or a week,
and the open work orders still waiting for a technician or a time (the side list), as JSON-ready dicts.

Built in a fixed number of queries whatever the size (the board of 50 technicians × a week with 2,000
work orders is measured by bench/dispatch.py). Work orders go through the access gate: a card the
dispatcher may not open still shows on its technician's row, as "busy" without its details, so that
the calendar never looks free when it is not.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from sencrm.core import access
from sencrm.core.modules import Action, Scope
from sencrm.customers.choices import Region, provinces_of_region
from sencrm.customers.models import Province
from sencrm.fieldservice.models import Skill, Technician, WorkKind, WorkOrder, WorkStatus
from sencrm.support.models import Absence

VIEWS = ("day", "week")
DAY_START_HOUR = 7
DAY_END_HOUR = 19
SLOT_MINUTES = 30
DEFAULT_MINUTES = 60
UNASSIGNED_LIMIT = 200
# Only a job not yet under way moves on the board: one on the way or in progress is the technician's.
MOVABLE = (WorkStatus.SCHEDULED,)

WORK_ORDER_FIELDS = (
    "id", "number", "title", "kind", "status", "version", "technician_id", "scheduled_start", "scheduled_end",
    "site_street", "site_ward", "site_province__name", "contact_id", "account_id", "skill_id", "owner_id",
    "team_id",
)  # fmt: skip


@dataclass(frozen=True)
class BoardFilters:
    """What the board shows: from `start` for a day or a week (a week starts on Monday), the technicians
    serving `province` (a province code) or a region, with `skill` (a Skill id)."""

    start: dt.date
    view: str = "day"
    province: str = ""
    region: str = ""
    skill: int | None = None

    @property
    def first_day(self) -> dt.date:
        if self.view == "week":
            return self.start - dt.timedelta(days=self.start.weekday())
        return self.start

    @property
    def days(self) -> list[dt.date]:
        count = 7 if self.view == "week" else 1
        return [self.first_day + dt.timedelta(days=n) for n in range(count)]

    @property
    def span(self) -> tuple[dt.datetime, dt.datetime]:
        """[start, end) of the board in the current time zone: whole days."""
        days = self.days
        return _midnight(days[0]), _midnight(days[-1] + dt.timedelta(days=1))

    def step(self) -> int:
        return 7 if self.view == "week" else 1


def parse_filters(params: Any) -> BoardFilters:
    """BoardFilters from a query string (request.GET); ValueError with a message for the user when one
    is not valid (the view answers 400)."""
    raw_start = (params.get("start") or "").strip()
    try:
        start = dt.date.fromisoformat(raw_start) if raw_start else timezone.localdate()
    except ValueError:
        raise ValueError(_("The date is not valid: use YYYY-MM-DD.")) from None
    if not (dt.date(2000, 1, 1) <= start <= dt.date(2100, 12, 31)):
        raise ValueError(_("The date is not valid: use YYYY-MM-DD."))
    view = (params.get("view") or "day").strip()
    if view not in VIEWS:
        raise ValueError(_("The view must be day or week."))
    region = (params.get("region") or "").strip()
    if region and region not in Region.values:
        raise ValueError(_("Unknown region."))
    province = (params.get("province") or "").strip()[:40]
    if province and not Province.objects.filter(code=province).exists():
        raise ValueError(_("Unknown province."))
    raw_skill = (params.get("skill") or "").strip()
    skill: int | None = None
    if raw_skill:
        try:
            skill = int(raw_skill)
        except ValueError:
            raise ValueError(_("Unknown skill.")) from None
        if not (0 < skill < 2**31) or not Skill.objects.filter(pk=skill).exists():
            raise ValueError(_("Unknown skill."))
    return BoardFilters(start=start, view=view, province=province, region=region, skill=skill)


def _midnight(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def _province_codes(filters: BoardFilters) -> list[str] | None:
    """The province codes the filters name (None: every province)."""
    if filters.province:
        return [filters.province]
    if filters.region:
        return provinces_of_region(filters.region)
    return None


def technicians(filters: BoardFilters) -> list[Technician]:
    """The board's rows: active technicians (active users) serving the chosen provinces (a technician
    with no province serves every one), with the chosen skill. Three queries."""
    qs: QuerySet[Technician] = Technician.objects.filter(active=True, user__is_active=True).select_related(
        "user"
    )
    codes = _province_codes(filters)
    if codes is not None:
        serving = Technician.provinces.through.objects.filter(province__code__in=codes).values(
            "technician_id"
        )
        anywhere = Technician.provinces.through.objects.values("technician_id")
        qs = qs.filter(Q(pk__in=serving) | ~Q(pk__in=anywhere))
    if filters.skill is not None:
        qs = qs.filter(skills__id=filters.skill)
    qs = qs.prefetch_related(
        Prefetch("skills", queryset=Skill.objects.only("id", "name")),
        Prefetch("provinces", queryset=Province.objects.only("id", "name", "code")),
    )
    return list(qs.distinct().order_by("user__full_name", "user__username", "pk"))


def _customer_names(user: Any, rows: Iterable[dict[str, Any]]) -> dict[str, dict[int, str]]:
    """The names of the contacts and accounts on these cards that the user may read (one query each,
    through the gate; a customer left out is shown as not visible). Read apart from the work orders: a
    join to the contacts makes PostgreSQL scan them all."""
    from sencrm.customers.models import Account, Contact

    rows = list(rows)
    contact_ids = {r["contact_id"] for r in rows if r["contact_id"] and not r["account_id"]}
    account_ids = {r["account_id"] for r in rows if r["account_id"]}
    contacts = access.scope(user, Contact, Action.VIEW).filter(pk__in=contact_ids) if contact_ids else None
    accounts = access.scope(user, Account, Action.VIEW).filter(pk__in=account_ids) if account_ids else None
    return {
        "contact": dict(contacts.values_list("pk", "full_name")) if contacts is not None else {},
        "account": dict(accounts.values_list("pk", "name")) if accounts is not None else {},
    }


class _Cards:
    """Turns WORK_ORDER_FIELDS rows into cards; what is the same for every card is worked out once (the
    time zone, the labels, which customers the user may read)."""

    def __init__(self, customers: dict[str, dict[int, str]]) -> None:
        self.customers = customers
        self.tz = timezone.get_current_timezone()
        self.kinds = {k: str(label) for k, label in WorkKind.choices}
        self.statuses = {k: str(label) for k, label in WorkStatus.choices}
        self.hidden = str(access.NOT_VISIBLE)
        self.busy = _("Busy")
        self.detail = _detail_pattern()

    def customer(self, row: dict[str, Any]) -> str:
        for key in ("account", "contact"):
            pk = row[f"{key}_id"]
            if pk:
                return self.customers[key].get(pk, self.hidden)
        return ""

    def card(self, row: dict[str, Any], *, visible: bool) -> dict[str, Any]:
        """One card. A card outside the user's scope keeps only its place in time (a "busy" block)."""
        start: dt.datetime | None = row["scheduled_start"]
        end: dt.datetime | None = row["scheduled_end"]
        if start is not None:
            start = start.astimezone(self.tz)
            end = (
                end.astimezone(self.tz) if end is not None else start + dt.timedelta(minutes=DEFAULT_MINUTES)
            )
        timing: dict[str, Any] = {
            "id": row["id"],
            "technician": row["technician_id"],
            "start": start.isoformat() if start else None,
            "end": end.isoformat() if end else None,
            "day": start.date().isoformat() if start else None,
            "start_minute": start.hour * 60 + start.minute if start else None,
            "minutes": int((end - start).total_seconds() // 60) if start and end else DEFAULT_MINUTES,
            "visible": visible,
        }
        if not visible:
            return {**timing, "id": None, "title": self.busy, "movable": False}
        province = row["site_province__name"] or ""
        return {
            **timing,
            "number": row["number"],
            "title": row["title"],
            "kind": row["kind"],
            "kind_label": self.kinds.get(row["kind"], row["kind"]),
            "status": row["status"],
            "status_label": self.statuses.get(row["status"], row["status"]),
            "customer": self.customer(row),
            "province": province,
            "address": ", ".join(p for p in (row["site_street"], row["site_ward"], province) if p),
            "version": row["version"],
            "skill": row["skill_id"],
            "movable": row["status"] in MOVABLE,
            "url": self.detail.replace(_PK_MARK, str(row["id"])),
        }


_PK_MARK = "987654321"


@functools.cache
def _detail_pattern() -> str:
    """The work order page's URL with a mark for the id (reversed once, not once per card)."""
    try:
        return reverse("fieldservice:workorder_detail", args=[int(_PK_MARK)])
    except NoReverseMatch:  # the work order pages not installed (a partial checkout): no link
        return ""


def _rows_in_scope(user: Any, rows: list[dict[str, Any]]) -> set[int]:
    """Of these work orders, those the user may view: one query (none for a user who sees them all)."""
    ids = [r["id"] for r in rows]
    if not ids:
        return set()
    level = access.scope_level(user, WorkOrder.access_module, Action.VIEW)
    if level is None:
        return set()
    if level == Scope.ALL:
        return set(ids)
    return set(
        access.scope(user, WorkOrder.objects.filter(pk__in=ids), Action.VIEW).values_list("pk", flat=True)
    )


def items(user: Any, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Cards from `WORK_ORDER_FIELDS` rows, as `user` may see them."""
    in_scope = _rows_in_scope(user, rows)
    shown = [r for r in rows if r["id"] in in_scope]
    cards = _Cards(_customer_names(user, shown))
    return [cards.card(r, visible=r["id"] in in_scope) for r in rows]


def item_for(user: Any, work_order: WorkOrder) -> dict[str, Any]:
    """One work order's card (the answer to a move)."""
    rows = list(WorkOrder.objects.filter(pk=work_order.pk).values(*WORK_ORDER_FIELDS))
    return items(user, rows)[0]


def _unassigned(user: Any, filters: BoardFilters) -> tuple[list[dict[str, Any]], int]:
    """Open work orders with no technician or no time, in the user's scope: the oldest first, at most
    UNASSIGNED_LIMIT of them, and how many there are."""
    qs = access.scope(user, WorkOrder, Action.VIEW).filter(
        Q(technician__isnull=True) | Q(scheduled_start__isnull=True), status=WorkStatus.SCHEDULED
    )
    codes = _province_codes(filters)
    if codes is not None:
        qs = qs.filter(Q(site_province__code__in=codes) | Q(site_province__isnull=True))
    if filters.skill is not None:
        qs = qs.filter(Q(skill_id=filters.skill) | Q(skill__isnull=True))
    rows = list(qs.order_by("created_at", "id").values(*WORK_ORDER_FIELDS)[: UNASSIGNED_LIMIT + 1])
    if len(rows) <= UNASSIGNED_LIMIT:
        return rows, len(rows)
    return rows[:UNASSIGNED_LIMIT], qs.count()


def board_data(user: Any, filters: BoardFilters) -> dict[str, Any]:
    """Everything the board draws, in a fixed number of queries (about ten, whatever the size)."""
    begin, end = filters.span
    rows = technicians(filters)
    user_ids = [t.user_id for t in rows]
    scheduled = list(
        WorkOrder.objects.filter(
            technician_id__in=user_ids,
            scheduled_start__lt=end,
            scheduled_start__gte=begin - dt.timedelta(days=1),
        )
        .exclude(status=WorkStatus.CANCELLED)
        .order_by("scheduled_start", "id")
        .values(*WORK_ORDER_FIELDS)
    )
    # A job that began the day before and runs into the board (a night job) shows too.
    scheduled = [
        r for r in scheduled if (r["scheduled_end"] or r["scheduled_start"] + dt.timedelta(hours=1)) > begin
    ]
    waiting, waiting_count = _unassigned(user, filters)
    cards = items(user, scheduled + waiting)
    absences = Absence.objects.filter(user_id__in=user_ids, starts_at__lt=end, ends_at__gt=begin).order_by(
        "starts_at"
    )
    days = filters.days
    step = dt.timedelta(days=filters.step())
    return {
        "view": filters.view,
        "start": days[0].isoformat(),
        "end": days[-1].isoformat(),
        "days": [{"date": d.isoformat(), "label": _day_label(d)} for d in days],
        "today": timezone.localdate().isoformat(),
        "prev": (days[0] - step).isoformat(),
        "next": (days[0] + step).isoformat(),
        "hours": [DAY_START_HOUR, DAY_END_HOUR],
        "slot_minutes": SLOT_MINUTES,
        "filters": {
            "province": filters.province,
            "region": filters.region,
            "skill": filters.skill,
        },
        "technicians": [
            {
                "id": t.user_id,
                "name": str(t.user),
                "color": t.color,
                "phone": t.phone,
                "skills": [s.name for s in t.skills.all()],
                "provinces": [p.name for p in t.provinces.all()],
            }
            for t in rows
        ],
        "items": cards[: len(scheduled)],
        "absences": [
            {
                "technician": a.user_id,
                "start": timezone.localtime(a.starts_at).isoformat(),
                "end": timezone.localtime(a.ends_at).isoformat(),
                "note": a.note,
            }
            for a in absences
        ],
        "unassigned": cards[len(scheduled) :],
        "unassigned_count": waiting_count,
    }


def _day_label(day: dt.date) -> str:
    names = [_("Mon"), _("Tue"), _("Wed"), _("Thu"), _("Fri"), _("Sat"), _("Sun")]
    return f"{names[day.weekday()]} {day:%d/%m}"


def filter_choices() -> dict[str, list[tuple[str, str]]]:
    """The filters' options: regions, provinces (by code) and active skills."""
    return {
        "regions": [(str(v), str(label)) for v, label in Region.choices],
        "provinces": list(Province.objects.order_by("position", "name").values_list("code", "name")),
        "skills": [
            (str(pk), name) for pk, name in Skill.objects.filter(active=True).values_list("pk", "name")
        ],
    }
