from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse

from sencrm.core import access
from sencrm.core.modules import Action, Module
from sencrm.core.navigation import nav_for


def _screenpop_url(user: Any) -> str:
    """Where a care user's pages listen for their calls (the screen pop), "" for everyone else."""
    if not access.can(user, Module.SUPPORT, Action.VIEW):
        return ""
    try:
        return reverse("support:live_events")
    except NoReverseMatch:
        return ""


def shell(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"languages": settings.LANGUAGES}
    return {
        "nav_items": nav_for(user, request.path),
        "languages": settings.LANGUAGES,
        "unread_notifications": user.notifications.filter(read_at__isnull=True).count(),
        "screenpop_url": _screenpop_url(user),
    }
