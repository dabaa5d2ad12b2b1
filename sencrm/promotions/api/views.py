"""`/api/v1/promotions/` (CRUD through the gate) and `GET /api/v1/promotions/{id}/results/`."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db import models
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from sencrm.core.api.base import ACTIONS, RecordViewSet
from sencrm.core.api.filters import StrictOrderingFilter
from sencrm.core.filters import ScopedFilterSet
from sencrm.core.modules import Action
from sencrm.promotions import selectors, services
from sencrm.promotions.api.serializers import PromotionSerializer, ResultsSerializer
from sencrm.promotions.choices import PromotionKind
from sencrm.promotions.models import Promotion

ACTIONS["results"] = Action.VIEW


class PromotionFilter(ScopedFilterSet):
    kind = django_filters.ChoiceFilter(choices=PromotionKind.choices)
    code = django_filters.CharFilter(method="filter_code", max_length=60, label="The code (any case).")
    q = django_filters.CharFilter(method="filter_q", max_length=100, label="Words of the code or the name.")
    valid_on = django_filters.DateFilter(method="filter_valid_on", label="Promotions valid on this day.")
    active = django_filters.BooleanFilter(label="Running (true) or paused (false).")

    class Meta:
        model = Promotion
        fields = ["kind", "campaign", "owner"]

    def filter_code(self, queryset: models.QuerySet[Any], name: str, value: str) -> Any:
        return queryset.filter(code=services.normalise_code(value)) if value else queryset

    def filter_q(self, queryset: models.QuerySet[Any], name: str, value: str) -> Any:
        return selectors.promotion_filter(queryset, query=value) if value else queryset

    def filter_valid_on(self, queryset: models.QuerySet[Any], name: str, value: Any) -> Any:
        return selectors.promotion_filter(queryset, state="running", today=value) if value else queryset


class PromotionViewSet(RecordViewSet):
    """Promotions (chương trình khuyến mãi): a code or an automatic rule; a percent or an amount off, or a
    gift; for some products, categories and customer groups; a minimum order; dates; limits in all and
    per customer. Quotes and orders take one through their `promotion_code`."""

    model = Promotion
    serializer_class = PromotionSerializer
    filterset_class = PromotionFilter
    filter_backends = [DjangoFilterBackend, StrictOrderingFilter]
    ordering_fields = ["valid_from", "valid_until", "name", "code", "created_at"]
    create_service = staticmethod(services.promotion_create)
    update_service = staticmethod(services.promotion_update)
    delete_service = staticmethod(services.promotion_delete)

    def get_queryset(self) -> models.QuerySet[Any]:
        return (
            selectors.with_uses(super().get_queryset())
            .select_related("owner")
            .prefetch_related("products", "categories", "customer_groups")
            .order_by("-id")
        )

    @extend_schema(
        summary="A promotion's results",
        description="Uses (live orders), the discount given, the revenue of those orders (totals, VAT "
        "included) and the new customers (whose first order used it).",
        responses={200: ResultsSerializer},
    )
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def results(self, request: Request, pk: str | None = None) -> Response:
        promotion = self.get_object()
        figures = selectors.promotion_results([promotion.pk])[promotion.pk]
        return Response(
            ResultsSerializer(
                {
                    "uses": figures.uses,
                    "discount_given": figures.discount,
                    "revenue": figures.revenue,
                    "new_customers": figures.new_customers,
                }
            ).data
        )
