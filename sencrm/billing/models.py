"""Money in and out: invoices (hóa đơn), receipts and payment vouchers (phiếu thu, phiếu chi), their
allocations to invoices, bank statements to reconcile, and returned goods (hàng trả lại).

One definition of what a customer owes: an invoice's balance is its total minus the allocations made
to it (sencrm/billing/balances.py computes it; the row stores it for lists, written in the same
transaction as the allocation).
"""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from sencrm.commerce.models import Document, Line, _money
from sencrm.core.models import Record
from sencrm.core.modules import Module


class InvoiceStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    ISSUED = "issued", pgettext_lazy("invoice status", "Issued")
    PARTLY_PAID = "partly_paid", _("Partly paid")
    PAID = "paid", pgettext_lazy("invoice status", "Paid")
    REPLACED = "replaced", _("Replaced")


# Statuses that count towards what customers owe (an issued invoice, not a draft nor a replaced one).
OPEN_STATUSES = (InvoiceStatus.ISSUED, InvoiceStatus.PARTLY_PAID)
LIVE_STATUSES = (InvoiceStatus.ISSUED, InvoiceStatus.PARTLY_PAID, InvoiceStatus.PAID)


class InvoiceKind(models.TextChoices):
    NORMAL = "normal", _("Invoice")
    ADJUSTMENT = "adjustment", _("Adjustment invoice")
    REPLACEMENT = "replacement", _("Replacement invoice")


