"""/api/v1/leads/, /opportunities/, /pipelines/ and /stages/: the same access gate as the pages.

Out of scope → 404, a right the role lacks → 403, bad input → 400, a stale version → 409. Every write
goes through the sales services.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

import django_filters
from django.db import models
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from sencrm.core import access
from sencrm.core.api.base import ModuleRight, RecordViewSet
from sencrm.core.api.errors import ApiErrorSerializer
from sencrm.core.api.filters import LAST_DATETIME, AliasOrderingFilter
from sencrm.core.api.pagination import RecordCursorPagination
from sencrm.core.api.schema import SEARCH
from sencrm.core.modules import Action, Module
from sencrm.customfields import custom_fields
from sencrm.sales import selectors, services
from sencrm.sales.api.serializers import (
    LeadConversionSerializer,
    LeadConvertSerializer,
    LeadCreatedSerializer,
    LeadCreateSerializer,
    LeadSerializer,
    OpportunityCloseSerializer,
    OpportunitySerializer,
    PipelineSerializer,
    StageSerializer,
)
from sencrm.sales.filters import LeadFilter, OpportunityFilter
from sencrm.sales.models import Lead, Opportunity, Pipeline, Stage

# Nullable sort columns sort through a non-null twin, so a cursor position is never null.
LAST_DATE = dt.date(9999, 12, 31)

ERRORS = {
    400: OpenApiResponse(ApiErrorSerializer, description="Bad input: the message and the errors per field."),
    401: OpenApiResponse(ApiErrorSerializer, description="No, or an invalid, expired or revoked token."),
    403: OpenApiResponse(ApiErrorSerializer, description="Your role does not allow this."),
    404: OpenApiResponse(
        ApiErrorSerializer, description="No such record, or it is outside your access scope."
    ),
}
CONFLICT = {
    409: OpenApiResponse(
        ApiErrorSerializer,
        description="Someone changed the record since the `version` you sent (current_version).",
    )
}
LEAD_ORDERING = OpenApiParameter(
    "ordering",
    str,
    description="Sort by score, sort_key (name, Vietnamese order), full_name, created_at, updated_at or "
    "next_action_at (no follow-up sorts last); a leading `-` sorts descending; several separated by commas. "
    "Anything else is a 400.",
)
OPPORTUNITY_ORDERING = OpenApiParameter(
    "ordering",
    str,
    description="Sort by amount, expected_close_date (none sorts last), created_at or updated_at; "
    "a leading `-` sorts descending. Anything else is a 400.",
)
NAME_SEARCH = OpenApiParameter("search", str, description="Text contained in the opportunity's name.")


class SalesRecordViewSet(RecordViewSet):
    access_module: ClassVar[str]
    permission_classes = [IsAuthenticated, ModuleRight]
    filter_backends = [DjangoFilterBackend, AliasOrderingFilter]
    ordering = ["-id"]
    ordering_aliases: ClassVar[dict[str, str]] = {}

    def filter_queryset(self, queryset: models.QuerySet[Any]) -> models.QuerySet[Any]:
        queryset = super().filter_queryset(queryset)
        if self.action == "list":
            # ?cf_<key>= filters on custom fields (a bad value is a 400).
            queryset = custom_fields.filter_queryset(queryset, self.model, self.request.query_params)
        return queryset

    def _fresh(self, obj: Any) -> Any:
        return self.get_queryset().get(pk=obj.pk)

    def _editable(self) -> Any:
        """The record of the URL, checked for the edit right (404 outside scope, 403 without the right)."""
        obj = self.get_object()
        access.check(self.request.user, Action.EDIT, obj)
        return obj


@extend_schema_view(
    list=extend_schema(
        summary="List leads",
        description="Leads you may see, newest first; cursor pages (`page_size` 1–500), `?search=` "
        "(accent-insensitive name/company/email, or a phone number in any format), field filters and "
        "`?ordering=` (score, sort_key, full_name, created_at, updated_at, next_action_at; "
        "`-` for descending).",
        parameters=[SEARCH, LEAD_ORDERING],
        responses={200: LeadSerializer(many=True), **ERRORS},
    ),
    retrieve=extend_schema(summary="Read a lead", responses={200: LeadSerializer, **ERRORS}),
    create=extend_schema(
        summary="Create a lead",
        description="Creates the lead and answers it with `duplicates`: the ids of contacts and open leads "
        "matching by phone (any format), email or folded name that you may see, and how many others exist.",
        request=LeadCreateSerializer,
        responses={201: LeadCreatedSerializer, **ERRORS},
    ),
    update=extend_schema(summary="Replace a lead", responses={200: LeadSerializer, **ERRORS, **CONFLICT}),
    partial_update=extend_schema(
        summary="Change a lead",
        description="Send the `version` you read: if someone changed the same fields since, "
        "the answer is 409.",
        responses={200: LeadSerializer, **ERRORS, **CONFLICT},
    ),
    destroy=extend_schema(summary="Delete a lead (to the trash)", responses={204: None, **ERRORS}),
)
class LeadViewSet(SalesRecordViewSet):
    """Leads (khách hàng tiềm năng): people who showed interest and are not customers yet."""

    model = Lead
    access_module = Module.LEADS
    serializer_class = LeadSerializer
    create_service = staticmethod(services.lead_create)
    update_service = staticmethod(services.lead_update)
    delete_service = staticmethod(services.lead_delete)
    filterset_class = LeadFilter
    ordering_fields = ["score", "sort_key", "full_name", "created_at", "updated_at", "next_action_at"]
    ordering_aliases: ClassVar[dict[str, str]] = {"next_action_at": "next_action_sort"}

    def get_serializer_class(self) -> Any:
        return LeadCreateSerializer if self.action == "create" else LeadSerializer

    def get_queryset(self) -> models.QuerySet[Any]:
        qs = (
            super()
            .get_queryset()
            .select_related("province", "source")
            .prefetch_related("phones", "emails")
            .annotate(
                next_action_sort=Coalesce(
                    "next_action_at", models.Value(LAST_DATETIME), output_field=models.DateTimeField()
                )
            )
        )
        search = self.request.query_params.get("search", "") if self.action == "list" else ""
        return selectors.lead_search_filter(qs, search) if search.strip() else qs

    def service_arguments(self, data: dict[str, Any], *, creating: bool) -> dict[str, Any]:
        extra = super().service_arguments(data, creating=creating)
        if creating:
            extra["round_robin_team"] = data.pop("round_robin_team", None)
        if "phones" in data:
            extra["phones"] = [{"number": p["number"]} for p in data.pop("phones")]
        if "emails" in data:
            extra["emails"] = [e["address"] for e in data.pop("emails")]
        return extra

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        data.pop("version", None)
        lead = services.lead_create(
            actor=request.user, data=data, **self.service_arguments(data, creating=True)
        )
        found = selectors.lead_duplicates(
            user=request.user,
            phones_e164=list(lead.phones.values_list("e164", flat=True)),
            emails=list(lead.emails.values_list("address", flat=True)),
            full_name=lead.full_name,
            exclude_lead=lead.pk,
        )
        body = LeadSerializer(self._fresh(lead), context=self.get_serializer_context()).data
        body["duplicates"] = {
            "contacts": [c.pk for c in found.contacts],
            "leads": [x.pk for x in found.leads],
            "hidden": found.hidden,
        }
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Convert a lead",
        description="In one step the lead becomes a contact (and an account when it has a company or one is "
        "given) and optionally an opportunity; its history, source, campaign and first touch carry over and "
        "the lead stays, converted. Answers the ids made or linked. A lead converted already answers 400 "
        "(code `invalid`). Needs the edit right on the lead and the create right for customers "
        "(and opportunities, with `create_opportunity`).",
        request=LeadConvertSerializer,
        responses={200: LeadConversionSerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"])
    def convert(self, request: Request, pk: str | None = None) -> Response:
        """Convert the lead into a contact (+ account, + optionally an opportunity)."""
        lead = self._editable()
        if lead.is_converted:
            message = _("This lead has already been converted.")
            return Response(
                {
                    "code": "invalid",
                    "message": message,
                    "errors": {"non_field_errors": [message]},
                },
                status=status.HTTP_400_BAD_REQUEST,
            )
        body = LeadConvertSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        options = dict(body.validated_data)
        if options.get("contact") is None:
            access.check_module(request.user, Module.CUSTOMERS, Action.CREATE)
        if options["create_opportunity"]:
            access.check_module(request.user, Module.SALES, Action.CREATE)
        done = services.lead_convert(
            lead,
            actor=request.user,
            contact=options.get("contact"),
            account=options.get("account"),
            create_account=options["create_account"],
            create_opportunity=options["create_opportunity"],
            opportunity_name=options.get("opportunity_name") or "",
            opportunity_amount=options.get("opportunity_amount"),
            expected_close_date=options.get("expected_close_date"),
            pipeline=options.get("pipeline"),
        )
        return Response(
            {
                "contact": done.contact.pk,
                "account": done.account.pk if done.account else None,
                "opportunity": done.opportunity.pk if done.opportunity else None,
                "lead": LeadSerializer(
                    Lead.all_objects.select_related("province", "source")
                    .prefetch_related("phones", "emails")
                    .get(pk=lead.pk),
                    context=self.get_serializer_context(),
                ).data,
            }
        )


@extend_schema_view(
    list=extend_schema(
        summary="List opportunities",
        description="Opportunities you may see, newest first; cursor pages, `?search=` (name), field filters "
        "and `?ordering=` (amount, expected_close_date, created_at, updated_at; `-` for descending).",
        parameters=[NAME_SEARCH, OPPORTUNITY_ORDERING],
        responses={200: OpportunitySerializer(many=True), **ERRORS},
    ),
    retrieve=extend_schema(summary="Read an opportunity", responses={200: OpportunitySerializer, **ERRORS}),
    create=extend_schema(
        summary="Create an opportunity",
        description="`pipeline` defaults to the default pipeline (or the stage's), "
        "`stage` to its first open stage.",
        responses={201: OpportunitySerializer, **ERRORS},
    ),
    update=extend_schema(
        summary="Replace an opportunity", responses={200: OpportunitySerializer, **ERRORS, **CONFLICT}
    ),
    partial_update=extend_schema(
        summary="Change an opportunity or move it to another stage",
        description='`{"stage": id, "version": n}` moves the deal (as a drag on the board): stage '
        "history, event `opportunity.stage_changed`, and 409 with `current_version` when `version` is "
        "stale. A stage of another pipeline is a 400 unless `pipeline` is given too and matches.",
        responses={200: OpportunitySerializer, **ERRORS, **CONFLICT},
    ),
    destroy=extend_schema(summary="Delete an opportunity (to the trash)", responses={204: None, **ERRORS}),
)
class OpportunityViewSet(SalesRecordViewSet):
    """Opportunities (cơ hội bán hàng): deals moving through a pipeline's stages."""

    model = Opportunity
    access_module = Module.SALES
    serializer_class = OpportunitySerializer
    create_service = staticmethod(services.opportunity_create)
    update_service = staticmethod(services.opportunity_update)
    delete_service = staticmethod(services.opportunity_delete)
    filterset_class = OpportunityFilter
    ordering_fields = ["amount", "expected_close_date", "created_at", "updated_at"]
    ordering_aliases: ClassVar[dict[str, str]] = {"expected_close_date": "close_sort"}

    def get_queryset(self) -> models.QuerySet[Any]:
        qs = (
            super()
            .get_queryset()
            .select_related("source")
            .annotate(
                close_sort=Coalesce(
                    "expected_close_date", models.Value(LAST_DATE), output_field=models.DateField()
                )
            )
        )
        search = self.request.query_params.get("search", "").strip()[:100] if self.action == "list" else ""
        return selectors.opportunity_search_filter(qs, search) if search else qs

    def service_arguments(self, data: dict[str, Any], *, creating: bool) -> dict[str, Any]:
        if creating and data.get("stage") is not None and data.get("pipeline") is None:
            data["pipeline"] = data["stage"].pipeline  # a stage alone says which pipeline
        return super().service_arguments(data, creating=creating)

    def _close(self, request: Request, *, won: bool) -> Response:
        opp = self._editable()
        body = OpportunityCloseSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        reason = body.validated_data["reason"].strip()
        version = body.validated_data.get("version")
        if won:
            opp = services.opportunity_mark_won(opp, actor=request.user, version=version, reason=reason)
        else:
            if not reason:
                raise exceptions.ValidationError({"reason": [_("Say why the deal was lost.")]})
            opp = services.opportunity_mark_lost(opp, actor=request.user, version=version, reason=reason)
        return Response(self.get_serializer(self._fresh(opp)).data)

    @extend_schema(
        summary="Mark an opportunity won",
        description="Moves the deal to its pipeline's won stage; its contact and account become customers.",
        request=OpportunityCloseSerializer,
        responses={200: OpportunitySerializer, **ERRORS, **CONFLICT},
    )
    @action(detail=True, methods=["post"])
    def won(self, request: Request, pk: str | None = None) -> Response:
        """Mark the deal won (optional reason)."""
        return self._close(request, won=True)

    @extend_schema(
        summary="Mark an opportunity lost",
        description="Moves the deal to its pipeline's lost stage; `reason` is required.",
        request=OpportunityCloseSerializer,
        responses={200: OpportunitySerializer, **ERRORS, **CONFLICT},
    )
    @action(detail=True, methods=["post"])
    def lost(self, request: Request, pk: str | None = None) -> Response:
        """Mark the deal lost (with a reason)."""
        return self._close(request, won=False)


