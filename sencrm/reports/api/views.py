"""`GET /api/v1/reports/{name}/`: a canned report as `{"rows": [...], "totals": {...}}` (amounts as decimal
strings), with its period, columns and the comparison with the previous period and last year
(docs/api.md, "Reports"); `GET /api/v1/reports/{name}/drill/?key=…&column=…`: the records behind one
figure."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from sencrm.core.api.base import ModuleRight
from sencrm.core.modules import Module
from sencrm.reports import base, present

_PARAMS = [
    OpenApiParameter("period", OpenApiTypes.STR, enum=list(base.PERIODS), description="month (default)"),
    OpenApiParameter("date", OpenApiTypes.DATE, description="A day in the month, quarter or year."),
    OpenApiParameter("date_from", OpenApiTypes.DATE, description="First day (with date_to)."),
    OpenApiParameter("date_to", OpenApiTypes.DATE, description="Last day, included."),
    OpenApiParameter("group_by", OpenApiTypes.STR, description="The report's groupings (see docs/api.md)."),
]


class ReportView(APIView):
    """A canned report in the reader's reports scope (403 without the right to view reports)."""

    permission_classes = [IsAuthenticated, ModuleRight]
    access_module = Module.REPORTS

    @extend_schema(
        summary="Canned report",
        description="Reports: " + ", ".join(sorted(base.REGISTRY)) + ". 400 for an unknown period, grouping "
        "or option, a bad date, an end before the start or a period over three years; 404 for an unknown "
        "report.",
        parameters=_PARAMS,
        responses={200: OpenApiTypes.OBJECT},
    )
    def get(self, request: Request, name: str) -> Response:
        report = base.get_report(name)
        params = base.parse_params(report, request.query_params)
        return Response(present.as_json(base.run(request.user, name, params), name))


class DrillView(APIView):
    """The records behind one figure of a canned report."""

    permission_classes = [IsAuthenticated, ModuleRight]
    access_module = Module.REPORTS

    @extend_schema(
        summary="Records behind a report's figure",
        parameters=[
            *_PARAMS,
            OpenApiParameter("key", OpenApiTypes.STR, description="The row's key.", required=True),
            OpenApiParameter("column", OpenApiTypes.STR, description="The column's key.", required=True),
        ],
        responses={200: OpenApiTypes.OBJECT},
    )
    def get(self, request: Request, name: str) -> Response:
        report = base.get_report(name)
        params = base.parse_params(report, request.query_params)
        key = str(request.query_params.get("key", ""))[:100]
        column = str(request.query_params.get("column", ""))[:50]
        if not key or not column:
            raise ValidationError(
                {"key": [_("This field is required.")]}
                if not key
                else {"column": [_("This field is required.")]}
            )
        base.report_level(request.user)
        detail = report.drill(request.user, params, key, column)
        body: dict[str, Any] = {
            "title": str(detail.title),
            "count": detail.count,
            "total": present.json_value(detail.total, base.MONEY),
            "columns": [{"key": k, "label": str(label), "kind": kind} for k, label, kind in detail.columns],
            "rows": [
                {k: present.json_value(row.get(k), kind) for k, _label, kind in detail.columns}
                for row in detail.rows
            ],
        }
        return Response(body)
