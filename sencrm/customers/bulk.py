"""Parsing a bulk-action request: which action, which value, which contacts."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from sencrm.customers.choices import LifecycleStage
from sencrm.customers.models import CustomerGroup, Tag
from sencrm.users.models import User

# Up to this many contacts run while the user waits; more go to the worker.
SYNC_LIMIT = 500
MAX_IDS = 100_000
# The form field that carries each action's value.
VALUE_FIELDS = {
    "assign": "value_owner",
    "add_tag": "value_tag",
    "remove_tag": "value_tag",
    "set_group": "value_group",
    "set_stage": "value_stage",
}


def resolve_value(action: str, raw: Any) -> Any:
    """The model object or choice value an action needs (ValidationError when it is not valid)."""
    raw = "" if raw is None else str(raw)
    try:
        if action == "assign":
            return User.objects.get(pk=int(raw), is_active=True)
        if action in ("add_tag", "remove_tag"):
            return Tag.objects.get(pk=int(raw))
        if action == "set_group":
            return CustomerGroup.objects.get(pk=int(raw)) if raw else None
    except (ValueError, User.DoesNotExist, Tag.DoesNotExist, CustomerGroup.DoesNotExist) as exc:
        raise ValidationError(_("Choose a valid value for this action.")) from exc
    if action == "set_stage":
        if raw not in LifecycleStage.values:
            raise ValidationError(_("Choose a valid value for this action."))
        return raw
    return None


def parse_ids(values: list[str]) -> list[int]:
    ids = [int(v) for v in values if v.isdigit() and len(v) < 19]
    if len(ids) > MAX_IDS:
        raise ValidationError(_("Too many records selected."))
    return ids
