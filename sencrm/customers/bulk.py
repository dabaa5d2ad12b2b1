"""Parsing a bulk-action request: which action, which value, which contacts."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sencrm.customers.choices import LifecycleStage
from sencrm.customers.models import CustomerGroup, Tag
from sencrm.users.models import User

# Up to this many contacts run while the user waits; more go to the worker.
SYNC_LIMIT = 500
MAX_IDS = 100_000
# The value that clears the customer group (an empty choice means "nothing chosen yet").
NO_GROUP = "none"
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
            return None if raw == NO_GROUP else CustomerGroup.objects.get(pk=int(raw))
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


ACTION_LABELS = {
    "assign": gettext_lazy("Assign to"),
    "add_tag": gettext_lazy("Add tag"),
    "remove_tag": gettext_lazy("Remove tag"),
    "set_group": gettext_lazy("Set customer group"),
    "set_stage": gettext_lazy("Set lifecycle stage"),
    "delete": gettext_lazy("Delete"),
}


def bar(*, url: str, owners: Any) -> dict[str, Any]:
    """What the shared bulk bar (templates/partials/bulk_bar.html) offers on the contact list.

    Every select starts on an empty "— choose —": a pre-selected value looked like an active filter.
    """
    tags = [(t.pk, str(t)) for t in Tag.objects.all()]
    return {
        "url": url,
        "actions": list(ACTION_LABELS.items()),
        "values": [
            {
                "field": "value_owner",
                "label": _("Owner"),
                "for": "assign",
                "choices": [(u.pk, str(u)) for u in owners],
            },
            {"field": "value_tag", "label": _("Tag"), "for": "add_tag remove_tag", "choices": tags},
            {
                "field": "value_group",
                "label": _("Customer group"),
                "for": "set_group",
                "choices": [
                    (NO_GROUP, _("No group")),
                    *((g.pk, str(g)) for g in CustomerGroup.objects.all()),
                ],
            },
            {
                "field": "value_stage",
                "label": _("Lifecycle stage"),
                "for": "set_stage",
                "choices": LifecycleStage.choices,
            },
        ],
    }


def value_label(action: str, value: Any) -> str:
    """The chosen value as the confirmation shows it."""
    if action == "set_stage":
        return str(LifecycleStage(value).label)
    if action == "set_group" and value is None:
        return _("No group")
    return "" if value is None else str(value)
