"""`/api/v1/reviews/`: customers' ratings (CSAT after a ticket, NPS from a survey), read-only but for
asking one for a resolved ticket (`POST {"ticket": id}`), and `GET /api/v1/reviews/summary/` (the CSAT
and NPS figures of the reviews the filters select). docs/api.md, "Customer care"."""

from __future__ import annotations

from typing import Any, ClassVar

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from sencrm.core import access
from sencrm.core.api.base import ACTIONS, RecordViewSet
from sencrm.core.api.filters import LAST_DATETIME, AliasOrderingFilter
from sencrm.core.modules import Action
from sencrm.support import reviews
from sencrm.support.api.filters import ReviewFilter
from sencrm.support.api.serializers import ReviewRequestSerializer, ReviewSerializer, ReviewSummarySerializer
from sencrm.support.models import Review, ReviewKind, TicketStatus

ACTIONS["summary"] = Action.VIEW

DONE = (TicketStatus.RESOLVED, TicketStatus.CLOSED)


def figures(queryset: models.QuerySet[Any]) -> dict[str, Any]:
    """The reports' CSAT and NPS figures (sencrm.support.reviews) of the reviews, with how many were asked."""
    asked = dict(queryset.values_list("kind").annotate(n=models.Count("pk")).order_by())
    return {
        "csat": {"asked": asked.get(ReviewKind.CSAT, 0), **reviews.csat_summary(queryset)},
        "nps": {"asked": asked.get(ReviewKind.NPS, 0), **reviews.nps_summary(queryset)},
    }


class ReviewViewSet(RecordViewSet):
    """Ratings: CSAT 1–5 asked after a resolved ticket, NPS 0–10 from a survey; answered once by the
    customer through a signed link."""

    model = Review
    serializer_class = ReviewSerializer
    filterset_class = ReviewFilter
    filter_backends = [DjangoFilterBackend, AliasOrderingFilter]
    ordering_fields = ["requested_at", "answered_at"]
    ordering_aliases: ClassVar[dict[str, str]] = {"answered_at": "answered_sort"}
    ordering = ["-requested_at"]
    http_method_names = ["get", "post", "head", "options"]

    def get_queryset(self) -> models.QuerySet[Any]:
        last = models.Value(LAST_DATETIME)
        queryset: models.QuerySet[Any] = super().get_queryset()
        sortable: models.QuerySet[Any] = queryset.annotate(
            answered_sort=Coalesce("answered_at", last, output_field=models.DateTimeField())
        )
        return sortable

    @extend_schema(
        summary="Ask for a rating of a ticket",
        description="Asks the customer of a resolved ticket for a CSAT rating (by email when they have an "
        "address; the agent may also send the link): once per ticket. Answers the review: 201 when asked "
        "now, 200 when it had been asked already; 400 when the ticket is not resolved.",
        request=ReviewRequestSerializer,
        responses={201: ReviewSerializer, 200: ReviewSerializer},
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        body = ReviewRequestSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        ticket = body.validated_data["ticket"]
        access.check(request.user, Action.EDIT, ticket)
        if ticket.status not in DONE:
            raise ValidationError({"ticket": [_("A rating can be asked only for a resolved ticket.")]})
        before = Review.all_objects.filter(ticket=ticket, kind=ReviewKind.CSAT).first()
        review = reviews.request_for_ticket(ticket, actor=request.user)
        if review is None or review.deleted_at is not None:  # asked once, then deleted: not again
            raise ValidationError({"ticket": [_("A rating was already asked for this ticket.")]})
        asked_now = before is None
        return self.answer(review, status.HTTP_201_CREATED if asked_now else status.HTTP_200_OK)

    @extend_schema(
        summary="CSAT and NPS figures",
        description="Of the reviews you may see that the filters select (e.g. `?agent=` for an agent's, "
        "`?contact=` for a customer's): for CSAT the ratings asked, answered (`count`), the mean score, "
        "the satisfied answers (4–5) and their share; for NPS the surveys asked, answered, promoters "
        "(9–10), passives (7–8), detractors (0–6), their shares and the score.",
        responses={200: OpenApiResponse(ReviewSummarySerializer)},
    )
    @action(detail=False, methods=["get"], pagination_class=None)
    def summary(self, request: Request) -> Response:
        queryset = self.filter_queryset(self.get_queryset()).order_by()
        return Response(ReviewSummarySerializer(figures(queryset)).data)


def register(router: SimpleRouter) -> None:
    router.register("reviews", ReviewViewSet, basename="review")
