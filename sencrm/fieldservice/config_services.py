"""Writes of after-sales' configuration: skills, technicians' profiles (skills, provinces served, phone,
colour on the dispatch board, whether they take jobs) and the checklist of each work type.

Who may write (`can_configure`): a role with `fieldservice` edit at the scope *all* (care, which
dispatches) or `admin` edit. Who may read (`can_read`): any role with `fieldservice` view, or `admin`
view. Configuration rows are not records of the gate: plain `full_clean()` + `save()` in a transaction,
and one audit event per write that changed something (`fieldservice_<thing>.created/updated/deleted`,
the whole row under "record" or the changed fields under "changes"), as customer care's settings do.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils.translation import gettext as _

from sencrm.core import access
from sencrm.core.modules import Action, Module, Scope
from sencrm.core.phones import display, to_e164
from sencrm.core.text import clean_text
from sencrm.events.services import event_emit
from sencrm.fieldservice.models import ChecklistItem, Skill, Technician, WorkOrder

COLOR_RE = re.compile(r"^#[0-9a-fA-F]{6}$")
MAX_POSITION = 32767


# --- who may ------------------------------------------------------------------------------------------


def can_configure(user: Any) -> bool:
    return access.scope_level(user, Module.FIELDSERVICE, Action.EDIT) == Scope.ALL or access.can(
        user, Module.ADMIN, Action.EDIT
    )


def can_read(user: Any) -> bool:
    return access.can(user, Module.FIELDSERVICE, Action.VIEW) or access.can(user, Module.ADMIN, Action.VIEW)


def check_configure(user: Any) -> None:
    if not can_configure(user):
        raise PermissionDenied(_("Only administrators and dispatchers change these settings."))


def check_read(user: Any) -> None:
    if not can_read(user):
        raise PermissionDenied(_("Your role does not allow this action."))


# --- audit --------------------------------------------------------------------------------------------


def _state(obj: models.Model, names: Iterable[str]) -> dict[str, Any]:
    state: dict[str, Any] = {}
    for name in names:
        field = obj._meta.get_field(name)
        value = getattr(obj, field.attname) if isinstance(field, models.ForeignKey) else getattr(obj, name)
        if isinstance(value, dt.datetime | dt.date | dt.time):
            value = value.isoformat()
        state[name] = value
    return state


def _audit(
    kind: str, obj: models.Model, actor: Any, before: Mapping[str, Any] | None, after: dict[str, Any]
) -> None:
    if before is None:
        event_emit(type=f"fieldservice_{kind}.created", subject=obj, actor=actor, data={"record": after})
        return
    changes = {k: [before.get(k), v] for k, v in after.items() if before.get(k) != v}
    if changes:
        event_emit(type=f"fieldservice_{kind}.updated", subject=obj, actor=actor, data={"changes": changes})


# --- skills -------------------------------------------------------------------------------------------

SKILL_FIELDS = ("name", "active")


@transaction.atomic
def skill_save(*, actor: Any, skill: Skill | None = None, name: str, active: bool = True) -> Skill:
    check_configure(actor)
    obj = Skill() if skill is None else Skill.objects.select_for_update().get(pk=skill.pk)
    before = None if skill is None else _state(obj, SKILL_FIELDS)
    obj.name, obj.active = clean_text(name)[:100], active
    if not obj.name:
        raise ValidationError({"name": _("Give the skill a name.")})
    if Skill.objects.filter(name__iexact=obj.name).exclude(pk=obj.pk).exists():
        raise ValidationError({"name": _("This name is already used.")})
    obj.full_clean()
    obj.save()
    _audit("skill", obj, actor, before, _state(obj, SKILL_FIELDS))
    return obj


def skill_in_use(skill: Skill) -> str:
    """Why the skill cannot be deleted ("" when it can)."""
    if skill.technicians.exists():
        return _("Technicians have it: deactivate it instead.")
    if WorkOrder.all_objects.filter(skill=skill).exists():
        return _("Work orders need it: deactivate it instead.")
    return ""


@transaction.atomic
def skill_delete(*, actor: Any, skill: Skill) -> None:
    check_configure(actor)
    reason = skill_in_use(skill)
    if reason:
        raise ValidationError(_("This skill cannot be deleted: %(reason)s") % {"reason": reason})
    event_emit(
        type="fieldservice_skill.deleted",
        subject=skill,
        actor=actor,
        data={"record": _state(skill, SKILL_FIELDS)},
    )
    skill.delete()


# --- technicians --------------------------------------------------------------------------------------

TECHNICIAN_FIELDS = ("user", "phone", "color", "active")


def _ids(rows: Iterable[Any]) -> list[int]:
    return sorted(r.pk for r in rows)


@transaction.atomic
def technician_save(
    *,
    actor: Any,
    technician: Technician | None = None,
    user: Any,
    skills: Iterable[Skill] = (),
    provinces: Iterable[Any] = (),
    phone: str = "",
    color: str = "#0d6efd",
    active: bool = True,
) -> Technician:
    """Add or change a technician's profile (one per user; a user who left keeps theirs, inactive)."""
    check_configure(actor)
    obj = Technician() if technician is None else Technician.objects.select_for_update().get(pk=technician.pk)
    before = (
        None
        if technician is None
        else {
            **_state(obj, TECHNICIAN_FIELDS),
            "skills": _ids(obj.skills.all()),
            "provinces": _ids(obj.provinces.all()),
        }
    )
    if user is None:
        raise ValidationError({"user": _("Choose the user.")})
    if technician is None or user.pk != obj.user_id:
        if not user.is_active:
            raise ValidationError({"user": _("Choose an active user.")})
        if Technician.objects.filter(user=user).exclude(pk=obj.pk).exists():
            raise ValidationError({"user": _("This user already has a technician profile.")})
    phone = clean_text(phone)
    if phone:
        e164 = to_e164(phone)
        if e164 is None:
            raise ValidationError({"phone": _("Enter a valid phone number.")})
        phone = display(e164)[:20]
    if not COLOR_RE.match(color or ""):
        raise ValidationError({"color": _("Enter a colour as #rrggbb.")})
    obj.user, obj.phone, obj.color, obj.active = user, phone, color.lower(), active
    obj.full_clean()
    obj.save()
    skills, provinces = list(skills), list(provinces)
    obj.skills.set(skills)
    obj.provinces.set(provinces)
    after = {**_state(obj, TECHNICIAN_FIELDS), "skills": _ids(skills), "provinces": _ids(provinces)}
    _audit("technician", obj, actor, before, after)
    return obj


