"""Forms of the installed-product pages: the asset, its list's filters, voiding the warranty, changing the
status, and the "check on a date" box. They check shapes; the rules are the services' (assets.py)."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from sencrm.catalog.models import Product, ProductKind
from sencrm.core.forms import DateField
from sencrm.core.modules import Module
from sencrm.core.record_views import RecordForm
from sencrm.customers.forms import AccountAutocomplete
from sencrm.customers.models import Province
from sencrm.fieldservice.asset_selectors import WARRANTY_FILTERS
from sencrm.fieldservice.models import Asset, AssetStatus

CHOICE_LIMIT = 200


class AssetForm(RecordForm):
    owner_module = Module.FIELDSERVICE

    installed_on = DateField(label=_("installation date"), required=False)
    warranty_until = DateField(
        label=_("warranty until"),
        required=False,
        help_text=_("Empty: from the product's warranty and the contract. A date here is kept as typed."),
    )

    sections = (
        (
            "what",
            _("Product"),
            ["product", "serial_number", "quantity", "status", "installed_on", "warranty_until"],
        ),
        ("customer", _("Customer"), ["contact", "account", "order", "contract", "owner"]),
        (
            "site",
            _("Site"),
            ["site_street", "site_ward", "site_province", "site_contact_name", "site_contact_phone", "notes"],
        ),
    )

    class Meta:
        model = Asset
        fields = [
            "product", "serial_number", "quantity", "status", "installed_on", "warranty_until", "contact",
            "account", "order", "contract", "owner", "site_street", "site_ward", "site_province",
            "site_contact_name", "site_contact_phone", "notes",
        ]  # fmt: skip
        widgets = {"notes": forms.Textarea(attrs={"rows": 3}), "account": AccountAutocomplete}

    def __init__(
        self, *args: Any, user: Any = None, prefill: dict[str, Any] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, user=user, **kwargs)
        if not self.instance.pk:
            self.fields["version"].required = False
        for name, value in (prefill or {}).items():
            if name in self.fields and value not in (None, ""):
                self.initial[name] = value
        product = cast("forms.ModelChoiceField[Any]", self.fields["product"])
        product.queryset = Product.objects.filter(kind=ProductKind.GOODS).order_by("name")
        if self.instance.pk and self.instance.warranty_rule != "manual":
            self.initial["warranty_until"] = None  # derived: shown on the page, not typed
        for name in ("contact", "order", "contract"):
            field = cast("forms.ModelChoiceField[Any]", self.fields[name])
            kept = {v for v in (self.initial.get(name), getattr(self.instance, f"{name}_id", None)) if v}
            choices: Any = field.queryset
            latest = list(choices.order_by("-id").values_list("pk", flat=True)[:CHOICE_LIMIT])
            field.queryset = choices.filter(pk__in=[*latest, *[getattr(k, "pk", k) for k in kept]])

    def record_changes(self) -> dict[str, Any]:
        changes = super().record_changes()
        if not self.instance.pk:
            changes = {k: v for k, v in changes.items() if v not in (None, "") or k == "warranty_until"}
            if changes.get("warranty_until") is None:
                changes.pop("warranty_until", None)
        if changes.get("quantity") is None:
            changes.pop("quantity", None)
        return changes


class AssetFilterForm(forms.Form):
    q = forms.CharField(required=False, max_length=100)
    status = forms.ChoiceField(required=False, choices=[("", "")] + list(AssetStatus.choices))
    product = forms.ModelChoiceField(required=False, queryset=Product.objects.filter(kind=ProductKind.GOODS))
    province = forms.ModelChoiceField(required=False, queryset=Province.objects.all())
    warranty = forms.ChoiceField(required=False, choices=[("", "")] + [(w, w) for w in WARRANTY_FILTERS])
    contact = forms.IntegerField(required=False, min_value=1, max_value=2**31)
    account = forms.IntegerField(required=False, min_value=1, max_value=2**31)


class AssetVoidForm(forms.Form):
    reason = forms.CharField(label=_("reason"), max_length=300)
    on = DateField(label=_("void from"))


class AssetStatusForm(forms.Form):
    status = forms.ChoiceField(label=_("status"), choices=AssetStatus.choices)
    replaced_by = forms.IntegerField(
        label=_("replaced by (installed product number)"), required=False, min_value=1, max_value=2**31
    )


class WarrantyCheckForm(forms.Form):
    on = DateField(label=_("on"))
