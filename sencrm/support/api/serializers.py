"""Tickets, calls and reviews in the API (field names are a contract: docs/api.md, "Customer care").

`assignee` (tickets) and `agent` (calls, reviews) are the record's owner. Links to gated records
(contact, account, order, contract, product, ticket) accept only what the caller may view: an id
outside the scope is refused with the words of an id that does not exist (core/api/serializers.py).
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from sencrm.catalog.models import Product
from sencrm.commerce.models import Contract, Order
from sencrm.core.api.serializers import RecordSerializer, ScopedRelationsMixin
from sencrm.customers.models import Account, Contact
from sencrm.support import sla
from sencrm.support.calls import MAX_DURATION
from sencrm.support.models import (
    Call,
    CallDirection,
    CallOutcome,
    Channel,
    Priority,
    Queue,
    Review,
    Ticket,
    TicketCategory,
    TicketMessage,
    TicketStatus,
)
from sencrm.users.models import User

# Free text (a description, a note, a reply, a call's notes): long enough for any message, short
# enough that a pasted megabyte is a 400 rather than a row nobody can read.
MAX_TEXT = 20_000
MAX_NOTES = 10_000  # what the call log keeps of a call's notes (sencrm.support.calls)


def _contact() -> serializers.PrimaryKeyRelatedField[Any]:
    return serializers.PrimaryKeyRelatedField(queryset=Contact.objects.all(), allow_null=True, required=False)


def _account() -> serializers.PrimaryKeyRelatedField[Any]:
    return serializers.PrimaryKeyRelatedField(queryset=Account.objects.all(), allow_null=True, required=False)


def _agent(help_text: str, *, read_only: bool = False) -> serializers.PrimaryKeyRelatedField[Any]:
    if read_only:
        return serializers.PrimaryKeyRelatedField(source="owner", read_only=True, help_text=help_text)
    return serializers.PrimaryKeyRelatedField(
        source="owner", queryset=User.objects.filter(is_active=True), required=False, help_text=help_text
    )


class VersionedMixin:
    """Answers the record's current `version` (the one to send back with the next change)."""

    def to_representation(self, instance: Any) -> dict[str, Any]:
        data: dict[str, Any] = super().to_representation(instance)  # type: ignore[misc]
        data["version"] = instance.version
        return data


# --- tickets --------------------------------------------------------------------------------------


class TicketSerializer(VersionedMixin, RecordSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:ticket-detail", read_only=True)
    subject = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, max_length=MAX_TEXT)
    contact = _contact()
    account = _account()
    category = serializers.PrimaryKeyRelatedField(
        queryset=TicketCategory.objects.filter(active=True),
        allow_null=True,
        required=False,
        help_text="A node of the category tree (set by administrators in the care settings).",
    )
    priority = serializers.ChoiceField(choices=Priority.choices, required=False)
    channel = serializers.ChoiceField(choices=Channel.choices, required=False)
    status = serializers.ChoiceField(
        choices=TicketStatus.choices,
        required=False,
        help_text="A new ticket is `new`. A change follows the transition map (new → open, waiting, "
        "resolved; open → waiting, resolved; waiting → open, resolved; resolved → closed, open; "
        "closed → open, within the reopening period); any other is a 400.",
    )
    queue = serializers.PrimaryKeyRelatedField(
        queryset=Queue.objects.filter(active=True),
        allow_null=True,
        required=False,
        help_text="Empty at creation: the routing rules choose the queue.",
    )
    assignee = _agent("The agent the ticket is assigned to (a user id); empty at creation: the queue's turn.")
    product = serializers.PrimaryKeyRelatedField(
        queryset=Product.objects.all(), allow_null=True, required=False
    )
    order = serializers.PrimaryKeyRelatedField(queryset=Order.objects.all(), allow_null=True, required=False)
    contract = serializers.PrimaryKeyRelatedField(
        queryset=Contract.objects.all(), allow_null=True, required=False
    )
    requester_name = serializers.CharField(required=False, allow_blank=True, max_length=150)
    requester_email = serializers.EmailField(required=False, allow_blank=True, max_length=254)
    requester_phone = serializers.CharField(required=False, allow_blank=True, max_length=20)
    time_left_seconds = serializers.SerializerMethodField(
        help_text="Seconds until the next SLA due time (first response, else resolution); negative when "
        "late; null while waiting for the customer, when resolved or closed, or without an SLA policy."
    )
    version = serializers.IntegerField(required=False, min_value=1)

    class Meta:
        model = Ticket
        fields = [
            "id", "url", "number", "subject", "description", "contact", "account", "category", "priority",
            "channel", "status", "line", "queue", "assignee", "product", "order", "contract",
            "requester_name", "requester_email", "requester_phone", "first_response_due", "resolution_due",
            "time_left_seconds", "breached", "escalated_at", "first_responded_at",
            "first_response_business_minutes", "resolved_at", "resolution_business_minutes", "closed_at",
            "team", "version", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = [
            "number", "line", "first_response_due", "resolution_due", "breached", "escalated_at",
            "first_responded_at", "first_response_business_minutes", "resolved_at",
            "resolution_business_minutes", "closed_at", "team", "created_at", "updated_at",
        ]  # fmt: skip

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_time_left_seconds(self, ticket: Ticket) -> int | None:
        now = self.context.setdefault("now", timezone.now())  # one clock for a whole page
        left = sla.time_left(ticket, now)
        return int(left.total_seconds()) if left is not None else None

    def validate_status(self, value: str) -> str:
        if self.instance is None and value != TicketStatus.NEW:
            raise serializers.ValidationError(_("A ticket starts as new; change its status afterwards."))
        return value


class TicketTransitionSerializer(serializers.Serializer):  # type: ignore[type-arg]
    status = serializers.ChoiceField(choices=TicketStatus.choices)
    note = serializers.CharField(
        required=False, allow_blank=True, max_length=MAX_TEXT, help_text="Kept as an internal note."
    )


class TicketEscalateSerializer(serializers.Serializer):  # type: ignore[type-arg]
    note = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=MAX_TEXT,
        help_text="Why it goes to second line (kept as an internal note).",
    )


