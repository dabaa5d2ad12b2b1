from __future__ import annotations

from typing import Any

from django.db import models
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from sencrm.activities import services
from sencrm.activities.api.serializers import ActivitySerializer
from sencrm.activities.filters import ActivityFilter
from sencrm.activities.models import Activity
from sencrm.core.api.base import RecordViewSet
from sencrm.core.api.filters import StrictOrderingFilter


@extend_schema_view(
    list=extend_schema(
        parameters=[OpenApiParameter("search", str, description="Text contained in the subject.")]
    )
)
class ActivityViewSet(RecordViewSet):
    """Tasks, calls, meetings and notes, each on a contact and/or an account."""

    model = Activity
    serializer_class = ActivitySerializer
    filterset_class = ActivityFilter
    filter_backends = [DjangoFilterBackend, StrictOrderingFilter]
    ordering_fields = ["due_at", "created_at", "updated_at"]

    def get_queryset(self) -> models.QuerySet[Any]:
        qs = super().get_queryset().select_related("owner").prefetch_related("attendees")
        # ?search= narrows the list only: a create or update re-reads its record through this queryset.
        search = self.request.query_params.get("search", "").strip()[:100] if self.action == "list" else ""
        return qs.filter(subject__icontains=search) if search else qs

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        data.pop("version", None)
        attendees = data.pop("attendees", None)
        owner = data.pop("owner", None)
        activity = services.activity_create(actor=request.user, data=data, owner=owner, attendees=attendees)
        return Response(
            self.get_serializer(self.get_queryset().get(pk=activity.pk)).data, status=status.HTTP_201_CREATED
        )

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        activity = self.get_object()
        serializer = self.get_serializer(activity, data=request.data, partial=kwargs.get("partial", False))
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        version = data.pop("version", None)
        attendees = data.pop("attendees", None)
        activity = services.activity_update(
            activity, actor=request.user, changes=data, version=version, attendees=attendees
        )
        return Response(self.get_serializer(self.get_queryset().get(pk=activity.pk)).data)

    def perform_destroy(self, instance: Activity) -> None:
        services.activity_delete(instance, actor=self.request.user)
