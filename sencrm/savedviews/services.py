"""A user's saved list views: only their own."""

from __future__ import annotations

from typing import Any

from sencrm.core.text import clean_text
from sencrm.savedviews.models import SavedView


def saved_view_save(*, user: Any, list_name: str, name: str, querystring: str) -> SavedView:
    view, _ = SavedView.objects.update_or_create(
        user=user,
        list_name=list_name,
        name=clean_text(name)[:80],
        defaults={"querystring": querystring[:2000]},
    )
    return view


def saved_view_delete(*, user: Any, pk: int) -> int:
    deleted, _ = SavedView.objects.filter(user=user, pk=pk).delete()  # only one's own views
    return deleted
