"""`/api/v1/data-requests/`: personal-data requests (docs/api.md; field names are a contract).

List (scoped by the gate; `?status=` a status or `open`, `?kind=`, `?contact=`, `?lead=`), register
(`POST`), read, and the steps as actions: `POST {id}/acknowledge/`, `{id}/extend/` (`reason`),
`{id}/complete/` (`outcome`; a deletion anonymises the person), `{id}/reject/` (`reason`), and
`GET {id}/export/` (everything the CRM holds about the person, as JSON). No update or delete: a request
changes only through its steps.
"""

from __future__ import annotations

from typing import Any

import django_filters
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from sencrm.core.api.base import ACTIONS, RecordViewSet
from sencrm.core.api.filters import StrictOrderingFilter
from sencrm.core.api.serializers import RecordSerializer
from sencrm.core.filters import ScopedFilterSet
from sencrm.core.modules import Action
from sencrm.customers.models import Contact
from sencrm.privacy import services
from sencrm.privacy.models import OPEN_STATUSES, DataRequest, RequestKind, RequestStatus
from sencrm.privacy.services import MAX_TEXT
from sencrm.sales.models import Lead

ACTIONS.update(dict.fromkeys(["acknowledge", "extend", "complete", "reject"], Action.EDIT))
ACTIONS.update(dict.fromkeys(["export"], Action.VIEW))


class DataRequestSerializer(RecordSerializer):
    contact = serializers.PrimaryKeyRelatedField(
        queryset=Contact.objects.all(), allow_null=True, required=False
    )
    lead = serializers.PrimaryKeyRelatedField(queryset=Lead.objects.all(), allow_null=True, required=False)
    kind = serializers.ChoiceField(choices=RequestKind.choices)
    received_at = serializers.DateTimeField(required=False)
    details = serializers.CharField(required=False, allow_blank=True, max_length=MAX_TEXT)

    class Meta:
        model = DataRequest
        fields = [
            "id",
            "number",
            "contact",
            "lead",
            "kind",
            "received_at",
            "due_at",
            "acknowledge_due_at",
            "status",
            "acknowledged_at",
            "completed_at",
            "details",
        ]
        read_only_fields = [
            "number",
            "due_at",
            "acknowledge_due_at",
            "status",
            "acknowledged_at",
            "completed_at",
        ]

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if (attrs.get("contact") is None) == (attrs.get("lead") is None):
            raise serializers.ValidationError(
                {"contact": [_("Choose the person: a contact or a lead (one of them).")]}
            )
        return attrs


class DataRequestReasonSerializer(serializers.Serializer):  # type: ignore[type-arg]
    reason = serializers.CharField(max_length=MAX_TEXT)


class DataRequestOutcomeSerializer(serializers.Serializer):  # type: ignore[type-arg]
    outcome = serializers.CharField(max_length=MAX_TEXT)


STATUS_CHOICES = [("open", "Open (received, acknowledged or extended)"), *RequestStatus.choices]


class DataRequestFilter(ScopedFilterSet):
    status = django_filters.ChoiceFilter(choices=STATUS_CHOICES, method="filter_status")
    kind = django_filters.ChoiceFilter(choices=RequestKind.choices)

    class Meta:
        model = DataRequest
        fields = ["contact", "lead"]

    def filter_status(self, queryset: models.QuerySet[Any], name: str, value: str) -> Any:
        if value == "open":
            return queryset.filter(status__in=OPEN_STATUSES)
        return queryset.filter(status=value)


def _create(*, actor: Any, data: dict[str, Any], owner: Any = None) -> DataRequest:
    return services.request_create(actor=actor, data=data)


class DataRequestViewSet(RecordViewSet):
    """Personal-data requests (Law 91/2025/QH15, Decree 356/2025): acknowledged within 2 working days,
    completed within 15 days (one extension of 15 days)."""

    model = DataRequest
    serializer_class = DataRequestSerializer
    filterset_class = DataRequestFilter
    filter_backends = [DjangoFilterBackend, StrictOrderingFilter]
    ordering_fields = ["received_at", "due_at", "acknowledge_due_at"]
    ordering = ["-received_at"]
    http_method_names = ["get", "post", "head", "options"]
    create_service = staticmethod(_create)

    def get_queryset(self) -> models.QuerySet[Any]:
        return super().get_queryset().order_by("-received_at", "-id")

    @extend_schema(summary="Acknowledge a request", request=None)
    @action(detail=True, methods=["post"])
    def acknowledge(self, request: Request, pk: str | None = None) -> Response:
        return self.answer(services.request_acknowledge(self.get_object(), actor=request.user))

    @extend_schema(
        summary="Extend a request by 15 days (once), with the reason", request=DataRequestReasonSerializer
    )
    @action(detail=True, methods=["post"])
    def extend(self, request: Request, pk: str | None = None) -> Response:
        body = DataRequestReasonSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        record = self.get_object()
        return self.answer(
            services.request_extend(record, actor=request.user, reason=body.validated_data["reason"])
        )

    @extend_schema(
        summary="Complete a request",
        description="A withdrawal withdraws the person's consents; a deletion anonymises the person.",
        request=DataRequestOutcomeSerializer,
    )
    @action(detail=True, methods=["post"])
    def complete(self, request: Request, pk: str | None = None) -> Response:
        body = DataRequestOutcomeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        record = self.get_object()
        return self.answer(
            services.request_complete(record, actor=request.user, outcome=body.validated_data["outcome"])
        )

    @extend_schema(summary="Reject a request, with the reason", request=DataRequestReasonSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk: str | None = None) -> Response:
        body = DataRequestReasonSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        record = self.get_object()
        return self.answer(
            services.request_reject(record, actor=request.user, reason=body.validated_data["reason"])
        )

    @extend_schema(
        summary="Everything the CRM holds about the person",
        responses={
            200: OpenApiResponse(inline_serializer("PersonExport", {"format": serializers.CharField()}))
        },
    )
    @action(detail=True, methods=["get"])
    def export(self, request: Request, pk: str | None = None) -> Response:
        from sencrm.privacy.export import person_export

        return Response(person_export(self.get_object(), user=request.user).data)


router = SimpleRouter()
router.register("data-requests", DataRequestViewSet, basename="datarequest")
urlpatterns = [*router.urls]
