"""`/api/v1/custom-fields/` (read-only): the custom field definitions of the record types the caller
may view (contacts and accounts: customers module; leads: leads module). Administrators define them in
the web interface. Reading them as CSV needs the administration export right."""

from __future__ import annotations

from typing import Any

import django_filters
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import viewsets
from rest_framework.permissions import IsAuthenticated

from sencrm.core import access
from sencrm.core.api.pagination import RecordCursorPagination
from sencrm.core.modules import Action, Module
from sencrm.customfields.api.serializers import RECORD_TYPES, CustomFieldSerializer
from sencrm.customfields.models import CustomField
from sencrm.customfields.services import customizable_types


def visible_types(user: Any) -> list[ContentType]:
    """The customizable record types whose module the user may view."""
    found = []
    for content_type in customizable_types():
        model: Any = content_type.model_class()
        if model is not None and access.can(user, model.access_module, Action.VIEW):
            found.append(content_type)
    return found


class CustomFieldFilter(django_filters.FilterSet):  # type: ignore[misc]  # django-filter is untyped
    record_type = django_filters.ChoiceFilter(
        choices=[(name, name) for name in RECORD_TYPES],
        field_name="content_type__model",
        help_text="Only the fields of one record type.",
    )

    class Meta:
        model = CustomField
        fields = ["record_type"]


class CustomFieldCursorPagination(RecordCursorPagination):
    ordering = ("content_type_id", "position", "id")


@extend_schema_view(
    list=extend_schema(
        summary="List custom field definitions",
        description="The custom fields of the record types you may view, by record type and position; "
        "`?record_type=`.",
    ),
    retrieve=extend_schema(summary="Read a custom field definition"),
)
class CustomFieldViewSet(viewsets.ReadOnlyModelViewSet):  # type: ignore[type-arg]
    """Custom field definitions (read-only): the keys and types of records' `custom_fields`."""

    queryset = CustomField.objects.none()  # the model, for the schema; get_queryset filters by access
    serializer_class = CustomFieldSerializer
    permission_classes = [IsAuthenticated]
    pagination_class = CustomFieldCursorPagination
    filter_backends = [DjangoFilterBackend]
    filterset_class = CustomFieldFilter
    export_module = Module.ADMIN

    def get_queryset(self) -> models.QuerySet[Any]:
        return CustomField.objects.select_related("content_type").filter(
            content_type__in=visible_types(self.request.user)
        )
