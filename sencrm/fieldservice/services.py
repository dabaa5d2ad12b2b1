"""Writes of work orders (phiếu công việc): create, change, schedule, move through the statuses, the
checklist, parts, photos, the customer's signature, notes; and the work orders other records make (a
ticket, a delivery, a maintenance visit).

Decisions (documented here, the one place):
- Assignment and booking (work_order_schedule, a technician or times given on create) are for those who
  dispatch: a role with the fieldservice *create* right (care, manager, admin), with the edit right on
  the record. A plain technician (view/edit own) moves their own work orders through the statuses,
  ticks the checklist, adds parts, photos, notes and the signature, but never reassigns or reschedules.
- A warranty repair is refused when one of its assets is out of warranty on the work order's day (the
  scheduled day, else today): the message names the asset and the warranty's end. Paid work on such an
  asset is a plain "repair" (chargeable), whatever `chargeable` says: a warranty repair is free by
  definition.
- `chargeable` defaults to False for a warranty repair, or when there are assets and every one is in
  warranty on the day; else True. A part's `chargeable` defaults likewise from its asset (or the work
  order's only asset) and the kind.
- Done: the assets under repair are back to installed, the maintenance visit is done, and after
  commit a CSAT rating request goes to the customer (the technician is the one rated); the invoice
  (invoicing.invoice_for_work_order) is made in the same transaction when there is something to charge.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from sencrm.catalog.models import Product
from sencrm.core import access
from sencrm.core.exceptions import StaleRecord
from sencrm.core.modules import Action, Module
from sencrm.core.numbering import next_number
from sencrm.core.text import clean_text, fold
from sencrm.customers.models import Account, Contact, Province
from sencrm.events.services import event_emit, record_create, record_update
from sencrm.fieldservice import scheduling, warranty
from sencrm.fieldservice.models import (
    FINAL_WORK,
    WORK_TRANSITIONS,
    Asset,
    AssetStatus,
    ChecklistItem,
    MaintenanceVisit,
    Skill,
    Technician,
    VisitStatus,
    WorkKind,
    WorkOrder,
    WorkOrderAsset,
    WorkOrderCheck,
    WorkOrderPart,
    WorkOrderPhoto,
    WorkStatus,
)

log = logging.getLogger(__name__)

SYSTEM_LABEL = "system:fieldservice"
MAX_TEXT = 10_000
MAX_ASSETS = 200
DEFAULT_MINUTES = 60
SITE_FIELDS = ("site_street", "site_ward", "site_province", "site_contact_name", "site_contact_phone")
# What a door may set on create / update (status, technician and times have their own services).
CREATE_FIELDS = (
    "kind", "title", "description", "contact", "account", *SITE_FIELDS, "skill", "ticket", "order",
    "delivery", "contract", "plan", "technician", "scheduled_start", "scheduled_end", "chargeable",
    "labour_price", "owner",
)  # fmt: skip
UPDATE_FIELDS = (
    "title", "description", "contact", "account", *SITE_FIELDS, "skill", "ticket", "order", "contract",
    "chargeable", "labour_price", "result_notes",
)  # fmt: skip
_TEXT_LIMITS = {
    "title": 200,
    "site_street": 200,
    "site_ward": 100,
    "site_contact_name": 150,
    "site_contact_phone": 40,
}
# The event of each status reached.
STATUS_EVENTS: dict[str, str] = {
    WorkStatus.SCHEDULED: "scheduled",
    WorkStatus.ON_THE_WAY: "on_the_way",
    WorkStatus.IN_PROGRESS: "started",
    WorkStatus.DONE: "done",
    WorkStatus.FAILED: "failed",
    WorkStatus.CANCELLED: "cancelled",
}
REPAIRS = (WorkKind.REPAIR, WorkKind.WARRANTY_REPAIR)


# --- helpers -----------------------------------------------------------------------------------------


def _links() -> dict[str, type[models.Model]]:
    from sencrm.commerce.models import Contract, Delivery, Order
    from sencrm.fieldservice.models import MaintenancePlan
    from sencrm.support.models import Ticket

    return {
        "contact": Contact,
        "account": Account,
        "site_province": Province,
        "skill": Skill,
        "ticket": Ticket,
        "order": Order,
        "delivery": Delivery,
        "contract": Contract,
        "plan": MaintenancePlan,
        "technician": get_user_model(),
        "owner": get_user_model(),
    }


def _resolve(model: type[models.Model], value: Any, field: str) -> Any:
    """An instance from an instance or a primary key; a missing one answers like one out of scope."""
    if value is None or value == "":
        return None
    if isinstance(value, model):
        return value
    if isinstance(value, bool | models.Model):
        raise ValidationError({field: str(access.NOT_FOUND)})
    try:
        pk = int(str(value))
    except (TypeError, ValueError):
        raise ValidationError({field: str(access.NOT_FOUND)}) from None
    manager: Any = getattr(model, "all_objects", model._default_manager)
    found = manager.filter(pk=pk).first()
    if found is None:
        raise ValidationError({field: str(access.NOT_FOUND)})
    return found


def _datetime(value: Any, field: str) -> dt.datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        parsed = value
    else:
        from django.utils.dateparse import parse_datetime

        try:
            parsed_or_none = parse_datetime(str(value)[:40])
        except ValueError:
            parsed_or_none = None
        if parsed_or_none is None:
            raise ValidationError({field: _("Enter a valid date and time.")})
        parsed = parsed_or_none
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    return parsed


def _money(value: Any, field: str) -> Decimal:
    if value is None or value == "":
        return Decimal(0)
    if isinstance(value, bool):
        raise ValidationError({field: _("Enter a whole number of đồng from 0 to 10^15.")})
    try:
        amount = Decimal(
            str(value).strip().replace(".", "").replace(",", "") if isinstance(value, str) else value
        )
    except (InvalidOperation, TypeError, ValueError):
        raise ValidationError({field: _("Enter a whole number of đồng from 0 to 10^15.")}) from None
    if (
        not amount.is_finite()
        or amount < 0
        or amount > Decimal(10) ** 15
        or amount != amount.to_integral_value()
    ):
        raise ValidationError({field: _("Enter a whole number of đồng from 0 to 10^15.")})
    return amount


def _bool(value: Any, field: str) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "on", "yes"):
        return True
    if text in ("0", "false", "off", "no", ""):
        return False
    raise ValidationError({field: _("Enter yes or no.")})


def _clean(data: Mapping[str, Any], allowed: tuple[str, ...]) -> dict[str, Any]:
    unknown = set(data) - set(allowed)
    if unknown:
        raise ValidationError({name: _("This field cannot be set here.") for name in sorted(unknown)})
    links = _links()
    cleaned: dict[str, Any] = {}
    errors: dict[str, Any] = {}
    for name, value in data.items():
        try:
            if name in links:
                cleaned[name] = _resolve(links[name], value, name)
            elif name in ("scheduled_start", "scheduled_end"):
                cleaned[name] = _datetime(value, name)
            elif name == "labour_price":
                cleaned[name] = _money(value, name)
            elif name == "chargeable":
                cleaned[name] = None if value is None else _bool(value, name)
            elif name == "kind":
                if value not in WorkKind.values:
                    raise ValidationError({name: _("Choose a work type.")})
                cleaned[name] = str(value)
            else:
                text = str(value or "")
                text = "\n".join(clean_text(line) for line in text.splitlines()).strip()
                limit = _TEXT_LIMITS.get(name, MAX_TEXT)
                if len(text) > limit:
                    raise ValidationError({name: _("At most %(n)s characters.") % {"n": f"{limit:,}"}})
                cleaned[name] = text
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    return cleaned


def _day(wo_or_values: Any) -> dt.date:
    start = (
        wo_or_values.get("scheduled_start")
        if isinstance(wo_or_values, Mapping)
        else getattr(wo_or_values, "scheduled_start", None)
    )
    return timezone.localtime(start).date() if start else timezone.localdate()


def _fill_site(values: dict[str, Any], first: Asset | None) -> None:
    """Site from the first asset, else the customer's address, when none is given."""
    if any(values.get(name) for name in ("site_street", "site_ward", "site_province")):
        return
    if first is not None and (first.site_street or first.site_ward or first.site_province_id):
        for name in SITE_FIELDS:
            values[name] = getattr(first, name)
        return
    customer = values.get("contact") or values.get("account")
    if customer is not None:
        values["site_street"] = customer.street
        values["site_ward"] = customer.ward
        values["site_province"] = customer.province
        if not values.get("site_contact_phone"):
            values["site_contact_phone"] = customer.primary_phone or ""
        if not values.get("site_contact_name") and isinstance(customer, Contact):
            values["site_contact_name"] = str(customer)[:150]


