"""Writes of periodic maintenance (bảo dưỡng định kỳ): plans, and the visits they generate.

A plan is every `interval_months` from `start_date` for a customer: the assets chosen on it, else every
installed asset of the customer of its product and/or under its contract (`plan_selectors.plan_assets`).
Visit k is due on start + k × interval (`warranty.add_months`: a plan started on the 31st visits on the
last day of the shorter months, and back on the 31st when the month has one). A skipped or rescheduled
visit keeps its place: the next visit's due date never moves. A plan under a contract ends at the
contract's end date unless given its own, and ends early with it (the daily job, plan_jobs.py).

The cycle (start date and interval) is changed only while no visit has been acted on (ordered,
skipped, done): after that the history would no longer match the cycle; end the plan and start a new one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from sencrm.commerce.models import Contract, ContractStatus
from sencrm.core import access
from sencrm.core.modules import Action
from sencrm.core.text import clean_text
from sencrm.events.services import event_emit, record_create, record_update
from sencrm.fieldservice.models import Asset, MaintenancePlan, MaintenanceVisit, VisitStatus
from sencrm.fieldservice.warranty import add_months

PLAN_FIELDS = (
    "name",
    "contact",
    "account",
    "contract",
    "product",
    "interval_months",
    "start_date",
    "end_date",
    "lead_days",
    "remind_days",
    "duration_minutes",
    "skill",
    "notes",
)
CYCLE_FIELDS = ("start_date", "interval_months")
MAX_VISITS = 1200  # 100 years of monthly visits: a bound on one generation pass
ENDED_CONTRACT = (ContractStatus.EXPIRED, ContractStatus.TERMINATED)


def due_date(plan: MaintenancePlan, sequence: int) -> dt.date:
    """The due date of the plan's visit number `sequence` (0 = the first visit, on the start date)."""
    return add_months(plan.start_date, sequence * plan.interval_months)


# --- checks shared by create and update ------------------------------------------------------------


def _clean(data: Mapping[str, Any]) -> dict[str, Any]:
    cleaned = {k: v for k, v in data.items() if k in PLAN_FIELDS}
    for name in ("name", "notes"):
        if name in cleaned:
            cleaned[name] = clean_text(cleaned[name])
    return cleaned


def _fill_from_contract(values: dict[str, Any], *, creating: bool, new_contract: bool = True) -> None:
    """A plan under a contract: the contract's customer, and its end date when none is given. A contract
    that has ended is refused when it is being chosen (a plan keeps its own until the daily job ends it)."""
    contract: Contract | None = values.get("contract")
    if contract is None:
        return
    if new_contract and contract.status in ENDED_CONTRACT:
        raise ValidationError({"contract": _("This contract has ended: a plan cannot follow it.")})
    if values.get("contact") is None and values.get("account") is None:
        values["contact"], values["account"] = contract.contact, contract.account
    if creating and values.get("end_date") is None and contract.end_date is not None:
        values["end_date"] = contract.end_date


def _check(values: Mapping[str, Any]) -> None:
    """The rules a plan's fields must meet together (each with its own message)."""
    errors: dict[str, str] = {}
    contact, account, contract = values.get("contact"), values.get("account"), values.get("contract")
    if contact is None and account is None:
        errors["contact"] = _("Choose the customer: a contact or an account.")
    interval = values.get("interval_months")
    if interval is None or not isinstance(interval, int) or not 1 <= interval <= 120:
        errors["interval_months"] = _("Visits are every 1 to 120 months.")
    start, end = values.get("start_date"), values.get("end_date")
    if start is None:
        errors["start_date"] = _("Enter the date of the first visit.")
    elif end is not None and end < start:
        errors["end_date"] = _("The end date is before the first visit.")
    if contract is not None:
        same = (contact is None or contract.contact_id in (None, contact.pk)) and (
            account is None or contract.account_id in (None, account.pk)
        )
        if not same:
            errors["contract"] = _("This contract is another customer's.")
        elif contract.end_date is not None and end is not None and end > contract.end_date:
            errors["end_date"] = _("The plan cannot outlast its contract (ends %(date)s).") % {
                "date": f"{contract.end_date:%d/%m/%Y}"
            }
    if errors:
        raise ValidationError(errors)


def _check_assets(actor: Any, values: Mapping[str, Any], assets: list[Asset]) -> None:
    """Each chosen asset: one the actor may see, of the plan's customer (and product, if it has one)."""
    visible = access.visible_pks(actor, Asset, [a.pk for a in assets]) if actor is not None else set()
    contact, account, product = values.get("contact"), values.get("account"), values.get("product")
    for asset in assets:
        if actor is not None and asset.pk not in visible:
            raise ValidationError({"assets": str(access.NOT_FOUND)})
        if asset.is_deleted:
            raise ValidationError({"assets": _("%(asset)s is in the trash.") % {"asset": asset}})
        theirs = (contact is not None and asset.contact_id == contact.pk) or (
            account is not None and asset.account_id == account.pk
        )
        if not theirs:
            raise ValidationError({"assets": _("%(asset)s is another customer's.") % {"asset": asset}})
        if product is not None and asset.product_id != product.pk:
            raise ValidationError({"assets": _("%(asset)s is not of the plan's product.") % {"asset": asset}})


