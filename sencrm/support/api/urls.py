"""`/api/v1/tickets/`, `/api/v1/calls/`, `/api/v1/reviews/`, `/api/v1/telephony/events/` (+ adapters)."""

from __future__ import annotations

from typing import Any

from rest_framework.routers import SimpleRouter

from sencrm.support.api import calls, reviews, telephony, tickets

router = SimpleRouter()
for _part in (tickets, calls, reviews):
    _part.register(router)

urlpatterns: list[Any] = [*telephony.urlpatterns, *router.urls]
