"""A sales document as the printing context (sencrm/documents) and as a PDF."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse

from sencrm.commerce.models import Contract, Document, Order, Quote
from sencrm.commerce.vat import effective_code, rate_sort_key
from sencrm.core.money import amount_in_words
from sencrm.documents.pdf import pdf_response, render_pdf

TITLES = {Quote: "quote", Order: "order", Contract: "contract"}


def _customer(document: Any) -> dict[str, Any]:
    account, contact = document.account, document.contact
    main: Any = account or contact
    return {
        "name": str(main or ""),
        "address": getattr(main, "address", "") or "",
        "tax_code": getattr(account, "tax_code", "") if account else "",
        "phone": getattr(main, "primary_phone", "") or "",
        "email": getattr(main, "primary_email", "") or "",
        "representative": str(contact or "") if account and contact else "",
        "representative_title": getattr(contact, "title", "") if account and contact else "",
    }


def document_context(document: Any) -> dict[str, Any]:
    """Plain values only (never model instances): what the sandboxed templates may read."""
    # The product's code is printed on each line: fetched with the lines, not one query per line.
    lines = list(document.lines.select_related("product").order_by("position", "id"))
    sections: list[dict[str, Any]] = []
    for line in lines:
        if not sections or sections[-1]["name"] != line.section:
            sections.append({"name": line.section, "subtotal": 0})
        sections[-1]["subtotal"] += line.amount
    # Each line at the rate it pays on the document's date (a reducible 10 % line is 8 % during the
    # reduction), and the summary grouped by that rate, as the totals computed it (commerce/totals.py).
    applied = [effective_code(line.vat_rate, line.vat_reducible, document.issue_date) for line in lines]
    vat_by_rate: dict[str, int] = {}
    for line, rate in zip(lines, applied, strict=True):
        vat_by_rate[rate] = vat_by_rate.get(rate, 0) + int(line.vat_amount)
    vat_by_rate = dict(sorted(vat_by_rate.items(), key=lambda item: rate_sort_key(item[0])))
    info: dict[str, Any] = {
        "number": str(document),
        "date": document.issue_date,
        "notes": document.notes,
        "owner": document.owner.get_full_name()
        if hasattr(document.owner, "get_full_name")
        else str(document.owner),
    }
    promotion_discount = getattr(document, "promotion_discount", 0) or 0
    if getattr(document, "promotion_name", ""):
        info["promotion"] = {
            "code": document.promotion_code,
            "name": document.promotion_name,
            "discount": promotion_discount,
        }
    if isinstance(document, Quote):
        info.update({"valid_until": document.valid_until, "version": document.revision})
    if isinstance(document, Order):
        info.update({"delivery_date": document.delivery_date, "delivery_address": document.delivery_address})
    if isinstance(document, Contract):
        info.update(
            {"title": document.name, "start_date": document.start_date, "end_date": document.end_date}
        )
    return {
        "document": info,
        "customer": _customer(document),
        "lines": [
            {
                "no": n,
                "section": line.section,
                "code": line.product.code if line.product_id else "",
                "description": line.description,
                "unit": line.unit,
                "quantity": line.quantity,
                "unit_price": line.unit_price,
                "discount_percent": line.discount_percent,
                "discount": line.discount_amount,
                "vat_rate": rate,
                "amount": line.amount,
                "vat_amount": line.vat_amount,
                "promotion_discount": getattr(line, "promotion_discount", 0) or 0,
                "gift": bool(getattr(line, "promotion_gift", False)),
            }
            for n, (line, rate) in enumerate(zip(lines, applied, strict=True), start=1)
        ],
        "sections": sections,
        "totals": {
            "subtotal": document.subtotal,
            "discount_total": document.discount_total,
            # The promotion's discount, and the other discounts (the line's own, the document's).
            "promotion_discount": promotion_discount,
            "other_discount": document.discount_total - promotion_discount,
            "vat_by_rate": vat_by_rate,
            "vat_total": document.vat_total,
            "total": document.total,
        },
        "total_in_words": amount_in_words(document.total),
        "notes": document.notes,
    }


def document_pdf(document: Document) -> bytes:
    return render_pdf(TITLES[type(document)], document_context(document))


def document_pdf_response(document: Document) -> HttpResponse:
    return pdf_response(document_pdf(document), filename=f"{str(document).replace(' ', '_')}.pdf")
