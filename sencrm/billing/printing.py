"""Invoices, receipts (phiếu thu) and payment vouchers (phiếu chi) as printing contexts and PDFs.

An invoice's context is a sales document's (sencrm/commerce/printing.py) with the invoice's own keys
under `document`: dates, status, the original it corrects, the e-invoice's numbers, what is paid and
owed, and the VietQR code for the balance. The sandbox lets templates read only the names of the
context contract (sencrm/documents/context.py), so these go inside `document`, not beside it.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.utils import timezone, translation

from sencrm.billing.einvoice import invoice_totals
from sencrm.billing.models import Invoice, Payment
from sencrm.billing.selectors import invoice_vietqr
from sencrm.commerce.printing import _customer, document_context
from sencrm.core import vietqr
from sencrm.core.money import amount_in_words
from sencrm.documents.models import CompanyProfile
from sencrm.documents.pdf import DOCUMENT_LANGUAGE, pdf_response, render_pdf
from sencrm.documents.selectors import company_profile


def _person(user: Any) -> str:
    if user is None:
        return ""
    full_name = user.get_full_name() if hasattr(user, "get_full_name") else ""
    return str(full_name or user)


def _vietqr(invoice: Invoice, company: CompanyProfile) -> dict[str, Any] | None:
    """What the QR section prints: the code for the balance and the transfer it fills in."""
    payload = invoice_vietqr(invoice, company=company)
    if payload is None:
        return None
    bank = vietqr.bank_by_bin(company.bank_bin)
    return {
        "payload": payload,
        "png": vietqr.qr_png_data_uri(payload),
        "bank": bank.short_name if bank else company.bank_name,
        "bank_name": company.bank_name or (bank.name if bank else ""),
        "account": company.bank_account,
        "account_name": company.name,
        "amount": invoice.balance,
        "purpose": vietqr.purpose_text(invoice.number),
    }


def _einvoice(invoice: Invoice) -> dict[str, str] | None:
    values = {
        "form": invoice.einvoice_form,
        "series": invoice.einvoice_series,
        "number": invoice.einvoice_number,
        "lookup_code": invoice.einvoice_lookup_code,
        "provider": invoice.einvoice_provider,
    }
    return values if any(values.values()) else None


def _original(invoice: Invoice) -> dict[str, Any] | None:
    original = invoice.original
    if original is None:
        return None
    return {
        "number": original.number,
        "date": original.issue_date,
        "einvoice_form": original.einvoice_form,
        "einvoice_series": original.einvoice_series,
        "einvoice_number": original.einvoice_number,
    }


def invoice_context(invoice: Invoice, *, company: CompanyProfile | None = None) -> dict[str, Any]:
    """Plain values only (never model instances): what the sandboxed invoice template may read."""
    company = company or company_profile()
    context = document_context(invoice)
    # Labels in the language the document prints in, whatever the reader's (the PDF is Vietnamese).
    with translation.override(DOCUMENT_LANGUAGE):
        status_label = str(invoice.get_status_display())
        kind_label = str(invoice.get_kind_display())
    context["document"].update(
        {
            "number": invoice.number,
            "date": invoice.issue_date,
            "due_date": invoice.due_date,
            "status": invoice.status,
            "status_label": status_label,
            "kind": invoice.kind,
            "kind_label": kind_label,
            "is_credit": invoice.is_credit,
            "order": invoice.order.number if invoice.order else "",
            "contract": invoice.contract.number if invoice.contract else "",
            "original": _original(invoice),
            "correction_reason": invoice.correction_reason,
            "agreement_date": invoice.agreement_date,
            "einvoice": _einvoice(invoice),
            "paid_total": invoice.paid_total,
            "balance": invoice.balance,
            "vietqr": _vietqr(invoice, company),
        }
    )
    # The base of each rate (after the document discount's shares), for the per-rate summary.
    computed = invoice_totals(invoice, list(invoice.lines.order_by("position", "id")))
    context["totals"]["vat_base_by_rate"] = {rate: group.base for rate, group in computed.vat_by_rate.items()}
    return context


def invoice_pdf(invoice: Invoice) -> bytes:
    return render_pdf("invoice", invoice_context(invoice))


def invoice_pdf_response(invoice: Invoice) -> HttpResponse:
    return pdf_response(invoice_pdf(invoice), filename=f"{invoice.number}.pdf")


def payment_context(payment: Payment) -> dict[str, Any]:
    """A receipt or a payment voucher: who paid (or was paid), how much, how, for which invoices."""
    allocations = list(
        payment.allocations.select_related("invoice").order_by("invoice__issue_date", "invoice_id", "id")
    )
    with translation.override(DOCUMENT_LANGUAGE):
        kind_label = str(payment.get_kind_display())
        method_label = str(payment.get_method_display())
    paid_at = payment.paid_at
    paid_on = timezone.localtime(paid_at).date() if timezone.is_aware(paid_at) else paid_at.date()
    return {
        "document": {
            "number": payment.number,
            "date": paid_on,
            "kind": payment.kind,
            "kind_label": kind_label,
            "method": payment.method,
            "method_label": method_label,
            "amount": payment.amount,
            "amount_in_words": amount_in_words(payment.amount),
            "reference": payment.reference,
            "allocations": [
                {"number": a.invoice.number, "date": a.invoice.issue_date, "amount": a.amount}
                for a in allocations
            ],
            "allocated_total": payment.allocated_total,
            "unallocated": payment.unallocated,
            "recorded_by": _person(payment.created_by) or _person(payment.owner),
            "owner": _person(payment.owner),
        },
        "customer": _customer(payment),
        "totals": {"total": payment.amount},
        "total_in_words": amount_in_words(payment.amount),
        "notes": payment.notes,
    }


def payment_pdf(payment: Payment) -> bytes:
    # A voucher prints with the receipt's template: its title follows document.kind.
    return render_pdf("receipt", payment_context(payment))


def payment_pdf_response(payment: Payment) -> HttpResponse:
    return pdf_response(payment_pdf(payment), filename=f"{payment.number}.pdf")
