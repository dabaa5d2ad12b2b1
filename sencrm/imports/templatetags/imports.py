"""{% can_import "contacts" as can_import %}: whether to show an Import button on a list."""

from __future__ import annotations

from typing import Any

from django import template

from sencrm.core import access
from sencrm.core.modules import Action

register = template.Library()


@register.simple_tag(takes_context=True)
def can_import(context: Any, target: str) -> bool:
    from sencrm.imports.runner import module_for

    request = context.get("request")
    user = getattr(request, "user", None)
    return bool(user is not None and access.can(user, module_for(target), Action.IMPORT))
