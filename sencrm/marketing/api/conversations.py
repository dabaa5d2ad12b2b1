"""`/api/v1/conversations/`: the Fanpage / Zalo queue, read-only, scoped by the access gate like the page
(own = assigned to the caller plus the unassigned queue), with `POST …/{id}/assign/` and `…/{id}/convert/`.
The platforms' webhooks are in sencrm/marketing/inbound/views.py."""

from __future__ import annotations

from typing import Any

import django_filters
from django.contrib.auth import get_user_model
from django.db import models
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field, extend_schema_view
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from sencrm.core import access
from sencrm.core.api.base import ModuleRight
from sencrm.core.api.errors import ApiErrorSerializer
from sencrm.core.api.pagination import RecordCursorPagination
from sencrm.core.modules import Action, Module
from sencrm.marketing import conversations as services
from sencrm.marketing.models import Conversation, ConversationMessage, ConversationStatus, Platform


class MessageSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    class Meta:
        model = ConversationMessage
        fields = ["id", "platform_message_id", "direction", "text", "attachments", "sent_at"]
        read_only_fields = fields


@extend_schema_field({"type": "string", "pattern": "^(" + "|".join(ConversationStatus.values) + ")$"})
class ConversationStatusField(serializers.CharField):
    """The status as a pattern, not an enum: drf-spectacular would make it a "status" enum component
    that collides with the other modules' (a settings ENUM_NAME_OVERRIDES entry would name it)."""


class ConversationSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    status = ConversationStatusField(
        read_only=True, help_text="new (in the queue), open (assigned), converted (into a lead), closed."
    )
    last_message = serializers.SerializerMethodField(help_text="The text of the latest message.")

    class Meta:
        model = Conversation
        fields = [
            "id",
            "platform",
            "page_id",
            "platform_user_id",
            "display_name",
            "status",
            "assignee",
            "lead",
            "contact",
            "campaign",
            "phone",
            "first_message_at",
            "last_message_at",
            "message_count",
            "last_message",
            "version",
        ]
        read_only_fields = fields

    def get_last_message(self, obj: Conversation) -> str:
        return str(getattr(obj, "last_text", "") or "")


class ConversationDetailSerializer(ConversationSerializer):
    messages = serializers.SerializerMethodField(help_text="The latest 500 messages, oldest first.")

    class Meta(ConversationSerializer.Meta):
        fields = [*ConversationSerializer.Meta.fields, "messages"]
        read_only_fields = fields

    @extend_schema_field(MessageSerializer(many=True))
    def get_messages(self, obj: Conversation) -> list[dict[str, Any]]:
        return list(MessageSerializer(services.conversation_messages(obj), many=True).data)


class AssignSerializer(serializers.Serializer):  # type: ignore[type-arg]
    assignee = serializers.PrimaryKeyRelatedField(
        queryset=get_user_model().objects.filter(is_active=True), help_text="The user who takes the thread."
    )
    version = serializers.IntegerField(
        required=False, min_value=1, help_text="The version read; a newer one on the server is a 409."
    )


class ConvertSerializer(serializers.Serializer):  # type: ignore[type-arg]
    version = serializers.IntegerField(
        required=False, min_value=1, help_text="The version read; a newer one on the server is a 409."
    )


class ConversationFilter(django_filters.FilterSet):  # type: ignore[misc]  # django-filter is untyped
    platform = django_filters.ChoiceFilter(choices=Platform.choices, help_text="facebook or zalo.")
    status = django_filters.ChoiceFilter(
        choices=ConversationStatus.choices, help_text="new, open, converted, closed."
    )
    unassigned = django_filters.BooleanFilter(
        field_name="assignee", lookup_expr="isnull", help_text="true: only the threads nobody has taken."
    )

    class Meta:
        model = Conversation
        fields = ["platform", "status", "unassigned"]


class ConversationPagination(RecordCursorPagination):
    ordering = ("-last_message_at", "-id")


@extend_schema_view(
    list=extend_schema(
        summary="List conversations",
        description="Fanpage and Zalo threads the caller may see, newest message first.",
    ),
    retrieve=extend_schema(
        summary="Read a conversation",
        description="A thread with its latest messages.",
        responses={200: ConversationDetailSerializer},
    ),
)
class ConversationViewSet(viewsets.ReadOnlyModelViewSet):  # type: ignore[type-arg]
    """Fanpage and Zalo conversations (read-only; assign and convert are actions)."""

    model = Conversation
    access_module = Module.LEADS
    permission_classes = [IsAuthenticated, ModuleRight]
    serializer_class = ConversationSerializer
    pagination_class = ConversationPagination
    filterset_class = ConversationFilter

    def get_queryset(self) -> models.QuerySet[Any]:
        qs = access.scope(self.request.user, Conversation, Action.VIEW)
        return services.with_preview(qs)

    def get_serializer_class(self) -> Any:
        return ConversationDetailSerializer if self.action == "retrieve" else ConversationSerializer

    def get_object(self) -> Any:
        obj = super().get_object()
        access.check(
            self.request.user, Action.EDIT if self.action in ("assign", "convert") else Action.VIEW, obj
        )
        return obj

    def _answer(self, conversation: Conversation, code: int = status.HTTP_200_OK) -> Response:
        fresh = self.get_queryset().get(pk=conversation.pk)
        return Response(
            ConversationSerializer(fresh, context=self.get_serializer_context()).data, status=code
        )

    @extend_schema(
        summary="Assign a conversation",
        description="Give the thread to a user the caller may hand it to (themself when their scope is own).",
        request=AssignSerializer,
        responses={200: ConversationSerializer, 409: OpenApiResponse(ApiErrorSerializer)},
    )
    @action(detail=True, methods=["post"])
    def assign(self, request: Request, pk: str | None = None) -> Response:
        conversation = self.get_object()
        body = AssignSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        done = services.conversation_assign(
            conversation,
            actor=request.user,
            assignee=body.validated_data["assignee"],
            version=body.validated_data.get("version"),
        )
        return self._answer(done)

    @extend_schema(
        summary="Convert a conversation into a lead",
        description="Create the lead in one step (source facebook/zalo, first touch = the first message, "
        "the thread's campaign, its phone when known) and link it; `lead` in the answer is its id.",
        request=ConvertSerializer,
        responses={201: ConversationSerializer, 409: OpenApiResponse(ApiErrorSerializer)},
    )
    @action(detail=True, methods=["post"])
    def convert(self, request: Request, pk: str | None = None) -> Response:
        conversation = self.get_object()
        body = ConvertSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        done, _lead = services.conversation_convert(
            conversation, actor=request.user, version=body.validated_data.get("version")
        )
        return self._answer(done, status.HTTP_201_CREATED)


router = SimpleRouter()
router.register("conversations", ConversationViewSet, basename="conversation")

urlpatterns = [*router.urls]
