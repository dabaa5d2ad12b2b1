"""Writes for custom field definitions (administrators) and saved views (each user their own)."""

from __future__ import annotations

from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import transaction

from sencrm.core import access
from sencrm.core.modules import Action, Module
from sencrm.core.text import clean_text
from sencrm.customfields.models import CustomField
from sencrm.events.services import event_emit

# Record types that take custom fields ("app_label.model"); later modules add theirs.
CUSTOMIZABLE = ["customers.contact", "customers.account", "sales.lead"]


def customizable_types() -> list[ContentType]:
    pairs = [name.split(".") for name in CUSTOMIZABLE]
    return [ContentType.objects.get_by_natural_key(app, model) for app, model in pairs]


@transaction.atomic
def custom_field_save(*, actor: Any, field: CustomField | None = None, **data: Any) -> CustomField:
    access.check_module(actor, Module.ADMIN, Action.EDIT if field else Action.CREATE)
    creating = field is None
    field = field or CustomField(content_type=data.pop("content_type"), key=data.pop("key"))
    data.pop("content_type", None)
    data.pop("key", None)  # the key and the record type never change: stored values depend on them
    data["label"] = clean_text(data.get("label", field.label))
    if "options" in data:
        data["options"] = [clean_text(o) for o in data["options"] if clean_text(o)][:200]
    before = {"label": field.label, "type": field.type, "options": field.options, "required": field.required}
    for name, value in data.items():
        setattr(field, name, value)
    field.full_clean()
    field.save()
    after = {"label": field.label, "type": field.type, "options": field.options, "required": field.required}
    if creating:
        event_emit(
            type="customfield.created",
            subject=field,
            actor=actor,
            data={"record": {**after, "key": field.key}},
        )
    elif before != after:
        event_emit(
            type="customfield.updated",
            subject=field,
            actor=actor,
            data={"changes": {k: [before[k], after[k]] for k in after if before[k] != after[k]}},
        )
    return field


@transaction.atomic
def custom_field_delete(*, actor: Any, field: CustomField) -> None:
    """Remove the definition; stored values stay in the records' data (re-adding the key shows them)."""
    access.check_module(actor, Module.ADMIN, Action.DELETE)
    event_emit(type="customfield.deleted", subject=field, actor=actor, data={"record": {"key": field.key}})
    field.delete()
