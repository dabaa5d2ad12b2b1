"""`GET /api/v1/reports/attribution/`: revenue, leads, new customers and cost per campaign or channel and
month, by cash month or by lead month (docs/api.md, "Attribution report"; sencrm/marketing/attribution.py
has the definitions)."""

from __future__ import annotations

from typing import Any

from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from sencrm.core.api.base import ModuleRight
from sencrm.core.modules import Module
from sencrm.marketing import attribution

_ROW_FIELDS: dict[str, Any] = {
    "month": serializers.CharField(help_text="YYYY-MM"),
    "campaign": serializers.IntegerField(allow_null=True, help_text="Campaign id; null by channel."),
    "campaign_name": serializers.CharField(allow_null=True),
    "channel": serializers.CharField(help_text="Campaign channel, else source channel, else none."),
    "leads": serializers.FloatField(help_text="Whole, or ending in .5 under the linear model."),
    "customers": serializers.FloatField(help_text="New paying customers (first receipt)."),
    "revenue": serializers.DecimalField(max_digits=18, decimal_places=0),
    "cost": serializers.DecimalField(max_digits=18, decimal_places=0),
    "cost_per_lead": serializers.DecimalField(max_digits=18, decimal_places=0, allow_null=True),
    "cost_per_customer": serializers.DecimalField(max_digits=18, decimal_places=0, allow_null=True),
    "roi": serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True),
}

_REPORT = inline_serializer(
    "AttributionReport",
    {
        "view": serializers.ChoiceField(choices=attribution.VIEWS),
        "by": serializers.ChoiceField(choices=attribution.BYS),
        "model": serializers.ChoiceField(choices=attribution.MODELS),
        "date_from": serializers.DateField(),
        "date_to": serializers.DateField(),
        "rows": inline_serializer("AttributionRow", _ROW_FIELDS, many=True),
        "lag_days": inline_serializer(
            "AttributionLag",
            {
                "median": serializers.FloatField(allow_null=True),
                "mean": serializers.FloatField(allow_null=True),
                "count": serializers.IntegerField(),
                "buckets": serializers.DictField(child=serializers.IntegerField()),
            },
        ),
    },
)


class AttributionView(APIView):
    """The attribution report in the reader's reports scope (403 without the right to view reports)."""

    permission_classes = [IsAuthenticated, ModuleRight]
    access_module = Module.REPORTS

    @extend_schema(
        summary="Attribution report",
        description="Per month and campaign (or channel): leads, new customers, revenue received and cost, "
        "by the month the money came in (`view=cash`) or the month of the customer's first touch "
        "(`view=lead`). Amounts are decimal strings. 400 for an unknown view, grouping or model, a bad "
        f"date, an end before the start or a period over {attribution.MAX_MONTHS} months.",
        parameters=[
            OpenApiParameter(
                "view", OpenApiTypes.STR, enum=list(attribution.VIEWS), description="cash (default)"
            ),
            OpenApiParameter(
                "by", OpenApiTypes.STR, enum=list(attribution.BYS), description="campaign (default)"
            ),
            OpenApiParameter(
                "model", OpenApiTypes.STR, enum=list(attribution.MODELS), description="first (default)"
            ),
            OpenApiParameter(
                "date_from", OpenApiTypes.DATE, description="Default: 11 months before this one."
            ),
            OpenApiParameter("date_to", OpenApiTypes.DATE, description="Default: today."),
        ],
        responses={200: _REPORT},
    )
    def get(self, request: Request) -> Response:
        params = attribution.parse_params(request.query_params)
        body: dict[str, Any] = attribution.as_json(attribution.report(request.user, params))
        return Response(body)


urlpatterns = [path("reports/attribution/", AttributionView.as_view(), name="attribution-report")]
