"""The API's base viewset: the same access gate as the UI, the spine's errors as JSON."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from django.db import models
from django.utils.translation import gettext_lazy
from rest_framework import status, viewsets
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

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
    """One record type's API, configured rather than written: lists and lookups start from
    access.scope(view); writes call the module's services (which check the gate again and emit the
    events) — `create_service(actor=, data=, **extra)`, `update_service(record, actor=, changes=,
    version=, **extra)`, `delete_service(record, actor=)`. The serializer scopes related fields
    (core/api/serializers.py), `?format=csv` streams the export scope (core/api/csv_format.py).

    A module overrides `service_arguments` to hand the services what is not a field of the record
    (phones, lines, the owner at creation…), and `answer` to add to the body.
    """

    model: ClassVar[type[models.Model]]
    create_service: ClassVar[Callable[..., Any]]
    update_service: ClassVar[Callable[..., Any]]
    delete_service: ClassVar[Callable[..., Any]]
    version_field: ClassVar[str] = "version"  # the optimistic-concurrency version a client sends back
    permission_classes = [IsAuthenticated, ModuleRight]
    http_method_names = ["get", "post", "patch", "put", "delete", "head", "options"]

    def service_arguments(self, data: dict[str, Any], *, creating: bool) -> dict[str, Any]:
        """Take out of the validated `data` what the service gets as its own arguments.

        By default the owner at creation (`owner=`; on an update it is a change like any field)."""
        return {"owner": data.pop("owner", None)} if creating and "owner" in data else {}

    def answer(self, record: Any, code: int = status.HTTP_200_OK) -> Response:
        """The record as the list reads it (related names prefetched), fresh from the database."""
        return Response(self.get_serializer(self.get_queryset().get(pk=record.pk)).data, status=code)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        data.pop(self.version_field, None)
        extra = self.service_arguments(data, creating=True)
        record = type(self).create_service(actor=request.user, data=data, **extra)
        return self.answer(record, status.HTTP_201_CREATED)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        record = self.get_object()
        serializer = self.get_serializer(record, data=request.data, partial=kwargs.get("partial", False))
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        version = data.pop(self.version_field, None)
        extra = self.service_arguments(data, creating=False)
        record = type(self).update_service(record, actor=request.user, changes=data, version=version, **extra)
        return self.answer(record)

    def perform_destroy(self, instance: Any) -> None:
        type(self).delete_service(instance, actor=self.request.user)

    def get_queryset(self) -> models.QuerySet[Any]:
        return access.scope(self.request.user, self.model, Action.VIEW)

    def get_object(self) -> Any:
        obj = super().get_object()
        access.check(self.request.user, ACTIONS.get(self.action or "", Action.VIEW), obj)
        return obj
