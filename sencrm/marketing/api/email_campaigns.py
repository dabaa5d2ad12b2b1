"""`/api/v1/email-campaigns/`: email campaigns through the gate, their results, and
`POST …/{id}/send/` (now, or at `scheduled_at`), `POST …/{id}/cancel/`, `POST …/{id}/test/`."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from sencrm.core.api.base import ACTIONS, RecordViewSet
from sencrm.core.api.filters import StrictOrderingFilter
from sencrm.core.api.serializers import RecordSerializer
from sencrm.core.modules import Action
from sencrm.marketing import emailing
from sencrm.marketing.models import EmailCampaign, EmailCampaignStatus, Segment
from sencrm.users.models import User

ACTIONS.update({"test_send": Action.EDIT})

BODY_HELP = (
    "HTML with merge fields in the documents' sandbox: {{ contact.name }}, {{ contact.first_name }}, "
    "{{ contact.salutation }}, {{ contact.email }}, {{ contact.company }}, {{ contact.province }}, "
    "{{ company.name }}, {{ campaign.name }}, {{ unsubscribe_url }}."
)


class EmailCampaignSerializer(RecordSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:email-campaign-detail", read_only=True)
    owner = serializers.PrimaryKeyRelatedField(queryset=User.objects.filter(is_active=True), required=False)
    segment = serializers.PrimaryKeyRelatedField(
        queryset=Segment.objects.all(), required=False, allow_null=True
    )
    body = serializers.CharField(help_text=BODY_HELP, max_length=emailing.MAX_BODY)
    subject = serializers.CharField(max_length=300, help_text="A template too: merge fields allowed.")
    status = serializers.ChoiceField(choices=EmailCampaignStatus.choices, read_only=True)
    version = serializers.IntegerField(required=False, min_value=1)

    class Meta:
        model = EmailCampaign
        fields = [
            "id", "url", "name", "segment", "status", "scheduled_at", "sent", "bounced", "opened",
            "clicked", "unsubscribed", "recipients_total", "subject", "body", "campaign", "started_at",
            "finished_at", "owner", "team", "version", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = [
            "scheduled_at", "sent", "bounced", "opened", "clicked", "unsubscribed", "recipients_total",
            "campaign", "started_at", "finished_at", "team", "created_at", "updated_at",
        ]  # fmt: skip

    def to_representation(self, instance: Any) -> dict[str, Any]:
        data: dict[str, Any] = super().to_representation(instance)
        data["version"] = instance.version
        return data


class EmailCampaignViewSet(RecordViewSet):
    """Email campaigns to a segment: only its people with a current email consent for marketing receive
    them, each once. Results are counted per recipient (sent, bounced, opened, clicked, unsubscribed)."""

    model = EmailCampaign
    serializer_class = EmailCampaignSerializer
    filter_backends = [StrictOrderingFilter]
    ordering_fields = ["name", "created_at", "scheduled_at"]
    create_service = staticmethod(emailing.email_create)
    update_service = staticmethod(emailing.email_update)
    delete_service = staticmethod(emailing.email_delete)

    def get_queryset(self) -> Any:
        return super().get_queryset().select_related("owner", "team").order_by("-created_at", "-id")

    @extend_schema(
        summary="Send now or schedule",
        description="Without a body, or with `scheduled_at` empty: now (the worker starts within seconds). "
        "With `scheduled_at` (ISO 8601, future): then. 400 when there is no segment or it was sent already.",
        request=inline_serializer(
            "EmailCampaignSend", {"scheduled_at": serializers.DateTimeField(required=False, allow_null=True)}
        ),
        responses={200: EmailCampaignSerializer, 400: OpenApiResponse(description="Cannot be sent.")},
    )
    @action(detail=True, methods=["post"])
    def send(self, request: Request, pk: str | None = None) -> Response:
        email = self.get_object()
        when = request.data.get("scheduled_at") if isinstance(request.data, dict) else None
        version = request.data.get("version") if isinstance(request.data, dict) else None
        done = emailing.email_schedule(
            email, actor=request.user, at=when, version=version if isinstance(version, int) else None
        )
        return self.answer(done)

    @extend_schema(summary="Stop sending", request=None, responses={200: EmailCampaignSerializer})
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str | None = None) -> Response:
        return self.answer(emailing.email_cancel(self.get_object(), actor=request.user))

    @extend_schema(
        summary="Send one test copy",
        description="`{to}` (default: the caller's address) gets one copy merged with the first person "
        "of the audience; not counted in the results.",
        request=inline_serializer("EmailCampaignTest", {"to": serializers.EmailField(required=False)}),
        responses={200: inline_serializer("EmailCampaignTestSent", {"to": serializers.EmailField()})},
    )
    @action(detail=True, methods=["post"], url_path="test")
    def test_send(self, request: Request, pk: str | None = None) -> Response:
        to = request.data.get("to", "") if isinstance(request.data, dict) else ""
        sent_to = emailing.test_send(self.get_object(), actor=request.user, to=str(to or ""))
        return Response({"to": sent_to})


router = SimpleRouter()
router.register("email-campaigns", EmailCampaignViewSet, basename="email-campaign")
urlpatterns = router.urls
