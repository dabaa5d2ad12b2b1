from __future__ import annotations

from typing import Any

from rest_framework import serializers

from sencrm.activities.models import Activity
from sencrm.core.api.serializers import RecordSerializer
from sencrm.customers.models import Account, Contact
from sencrm.users.models import User


class ActivitySerializer(RecordSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:activity-detail", read_only=True)
    contact = serializers.PrimaryKeyRelatedField(
        queryset=Contact.objects.all(), allow_null=True, required=False
    )
    account = serializers.PrimaryKeyRelatedField(
        queryset=Account.objects.all(), allow_null=True, required=False
    )
    owner = serializers.PrimaryKeyRelatedField(queryset=User.objects.filter(is_active=True), required=False)
    attendees = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True), many=True, required=False
    )
    version = serializers.IntegerField(required=False, min_value=1)

    class Meta:
        model = Activity
        fields = [
            "id",
            "url",
            "kind",
            "subject",
            "description",
            "status",
            "contact",
            "account",
            "due_at",
            "ends_at",
            "completed_at",
            "reminder_at",
            "direction",
            "duration_seconds",
            "outcome",
            "recording_url",
            "place",
            "attendees",
            "owner",
            "team",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["completed_at", "team", "created_at", "updated_at"]

    def to_representation(self, instance: Any) -> dict[str, Any]:
        data: dict[str, Any] = super().to_representation(instance)
        data["version"] = instance.version
        return data