class Invoice(Document):
    """A sales invoice: from an order, a contract's billing schedule, or on its own.

    An adjustment invoice (Decree 70/2025) references the original and either adds to what is owed
    (`is_credit` false: it is a receivable of its own) or takes from it (`is_credit` true: a credit
    note, applied to the original's balance, the rest left to the customer as credit). A replacement
    invoice takes over the original, which becomes `replaced`.
    """

    access_module: ClassVar[str] = Module.BILLING

    status = models.CharField(
        _("status"), max_length=12, choices=InvoiceStatus.choices, default=InvoiceStatus.DRAFT
    )
    kind = models.CharField(
        _("kind"), max_length=12, choices=InvoiceKind.choices, default=InvoiceKind.NORMAL, editable=False
    )
    is_credit = models.BooleanField(_("decreases the amount owed"), default=False, editable=False)
    order = models.ForeignKey(
        "commerce.Order",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="invoices",
        verbose_name=_("order"),
    )
    contract = models.ForeignKey(
        "commerce.Contract",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="invoices",
        verbose_name=_("contract"),
    )
    # A contract's recurring invoice: the first day of the period it bills (one invoice per period).
    billing_period = models.DateField(_("billing period"), null=True, blank=True, editable=False)
    original = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="corrections",
        verbose_name=_("original invoice"),
    )
    correction_reason = models.CharField(_("reason for the correction"), max_length=300, blank=True)
    agreement_date = models.DateField(_("date of the written agreement"), null=True, blank=True)
    due_date = models.DateField(_("due date"), null=True, blank=True)
    issued_at = models.DateTimeField(_("issued at"), null=True, blank=True, editable=False)
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True, editable=False)
    paid_total = _money(_("paid"), editable=False)
    balance = _money(_("balance"), editable=False)
    # What the e-invoice provider gave the issued invoice (Decree 123/2020, Circular 78/2021).
    einvoice_form = models.CharField(_("form number (mẫu số)"), max_length=10, blank=True)
    einvoice_series = models.CharField(_("series (ký hiệu)"), max_length=10, blank=True)
    einvoice_number = models.CharField(_("e-invoice number"), max_length=20, blank=True)
    einvoice_lookup_code = models.CharField(_("lookup code"), max_length=100, blank=True)
    einvoice_provider = models.CharField(_("e-invoice provider"), max_length=100, blank=True)
    # Reminders sent once each (claimed by the worker before sending).
    reminded_before_at = models.DateTimeField(null=True, blank=True, editable=False)
    reminded_after_at = models.DateTimeField(null=True, blank=True, editable=False)

    audit_exclude = Document.audit_exclude | {
        "paid_total",
        "balance",
        "paid_at",
        "reminded_before_at",
        "reminded_after_at",
    }

    class Meta:
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")
        constraints = [
            models.UniqueConstraint(
                fields=["contract", "billing_period"],
                condition=models.Q(billing_period__isnull=False),
                name="billing_invoice_contract_period",
            ),
            models.CheckConstraint(
                condition=models.Q(paid_total__lte=models.F("total")), name="billing_paid_le_total"
            ),
        ]
        indexes = [
            models.Index(fields=["-issue_date", "-id"], name="billing_invoice_date_idx"),
            models.Index(fields=["owner", "-issue_date", "-id"], name="billing_invoice_owner_idx"),
            models.Index(fields=["status", "due_date"], name="billing_invoice_due_idx"),
            models.Index(fields=["account", "status"], name="billing_invoice_account_idx"),
            models.Index(fields=["contact", "status"], name="billing_invoice_contact_idx"),
            # What is owed (receivables, their totals): the open invoices only, with every column those
            # queries read, so that PostgreSQL answers them from the index (docs/benchmarks.md, issue 14).
            models.Index(
                fields=["contact", "account", "due_date", "balance", "owner", "team"],
                condition=models.Q(
                    status__in=OPEN_STATUSES, balance__gt=0, is_credit=False, deleted_at__isnull=True
                ),
                name="billing_invoice_open_idx",
            ),
        ]

    def get_absolute_url(self) -> str:
        return reverse("billing:invoice_detail", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES and not self.is_credit

    def is_overdue(self, today: object = None) -> bool:
        today = today or timezone.localdate()
        return bool(self.is_open and self.due_date and self.due_date < today and self.balance > 0)  # type: ignore[operator]  # today is a date


class InvoiceLine(Line):
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    order_line = models.ForeignKey(
        "commerce.OrderLine", on_delete=models.PROTECT, null=True, blank=True, related_name="invoice_lines"
    )

    class Meta(Line.Meta):
        verbose_name = _("invoice line")
        verbose_name_plural = _("invoice lines")


class PaymentKind(models.TextChoices):
    RECEIPT = "receipt", _("Receipt")
    VOUCHER = "voucher", _("Payment voucher")


class PaymentMethod(models.TextChoices):
    CASH = "cash", _("Cash")
    BANK_TRANSFER = "bank_transfer", _("Bank transfer")
    CARD = "card", _("Card")
    EWALLET = "ewallet", _("E-wallet")


class Payment(Record):
    """A receipt (phiếu thu: money in from a customer) or a payment voucher (phiếu chi: money out)."""

    access_module: ClassVar[str] = Module.BILLING
    audit_exclude = Record.audit_exclude | {"search_key", "allocated_total"}

    number = models.CharField(_("number"), max_length=40, unique=True, editable=False)
    kind = models.CharField(_("kind"), max_length=8, choices=PaymentKind.choices, default=PaymentKind.RECEIPT)
    method = models.CharField(
        _("method"), max_length=14, choices=PaymentMethod.choices, default=PaymentMethod.BANK_TRANSFER
    )
    amount = models.DecimalField(
        _("amount"), max_digits=18, decimal_places=0, validators=[MinValueValidator(Decimal(1))]
    )
    paid_at = models.DateTimeField(_("paid at"), default=timezone.now)
    contact = models.ForeignKey(
        "customers.Contact",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("contact"),
    )
    account = models.ForeignKey(
        "customers.Account",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("account"),
    )
    reference = models.CharField(_("reference"), max_length=100, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    # Receipts: the part allocated to invoices (the rest is the customer's credit).
    allocated_total = _money(_("allocated"), editable=False)
    search_key = models.CharField(max_length=400, default="", blank=True, editable=False)

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="billing_payment_amount_positive"),
            models.CheckConstraint(
                condition=models.Q(allocated_total__lte=models.F("amount")),
                name="billing_payment_allocated_le",
            ),
        ]
        indexes = [
            models.Index(fields=["-paid_at", "-id"], name="billing_payment_date_idx"),
            models.Index(fields=["owner", "-paid_at", "-id"], name="billing_payment_owner_idx"),
            models.Index(fields=["account", "kind"], name="billing_payment_account_idx"),
            models.Index(fields=["contact", "kind"], name="billing_payment_contact_idx"),
        ]

    def __str__(self) -> str:
        return self.number

    def get_absolute_url(self) -> str:
        return reverse("billing:payment_detail", args=[self.pk])

    def event_customer(self) -> models.Model | None:
        return self.contact or self.account

    @property
    def customer(self) -> models.Model | None:
        return self.account or self.contact

    @property
    def unallocated(self) -> Decimal:
        return self.amount - self.allocated_total if self.kind == PaymentKind.RECEIPT else Decimal(0)


class Allocation(models.Model):
    """Part of a receipt, or of a credit (a credit note, a replacement), applied to an invoice."""

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="allocations")
    payment = models.ForeignKey(
        Payment, on_delete=models.PROTECT, null=True, blank=True, related_name="allocations"
    )
    credit = models.ForeignKey(
        Invoice, on_delete=models.PROTECT, null=True, blank=True, related_name="credit_allocations"
    )
    amount = models.DecimalField(_("amount"), max_digits=18, decimal_places=0)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("allocation")
        verbose_name_plural = _("allocations")
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="billing_allocation_positive"),
            models.CheckConstraint(
                condition=models.Q(payment__isnull=False, credit__isnull=True)
                | models.Q(payment__isnull=True, credit__isnull=False),
                name="billing_allocation_one_source",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.invoice_id}: {self.amount}"