def search_key(wo: WorkOrder) -> str:
    customer = wo.account or wo.contact
    parts = [wo.number, wo.title, str(customer or ""), wo.site_address]
    return fold(" ".join(p for p in parts if p))[:500]


def _set_search_key(wo: WorkOrder) -> None:
    key = search_key(wo)
    if key != wo.search_key:
        WorkOrder.all_objects.filter(pk=wo.pk).update(search_key=key)
        wo.search_key = key


def may_dispatch(user: Any) -> bool:
    """Assignment and booking are for roles with the fieldservice create right (not plain technicians)."""
    return access.can(user, Module.FIELDSERVICE, Action.CREATE)


def _check_dispatch(actor: Any, wo: WorkOrder | None = None) -> None:
    if wo is not None:
        access.check(actor, Action.EDIT, wo)
    if not may_dispatch(actor):
        raise PermissionDenied(_("Only those who dispatch work orders may assign or reschedule them."))


def _locked(wo: WorkOrder) -> WorkOrder:
    found: WorkOrder = WorkOrder.all_objects.select_for_update().get(pk=wo.pk)
    return found


def _status_label(status: str) -> str:
    return str(WorkStatus(status).label)


def _refuse_final(wo: WorkOrder) -> None:
    if wo.status in FINAL_WORK:
        raise ValidationError(
            _("Work order %(number)s is %(status)s: it cannot be changed any more.")
            % {"number": wo.number, "status": _status_label(wo.status).lower()}
        )


