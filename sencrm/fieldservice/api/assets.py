"""`/api/v1/assets/`: installed products (field names are a contract, docs/api.md, "After-sales"), through the
gate and the services of sencrm/fieldservice/assets.py, and `GET /api/v1/assets/{id}/warranty/?on=YYYY-MM-DD`:
in or out of warranty on a day, with the rule that decided it. `?format=csv` exports (export scope).

Links to gated records (contact, account, order, contract) accept only what the caller may view: an id
outside the scope is refused with the words of an id that does not exist."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import django_filters
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError as ApiValidationError
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
from sencrm.fieldservice import assets, warranty
from sencrm.fieldservice.models import Asset, AssetStatus, WarrantyRule

ACTIONS["warranty"] = Action.VIEW
MAX_NOTES = 10_000
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


class AssetSerializer(RecordSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:asset-detail", read_only=True)
    product = serializers.PrimaryKeyRelatedField(queryset=Product.objects.all())
    serial_number = serializers.CharField(max_length=80, required=False, allow_blank=True)
    contact = serializers.PrimaryKeyRelatedField(
        queryset=Contact.objects.all(), allow_null=True, required=False
    )
    account = serializers.PrimaryKeyRelatedField(
        queryset=Account.objects.all(), allow_null=True, required=False
    )
    installed_on = serializers.DateField(allow_null=True, required=False)
    warranty_start = serializers.DateField(allow_null=True, required=False)
    warranty_until = serializers.DateField(
        allow_null=True,
        required=False,
        help_text="The last day in warranty (inclusive). Derived from the product and the contract; "
        "sending a date sets it by hand (rule `manual`), sending null goes back to the terms.",
    )
    warranty_rule = serializers.ChoiceField(choices=WarrantyRule.choices, read_only=True)
    warranty_void_reason = serializers.CharField(read_only=True)
    warranty_void_on = serializers.DateField(read_only=True)
    status = serializers.ChoiceField(choices=AssetStatus.choices, required=False)
    order = serializers.PrimaryKeyRelatedField(queryset=Order.objects.all(), allow_null=True, required=False)
    contract = serializers.PrimaryKeyRelatedField(
        queryset=Contract.objects.all(), allow_null=True, required=False
    )
    quantity = serializers.IntegerField(min_value=1, max_value=assets.MAX_QUANTITY, required=False)
    site_street = serializers.CharField(max_length=200, required=False, allow_blank=True)
    site_ward = serializers.CharField(max_length=100, required=False, allow_blank=True)
    site_province = serializers.PrimaryKeyRelatedField(
        queryset=Province.objects.all(), allow_null=True, required=False
    )
    site_contact_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    site_contact_phone = serializers.CharField(max_length=40, required=False, allow_blank=True)
    notes = serializers.CharField(required=False, allow_blank=True, max_length=MAX_NOTES)
    version = serializers.IntegerField(required=False, min_value=1)

    class Meta:
        model = Asset
        fields = [
            "id", "url", "product", "serial_number", "contact", "account", "installed_on", "warranty_start",
            "warranty_until", "warranty_rule", "warranty_void_reason", "warranty_void_on", "status", "order",
            "contract", "quantity", "site_street", "site_ward", "site_province", "site_contact_name",
            "site_contact_phone", "notes", "version", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = ["created_at", "updated_at"]

    def to_representation(self, instance: Any) -> dict[str, Any]:
        data: dict[str, Any] = super().to_representation(instance)
        data["version"] = instance.version
        return data


class AssetFilter(ScopedFilterSet):
    """A bad value is a 400; a contact, account or product id outside the caller's scope is refused like a
    missing one."""

    contact = django_filters.ModelChoiceFilter(
        queryset=Contact.objects.all(), label=gettext_lazy("The contact (an id).")
    )
    account = django_filters.ModelChoiceFilter(
        queryset=Account.objects.all(), label=gettext_lazy("The account (an id).")
    )
    product = django_filters.ModelChoiceFilter(
        queryset=Product.objects.all(), label=gettext_lazy("The product (an id).")
    )
    status = django_filters.ChoiceFilter(
        choices=AssetStatus.choices, label=gettext_lazy("The asset's status.")
    )
    serial_number = django_filters.CharFilter(max_length=80, label=gettext_lazy("The exact serial number."))

    class Meta:
        model = Asset
        fields = ["contact", "account", "product", "status", "serial_number"]


def _update(asset: Asset, *, actor: Any, changes: dict[str, Any], version: int | None) -> Asset:
    return assets.asset_update(asset, actor=actor, changes=changes, version=version)


def _delete(asset: Asset, *, actor: Any) -> Asset:
    return assets.asset_delete(asset, actor=actor)


WARRANTY_ANSWER = inline_serializer(
    name="WarrantyCheck",
    fields={
        "in_warranty": serializers.BooleanField(),
        "until": serializers.DateField(allow_null=True),
        "rule": serializers.ChoiceField(choices=WarrantyRule.choices),
        "rule_label": serializers.CharField(),
        "reason": serializers.CharField(),
        "on": serializers.DateField(),
    },
)


class AssetViewSet(RecordViewSet):
    """Installed products (thiết bị đã lắp đặt) at customers' sites, with their warranty."""

    model = Asset
    serializer_class = AssetSerializer
    filterset_class = AssetFilter
    filter_backends = [DjangoFilterBackend, StrictOrderingFilter]
    ordering_fields = ["created_at", "installed_on", "warranty_until"]
    ordering = ["-created_at"]
    create_service = staticmethod(assets.asset_create)
    update_service = staticmethod(_update)
    delete_service = staticmethod(_delete)

    def get_queryset(self) -> QuerySet[Any]:
        return super().get_queryset().select_related("product")

    def service_arguments(self, data: dict[str, Any], *, creating: bool) -> dict[str, Any]:
        return {}  # the owner, when given at creation, is a field the service checks (gate: assignable)

    @extend_schema(
        summary="Is an installed product in warranty on a day?",
        description="`on` defaults to today. The last day of warranty counts as in. `rule` names what "
        "decided: the product's warranty, extended by contract, set by hand, voided (with `reason`), "
        "or none. A date that is not YYYY-MM-DD is a 400.",
        parameters=[OpenApiParameter("on", dt.date, description="The day to check (YYYY-MM-DD).")],
        responses={200: WARRANTY_ANSWER},
    )
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def warranty(self, request: Request, pk: str | None = None) -> Response:
        asset = self.get_object()
        raw = request.query_params.get("on")
        on = timezone.localdate()
        if raw is not None:
            try:
                if not ISO_DATE.fullmatch(raw):
                    raise ValueError(raw)
                on = dt.date.fromisoformat(raw)
            except ValueError:
                raise ApiValidationError({"on": [_("Enter a date as YYYY-MM-DD.")]}) from None
        return Response(warranty.check(asset, on).as_dict())


def register(router: SimpleRouter) -> None:
    router.register("assets", AssetViewSet, basename="asset")