def _assets_setter(assets: list[Asset] | None) -> Any:
    """The `related` writer of record_create/record_update: the plan's chosen assets, as ids."""

    def write(plan: MaintenancePlan) -> dict[str, list[Any]]:
        if assets is None:
            return {}
        old = sorted(plan.assets.values_list("pk", flat=True))
        new = sorted(a.pk for a in assets)
        if old == new:
            return {}
        plan.assets.set(assets)
        return {"assets": [old, new]}

    return write


def _default_name(values: Mapping[str, Any]) -> str:
    product = values.get("product")
    months = values.get("interval_months")
    if product is not None:
        return _("Maintenance of %(product)s every %(n)s months") % {"product": product, "n": months}
    return _("Maintenance every %(n)s months") % {"n": months}


# --- plans -------------------------------------------------------------------------------------------


@transaction.atomic
def plan_create(*, actor: Any, data: Mapping[str, Any], assets: Iterable[Asset] = ()) -> MaintenancePlan:
    """A new plan (its first visits are generated at once, `lead_days` ahead)."""
    values = _clean(data)
    _fill_from_contract(values, creating=True)
    _check(values)
    chosen = list(assets)
    _check_assets(actor, values, chosen)
    if not values.get("name"):
        values["name"] = _default_name(values)[:200]
    plan = record_create(MaintenancePlan, actor=actor, data=values, related=_assets_setter(chosen))
    visits_generate(plan, until=timezone.localdate() + dt.timedelta(days=plan.lead_days))
    return plan


@transaction.atomic
def plan_update(
    plan: MaintenancePlan,
    *,
    actor: Any,
    changes: Mapping[str, Any],
    version: int | None,
    assets: Iterable[Asset] | None = None,
) -> MaintenancePlan:
    """Change a plan. A new end date drops the planned visits after it; a longer lead adds visits."""
    access.check(actor, Action.EDIT, plan)
    current: MaintenancePlan = MaintenancePlan.objects.select_for_update().get(pk=plan.pk)
    if not current.active:
        raise ValidationError(_("This plan has ended: it is not edited."))
    values = _clean(changes)
    merged = {name: getattr(current, name) for name in PLAN_FIELDS} | values
    new_contract = "contract" in values and values["contract"] != current.contract
    _fill_from_contract(merged, creating=False, new_contract=new_contract)
    _check(merged)
    cycle_changed = any(name in values and values[name] != getattr(current, name) for name in CYCLE_FIELDS)
    if cycle_changed and current.visits.exclude(status=VisitStatus.PLANNED).exists():
        raise ValidationError(
            {
                "start_date": _(
                    "Visits of this plan were already ordered or skipped: to change its cycle, end it "
                    "and start a new plan."
                )
            }
        )
    chosen = None if assets is None else list(assets)
    if chosen is not None:
        _check_assets(actor, merged, chosen)
    for name in ("contact", "account"):
        if merged[name] != getattr(current, name):
            values[name] = merged[name]
    updated = record_update(
        current, actor=actor, changes=values, version=version, related=_assets_setter(chosen)
    )
    if cycle_changed:
        updated.visits.all().delete()  # only planned visits exist (checked above): the new cycle's
    elif updated.end_date is not None:
        updated.visits.filter(status=VisitStatus.PLANNED, due_date__gt=updated.end_date).delete()
    visits_generate(updated, until=timezone.localdate() + dt.timedelta(days=updated.lead_days))
    return updated


def _end(
    plan: MaintenancePlan, *, actor: Any, reason: str, on: dt.date, system: bool, label: str = ""
) -> MaintenancePlan:
    # The end date becomes the day it ends (not before the first visit: the period's check holds).
    end = max(on, plan.start_date)
    if plan.end_date is not None:
        end = min(plan.end_date, end)
    ended = record_update(
        plan,
        actor=actor,
        changes={
            "active": False,
            "end_date": end,
            "ended_at": timezone.now(),
            "ended_reason": reason[:300],
        },
        version=None,
        system=system,
        actor_label=label,
        event_type="ended",
        extra_data={"reason": reason[:300], "on": on.isoformat()},
    )
    # The visits still to come are dropped; those acted on (ordered, skipped, done) stay as history.
    ended.visits.filter(status=VisitStatus.PLANNED, planned_date__gte=on).delete()
    return ended


