from __future__ import annotations

from typing import Any

from django.db import models
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view

from sencrm.catalog import services
from sencrm.catalog.api.serializers import ProductSerializer
from sencrm.catalog.filters import ProductFilter
from sencrm.catalog.models import Product
from sencrm.catalog.selectors import product_search_filter
from sencrm.core.api.base import RecordViewSet
from sencrm.core.api.filters import StrictOrderingFilter


@extend_schema_view(
    list=extend_schema(parameters=[OpenApiParameter("search", str, description="Words in the code or name.")])
)
class ProductViewSet(RecordViewSet):
    """Products and services of the catalogue, with their list price in VND and their VAT rate."""

    model = Product
    serializer_class = ProductSerializer
    create_service = staticmethod(services.product_create)
    update_service = staticmethod(services.product_update)
    delete_service = staticmethod(services.product_delete)

    def service_arguments(self, data: dict[str, Any], *, creating: bool) -> dict[str, Any]:
        return {}  # the catalogue is shared: a product's owner is whoever created it

    filterset_class = ProductFilter
    filter_backends = [DjangoFilterBackend, StrictOrderingFilter]
    ordering_fields = ["code", "name", "list_price", "created_at", "updated_at"]
    ordering = ["code"]

    def get_queryset(self) -> models.QuerySet[Any]:
        qs = super().get_queryset().select_related("category")
        search = self.request.query_params.get("search", "").strip()[:100] if self.action == "list" else ""
        return product_search_filter(qs, search) if search else qs
