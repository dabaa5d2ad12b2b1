"""Serializers of the sales API: leads, opportunities, pipelines and stages (and the action bodies)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, ClassVar

from django.db.models import prefetch_related_objects
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from sencrm.core.api.serializers import RecordSerializer, ScopedRelationsMixin
from sencrm.customers.api.fields import ProvinceField
from sencrm.customers.api.serializers import EmailSerializer
from sencrm.customers.choices import ConsentChannel
from sencrm.customers.models import Account, Contact, SourceChannel
from sencrm.sales.choices import LeadStatus
from sencrm.sales.models import MAX_AMOUNT, Lead, Opportunity, Pipeline, Stage
from sencrm.users.models import Team, User

CONSENTS_SCHEMA = {
    "type": "object",
    "description": "Consent per channel (email, sms, phone, zalo).",
    "additionalProperties": {
        "type": "object",
        "properties": {
            "granted": {"type": "boolean"},
            "at": {"type": "string", "format": "date-time", "readOnly": True},
            "source": {"type": "string", "maxLength": 200},
        },
        "required": ["granted"],
    },
}


@extend_schema_field(CONSENTS_SCHEMA)
class ConsentsField(serializers.JSONField):
    """A lead's consents: {channel: {granted, at, source}}, read from its consent rows (written by the lead
    services, which date each new answer)."""

    def to_representation(self, value: Any) -> Any:
        if hasattr(value, "all"):  # the lead's consent rows
            return {c.channel: c.as_dict() for c in value.all()}
        return super().to_representation(value)


class LeadListSerializer(serializers.ListSerializer):  # type: ignore[type-arg]
    """A page of leads with their consent rows read in one query."""

    def to_representation(self, data: Any) -> list[Any]:
        leads = list(data.all() if hasattr(data, "all") else data)
        prefetch_related_objects(leads, "consents")
        return super().to_representation(leads)


class Described:
    """Gives every field its description from `help_texts` (drf-spectacular shows it in the schema)."""

    help_texts: ClassVar[dict[str, str]] = {}

    def get_fields(self) -> dict[str, Any]:
        fields: dict[str, Any] = super().get_fields()  # type: ignore[misc]
        for name, field in fields.items():
            if name in self.help_texts:
                field.help_text = self.help_texts[name]
        return fields


class WholeAmountField(serializers.DecimalField):
    """An amount in whole VND (no minor units): 1500000, "1500000" and 1500000.0 are accepted, 1.5 is not."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", Decimal(0))
        kwargs.setdefault("max_value", MAX_AMOUNT)
        super().__init__(max_digits=None, decimal_places=None, coerce_to_string=True, **kwargs)

    def to_internal_value(self, data: Any) -> Decimal:
        if isinstance(data, bool):
            self.fail("invalid")
        value: Decimal = super().to_internal_value(data)
        if value.copy_abs() > MAX_AMOUNT:
            return value  # the max/min validators refuse it with their message
        if value != value.to_integral_value():
            raise serializers.ValidationError(_("Amounts are in whole VND: no decimals."))
        return value.quantize(Decimal(1))


class LeadPhoneSerializer(serializers.Serializer):  # type: ignore[type-arg]
    number = serializers.CharField(max_length=40, help_text="The number as typed, in any format.")
    e164 = serializers.CharField(read_only=True, help_text="The number in E.164 (e.g. +84903111222).")


class ScoreDetailSerializer(serializers.Serializer):  # type: ignore[type-arg]
    rule = serializers.IntegerField(help_text="Id of the scoring rule.")
    name = serializers.CharField(help_text="Name of the scoring rule.")
    points = serializers.IntegerField(help_text="Points the rule gave (negative lowers the score).")


