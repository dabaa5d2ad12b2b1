from __future__ import annotations

from typing import Any

from django.db import models
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

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
    filterset_class = ProductFilter
    filter_backends = [DjangoFilterBackend, StrictOrderingFilter]
    ordering_fields = ["code", "name", "list_price", "created_at", "updated_at"]
    ordering = ["code"]

    def get_queryset(self) -> models.QuerySet[Any]:
        qs = super().get_queryset().select_related("category")
        search = self.request.query_params.get("search", "").strip()[:100] if self.action == "list" else ""
        return product_search_filter(qs, search) if search else qs

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        data.pop("version", None)
        product = services.product_create(actor=request.user, data=data)
        return Response(self.get_serializer(product).data, status=status.HTTP_201_CREATED)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        product = self.get_object()
        serializer = self.get_serializer(product, data=request.data, partial=kwargs.get("partial", False))
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        version = data.pop("version", None)
        product = services.product_update(product, actor=request.user, changes=data, version=version)
        return Response(self.get_serializer(product).data)

    def perform_destroy(self, instance: Product) -> None:
        services.product_delete(instance, actor=self.request.user)
