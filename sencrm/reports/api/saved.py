"""`/api/v1/saved-reports/`: saved reports (a canned report with its grouping, or a builder definition),
their sharing and email schedule; `GET …/{id}/run/` computes one as the caller (docs/api.md, "Reports")."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from sencrm.core import access
from sencrm.core.api.base import ModuleRight
from sencrm.core.modules import Action, Module
from sencrm.reports import present, saved
from sencrm.reports.models import SavedReport
from sencrm.users.models import Role, Team


class SavedReportSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    owner: Any = serializers.PrimaryKeyRelatedField(read_only=True)
    shared_team = serializers.PrimaryKeyRelatedField(
        queryset=Team.objects.all(), allow_null=True, required=False
    )
    shared_role = serializers.PrimaryKeyRelatedField(
        queryset=Role.objects.all(), allow_null=True, required=False
    )
    query = serializers.JSONField(required=False, help_text="A canned report's group_by and options.")
    definition = serializers.JSONField(required=False, help_text="The builder's definition (report=custom).")

    class Meta:
        model = SavedReport
        fields = [
            "id",
            "name",
            "owner",
            "report",
            "query",
            "definition",
            "period",
            "shared_team",
            "shared_role",
            "on_dashboard",
            "schedule",
            "schedule_format",
            "send_to_shared",
            "last_sent_at",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["last_sent_at", "version", "created_at", "updated_at"]
        extra_kwargs = {"report": {"validators": []}, "schedule": {"required": False}}


def _as_drf(exc: DjangoValidationError) -> ValidationError:
    return ValidationError(
        exc.message_dict if hasattr(exc, "message_dict") else {"non_field_errors": exc.messages}
    )


class ReportsRight(ModuleRight):
    """Whoever may read reports may save their own (no create right needed: a saved report is a view)."""

    def has_permission(self, request: Request, view: Any) -> bool:
        return access.can(request.user, Module.REPORTS, Action.VIEW)


class SavedReportViewSet(viewsets.ModelViewSet):  # type: ignore[type-arg]
    """Saved reports the caller may read (theirs, and those shared with their team or role); only the owner
    (or an administrator) changes or deletes one."""

    serializer_class = SavedReportSerializer
    permission_classes = [IsAuthenticated, ReportsRight]
    access_module = Module.REPORTS

    def get_queryset(self) -> Any:
        return saved.visible(self.request.user).order_by("name", "id")

    def perform_create(self, serializer: Any) -> None:
        try:
            serializer.instance = saved.saved_create(actor=self.request.user, data=serializer.validated_data)
        except DjangoValidationError as exc:
            raise _as_drf(exc) from None

    def perform_update(self, serializer: Any) -> None:
        data: Any = self.request.data
        raw = str(data.get("version") or "") if isinstance(data, dict) else ""
        try:
            serializer.instance = saved.saved_update(
                serializer.instance,
                actor=self.request.user,
                data=serializer.validated_data,
                version=int(raw) if raw.isdigit() else None,
            )
        except DjangoValidationError as exc:
            raise _as_drf(exc) from None

    def perform_destroy(self, instance: SavedReport) -> None:
        saved.saved_delete(instance, actor=self.request.user)

    @extend_schema(
        summary="Run a saved report",
        description='Computed as the caller (their scope): `{"rows": [...], "totals": {...}}` like the '
        "canned reports, over the saved period's current month, quarter or year, or the period asked.",
        parameters=[
            OpenApiParameter(
                "period",
                OpenApiTypes.STR,
                enum=["month", "quarter", "year", "custom"],
                description="Default: the saved report's period.",
            ),
            OpenApiParameter("date", OpenApiTypes.DATE, description="A day in the month, quarter or year."),
            OpenApiParameter("date_from", OpenApiTypes.DATE, description="First day (with date_to)."),
            OpenApiParameter("date_to", OpenApiTypes.DATE, description="Last day, included."),
        ],
        responses={200: OpenApiTypes.OBJECT},
    )
    @action(detail=True, methods=["get"])
    def run(self, request: Request, pk: Any = None) -> Response:
        item = self.get_object()
        try:
            result = saved.run(request.user, item, request.query_params)
        except DjangoValidationError as exc:
            raise _as_drf(exc) from None
        body = present.as_json(result, item.report)
        body["saved_report"] = item.pk
        return Response(body, status=status.HTTP_200_OK)
