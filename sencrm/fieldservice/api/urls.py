"""`/api/v1/assets/`, `/api/v1/maintenance-plans/`, `/api/v1/work-orders/`."""

from __future__ import annotations

from typing import Any

from rest_framework.routers import SimpleRouter

from sencrm.fieldservice.api import assets, plans, workorders

router = SimpleRouter()
for _part in (assets, plans, workorders):
    _part.register(router)

urlpatterns: list[Any] = [*router.urls]