def _check_version(wo: WorkOrder, version: int | None) -> None:
    if version is not None and wo.version != version:
        raise StaleRecord(wo.version)


def _visible_assets(actor: Any, assets: Iterable[Any], system: bool) -> list[Asset]:
    found: list[Asset] = []
    seen: set[int] = set()
    for value in assets:
        asset = _resolve(Asset, value, "assets")
        if asset.pk in seen:
            continue
        if asset.is_deleted or (not system and not access.in_scope(actor, Action.VIEW, asset)):
            raise ValidationError({"assets": str(access.NOT_FOUND)})
        seen.add(asset.pk)
        found.append(asset)
    if len(found) > MAX_ASSETS:
        raise ValidationError({"assets": _("At most %(n)s assets on a work order.") % {"n": MAX_ASSETS}})
    return found


def _warranty_refusal(checks: list[tuple[Asset, warranty.Check]]) -> None:
    out = [(asset, check) for asset, check in checks if not check.in_warranty]
    if not out:
        return
    messages = []
    for asset, check in out:
        if check.until is not None:
            messages.append(
                _("%(asset)s is out of warranty (the warranty ended on %(until)s): make it a paid repair.")
                % {"asset": asset, "until": check.until.strftime("%d/%m/%Y")}
            )
        else:
            messages.append(_("%(asset)s has no warranty: make it a paid repair.") % {"asset": asset})
    raise ValidationError({"kind": messages})


def _tech_profile(user: Any, *, lock: bool) -> Technician:
    qs = Technician.objects.select_related("user")
    if lock:
        qs = qs.select_for_update()
    profile = qs.filter(user_id=user.pk).first()
    if profile is None:
        raise ValidationError({"technician": _("%(name)s is not a technician.") % {"name": user}})
    return profile


def _booking_errors(
    technician: Any, start: dt.datetime | None, end: dt.datetime | None, site: Any, exclude_id: int | None
) -> None:
    """Lock the technician's profile (two dispatchers cannot book the same slot at once) and refuse a
    conflict. The lock is held until the calling transaction ends."""
    if technician is None:
        return
    profile = _tech_profile(technician, lock=True)
    if not profile.active or not technician.is_active:
        raise ValidationError(
            {"technician": _("%(name)s does not take jobs at the moment.") % {"name": technician}}
        )
    if start is None or end is None:
        return
    problems = scheduling.conflicts(technician, start, end, site=site, exclude_id=exclude_id)
    if problems:
        raise ValidationError({"scheduled_start": problems})


def _period(
    start: dt.datetime | None, end: dt.datetime | None, minutes: int = DEFAULT_MINUTES
) -> tuple[dt.datetime | None, dt.datetime | None]:
    if start is None:
        if end is not None:
            raise ValidationError({"scheduled_start": _("Enter when the work starts.")})
        return None, None
    if end is None:
        end = start + dt.timedelta(minutes=minutes)
    if end <= start:
        raise ValidationError({"scheduled_end": _("The end must be after the start.")})
    if end - start > dt.timedelta(days=7):
        raise ValidationError({"scheduled_end": _("A work order is booked for at most 7 days.")})
    return start, end


def _part_chargeable(wo: WorkOrder, asset: Asset | None) -> bool:
    if wo.kind == WorkKind.WARRANTY_REPAIR:
        return False
    links = list(WorkOrderAsset.objects.filter(work_order=wo))
    link = None
    if asset is not None:
        link = next((item for item in links if item.asset_id == asset.pk), None)
        if link is None:
            return not warranty.check(asset, _day(wo)).in_warranty
    elif len(links) == 1:
        link = links[0]
    if link is not None:
        return not link.in_warranty
    return True


# --- create, update ----------------------------------------------------------------------------------


