"""What the business sells: products and services, their categories, and price lists per customer group."""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from sencrm.core.models import Record
from sencrm.core.modules import Module
from sencrm.core.vat import VatRate

# The largest amount a document may carry (10^15 ₫): also the limit of the amount in words.
MAX_PRICE = Decimal(10) ** 15


class ProductKind(models.TextChoices):
    GOODS = "goods", _("Goods")
    SERVICE = "service", _("Service")


# Units offered as suggestions; any unit may be typed.
COMMON_UNITS = ["cái", "bộ", "chiếc", "máy", "hộp", "gói", "giờ", "lần", "tháng", "năm", "m", "m²", "kg"]


class Category(models.Model):
    """A product category (danh mục): a tree, as deep as the business wants."""

    name = models.CharField(_("name"), max_length=100)
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("parent category"),
    )
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("product category")
        verbose_name_plural = _("product categories")
        ordering = ["position", "name"]
        constraints = [
            models.UniqueConstraint(fields=["parent", "name"], name="catalog_category_unique_name"),
        ]

    def __str__(self) -> str:
        return self.path

    @property
    def path(self) -> str:
        """ "Điều hòa › Treo tường" (the chain of names up to the root)."""
        names: list[str] = []
        node: Category | None = self
        seen: set[int | None] = set()
        while node is not None and node.pk not in seen:
            seen.add(node.pk)
            names.append(node.name)
            node = node.parent
        return " › ".join(reversed(names))


class Product(Record):
    """A product or a service (sản phẩm, dịch vụ) with its list price in VND and its VAT rate."""

    access_module: ClassVar[str] = Module.CATALOG

    code = models.CharField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    category = models.ForeignKey(
        Category,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="products",
        verbose_name=_("category"),
    )
    unit = models.CharField(_("unit"), max_length=20, default="cái")
    kind = models.CharField(_("type"), max_length=10, choices=ProductKind.choices, default=ProductKind.GOODS)
    supplier = models.ForeignKey(
        "customers.Account",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="supplied_products",
        verbose_name=_("supplier"),
        limit_choices_to={"is_supplier": True, "deleted_at__isnull": True},
    )
    list_price = models.DecimalField(
        _("list price"),
        max_digits=18,
        decimal_places=0,
        default=Decimal(0),
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(MAX_PRICE)],
    )
    vat_rate = models.CharField(_("VAT rate"), max_length=5, choices=VatRate.choices, default=VatRate.TEN)
    vat_reducible = models.BooleanField(
        _("VAT reduction applies"),
        default=False,
        help_text=_("The temporary VAT reduction (10% → 8%) applies to this product."),
    )
    warranty_months = models.PositiveSmallIntegerField(
        _("warranty (months)"), default=0, validators=[MaxValueValidator(600)]
    )
    serialised = models.BooleanField(
        _("tracked by serial number"),
        default=False,
        help_text=_("Each unit delivered becomes its own installed product, with its serial number."),
    )
    maintenance_months = models.PositiveSmallIntegerField(
        _("maintenance interval (months)"),
        default=0,
        validators=[MaxValueValidator(120)],
        help_text=_("0: no periodic maintenance."),
    )
    description = models.TextField(_("description"), blank=True)
    active = models.BooleanField(_("active"), default=True)
    # Folded code and name (sencrm.core.text.fold): what search matches against.
    search_key = models.CharField(max_length=300, default="", blank=True, editable=False)

    audit_exclude = Record.audit_exclude | {"search_key"}

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["code"]
        indexes = [models.Index(fields=["name", "id"], name="catalog_product_name_idx")]

    def __str__(self) -> str:
        return f"{self.code} · {self.name}"

    def get_absolute_url(self) -> str:
        return reverse("catalog:product_detail", args=[self.pk])


class PriceList(Record):
    """Prices for a customer group (or for every customer) during a period (bảng giá)."""

    access_module: ClassVar[str] = Module.CATALOG

    name = models.CharField(_("name"), max_length=120)
    customer_group = models.ForeignKey(
        "customers.CustomerGroup",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("customer group"),
        help_text=_("Empty: the prices apply to every customer."),
    )
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    active = models.BooleanField(_("active"), default=True)
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        verbose_name = _("price list")
        verbose_name_plural = _("price lists")
        ordering = ["-valid_from", "name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(valid_until__isnull=True)
                | models.Q(valid_until__gte=models.F("valid_from")),
                name="catalog_pricelist_period",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("catalog:pricelist_detail", args=[self.pk])


class PriceListItem(models.Model):
    """One product's price in a price list."""

    price_list = models.ForeignKey(PriceList, on_delete=models.CASCADE, related_name="items")
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="price_items")
    price = models.DecimalField(
        _("price"),
        max_digits=18,
        decimal_places=0,
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(MAX_PRICE)],
    )

    class Meta:
        verbose_name = _("price list item")
        verbose_name_plural = _("price list items")
        constraints = [
            models.UniqueConstraint(fields=["price_list", "product"], name="catalog_pricelistitem_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.product_id}: {self.price}"
