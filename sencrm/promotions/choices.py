"""The kinds of promotion."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class PromotionKind(models.TextChoices):
    PERCENT = "percent", _("Percentage off")
    AMOUNT = "amount", _("Amount off")
    GIFT = "gift", _("Gift")
