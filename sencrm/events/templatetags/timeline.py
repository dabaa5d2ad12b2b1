from __future__ import annotations

from typing import Any

from django import template

from sencrm.events.models import Event
from sencrm.events.selectors import describe_changes, event_label

register = template.Library()


@register.simple_tag
def event_title(event: Event) -> str:
    return event_label(event)


@register.simple_tag
def event_changes(event: Event) -> list[dict[str, Any]]:
    model = event.subject_type.model_class() if event.subject_type_id else None
    return describe_changes(event, model)
