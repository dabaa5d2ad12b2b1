"""Sales documents: quotes (báo giá), orders (đơn hàng) with their deliveries, and contracts (hợp đồng).

The three share a shape — a customer, lines with sections, a discount on the whole document and totals
computed in one place (sencrm/commerce/totals.py) and stored on the row for lists and reports.
"""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from sencrm.core.models import Record
from sencrm.core.modules import Module
from sencrm.core.vat import VatRate

MAX_AMOUNT = Decimal(10) ** 15
MAX_LINES = 500


def _money(verbose: str | object, **kwargs: object) -> models.DecimalField[Decimal, Decimal]:
    return models.DecimalField(
        verbose,  # type: ignore[arg-type]  # a lazy translation is a valid verbose name
        max_digits=18,
        decimal_places=0,
        default=Decimal(0),
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(MAX_AMOUNT)],
        **kwargs,  # type: ignore[arg-type]
    )


class QuoteStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SENT = "sent", _("Sent")
    ACCEPTED = "accepted", _("Accepted")
    REJECTED = "rejected", _("Rejected")
    EXPIRED = "expired", _("Expired")


class OrderStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    CONFIRMED = "confirmed", _("Confirmed")
    PARTLY_DELIVERED = "partly_delivered", _("Partly delivered")
    DELIVERED = "delivered", pgettext_lazy("order status", "Delivered")
    CANCELLED = "cancelled", _("Cancelled")


class ContractStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SIGNED = "signed", _("Signed (active)")
    EXPIRED = "expired", _("Expired")
    TERMINATED = "terminated", _("Terminated")


class BillingSchedule(models.TextChoices):
    NONE = "", _("No recurring billing")
    MONTHLY = "monthly", _("Monthly")
    QUARTERLY = "quarterly", _("Quarterly")
    YEARLY = "yearly", _("Yearly")


class Document(Record):
    """What quotes, orders and contracts share: number, customer, discount and stored totals."""

    access_module: ClassVar[str] = Module.COMMERCE
    audit_exclude = Record.audit_exclude | {"search_key"}

    number = models.CharField(_("number"), max_length=40, unique=True, editable=False)
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
    issue_date = models.DateField(_("date"), default=timezone.localdate)
    currency = models.CharField(_("currency"), max_length=3, default="VND", editable=False)
    # The discount on the whole document: a percent or an amount (not both).
    discount_percent = models.DecimalField(
        _("discount (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal(0),
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))],
    )
    discount_amount = _money(_("discount (amount)"))
    subtotal = _money(_("subtotal"), editable=False)
    discount_total = _money(_("discounts"), editable=False)
    vat_total = _money(_("VAT"), editable=False)
    total = _money(_("total"), editable=False)
    notes = models.TextField(_("notes"), blank=True)
    # Folded number and customer name: what search matches against.
    search_key = models.CharField(max_length=400, default="", blank=True, editable=False)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.number

    def event_customer(self) -> models.Model | None:
        return self.contact or self.account

    @property
    def customer(self) -> models.Model | None:
        return self.account or self.contact


class Line(models.Model):
    """One line of a document: a product or free text, quantity, price, discount and VAT."""

    position = models.PositiveSmallIntegerField(default=0)
    section = models.CharField(_("section"), max_length=120, blank=True)
    product = models.ForeignKey(
        "catalog.Product", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    description = models.CharField(_("description"), max_length=500)
    unit = models.CharField(_("unit"), max_length=20, blank=True)
    quantity = models.DecimalField(
        _("quantity"),
        max_digits=15,
        decimal_places=3,
        validators=[MinValueValidator(Decimal("0.001"))],
    )
    unit_price = _money(_("unit price"))
    discount_percent = models.DecimalField(
        _("discount (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal(0),
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))],
    )
    discount_amount = _money(_("discount (amount)"))
    vat_rate = models.CharField(_("VAT rate"), max_length=5, choices=VatRate.choices, default=VatRate.TEN)
    vat_reducible = models.BooleanField(_("VAT reduction applies"), default=False)
    # Computed by totals.compute and stored: net amount after discounts, and its VAT.
    amount = _money(_("amount"), editable=False)
    vat_amount = _money(_("VAT"), editable=False)

    class Meta:
        abstract = True
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.description


