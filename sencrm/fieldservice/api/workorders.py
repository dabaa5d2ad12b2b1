"""`/api/v1/work-orders/`: work orders (phiếu công việc; field names are a contract, docs/api.md,
"After-sales") through the gate and the services of sencrm/fieldservice/services.py, with the actions of a
job: `schedule/` (book or unassign: dispatchers), `transition/`, `parts/`, `checks/{id}/`, `photos/`,
`signature/` and the service report `report/` (PDF). `?format=csv` exports (export scope).

Links to gated records accept only what the caller may view: an id outside the scope is refused with the
words of an id that does not exist."""

from __future__ import annotations

from typing import Any

import django_filters
from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.http import HttpResponse
from django.utils.translation import gettext_lazy
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError as ApiValidationError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from sencrm.catalog.models import Product
from sencrm.commerce.models import Contract, Order
from sencrm.core.api.base import ACTIONS, RecordViewSet
from sencrm.core.api.filters import StrictOrderingFilter
from sencrm.core.api.serializers import RecordSerializer
from sencrm.core.filters import ScopedFilterSet
from sencrm.core.modules import Action
from sencrm.customers.models import Account, Contact, Province
from sencrm.documents.pdf import pdf_response, safe_filename
from sencrm.fieldservice import report, services
from sencrm.fieldservice.models import Asset, WorkKind, WorkOrder, WorkOrderPart, WorkStatus
from sencrm.support.models import Ticket

for _name in ("schedule", "transition", "parts", "checks", "photos", "signature"):
    ACTIONS[_name] = Action.EDIT
ACTIONS["report"] = Action.VIEW
MAX_TEXT = 10_000


class PartSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    class Meta:
        model = WorkOrderPart
        fields = ["id", "product", "quantity", "chargeable", "unit_price", "asset"]


