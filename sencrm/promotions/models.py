"""Promotions (chương trình khuyến mãi) and their uses on quotes and orders.

A promotion is a code the customer brings, or an automatic rule (no code) that applies by itself when
its conditions hold; it takes a percentage or an amount off the lines it applies to, or adds a gift line
at price 0. It may be limited to products, categories (their sub-categories included) and customer
groups, need a minimum order, run between two dates (both included, Vietnam's calendar) and be used a
number of times in all and per customer. The rules are applied by sencrm/promotions/engine.py, which
sales documents call through their hook (sencrm/commerce/promotions.py).
"""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from sencrm.core.models import Record
from sencrm.core.modules import Module
from sencrm.promotions.choices import PromotionKind

MAX_AMOUNT = Decimal(10) ** 15
MAX_LIMIT = 1_000_000_000


def _money(verbose_name: object, **kwargs: object) -> models.DecimalField[Decimal, Decimal]:
    return models.DecimalField(
        verbose_name,  # type: ignore[arg-type]  # a lazy translation is a valid verbose name
        max_digits=18,
        decimal_places=0,
        default=Decimal(0),
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(MAX_AMOUNT)],
        **kwargs,  # type: ignore[arg-type]
    )


class Promotion(Record):
    """A promotion: a code or an automatic rule, what it gives, to what and whom, when, how many times."""

    # Marketing runs promotions; sales read them (their grants in the marketing module) and apply them.
    access_module: ClassVar[str] = Module.MARKETING
    audit_exclude = Record.audit_exclude | {"search_key"}

    # Upper-case, unique among live promotions; empty for an automatic promotion.
    code = models.CharField(_("code"), max_length=40, blank=True)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=10, choices=PromotionKind.choices)
    # A percent (0–100, two decimals) or an amount in đồng; not used by a gift.
    value = models.DecimalField(
        _("value"), max_digits=18, decimal_places=2, default=Decimal(0), validators=[MinValueValidator(0)]
    )
    gift_product = models.ForeignKey(
        "catalog.Product",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("gift"),
    )
    gift_quantity = models.DecimalField(
        _("gift quantity"),
        max_digits=15,
        decimal_places=3,
        default=Decimal(1),
        validators=[MinValueValidator(Decimal("0.001"))],
    )
    products = models.ManyToManyField(
        "catalog.Product", blank=True, related_name="+", verbose_name=_("products")
    )
    categories = models.ManyToManyField(
        "catalog.Category", blank=True, related_name="+", verbose_name=_("categories")
    )
    customer_groups = models.ManyToManyField(
        "customers.CustomerGroup", blank=True, related_name="+", verbose_name=_("customer groups")
    )
    min_order = _money(_("minimum order"))
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    usage_limit = models.PositiveIntegerField(
        _("uses in all"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_LIMIT)],
    )
    per_customer_limit = models.PositiveIntegerField(
        _("uses per customer"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_LIMIT)],
    )
    active = models.BooleanField(_("active"), default=True)
    # Its results join the attribution report through the campaign it belongs to.
    campaign = models.ForeignKey(
        "marketing.Campaign",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("campaign"),
    )
    description = models.TextField(_("description"), blank=True)
    search_key = models.CharField(max_length=300, default="", blank=True, editable=False)

    class Meta:
        verbose_name = _("promotion")
        verbose_name_plural = _("promotions")
        constraints = [
            models.UniqueConstraint(
                fields=["code"],
                condition=models.Q(deleted_at__isnull=True) & ~models.Q(code=""),
                name="promotions_promotion_unique_live_code",
            ),
            models.CheckConstraint(
                condition=models.Q(valid_from__isnull=True)
                | models.Q(valid_until__isnull=True)
                | models.Q(valid_until__gte=models.F("valid_from")),
                name="promotions_promotion_dates_ordered",
            ),
        ]
        indexes = [models.Index(fields=["-valid_from", "-id"], name="promotions_promo_date_idx")]

    def __str__(self) -> str:
        return f"{self.code} · {self.name}" if self.code else self.name

    def get_absolute_url(self) -> str:
        return reverse("promotions:promotion_detail", args=[self.pk])

    @property
    def is_automatic(self) -> bool:
        return not self.code


class PromotionUse(models.Model):
    """A promotion applied to a quote or an order (one of the two), with what it saved the customer.

    An order's use counts against the limits from the moment the order is created until it is cancelled
    or trashed (`released_at`); a quote's use counts for nothing: it is there for the quote's order to
    take the promotion over (sencrm/promotions/engine.py)."""

    promotion = models.ForeignKey(Promotion, on_delete=models.CASCADE, related_name="uses")
    quote = models.ForeignKey(
        "commerce.Quote", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    order = models.ForeignKey(
        "commerce.Order", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    # The document's customer: the account when it names one (per-customer limits count by it), and
    # the contact.
    contact = models.ForeignKey(
        "customers.Contact", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    account = models.ForeignKey(
        "customers.Account", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The saving: the lines' promotion discounts plus a gift at its list price.
    discount = _money(_("discount given"))
    used_at = models.DateTimeField(_("used at"), default=timezone.now)
    released_at = models.DateTimeField(_("released at"), null=True, blank=True)

    class Meta:
        verbose_name = _("promotion use")
        verbose_name_plural = _("promotion uses")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(quote__isnull=False, order__isnull=True)
                | models.Q(quote__isnull=True, order__isnull=False),
                name="promotions_promotionuse_one_document",
            ),
            models.UniqueConstraint(
                fields=["promotion", "quote"], name="promotions_promotionuse_unique_quote"
            ),
            models.UniqueConstraint(
                fields=["promotion", "order"], name="promotions_promotionuse_unique_order"
            ),
            # One promotion at a time on a document.
            models.UniqueConstraint(
                fields=["quote"],
                condition=models.Q(quote__isnull=False, released_at__isnull=True),
                name="promotions_promotionuse_one_live_per_quote",
            ),
            models.UniqueConstraint(
                fields=["order"],
                condition=models.Q(order__isnull=False, released_at__isnull=True),
                name="promotions_promotionuse_one_live_per_order",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.promotion_id}: {self.order_id or self.quote_id}"
