"""The promotion's form (its rules are checked by the service, with the words a user reads)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from sencrm.catalog.models import Category, Product
from sencrm.core.forms import DateField
from sencrm.core.modules import Module
from sencrm.core.record_views import RecordForm
from sencrm.customers.models import CustomerGroup
from sencrm.promotions.models import MAX_LIMIT, Promotion
from sencrm.sales.opportunity_forms import AmountField


class PromotionForm(RecordForm):
    owner_module = Module.MARKETING
    value = forms.DecimalField(
        label=_("Value"),
        required=False,
        max_digits=18,
        decimal_places=2,
        help_text=_("A percentage (e.g. 10) or an amount in đồng (e.g. 500000); not used by a gift."),
    )
    gift_quantity = forms.DecimalField(
        label=_("Gift quantity"), required=False, max_digits=15, decimal_places=3, min_value=Decimal("0.001")
    )
    min_order = AmountField(label=_("Minimum order"), required=False)
    valid_from = DateField(label=_("Valid from"), required=False)
    valid_until = DateField(label=_("Valid until (included)"), required=False)
    usage_limit = forms.IntegerField(
        label=_("Uses in all"),
        required=False,
        min_value=1,
        max_value=MAX_LIMIT,
        help_text=_("Empty: no limit."),
    )
    per_customer_limit = forms.IntegerField(
        label=_("Uses per customer"),
        required=False,
        min_value=1,
        max_value=MAX_LIMIT,
        help_text=_("Empty: no limit."),
    )
    products = forms.ModelMultipleChoiceField(
        label=_("Products"),
        queryset=Product.objects.filter(active=True).order_by("code"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None chosen (and no category): every line of the document."),
    )
    categories = forms.ModelMultipleChoiceField(
        label=_("Categories"),
        queryset=Category.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Their sub-categories included."),
    )
    customer_groups = forms.ModelMultipleChoiceField(
        label=_("Customer groups"),
        queryset=CustomerGroup.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None chosen: every customer."),
    )

    sections = (
        ("offer", _("Offer"), ["code", "name", "kind", "value", "gift_product", "gift_quantity", "active"]),
        ("rules", _("Conditions"), ["products", "categories", "customer_groups", "min_order"]),
        ("limits", _("Dates and limits"), ["valid_from", "valid_until", "usage_limit", "per_customer_limit"]),
        ("about", _("About"), ["campaign", "owner", "description"]),
    )

    class Meta:
        model = Promotion
        fields = [
            "code", "name", "kind", "value", "gift_product", "gift_quantity", "active", "products",
            "categories", "customer_groups", "min_order", "valid_from", "valid_until", "usage_limit",
            "per_customer_limit", "campaign", "owner", "description",
        ]  # fmt: skip
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        if not self.instance.pk:
            self.fields["version"].required = False
        self.fields["code"].help_text = _(
            "What the customer gives (letters and digits, e.g. HE2026). Empty: the promotion applies by "
            "itself to every document its conditions fit."
        )
        self.fields["gift_product"].queryset = (  # type: ignore[attr-defined]
            self.fields["gift_product"].queryset.filter(active=True).order_by("code")  # type: ignore[attr-defined]
        )

    def clean_min_order(self) -> Decimal:
        return self.cleaned_data.get("min_order") or Decimal(0)

    def clean_gift_quantity(self) -> Decimal:
        return self.cleaned_data.get("gift_quantity") or Decimal(1)

    def clean_value(self) -> Decimal:
        return self.cleaned_data.get("value") or Decimal(0)

    def validate_unique(self) -> None:
        """The service checks the code against live promotions only (the model knows no trash)."""

    def _post_clean(self) -> None:
        # The model's own checks run in the service, with the words a user reads.
        pass