@transaction.atomic
def plan_end(plan: MaintenancePlan, *, actor: Any, reason: str, on: dt.date | None = None) -> MaintenancePlan:
    """End a plan from `on` (today by default): no more visits; its planned ones from that day are
    dropped (work orders already created stay, for the dispatcher to keep or cancel). Event
    `maintenance_plan.ended`."""
    access.check(actor, Action.EDIT, plan)
    current: MaintenancePlan = MaintenancePlan.objects.select_for_update().get(pk=plan.pk)
    if not current.active:
        raise ValidationError(_("This plan has already ended."))
    reason = clean_text(reason)
    if not reason:
        raise ValidationError({"reason": _("Say why the plan ends.")})
    return _end(current, actor=actor, reason=reason, on=on or timezone.localdate(), system=False)


def plan_end_by_system(plan: MaintenancePlan, *, reason: str, on: dt.date) -> MaintenancePlan:
    """The daily job ends a plan (its contract ended, or its period is over)."""
    with transaction.atomic():
        current: MaintenancePlan = MaintenancePlan.objects.select_for_update().get(pk=plan.pk)
        if not current.active:
            return current
        return _end(current, actor=None, reason=reason, on=on, system=True, label="system:scheduler")


# --- visits ------------------------------------------------------------------------------------------


def visits_generate(plan: MaintenancePlan, *, until: dt.date) -> list[MaintenanceVisit]:
    """Create the plan's visits due on or before `until` (and its end date) that do not exist yet; the
    visits created. Idempotent: a visit exists once per (plan, sequence)."""
    if not plan.active or plan.is_deleted:
        return []
    last = min(until, plan.end_date) if plan.end_date is not None else until
    existing = set(plan.visits.values_list("sequence", flat=True))
    created: list[MaintenanceVisit] = []
    for sequence in range(MAX_VISITS):
        due = due_date(plan, sequence)
        if due > last:
            break
        if sequence in existing:
            continue
        visit = MaintenanceVisit(plan=plan, sequence=sequence, due_date=due, planned_date=due)
        try:
            with transaction.atomic():
                visit.save()
        except IntegrityError:  # another run created it a moment ago
            continue
        created.append(visit)
    return created


def _visit_locked(visit: MaintenanceVisit, actor: Any) -> MaintenanceVisit:
    access.check(actor, Action.EDIT, visit.plan)
    current = MaintenanceVisit.objects.select_for_update().select_related("plan").get(pk=visit.pk)
    if current.status != VisitStatus.PLANNED:
        raise ValidationError(
            _("This visit is no longer planned (%(status)s): change its work order instead.")
            % {"status": current.get_status_display()}
        )
    return current


def _visit_data(visit: MaintenanceVisit, **extra: Any) -> dict[str, Any]:
    return {
        "visit": visit.pk,
        "sequence": visit.sequence,
        "due_date": visit.due_date.isoformat(),
        "planned_date": visit.planned_date.isoformat(),
        **extra,
    }


@transaction.atomic
def visit_skip(visit: MaintenanceVisit, *, actor: Any, note: str = "") -> MaintenanceVisit:
    """Skip one planned visit (the customer is away, the unit was just serviced…); the cycle goes on."""
    current = _visit_locked(visit, actor)
    current.status, current.note = VisitStatus.SKIPPED, clean_text(note)[:300]
    current.save(update_fields=["status", "note"])
    event_emit(
        type="maintenance.skipped",
        subject=current.plan,
        actor=actor,
        data=_visit_data(current, note=current.note),
    )
    return current


@transaction.atomic
def visit_reschedule(visit: MaintenanceVisit, *, actor: Any, on: dt.date, note: str = "") -> MaintenanceVisit:
    """Book one visit on another day, before the next visit is due; the due dates do not move. The
    customer is reminded again of the new day."""
    current = _visit_locked(visit, actor)
    if on < timezone.localdate():
        raise ValidationError({"on": _("The new date is in the past.")})
    following = due_date(current.plan, current.sequence + 1)
    if on >= following:
        raise ValidationError(
            {
                "on": _("Choose a day before the next visit is due (%(date)s).")
                % {"date": f"{following:%d/%m/%Y}"}
            }
        )
    end = current.plan.end_date
    if end is not None and on > end:
        raise ValidationError({"on": _("The plan ends on %(date)s.") % {"date": f"{end:%d/%m/%Y}"}})
    before = current.planned_date
    current.planned_date, current.reminded_at = on, None
    if note:
        current.note = clean_text(note)[:300]
    current.save(update_fields=["planned_date", "reminded_at", "note"])
    event_emit(
        type="maintenance.rescheduled",
        subject=current.plan,
        actor=actor,
        data=_visit_data(current, before=before.isoformat(), note=current.note),
    )
    return current
