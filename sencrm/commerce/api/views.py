"""`/api/v1/quotes/`, `/api/v1/orders/`, `/api/v1/contracts/` and their transitions (docs/api.md)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

import django_filters
from django.core.exceptions import ValidationError
from django.db import models
from django.http import HttpResponse
from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from sencrm.commerce import services
from sencrm.commerce.api.serializers import (
    ContractSerializer,
    DeliverySerializer,
    OrderSerializer,
    QuoteSerializer,
    ReasonSerializer,
)
from sencrm.commerce.models import Contract, ContractStatus, Document, Order, OrderStatus, Quote, QuoteStatus
from sencrm.commerce.selectors import document_search_filter
from sencrm.core.api.base import ACTIONS, RecordViewSet
from sencrm.core.api.filters import StrictOrderingFilter
from sencrm.core.api.renderers import PdfRenderer
from sencrm.core.filters import ScopedFilterSet
from sencrm.core.modules import Action

ACTIONS.update(
    dict.fromkeys(
        ["accept", "reject", "revise", "send", "confirm", "deliveries", "cancel", "sign", "terminate"],
        Action.EDIT,
    )
)
ACTIONS["pdf"] = Action.VIEW


class DocumentFilter(ScopedFilterSet):
    issued_after = django_filters.DateFilter(
        field_name="issue_date", lookup_expr="gte", label="Documents dated on or after this day (YYYY-MM-DD)."
    )
    issued_before = django_filters.DateFilter(
        field_name="issue_date",
        lookup_expr="lte",
        label="Documents dated on or before this day (YYYY-MM-DD).",
    )


def _filter(model: type[Document], statuses: Any, extra: list[str]) -> type[ScopedFilterSet]:
    meta = type("Meta", (), {"model": model, "fields": ["contact", "account", "owner", *extra]})
    return type(
        f"{model.__name__}Filter",
        (DocumentFilter,),
        {"status": django_filters.ChoiceFilter(choices=statuses.choices), "Meta": meta},
    )


SEARCH = OpenApiParameter("search", str, description="Words in the number or the customer's name.")
PDF = extend_schema(
    summary="The document as a PDF",
    description="The document printed with the company's letterhead and the document template in force "
    "(Administration → Document templates), as `application/pdf`.",
    responses={(200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY)},
)


class DocumentViewSet(RecordViewSet):
    """What the three kinds share: lines written whole, totals read-only, transitions as actions."""

    filter_backends = [DjangoFilterBackend, StrictOrderingFilter]
    ordering_fields = ["issue_date", "total", "created_at", "updated_at"]

    def get_queryset(self) -> models.QuerySet[Any]:
        qs = super().get_queryset().select_related("contact", "account", "owner").prefetch_related("lines")
        search = self.request.query_params.get("search", "").strip()[:100] if self.action == "list" else ""
        return document_search_filter(qs, search) if search else qs

    def service_arguments(self, data: dict[str, Any], *, creating: bool) -> dict[str, Any]:
        # The lines are written whole: on a create always (none is an empty document), on a change
        # only when sent.
        if creating or "lines" in data:
            # A promotion's gift line sent back is left out: the promotion adds it again.
            return {"lines": [dict(line) for line in data.pop("lines", []) if not line.get("promotion_gift")]}
        return {"lines": None}

    def answer(self, record: Any, code: int = status.HTTP_200_OK) -> Response:
        """The document fresh from the database, with the warnings its write raised (contract overrun)."""
        warnings = getattr(record, "warnings", [])
        fresh = self.get_queryset().get(pk=record.pk)
        fresh.warnings = warnings
        return Response(self.get_serializer(fresh).data, status=code)

    @PDF
    @action(detail=True, methods=["get"], renderer_classes=[PdfRenderer])
    def pdf(self, request: Request, pk: str | None = None) -> HttpResponse:
        from sencrm.commerce.printing import document_pdf_response

        return document_pdf_response(self.get_object())


def _version(request: Request) -> int | None:
    raw = request.data.get("version") if hasattr(request.data, "get") else None
    if raw in (None, ""):
        return None
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise ValidationError({"version": _("A whole number.")}) from None
    return value


F = TypeVar("F", bound=Callable[..., Any])


def _transition(summary: str, description: str) -> Callable[[F], F]:
    return extend_schema(summary=summary, description=description, request=ReasonSerializer)


@extend_schema_view(list=extend_schema(parameters=[SEARCH]))
class QuoteViewSet(DocumentViewSet):
    """Quotes (báo giá): `version` is the quote's version number; send `edit_version` with a change."""

    model = Quote
    serializer_class = QuoteSerializer
    filterset_class = _filter(Quote, QuoteStatus, ["opportunity"])
    create_service = staticmethod(services.quote_create)
    update_service = staticmethod(services.quote_update)
    delete_service = staticmethod(services.quote_delete)
    version_field = "edit_version"

    @extend_schema(
        summary="Accept a quote",
        description="The customer accepted: the quote becomes `accepted` and a draft order is created "
        "from its lines; the answer holds the order's id. A draft or sent quote can be accepted.",
        request=None,
        responses=inline_serializer("QuoteAccepted", {"order": serializers.IntegerField()}),
    )
    @action(detail=True, methods=["post"])
    def accept(self, request: Request, pk: str | None = None) -> Response:
        order = services.quote_accept(self.get_object(), actor=request.user)
        return Response({"order": order.pk}, status=status.HTTP_200_OK)

    @_transition("Reject a quote", "The customer declined: the quote becomes `rejected`, with the reason.")
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk: str | None = None) -> Response:
        reason = str(request.data.get("reason", ""))[:300] if hasattr(request.data, "get") else ""
        return self.answer(services.quote_reject(self.get_object(), actor=request.user, reason=reason))

    @extend_schema(
        summary="Revise a quote",
        description="A new version of the quote (same number, next version) as a draft, with the same "
        "lines; the old version is kept, read-only. Answers the new version (201).",
        request=None,
    )
    @action(detail=True, methods=["post"])
    def revise(self, request: Request, pk: str | None = None) -> Response:
        new = services.quote_revise(self.get_object(), actor=request.user)
        return self.answer(new, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Send a quote by email",
        description="Emails the quote's PDF to `to` (default: the contact's primary email) and marks it "
        "`sent`; the email is on the customer's timeline.",
        request=inline_serializer("QuoteSend", {"to": serializers.EmailField(required=False)}),
    )
    @action(detail=True, methods=["post"])
    def send(self, request: Request, pk: str | None = None) -> Response:
        from sencrm.commerce.mail import send_quote

        to = str(request.data.get("to", "") or "")[:254] if hasattr(request.data, "get") else ""
        return self.answer(send_quote(self.get_object(), actor=request.user, to=to))