class LeadSerializer(Described, RecordSerializer):
    """A lead (khách hàng tiềm năng). Owner is writable (the access gate checks it)."""

    url = serializers.HyperlinkedIdentityField(view_name="api:lead-detail", read_only=True)
    phones = LeadPhoneSerializer(many=True, required=False)
    emails = EmailSerializer(many=True, required=False)
    province = ProvinceField(allow_null=True, required=False)
    source = serializers.SlugRelatedField(  # type: ignore[assignment]  # named like Field.source, a str in the stubs
        slug_field="code", queryset=SourceChannel.objects.all(), allow_null=True, required=False
    )
    status = serializers.ChoiceField(choices=LeadStatus.choices, required=False)
    consents = ConsentsField(required=False)
    owner = serializers.PrimaryKeyRelatedField(queryset=User.objects.filter(is_active=True), required=False)
    score_details = serializers.SerializerMethodField()
    custom_fields = serializers.JSONField(source="custom_field_data", required=False)
    version = serializers.IntegerField(required=False, min_value=1)

    help_texts: ClassVar[dict[str, str]] = {
        "id": "Id of the lead.",
        "url": "API address of the lead.",
        "full_name": "Full name as written (e.g. Phạm Minh Khang).",
        "phones": "Phone numbers, in any format on the way in; stored in E.164. "
        "Replaced as a whole when sent.",
        "emails": "Email addresses. Replaced as a whole when sent.",
        "company": "Company the person works for (conversion makes it an account).",
        "title": "Job title.",
        "province": "Code of the province of 2025 (e.g. ha-noi, ho-chi-minh); its name, a province from "
        "before 2025 (Bình Định) or a city (Nha Trang) is accepted too and stored as the 2025 province.",
        "source": "Code of the source channel (facebook, zalo, website, phone, walk_in, referral, …).",
        "campaign": "Campaign reference (free text).",
        "first_campaign": "Id of the campaign that brought the lead (else found from its UTM codes).",
        "latest_campaign": "Id of the latest campaign the lead came through (defaults to the first).",
        "first_touch_at": "When the person first contacted us; may be earlier than the lead's creation.",
        "interest": "Products of interest, needs, notes.",
        "status": 'new, contacted, qualified, unqualified or converted. "converted" is read-only: '
        "use POST /api/v1/leads/{id}/convert/.",
        "unqualified_reason": "Why the lead is unqualified.",
        "next_action": "The next follow-up (e.g. call back).",
        "next_action_at": "When the next follow-up is due.",
        "utm": "UTM parameters (utm_source, utm_medium, utm_campaign, utm_term, utm_content): kept from the "
        "web form, or sent when the lead is created; they name its campaign when none is given.",
        "referrer": "The page the web form was submitted from (read-only).",
        "consents": 'Consent per channel: {"zalo": {"granted": true, "source": "…"}}; '
        "channels email, sms, phone, zalo. The time (`at`) is recorded by the server.",
        "owner": "Id of the user the lead belongs to; must lie within your scope.",
        "team": "Id of the team the lead belongs to (read-only).",
        "score": "Lead score from the scoring rules (read-only, recomputed in the background).",
        "score_details": "Which scoring rules gave points (read-only).",
        "converted_at": "When the lead was converted (read-only).",
        "converted_contact": "Id of the contact the lead became (read-only).",
        "converted_account": "Id of the account the lead became or was linked to (read-only).",
        "converted_opportunity": "Id of the opportunity made on conversion (read-only).",
        "custom_fields": "Values of custom fields by key.",
        "version": "The version you read; a write with a stale one on the same fields answers 409.",
        "created_at": "When the lead was created.",
        "updated_at": "When the lead was last changed.",
    }

    class Meta:
        model = Lead
        list_serializer_class = LeadListSerializer
        fields = [
            "id",
            "url",
            "full_name",
            "phones",
            "emails",
            "company",
            "title",
            "province",
            "source",
            "campaign",
            "first_campaign",
            "latest_campaign",
            "first_touch_at",
            "interest",
            "status",
            "unqualified_reason",
            "next_action",
            "next_action_at",
            "utm",
            "referrer",
            "consents",
            "owner",
            "team",
            "score",
            "score_details",
            "converted_at",
            "converted_contact",
            "converted_account",
            "converted_opportunity",
            "custom_fields",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "utm",
            "referrer",
            "team",
            "score",
            "converted_at",
            "converted_contact",
            "converted_account",
            "converted_opportunity",
            "created_at",
            "updated_at",
        ]

    @extend_schema_field(ScoreDetailSerializer(many=True))
    def get_score_details(self, obj: Lead) -> list[dict[str, Any]]:
        return [
            {"rule": row[0], "name": row[1], "points": row[2]}
            for row in (obj.score_details or [])
            if isinstance(row, list | tuple) and len(row) == 3
        ]

    def validate_status(self, value: str) -> str:
        if value == LeadStatus.CONVERTED:
            raise serializers.ValidationError(
                _(
                    "A lead is converted with the convert action (POST /api/v1/leads/{id}/convert/), "
                    "not by its status."
                )
            )
        return value

    def validate_consents(self, value: Any) -> dict[str, dict[str, Any]]:
        if not isinstance(value, dict) or not set(value) <= set(ConsentChannel.values):
            raise serializers.ValidationError(_("Use an object with the channels email, sms, phone, zalo."))
        cleaned: dict[str, dict[str, Any]] = {}
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
            cleaned[channel] = {"granted": answer["granted"], "source": source.strip(), "via": "api"}
        return cleaned

    def validate_custom_fields(self, value: Any) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise serializers.ValidationError(_("Must be an object."))
        return value

    def to_representation(self, instance: Any) -> dict[str, Any]:
        data: dict[str, Any] = super().to_representation(instance)
        data["version"] = instance.version
        return data


