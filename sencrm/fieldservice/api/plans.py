"""`/api/v1/maintenance-plans/`: periodic maintenance plans (field names are a contract, docs/api.md,
"After-sales"). Create, change, delete (to the trash) through the services of sencrm/fieldservice/plans.py;
`POST …/{id}/end/` ends a plan (its coming visits are dropped). `next_visits` is read-only: the visits
still to come, soonest first. Links to gated records (contact, account, contract, product's customer's
assets) accept only what the caller may view."""

from __future__ import annotations

import datetime as dt
from typing import Any

import django_filters
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from sencrm.catalog.models import Product
from sencrm.commerce.models import Contract
from sencrm.core.api.base import RecordViewSet
from sencrm.core.api.filters import StrictBooleanFilter, StrictOrderingFilter
from sencrm.core.api.serializers import RecordSerializer
from sencrm.core.filters import ScopedFilterSet
from sencrm.customers.models import Account, Contact
from sencrm.events.services import record_delete
from sencrm.fieldservice import plans
from sencrm.fieldservice.models import Asset, MaintenancePlan, Skill
from sencrm.fieldservice.plan_selectors import with_next_visits

MAX_NOTES = 10_000
MAX_ASSETS = 500


class VisitSerializer(serializers.Serializer):  # type: ignore[type-arg]
    id = serializers.IntegerField(read_only=True)
    sequence = serializers.IntegerField(read_only=True)
    due_date = serializers.DateField(read_only=True)
    planned_date = serializers.DateField(read_only=True)
    status = serializers.CharField(read_only=True)
    work_order = serializers.IntegerField(source="work_order_id", read_only=True, allow_null=True)


class MaintenancePlanSerializer(RecordSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:maintenance-plan-detail", read_only=True)
    name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    contact = serializers.PrimaryKeyRelatedField(
        queryset=Contact.objects.all(), allow_null=True, required=False
    )
    account = serializers.PrimaryKeyRelatedField(
        queryset=Account.objects.all(), allow_null=True, required=False
    )
    contract = serializers.PrimaryKeyRelatedField(
        queryset=Contract.objects.all(),
        allow_null=True,
        required=False,
        help_text="A plan under a contract takes its customer and end date, and ends with it.",
    )
    product = serializers.PrimaryKeyRelatedField(
        queryset=Product.objects.all(), allow_null=True, required=False
    )
    assets = serializers.PrimaryKeyRelatedField(
        queryset=Asset.objects.all(),
        many=True,
        required=False,
        help_text="Empty: every installed asset of the customer of the product (or under the contract).",
    )
    interval_months = serializers.IntegerField(min_value=1, max_value=120)
    start_date = serializers.DateField(help_text="The first visit; visit k is due on start + k × interval.")
    end_date = serializers.DateField(allow_null=True, required=False)
    lead_days = serializers.IntegerField(min_value=0, max_value=365, required=False)
    remind_days = serializers.IntegerField(min_value=0, max_value=60, required=False)
    duration_minutes = serializers.IntegerField(min_value=5, max_value=24 * 60, required=False)
    skill = serializers.PrimaryKeyRelatedField(
        queryset=Skill.objects.filter(active=True), allow_null=True, required=False
    )
    notes = serializers.CharField(required=False, allow_blank=True, max_length=MAX_NOTES)
    next_visits = serializers.SerializerMethodField()
    version = serializers.IntegerField(required=False, min_value=1)

    class Meta:
        model = MaintenancePlan
        fields = [
            "id", "url", "name", "contact", "account", "contract", "product", "assets", "interval_months",
            "start_date", "end_date", "lead_days", "remind_days", "duration_minutes", "skill", "notes",
            "active", "ended_at", "ended_reason", "next_visits", "version", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = ["active", "ended_at", "ended_reason", "created_at", "updated_at"]

    def validate_assets(self, value: list[Asset]) -> list[Asset]:
        if len(value) > MAX_ASSETS:
            raise serializers.ValidationError(f"At most {MAX_ASSETS} assets.")
        return value

    @extend_schema_field(VisitSerializer(many=True))
    def get_next_visits(self, plan: MaintenancePlan) -> list[dict[str, Any]]:
        visits = getattr(plan, "next_visits", None)
        if visits is None:
            fresh = with_next_visits(MaintenancePlan.objects.filter(pk=plan.pk)).first()
            visits = getattr(fresh, "next_visits", [])
        return list(VisitSerializer(visits[:3], many=True).data)

    def to_representation(self, instance: Any) -> dict[str, Any]:
        data: dict[str, Any] = super().to_representation(instance)
        data["version"] = instance.version
        return data


class EndSerializer(serializers.Serializer):  # type: ignore[type-arg]
    reason = serializers.CharField(max_length=300)
    on = serializers.DateField(required=False, help_text="Default: today.")


class PlanFilter(ScopedFilterSet):
    """A bad value is a 400; a contact, account or contract outside the caller's scope is refused like
    a missing one."""

    active = StrictBooleanFilter(label=gettext_lazy("Active plans (true) or ended ones (false)."))
    contract = django_filters.ModelChoiceFilter(
        queryset=Contract.objects.all(), label=gettext_lazy("The contract (an id).")
    )
    contact = django_filters.ModelChoiceFilter(
        queryset=Contact.objects.all(), label=gettext_lazy("The contact (an id).")
    )
    account = django_filters.ModelChoiceFilter(
        queryset=Account.objects.all(), label=gettext_lazy("The account (an id).")
    )

    class Meta:
        model = MaintenancePlan
        fields = ["active", "contract", "contact", "account"]


def _delete(plan: MaintenancePlan, *, actor: Any) -> MaintenancePlan:
    return record_delete(plan, actor=actor)


class MaintenancePlanViewSet(RecordViewSet):
    """Maintenance plans: every N months for a customer's assets, visits generated ahead of time."""

    model = MaintenancePlan
    serializer_class = MaintenancePlanSerializer
    filterset_class = PlanFilter
    filter_backends = [DjangoFilterBackend, StrictOrderingFilter]
    ordering_fields = ["start_date", "created_at"]
    ordering = ["-created_at"]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    create_service = staticmethod(plans.plan_create)
    update_service = staticmethod(plans.plan_update)
    delete_service = staticmethod(_delete)

    def get_queryset(self) -> QuerySet[Any]:
        queryset = super().get_queryset().select_related("contact", "account", "contract", "product")
        return with_next_visits(queryset).prefetch_related("assets")

    def service_arguments(self, data: dict[str, Any], *, creating: bool) -> dict[str, Any]:
        if "assets" in data:
            return {"assets": data.pop("assets")}
        return {} if creating else {"assets": None}

    @extend_schema(
        summary="End a maintenance plan",
        description="No more visits from `on` (default today); the plan's planned visits from that day "
        "are dropped; work orders already created stay. Answers the plan.",
        request=EndSerializer,
    )
    @action(detail=True, methods=["post"])
    def end(self, request: Request, pk: str | None = None) -> Response:
        plan = self.get_object()
        body = EndSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        on: dt.date | None = body.validated_data.get("on")
        ended = plans.plan_end(plan, actor=request.user, reason=body.validated_data["reason"], on=on)
        return self.answer(ended)


def register(router: SimpleRouter) -> None:
    router.register("maintenance-plans", MaintenancePlanViewSet, basename="maintenance-plan")
