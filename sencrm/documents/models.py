"""The company's letterhead (one profile) and the administrators' versions of the document templates."""

from __future__ import annotations

import re

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from sencrm.customers.models import validate_tax_code
from sencrm.documents.choices import DocumentKind, LogoType

MAX_TEMPLATE_CHARS = 200_000

validate_bin = RegexValidator(r"^\d{6}$", _("A bank BIN has 6 digits (e.g. 970436)."), code="bank_bin")
validate_bank_account = RegexValidator(
    r"^[0-9A-Za-z]{4,19}$", _("A bank account number has 4 to 19 letters or digits."), code="bank_account"
)


def normalise_tax_code(value: str) -> str:
    """Spaces and dots out; a branch's 13 digits typed without the dash get it (0123456789-001)."""
    code = re.sub(r"[\s.]", "", value or "")
    return f"{code[:10]}-{code[10:]}" if re.fullmatch(r"\d{13}", code) else code


def normalise_bank_account(value: str) -> str:
    """Account numbers are typed with spaces, dots or dashes between groups: kept as digits only."""
    return re.sub(r"[\s.\-]", "", value or "")


class CompanyProfile(models.Model):
    """The company that issues the documents (one row, pk 1): what its letterhead and contracts print.

    The logo file lives outside the web root (DATA_DIR/company, see logos.py); `logo` holds its name.
    """

    SINGLETON_PK = 1

    name = models.CharField(_("company name"), max_length=200, blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    tax_code = models.CharField(_("tax code"), max_length=14, blank=True, validators=[validate_tax_code])
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    email = models.EmailField(_("email"), blank=True)
    website = models.URLField(_("website"), blank=True)
    bank_account = models.CharField(
        _("bank account number"), max_length=19, blank=True, validators=[validate_bank_account]
    )
    bank_name = models.CharField(_("bank"), max_length=120, blank=True)
    bank_bin = models.CharField(
        _("bank BIN"),
        max_length=6,
        blank=True,
        validators=[validate_bin],
        help_text=_("The bank's 6-digit identifier in the NAPAS/VietQR list, e.g. 970436 for Vietcombank."),
    )
    representative = models.CharField(_("legal representative"), max_length=120, blank=True)
    representative_title = models.CharField(_("representative's title"), max_length=120, blank=True)
    logo = models.CharField(_("logo"), max_length=64, blank=True, editable=False)
    logo_type = models.CharField(max_length=8, choices=LogoType.choices, blank=True, editable=False)
    version = models.PositiveIntegerField(default=0, editable=False)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    audit_exclude = frozenset({"version", "updated_at", "updated_by", "logo_type"})

    class Meta:
        verbose_name = _("company profile")
        verbose_name_plural = _("company profile")
        constraints = [
            models.CheckConstraint(condition=models.Q(pk=1), name="%(app_label)s_%(class)s_singleton"),
        ]

    def __str__(self) -> str:
        return self.name or str(_("Company"))

    def get_absolute_url(self) -> str:
        return reverse("documents:company")


class DocumentTemplate(models.Model):
    """An administrator's template for one kind of document (Jinja2 HTML+CSS, rendered in a sandbox).

    No row for a kind means the default shipped in sencrm/documents/templates_default is used.
    """

    kind = models.CharField(_("document"), max_length=16, choices=DocumentKind.choices, unique=True)
    body = models.TextField(_("template"), max_length=MAX_TEMPLATE_CHARS)
    version = models.PositiveIntegerField(default=0, editable=False)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    audit_exclude = frozenset({"version", "updated_at", "updated_by"})

    class Meta:
        verbose_name = _("document template")
        verbose_name_plural = _("document templates")

    def __str__(self) -> str:
        return str(DocumentKind(self.kind).label)

    def get_absolute_url(self) -> str:
        return reverse("documents:template_edit", args=[self.kind])
