"""Quotes, orders and contracts in the API (field names are a contract, see docs/api.md).

Amounts are decimal strings; totals are computed by the services (sencrm/commerce/totals.py) and
read-only here. A quote's `version` is its version number (v1, v2…); the edit counter that guards
against lost updates is `edit_version` on documents that have versions, `version` elsewhere.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from rest_framework import serializers

from sencrm.catalog.models import Product
from sencrm.commerce.models import Contract, Order, Quote
from sencrm.core.api.serializers import RecordSerializer, ScopedRelationsMixin
from sencrm.core.money import amount_in_words
from sencrm.core.vat import VatRate
from sencrm.customers.models import Account, Contact, CustomerGroup
from sencrm.sales.models import Opportunity
from sencrm.users.models import User

MONEY = {"max_digits": 18, "decimal_places": 0}


class LineSerializer(ScopedRelationsMixin, serializers.Serializer):  # type: ignore[type-arg]
    id = serializers.IntegerField(read_only=True)
    section = serializers.CharField(required=False, allow_blank=True, max_length=120)
    product = serializers.PrimaryKeyRelatedField(
        queryset=Product.objects.all(), allow_null=True, required=False
    )
    description = serializers.CharField(required=False, allow_blank=True, max_length=500)
    unit = serializers.CharField(required=False, allow_blank=True, max_length=20)
    quantity = serializers.DecimalField(max_digits=15, decimal_places=3, min_value=0)
    unit_price = serializers.DecimalField(**MONEY, required=False, allow_null=True)  # type: ignore[arg-type]
    discount_percent = serializers.DecimalField(
        max_digits=5, decimal_places=2, required=False, default=Decimal(0)
    )
    discount_amount = serializers.DecimalField(**MONEY, required=False, default=Decimal(0))  # type: ignore[arg-type]
    vat_rate = serializers.ChoiceField(choices=VatRate.choices, required=False, allow_null=True)
    vat_reducible = serializers.BooleanField(required=False, allow_null=True, default=None)
    amount = serializers.DecimalField(**MONEY, read_only=True)  # type: ignore[arg-type]
    vat_amount = serializers.DecimalField(**MONEY, read_only=True)  # type: ignore[arg-type]


class PromotedLineSerializer(LineSerializer):
    """A quote's or order's line: the promotion's discount on it, or the gift line it added."""

    promotion_discount = serializers.DecimalField(**MONEY, read_only=True)  # type: ignore[arg-type]
    promotion_gift = serializers.BooleanField(
        required=False,
        default=False,
        help_text="A gift the promotion added (at price 0). Sent back in `lines`, it is left out: the "
        "promotion adds it again.",
    )


class OrderLineSerializer(PromotedLineSerializer):
    supplier = serializers.IntegerField(source="supplier_id", read_only=True, allow_null=True)
    delivery_date = serializers.DateField(required=False, allow_null=True)
    delivered_quantity = serializers.DecimalField(max_digits=15, decimal_places=3, read_only=True)


class DocumentSerializer(RecordSerializer):
    """What quotes, orders and contracts share; `lines` is written whole (it replaces the lines)."""

    contact = serializers.PrimaryKeyRelatedField(
        queryset=Contact.objects.all(), allow_null=True, required=False
    )
    account = serializers.PrimaryKeyRelatedField(
        queryset=Account.objects.all(), allow_null=True, required=False
    )
    owner = serializers.PrimaryKeyRelatedField(queryset=User.objects.filter(is_active=True), required=False)
    lines = LineSerializer(many=True, required=False)
    total_in_words = serializers.SerializerMethodField()
    warnings = serializers.SerializerMethodField()

    MONEY_FIELDS = ["subtotal", "discount_total", "vat_total", "total"]
    COMMON = [
        "id",
        "url",
        "number",
        "contact",
        "account",
        "owner",
        "issue_date",
        "discount_percent",
        "discount_amount",
        "lines",
        "subtotal",
        "discount_total",
        "vat_total",
        "total",
        "total_in_words",
        "currency",
        "notes",
        "warnings",
        "created_at",
        "updated_at",
    ]
    READ_ONLY = ["number", "currency", *MONEY_FIELDS, "created_at", "updated_at"]

    def get_total_in_words(self, document: Any) -> str:
        return amount_in_words(document.total)

    def get_warnings(self, document: Any) -> list[dict[str, str]]:
        return [w.as_dict() for w in getattr(document, "warnings", [])]


PROMOTION_CODE_HELP = (
    "The customer's promotion code (any case; empty: none, the automatic promotions apply). A code that "
    'does not apply is a 400 with the reason: {"errors": {"promotion_code": ["…"]}}.'
)