class LeadCreateSerializer(LeadSerializer):
    """A lead to create; optionally handed to the next member of a team in turn (round robin)."""

    round_robin_team = serializers.PrimaryKeyRelatedField(
        queryset=Team.objects.all(),
        write_only=True,
        required=False,
        allow_null=True,
        help_text="Id of a team: the lead goes to its next member in turn (overrides owner).",
    )

    # Sent when the lead is created (read-only afterwards): they name its campaign when none is given.
    utm = serializers.JSONField(required=False)

    class Meta(LeadSerializer.Meta):
        fields = [*LeadSerializer.Meta.fields, "round_robin_team"]

    def validate_utm(self, value: Any) -> dict[str, str]:
        keys = ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content")
        if not isinstance(value, dict) or not set(value) <= set(keys):
            raise serializers.ValidationError(
                _("Use an object with the keys %(keys)s.") % {"keys": ", ".join(keys)}
            )
        if not all(isinstance(v, str) and len(v) <= 200 for v in value.values()):
            raise serializers.ValidationError(_("Each UTM parameter is a text of at most 200 characters."))
        return {k: v.strip() for k, v in value.items() if v.strip()}


class DuplicatesSerializer(serializers.Serializer):  # type: ignore[type-arg]
    contacts = serializers.ListField(
        child=serializers.IntegerField(), help_text="Ids of matching contacts you may see."
    )
    leads = serializers.ListField(
        child=serializers.IntegerField(), help_text="Ids of matching open leads you may see."
    )
    hidden = serializers.IntegerField(
        help_text="How many more matches exist outside your scope (never named)."
    )


class LeadCreatedSerializer(LeadSerializer):
    """The created lead, with the likely duplicates found by phone (any format), email and folded name."""

    duplicates = DuplicatesSerializer(
        read_only=True, help_text="Likely duplicates of the new lead: link or merge them by hand."
    )

    class Meta(LeadSerializer.Meta):
        fields = [*LeadSerializer.Meta.fields, "duplicates"]


