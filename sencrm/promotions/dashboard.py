"""Promotions on the home page of those who run campaigns: what is running today, with its uses."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from sencrm.core import access, homepage
from sencrm.core.modules import Action, Module
from sencrm.promotions import selectors
from sencrm.promotions.models import Promotion

ROWS = 6


def running_promotions(user: Any) -> list[dict[str, Any]]:
    """Promotions valid today, ending soonest first, with their uses and discount given (two queries)."""
    today = timezone.localdate()
    running = list(
        selectors.promotion_filter(access.scope(user, Promotion), state="running", today=today).order_by(
            "valid_until", "-id"
        )[:ROWS]
    )
    figures = selectors.promotion_results([p.pk for p in running])
    return [{"promotion": p, "results": figures.get(p.pk)} for p in running]


@homepage.register
def promotions_widget(user: Any) -> dict[str, Any]:
    if not access.can(user, Module.MARKETING, Action.CREATE):
        return {}
    return {"promotions_running": running_promotions(user)}
