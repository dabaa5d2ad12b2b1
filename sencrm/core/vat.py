"""VAT rates on Vietnamese sales documents (Law on VAT 2024, Decree 181/2025/NĐ-CP)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class VatRate(models.TextChoices):
    ZERO = "0", _("0%")
    FIVE = "5", _("5%")
    EIGHT = "8", _("8%")
    TEN = "10", _("10%")
    # Không chịu thuế: outside VAT (e.g. some agricultural products, training).
    EXEMPT = "KCT", _("Not subject to VAT (KCT)")
    # Không kê khai, tính nộp thuế: not declared and not paid at this stage.
    NOT_DECLARED = "KKKNT", _("Not declared, not paid (KKKNT)")
