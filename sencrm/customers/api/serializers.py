from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from sencrm.core.api.serializers import RecordSerializer
from sencrm.customers.api.fields import ProvinceField
from sencrm.customers.choices import ConsentChannel
from sencrm.customers.models import Account, Contact, CustomerGroup, SourceChannel, Tag
from sencrm.users.models import User


class PhoneSerializer(serializers.Serializer):  # type: ignore[type-arg]
    number = serializers.CharField(max_length=40)
    e164 = serializers.CharField(read_only=True)
    label = serializers.ChoiceField(  # type: ignore[assignment]  # named like Field.label, a str in the stubs
        choices=["mobile", "work", "home", "other"], default="mobile"
    )


class EmailSerializer(serializers.Serializer):  # type: ignore[type-arg]
    address = serializers.CharField(max_length=254)


class ConsentSerializer(serializers.Serializer):  # type: ignore[type-arg]
    granted = serializers.BooleanField()
    at = serializers.DateTimeField(read_only=True)
    source = serializers.CharField(  # type: ignore[assignment]  # named like Field.source, a str in the stubs
        max_length=200, required=False, allow_blank=True, default=""
    )


class CustomerSerializer(RecordSerializer):
    """What accounts and contacts share.

    The owner is writable (the gate checks it); team, version and times are not."""

    url = serializers.HyperlinkedIdentityField(view_name="api:contact-detail", read_only=True)
    phones = PhoneSerializer(many=True, required=False)
    emails = EmailSerializer(many=True, required=False)
    province = ProvinceField(allow_null=True, required=False)
    source = serializers.SlugRelatedField(  # type: ignore[assignment]  # named like Field.source, a str in the stubs
        slug_field="code", queryset=SourceChannel.objects.all(), allow_null=True, required=False
    )
    customer_group = serializers.PrimaryKeyRelatedField(
        queryset=CustomerGroup.objects.all(), allow_null=True, required=False
    )
    owner = serializers.PrimaryKeyRelatedField(queryset=User.objects.filter(is_active=True), required=False)
    custom_fields = serializers.JSONField(source="custom_field_data", required=False)
    version = serializers.IntegerField(
        required=False, min_value=1, help_text=_("The version you read; a stale one answers 409.")
    )

    COMMON = [
        "id",
        "url",
        "phones",
        "emails",
        "province",
        "ward",
        "street",
        "customer_group",
        "source",
        "lifecycle_stage",
        "owner",
        "team",
        "notes",
        "custom_fields",
        "version",
        "created_at",
        "updated_at",
    ]
    READ_ONLY = ["team", "created_at", "updated_at"]

    def validate_custom_fields(self, value: Any) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise serializers.ValidationError(_("Must be an object."))
        return value

    def to_representation(self, instance: Any) -> dict[str, Any]:
        data: dict[str, Any] = super().to_representation(instance)
        data["version"] = instance.version
        return data


class ContactSerializer(CustomerSerializer):
    account = serializers.PrimaryKeyRelatedField(
        queryset=Account.objects.all(), allow_null=True, required=False
    )
    tags = serializers.SlugRelatedField(
        slug_field="name", queryset=Tag.objects.all(), many=True, required=False
    )
    consents = serializers.SerializerMethodField()

    class Meta:
        model = Contact
        fields = [
            "full_name",
            "family_name",
            "middle_name",
            "given_name",
            "gender",
            "date_of_birth",
            "title",
            "account",
            "tags",
            "consents",
            "first_touch_at",
            "first_campaign",
            "latest_campaign",
            *CustomerSerializer.COMMON,
        ]
        read_only_fields = ["family_name", "middle_name", "given_name", *CustomerSerializer.READ_ONLY]

    @extend_schema_field({"type": "object", "additionalProperties": {"type": "object"}})
    def get_consents(self, obj: Contact) -> dict[str, Any]:
        return {c.channel: c.as_dict() for c in obj.consents.all()}

    def validate_consents(self, value: Any) -> dict[str, Any]:
        if not isinstance(value, dict) or not set(value) <= set(ConsentChannel.values):
            raise serializers.ValidationError(_("Use the channels email, sms, phone, zalo."))
        cleaned: dict[str, Any] = {}
        for channel, answer in value.items():
            if not isinstance(answer, dict) or not isinstance(answer.get("granted"), bool):
                raise serializers.ValidationError(
                    _('Each channel needs {"granted": true or false} (and optionally a "source").')
                )
            source = answer.get("source", "")
            if not isinstance(source, str) or len(source) > 200:
                raise serializers.ValidationError(
                    _("The consent source is a text of at most 200 characters.")
                )
            # The door is the API whatever the client says (the ledger names the token); no backdating here.
            cleaned[channel] = {"granted": answer["granted"], "source": source.strip(), "via": "api"}
        return cleaned


class AccountSerializer(CustomerSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:account-detail", read_only=True)

    class Meta:
        model = Account
        fields = [
            "name", "tax_code", "industry", "website", "first_touch_at", "first_campaign", "latest_campaign",
            *CustomerSerializer.COMMON,
        ]  # fmt: skip
        # An account's first touch and campaigns come from its leads' conversion (read-only here).
        read_only_fields = [
            *CustomerSerializer.READ_ONLY,
            "first_touch_at",
            "first_campaign",
            "latest_campaign",
        ]


class CallerContactSerializer(serializers.Serializer):  # type: ignore[type-arg]
    id = serializers.IntegerField()
    name = serializers.CharField(source="full_name")
    account = serializers.SerializerMethodField()
    owner = serializers.SerializerMethodField()
    lifecycle_stage = serializers.CharField()
    last_activity = serializers.DateTimeField(allow_null=True)
    url = serializers.CharField(source="get_absolute_url")

    @extend_schema_field({"type": "object", "nullable": True})
    def get_account(self, obj: Contact) -> dict[str, Any] | None:
        # The name only if the caller may open the account (access.label_related, set by the view).
        return {"id": obj.account_id, "name": obj.account_label} if obj.account else None

    @extend_schema_field({"type": "object"})
    def get_owner(self, obj: Any) -> dict[str, Any]:
        return {"id": obj.owner_id, "name": str(obj.owner)}


class CallerRecordSerializer(serializers.Serializer):  # type: ignore[type-arg]
    """Another module's record with the number (a lead…): see sencrm.core.callers.Caller.as_json."""

    id = serializers.IntegerField()
    name = serializers.CharField()
    detail = serializers.CharField()
    status = serializers.CharField()
    owner = serializers.DictField(allow_null=True)
    url = serializers.CharField()


class CallerAccountSerializer(CallerContactSerializer):
    name = serializers.CharField()
    account = None  # type: ignore[assignment]  # None removes the inherited field (DRF)
