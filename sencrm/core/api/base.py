"""The API's base viewset: the same access gate as the UI, the spine's errors as JSON."""

from __future__ import annotations

from typing import Any, ClassVar

from django.db import models
from rest_framework import viewsets

from sencrm.core import access
from sencrm.core.modules import Action

# DRF action → gate action
ACTIONS = {
    "list": Action.VIEW, "retrieve": Action.VIEW, "create": Action.CREATE, "update": Action.EDIT,
    "partial_update": Action.EDIT, "destroy": Action.DELETE, "merge": Action.EDIT,
}  # fmt: skip


class RecordViewSet(viewsets.ModelViewSet):  # type: ignore[type-arg]
    """Lists and lookups start from access.scope(view); writes are checked again by the services."""

    model: ClassVar[type[models.Model]]
    http_method_names = ["get", "post", "patch", "put", "delete", "head", "options"]

    def get_queryset(self) -> models.QuerySet[Any]:
        return access.scope(self.request.user, self.model, Action.VIEW)

    def get_object(self) -> Any:
        obj = super().get_object()
        access.check(self.request.user, ACTIONS.get(self.action or "", Action.VIEW), obj)
        return obj
