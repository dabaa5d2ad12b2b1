"""Forms of Administration → Company and → Document templates (shapes only: services.py decides)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django import forms
from django.utils.translation import gettext_lazy as _

from sencrm.core.vietqr import bank_choices
from sencrm.documents.context import COMPANY_FIELDS
from sencrm.documents.logos import MAX_LOGO_BYTES
from sencrm.documents.models import (
    MAX_TEMPLATE_CHARS,
    CompanyProfile,
    normalise_bank_account,
    normalise_tax_code,
)

if TYPE_CHECKING:
    ModelForm = forms.ModelForm[CompanyProfile]
else:
    ModelForm = forms.ModelForm  # generic for django-stubs only, not subscriptable at run time


class CompanyForm(ModelForm):
    logo = forms.FileField(
        label=_("Logo"),
        required=False,
        help_text=_("PNG or JPEG, at most %(mb)s MB; printed at the top of every document.")
        % {"mb": MAX_LOGO_BYTES // (1024 * 1024)},
        widget=forms.FileInput(attrs={"accept": "image/png,image/jpeg"}),
    )
    website = forms.URLField(label=_("website"), required=False, max_length=200, assume_scheme="https")
    remove_logo = forms.BooleanField(label=_("Remove the logo"), required=False)
    # The bank is chosen from the NAPAS/VietQR list: its BIN is what the VietQR code carries.
    bank_bin = forms.ChoiceField(
        label=_("bank (VietQR)"),
        required=False,
        choices=[("", "—"), *bank_choices()],
        help_text=_(
            "The bank of the account below, from the NAPAS list: invoices show a VietQR code for it."
        ),
    )
    version = forms.IntegerField(required=False, min_value=0, widget=forms.HiddenInput)

    class Meta:
        model = CompanyProfile
        fields = list(COMPANY_FIELDS)
        widgets = {
            "tax_code": forms.TextInput(attrs={"inputmode": "numeric", "placeholder": "0123456789-001"}),
        }

    # The model's validators run on the form too: normalise first, as the service does.
    def clean_tax_code(self) -> str:
        return normalise_tax_code(str(self.cleaned_data.get("tax_code") or ""))

    def clean_bank_account(self) -> str:
        return normalise_bank_account(str(self.cleaned_data.get("bank_account") or ""))


class TemplateForm(forms.Form):
    body = forms.CharField(
        label=_("Template (HTML and CSS, Jinja2 syntax)"),
        max_length=MAX_TEMPLATE_CHARS,
        strip=False,
        widget=forms.Textarea(
            attrs={"rows": 30, "spellcheck": "false", "class": "form-control font-monospace small"}
        ),
    )
    version = forms.IntegerField(required=False, min_value=0, widget=forms.HiddenInput)
