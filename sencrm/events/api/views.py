"""`/api/v1/webhooks/`: administrators only (every other role answers 403)."""

from __future__ import annotations

import uuid
from typing import Any

from django.db import models
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from sencrm.core import access
from sencrm.core.modules import Action, Module
from sencrm.events.api.serializers import (
    WebhookCreatedSerializer,
    WebhookDeliveryDetailSerializer,
    WebhookDeliverySerializer,
    WebhookSecretSerializer,
    WebhookSerializer,
)
from sencrm.events.models import DeliveryState, WebhookDelivery, WebhookSubscription
from sencrm.events.webhooks import services

METHOD_ACTIONS = {"POST": Action.CREATE, "PATCH": Action.EDIT, "PUT": Action.EDIT, "DELETE": Action.DELETE}

DELIVERY_ID = OpenApiParameter(
    "delivery_id",
    str,
    OpenApiParameter.PATH,
    description="The delivery's number (`id`) or its delivery id (`delivery_id`, the X-Sen-Delivery header).",
)
STATE = OpenApiParameter(
    "state", str, enum=list(DeliveryState.values), description="Only deliveries in this state."
)


class IsAdministrator(permissions.BasePermission):
    message = _("Only administrators can manage webhooks.")

    def has_permission(self, request: Request, view: Any) -> bool:
        action = METHOD_ACTIONS.get(request.method or "", Action.VIEW)
        if getattr(view, "action", None) in ("rotate_secret", "replay"):
            action = Action.EDIT
        return access.can(request.user, Module.ADMIN, action)


class WebhookViewSet(viewsets.ModelViewSet):  # type: ignore[type-arg]
    """Webhook subscriptions: a URL, the event types it receives, and its delivery log."""

    queryset = WebhookSubscription.objects.all()
    serializer_class = WebhookSerializer
    permission_classes = [permissions.IsAuthenticated, IsAdministrator]
    filter_backends: list[Any] = []
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    @extend_schema(responses={201: WebhookCreatedSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        subscription, secret = services.webhook_create(
            actor=request.user,
            url=data["url"],
            event_types=data["event_types"],
            description=data.get("description", ""),
            is_active=data.get("is_active", True),
        )
        subscription.new_secret = secret  # type: ignore[attr-defined]
        return Response(WebhookCreatedSerializer(subscription).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        subscription = self.get_object()
        serializer = self.get_serializer(subscription, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        version = data.pop("version", None)
        updated = services.webhook_update(subscription, actor=request.user, version=version, **data)
        return Response(WebhookSerializer(updated).data)

    def perform_destroy(self, instance: WebhookSubscription) -> None:
        services.webhook_delete(instance, actor=self.request.user)

    @extend_schema(request=None, responses={200: WebhookSecretSerializer})
    @action(detail=True, methods=["post"], url_path="rotate-secret")
    def rotate_secret(self, request: Request, pk: str | None = None) -> Response:
        """Replace the signing secret; the new one is returned in this answer only."""
        subscription, secret = services.webhook_rotate_secret(self.get_object(), actor=request.user)
        return Response({"id": subscription.pk, "version": subscription.version, "secret": secret})

    def _deliveries(self) -> models.QuerySet[WebhookDelivery]:
        return WebhookDelivery.objects.filter(subscription=self.get_object())

    @extend_schema(parameters=[STATE], responses={200: WebhookDeliverySerializer(many=True)})
    @action(detail=True, methods=["get"], serializer_class=WebhookDeliverySerializer)
    def deliveries(self, request: Request, pk: str | None = None) -> Response:
        """The delivery log, newest first (cursor pages)."""
        qs = self._deliveries().defer("body")
        state = request.query_params.get("state")
        if state:
            if state not in DeliveryState.values:
                raise exceptions.ValidationError(
                    {
                        "state": [
                            _("Unknown state; use one of: %(states)s.")
                            % {"states": ", ".join(DeliveryState.values)}
                        ]
                    }
                )
            qs = qs.filter(state=state)
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(WebhookDeliverySerializer(page, many=True).data)

    def _delivery(self, delivery_id: str) -> WebhookDelivery:
        qs = self._deliveries().prefetch_related("attempt_log")
        if delivery_id.isdigit() and len(delivery_id) <= 18:
            return get_object_or_404(qs, pk=int(delivery_id))
        try:
            return get_object_or_404(qs, uuid=uuid.UUID(delivery_id))
        except ValueError as exc:
            raise exceptions.NotFound(_("No such delivery.")) from exc

    @extend_schema(parameters=[DELIVERY_ID], responses={200: WebhookDeliveryDetailSerializer})
    @action(
        detail=True,
        methods=["get"],
        url_path=r"deliveries/(?P<delivery_id>[^/.]+)",
        serializer_class=WebhookDeliveryDetailSerializer,
    )
    def delivery(self, request: Request, pk: str | None = None, delivery_id: str = "") -> Response:
        """One delivery with its attempts (status, response time, error) and the body it sends."""
        return Response(WebhookDeliveryDetailSerializer(self._delivery(delivery_id)).data)

    @extend_schema(parameters=[DELIVERY_ID], request=None, responses={202: WebhookDeliverySerializer})
    @action(
        detail=True,
        methods=["post"],
        url_path=r"deliveries/(?P<delivery_id>[^/.]+)/replay",
        serializer_class=WebhookDeliverySerializer,
    )
    def replay(self, request: Request, pk: str | None = None, delivery_id: str = "") -> Response:
        """Send the delivery again now, with the same delivery id (receivers drop what they have)."""
        target = self._delivery(delivery_id)
        try:
            replayed = services.delivery_replay(target, actor=request.user)
        except services.DeliveryInFlight as exc:
            return Response(
                {"code": "conflict", "message": str(exc), "errors": {}}, status=status.HTTP_409_CONFLICT
            )
        return Response(WebhookDeliverySerializer(replayed).data, status=status.HTTP_202_ACCEPTED)
