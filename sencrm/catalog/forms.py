"""Forms of the catalogue pages: a product, a price list and its prices."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from sencrm.catalog.models import COMMON_UNITS, Category, PriceList, Product
from sencrm.core import access
from sencrm.core.forms import DateField
from sencrm.core.modules import Action
from sencrm.core.record_views import RecordForm
from sencrm.customers.models import Account
from sencrm.sales.opportunity_forms import AmountField


class ProductForm(RecordForm):
    list_price = AmountField(label=_("List price"), required=False)

    class Meta:
        model = Product
        fields = [
            "code",
            "name",
            "category",
            "unit",
            "kind",
            "supplier",
            "list_price",
            "vat_rate",
            "vat_reducible",
            "warranty_months",
            "serialised",
            "maintenance_months",
            "description",
            "active",
        ]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        self.fields["unit"].widget.attrs["list"] = "unit-suggestions"
        self.fields["category"].queryset = Category.objects.select_related("parent")  # type: ignore[attr-defined]
        suppliers = Account.objects.filter(is_supplier=True)
        if user is not None:
            suppliers = access.scope(user, suppliers, Action.VIEW)
        self.fields["supplier"].queryset = suppliers.order_by("sort_key")  # type: ignore[attr-defined]
        if not self.instance.pk:
            self.fields["version"].required = False
        self.unit_suggestions = COMMON_UNITS

    def clean_list_price(self) -> Decimal:
        return self.cleaned_data.get("list_price") or Decimal(0)


class PriceListForm(RecordForm):
    valid_from = DateField(label=_("Valid from"))
    valid_until = DateField(label=_("Valid until"), required=False)

    class Meta:
        model = PriceList
        fields = ["name", "customer_group", "valid_from", "valid_until", "active", "notes"]
        widgets = {"notes": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        if not self.instance.pk:
            self.fields["version"].required = False


class PriceItemForm(forms.Form):
    product = forms.ModelChoiceField(label=_("Product"), queryset=Product.objects.none(), required=False)
    price = AmountField(label=_("Price"), required=False)

    def __init__(self, *args: Any, products: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if products is not None:
            self.fields["product"].queryset = products  # type: ignore[attr-defined]
        self.fields["product"].widget.attrs.update({"class": "form-select form-select-sm"})
        self.fields["price"].widget.attrs.update({"class": "form-control form-control-sm"})

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("product") and data.get("price") is None and not data.get("DELETE"):
            self.add_error("price", _("Enter the price."))
        return data


class BasePriceItemFormSet(forms.BaseFormSet):  # type: ignore[type-arg]
    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        self.products = access.scope(user, Product, Action.VIEW).order_by("code")
        super().__init__(*args, **kwargs)

    def get_form_kwargs(self, index: int | None) -> dict[str, Any]:
        return {**super().get_form_kwargs(index), "products": self.products}

    def clean(self) -> None:
        seen: set[int] = set()
        for form in self.forms:
            product = getattr(form, "cleaned_data", {}).get("product")
            if product is None or form.cleaned_data.get("DELETE"):
                continue
            if product.pk in seen:
                form.add_error("product", _("This product is listed twice."))
            seen.add(product.pk)

    def items(self) -> dict[Product, Decimal]:
        return {
            form.cleaned_data["product"]: form.cleaned_data["price"]
            for form in self.forms
            if form.cleaned_data.get("product") and not form.cleaned_data.get("DELETE")
        }


PriceItemFormSet = cast(
    "type[BasePriceItemFormSet]",
    forms.formset_factory(
        PriceItemForm, formset=BasePriceItemFormSet, extra=5, can_delete=True, max_num=2000, validate_max=True
    ),
)
