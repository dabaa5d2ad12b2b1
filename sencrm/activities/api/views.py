from __future__ import annotations

from typing import Any

from django.db import models
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view

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
    create_service = staticmethod(services.activity_create)
    update_service = staticmethod(services.activity_update)
    delete_service = staticmethod(services.activity_delete)
    filterset_class = ActivityFilter
    filter_backends = [DjangoFilterBackend, StrictOrderingFilter]
    ordering_fields = ["due_at", "created_at", "updated_at"]

    def get_queryset(self) -> models.QuerySet[Any]:
        qs = super().get_queryset().select_related("owner").prefetch_related("attendees")
        # ?search= narrows the list only: a create or update re-reads its record through this queryset.
        search = self.request.query_params.get("search", "").strip()[:100] if self.action == "list" else ""
        return qs.filter(subject__icontains=search) if search else qs

    def service_arguments(self, data: dict[str, Any], *, creating: bool) -> dict[str, Any]:
        extra = super().service_arguments(data, creating=creating)
        extra["attendees"] = data.pop("attendees", None)
        return extra
