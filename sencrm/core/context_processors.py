from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from sencrm.core.navigation import nav_for


def shell(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"languages": settings.LANGUAGES}
    return {
        "nav_items": nav_for(user, request.path),
        "languages": settings.LANGUAGES,
        "unread_notifications": user.notifications.filter(read_at__isnull=True).count(),
    }
