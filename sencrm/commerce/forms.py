"""Forms of the document pages: the header of a quote, order or contract, and its lines."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from sencrm.catalog.models import Product
from sencrm.commerce.models import MAX_LINES, Contract, Order, Quote
from sencrm.core import access
from sencrm.core.forms import DateField, DateInput, assignable_owners
from sencrm.core.modules import Action, Module
from sencrm.core.record_views import RecordForm
from sencrm.core.vat import VatRate
from sencrm.sales.opportunity_forms import AmountField

CHOICE_LIMIT = 200


class DocumentForm(RecordForm):
    """The header of a document. Customers are limited to those the user may see (RecordForm)."""

    discount_amount = AmountField(label=_("Discount on the whole document (amount)"), required=False)

    def __init__(
        self, *args: Any, user: Any = None, prefill: dict[str, Any] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, user=user, **kwargs)
        for name, value in (prefill or {}).items():
            if name in self.fields:
                self.initial[name] = value
        for name in ("contact", "account", "opportunity", "contract"):
            field = self.fields.get(name)
            if field is not None:
                queryset = field.queryset  # type: ignore[attr-defined]
                # An edit form's initial values are ids; a prefill or the instance gives records.
                keep = {
                    getattr(v, "pk", v)
                    for v in [self.initial.get(name), getattr(self.instance, name, None)]
                    if v is not None
                }
                limited = list(queryset.order_by("-id")[:CHOICE_LIMIT].values_list("pk", flat=True))
                field.queryset = queryset.filter(pk__in=[*limited, *keep])  # type: ignore[attr-defined]
        if "owner" in self.fields and user is not None:
            self.fields["owner"].queryset = assignable_owners(  # type: ignore[attr-defined]
                user, Module.COMMERCE, Action.EDIT if self.instance.pk else Action.CREATE
            )
            self.fields["owner"].required = False
        if "version" in self.fields and not self.instance.pk:
            self.fields["version"].required = False

    def clean_discount_amount(self) -> Decimal:
        return self.cleaned_data.get("discount_amount") or Decimal(0)


PROMOTION_HELP = _(
    "The customer's promotion code, if any (automatic promotions apply by themselves). A code that does not "
    "apply is refused with the reason."
)


class QuoteForm(DocumentForm):
    valid_until = DateField(label=_("Valid until"), required=False)
    issue_date = DateField(label=_("Date"), required=False)
    promotion_code = forms.CharField(
        label=_("Promotion code"), required=False, max_length=40, help_text=PROMOTION_HELP
    )

    class Meta:
        model = Quote
        fields = [
            "contact",
            "account",
            "opportunity",
            "issue_date",
            "valid_until",
            "promotion_code",
            "discount_percent",
            "discount_amount",
            "notes",
            "owner",
        ]
        widgets = {"notes": forms.Textarea(attrs={"rows": 3})}


class OrderForm(DocumentForm):
    issue_date = DateField(label=_("Date"), required=False)
    delivery_date = DateField(label=_("Promised delivery date"), required=False)
    promotion_code = forms.CharField(
        label=_("Promotion code"), required=False, max_length=40, help_text=PROMOTION_HELP
    )

    class Meta:
        model = Order
        fields = [
            "contact",
            "account",
            "opportunity",
            "contract",
            "issue_date",
            "delivery_date",
            "delivery_address",
            "promotion_code",
            "discount_percent",
            "discount_amount",
            "notes",
            "owner",
        ]
        widgets = {"notes": forms.Textarea(attrs={"rows": 3})}


class ContractForm(DocumentForm):
    issue_date = DateField(label=_("Date"), required=False)
    start_date = DateField(label=_("Start date"))
    end_date = DateField(label=_("End date"), required=False)

    class Meta:
        model = Contract
        fields = [
            "name",
            "contact",
            "account",
            "customer_group",
            "opportunity",
            "issue_date",
            "start_date",
            "end_date",
            "billing_schedule",
            "warranty_months",
            "discount_percent",
            "discount_amount",
            "notes",
            "owner",
        ]
        widgets = {"notes": forms.Textarea(attrs={"rows": 3})}


class QuantityField(forms.DecimalField):
    """A quantity typed with a decimal comma ("1,5") or point ("1.5"), up to 3 decimals."""

    def to_python(self, value: Any) -> Any:
        if isinstance(value, str):
            value = value.strip().replace(" ", "")
            if value.count(",") == 1 and "." not in value:
                value = value.replace(",", ".")
        return super().to_python(value)


class LineForm(forms.Form):
    section = forms.CharField(label=_("Section"), required=False, max_length=120)
    product = forms.ModelChoiceField(label=_("Product"), queryset=Product.objects.none(), required=False)
    description = forms.CharField(label=_("Description"), required=False, max_length=500)
    unit = forms.CharField(label=_("Unit"), required=False, max_length=20)
    quantity = QuantityField(label=_("Quantity"), max_digits=15, decimal_places=3, required=False)
    unit_price = AmountField(label=_("Unit price"), required=False)
    discount_percent = forms.DecimalField(
        label=_("Discount (%)"), max_digits=5, decimal_places=2, min_value=0, max_value=100, required=False
    )
    vat_rate = forms.ChoiceField(label=_("VAT"), choices=[("", "—"), *VatRate.choices], required=False)

    def __init__(self, *args: Any, products: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if products is not None:
            self.fields["product"].queryset = products  # type: ignore[attr-defined]
        for name, field in self.fields.items():
            css = (
                "form-select form-select-sm"
                if isinstance(field, forms.ChoiceField)
                else "form-control form-control-sm"
            )
            if name != "DELETE":
                field.widget.attrs.setdefault("class", css)
                field.widget.attrs.setdefault("aria-label", str(field.label))

    def line(self) -> dict[str, Any] | None:
        """The line for the service, or None for an empty row."""
        data = self.cleaned_data
        if not data or data.get("DELETE") or not (data.get("product") or data.get("description")):
            return None
        line = {name: data.get(name) for name in ("section", "product", "description", "unit", "unit_price")}
        line["quantity"] = data.get("quantity") if data.get("quantity") is not None else Decimal(1)
        line["discount_percent"] = data.get("discount_percent") or Decimal(0)
        line["vat_rate"] = data.get("vat_rate") or None
        return line


class BaseLineFormSet(forms.BaseFormSet):  # type: ignore[type-arg]
    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        self.products = (
            access.scope(user, Product, Action.VIEW).filter(active=True).order_by("code")
            if user is not None
            else Product.objects.none()
        )
        super().__init__(*args, **kwargs)

    def get_form_kwargs(self, index: int | None) -> dict[str, Any]:
        return {**super().get_form_kwargs(index), "products": self.products}

    def lines(self) -> list[dict[str, Any]]:
        return [line for form in self.forms if (line := form.line()) is not None]


LineFormSet = cast(
    "type[BaseLineFormSet]",
    forms.formset_factory(
        LineForm, formset=BaseLineFormSet, extra=3, can_delete=True, max_num=MAX_LINES, validate_max=True
    ),
)


def initial_lines(lines: Any) -> list[dict[str, Any]]:
    """The lines as the form shows them; a promotion's gift line is left out (the promotion adds it)."""
    return [
        {
            "section": line.section,
            "product": line.product_id,
            "description": line.description,
            "unit": line.unit,
            "quantity": line.quantity.normalize(),
            "unit_price": line.unit_price,
            "discount_percent": line.discount_percent or None,
            "vat_rate": line.vat_rate,
        }
        for line in lines
        if not getattr(line, "promotion_gift", False)
    ]


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=300, widget=forms.Textarea(attrs={"rows": 2}))


class DeliveryForm(forms.Form):
    delivered_on = DateField(label=_("Delivery date"), widget=DateInput())
    note = forms.CharField(label=_("Note"), required=False, max_length=300)

    def __init__(self, *args: Any, order: Order, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.order_lines = [line for line in order.lines.all() if line.delivered_quantity < line.quantity]
        for line in self.order_lines:
            self.fields[f"line_{line.pk}"] = QuantityField(
                label=line.description,
                required=False,
                min_value=Decimal(0),
                max_value=line.quantity - line.delivered_quantity,
                max_digits=15,
                decimal_places=3,
            )

    def quantities(self) -> dict[int, Decimal]:
        return {
            line.pk: self.cleaned_data[f"line_{line.pk}"]
            for line in self.order_lines
            if self.cleaned_data.get(f"line_{line.pk}")
        }


class SignedFileForm(forms.Form):
    file = forms.FileField(label=_("Signed copy (PDF)"))
