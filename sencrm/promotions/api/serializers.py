"""Promotions in the API (field names are a contract: docs/api.md, "Promotions").

`value` is a percent (`kind` = `percent`, 0–100) or an amount in whole VND (`amount`); a `gift` gives
`gift_quantity` of `gift_product` instead. `uses` and `discount_given` are read-only results.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _
from rest_framework import serializers

from sencrm.catalog.models import Category, Product
from sencrm.core.api.serializers import RecordSerializer
from sencrm.customers.models import CustomerGroup
from sencrm.marketing.models import Campaign
from sencrm.promotions.choices import PromotionKind
from sencrm.promotions.models import MAX_AMOUNT, MAX_LIMIT, Promotion
from sencrm.users.models import User

MONEY = {"max_digits": 18, "decimal_places": 0, "coerce_to_string": True}
MAX_LINKS = 1000


class PromotionSerializer(RecordSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:promotion-detail", read_only=True)
    code = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=60,
        help_text="Letters A–Z, digits, - and _ (stored upper-case, unique among live promotions); "
        "empty: an automatic promotion, applied whenever its rules hold.",
    )
    kind = serializers.ChoiceField(choices=PromotionKind.choices)
    value = serializers.DecimalField(
        max_digits=18,
        decimal_places=2,
        required=False,
        coerce_to_string=True,
        help_text="percent: 0–100 (two decimals); amount: whole VND; gift: not used (0).",
    )
    gift_product = serializers.PrimaryKeyRelatedField(
        queryset=Product.objects.all(), allow_null=True, required=False
    )
    gift_quantity = serializers.DecimalField(
        max_digits=15, decimal_places=3, required=False, coerce_to_string=True
    )
    products = serializers.PrimaryKeyRelatedField(
        queryset=Product.objects.all(), many=True, required=False, help_text="Empty: every product."
    )
    categories = serializers.PrimaryKeyRelatedField(
        queryset=Category.objects.all(),
        many=True,
        required=False,
        help_text="Their sub-categories included; empty (with no products): every line.",
    )
    customer_groups = serializers.PrimaryKeyRelatedField(
        queryset=CustomerGroup.objects.all(), many=True, required=False, help_text="Empty: every customer."
    )
    min_order = serializers.DecimalField(
        **MONEY,  # type: ignore[arg-type]
        required=False,
        min_value=Decimal(0),
        max_value=MAX_AMOUNT,
        help_text="The lines' net (after their own discounts, before VAT) the document must reach.",
    )
    valid_from = serializers.DateField(required=False, allow_null=True)
    valid_until = serializers.DateField(required=False, allow_null=True, help_text="Included.")
    usage_limit = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=MAX_LIMIT, help_text="Null: no limit."
    )
    per_customer_limit = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=MAX_LIMIT, help_text="Null: no limit."
    )
    campaign = serializers.PrimaryKeyRelatedField(
        queryset=Campaign.objects.all(), allow_null=True, required=False
    )
    owner = serializers.PrimaryKeyRelatedField(queryset=User.objects.filter(is_active=True), required=False)
    uses = serializers.IntegerField(
        source="uses_count", read_only=True, help_text="Live uses on orders (not cancelled, not trashed)."
    )
    discount_given = serializers.DecimalField(
        **MONEY,  # type: ignore[arg-type]
        read_only=True,
        help_text="The savings of those uses: lines' discounts plus gifts at their list price.",
    )
    version = serializers.IntegerField(required=False, min_value=1)

    class Meta:
        model = Promotion
        fields = [
            "id", "url", "code", "name", "kind", "value", "gift_product", "gift_quantity", "products",
            "categories", "customer_groups", "min_order", "valid_from", "valid_until", "usage_limit",
            "per_customer_limit", "uses", "discount_given", "active", "campaign", "description", "owner",
            "team", "version", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = ["team", "created_at", "updated_at"]
        # The code's uniqueness is the service's (among live promotions, upper-case).
        validators: list[Any] = []

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        for name in ("products", "categories", "customer_groups"):
            if len(attrs.get(name) or []) > MAX_LINKS:
                raise serializers.ValidationError({name: [_("At most %(max)s.") % {"max": MAX_LINKS}]})
        return attrs

    def to_representation(self, instance: Any) -> dict[str, Any]:
        data: dict[str, Any] = super().to_representation(instance)
        data["version"] = instance.version
        return data


class ResultsSerializer(serializers.Serializer):  # type: ignore[type-arg]
    uses = serializers.IntegerField()
    discount_given = serializers.DecimalField(**MONEY)  # type: ignore[arg-type]
    revenue = serializers.DecimalField(**MONEY)  # type: ignore[arg-type]
    new_customers = serializers.IntegerField()
