"""Invoices, payments, bank statements and returns in the API (field names are a contract: docs/api.md).

Amounts are decimal strings. `balance` is always the invoice's total minus its allocations
(sencrm/billing/balances.py); `vietqr` is the bank-transfer payload for that balance.
"""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from sencrm.billing.models import (
    BankLine,
    BankStatement,
    Invoice,
    InvoiceKind,
    Payment,
    PaymentKind,
    PaymentMethod,
    Return,
)
from sencrm.billing.selectors import invoice_vietqr
from sencrm.commerce.api.serializers import MONEY, LineSerializer
from sencrm.core.api.serializers import RecordSerializer
from sencrm.core.money import amount_in_words
from sencrm.customers.models import Account, Contact
from sencrm.users.models import User


class InvoiceLineSerializer(LineSerializer):
    order_line = serializers.IntegerField(source="order_line_id", read_only=True, allow_null=True)


class InvoiceSerializer(RecordSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:invoice-detail", read_only=True)
    contact = serializers.PrimaryKeyRelatedField(
        queryset=Contact.objects.all(), allow_null=True, required=False
    )
    account = serializers.PrimaryKeyRelatedField(
        queryset=Account.objects.all(), allow_null=True, required=False
    )
    owner = serializers.PrimaryKeyRelatedField(queryset=User.objects.filter(is_active=True), required=False)
    order: Any = serializers.PrimaryKeyRelatedField(read_only=True)
    contract: Any = serializers.PrimaryKeyRelatedField(read_only=True)
    lines = InvoiceLineSerializer(many=True, required=False)
    total_in_words = serializers.SerializerMethodField()
    vietqr = serializers.SerializerMethodField()
    einvoice = serializers.SerializerMethodField()
    adjusts = serializers.SerializerMethodField()
    replaces = serializers.SerializerMethodField()
    overdue = serializers.SerializerMethodField()
    version = serializers.IntegerField(required=False, min_value=1)

    class Meta:
        model = Invoice
        fields = [
            "id",
            "url",
            "number",
            "kind",
            "is_credit",
            "order",
            "contract",
            "contact",
            "account",
            "owner",
            "status",
            "issue_date",
            "due_date",
            "overdue",
            "discount_percent",
            "discount_amount",
            "lines",
            "subtotal",
            "discount_total",
            "vat_total",
            "total",
            "total_in_words",
            "paid_total",
            "balance",
            "currency",
            "vietqr",
            "einvoice",
            "adjusts",
            "replaces",
            "correction_reason",
            "agreement_date",
            "billing_period",
            "issued_at",
            "paid_at",
            "notes",
            "created_at",
            "updated_at",
            "version",
        ]
        read_only_fields = [
            "number",
            "kind",
            "is_credit",
            "status",
            "subtotal",
            "discount_total",
            "vat_total",
            "total",
            "paid_total",
            "balance",
            "currency",
            "correction_reason",
            "agreement_date",
            "billing_period",
            "issued_at",
            "paid_at",
            "created_at",
            "updated_at",
        ]

    def get_total_in_words(self, invoice: Invoice) -> str:
        return amount_in_words(invoice.total)

    def get_vietqr(self, invoice: Invoice) -> str | None:
        return invoice_vietqr(invoice, company=self.context.get("company"))

    def get_einvoice(self, invoice: Invoice) -> dict[str, str]:
        return {
            "form": invoice.einvoice_form,
            "series": invoice.einvoice_series,
            "number": invoice.einvoice_number,
            "lookup_code": invoice.einvoice_lookup_code,
            "provider": invoice.einvoice_provider,
        }

    def get_adjusts(self, invoice: Invoice) -> int | None:
        return invoice.original_id if invoice.kind == InvoiceKind.ADJUSTMENT else None

    def get_replaces(self, invoice: Invoice) -> int | None:
        return invoice.original_id if invoice.kind == InvoiceKind.REPLACEMENT else None

    def get_overdue(self, invoice: Invoice) -> bool:
        return invoice.is_overdue()

    def to_representation(self, instance: Any) -> dict[str, Any]:
        data: dict[str, Any] = super().to_representation(instance)
        data["version"] = instance.version
        return data


class EInvoiceSerializer(serializers.Serializer):  # type: ignore[type-arg]
    """The provider's data for an issued invoice (all optional when issuing)."""

    form = serializers.CharField(required=False, allow_blank=True, max_length=10)
    series = serializers.CharField(required=False, allow_blank=True, max_length=10)
    number = serializers.CharField(required=False, allow_blank=True, max_length=20)
    lookup_code = serializers.CharField(required=False, allow_blank=True, max_length=100)
    provider = serializers.CharField(required=False, allow_blank=True, max_length=100)

    def as_fields(self) -> dict[str, str]:
        return {f"einvoice_{name}": value for name, value in self.validated_data.items()}


class IssueSerializer(serializers.Serializer):  # type: ignore[type-arg]
    einvoice = EInvoiceSerializer(required=False)
    version = serializers.IntegerField(required=False, min_value=1)


class OrderInvoiceLineSerializer(serializers.Serializer):  # type: ignore[type-arg]
    line = serializers.IntegerField(help_text="The order line's id.")
    quantity = serializers.DecimalField(max_digits=15, decimal_places=3)


class OrderInvoiceSerializer(serializers.Serializer):  # type: ignore[type-arg]
    """`POST /api/v1/orders/{id}/invoice/`: no body invoices what is left of the order; `part`
    "delivered" what was delivered and not yet invoiced; `lines` chosen quantities of chosen lines."""

    part = serializers.ChoiceField(choices=["all", "delivered"], required=False, default="all")
    lines = OrderInvoiceLineSerializer(many=True, required=False, max_length=500)  # type: ignore[call-arg]  # ListSerializer takes max_length; the stubs lack it
    issue_date = serializers.DateField(required=False)


class CorrectionSerializer(serializers.Serializer):  # type: ignore[type-arg]
    kind = serializers.ChoiceField(choices=[InvoiceKind.ADJUSTMENT, InvoiceKind.REPLACEMENT])
    decrease = serializers.BooleanField(required=False, default=False)
    reason = serializers.CharField(max_length=300)
    agreement_date = serializers.DateField()
    lines = LineSerializer(many=True, max_length=500)  # type: ignore[call-arg]  # ListSerializer takes max_length; the stubs lack it


class AllocationSerializer(serializers.Serializer):  # type: ignore[type-arg]
    invoice = serializers.PrimaryKeyRelatedField(queryset=Invoice.objects.all())
    amount = serializers.DecimalField(**MONEY)  # type: ignore[arg-type]


class PaymentSerializer(RecordSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:payment-detail", read_only=True)
    contact = serializers.PrimaryKeyRelatedField(
        queryset=Contact.objects.all(), allow_null=True, required=False
    )
    account = serializers.PrimaryKeyRelatedField(
        queryset=Account.objects.all(), allow_null=True, required=False
    )
    owner = serializers.PrimaryKeyRelatedField(queryset=User.objects.filter(is_active=True), required=False)
    kind = serializers.ChoiceField(choices=PaymentKind.choices, required=False, default=PaymentKind.RECEIPT)
    method = serializers.ChoiceField(
        choices=PaymentMethod.choices, required=False, default=PaymentMethod.BANK_TRANSFER
    )
    amount = serializers.DecimalField(**MONEY)  # type: ignore[arg-type]
    allocations = AllocationSerializer(many=True, required=False, max_length=500)  # type: ignore[call-arg]  # ListSerializer takes max_length; the stubs lack it
    unallocated = serializers.DecimalField(**MONEY, read_only=True)  # type: ignore[arg-type]
    amount_in_words = serializers.SerializerMethodField()
    bank_line = serializers.SerializerMethodField()

    class Meta:
        model = Payment
        fields = [
            "id",
            "url",
            "number",
            "kind",
            "method",
            "amount",
            "amount_in_words",
            "paid_at",
            "contact",
            "account",
            "owner",
            "reference",
            "notes",
            "allocations",
            "allocated_total",
            "unallocated",
            "bank_line",
            "created_at",
        ]
        read_only_fields = ["number", "allocated_total", "created_at"]

    def get_amount_in_words(self, payment: Payment) -> str:
        return amount_in_words(payment.amount)

    def get_bank_line(self, payment: Payment) -> int | None:
        line = getattr(payment, "bank_line", None)
        return line.pk if line is not None else None

    def to_representation(self, instance: Any) -> dict[str, Any]:
        data: dict[str, Any] = super().to_representation(instance)
        data["allocations"] = [
            {"invoice": a.invoice_id, "number": a.invoice.number, "amount": str(a.amount)}
            for a in instance.allocations.all()
        ]
        return data


class BankLineSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    match = serializers.SerializerMethodField()
    payment: Any = serializers.PrimaryKeyRelatedField(read_only=True)

    class Meta:
        model = BankLine
        fields = ["id", "row", "date", "amount", "content", "reference", "status", "match", "payment"]

    def get_match(self, line: BankLine) -> dict[str, Any] | None:
        if line.match_invoice_id is None:
            return None
        return {
            "invoice": line.match_invoice_id,
            "number": line.match_invoice.number if line.match_invoice else "",
            "reason": line.match_reason,
            "confident": line.match_confident,
            "explanation": line.match_explanation,
        }


class BankStatementSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    url = serializers.HyperlinkedIdentityField(view_name="api:bankstatement-detail", read_only=True)
    lines = BankLineSerializer(many=True, read_only=True)

    class Meta:
        model = BankStatement
        fields = [
            "id",
            "url",
            "name",
            "bank",
            "mapping",
            "first_date",
            "last_date",
            "line_count",
            "skipped_count",
            "error_count",
            "errors",
            "created_at",
            "lines",
        ]
        read_only_fields = fields


class StatementUploadSerializer(serializers.Serializer):  # type: ignore[type-arg]
    file = serializers.FileField()
    mapping = serializers.JSONField(required=False, help_text='e.g. {"date": "Ngày GD", "credit": "Có"}')
    bank = serializers.CharField(required=False, allow_blank=True, max_length=80)
    save_mapping = serializers.BooleanField(required=False, default=False)


class ConfirmSerializer(serializers.Serializer):  # type: ignore[type-arg]
    lines = serializers.ListField(child=serializers.DictField(), required=False, max_length=5000)


class ReturnLineSerializer(serializers.Serializer):  # type: ignore[type-arg]
    line = serializers.IntegerField(help_text="The order line's id.")
    quantity = serializers.DecimalField(max_digits=15, decimal_places=3)


class ReturnSerializer(RecordSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:return-detail", read_only=True)
    lines = ReturnLineSerializer(many=True, write_only=True, max_length=500)  # type: ignore[call-arg]  # ListSerializer takes max_length; the stubs lack it
    refund_method = serializers.ChoiceField(
        choices=[("", "")] + list(PaymentMethod.choices), required=False, allow_blank=True, write_only=True
    )
    credit_invoice: Any = serializers.PrimaryKeyRelatedField(read_only=True)
    refund: Any = serializers.PrimaryKeyRelatedField(read_only=True)

    class Meta:
        model = Return
        fields = [
            "id",
            "url",
            "number",
            "order",
            "returned_on",
            "reason",
            "lines",
            "refund_method",
            "total",
            "credit_invoice",
            "refund",
            "created_at",
        ]
        read_only_fields = ["number", "total", "created_at"]

    def to_representation(self, instance: Any) -> dict[str, Any]:
        data: dict[str, Any] = super().to_representation(instance)
        data["lines"] = [
            {
                "line": rl.order_line_id,
                "description": rl.order_line.description,
                "quantity": str(rl.quantity),
                "amount": str(rl.amount),
                "vat_amount": str(rl.vat_amount),
            }
            for rl in instance.lines.all()
        ]
        return data
