from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import template

from sencrm.activities.choices import CallOutcome
from sencrm.core import access
from sencrm.core.modules import Action, Module

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

register = template.Library()


@register.simple_tag(takes_context=True)
def can_log_activities(context: dict[str, Any]) -> bool:
    return access.can(context["request"].user, Module.ACTIVITIES, Action.CREATE)


@register.simple_tag
def call_outcomes() -> list[tuple[str, StrOrPromise]]:
    return list(CallOutcome.choices)
