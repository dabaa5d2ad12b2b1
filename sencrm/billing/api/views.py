"""`/api/v1/invoices/`, `/api/v1/payments/`, `/api/v1/bank-statements/`, `/api/v1/returns/` and
`POST /api/v1/orders/{id}/invoice/` (docs/api.md)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import django_filters
from django.core.exceptions import ValidationError
from django.db import models
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
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
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from sencrm.billing import reconcile, services
from sencrm.billing.api.serializers import (
    AllocationSerializer,
    BankStatementSerializer,
    ConfirmSerializer,
    CorrectionSerializer,
    InvoiceSerializer,
    IssueSerializer,
    OrderInvoiceSerializer,
    PaymentSerializer,
    ReturnSerializer,
    StatementUploadSerializer,
)
from sencrm.billing.models import (
    BankStatement,
    Invoice,
    InvoiceStatus,
    Payment,
    PaymentKind,
    PaymentMethod,
    Return,
)
from sencrm.billing.selectors import overdue_q
from sencrm.commerce.models import Order
from sencrm.commerce.selectors import document_search_filter
from sencrm.core import access
from sencrm.core.api.base import ACTIONS, ModuleRight, RecordViewSet
from sencrm.core.api.filters import StrictOrderingFilter
from sencrm.core.api.renderers import PdfRenderer, XmlRenderer
from sencrm.core.filters import ScopedFilterSet
from sencrm.core.modules import Action, Module
from sencrm.documents.selectors import company_profile

ACTIONS.update(dict.fromkeys(["issue", "einvoice", "corrections", "allocations", "confirm"], Action.EDIT))
ACTIONS.update(dict.fromkeys(["einvoice_xml"], Action.VIEW))


class InvoiceFilter(ScopedFilterSet):
    status = django_filters.ChoiceFilter(choices=InvoiceStatus.choices)
    overdue = django_filters.BooleanFilter(method="filter_overdue", label="Past due with a balance.")
    issued_after = django_filters.DateFilter(
        field_name="issue_date", lookup_expr="gte", label="Invoices dated on or after this day (YYYY-MM-DD)."
    )
    issued_before = django_filters.DateFilter(
        field_name="issue_date", lookup_expr="lte", label="Invoices dated on or before this day (YYYY-MM-DD)."
    )
    due_before = django_filters.DateFilter(
        field_name="due_date", lookup_expr="lte", label="Invoices due on or before this day (YYYY-MM-DD)."
    )
    is_credit = django_filters.BooleanFilter(label="Credit notes (adjustments that reduce what is owed).")

    class Meta:
        model = Invoice
        fields = ["contact", "account", "owner", "order", "contract", "kind"]

    def filter_overdue(self, queryset: models.QuerySet[Any], name: str, value: bool | None) -> Any:
        if value is None:
            return queryset
        return queryset.filter(overdue_q()) if value else queryset.exclude(overdue_q())


SEARCH = OpenApiParameter("search", str, description="Words in the number or the customer's name.")


def _update_invoice(
    record: Invoice, *, actor: Any, changes: dict[str, Any], version: int | None, lines: Any = None
) -> Invoice:
    return services.invoice_update(record, actor=actor, data=changes, lines=lines, version=version)


@extend_schema_view(list=extend_schema(parameters=[SEARCH]))
class InvoiceViewSet(RecordViewSet):
    """Invoices (hóa đơn): drafts are edited and issued; issued ones are corrected by an adjustment or a
    replacement invoice (Decree 70/2025), never cancelled."""

    model = Invoice
    serializer_class = InvoiceSerializer
    filterset_class = InvoiceFilter
    filter_backends = [DjangoFilterBackend, StrictOrderingFilter]
    ordering_fields = ["issue_date", "due_date", "total", "balance", "created_at"]
    create_service = staticmethod(services.invoice_create)
    update_service = staticmethod(_update_invoice)
    delete_service = staticmethod(services.invoice_delete)

    def get_queryset(self) -> models.QuerySet[Any]:
        qs = super().get_queryset().select_related("contact", "account", "owner").prefetch_related("lines")
        search = self.request.query_params.get("search", "").strip()[:100] if self.action == "list" else ""
        return document_search_filter(qs, search) if search else qs

    def get_serializer_context(self) -> dict[str, Any]:
        context = dict(super().get_serializer_context())
        context["company"] = company_profile()
        return context

    def service_arguments(self, data: dict[str, Any], *, creating: bool) -> dict[str, Any]:
        if creating or "lines" in data:  # the lines are written whole
            return {"lines": [dict(line) for line in data.pop("lines", [])]}
        return {"lines": None}

    @extend_schema(
        summary="Issue an invoice",
        description="A draft becomes `issued`: what the customer owes, due on `due_date` (the customer's "
        "payment terms, else the company default). Optionally records the e-invoice provider's data.",
        request=IssueSerializer,
    )
    @action(detail=True, methods=["post"])
    def issue(self, request: Request, pk: str | None = None) -> Response:
        body = IssueSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        einvoice = body.validated_data.get("einvoice") or {}
        issued = services.invoice_issue(
            self.get_object(),
            actor=request.user,
            einvoice={f"einvoice_{k}": v for k, v in einvoice.items()},
            version=body.validated_data.get("version"),
        )
        return self.answer(issued)

    @extend_schema(
        summary="Record the e-invoice data",
        description="The provider's form number, series, invoice number, lookup code and name for an "
        "issued invoice.",
        request=inline_serializer(
            "EInvoiceData",
            {
                n: serializers.CharField(required=False)
                for n in ("form", "series", "number", "lookup_code", "provider")
            },
        ),
    )
    @action(detail=True, methods=["post"])
    def einvoice(self, request: Request, pk: str | None = None) -> Response:
        from sencrm.billing.api.serializers import EInvoiceSerializer

        body = EInvoiceSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        updated = services.invoice_record_einvoice(
            self.get_object(), actor=request.user, values=body.as_fields()
        )
        return self.answer(updated)

    @extend_schema(
        summary="The invoice as a PDF",
        description="With the VietQR code for the balance when the company's bank account is set.",
        responses={(200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY)},
    )
    @action(detail=True, methods=["get"], renderer_classes=[PdfRenderer])
    def pdf(self, request: Request, pk: str | None = None) -> HttpResponse:
        from sencrm.billing.printing import invoice_pdf_response

        response: HttpResponse = invoice_pdf_response(self.get_object())
        return response

    @extend_schema(
        summary="The e-invoice XML",
        description="An issued invoice's data in the tax authority's XML layout (HDon/DLHDon), unsigned: "
        "for e-invoice providers that import it. A draft answers 400.",
        responses={(200, "application/xml"): OpenApiResponse(OpenApiTypes.BINARY)},
    )
    @action(detail=True, methods=["get"], url_path="einvoice-xml", renderer_classes=[XmlRenderer])
    def einvoice_xml(self, request: Request, pk: str | None = None) -> HttpResponse:
        from sencrm.billing.einvoice import einvoice_xml

        invoice = self.get_object()
        try:
            body = einvoice_xml(invoice)
        except ValueError as error:
            raise ValidationError(str(error)) from None
        response = HttpResponse(body, content_type="application/xml; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{invoice.number}.xml"'
        return response

    @extend_schema(
        summary="Correct an issued invoice",
        description="Creates a draft adjustment invoice (`decrease` true: a credit note) or replacement "
        "invoice referencing this one, with the reason and the date of the written agreement. Answers "
        "the new draft (201).",
        request=CorrectionSerializer,
    )
    @action(detail=True, methods=["post"])
    def corrections(self, request: Request, pk: str | None = None) -> Response:
        original = self.get_object()
        body = CorrectionSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        data = body.validated_data
        made = services.invoice_correct(
            original,
            actor=request.user,
            kind=data["kind"],
            lines=[dict(line) for line in data["lines"]],
            reason=data["reason"],
            agreement_date=data["agreement_date"],
            decrease=data["decrease"],
        )
        return self.answer(made, status.HTTP_201_CREATED)


class OrderInvoiceView(APIView):
    """`POST /api/v1/orders/{id}/invoice/`: a draft invoice from an order; answers `{"invoice": id}`."""

    permission_classes = [IsAuthenticated, ModuleRight]
    access_module = Module.BILLING

    @extend_schema(
        summary="Invoice an order",
        description="A draft invoice for what is left to invoice on the order, or (`part`: `delivered`) "
        "what was delivered and not yet invoiced, or chosen `lines` [{line, quantity}]; never more than "
        "was ordered (400 with the line named).",
        request=OrderInvoiceSerializer,
        responses={201: inline_serializer("OrderInvoiced", {"invoice": serializers.IntegerField()})},
    )
    def post(self, request: Request, pk: int) -> Response:
        order = get_object_or_404(access.scope(request.user, Order, Action.VIEW), pk=pk)
        body = OrderInvoiceSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        quantities: dict[int, Decimal] = {}
        for item in body.validated_data.get("lines") or []:
            quantities[item["line"]] = quantities.get(item["line"], Decimal(0)) + item["quantity"]
        invoice = services.invoice_from_order(
            order,
            actor=request.user,
            quantities=quantities or None,
            part=body.validated_data["part"],
            issue_date=body.validated_data.get("issue_date"),
        )
        return Response({"invoice": invoice.pk}, status=status.HTTP_201_CREATED)


class PaymentFilter(ScopedFilterSet):
    kind = django_filters.ChoiceFilter(choices=PaymentKind.choices)
    method = django_filters.ChoiceFilter(choices=PaymentMethod.choices)
    paid_after = django_filters.DateFilter(
        field_name="paid_at", lookup_expr="date__gte", label="Paid on or after this day (YYYY-MM-DD)."
    )
    paid_before = django_filters.DateFilter(
        field_name="paid_at", lookup_expr="date__lte", label="Paid on or before this day (YYYY-MM-DD)."
    )

    class Meta:
        model = Payment
        fields = ["contact", "account", "owner"]


class PaymentViewSet(RecordViewSet):
    """Receipts (phiếu thu) and payment vouchers (phiếu chi); a receipt's `allocations` apply it to
    invoices in the same transaction (each at most the invoice's balance)."""

    model = Payment
    serializer_class = PaymentSerializer
    filterset_class = PaymentFilter
    filter_backends = [DjangoFilterBackend, StrictOrderingFilter]
    ordering_fields = ["paid_at", "amount", "created_at"]
    http_method_names = ["get", "post", "head", "options"]
    create_service = staticmethod(services.payment_create)

    def get_queryset(self) -> models.QuerySet[Any]:
        return (
            super()
            .get_queryset()
            .select_related("contact", "account", "owner", "bank_line")
            .prefetch_related("allocations__invoice")
        )

    def service_arguments(self, data: dict[str, Any], *, creating: bool) -> dict[str, Any]:
        return {"allocations": [(a["invoice"], a["amount"]) for a in data.pop("allocations", [])]}

    @extend_schema(
        summary="Allocate a receipt's credit",
        description="Apply what a receipt has not yet allocated to open invoices of the same customer.",
        request=inline_serializer("PaymentAllocations", {"allocations": AllocationSerializer(many=True)}),
    )
    @action(detail=True, methods=["post"])
    def allocations(self, request: Request, pk: str | None = None) -> Response:
        payment = self.get_object()
        raw = request.data.get("allocations") if isinstance(request.data, dict) else None
        body = AllocationSerializer(data=raw, many=True, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        services.payment_allocate(
            payment,
            actor=request.user,
            allocations=[(a["invoice"], a["amount"]) for a in body.validated_data],
        )
        return self.answer(payment)

    @extend_schema(
        summary="The receipt or voucher as a PDF",
        responses={(200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY)},
    )
    @action(detail=True, methods=["get"], renderer_classes=[PdfRenderer])
    def pdf(self, request: Request, pk: str | None = None) -> HttpResponse:
        from sencrm.billing.printing import payment_pdf_response

        response: HttpResponse = payment_pdf_response(self.get_object())
        return response


class BankStatementViewSet(RecordViewSet):
    """Bank statements: upload an export (multipart `file`, optional `mapping`), read the lines with
    their proposed matches, confirm them into receipts."""

    model = BankStatement
    serializer_class = BankStatementSerializer
    parser_classes = [MultiPartParser, FormParser, JSONParser]
    http_method_names = ["get", "post", "head", "options"]

    def get_queryset(self) -> models.QuerySet[Any]:
        qs = super().get_queryset()
        if self.action != "list":
            qs = qs.prefetch_related("lines__match_invoice")
        return qs.order_by("-created_at", "-id")

    @extend_schema(
        summary="Upload a bank statement",
        description="A CSV or XLSX export of the company's bank account. Answers the statement with its "
        "new `lines`, each with its proposed `match` (invoice, reason) or null; lines uploaded before "
        "(same reference, or same date + amount + content) are skipped and counted in `skipped_count`.",
        request={"multipart/form-data": StatementUploadSerializer},
        responses={201: BankStatementSerializer},
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        body = StatementUploadSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        upload = body.validated_data["file"]
        statement = reconcile.statement_upload(
            actor=request.user,
            upload=upload,
            name=upload.name or "statement.csv",
            size=upload.size or 0,
            mapping=body.validated_data.get("mapping"),
            bank=body.validated_data.get("bank", ""),
            save_mapping=body.validated_data.get("save_mapping", False),
        )
        return self.answer(statement, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Confirm matches",
        description="Without `lines`: every confident proposed match. With `lines` [{id, invoice?}]: those "
        "lines, each to the invoice given or its proposed match. Creates one receipt per line, allocated "
        "to the invoice; answers the receipts created.",
        request=ConfirmSerializer,
        responses={200: PaymentSerializer(many=True)},
    )
    @action(detail=True, methods=["post"])
    def confirm(self, request: Request, pk: str | None = None) -> Response:
        statement = self.get_object()
        body = ConfirmSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        raw = body.validated_data.get("lines")
        choices: dict[int, int | None] | None = None
        if raw is not None:
            choices = {}
            for n, item in enumerate(raw, start=1):
                try:
                    line_id = int(item.get("id"))
                    invoice = item.get("invoice")
                    choices[line_id] = int(invoice) if invoice not in (None, "") else None
                except (TypeError, ValueError):
                    raise ValidationError(
                        {
                            "lines": [
                                _("Line %(n)s: give the statement line's id (and an invoice id).") % {"n": n}
                            ]
                        }
                    ) from None
        made = reconcile.statement_confirm(statement, actor=request.user, choices=choices)
        payments = Payment.objects.filter(pk__in=[p.pk for p in made]).prefetch_related(
            "allocations__invoice"
        )
        return Response(PaymentSerializer(payments, many=True, context=self.get_serializer_context()).data)


class ReturnViewSet(RecordViewSet):
    """Returns (hàng trả lại) against an order's delivered lines."""

    model = Return
    serializer_class = ReturnSerializer
    http_method_names = ["get", "post", "head", "options"]
    filter_backends = [DjangoFilterBackend]
    filterset_fields = ["order"]

    def get_queryset(self) -> models.QuerySet[Any]:
        return super().get_queryset().select_related("order").prefetch_related("lines__order_line")

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        body = self.get_serializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        quantities: dict[int, Decimal] = {}
        for item in data["lines"]:
            quantities[item["line"]] = quantities.get(item["line"], Decimal(0)) + item["quantity"]
        made = services.return_create(
            data["order"],
            actor=request.user,
            quantities=quantities,
            reason=data["reason"],
            returned_on=data.get("returned_on") or timezone.localdate(),
            refund_method=data.get("refund_method", ""),
        )
        return self.answer(made, status.HTTP_201_CREATED)
