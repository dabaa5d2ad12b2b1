"""`/api/v1/tickets/`: tickets (sự cố, khiếu nại) through the gate and the ticket services, with the
actions `transition`, `escalate`, `reply`, `notes` and `messages` (docs/api.md, "Customer care")."""

from __future__ import annotations

from typing import Any, ClassVar

from django.db import models, transaction
from django.db.models.functions import Coalesce
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from sencrm.core.api.base import ACTIONS, RecordViewSet
from sencrm.core.api.filters import LAST_DATETIME, AliasOrderingFilter
from sencrm.core.exceptions import StaleRecord
from sencrm.core.modules import Action
from sencrm.support import services, sla
from sencrm.support.api.filters import TicketFilter
from sencrm.support.api.serializers import (
    TicketEscalateSerializer,
    TicketMessageBodySerializer,
    TicketMessageSerializer,
    TicketSerializer,
    TicketTransitionSerializer,
)
from sencrm.support.models import Ticket

ACTIONS.update(dict.fromkeys(["transition", "escalate", "reply", "notes"], Action.EDIT))
ACTIONS["messages"] = Action.VIEW

ORDERING = OpenApiParameter(
    "ordering",
    str,
    description="Sort by next_due (the next SLA due time: the most urgent first; none sorts last), "
    "resolution_due, first_response_due, created_at, updated_at or number; a leading `-` sorts "
    "descending. Anything else is a 400.",
)


def with_next_due(queryset: models.QuerySet[Any]) -> models.QuerySet[Any]:
    """`next_due_sort`: the next SLA due time that still counts (sla.annotate_next_due: none while the
    clock does not run), never null, since a cursor position cannot be null: none sorts last."""
    return sla.annotate_next_due(queryset).annotate(
        next_due_sort=Coalesce(
            "sla_next_due", models.Value(LAST_DATETIME), output_field=models.DateTimeField()
        )
    )


def _update(
    ticket: Ticket, *, actor: Any, changes: dict[str, Any], version: int | None, status: str | None = None
) -> Ticket:
    """A change of fields (ticket_update) and/or of status (ticket_transition), in one transaction.

    The transition map has no merge of concurrent edits: a status change sent with a stale version
    is a 409, like a conflicting field."""
    with transaction.atomic():
        if status is not None and status != ticket.status:
            current = Ticket.objects.select_for_update().only("version").get(pk=ticket.pk).version
            if version is not None and version != current:
                raise StaleRecord(current)
        if changes:
            ticket = services.ticket_update(ticket, actor=actor, changes=changes, version=version)
        if status is not None and status != ticket.status:
            ticket = services.ticket_transition(ticket, actor=actor, status=status)
    return ticket


@extend_schema_view(list=extend_schema(parameters=[ORDERING]))
class TicketViewSet(RecordViewSet):
    """Tickets (sự cố, khiếu nại): first line and second line, routing and SLA due times."""

    model = Ticket
    serializer_class = TicketSerializer
    filterset_class = TicketFilter
    filter_backends = [DjangoFilterBackend, AliasOrderingFilter]
    ordering_fields = [
        "next_due",
        "resolution_due",
        "first_response_due",
        "created_at",
        "updated_at",
        "number",
    ]
    ordering_aliases: ClassVar[dict[str, str]] = {
        "next_due": "next_due_sort",
        "resolution_due": "resolution_due_sort",
        "first_response_due": "first_response_due_sort",
    }
    ordering = ["-created_at"]
    create_service = staticmethod(services.ticket_create)
    update_service = staticmethod(_update)
    delete_service = staticmethod(services.ticket_delete)

    def get_queryset(self) -> models.QuerySet[Any]:
        last = models.Value(LAST_DATETIME)
        queryset: models.QuerySet[Any] = with_next_due(
            super().get_queryset().select_related("queue__calendar")
        )
        # The other nullable sort columns sort through non-null twins too.
        sortable: models.QuerySet[Any] = queryset.annotate(
            resolution_due_sort=Coalesce("resolution_due", last, output_field=models.DateTimeField()),
            first_response_due_sort=Coalesce("first_response_due", last, output_field=models.DateTimeField()),
        )
        return sortable

    def service_arguments(self, data: dict[str, Any], *, creating: bool) -> dict[str, Any]:
        # The assignee (owner) stays in `data`: ticket_create routes only when it is not given. A new
        # ticket is new (the serializer refuses another status); a change of status is a transition.
        new_status = data.pop("status", None)
        return {} if creating else {"status": new_status}

    @extend_schema(
        summary="Move a ticket to a status",
        description="Along the transition map (see `status`), with an optional note kept as an internal "
        "note. Resolving asks the customer for a rating; reopening is allowed within the reopening "
        "period. A move the map does not allow is a 400 naming both statuses.",
        request=TicketTransitionSerializer,
        responses={200: TicketSerializer},
    )
    @action(detail=True, methods=["post"])
    def transition(self, request: Request, pk: str | None = None) -> Response:
        ticket = self.get_object()
        body = TicketTransitionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        moved = services.ticket_transition(
            ticket, actor=request.user, status=data["status"], note=data.get("note", "").strip()
        )
        return self.answer(moved)

    @extend_schema(
        summary="Escalate a ticket to second line",
        description="To the queue's escalation queue (else the first second-line queue) and an agent of it, "
        "with the note kept as an internal note. A ticket already on second line is a 400.",
        request=TicketEscalateSerializer,
        responses={200: TicketSerializer},
    )
    @action(detail=True, methods=["post"])
    def escalate(self, request: Request, pk: str | None = None) -> Response:
        ticket = self.get_object()
        body = TicketEscalateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        escalated = services.ticket_escalate(
            ticket, actor=request.user, note=body.validated_data.get("note", "").strip()
        )
        return self.answer(escalated)

    @extend_schema(
        summary="Reply to the customer",
        description="Emailed to the customer with the ticket's number in the subject and the link to its "
        "page; the first reply stops the first-response clock. Answers the message (201).",
        request=TicketMessageBodySerializer,
        responses={201: TicketMessageSerializer},
    )
    @action(detail=True, methods=["post"])
    def reply(self, request: Request, pk: str | None = None) -> Response:
        ticket = self.get_object()
        body = TicketMessageBodySerializer(data=request.data)
        body.is_valid(raise_exception=True)
        message = services.ticket_reply(ticket, actor=request.user, body=body.validated_data["body"])
        return Response(TicketMessageSerializer(message).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Add an internal note to a ticket",
        description="Seen by agents only. Answers the note (201).",
        request=TicketMessageBodySerializer,
        responses={201: TicketMessageSerializer},
    )
    @action(detail=True, methods=["post"])
    def notes(self, request: Request, pk: str | None = None) -> Response:
        ticket = self.get_object()
        body = TicketMessageBodySerializer(data=request.data)
        body.is_valid(raise_exception=True)
        message = services.ticket_note(ticket, actor=request.user, body=body.validated_data["body"])
        return Response(TicketMessageSerializer(message).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="A ticket's messages",
        description="Internal notes, replies to the customer and the customer's messages, oldest first.",
        operation_id="tickets_messages",
        responses={200: TicketMessageSerializer(many=True)},
    )
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def messages(self, request: Request, pk: str | None = None) -> Response:
        ticket = self.get_object()
        rows = ticket.messages.order_by("created_at", "id")
        return Response(TicketMessageSerializer(rows, many=True).data)


def register(router: SimpleRouter) -> None:
    router.register("tickets", TicketViewSet, basename="ticket")