class Promoted(models.Model):
    """A quote's or order's promotion (chương trình khuyến mãi): the code typed, and what it gave.

    The promotions app decides (sencrm/commerce/promotions.py is the hook it fills); the document keeps
    the code, the promotion's name and the discount, so that lists, the PDF and the API read them
    without asking that app. An automatic promotion (no code) leaves `promotion_code` empty."""

    promotion_code = models.CharField(_("promotion code"), max_length=40, blank=True)
    promotion_name = models.CharField(_("promotion"), max_length=200, blank=True, editable=False)
    # The sum of the lines' promotion discounts (a gift line is at price 0: it is not in this amount).
    promotion_discount = _money(_("promotion discount"), editable=False)

    class Meta:
        abstract = True


class PromotionLine(models.Model):
    """A line's part of the document's promotion: its discount, or the gift line the promotion adds."""

    # Taken off the line's net after its own discount, before the document's discount (totals.py).
    promotion_discount = _money(_("promotion discount"), editable=False)
    # A gift (quà tặng) at price 0, added by the promotion and replaced whenever it is applied again.
    promotion_gift = models.BooleanField(_("promotion gift"), default=False, editable=False)

    class Meta:
        abstract = True


class Quote(Document, Promoted):
    """A quote (báo giá): sent to the customer, accepted into an order; revised into a new version."""

    # Every version of a quote keeps its number ("BG-2026-00001", version 2).
    number = models.CharField(_("number"), max_length=40, editable=False)
    status = models.CharField(
        _("status"), max_length=10, choices=QuoteStatus.choices, default=QuoteStatus.DRAFT
    )
    # The quote's version (v1, v2…): revising a sent quote creates the next one; shown as `version`
    # in the API. (Record.version is the edit counter used against lost updates.)
    revision = models.PositiveSmallIntegerField(_("version"), default=1, editable=False)
    previous = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="next_version",
        verbose_name=_("previous version"),
    )
    opportunity = models.ForeignKey(
        "sales.Opportunity",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="quotes",
        verbose_name=_("opportunity"),
    )
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True, editable=False)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("quote")
        verbose_name_plural = _("quotes")
        constraints = [
            models.UniqueConstraint(fields=["number", "revision"], name="commerce_quote_number_revision"),
        ]
        indexes = [
            models.Index(fields=["-issue_date", "-id"], name="commerce_quote_date_idx"),
            models.Index(fields=["owner", "-issue_date", "-id"], name="commerce_quote_owner_idx"),
            models.Index(fields=["status", "valid_until"], name="commerce_quote_status_idx"),
        ]

    def __str__(self) -> str:
        return self.number if self.revision == 1 else f"{self.number} (v{self.revision})"

    def get_absolute_url(self) -> str:
        return reverse("commerce:quote_detail", args=[self.pk])

    @property
    def is_read_only(self) -> bool:
        """Only a draft is edited; a sent quote is revised into a new version instead."""
        return self.status != QuoteStatus.DRAFT


class QuoteLine(Line, PromotionLine):
    quote = models.ForeignKey(Quote, on_delete=models.CASCADE, related_name="lines")

    class Meta(Line.Meta):
        verbose_name = _("quote line")
        verbose_name_plural = _("quote lines")


