"""The kinds of printed business documents, each with one editable template."""

from __future__ import annotations

from django.db import models
from django.utils.translation import pgettext_lazy


class DocumentKind(models.TextChoices):
    QUOTE = "quote", pgettext_lazy("document kind", "Quote")
    ORDER = "order", pgettext_lazy("document kind", "Order")
    CONTRACT = "contract", pgettext_lazy("document kind", "Contract")
    INVOICE = "invoice", pgettext_lazy("document kind", "Invoice")
    RECEIPT = "receipt", pgettext_lazy("document kind", "Receipt")
    SERVICE_REPORT = "service_report", pgettext_lazy("document kind", "Service report")


class LogoType(models.TextChoices):
    PNG = "png", "PNG"
    JPEG = "jpeg", "JPEG"