@extend_schema_view(list=extend_schema(parameters=[SEARCH]))
class OrderViewSet(DocumentViewSet):
    """Orders (đơn hàng): confirmed, delivered in deliveries, or cancelled."""

    model = Order
    serializer_class = OrderSerializer
    filterset_class = _filter(Order, OrderStatus, ["contract", "quote", "opportunity"])
    create_service = staticmethod(services.order_create)
    update_service = staticmethod(services.order_update)
    delete_service = staticmethod(services.order_delete)

    @_transition(
        "Confirm an order",
        "A draft order becomes `confirmed`; its contact and account become customers. Send the `version` "
        "you read (409 if it changed).",
    )
    @action(detail=True, methods=["post"])
    def confirm(self, request: Request, pk: str | None = None) -> Response:
        return self.answer(
            services.order_confirm(self.get_object(), actor=request.user, version=_version(request))
        )

    @_transition("Cancel an order", "The order becomes `cancelled`, with the reason (required).")
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str | None = None) -> Response:
        reason = str(request.data.get("reason", ""))[:300] if hasattr(request.data, "get") else ""
        return self.answer(services.order_cancel(self.get_object(), actor=request.user, reason=reason))

    @extend_schema(
        summary="Record a delivery",
        description="Quantities delivered per order line on a day; never more than is left to deliver. "
        "The order becomes `partly_delivered` or `delivered`.",
        request=DeliverySerializer,
    )
    @action(detail=True, methods=["post"])
    def deliveries(self, request: Request, pk: str | None = None) -> Response:
        order = self.get_object()
        body = DeliverySerializer(data=request.data)
        body.is_valid(raise_exception=True)
        quantities: dict[int, Decimal] = {}
        for n, item in enumerate(body.validated_data["lines"], start=1):
            try:
                line_id = int(item.get("line"))
                quantity = Decimal(str(item.get("quantity")))
            except (TypeError, ValueError, InvalidOperation):
                raise ValidationError(
                    {"lines": [_("Line %(n)s: give the order line's id and a quantity.") % {"n": n}]}
                ) from None
            if not quantity.is_finite():
                raise ValidationError({"lines": [_("Line %(n)s: the quantity must be a number.") % {"n": n}]})
            quantities[line_id] = quantities.get(line_id, Decimal(0)) + quantity
        services.order_record_delivery(
            order,
            actor=request.user,
            delivered_on=body.validated_data["delivered_on"],
            quantities=quantities,
            note=body.validated_data.get("note", ""),
        )
        return self.answer(order, status.HTTP_201_CREATED)


@extend_schema_view(list=extend_schema(parameters=[SEARCH]))
class ContractViewSet(DocumentViewSet):
    """Contracts (hợp đồng): total from their lines, signed, with the orders placed under them."""

    model = Contract
    serializer_class = ContractSerializer
    filterset_class = _filter(Contract, ContractStatus, ["customer_group"])
    create_service = staticmethod(services.contract_create)
    update_service = staticmethod(services.contract_update)
    delete_service = staticmethod(services.contract_delete)
    ordering_fields = [*DocumentViewSet.ordering_fields, "end_date"]

    @_transition(
        "Sign a contract",
        "A draft contract becomes `signed` (active); its contact and account become customers. Send the "
        "`version` you read (409 if it changed).",
    )
    @action(detail=True, methods=["post"])
    def sign(self, request: Request, pk: str | None = None) -> Response:
        return self.answer(
            services.contract_sign(self.get_object(), actor=request.user, version=_version(request))
        )

    @_transition("Terminate a contract", "A signed contract ends early: `terminated`, with the reason.")
    @action(detail=True, methods=["post"])
    def terminate(self, request: Request, pk: str | None = None) -> Response:
        reason = str(request.data.get("reason", ""))[:300] if hasattr(request.data, "get") else ""
        return self.answer(services.contract_terminate(self.get_object(), actor=request.user, reason=reason))
