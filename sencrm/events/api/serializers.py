"""Webhook subscriptions and deliveries in the API. The secret is in no serializer but the two answers
that create it (create, rotate-secret)."""

from __future__ import annotations

import json
from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from sencrm.events.models import DeliveryState, WebhookAttempt, WebhookDelivery, WebhookSubscription


class WebhookSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    url = serializers.CharField(
        max_length=2000,
        help_text=_("Where events are POSTed: a public http(s) URL (internal addresses are refused)."),
    )
    event_types = serializers.ListField(
        child=serializers.CharField(max_length=64),
        max_length=100,
        help_text=_(
            'Event types, e.g. ["contact.created", "opportunity.won"], "contact.*", or ["*"] for all.'
        ),
    )
    description = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    is_active = serializers.BooleanField(required=False, default=True)
    version = serializers.IntegerField(
        required=False,
        min_value=1,
        help_text=_("On update: the version you read; a stale one answers 409."),
    )

    class Meta:
        model = WebhookSubscription
        fields = [
            "id",
            "url",
            "description",
            "event_types",
            "is_active",
            "version",
            "created_at",
            "updated_at",
            "secret_rotated_at",
        ]
        read_only_fields = ["id", "created_at", "updated_at", "secret_rotated_at"]


class WebhookCreatedSerializer(WebhookSerializer):
    secret = serializers.CharField(
        source="new_secret",
        read_only=True,
        help_text=_("The signing secret. Returned only in this answer (and by rotate-secret): store it now."),
    )

    class Meta(WebhookSerializer.Meta):
        fields = [*WebhookSerializer.Meta.fields, "secret"]


class WebhookSecretSerializer(serializers.Serializer):  # type: ignore[type-arg]
    id = serializers.IntegerField(read_only=True)
    version = serializers.IntegerField(read_only=True)
    secret = serializers.CharField(
        read_only=True, help_text=_("The new signing secret, returned only in this answer.")
    )


class WebhookAttemptSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    class Meta:
        model = WebhookAttempt
        fields = [
            "number",
            "started_at",
            "finished_at",
            "status_code",
            "duration_ms",
            "error",
            "response_excerpt",
        ]


class WebhookDeliverySerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    delivery_id = serializers.UUIDField(
        source="uuid", read_only=True, help_text=_('Sent as X-Sen-Delivery and as "id" in the body.')
    )
    event = serializers.IntegerField(source="event_id", read_only=True)
    state = serializers.ChoiceField(choices=DeliveryState.choices, read_only=True)

    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "delivery_id",
            "event",
            "event_type",
            "state",
            "attempts",
            "created_at",
            "last_attempt_at",
            "next_attempt_at",
            "delivered_at",
            "last_status_code",
            "last_error",
        ]
        read_only_fields = fields


class WebhookDeliveryDetailSerializer(WebhookDeliverySerializer):
    attempt_log = WebhookAttemptSerializer(many=True, read_only=True)
    payload = serializers.SerializerMethodField(help_text=_("The JSON body that is sent."))

    class Meta(WebhookDeliverySerializer.Meta):
        fields = [*WebhookDeliverySerializer.Meta.fields, "attempt_log", "payload"]
        read_only_fields = fields

    @extend_schema_field({"type": "object", "additionalProperties": True})
    def get_payload(self, obj: WebhookDelivery) -> Any:
        return json.loads(obj.body)