# --- checklists ---------------------------------------------------------------------------------------

CHECKLIST_FIELDS = ("kind", "text", "position", "active")


@transaction.atomic
def checklist_save(
    *,
    actor: Any,
    item: ChecklistItem | None = None,
    kind: str,
    text: str,
    position: int | None = None,
    active: bool = True,
) -> ChecklistItem:
    """Add or change a step of a work type's checklist; a new step without a position goes last. Work
    orders already created keep the checklist they were given."""
    check_configure(actor)
    obj = ChecklistItem() if item is None else ChecklistItem.objects.select_for_update().get(pk=item.pk)
    before = None if item is None else _state(obj, CHECKLIST_FIELDS)
    obj.kind, obj.text, obj.active = kind, clean_text(text)[:200], active
    if not obj.text:
        raise ValidationError({"text": _("Write the step.")})
    if position is None:
        last = (
            ChecklistItem.objects.filter(kind=kind)
            .exclude(pk=obj.pk)
            .aggregate(m=models.Max("position"))["m"]
        )
        position = 0 if last is None else min(last + 1, MAX_POSITION)
    if not 0 <= position <= MAX_POSITION:
        raise ValidationError({"position": _("Enter a position from 0 to %(max)s.") % {"max": MAX_POSITION}})
    obj.position = position
    obj.full_clean()
    obj.save()
    _audit("checklist", obj, actor, before, _state(obj, CHECKLIST_FIELDS))
    return obj


@transaction.atomic
def checklist_delete(*, actor: Any, item: ChecklistItem) -> None:
    """Delete a step (work orders keep their copy of it: WorkOrderCheck holds the text)."""
    check_configure(actor)
    event_emit(
        type="fieldservice_checklist.deleted",
        subject=item,
        actor=actor,
        data={"record": _state(item, CHECKLIST_FIELDS)},
    )
    item.delete()


@transaction.atomic
def checklist_move(*, actor: Any, item: ChecklistItem, up: bool) -> ChecklistItem:
    """Swap the step with the one before (up) or after it in its work type's order."""
    check_configure(actor)
    steps = list(ChecklistItem.objects.select_for_update().filter(kind=item.kind).order_by("position", "id"))
    index = next(i for i, s in enumerate(steps) if s.pk == item.pk)
    other = index - 1 if up else index + 1
    if not 0 <= other < len(steps):
        return steps[index]
    steps[index], steps[other] = steps[other], steps[index]
    for position, step in enumerate(steps):
        if step.position != position:
            before = _state(step, CHECKLIST_FIELDS)
            step.position = position
            step.save(update_fields=["position"])
            _audit("checklist", step, actor, before, _state(step, CHECKLIST_FIELDS))
    return next(s for s in steps if s.pk == item.pk)