@transaction.atomic
def work_order_create(
    *,
    actor: Any,
    data: Mapping[str, Any],
    assets: Iterable[Any] = (),
    system: bool = False,
    actor_label: str = "",
) -> WorkOrder:
    """A new work order (see the module's docstring for the rules on assignment, warranty and charging).

    The customer is the first asset's when not given; the site the first asset's, else the customer's
    address; the kind's active checklist is copied; each asset's warranty on the day is recorded."""
    if not system:
        access.check_module(actor, Module.FIELDSERVICE, Action.CREATE)
    values = _clean(data, CREATE_FIELDS)
    chosen = _visible_assets(actor, assets, system)
    first = chosen[0] if chosen else None
    if first is not None and values.get("contact") is None and values.get("account") is None:
        values["contact"], values["account"] = first.contact, first.account
    if values.get("contact") is not None and values.get("account") is None and values["contact"].account_id:
        values["account"] = values["contact"].account
    if values.get("contact") is None and values.get("account") is None:
        raise ValidationError({"contact": _("Choose the customer: a contact or an account.")})
    values.setdefault("kind", WorkKind.REPAIR)
    if not values.get("title"):
        raise ValidationError({"title": _("Give the work order a title.")})
    _fill_site(values, first)
    start, end = _period(values.pop("scheduled_start", None), values.pop("scheduled_end", None))
    values["scheduled_start"], values["scheduled_end"] = start, end
    day = _day(values)
    checks = [(asset, warranty.check(asset, day)) for asset in chosen]
    if values["kind"] == WorkKind.WARRANTY_REPAIR:
        _warranty_refusal(checks)
    if values.get("chargeable") is None:
        free = values["kind"] == WorkKind.WARRANTY_REPAIR or (
            bool(checks) and all(check.in_warranty for _asset, check in checks)
        )
        values["chargeable"] = not free
    elif values["kind"] == WorkKind.WARRANTY_REPAIR:
        values["chargeable"] = False
    technician = values.get("technician")
    if technician is not None and not system and not may_dispatch(actor):
        raise PermissionDenied(_("Only those who dispatch work orders may assign or reschedule them."))
    owner = values.pop("owner", None) or (None if system else actor)
    if owner is None:
        customer = values.get("contact") or values.get("account")
        owner = values.get("technician") or getattr(customer, "owner", None)
    site = WorkOrder(**{name: values.get(name) for name in SITE_FIELDS})
    _booking_errors(technician, start, end, site, None)
    values["number"] = next_number("work_order", day)

    def related(wo: WorkOrder) -> dict[str, list[Any]]:
        WorkOrderAsset.objects.bulk_create(
            [
                WorkOrderAsset(
                    work_order=wo, asset=asset, in_warranty=check.in_warranty, warranty_rule=check.rule
                )
                for asset, check in checks
            ]
        )
        steps = ChecklistItem.objects.filter(kind=wo.kind, active=True).order_by("position", "id")
        WorkOrderCheck.objects.bulk_create(
            [WorkOrderCheck(work_order=wo, text=step.text, position=n) for n, step in enumerate(steps)]
        )
        return {"assets": [[], [asset.pk for asset in chosen]]}

    wo = record_create(
        WorkOrder,
        actor=actor,
        data=values,
        owner=owner,
        system=system,
        actor_label=actor_label or (SYSTEM_LABEL if system and not getattr(actor, "pk", None) else ""),
        related=related,
    )
    _set_search_key(wo)
    if technician is not None:
        event_emit(
            type="work_order.assigned",
            subject=wo,
            actor=actor,
            actor_label=actor_label,
            data={"technician": technician.pk, "technician_name": str(technician)},
        )
    return wo


@transaction.atomic
def work_order_update(
    wo: WorkOrder, *, actor: Any, changes: Mapping[str, Any], version: int | None
) -> WorkOrder:
    """Change the work order's details (not its status, technician or times: those have their services).
    A stale `version` touching the same fields raises StaleRecord (as record_update)."""
    current = _locked(wo)
    access.check(actor, Action.EDIT, current)
    _refuse_final(current)
    values = _clean(changes, UPDATE_FIELDS)
    if "chargeable" in values and values["chargeable"] is None:
        values.pop("chargeable")
    if current.kind == WorkKind.WARRANTY_REPAIR and values.get("chargeable"):
        raise ValidationError({"chargeable": _("A warranty repair is free: make it a paid repair instead.")})
    if "title" in values and not values["title"]:
        raise ValidationError({"title": _("Give the work order a title.")})
    if {"contact", "account"} & values.keys():
        contact = values.get("contact", current.contact)
        account = values.get("account", current.account)
        if contact is None and account is None:
            raise ValidationError({"contact": _("Choose the customer: a contact or an account.")})
    updated = record_update(current, actor=actor, changes=values, version=version)
    _set_search_key(updated)
    return updated


# --- scheduling --------------------------------------------------------------------------------------


