"""The history views' tags: every page that shows events renders them through `events.formatting`."""

from __future__ import annotations

from typing import Any

from django import template

from sencrm.events import formatting
from sencrm.events.models import Event

register = template.Library()


@register.simple_tag
def event_title(event: Event) -> str:
    return formatting.event_title(event)


@register.simple_tag
def event_changes(event: Event) -> list[dict[str, Any]]:
    return formatting.describe_changes(event)


@register.simple_tag
def event_actor(event: Event) -> str:
    return formatting.actor_name(event)
