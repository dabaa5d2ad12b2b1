"""`/api/v1/campaigns/` (CRUD through the gate), `/api/v1/campaigns/{id}/costs/` (list, add) and
`POST /api/v1/campaigns/import-costs/` (a Facebook Ads Manager / Google Ads export)."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db import models
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from sencrm.core import access
from sencrm.core.api.base import ACTIONS, RecordViewSet
from sencrm.core.api.filters import StrictOrderingFilter
from sencrm.core.filters import ScopedFilterSet
from sencrm.core.modules import Action, Module
from sencrm.imports.files import UploadRefused
from sencrm.marketing import costs_import, selectors, services
from sencrm.marketing.api.serializers import CampaignCostSerializer, CampaignSerializer, CostImportSerializer
from sencrm.marketing.models import Campaign, CampaignChannel

ACTIONS.update({"costs": Action.VIEW, "import_costs": Action.IMPORT})


class CampaignFilter(ScopedFilterSet):
    channel = django_filters.ChoiceFilter(choices=CampaignChannel.choices)
    active_on = django_filters.DateFilter(
        method="filter_active", label="Campaigns running on this day (YYYY-MM-DD)."
    )
    q = django_filters.CharFilter(
        method="filter_q", max_length=100, label="Words of the name or the UTM campaign."
    )

    class Meta:
        model = Campaign
        fields = ["channel", "owner"]

    def filter_active(self, queryset: models.QuerySet[Any], name: str, value: Any) -> Any:
        return selectors.campaign_filter(queryset, active_on=value) if value else queryset

    def filter_q(self, queryset: models.QuerySet[Any], name: str, value: str) -> Any:
        return selectors.campaign_filter(queryset, query=value) if value else queryset


class CampaignViewSet(RecordViewSet):
    """Marketing campaigns: channel, dates, budget, the UTM codes that map incoming leads to them, and
    what they cost (`cost_total`, the sum of their cost entries)."""

    model = Campaign
    serializer_class = CampaignSerializer
    filterset_class = CampaignFilter
    filter_backends = [DjangoFilterBackend, StrictOrderingFilter]
    ordering_fields = ["start_date", "name", "cost_total", "budget", "created_at"]
    create_service = staticmethod(services.campaign_create)
    update_service = staticmethod(services.campaign_update)
    delete_service = staticmethod(services.campaign_delete)

    def get_queryset(self) -> models.QuerySet[Any]:
        return super().get_queryset().order_by("-start_date", "-id")

    @extend_schema(
        methods=["GET"],
        operation_id="campaigns_costs_read",
        summary="A campaign's cost entries",
        description="Every cost entry of the campaign (typed in or imported), oldest first.",
        responses={200: CampaignCostSerializer(many=True)},
    )
    @extend_schema(
        methods=["POST"],
        operation_id="campaigns_costs_create",
        summary="Add a cost to a campaign",
        description="`{date, amount}` (amount: a decimal string in whole VND; `by_month`: the month of "
        "`date`, stored on its first day) adds a typed-in cost and updates `cost_total`; needs the edit "
        "right on the campaign.",
        request=CampaignCostSerializer,
        responses={201: CampaignCostSerializer},
    )
    @action(detail=True, methods=["get", "post"], pagination_class=None, filter_backends=[])
    def costs(self, request: Request, pk: str | None = None) -> Response:
        campaign = self.get_object()
        if request.method == "GET":
            rows = campaign.costs.order_by("date", "origin", "id")
            return Response(CampaignCostSerializer(rows, many=True).data)
        body = CampaignCostSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        cost = services.cost_add(
            campaign,
            actor=request.user,
            date=body.validated_data["date"],
            amount=body.validated_data["amount"],
            by_month=body.validated_data.get("by_month", False),
        )
        return Response(CampaignCostSerializer(cost).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Import costs from an ad platform's export",
        description="A Facebook Ads Manager or Google Ads report (CSV in any encoding, or XLSX) broken down "
        "by day: each row's spend goes to the campaign whose UTM campaign or name it names. Importing the "
        "same file again changes nothing. Rejected rows come back with their line and reason.",
        request=CostImportSerializer,
        responses={
            200: inline_serializer(
                "CostImportResult",
                {
                    "origin": serializers.CharField(),
                    "rows": serializers.IntegerField(),
                    "total": serializers.CharField(),
                    "created": serializers.IntegerField(),
                    "updated": serializers.IntegerField(),
                    "campaigns": serializers.ListField(child=serializers.DictField()),
                    "rejected": serializers.ListField(child=serializers.DictField()),
                },
            )
        },
    )
    @action(detail=False, methods=["post"], url_path="import-costs", parser_classes=[MultiPartParser])
    def import_costs(self, request: Request) -> Response:
        access.check_module(request.user, Module.MARKETING, Action.IMPORT)
        body = CostImportSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        upload = data["file"]
        override = {name: data[f"{name}_column"] for name in costs_import.COLUMNS if data[f"{name}_column"]}
        try:
            parsed, result = costs_import.import_upload(
                upload, actor=request.user, name=upload.name, size=upload.size, override=override,
                origin=data["origin"],
            )  # fmt: skip
        except (UploadRefused, costs_import.CostFileError) as exc:
            raise serializers.ValidationError({"file": [str(exc)]}) from None
        return Response(
            {
                "origin": parsed.origin,
                "columns": parsed.mapping,
                "rows": result.rows,
                "total": str(result.total),
                "created": result.created,
                "updated": result.updated,
                "campaigns": [
                    {"campaign": c["campaign"].pk, "rows": c["rows"], "total": str(c["total"])}
                    for c in result.campaigns
                ],
                "rejected": [{"line": r.line, "reason": r.reason, "value": r.value} for r in result.rejected],
            }
        )


router = SimpleRouter()
router.register("campaigns", CampaignViewSet, basename="campaign")
urlpatterns = list(router.urls)