class WorkOrderSerializer(RecordSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:work-order-detail", read_only=True)
    number = serializers.CharField(read_only=True)
    kind = serializers.ChoiceField(choices=WorkKind.choices, required=False)
    status = serializers.ChoiceField(
        choices=WorkStatus.choices, read_only=True, help_text="Changed through `transition/`."
    )
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, max_length=MAX_TEXT)
    assets = serializers.PrimaryKeyRelatedField(
        queryset=Asset.objects.all(), many=True, required=False, help_text="Installed products (ids)."
    )
    technician = serializers.PrimaryKeyRelatedField(
        queryset=get_user_model().objects.filter(technician__isnull=False),
        allow_null=True,
        required=False,
        help_text="The technician's user id (set at creation, or through `schedule/`).",
    )
    scheduled_start = serializers.DateTimeField(allow_null=True, required=False)
    scheduled_end = serializers.DateTimeField(allow_null=True, required=False)
    contact = serializers.PrimaryKeyRelatedField(
        queryset=Contact.objects.all(), allow_null=True, required=False
    )
    account = serializers.PrimaryKeyRelatedField(
        queryset=Account.objects.all(), allow_null=True, required=False
    )
    ticket = serializers.PrimaryKeyRelatedField(
        queryset=Ticket.objects.all(), allow_null=True, required=False
    )
    order = serializers.PrimaryKeyRelatedField(queryset=Order.objects.all(), allow_null=True, required=False)
    contract = serializers.PrimaryKeyRelatedField(
        queryset=Contract.objects.all(), allow_null=True, required=False
    )
    parts = PartSerializer(many=True, read_only=True)
    signed_at = serializers.DateTimeField(read_only=True)
    signed_by = serializers.CharField(read_only=True)
    site_street = serializers.CharField(max_length=200, required=False, allow_blank=True)
    site_ward = serializers.CharField(max_length=100, required=False, allow_blank=True)
    site_province = serializers.PrimaryKeyRelatedField(
        queryset=Province.objects.all(), allow_null=True, required=False
    )
    site_contact_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    site_contact_phone = serializers.CharField(max_length=40, required=False, allow_blank=True)
    chargeable = serializers.BooleanField(required=False)
    result_notes = serializers.CharField(required=False, allow_blank=True, max_length=MAX_TEXT)
    minutes_spent = serializers.IntegerField(read_only=True)
    started_at = serializers.DateTimeField(read_only=True)
    finished_at = serializers.DateTimeField(read_only=True)
    invoice: Any = serializers.PrimaryKeyRelatedField(read_only=True)
    version = serializers.IntegerField(required=False, min_value=1)

    class Meta:
        model = WorkOrder
        fields = [
            "id", "url", "number", "kind", "status", "title", "description", "assets", "technician",
            "scheduled_start", "scheduled_end", "contact", "account", "ticket", "order", "contract", "parts",
            "signed_at", "signed_by", "site_street", "site_ward", "site_province", "site_contact_name",
            "site_contact_phone", "chargeable", "result_notes", "minutes_spent", "started_at", "finished_at",
            "invoice", "version", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = ["created_at", "updated_at"]

    def to_representation(self, instance: Any) -> dict[str, Any]:
        data: dict[str, Any] = super().to_representation(instance)
        data["version"] = instance.version
        return data


class WorkOrderFilter(ScopedFilterSet):
    status = django_filters.ChoiceFilter(choices=WorkStatus.choices, label=gettext_lazy("The status."))
    kind = django_filters.ChoiceFilter(choices=WorkKind.choices, label=gettext_lazy("The work type."))
    technician = django_filters.NumberFilter(
        field_name="technician_id", label=gettext_lazy("The technician (a user id).")
    )
    contact = django_filters.ModelChoiceFilter(
        queryset=Contact.objects.all(), label=gettext_lazy("The contact (an id).")
    )
    account = django_filters.ModelChoiceFilter(
        queryset=Account.objects.all(), label=gettext_lazy("The account (an id).")
    )
    scheduled_from = django_filters.IsoDateTimeFilter(
        field_name="scheduled_start",
        lookup_expr="gte",
        label=gettext_lazy("Booked to start at or after (ISO 8601)."),
    )
    scheduled_to = django_filters.IsoDateTimeFilter(
        field_name="scheduled_start",
        lookup_expr="lt",
        label=gettext_lazy("Booked to start before (ISO 8601)."),
    )

    class Meta:
        model = WorkOrder
        fields = ["status", "kind", "technician", "contact", "account", "scheduled_from", "scheduled_to"]


class ScheduleSerializer(serializers.Serializer):  # type: ignore[type-arg]
    technician = serializers.PrimaryKeyRelatedField(
        queryset=get_user_model().objects.filter(technician__isnull=False), allow_null=True
    )
    scheduled_start = serializers.DateTimeField(allow_null=True)
    scheduled_end = serializers.DateTimeField(allow_null=True)
    version = serializers.IntegerField(required=False, min_value=1)


class TransitionSerializer(serializers.Serializer):  # type: ignore[type-arg]
    status = serializers.ChoiceField(choices=WorkStatus.choices)
    reason = serializers.CharField(required=False, allow_blank=True, max_length=300)
    result_notes = serializers.CharField(required=False, allow_blank=True, max_length=MAX_TEXT)
    minutes_spent = serializers.IntegerField(required=False, min_value=0, max_value=7 * 24 * 60)
    version = serializers.IntegerField(required=False, min_value=1)


class PartInSerializer(serializers.Serializer):  # type: ignore[type-arg]
    product = serializers.PrimaryKeyRelatedField(queryset=Product.objects.all())
    quantity = serializers.DecimalField(max_digits=12, decimal_places=3)
    asset = serializers.PrimaryKeyRelatedField(queryset=Asset.objects.all(), allow_null=True, required=False)
    chargeable = serializers.BooleanField(required=False, allow_null=True, default=None)


class CheckSerializer(serializers.Serializer):  # type: ignore[type-arg]
    done = serializers.BooleanField()
    note = serializers.CharField(required=False, allow_blank=True, max_length=300)


class PhotoSerializer(serializers.Serializer):  # type: ignore[type-arg]
    photo = serializers.FileField()
    caption = serializers.CharField(required=False, allow_blank=True, max_length=200)


class SignatureSerializer(serializers.Serializer):  # type: ignore[type-arg]
    image = serializers.CharField(help_text="The drawn signature as a `data:image/png;base64,…` URL.")
    signed_by = serializers.CharField(max_length=150)


def _create(*, actor: Any, data: dict[str, Any], assets: list[Asset] | None = None) -> WorkOrder:
    return services.work_order_create(actor=actor, data=data, assets=assets or [])


def _update(wo: WorkOrder, *, actor: Any, changes: dict[str, Any], version: int | None) -> WorkOrder:
    for name in ("technician", "scheduled_start", "scheduled_end", "assets", "kind"):
        if name in changes:
            raise ApiValidationError(
                {name: [gettext_lazy("Book or reassign through schedule/; the work type and assets stay.")]}
            )
    return services.work_order_update(wo, actor=actor, changes=changes, version=version)


def _delete(wo: WorkOrder, *, actor: Any) -> WorkOrder:
    from sencrm.events.services import record_delete

    return record_delete(wo, actor=actor)


class WorkOrderViewSet(RecordViewSet):
    """Work orders (phiếu công việc): install, repair, warranty repair, maintenance at a customer's site."""

    model = WorkOrder
    serializer_class = WorkOrderSerializer
    filterset_class = WorkOrderFilter
    filter_backends = [DjangoFilterBackend, StrictOrderingFilter]
    ordering_fields = ["created_at", "scheduled_start", "number"]
    ordering = ["-created_at"]
    parser_classes = [JSONParser, FormParser, MultiPartParser]
    create_service = staticmethod(_create)
    update_service = staticmethod(_update)
    delete_service = staticmethod(_delete)

    def get_queryset(self) -> QuerySet[Any]:
        return super().get_queryset().prefetch_related("assets", "parts")

    def service_arguments(self, data: dict[str, Any], *, creating: bool) -> dict[str, Any]:
        return {"assets": data.pop("assets", [])} if creating else {}

    @extend_schema(
        summary="Book, reassign or unassign a work order",
        description="For dispatchers (field service create right). `technician` and `scheduled_start` null: "
        "back to waiting. Refused with a 400 naming the reason: double booking, too little travel time "
        "between sites, an absence, an inactive technician, a work order no longer scheduled.",
        request=ScheduleSerializer,
        responses={200: WorkOrderSerializer},
    )
    @action(detail=True, methods=["post"])
    def schedule(self, request: Request, pk: str | None = None) -> Response:
        wo = self.get_object()
        body = ScheduleSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        booked = services.work_order_schedule(
            wo,
            actor=request.user,
            technician=data["technician"],
            start=data["scheduled_start"],
            end=data["scheduled_end"],
            version=data.get("version"),
        )
        return self.answer(booked)

    @extend_schema(
        summary="Move a work order to a status",
        description="scheduled → on_the_way → in_progress → done / failed; scheduled → cancelled. "
        "`failed` and `cancelled` need a `reason`; `done` takes `result_notes` and `minutes_spent`. "
        "A move the map does not allow is a 400 naming both statuses.",
        request=TransitionSerializer,
        responses={200: WorkOrderSerializer},
    )
    @action(detail=True, methods=["post"])
    def transition(self, request: Request, pk: str | None = None) -> Response:
        wo = self.get_object()
        body = TransitionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        if data["status"] == WorkStatus.DONE:
            moved = services.work_order_finish(
                wo,
                actor=request.user,
                result_notes=data.get("result_notes", ""),
                minutes_spent=data.get("minutes_spent"),
                version=data.get("version"),
            )
        else:
            moved = services.work_order_transition(
                wo,
                actor=request.user,
                status=data["status"],
                reason=data.get("reason", ""),
                version=data.get("version"),
            )
        return self.answer(moved)

    @extend_schema(
        summary="Add a part used",
        description="Free when its installed product is in warranty (or the job is a warranty repair), "
        "else chargeable at the product's list price; chargeable parts go on the invoice when done.",
        request=PartInSerializer,
        responses={201: WorkOrderSerializer},
    )
    @action(detail=True, methods=["post"])
    def parts(self, request: Request, pk: str | None = None) -> Response:
        wo = self.get_object()
        body = PartInSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        services.work_order_add_part(
            wo,
            actor=request.user,
            product=data["product"],
            quantity=data["quantity"],
            asset=data.get("asset"),
            chargeable=data.get("chargeable"),
        )
        return self.answer(wo, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Tick or untick a checklist step",
        request=CheckSerializer,
        responses={200: WorkOrderSerializer},
    )
    @action(detail=True, methods=["post"], url_path=r"checks/(?P<check_id>\d+)")
    def checks(self, request: Request, pk: str | None = None, check_id: str = "") -> Response:
        wo = self.get_object()
        body = CheckSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.work_order_set_check(
            wo,
            actor=request.user,
            check_id=int(check_id),
            done=body.validated_data["done"],
            note=body.validated_data.get("note", ""),
        )
        return self.answer(wo)

    @extend_schema(
        summary="Add a photo (multipart)",
        description="A JPEG, PNG or WebP image (checked by its content, re-encoded); anything else is a 400.",
        request={"multipart/form-data": PhotoSerializer},
        responses={201: WorkOrderSerializer},
    )
    @action(detail=True, methods=["post"])
    def photos(self, request: Request, pk: str | None = None) -> Response:
        wo = self.get_object()
        body = PhotoSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.work_order_add_photo(
            wo,
            actor=request.user,
            upload=body.validated_data["photo"],
            caption=body.validated_data.get("caption", ""),
        )
        return self.answer(wo, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Record the customer's signature",
        description="The PNG drawn on the technician's screen, with the signer's name; stored with the time.",
        request=SignatureSerializer,
        responses={200: WorkOrderSerializer},
    )
    @action(detail=True, methods=["post"])
    def signature(self, request: Request, pk: str | None = None) -> Response:
        wo = self.get_object()
        body = SignatureSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.work_order_sign(
            wo,
            actor=request.user,
            image=body.validated_data["image"],
            signed_by=body.validated_data["signed_by"],
        )
        return self.answer(wo)

    @extend_schema(
        summary="The service report (PDF)",
        description="The work order's report with its assets, checklist, parts, result and signature.",
        responses={(200, "application/pdf"): OpenApiTypes.BINARY},
    )
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def report(self, request: Request, pk: str | None = None) -> HttpResponse:
        wo = self.get_object()
        return pdf_response(report.service_report_pdf(wo), filename=safe_filename(f"{wo.number}.pdf"))


def register(router: SimpleRouter) -> None:
    router.register("work-orders", WorkOrderViewSet, basename="work-order")
