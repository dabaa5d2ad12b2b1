"""Writes for activities: through the spine, and only on customers the actor may see."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from sencrm.activities.choices import Kind, Status
from sencrm.activities.models import Activity
from sencrm.core import access
from sencrm.core.modules import Action
from sencrm.core.text import clean_text
from sencrm.events.services import record_create, record_delete, record_update


def _check_customers(actor: Any, data: dict[str, Any]) -> None:
    """An activity may only be linked to a contact/account the actor can see (no blind linking)."""
    for field in ("contact", "account", "lead"):
        customer = data.get(field)
        if customer is not None and not access.in_scope(actor, Action.VIEW, customer):
            raise ValidationError({field: _("Choose a customer you have access to.")})
    if data.get("contact") is not None and data.get("account") is None and data["contact"].account_id:
        data["account"] = data["contact"].account


def _prepare(data: dict[str, Any]) -> dict[str, Any]:
    data = dict(data)
    for name in ("subject", "place"):
        if name in data and data[name] is not None:
            data[name] = clean_text(data[name])
    if data.get("status") == Status.DONE and not data.get("completed_at"):
        data["completed_at"] = timezone.now()
    if data.get("kind") == Kind.NOTE:
        data["status"] = Status.DONE
    return data


def _attendees(attendees: list[Any] | None) -> Any:
    def write(activity: Activity) -> dict[str, list[Any]]:
        if attendees is None:
            return {}
        before = sorted(activity.attendees.values_list("pk", flat=True))
        after = sorted(u.pk for u in attendees)
        if before == after:
            return {}
        activity.attendees.set(attendees)
        return {"attendees": [before, after]}

    return write


@transaction.atomic
def activity_create(
    *,
    actor: Any,
    data: dict[str, Any],
    owner: Any = None,
    attendees: list[Any] | None = None,
    actor_label: str = "",
) -> Activity:
    access.check_module(actor, Activity.access_module, Action.CREATE)
    data = _prepare(data)
    _check_customers(actor, data)
    return record_create(
        Activity, actor=actor, data=data, owner=owner, actor_label=actor_label, related=_attendees(attendees)
    )


@transaction.atomic
def activity_create_by_rule(*, owner: Any, data: dict[str, Any], actor_label: str) -> Activity:
    """An activity the CRM creates by one of its rules (a care occasion's task): no user acts, so the
    gate is not asked; `actor_label` names the rule, `owner` gets it."""
    return record_create(
        Activity, actor=None, data=_prepare(data), owner=owner, actor_label=actor_label, system=True
    )


@transaction.atomic
def activity_update(
    activity: Activity,
    *,
    actor: Any,
    changes: dict[str, Any],
    version: int | None,
    attendees: list[Any] | None = None,
) -> Activity:
    changes = _prepare(changes)
    if "contact" in changes or "account" in changes or "lead" in changes:
        merged = {
            "contact": changes.get("contact", activity.contact),
            "account": changes.get("account"),
            "lead": changes.get("lead", activity.lead),
        }
        if "account" not in changes:
            merged["account"] = activity.account
        _check_customers(actor, merged)
    if changes.get("status") == Status.PLANNED:
        changes["completed_at"] = None
    return record_update(
        activity, actor=actor, changes=changes, version=version, related=_attendees(attendees)
    )


def activity_complete(
    activity: Activity, *, actor: Any, version: int | None = None, outcome: str = ""
) -> Activity:
    changes: dict[str, Any] = {"status": Status.DONE, "completed_at": timezone.now()}
    if outcome:
        changes["outcome"] = outcome
    return record_update(activity, actor=actor, changes=changes, version=version)


def activity_delete(activity: Activity, *, actor: Any) -> Activity:
    return record_delete(activity, actor=actor)
