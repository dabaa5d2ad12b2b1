"""How billing's events read in history and notifications ("Invoice issued", "Invoice overdue")."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sencrm.events.formatting import register_type_labels
from sencrm.events.messages import register_kind

TYPE_LABELS = {
    "invoice.issued": gettext_lazy("Invoice issued"),
    "invoice.paid": gettext_lazy("Invoice paid"),
    "invoice.partly_paid": gettext_lazy("Invoice partly paid"),
    "invoice.overdue": gettext_lazy("Invoice overdue"),
    "invoice.reminded": gettext_lazy("Payment reminder sent"),
    "invoice.replaced": gettext_lazy("Invoice replaced"),
    "invoice.einvoice_recorded": gettext_lazy("E-invoice data recorded"),
    "payment.received": gettext_lazy("Payment received"),
    "payment.allocated": gettext_lazy("Payment allocated to invoices"),
    "bankstatement.reconciled": gettext_lazy("Bank statement reconciled"),
    "return.created": gettext_lazy("Goods returned"),
}


def _invoice_due(params: dict[str, str]) -> str:
    return _("Invoice %(record)s of %(customer)s (%(balance)s ₫) is due on %(due_date)s.") % {
        "record": params.get("record", ""),
        "customer": params.get("customer", ""),
        "balance": params.get("balance", ""),
        "due_date": params.get("due_date", ""),
    }


def _invoice_overdue(params: dict[str, str]) -> str:
    return _("Invoice %(record)s of %(customer)s is overdue since %(due_date)s: %(balance)s ₫ unpaid.") % {
        "record": params.get("record", ""),
        "customer": params.get("customer", ""),
        "balance": params.get("balance", ""),
        "due_date": params.get("due_date", ""),
    }


def register() -> None:
    register_type_labels(TYPE_LABELS)
    register_kind("invoice_due", _invoice_due)
    register_kind("invoice_overdue", _invoice_overdue)