class TicketMessageBodySerializer(serializers.Serializer):  # type: ignore[type-arg]
    body = serializers.CharField(max_length=MAX_TEXT)


class TicketMessageSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    author: Any = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)

    class Meta:
        model = TicketMessage
        fields = ["id", "ticket", "kind", "author", "body", "created_at", "emailed_to", "emailed_at"]
        read_only_fields = fields


# --- calls ----------------------------------------------------------------------------------------


class CallSerializer(VersionedMixin, RecordSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:call-detail", read_only=True)
    contact = _contact()
    account = _account()
    number = serializers.CharField(
        required=False, allow_blank=True, max_length=40, help_text="The customer's phone number (any format)."
    )
    direction = serializers.ChoiceField(choices=CallDirection.choices, required=False)
    started_at = serializers.DateTimeField(required=False, help_text="Default: now; not in the future.")
    duration = serializers.IntegerField(
        required=False, min_value=0, max_value=MAX_DURATION, help_text="In seconds (`ended_at` follows)."
    )
    outcome = serializers.ChoiceField(
        choices=CallOutcome.choices, required=False, allow_blank=True, help_text="Empty: not said yet."
    )
    callback_at = serializers.DateTimeField(
        required=False, allow_null=True, help_text="With the outcome `call_back`: when to call again."
    )
    notes = serializers.CharField(required=False, allow_blank=True, max_length=MAX_NOTES)
    recording_url = serializers.URLField(required=False, allow_blank=True, max_length=500)
    agent = _agent("The agent who made or took the call: you, for a call you log.", read_only=True)
    ticket = serializers.PrimaryKeyRelatedField(
        queryset=Ticket.objects.all(), allow_null=True, required=False
    )
    version = serializers.IntegerField(required=False, min_value=1)

    class Meta:
        model = Call
        fields = [
            "id", "url", "contact", "account", "number", "direction", "started_at", "ended_at", "duration",
            "outcome", "callback_at", "notes", "recording_url", "agent", "ticket", "team", "version",
            "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = ["ended_at", "team", "created_at", "updated_at"]


# --- reviews --------------------------------------------------------------------------------------


class ReviewSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    url = serializers.HyperlinkedIdentityField(view_name="api:review-detail", read_only=True)
    agent: Any = serializers.PrimaryKeyRelatedField(
        source="owner", read_only=True, help_text="The agent rated (CSAT) or the survey's owner (NPS)."
    )
    score = serializers.IntegerField(
        read_only=True, allow_null=True, help_text="CSAT 1–5, NPS 0–10; null until answered."
    )

    class Meta:
        model = Review
        fields = [
            "id", "url", "kind", "score", "comment", "contact", "account", "ticket", "survey", "agent",
            "requested_at", "answered_at",
        ]  # fmt: skip
        read_only_fields = fields


class ReviewRequestSerializer(ScopedRelationsMixin, serializers.Serializer):  # type: ignore[type-arg]
    ticket = serializers.PrimaryKeyRelatedField(
        queryset=Ticket.objects.all(), help_text="A resolved ticket to ask its customer to rate."
    )


class CsatSummarySerializer(serializers.Serializer):  # type: ignore[type-arg]
    asked = serializers.IntegerField(help_text="Ratings asked.")
    count = serializers.IntegerField(help_text="Ratings answered.")
    average = serializers.FloatField(allow_null=True, help_text="Mean score 1–5 (null: no answer).")
    satisfied = serializers.IntegerField(help_text="Answers of 4 or 5.")
    satisfied_pct = serializers.FloatField(
        allow_null=True, help_text="Satisfied answers in percent of the answers (the CSAT)."
    )


class NpsSummarySerializer(serializers.Serializer):  # type: ignore[type-arg]
    asked = serializers.IntegerField(help_text="Survey answers asked.")
    count = serializers.IntegerField(help_text="Answers.")
    promoters = serializers.IntegerField(help_text="Answers of 9 or 10.")
    passives = serializers.IntegerField(help_text="Answers of 7 or 8.")
    detractors = serializers.IntegerField(help_text="Answers of 0 to 6.")
    promoters_pct = serializers.FloatField(allow_null=True)
    detractors_pct = serializers.FloatField(allow_null=True)
    nps = serializers.FloatField(
        allow_null=True, help_text="Promoters minus detractors in percent of the answers (−100 to 100)."
    )


class ReviewSummarySerializer(serializers.Serializer):  # type: ignore[type-arg]
    csat = CsatSummarySerializer()
    nps = NpsSummarySerializer()
