"""Forms of the billing pages: an invoice's header, issuing and its e-invoice data, corrections, invoicing
an order, returns, receipts and vouchers with their allocations, and a bank statement's upload.

The forms parse what was typed; the rules (never more than ordered, never more than the balance…) are
the services' (sencrm/billing/services.py), whose ValidationErrors the views put back on these forms.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from sencrm.billing.models import Invoice, InvoiceKind, PaymentKind, PaymentMethod
from sencrm.billing.reconcile import ROLES
from sencrm.commerce.forms import CHOICE_LIMIT, QuantityField
from sencrm.commerce.models import OrderLine
from sencrm.core.forms import DateField, assignable_owners
from sencrm.core.modules import Action, Module
from sencrm.core.record_views import RecordForm, scope_choices
from sencrm.customers.models import Account, Contact
from sencrm.sales.opportunity_forms import AmountField

SMALL = "form-control form-control-sm"


class InvoiceForm(RecordForm):
    """The header of a standalone invoice (an order's invoice keeps the order's customer). Customers are
    limited to those the user may see (RecordForm), owners to those billing may hand the invoice to."""

    discount_amount = AmountField(label=_("Discount on the whole invoice (amount)"), required=False)
    issue_date = DateField(label=_("Date"), required=False)
    due_date = DateField(
        label=_("Due date"),
        required=False,
        help_text=_("Left empty, it is set when the invoice is issued, from the customer's payment terms."),
    )

    class Meta:
        model = Invoice
        fields = [
            "contact",
            "account",
            "issue_date",
            "due_date",
            "discount_percent",
            "discount_amount",
            "notes",
            "owner",
        ]
        widgets = {"notes": forms.Textarea(attrs={"rows": 3})}

    def __init__(
        self, *args: Any, user: Any = None, prefill: dict[str, Any] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, user=user, **kwargs)
        for name, value in (prefill or {}).items():
            self.initial[name] = value
        if user is not None:
            # Left empty, a new invoice belongs to the customer's owner (the salesperson sees it).
            owner: Any = self.fields["owner"]
            owner.queryset = assignable_owners(
                user, Module.BILLING, Action.EDIT if self.instance.pk else Action.CREATE
            )
            owner.required = False
            owner.help_text = _("Left empty: the customer's owner.")
        for name in ("contact", "account"):
            _limited(self.fields[name], [self.initial.get(name), getattr(self.instance, f"{name}_id", None)])
        if not self.instance.pk:
            self.fields["version"].required = False
        elif self.instance.order_id:
            # An order's invoice: the customer is the order's, the lines come from the order.
            for name in ("contact", "account"):
                self.fields[name].disabled = True

    def clean_discount_amount(self) -> Decimal:
        return self.cleaned_data.get("discount_amount") or Decimal(0)

    def changes(self) -> dict[str, Any]:
        data = {
            name: value for name, value in self.record_changes().items() if not self.fields[name].disabled
        }
        if not data.get("owner"):
            data.pop("owner", None)
        if data.get("issue_date") is None:
            data.pop("issue_date", None)  # the service dates a new invoice today, an edit keeps its date
        return data


class EInvoiceForm(forms.Form):
    """What the e-invoice provider gave the invoice (form, series, number, lookup code, provider)."""

    einvoice_form = forms.CharField(label=_("Form number (mẫu số)"), required=False, max_length=10)
    einvoice_series = forms.CharField(label=_("Series (ký hiệu)"), required=False, max_length=10)
    einvoice_number = forms.CharField(label=_("E-invoice number"), required=False, max_length=20)
    einvoice_lookup_code = forms.CharField(label=_("Lookup code"), required=False, max_length=100)
    einvoice_provider = forms.CharField(label=_("Provider"), required=False, max_length=100)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)

    def __init__(self, *args: Any, invoice: Invoice | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if invoice is not None and not self.is_bound:
            self.initial.update({name: getattr(invoice, name) for name in self.einvoice_names()})
            self.initial["version"] = invoice.version
        for name in self.einvoice_names():
            self.fields[name].widget.attrs.setdefault("class", SMALL)

    @staticmethod
    def einvoice_names() -> list[str]:
        return [
            "einvoice_form",
            "einvoice_series",
            "einvoice_number",
            "einvoice_lookup_code",
            "einvoice_provider",
        ]

    def values(self, *, filled_only: bool = False) -> dict[str, str]:
        values = {name: self.cleaned_data.get(name) or "" for name in self.einvoice_names()}
        return {k: v for k, v in values.items() if v} if filled_only else values


class CorrectionForm(forms.Form):
    """An adjustment or replacement invoice for an issued one (Decree 70/2025); its lines go beside."""

    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=[
            (InvoiceKind.ADJUSTMENT, InvoiceKind.ADJUSTMENT.label),
            (InvoiceKind.REPLACEMENT, InvoiceKind.REPLACEMENT.label),
        ],
        widget=forms.RadioSelect,
        initial=InvoiceKind.ADJUSTMENT,
    )
    decrease = forms.BooleanField(
        label=_("It decreases the amount owed (a credit note)"),
        required=False,
        help_text=_("For an adjustment only: the lines are what is taken off the original invoice."),
    )
    correction_reason = forms.CharField(
        label=_("Reason"), max_length=300, widget=forms.Textarea(attrs={"rows": 2})
    )
    agreement_date = DateField(label=_("Date of the written agreement with the buyer"))


class QuantitiesForm(forms.Form):
    """A quantity input per order line (`line_<id>`), empty or 0 for the lines left out."""

    def __init__(self, *args: Any, lines: Iterable[OrderLine], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.order_lines = list(lines)
        for line in self.order_lines:
            self.fields[f"line_{line.pk}"] = QuantityField(
                label=line.description,
                required=False,
                min_value=Decimal(0),
                max_digits=15,
                decimal_places=3,
                widget=forms.TextInput(attrs={"class": f"{SMALL} text-end", "inputmode": "decimal"}),
            )

    def quantities(self) -> dict[int, Decimal]:
        return {
            line.pk: self.cleaned_data[f"line_{line.pk}"]
            for line in self.order_lines
            if self.cleaned_data.get(f"line_{line.pk}")
        }

    def field_for(self, line: OrderLine) -> forms.BoundField:
        return self[f"line_{line.pk}"]


class OrderInvoiceForm(QuantitiesForm):
    """Invoicing an order: chosen quantities, or a quick "everything left" / "what was delivered"."""

    PARTS = ("all", "delivered")

    def part(self) -> str:
        """ "all" or "delivered" for a quick button, "" for the quantities typed."""
        part = str(self.data.get("part", ""))
        return part if part in self.PARTS else ""

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not self.part() and not self.errors and not self.quantities():
            raise forms.ValidationError(_("Enter the quantity to invoice of at least one line."))
        return cleaned


class ReturnForm(QuantitiesForm):
    """Goods sent back against an order's delivered lines."""

    reason = forms.CharField(label=_("Reason"), max_length=300, widget=forms.Textarea(attrs={"rows": 2}))
    returned_on = DateField(label=_("Return date"), required=False)
    refund_method = forms.ChoiceField(
        label=_("Refund what the credit leaves over"),
        required=False,
        choices=[("", _("No refund: keep it as the customer's credit")), *PaymentMethod.choices],
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not self.errors and not self.quantities():
            raise forms.ValidationError(_("Enter the returned quantity of at least one line."))
        return cleaned


class AllocationFields(forms.Form):
    """An amount input per open invoice (`alloc_<id>`), each at most its balance (the service checks)."""

    def __init__(self, *args: Any, invoices: Iterable[Invoice] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.invoices = list(invoices)
        for invoice in self.invoices:
            self.fields[f"alloc_{invoice.pk}"] = AmountField(
                label=str(invoice.number),
                required=False,
                widget=forms.TextInput(attrs={"class": f"{SMALL} text-end"}),
            )

    def allocations(self) -> list[tuple[Invoice, Decimal]]:
        return [
            (invoice, amount)
            for invoice in self.invoices
            if (amount := self.cleaned_data.get(f"alloc_{invoice.pk}"))
        ]

    def allocation_rows(self) -> list[tuple[Invoice, forms.BoundField]]:
        return [(invoice, self[f"alloc_{invoice.pk}"]) for invoice in self.invoices]


class AllocateForm(AllocationFields):
    """What a receipt has left, applied to the customer's open invoices."""

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not self.errors and not self.allocations():
            raise forms.ValidationError(_("Enter the amount to apply to at least one invoice."))
        return cleaned


def _limited(field: forms.Field, keep: Iterable[Any]) -> None:
    """A customer select offers the most recent customers the user may see, plus those already chosen
    (given as records or ids)."""
    queryset = field.queryset  # type: ignore[attr-defined]
    kept = {getattr(obj, "pk", obj) for obj in keep if obj is not None}
    recent = list(queryset.order_by("-id")[:CHOICE_LIMIT].values_list("pk", flat=True))
    field.queryset = queryset.filter(pk__in=[*recent, *kept])  # type: ignore[attr-defined]


class PaymentForm(AllocationFields):
    """A receipt (money in) or a payment voucher (money out), with the parts of a receipt applied to the
    customer's open invoices."""

    kind = forms.ChoiceField(label=_("Kind"), choices=PaymentKind.choices, initial=PaymentKind.RECEIPT)
    method = forms.ChoiceField(
        label=_("Method"), choices=PaymentMethod.choices, initial=PaymentMethod.BANK_TRANSFER
    )
    amount = AmountField(label=_("Amount (₫)"))
    paid_at = DateField(label=_("Date"), required=False, help_text=_("Today when left empty."))
    contact = forms.ModelChoiceField(label=_("Contact"), queryset=Contact.objects.all(), required=False)
    account = forms.ModelChoiceField(label=_("Account"), queryset=Account.objects.all(), required=False)
    reference = forms.CharField(
        label=_("Reference"),
        required=False,
        max_length=100,
        help_text=_("The bank's transaction reference, the cheque or slip number…"),
    )
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(
        self,
        *args: Any,
        user: Any,
        invoices: Iterable[Invoice] = (),
        keep: Iterable[Any] = (),
        refresh_url: str = "",
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, invoices=invoices, **kwargs)
        scope_choices(self, user)
        keep = list(keep)
        for name in ("contact", "account"):
            _limited(self.fields[name], keep)
            if refresh_url:
                # Choosing the customer lists their open invoices again (htmx; without it, the form's
                # "Show open invoices" button does the same).
                self.fields[name].widget.attrs.update(
                    {
                        "hx-get": refresh_url,
                        "hx-trigger": "change",
                        "hx-include": "[name=contact],[name=account]",
                        "hx-target": "#allocations",
                        "hx-select": "#allocations",
                        "hx-swap": "outerHTML",
                    }
                )

    def clean_amount(self) -> Decimal | None:
        amount: Decimal | None = self.cleaned_data.get("amount")
        if amount is not None and amount <= 0:
            raise forms.ValidationError(_("An amount is a whole number of đồng above 0."))
        return amount

    def paid_moment(self) -> datetime:
        """The day typed, at noon (today: now), as the payment's time."""
        day: date | None = self.cleaned_data.get("paid_at")
        if day is None or day == timezone.localdate():
            return timezone.now()
        return timezone.make_aware(datetime.combine(day, time(12, 0)))

    def payment_data(self) -> dict[str, Any]:
        data = {
            name: self.cleaned_data.get(name)
            for name in ("kind", "method", "amount", "contact", "account", "reference", "notes")
        }
        data["paid_at"] = self.paid_moment()
        return data


class StatementUploadForm(forms.Form):
    """A bank statement export, the bank it is from and, when the columns are not recognised, which is
    which (saved for the bank's next statement)."""

    file = forms.FileField(label=_("Statement file (CSV or Excel)"))
    bank = forms.CharField(
        label=_("Bank"),
        required=False,
        max_length=80,
        help_text=_("A saved column mapping of this bank is used when no columns are given below."),
    )
    save_mapping = forms.BooleanField(label=_("Save this column mapping for this bank"), required=False)
    map_date = forms.CharField(label=_("Date column"), required=False, max_length=120)
    map_credit = forms.CharField(label=_("Money in (credit) column"), required=False, max_length=120)
    map_debit = forms.CharField(label=_("Money out (debit) column"), required=False, max_length=120)
    map_amount = forms.CharField(
        label=_("Signed amount column"),
        required=False,
        max_length=120,
        help_text=_("Only when the bank gives one amount column, negative for money out."),
    )
    map_content = forms.CharField(label=_("Transfer content column"), required=False, max_length=120)
    map_reference = forms.CharField(label=_("Reference column"), required=False, max_length=120)

    MAPPING_FIELDS = tuple(f"map_{role}" for role in ROLES)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("save_mapping") and not (cleaned.get("bank") or "").strip():
            self.add_error("bank", _("Name the bank to save its columns for."))
        return cleaned

    def mapping(self) -> dict[str, str] | None:
        given = {
            name.removeprefix("map_"): value
            for name in self.MAPPING_FIELDS
            if (value := (self.cleaned_data.get(name) or "").strip())
        }
        return given or None

    def mapping_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.MAPPING_FIELDS]