class LeadConvertSerializer(ScopedRelationsMixin, serializers.Serializer):  # type: ignore[type-arg]
    """Body of POST /api/v1/leads/{id}/convert/ (every field optional)."""

    contact = serializers.PrimaryKeyRelatedField(
        queryset=Contact.objects.all(),
        required=False,
        allow_null=True,
        help_text="Id of an existing contact to link instead of creating one (it gains what it lacks).",
    )
    account = serializers.PrimaryKeyRelatedField(
        queryset=Account.objects.all(),
        required=False,
        allow_null=True,
        help_text="Id of an existing account to link instead of creating one from the lead's company.",
    )
    create_account = serializers.BooleanField(
        default=True,
        help_text="Create an account from the lead's company when no account is given (default true).",
    )
    create_opportunity = serializers.BooleanField(
        default=False, help_text="Also create an opportunity for the new contact (default false)."
    )
    opportunity_name = serializers.CharField(
        max_length=200,
        required=False,
        allow_blank=True,
        default="",
        help_text="Name of the opportunity (default: the company, else the lead's name).",
    )
    opportunity_amount = WholeAmountField(
        required=False,
        allow_null=True,
        help_text="Amount of the opportunity in whole VND (number or string).",
    )
    expected_close_date = serializers.DateField(
        required=False, allow_null=True, help_text="Expected close date of the opportunity (YYYY-MM-DD)."
    )
    pipeline = serializers.PrimaryKeyRelatedField(
        queryset=Pipeline.objects.filter(is_active=True),
        required=False,
        allow_null=True,
        help_text="Id of the pipeline for the opportunity (default: the default pipeline).",
    )


class LeadConversionSerializer(serializers.Serializer):  # type: ignore[type-arg]
    """What a conversion made or linked."""

    contact = serializers.IntegerField(help_text="Id of the contact made or linked.")
    account = serializers.IntegerField(allow_null=True, help_text="Id of the account made or linked, if any.")
    opportunity = serializers.IntegerField(allow_null=True, help_text="Id of the opportunity made, if any.")
    lead = LeadSerializer(help_text="The lead, now converted.")


class OpportunitySerializer(Described, RecordSerializer):
    """An opportunity (cơ hội bán hàng): a deal in a pipeline, amount in whole VND."""

    url = serializers.HyperlinkedIdentityField(view_name="api:opportunity-detail", read_only=True)
    account = serializers.PrimaryKeyRelatedField(
        queryset=Account.objects.all(), allow_null=True, required=False
    )
    contact = serializers.PrimaryKeyRelatedField(
        queryset=Contact.objects.all(), allow_null=True, required=False
    )
    amount = WholeAmountField(required=False)
    pipeline = serializers.PrimaryKeyRelatedField(
        queryset=Pipeline.objects.filter(is_active=True), required=False
    )
    stage = serializers.PrimaryKeyRelatedField(queryset=Stage.objects.all(), required=False)
    probability = serializers.IntegerField(min_value=0, max_value=100, allow_null=True, required=False)
    source = serializers.SlugRelatedField(  # type: ignore[assignment]  # named like Field.source, a str in the stubs
        slug_field="code", queryset=SourceChannel.objects.all(), allow_null=True, required=False
    )
    owner = serializers.PrimaryKeyRelatedField(queryset=User.objects.filter(is_active=True), required=False)
    custom_fields = serializers.JSONField(source="custom_field_data", required=False)
    version = serializers.IntegerField(required=False, min_value=1)

    help_texts: ClassVar[dict[str, str]] = {
        "id": "Id of the opportunity.",
        "url": "API address of the opportunity.",
        "name": "Name of the deal.",
        "account": "Id of the account (organisation); must be one you may see.",
        "contact": "Id of the contact; must be one you may see (its account is used when none is given).",
        "amount": "Amount in whole VND, as a string (0 to 10^15).",
        "currency": "Currency of the amount (VND; read-only).",
        "expected_close_date": "When the deal is expected to close (YYYY-MM-DD).",
        "pipeline": "Id of the pipeline (default: the default pipeline). Changing it alone moves the deal "
        "to the new pipeline's first stage.",
        "stage": "Id of the stage. Changing it moves the deal (stage history, event "
        "opportunity.stage_changed); a stale `version` answers 409. A stage of another pipeline needs "
        "`pipeline` too.",
        "probability": "Probability in percent. Setting it marks it as set by hand (kept across stage "
        "moves); null resets it to the stage's probability.",
        "probability_manual": "Whether the probability was set by hand (read-only).",
        "products": "Products of interest.",
        "description": "Notes.",
        "status": "open, won or lost (read-only: set by the stage, or the won/lost actions).",
        "close_reason": "Why the deal was won or lost.",
        "closed_at": "When the deal was won or lost (read-only).",
        "stage_entered_at": "Since when the deal is in its stage (read-only).",
        "lead": "Id of the lead the deal came from (read-only).",
        "source": "Code of the source channel.",
        "campaign": "Campaign reference (free text).",
        "first_campaign": "Id of the campaign that first brought the customer (read-only: from the lead).",
        "latest_campaign": "Id of the latest campaign the customer came through (read-only: from the lead).",
        "owner": "Id of the user the deal belongs to; must lie within your scope.",
        "team": "Id of the team the deal belongs to (read-only).",
        "custom_fields": "Values of custom fields by key.",
        "version": "The version you read; a stale one answers 409 (always for a stage move).",
        "created_at": "When the deal was created.",
        "updated_at": "When the deal was last changed.",
    }

    class Meta:
        model = Opportunity
        fields = [
            "id",
            "url",
            "name",
            "account",
            "contact",
            "amount",
            "currency",
            "expected_close_date",
            "pipeline",
            "stage",
            "probability",
            "probability_manual",
            "products",
            "description",
            "status",
            "close_reason",
            "closed_at",
            "stage_entered_at",
            "lead",
            "source",
            "campaign",
            "first_campaign",
            "latest_campaign",
            "owner",
            "team",
            "custom_fields",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "currency",
            "probability_manual",
            "status",
            "closed_at",
            "stage_entered_at",
            "lead",
            "first_campaign",
            "latest_campaign",
            "team",
            "created_at",
            "updated_at",
        ]

    def validate_custom_fields(self, value: Any) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise serializers.ValidationError(_("Must be an object."))
        return value

    def to_representation(self, instance: Any) -> dict[str, Any]:
        data: dict[str, Any] = super().to_representation(instance)
        data["version"] = instance.version
        return data