class PromotedFields(serializers.Serializer):  # type: ignore[type-arg]
    """What quotes and orders add: the promotion typed and what it gave (docs/api.md, "Promotions")."""

    promotion_code = serializers.CharField(
        required=False, allow_blank=True, max_length=60, help_text=PROMOTION_CODE_HELP
    )
    promotion_name = serializers.CharField(
        read_only=True, help_text="The promotion applied (code or automatic)."
    )
    promotion_discount = serializers.DecimalField(**MONEY, read_only=True)  # type: ignore[arg-type]

    PROMOTION = ["promotion_code", "promotion_name", "promotion_discount"]


class QuoteSerializer(PromotedFields, DocumentSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:quote-detail", read_only=True)
    lines = PromotedLineSerializer(many=True, required=False)
    opportunity = serializers.PrimaryKeyRelatedField(
        queryset=Opportunity.objects.all(), allow_null=True, required=False
    )
    version = serializers.IntegerField(source="revision", read_only=True)
    edit_version = serializers.IntegerField(required=False, min_value=1)
    previous: Any = serializers.PrimaryKeyRelatedField(read_only=True)

    class Meta:
        model = Quote
        fields = [
            *DocumentSerializer.COMMON,
            "opportunity",
            "status",
            "version",
            "previous",
            "valid_until",
            "sent_at",
            "decided_at",
            *PromotedFields.PROMOTION,
            "edit_version",
        ]
        read_only_fields = [*DocumentSerializer.READ_ONLY, "status", "sent_at", "decided_at"]

    def to_representation(self, instance: Any) -> dict[str, Any]:
        data: dict[str, Any] = super().to_representation(instance)
        data["edit_version"] = instance.version
        return data


class OrderSerializer(PromotedFields, DocumentSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:order-detail", read_only=True)
    opportunity = serializers.PrimaryKeyRelatedField(
        queryset=Opportunity.objects.all(), allow_null=True, required=False
    )
    contract = serializers.PrimaryKeyRelatedField(
        queryset=Contract.objects.all(), allow_null=True, required=False
    )
    quote: Any = serializers.PrimaryKeyRelatedField(read_only=True)
    lines = OrderLineSerializer(many=True, required=False)
    version = serializers.IntegerField(required=False, min_value=1)

    class Meta:
        model = Order
        fields = [
            *DocumentSerializer.COMMON,
            "status",
            "quote",
            "opportunity",
            "contract",
            "delivery_date",
            "delivery_address",
            "confirmed_at",
            "cancelled_reason",
            *PromotedFields.PROMOTION,
            "version",
        ]
        read_only_fields = [*DocumentSerializer.READ_ONLY, "status", "confirmed_at", "cancelled_reason"]

    def to_representation(self, instance: Any) -> dict[str, Any]:
        data: dict[str, Any] = super().to_representation(instance)
        data["version"] = instance.version
        return data


class ContractSerializer(DocumentSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:contract-detail", read_only=True)
    customer_group = serializers.PrimaryKeyRelatedField(
        queryset=CustomerGroup.objects.all(), allow_null=True, required=False
    )
    opportunity = serializers.PrimaryKeyRelatedField(
        queryset=Opportunity.objects.all(), allow_null=True, required=False
    )
    ordered_total = serializers.DecimalField(**MONEY, read_only=True)  # type: ignore[arg-type]
    signed_file = serializers.SerializerMethodField()
    version = serializers.IntegerField(required=False, min_value=1)

    class Meta:
        model = Contract
        fields = [
            *DocumentSerializer.COMMON,
            "name",
            "customer_group",
            "opportunity",
            "start_date",
            "end_date",
            "status",
            "signed_at",
            "terminated_reason",
            "billing_schedule",
            "warranty_months",
            "ordered_total",
            "signed_file",
            "version",
        ]
        read_only_fields = [*DocumentSerializer.READ_ONLY, "status", "signed_at", "terminated_reason"]

    def get_signed_file(self, contract: Contract) -> str:
        return contract.signed_file_name

    def to_representation(self, instance: Any) -> dict[str, Any]:
        data: dict[str, Any] = super().to_representation(instance)
        data["version"] = instance.version
        return data


class DeliverySerializer(serializers.Serializer):  # type: ignore[type-arg]
    """`POST /api/v1/orders/{id}/deliveries/`:
    {"delivered_on": "2026-12-03", "lines": [{"line": id, "quantity": "2"}]}."""

    delivered_on = serializers.DateField()
    note = serializers.CharField(required=False, allow_blank=True, max_length=300)
    lines = serializers.ListField(child=serializers.DictField(), min_length=1, max_length=500)


class ReasonSerializer(serializers.Serializer):  # type: ignore[type-arg]
    reason = serializers.CharField(required=False, allow_blank=True, max_length=300)
    version = serializers.IntegerField(required=False, min_value=1)
