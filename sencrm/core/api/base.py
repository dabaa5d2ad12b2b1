"""The API's base viewset: the same access gate as the UI, the spine's errors as JSON."""

from __future__ import annotations

from typing import Any, ClassVar

from django.db import models
from django.utils.translation import gettext_lazy
from rest_framework import viewsets
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request

from sencrm.core import access
from sencrm.core.modules import Action

# DRF action → gate action
ACTIONS = {
    "list": Action.VIEW, "retrieve": Action.VIEW, "create": Action.CREATE, "update": Action.EDIT,
    "partial_update": Action.EDIT, "destroy": Action.DELETE, "merge": Action.EDIT,
}  # fmt: skip


class ModuleRight(BasePermission):
    """403 for a role without the module's view right (or create right, to create).

    Which records it may see or change is decided per record by the gate (404 / 403).
    The module is the view's `access_module`, else its model's.
    """

    message = gettext_lazy("Your role does not allow this.")

    def has_permission(self, request: Request, view: Any) -> bool:
        module = getattr(view, "access_module", None) or view.model.access_module
        action_name = Action.CREATE if getattr(view, "action", None) == "create" else Action.VIEW
        return access.can(request.user, module, action_name)


class RecordViewSet(viewsets.ModelViewSet):  # type: ignore[type-arg]
    """Lists and lookups start from access.scope(view); writes are checked again by the services."""

    model: ClassVar[type[models.Model]]
    permission_classes = [IsAuthenticated, ModuleRight]
    http_method_names = ["get", "post", "patch", "put", "delete", "head", "options"]

    def get_queryset(self) -> models.QuerySet[Any]:
        return access.scope(self.request.user, self.model, Action.VIEW)

    def get_object(self) -> Any:
        obj = super().get_object()
        access.check(self.request.user, ACTIONS.get(self.action or "", Action.VIEW), obj)
        return obj
