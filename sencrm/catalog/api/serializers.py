"""The catalogue in the API: `/api/v1/products/` (field names are a contract, see docs/api.md)."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from sencrm.catalog.models import Category, Product
from sencrm.core.api.serializers import RecordSerializer
from sencrm.customers.models import Account


class ProductSerializer(RecordSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:product-detail", read_only=True)
    supplier = serializers.PrimaryKeyRelatedField(
        queryset=Account.objects.filter(is_supplier=True), allow_null=True, required=False
    )
    category = serializers.PrimaryKeyRelatedField(
        queryset=Category.objects.all(), allow_null=True, required=False
    )
    category_path = serializers.SerializerMethodField()
    version = serializers.IntegerField(required=False, min_value=1)

    class Meta:
        model = Product
        fields = [
            "id",
            "url",
            "code",
            "name",
            "unit",
            "kind",
            "list_price",
            "vat_rate",
            "vat_reducible",
            "warranty_months",
            "serialised",
            "maintenance_months",
            "supplier",
            "category",
            "category_path",
            "description",
            "active",
            "owner",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["owner", "created_at", "updated_at"]

    def get_category_path(self, product: Product) -> str:
        return product.category.path if product.category else ""

    def to_representation(self, instance: Any) -> dict[str, Any]:
        data: dict[str, Any] = super().to_representation(instance)
        data["version"] = instance.version
        return data
