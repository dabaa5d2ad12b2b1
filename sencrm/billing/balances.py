"""The one definition of what is owed: an invoice's balance is its total minus its allocations.

`refresh(invoice)` recomputes it from the allocations and writes the stored copy (paid_total,
balance, status, paid_at) inside the caller's transaction, on a row the caller has locked.
"""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Sum
from django.utils import timezone

from sencrm.billing.models import Allocation, Invoice, InvoiceStatus, Payment

ZERO = Decimal(0)


def allocated_to(invoice_id: int) -> Decimal:
    total = Allocation.objects.filter(invoice_id=invoice_id).aggregate(s=Sum("amount"))["s"]
    return Decimal(total or 0)


def balance_of(total: Decimal, allocated: Decimal) -> Decimal:
    """What is still owed; never negative (allocations are capped at the balance when made)."""
    return max(total - allocated, ZERO)


def status_for(invoice: Invoice, paid: Decimal) -> str:
    """Draft and replaced stay as they are; an issued invoice is paid iff nothing is owed."""
    if invoice.status in (InvoiceStatus.DRAFT, InvoiceStatus.REPLACED) or invoice.is_credit:
        return invoice.status
    if paid >= invoice.total:
        return InvoiceStatus.PAID
    return InvoiceStatus.PARTLY_PAID if paid > 0 else InvoiceStatus.ISSUED


def refresh(invoice: Invoice) -> tuple[str, str]:
    """Recompute and store the invoice's paid total, balance and status; (old status, new status)."""
    paid = allocated_to(invoice.pk)
    old = invoice.status
    invoice.paid_total = paid
    invoice.balance = (
        ZERO
        if invoice.is_credit or invoice.status == InvoiceStatus.DRAFT
        else balance_of(invoice.total, paid)
    )
    invoice.status = status_for(invoice, paid)
    if invoice.status == InvoiceStatus.PAID and invoice.paid_at is None:
        invoice.paid_at = timezone.now()
    elif invoice.status != InvoiceStatus.PAID:
        invoice.paid_at = None
    Invoice.all_objects.filter(pk=invoice.pk).update(
        paid_total=invoice.paid_total, balance=invoice.balance, status=invoice.status, paid_at=invoice.paid_at
    )
    return old, invoice.status


def refresh_payment(payment: Payment) -> None:
    total = payment.allocations.aggregate(s=Sum("amount"))["s"]
    payment.allocated_total = Decimal(total or 0)
    Payment.all_objects.filter(pk=payment.pk).update(allocated_total=payment.allocated_total)


def credit_remaining(credit: Invoice) -> Decimal:
    """What a credit note has not yet applied to invoices."""
    used = credit.credit_allocations.aggregate(s=Sum("amount"))["s"]
    return max(credit.total - Decimal(used or 0), ZERO)
