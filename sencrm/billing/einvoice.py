"""An issued invoice in the tax authority's e-invoice XML layout, and the interface of a provider adapter.

The layout is the General Department of Taxation's (Decision 1450/QĐ-TCT and its successors, for
Decree 123/2020 and Circular 78/2021): `HDon > DLHDon > TTChung, NDHDon`. The export is unsigned: an
e-invoice provider (a "tổ chức cung cấp giải pháp hóa đơn điện tử") validates it, gives it its form,
series and number, signs it and sends it to the tax authority. docs/einvoice.md explains the export,
how to hand it over, and how an adapter for a provider's API plugs in (`EINVOICE_PROVIDER`).

Amounts are whole đồng. A decreasing adjustment (a credit note) carries negative amounts, as Decree
123/2020 asks ("ghi dấu âm"); its quantities and unit prices stay as they are.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Protocol

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string
from django.utils.translation import gettext

from sencrm.billing.models import Invoice, InvoiceKind, InvoiceLine, InvoiceStatus
from sencrm.commerce import totals
from sencrm.commerce.printing import _customer
from sencrm.commerce.vat import NO_VAT
from sencrm.core import vietqr
from sencrm.core.money import amount_in_words
from sencrm.documents.models import CompanyProfile
from sencrm.documents.selectors import company_profile

VERSION = "2.1.0"
VAT_INVOICE = "Hóa đơn giá trị gia tăng"
VAT_INVOICE_FORM = "1"  # KHMSHDon of a VAT invoice (Circular 78/2021, Article 4)
PAYMENT_METHOD = "TM/CK"  # cash or transfer: what the invoice leaves open
GOODS_OR_SERVICE = "1"  # TChat: 1 goods or service (2 promotion, 3 trade discount, 4 note)
# TCHDon: the nature of an invoice that corrects another one.
NATURE = {InvoiceKind.REPLACEMENT: "1", InvoiceKind.ADJUSTMENT: "2"}
RELATED_DECREE_123 = "1"  # LHDCLQuan: the original is an e-invoice under Decree 123/2020


@dataclass(frozen=True, slots=True)
class EInvoiceResult:
    """What a provider answers when it has issued an e-invoice: the invoice's e-invoice fields."""

    form: str
    series: str
    number: str
    lookup_code: str = ""
    provider: str = ""

    def as_values(self) -> dict[str, str]:
        """The values `services.invoice_record_einvoice` (and `invoice_issue(einvoice=…)`) take."""
        return {
            "einvoice_form": self.form,
            "einvoice_series": self.series,
            "einvoice_number": self.number,
            "einvoice_lookup_code": self.lookup_code,
            "einvoice_provider": self.provider,
        }


class EInvoiceProvider(Protocol):
    """An adapter for one provider's API (docs/einvoice.md). None ships: each provider has its own
    contract and credentials. Each method sends the XML of `einvoice_xml` and raises on refusal."""

    name: str

    def issue(self, invoice: Invoice, xml: bytes) -> EInvoiceResult:
        """Issue a new e-invoice (a normal invoice)."""
        ...

    def adjust(self, invoice: Invoice, xml: bytes) -> EInvoiceResult:
        """Issue an adjustment e-invoice for `invoice.original` (the XML carries TTHDLQuan, TCHDon 2)."""
        ...

    def replace(self, invoice: Invoice, xml: bytes) -> EInvoiceResult:
        """Issue a replacement e-invoice for `invoice.original` (TTHDLQuan, TCHDon 1)."""
        ...


def einvoice_provider() -> EInvoiceProvider | None:
    """The adapter named by the `EINVOICE_PROVIDER` setting (a dotted path to a class or factory that
    takes no argument), or None when it is not set (the default: invoices are handed over by hand)."""
    path = getattr(settings, "EINVOICE_PROVIDER", None)
    if not path:
        return None
    try:
        factory = import_string(str(path))
    except ImportError as exc:
        raise ImproperlyConfigured(f"EINVOICE_PROVIDER: cannot import {path!r}: {exc}") from exc
    provider: EInvoiceProvider = factory()
    return provider