class OpportunityCloseSerializer(serializers.Serializer):  # type: ignore[type-arg]
    """Body of the won/lost actions."""

    version = serializers.IntegerField(
        required=False, min_value=1, help_text="The version you read; a stale one answers 409."
    )
    reason = serializers.CharField(
        max_length=200,
        required=False,
        allow_blank=True,
        default="",
        help_text="Why the deal was won or lost (required for lost).",
    )


class StageSerializer(Described, serializers.ModelSerializer):  # type: ignore[type-arg]
    """A stage of a pipeline."""

    help_texts: ClassVar[dict[str, str]] = {
        "id": "Id of the stage.",
        "pipeline": "Id of the pipeline the stage belongs to.",
        "name": "Name of the stage.",
        "position": "Order of the stage within its pipeline.",
        "probability": "Default probability (%) of deals in this stage.",
        "is_won": "Deals in this stage are won.",
        "is_lost": "Deals in this stage are lost.",
    }

    class Meta:
        model = Stage
        fields = ["id", "pipeline", "name", "position", "probability", "is_won", "is_lost"]
        read_only_fields = fields


class PipelineStageSerializer(StageSerializer):
    class Meta(StageSerializer.Meta):
        fields = ["id", "name", "position", "probability", "is_won", "is_lost"]
        read_only_fields = fields


class PipelineSerializer(Described, serializers.ModelSerializer):  # type: ignore[type-arg]
    """A sales pipeline with its stages in order."""

    stages = PipelineStageSerializer(many=True, read_only=True)

    help_texts: ClassVar[dict[str, str]] = {
        "id": "Id of the pipeline.",
        "name": "Name of the pipeline.",
        "is_default": "New deals go into this pipeline unless another is given.",
        "is_active": "Whether new deals may be put into it.",
        "position": "Order of the pipeline.",
        "stages": "The pipeline's stages, in order.",
    }

    class Meta:
        model = Pipeline
        fields = ["id", "name", "is_default", "is_active", "position", "stages"]
        read_only_fields = fields