class PipelineCursorPagination(RecordCursorPagination):
    ordering = ("position", "id")


class StageCursorPagination(RecordCursorPagination):
    ordering = ("pipeline_id", "position", "id")


class PipelineFilter(django_filters.FilterSet):  # type: ignore[misc]  # django-filter is untyped
    is_active = django_filters.BooleanFilter(help_text="Only active (true) or inactive (false) pipelines.")

    class Meta:
        model = Pipeline
        fields = ["is_active"]


class StageFilter(django_filters.FilterSet):  # type: ignore[misc]  # django-filter is untyped
    pipeline = django_filters.ModelChoiceFilter(
        queryset=Pipeline.objects.all(), help_text="Id of a pipeline: only its stages."
    )

    class Meta:
        model = Stage
        fields = ["pipeline"]


@extend_schema_view(
    list=extend_schema(summary="List pipelines", responses={200: PipelineSerializer(many=True), **ERRORS}),
    retrieve=extend_schema(summary="Read a pipeline", responses={200: PipelineSerializer, **ERRORS}),
)
class PipelineViewSet(viewsets.ReadOnlyModelViewSet):  # type: ignore[type-arg]
    """Sales pipelines with their stages (read-only; administrators edit them in the settings).

    For every role that may view opportunities."""

    access_module = Module.SALES
    permission_classes = [IsAuthenticated, ModuleRight]
    serializer_class = PipelineSerializer
    pagination_class = PipelineCursorPagination
    filterset_class = PipelineFilter
    queryset = Pipeline.objects.prefetch_related("stages")


@extend_schema_view(
    list=extend_schema(
        summary="List stages",
        description="Stages in pipeline order; `?pipeline=<id>` for one pipeline's (an unknown id is a 400).",
        responses={200: StageSerializer(many=True), **ERRORS},
    ),
    retrieve=extend_schema(summary="Read a stage", responses={200: StageSerializer, **ERRORS}),
)
class StageViewSet(viewsets.ReadOnlyModelViewSet):  # type: ignore[type-arg]
    """Stages of the sales pipelines, each with its probability and whether it is won or lost (read-only)."""

    access_module = Module.SALES
    permission_classes = [IsAuthenticated, ModuleRight]
    serializer_class = StageSerializer
    pagination_class = StageCursorPagination
    filterset_class = StageFilter
    queryset = Stage.objects.all()