class Contract(Document):
    """A contract (hợp đồng): lines and total, a signed PDF, a period, a renewal reminder."""

    name = models.CharField(_("name"), max_length=200)
    customer_group = models.ForeignKey(
        "customers.CustomerGroup",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("customer group"),
    )
    opportunity = models.ForeignKey(
        "sales.Opportunity",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="contracts",
        verbose_name=_("opportunity"),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=ContractStatus.choices, default=ContractStatus.DRAFT
    )
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"), null=True, blank=True)
    signed_at = models.DateTimeField(_("signed at"), null=True, blank=True, editable=False)
    # After-sales terms: the warranty the contract gives its installed products, counted from their
    # installation (it extends the product's own warranty when longer; 0: the product's alone).
    warranty_months = models.PositiveSmallIntegerField(
        _("warranty under the contract (months)"),
        default=0,
        validators=[MaxValueValidator(600)],
        help_text=_("Counted from installation; it extends the products' own warranty when longer."),
    )
    terminated_reason = models.CharField(_("reason"), max_length=300, blank=True)
    billing_schedule = models.CharField(
        _("billing schedule"), max_length=10, choices=BillingSchedule.choices, default="", blank=True
    )
    # The signed copy (PDF only, checked by content), stored outside the web root.
    signed_file = models.CharField(max_length=300, blank=True, editable=False)
    signed_file_name = models.CharField(_("signed copy"), max_length=200, blank=True, editable=False)
    # Sum of the totals of the confirmed orders linked to it (kept by the order services).
    ordered_total = _money(_("ordered total"), editable=False)
    renewal_reminded_at = models.DateTimeField(null=True, blank=True, editable=False)

    audit_exclude = Document.audit_exclude | {"ordered_total", "renewal_reminded_at"}

    class Meta:
        verbose_name = _("contract")
        verbose_name_plural = _("contracts")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end_date__isnull=True) | models.Q(end_date__gte=models.F("start_date")),
                name="commerce_contract_period",
            )
        ]
        indexes = [
            models.Index(fields=["-issue_date", "-id"], name="commerce_contract_date_idx"),
            models.Index(fields=["owner", "-issue_date", "-id"], name="commerce_contract_owner_idx"),
            models.Index(fields=["status", "end_date"], name="commerce_contract_end_idx"),
        ]

    def get_absolute_url(self) -> str:
        return reverse("commerce:contract_detail", args=[self.pk])


class ContractLine(Line):
    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="lines")

    class Meta(Line.Meta):
        verbose_name = _("contract line")
        verbose_name_plural = _("contract lines")


class Order(Document, Promoted):
    """An order (đơn hàng): confirmed, delivered in one or several deliveries, or cancelled."""

    status = models.CharField(
        _("status"), max_length=20, choices=OrderStatus.choices, default=OrderStatus.DRAFT
    )
    quote = models.ForeignKey(
        Quote, on_delete=models.PROTECT, null=True, blank=True, related_name="orders", verbose_name=_("quote")
    )
    opportunity = models.ForeignKey(
        "sales.Opportunity",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="orders",
        verbose_name=_("opportunity"),
    )
    contract = models.ForeignKey(
        Contract,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="orders",
        verbose_name=_("contract"),
    )
    delivery_date = models.DateField(_("promised delivery date"), null=True, blank=True)
    delivery_address = models.CharField(_("delivery address"), max_length=300, blank=True)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True, editable=False)
    cancelled_reason = models.CharField(_("cancellation reason"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        indexes = [
            models.Index(fields=["-issue_date", "-id"], name="commerce_order_date_idx"),
            models.Index(fields=["owner", "-issue_date", "-id"], name="commerce_order_owner_idx"),
            models.Index(fields=["status", "delivery_date"], name="commerce_order_status_idx"),
        ]

    def get_absolute_url(self) -> str:
        return reverse("commerce:order_detail", args=[self.pk])


class OrderLine(Line, PromotionLine):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    supplier = models.ForeignKey(
        "customers.Account",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("supplier"),
    )
    delivery_date = models.DateField(_("delivery date"), null=True, blank=True)
    delivered_quantity = models.DecimalField(
        _("delivered quantity"), max_digits=15, decimal_places=3, default=Decimal(0), editable=False
    )

    class Meta(Line.Meta):
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")


class Delivery(models.Model):
    """A delivery (giao hàng) of part or all of an order."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="deliveries")
    delivered_on = models.DateField(_("delivery date"))
    note = models.CharField(_("note"), max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        verbose_name = pgettext_lazy("order delivery", "delivery")
        verbose_name_plural = _("deliveries")
        ordering = ["delivered_on", "id"]

    def __str__(self) -> str:
        return f"{self.order_id} · {self.delivered_on:%d/%m/%Y}"


class DeliveryLine(models.Model):
    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="lines")
    order_line = models.ForeignKey(OrderLine, on_delete=models.CASCADE, related_name="deliveries")
    quantity = models.DecimalField(
        _("quantity"), max_digits=15, decimal_places=3, validators=[MinValueValidator(Decimal("0.001"))]
    )

    class Meta:
        verbose_name = _("delivered line")
        verbose_name_plural = _("delivered lines")

    def __str__(self) -> str:
        return f"{self.order_line_id}: {self.quantity}"