def invoice_totals(invoice: Invoice, lines: Sequence[InvoiceLine]) -> totals.Totals:
    """The invoice's totals as sencrm/commerce/totals.py computed them when it was written: the per-rate
    bases (after the document discount's shares), which the rows do not store."""
    return totals.compute(
        [
            totals.LineInput(
                quantity=line.quantity,
                unit_price=line.unit_price,
                discount_percent=line.discount_percent,
                discount_amount=line.discount_amount,
                vat_rate=line.vat_rate,
                vat_reducible=line.vat_reducible,
                section=line.section,
            )
            for line in lines
        ],
        document_discount=totals.DocumentDiscount(
            percent=invoice.discount_percent, amount=invoice.discount_amount
        ),
        on=invoice.issue_date,
        currency=invoice.currency,
    )


def rate_text(code: str) -> str:
    """TSuat: "10%", "8%", "5%", "0%", or "KCT" / "KKKNT" as they are."""
    return code if code in NO_VAT else f"{code}%"


def _number(value: Decimal | int) -> str:
    """A quantity or percent without trailing zeros, never in exponent form (2.000 → "2", 7.50 → "7.5")."""
    return f"{Decimal(value).normalize():f}"


def _whole(value: Decimal | int) -> str:
    return str(int(Decimal(value).quantize(Decimal(1), rounding=ROUND_HALF_UP)))


def _add(parent: ET.Element, tag: str, value: Any = "", *, required: bool = False) -> ET.Element | None:
    """A child element with `value` as its text; an optional one is left out when it has no value."""
    text = "" if value is None else str(value)
    if not text and not required:
        return None
    element = ET.SubElement(parent, tag)
    element.text = text
    return element


def _general(parent: ET.Element, invoice: Invoice, provider_tax_code: str) -> None:
    general = ET.SubElement(parent, "TTChung")
    _add(general, "PBan", VERSION)
    _add(general, "THDon", VAT_INVOICE)
    _add(general, "KHMSHDon", invoice.einvoice_form or VAT_INVOICE_FORM)
    _add(general, "KHHDon", invoice.einvoice_series, required=True)
    _add(general, "SHDon", invoice.einvoice_number, required=True)
    _add(general, "NLap", invoice.issue_date.isoformat())
    _add(general, "DVTTe", invoice.currency)
    _add(general, "TGia", 1)
    _add(general, "HTTToan", PAYMENT_METHOD)
    _add(general, "MSTTCGP", provider_tax_code)
    original = invoice.original
    if original is not None and invoice.kind in NATURE:
        related = ET.SubElement(general, "TTHDLQuan")
        _add(related, "TCHDon", NATURE[InvoiceKind(invoice.kind)])
        _add(related, "LHDCLQuan", RELATED_DECREE_123)
        _add(related, "KHMSHDCLQuan", original.einvoice_form or VAT_INVOICE_FORM)
        _add(related, "KHHDCLQuan", original.einvoice_series, required=True)
        _add(related, "SHDCLQuan", original.einvoice_number, required=True)
        _add(related, "NLHDCLQuan", original.issue_date.isoformat())
        _add(related, "GChu", invoice.correction_reason)


def _seller(parent: ET.Element, company: CompanyProfile) -> None:
    seller = ET.SubElement(parent, "NBan")
    bank = vietqr.bank_by_bin(company.bank_bin) if company.bank_bin else None
    _add(seller, "Ten", company.name, required=True)
    _add(seller, "MST", company.tax_code, required=True)
    _add(seller, "DChi", company.address, required=True)
    _add(seller, "SDThoai", company.phone)
    _add(seller, "DCTDTu", company.email)
    _add(seller, "STKNHang", company.bank_account)
    _add(seller, "TNHang", company.bank_name or (bank.name if bank else ""))