@transaction.atomic
def work_order_schedule(
    wo: WorkOrder,
    *,
    actor: Any,
    technician: Any,
    start: dt.datetime | None,
    end: dt.datetime | None,
    version: int | None = None,
) -> WorkOrder:
    """Assign and book: `technician` (a user or None) from `start` to `end` (end defaults to the same length
    as before, else an hour). technician=None and start=None puts it back among the unassigned.

    Refused (ValidationError) for a final work order, one already started, double booking, too little
    travel time, an absence, an inactive technician; PermissionDenied for a plain technician; a stale
    version raises StaleRecord. The technician's profile row is locked while checking and writing."""
    current = _locked(wo)
    _check_dispatch(actor, current)
    _refuse_final(current)
    _check_version(current, version)
    if current.status != WorkStatus.SCHEDULED:
        raise ValidationError(
            _("Work order %(number)s is %(status)s: it can no longer be moved.")
            % {"number": current.number, "status": _status_label(current.status).lower()}
        )
    if technician is not None and not isinstance(technician, get_user_model()):
        technician = _resolve(get_user_model(), technician, "technician")
    start = _datetime(start, "scheduled_start")
    end = _datetime(end, "scheduled_end")
    minutes = DEFAULT_MINUTES
    if current.scheduled_start and current.scheduled_end:
        minutes = int((current.scheduled_end - current.scheduled_start).total_seconds() // 60)
    start, end = _period(start, end, minutes)
    _booking_errors(technician, start, end, current, current.pk)
    changes = {"technician": technician, "scheduled_start": start, "scheduled_end": end}
    assigned = (technician.pk if technician is not None else None) != current.technician_id
    updated = record_update(
        current,
        actor=actor,
        changes=changes,
        version=None,
        event_type="scheduled",
        extra_data={
            "technician": technician.pk if technician is not None else None,
            "start": start.isoformat() if start else None,
            "end": end.isoformat() if end else None,
        },
    )
    if assigned and technician is not None:
        event_emit(
            type="work_order.assigned",
            subject=updated,
            actor=actor,
            data={"technician": technician.pk, "technician_name": str(technician)},
        )
    return updated


# --- statuses ----------------------------------------------------------------------------------------


def _asset_status(wo: WorkOrder, actor: Any, old: str, new: str) -> None:
    """Move the work order's assets from `old` to `new` status (a rule: not gated by the actor's rights)."""
    for asset in Asset.objects.filter(work_order_links__work_order=wo, status=old):
        record_update(
            asset,
            actor=actor,
            changes={"status": new},
            version=None,
            system=True,
            actor_label="" if getattr(actor, "pk", None) else SYSTEM_LABEL,
            event_type="status_changed",
            extra_data={"work_order": wo.number},
        )


def _review_after_commit(wo: WorkOrder, actor: Any) -> None:
    wo_id, user = wo.pk, actor if getattr(actor, "pk", None) else None

    def ask() -> None:
        from sencrm.support import reviews

        fresh = WorkOrder.objects.filter(pk=wo_id, status=WorkStatus.DONE).first()
        if fresh is None:
            return
        try:
            reviews.request_for_work_order(fresh, actor=user)
        except Exception:  # the work is committed: a failed request is logged, not a 500
            log.exception("rating request for work order %s failed", wo_id)

    transaction.on_commit(ask)


def _move(
    wo: WorkOrder,
    *,
    actor: Any,
    status: str,
    reason: str = "",
    at: dt.datetime | None = None,
    version: int | None = None,
    extra: Mapping[str, Any] | None = None,
) -> WorkOrder:
    current = _locked(wo)
    access.check(actor, Action.EDIT, current)
    _check_version(current, version)
    if status not in WorkStatus.values:
        raise ValidationError({"status": _("Unknown status.")})
    if status not in WORK_TRANSITIONS[current.status]:
        raise ValidationError(
            {
                "status": _("A work order that is %(from)s cannot become %(to)s.")
                % {"from": _status_label(current.status).lower(), "to": _status_label(status).lower()}
            }
        )
    moment = at or timezone.now()
    reason = clean_text(str(reason or ""))
    if len(reason) > 300:
        raise ValidationError({"reason": _("At most %(n)s characters.") % {"n": 300}})
    changes: dict[str, Any] = {"status": status, **(extra or {})}
    if status in (WorkStatus.ON_THE_WAY, WorkStatus.IN_PROGRESS) and current.technician_id is None:
        raise ValidationError({"status": _("Assign a technician first.")})
    if status == WorkStatus.ON_THE_WAY:
        changes["on_the_way_at"] = moment
    elif status == WorkStatus.IN_PROGRESS:
        changes["started_at"] = moment
    elif status == WorkStatus.SCHEDULED:
        changes["on_the_way_at"] = None
    elif status == WorkStatus.DONE:
        changes["finished_at"] = moment
        if changes.get("minutes_spent") is None:
            changes.pop("minutes_spent", None)
            if current.minutes_spent is None and current.started_at is not None:
                changes["minutes_spent"] = max(0, int((moment - current.started_at).total_seconds() // 60))
    elif status == WorkStatus.FAILED:
        if not reason:
            raise ValidationError({"reason": _("Say why the work could not be completed.")})
        changes["failure_reason"] = reason
        changes["finished_at"] = moment
    elif status == WorkStatus.CANCELLED:
        if not reason:
            raise ValidationError({"reason": _("Say why the work order is cancelled.")})
        changes["cancel_reason"] = reason
    updated = record_update(
        current,
        actor=actor,
        changes=changes,
        version=None,
        event_type=STATUS_EVENTS[status],
        extra_data={"from": current.status, "to": status, **({"reason": reason} if reason else {})},
    )
    if status == WorkStatus.IN_PROGRESS and updated.kind in REPAIRS:
        _asset_status(updated, actor, AssetStatus.INSTALLED, AssetStatus.UNDER_REPAIR)
    if status in FINAL_WORK:
        _asset_status(updated, actor, AssetStatus.UNDER_REPAIR, AssetStatus.INSTALLED)
    if status == WorkStatus.DONE:
        MaintenanceVisit.objects.filter(work_order=updated).exclude(status=VisitStatus.SKIPPED).update(
            status=VisitStatus.DONE
        )
        from sencrm.fieldservice import invoicing

        invoicing.invoice_for_work_order(updated, actor=actor)
        updated.refresh_from_db()
        _review_after_commit(updated, actor)
    return updated


@transaction.atomic
def work_order_transition(
    wo: WorkOrder,
    *,
    actor: Any,
    status: str,
    reason: str = "",
    at: dt.datetime | None = None,
    version: int | None = None,
) -> WorkOrder:
    """Move along models.WORK_TRANSITIONS (a refused move: ValidationError naming both statuses); failed
    and cancelled need a reason; times are stamped; done: see work_order_finish."""
    return _move(wo, actor=actor, status=status, reason=reason, at=at, version=version)


@transaction.atomic
def work_order_finish(
    wo: WorkOrder,
    *,
    actor: Any,
    result_notes: str = "",
    minutes_spent: int | None = None,
    at: dt.datetime | None = None,
    version: int | None = None,
) -> WorkOrder:
    """Done, with the result and the time spent (default: from started to finished): assets back to
    installed, the visit done, the invoice when something is chargeable, a rating request after commit."""
    extra: dict[str, Any] = {}
    notes = "\n".join(clean_text(line) for line in str(result_notes or "").splitlines()).strip()
    if len(notes) > MAX_TEXT:
        raise ValidationError({"result_notes": _("At most %(n)s characters.") % {"n": f"{MAX_TEXT:,}"}})
    if notes:
        extra["result_notes"] = notes
    if minutes_spent is not None:
        if (
            isinstance(minutes_spent, bool)
            or not isinstance(minutes_spent, int)
            or not (0 <= minutes_spent <= 7 * 24 * 60)
        ):
            raise ValidationError({"minutes_spent": _("Enter the minutes spent, from 0 to 10,080.")})
        extra["minutes_spent"] = minutes_spent
    return _move(wo, actor=actor, status=WorkStatus.DONE, at=at, version=version, extra=extra)


# --- on site -----------------------------------------------------------------------------------------


def _editable(wo: WorkOrder, actor: Any) -> WorkOrder:
    current = _locked(wo)
    access.check(actor, Action.EDIT, current)
    _refuse_final(current)
    return current


@transaction.atomic
def work_order_set_check(
    wo: WorkOrder, *, actor: Any, check_id: int, done: bool, note: str = ""
) -> WorkOrderCheck:
    """Tick (or untick) a checklist step, with a note; event work_order.checked."""
    current = _editable(wo, actor)
    step = WorkOrderCheck.objects.select_for_update().filter(work_order=current, pk=check_id).first()
    if step is None:
        raise ValidationError({"check": _("That checklist step is not on this work order.")})
    text = clean_text(str(note or ""))
    if len(text) > 300:
        raise ValidationError({"note": _("At most %(n)s characters.") % {"n": 300}})
    done = _bool(done, "done")
    if step.done == done and step.note == text:
        return step
    step.done, step.note = done, text
    step.save(update_fields=["done", "note"])
    event_emit(
        type="work_order.checked",
        subject=current,
        actor=actor,
        data={"check": step.pk, "text": step.text, "done": done, "note": text},
    )
    return step


def _quantity(value: Any) -> Decimal:
    if isinstance(value, bool):
        raise ValidationError({"quantity": _("Enter a quantity greater than 0.")})
    try:
        quantity = Decimal(str(value).strip().replace(",", "."))
    except (InvalidOperation, TypeError, ValueError):
        raise ValidationError({"quantity": _("Enter a quantity greater than 0.")}) from None
    if not quantity.is_finite() or quantity <= 0 or quantity > 100_000:
        raise ValidationError({"quantity": _("Enter a quantity greater than 0 and at most 100,000.")})
    if quantity != quantity.quantize(Decimal("0.001")):
        raise ValidationError({"quantity": _("A quantity has at most 3 decimals.")})
    return quantity


@transaction.atomic
def work_order_add_part(
    wo: WorkOrder,
    *,
    actor: Any,
    product: Any,
    quantity: Any,
    asset: Any = None,
    chargeable: bool | None = None,
) -> WorkOrderPart:
    """A part used, at the product's list price. `chargeable` defaults to False when its asset (or the
    work order's only asset) is in warranty on the work order's day, or for a warranty repair."""
    current = _editable(wo, actor)
    found = _resolve(Product, product, "product")
    amount = _quantity(quantity)
    on_asset = None
    if asset is not None and asset != "":
        on_asset = _resolve(Asset, asset, "asset")
        if not WorkOrderAsset.objects.filter(work_order=current, asset=on_asset).exists():
            raise ValidationError({"asset": _("That installed product is not on this work order.")})
    if chargeable is None:
        charge = _part_chargeable(current, on_asset)
    else:
        charge = _bool(chargeable, "chargeable") and current.kind != WorkKind.WARRANTY_REPAIR
    part = WorkOrderPart.objects.create(
        work_order=current,
        product=found,
        asset=on_asset,
        quantity=amount,
        unit_price=found.list_price or Decimal(0),
        chargeable=charge,
    )
    event_emit(
        type="work_order.part_added",
        subject=current,
        actor=actor,
        data={
            "part": part.pk,
            "product": found.pk,
            "product_name": found.name,
            "quantity": str(amount),
            "chargeable": charge,
        },
    )
    return part


@transaction.atomic
def work_order_remove_part(wo: WorkOrder, *, actor: Any, part_id: int) -> None:
    current = _editable(wo, actor)
    part = WorkOrderPart.objects.select_related("product").filter(work_order=current, pk=part_id).first()
    if part is None:
        raise ValidationError({"part": _("That part is not on this work order.")})
    data = {"part": part.pk, "product": part.product_id, "product_name": part.product.name}
    part.delete()
    event_emit(type="work_order.part_removed", subject=current, actor=actor, data=data)


@transaction.atomic
def work_order_add_photo(wo: WorkOrder, *, actor: Any, upload: Any, caption: str = "") -> WorkOrderPhoto:
    """A photo from site: checked to be a real image, re-encoded (files.store_photo)."""
    from sencrm.fieldservice import files

    current = _editable(wo, actor)
    text = clean_text(str(caption or ""))
    if len(text) > 200:
        raise ValidationError({"caption": _("At most %(n)s characters.") % {"n": 200}})
    name, width, height, size = files.store_photo(upload)
    photo = WorkOrderPhoto.objects.create(
        work_order=current,
        file=name,
        caption=text,
        width=width,
        height=height,
        size=size,
        uploaded_by=actor if getattr(actor, "pk", None) else None,
    )
    event_emit(
        type="work_order.photo_added", subject=current, actor=actor, data={"photo": photo.pk, "caption": text}
    )
    return photo


@transaction.atomic
def work_order_sign(
    wo: WorkOrder, *, actor: Any, image: bytes | str, signed_by: str, at: dt.datetime | None = None
) -> WorkOrder:
    """The customer's signature (a PNG, checked and re-encoded) and who signed; event work_order.signed.
    Signing again replaces the signature (the event keeps the history)."""
    from sencrm.fieldservice import files

    current = _editable(wo, actor)
    name = clean_text(str(signed_by or ""))
    if not name:
        raise ValidationError({"signed_by": _("Enter the name of the person who signs.")})
    if len(name) > 150:
        raise ValidationError({"signed_by": _("At most %(n)s characters.") % {"n": 150}})
    stored = files.store_signature(image)
    moment = at or timezone.now()
    WorkOrder.all_objects.filter(pk=current.pk).update(
        signature_file=stored, signed_by=name, signed_at=moment, version=models.F("version") + 1
    )
    current.refresh_from_db()
    event_emit(
        type="work_order.signed",
        subject=current,
        actor=actor,
        data={"signed_by": name, "signed_at": moment.isoformat()},
    )
    return current


@transaction.atomic
def work_order_note(wo: WorkOrder, *, actor: Any, text: str) -> WorkOrder:
    """A note on the work order (on its timeline and the customer's): event work_order.noted."""
    current = _locked(wo)
    access.check(actor, Action.EDIT, current)
    body = "\n".join(clean_text(line) for line in str(text or "").splitlines()).strip()
    if not body:
        raise ValidationError({"text": _("Write the note.")})
    if len(body) > MAX_TEXT:
        raise ValidationError({"text": _("At most %(n)s characters.") % {"n": f"{MAX_TEXT:,}"}})
    event_emit(type="work_order.noted", subject=current, actor=actor, data={"text": body})
    return current


# --- from other records ------------------------------------------------------------------------------


@transaction.atomic
def work_order_from_ticket(ticket: Any, *, actor: Any, data: Mapping[str, Any] | None = None) -> WorkOrder:
    """A repair for a ticket: the ticket's customer and description; kind warranty_repair when the asset
    of the ticket's product at that customer is in warranty today, else repair. The event lands on the
    ticket's timeline too (ticket.work_order_created)."""
    access.check(actor, Action.VIEW, ticket)
    values: dict[str, Any] = dict(data or {})
    asset_values = values.pop("assets", None)
    values.setdefault("contact", ticket.contact)
    values.setdefault("account", ticket.account)
    values.setdefault("title", (ticket.subject or "")[:200])
    values.setdefault("description", getattr(ticket, "description", "") or "")
    values["ticket"] = ticket
    chosen: list[Any] = list(asset_values or [])
    if not chosen:
        product_id = getattr(ticket, "product_id", None)
        if product_id:
            customer_q = models.Q()
            if ticket.contact_id:
                customer_q |= models.Q(contact_id=ticket.contact_id)
            if ticket.account_id:
                customer_q |= models.Q(account_id=ticket.account_id)
            if customer_q:
                asset = (
                    Asset.objects.filter(customer_q, product_id=product_id)
                    .exclude(status__in=(AssetStatus.REPLACED, AssetStatus.REMOVED))
                    .order_by("-installed_on", "-id")
                    .first()
                )
                if asset is not None and access.in_scope(actor, Action.VIEW, asset):
                    chosen = [asset]
    if "kind" not in values:
        day = _day(_clean({"scheduled_start": values.get("scheduled_start")}, ("scheduled_start",)))
        in_warranty = bool(chosen) and all(
            warranty.check(_resolve(Asset, a, "assets"), day).in_warranty for a in chosen
        )
        values["kind"] = WorkKind.WARRANTY_REPAIR if in_warranty else WorkKind.REPAIR
    wo = work_order_create(actor=actor, data=values, assets=chosen)
    event_emit(
        type="ticket.work_order_created",
        subject=ticket,
        actor=actor,
        data={"work_order": wo.pk, "number": wo.number, "kind": wo.kind},
    )
    return wo


@transaction.atomic
def work_orders_for_delivery(delivery: Any, *, actor: Any) -> list[WorkOrder]:
    """An install work order for a delivery's assets (made by assets.assets_from_delivery if not yet),
    unassigned; idempotent: assets already on an install work order of this delivery are not planned
    again (a second call returns [])."""
    from sencrm.fieldservice.assets import assets_from_delivery

    access.check_module(actor, Module.FIELDSERVICE, Action.CREATE)
    assets_from_delivery(delivery, actor=actor)  # idempotent: makes those not made yet
    assets = list(
        Asset.objects.filter(delivery_line__delivery=delivery)
        .exclude(status__in=(AssetStatus.REPLACED, AssetStatus.REMOVED))
        .order_by("pk")
    )
    done = set(
        WorkOrderAsset.objects.filter(
            work_order__delivery=delivery,
            work_order__kind=WorkKind.INSTALL,
            work_order__deleted_at__isnull=True,
        ).values_list("asset_id", flat=True)
    )
    todo = [asset for asset in assets if asset.pk not in done]
    if not todo:
        return []
    order = getattr(delivery, "order", None)
    number = getattr(delivery, "number", "") or getattr(order, "number", "")
    wo = work_order_create(
        actor=actor,
        data={
            "kind": WorkKind.INSTALL,
            "title": (_("Installation %(number)s") % {"number": number}).strip()[:200],
            "delivery": delivery,
            "order": order,
            "chargeable": False,
        },
        assets=todo,
    )
    return [wo]


@transaction.atomic
def work_order_from_visit(visit: MaintenanceVisit, *, actor: Any = None) -> WorkOrder:
    """The work order of a maintenance visit (system write): kind maintenance, the plan's assets, skill
    and duration, booked on the planned date at 08:00 local time, unassigned. Idempotent: a visit that
    already has its work order returns it."""
    from sencrm.fieldservice.plan_selectors import plan_assets

    current = MaintenanceVisit.objects.select_for_update().select_related("plan").get(pk=visit.pk)
    if current.work_order_id is not None:
        existing = WorkOrder.all_objects.filter(pk=current.work_order_id).first()
        if existing is not None:
            return existing
    plan = current.plan
    start = timezone.make_aware(dt.datetime.combine(current.planned_date, dt.time(8, 0)))
    assets = list(plan_assets(plan))
    wo = work_order_create(
        actor=actor,
        system=True,
        actor_label="" if getattr(actor, "pk", None) else SYSTEM_LABEL,
        data={
            "kind": WorkKind.MAINTENANCE,
            "title": (_("Maintenance: %(plan)s") % {"plan": plan.name})[:200],
            "description": plan.notes,
            "contact": plan.contact,
            "account": plan.account,
            "contract": plan.contract,
            "plan": plan,
            "skill": plan.skill,
            "scheduled_start": start,
            "scheduled_end": start + dt.timedelta(minutes=plan.duration_minutes),
            "owner": plan.owner,
        },
        assets=assets,
    )
    current.work_order, current.status = wo, VisitStatus.ORDERED
    current.save(update_fields=["work_order", "status"])
    visit.work_order, visit.status = wo, VisitStatus.ORDERED
    return wo