class StatementMapping(models.Model):
    """A bank's column mapping, saved so the next statement from that bank needs no choosing."""

    name = models.CharField(_("bank"), max_length=80, unique=True)
    mapping = models.JSONField(_("columns"), default=dict)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("statement column mapping")
        verbose_name_plural = _("statement column mappings")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class BankStatement(Record):
    """An uploaded bank statement export, its lines and their proposed matches."""

    access_module: ClassVar[str] = Module.BILLING

    name = models.CharField(_("file"), max_length=200)
    bank = models.CharField(_("bank"), max_length=80, blank=True)
    mapping = models.JSONField(_("columns"), default=dict, editable=False)
    first_date = models.DateField(_("from"), null=True, blank=True, editable=False)
    last_date = models.DateField(_("to"), null=True, blank=True, editable=False)
    line_count = models.PositiveIntegerField(_("lines"), default=0, editable=False)
    skipped_count = models.PositiveIntegerField(_("already imported"), default=0, editable=False)
    error_count = models.PositiveIntegerField(_("unreadable rows"), default=0, editable=False)
    errors = models.JSONField(default=list, editable=False)

    class Meta:
        verbose_name = _("bank statement")
        verbose_name_plural = _("bank statements")
        indexes = [models.Index(fields=["-created_at", "-id"], name="billing_statement_date_idx")]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("billing:statement_detail", args=[self.pk])


class BankLineStatus(models.TextChoices):
    OPEN = "open", _("To reconcile")
    CONFIRMED = "confirmed", _("Reconciled")
    IGNORED = "ignored", _("Ignored")


class BankLine(models.Model):
    """One line of a statement. `fingerprint` (the bank's reference, else date + amount + content)
    is unique: the same line uploaded again, in the same or an overlapping file, is skipped."""

    statement = models.ForeignKey(BankStatement, on_delete=models.CASCADE, related_name="lines")
    row = models.PositiveIntegerField(_("row"))
    date = models.DateField(_("date"))
    amount = models.DecimalField(_("amount"), max_digits=18, decimal_places=0)
    content = models.CharField(_("content"), max_length=500)
    reference = models.CharField(_("reference"), max_length=100, blank=True)
    fingerprint = models.CharField(max_length=64, unique=True)
    status = models.CharField(
        _("status"), max_length=10, choices=BankLineStatus.choices, default=BankLineStatus.OPEN
    )
    match_invoice = models.ForeignKey(
        Invoice, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    match_reason = models.CharField(max_length=20, blank=True)
    match_confident = models.BooleanField(default=False)
    match_explanation = models.CharField(max_length=300, blank=True)
    payment = models.OneToOneField(
        Payment, on_delete=models.SET_NULL, null=True, blank=True, related_name="bank_line"
    )

    class Meta:
        verbose_name = _("statement line")
        verbose_name_plural = _("statement lines")
        ordering = ["statement", "row"]
        indexes = [models.Index(fields=["status", "date"], name="billing_bankline_status_idx")]

    def __str__(self) -> str:
        return f"{self.date:%d/%m/%Y} {self.amount}"


class Return(Record):
    """Goods sent back against an order's delivered lines, with a reason."""

    access_module: ClassVar[str] = Module.BILLING

    number = models.CharField(_("number"), max_length=40, unique=True, editable=False)
    order = models.ForeignKey(
        "commerce.Order", on_delete=models.PROTECT, related_name="returns", verbose_name=_("order")
    )
    returned_on = models.DateField(_("return date"), default=timezone.localdate)
    reason = models.CharField(_("reason"), max_length=300)
    total = _money(_("total"), editable=False)
    credit_invoice = models.ForeignKey(
        Invoice, on_delete=models.PROTECT, null=True, blank=True, editable=False, related_name="+"
    )
    refund = models.ForeignKey(
        Payment, on_delete=models.PROTECT, null=True, blank=True, editable=False, related_name="+"
    )

    class Meta:
        verbose_name = _("return")
        verbose_name_plural = _("returns")
        indexes = [models.Index(fields=["-returned_on", "-id"], name="billing_return_date_idx")]

    def __str__(self) -> str:
        return self.number

    def get_absolute_url(self) -> str:
        return reverse("billing:return_detail", args=[self.pk])

    def event_customer(self) -> models.Model | None:
        return self.order.contact or self.order.account


class ReturnLine(models.Model):
    returned = models.ForeignKey(Return, on_delete=models.CASCADE, related_name="lines")
    order_line = models.ForeignKey("commerce.OrderLine", on_delete=models.PROTECT, related_name="returns")
    quantity = models.DecimalField(
        _("quantity"), max_digits=15, decimal_places=3, validators=[MinValueValidator(Decimal("0.001"))]
    )
    amount = _money(_("amount"), editable=False)
    vat_amount = _money(_("VAT"), editable=False)

    class Meta:
        verbose_name = _("returned line")
        verbose_name_plural = _("returned lines")

    def __str__(self) -> str:
        return f"{self.order_line_id}: {self.quantity}"