def _buyer(parent: ET.Element, invoice: Invoice) -> None:
    customer = _customer(invoice)
    buyer = ET.SubElement(parent, "NMua")
    _add(buyer, "Ten", customer["name"], required=True)
    _add(buyer, "MST", customer["tax_code"])
    _add(buyer, "DChi", customer["address"], required=True)
    # The person who buys for a company (a contact of the account), when there is one.
    _add(buyer, "HVTNMHang", customer["representative"])
    _add(buyer, "SDThoai", customer["phone"])
    _add(buyer, "DCTDTu", customer["email"])


def _lines(parent: ET.Element, lines: Sequence[InvoiceLine], computed: totals.Totals, sign: int) -> None:
    items = ET.SubElement(parent, "DSHHDVu")
    for n, (line, result) in enumerate(zip(lines, computed.lines, strict=True), start=1):
        item = ET.SubElement(items, "HHDVu")
        _add(item, "TChat", GOODS_OR_SERVICE)
        _add(item, "STT", n)
        _add(item, "MHHDVu", line.product.code if line.product else "")
        _add(item, "THHDVu", line.description)
        _add(item, "DVTinh", line.unit)
        _add(item, "SLuong", _number(line.quantity))
        _add(item, "DGia", _number(line.unit_price))
        if result.discount:
            if line.discount_percent:
                _add(item, "TLCKhau", _number(line.discount_percent))
            _add(item, "STCKhau", _whole(result.discount * sign))
        # The stored net: what the totals gave the line when the invoice was written.
        _add(item, "ThTien", _whole(line.amount * sign))
        _add(item, "TSuat", rate_text(result.vat_rate))


def _payment_totals(parent: ET.Element, invoice: Invoice, computed: totals.Totals, sign: int) -> None:
    summary = ET.SubElement(parent, "TToan")
    by_rate = ET.SubElement(summary, "THTTLTSuat")
    for group in computed.vat_by_rate.values():
        rate = ET.SubElement(by_rate, "LTSuat")
        _add(rate, "TSuat", rate_text(group.rate))
        _add(rate, "ThTien", _whole(group.base * sign))
        _add(rate, "TThue", _whole(group.vat * sign))
    before_vat = invoice.subtotal - invoice.discount_total
    _add(summary, "TgTCThue", _whole(before_vat * sign))
    _add(summary, "TgTThue", _whole(invoice.vat_total * sign))
    _add(summary, "TTCKTMai", _whole(computed.document_discount * sign))
    _add(summary, "TgTTTBSo", _whole(invoice.total * sign))
    _add(summary, "TgTTTBChu", amount_in_words(int(invoice.total) * sign))


def einvoice_xml(
    invoice: Invoice, *, company: CompanyProfile | None = None, provider_tax_code: str = ""
) -> bytes:
    """The issued invoice as the tax authority's XML (UTF-8, with its declaration), unsigned.

    `company` is the seller (the company profile by default); `provider_tax_code` fills MSTTCGP, the
    provider's tax code, when known. A draft raises ValueError: only an issued invoice is exported.
    """
    if invoice.status == InvoiceStatus.DRAFT:
        raise ValueError(gettext("Only an issued invoice is exported as an e-invoice: issue it first."))
    company = company or company_profile()
    lines = list(invoice.lines.select_related("product").order_by("position", "id"))
    computed = invoice_totals(invoice, lines)
    sign = -1 if invoice.is_credit else 1

    root = ET.Element("HDon")
    # "data": the Id the provider's signature references (<Reference URI="#data">).
    data = ET.SubElement(root, "DLHDon", Id="data")
    _general(data, invoice, provider_tax_code)
    content = ET.SubElement(data, "NDHDon")
    _seller(content, company)
    _buyer(content, invoice)
    _lines(content, lines, computed, sign)
    _payment_totals(content, invoice, computed, sign)
    body = ET.tostring(root, encoding="unicode", short_empty_elements=False)
    return ('<?xml version="1.0" encoding="UTF-8"?>\n' + body).encode("utf-8")
