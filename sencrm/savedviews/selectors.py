"""A user's saved list views: only their own."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from sencrm.savedviews.models import SavedView


def saved_views(user: Any, list_name: str) -> QuerySet[SavedView]:
    """The views `user` saved on the list `list_name` (a key of savedviews.views.SAVABLE_LISTS)."""
    return SavedView.objects.filter(user=user, list_name=list_name)
