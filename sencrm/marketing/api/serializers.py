"""Campaigns and their costs in the API (field names are a contract: docs/api.md). Amounts are decimal
strings in whole VND; `cost_total` is the sum of the cost entries (read-only)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _
from rest_framework import serializers

from sencrm.core.api.serializers import RecordSerializer
from sencrm.marketing.models import Campaign, CampaignCost
from sencrm.users.models import User

MAX_AMOUNT = Decimal(10) ** 15 - 1


class WholeVndField(serializers.DecimalField):
    """An amount in whole VND: "1500000", 1500000 (no decimals, not negative)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", Decimal(0))
        kwargs.setdefault("max_value", MAX_AMOUNT)
        super().__init__(max_digits=18, decimal_places=0, coerce_to_string=True, **kwargs)

    def to_internal_value(self, data: Any) -> Decimal:
        if isinstance(data, bool):
            self.fail("invalid")
        if isinstance(data, str | int | float) and str(data).strip():
            try:
                value = Decimal(str(data).strip())
            except ArithmeticError:
                self.fail("invalid")
            if value.is_finite() and value != value.to_integral_value():
                raise serializers.ValidationError(_("Amounts are in whole VND: no decimals."))
        result: Decimal = super().to_internal_value(data)
        return result


class CampaignSerializer(RecordSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:campaign-detail", read_only=True)
    owner = serializers.PrimaryKeyRelatedField(queryset=User.objects.filter(is_active=True), required=False)
    budget = WholeVndField(required=False)
    cost_total = serializers.DecimalField(
        max_digits=18, decimal_places=0, read_only=True, coerce_to_string=True
    )
    version = serializers.IntegerField(required=False, min_value=1)

    class Meta:
        model = Campaign
        fields = [
            "id", "url", "name", "channel", "start_date", "end_date", "budget", "utm_source", "utm_medium",
            "utm_campaign", "cost_total", "description", "contact_channel", "owner", "team", "version",
            "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = ["team", "created_at", "updated_at"]
        # The UTM triple's uniqueness is the service's (among live campaigns): no model validator here.
        validators: list[Any] = []

    def to_representation(self, instance: Any) -> dict[str, Any]:
        data: dict[str, Any] = super().to_representation(instance)
        data["version"] = instance.version
        return data


class CampaignCostSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    amount = WholeVndField()
    by_month = serializers.BooleanField(
        write_only=True, required=False, default=False,
        help_text="The cost of the whole month of `date` (stored on its first day).",
    )  # fmt: skip

    class Meta:
        model = CampaignCost
        fields = ["id", "date", "amount", "origin", "source_file", "by_month", "created_at"]
        read_only_fields = ["origin", "source_file", "created_at"]
        validators: list[Any] = []


class CostImportSerializer(serializers.Serializer):  # type: ignore[type-arg]
    file = serializers.FileField(help_text="The Facebook Ads Manager or Google Ads export (CSV or XLSX).")
    origin = serializers.ChoiceField(
        choices=[("", "auto"), ("facebook", "facebook"), ("google", "google")], required=False, default=""
    )
    date_column = serializers.CharField(required=False, allow_blank=True, max_length=100, default="")
    campaign_column = serializers.CharField(required=False, allow_blank=True, max_length=100, default="")
    amount_column = serializers.CharField(required=False, allow_blank=True, max_length=100, default="")
