"""What a document template reads: plain values only, never model instances or settings.

The context contract (every key may be missing or empty; a template prints an empty string for it):

    kind            "quote" | "order" | "contract" | "invoice" | "receipt" | "service_report"
    company         the issuer, from Administration → Company (added by render_pdf when not given):
                    name, address, tax_code, phone, email, website, bank_account, bank_name, bank_bin,
                    representative, representative_title, logo (a data: URL, or "")
    document        number, date, title, valid_until, version, delivery_date, delivery_address,
                    start_date, end_date, owner, payment_terms … (what the kind has); a quote or
                    order with a promotion adds promotion ({code, name, discount}); an invoice
                    adds due_date, status, status_label, kind ("normal" | "adjustment" |
                    "replacement"), kind_label, is_credit, order, contract, original ({number, date,
                    einvoice_form, einvoice_series, einvoice_number} or None), correction_reason,
                    agreement_date, einvoice ({form, series, number, lookup_code, provider} or None),
                    paid_total, balance, vietqr ({payload, png, bank, bank_name, account,
                    account_name, amount, purpose} or None); a receipt or voucher adds kind
                    ("receipt" | "voucher"), kind_label, method, method_label, amount,
                    amount_in_words, reference, allocations ([{number, date, amount}]),
                    allocated_total, unallocated, recorded_by (sencrm/billing/printing.py); a
                    service report (phiếu công việc) adds title, kind_label, status_label, description,
                    site, site_contact, technician, scheduled_start, scheduled_end, started_at,
                    finished_at (texts: dd/mm/yyyy HH:MM), minutes_spent, result_notes, ticket,
                    assets ([{product, serial_number, in_warranty, warranty_until, warranty_label}]),
                    checks ([{text, done, note}]), parts
                    ([{description, unit, quantity, unit_price, amount, chargeable}]), parts_total,
                    labour_price, chargeable, invoice, photos ([{src, caption}]: data: URLs),
                    signature (a data: URL or ""), signed_by, signed_at (sencrm/fieldservice/report.py)
    customer        name, address, tax_code, phone, email, representative, representative_title
    lines           [{no, section, code, description, unit, quantity, unit_price, discount_percent,
                      discount, vat_rate, amount, vat_amount, promotion_discount, gift}]
                    vat_rate: "0" "5" "8" "10" "KCT" "KKKNT"; gift: a promotion's gift at price 0
    sections        [{name, subtotal}] in the order of the lines
    totals          {subtotal, discount_total, vat_by_rate: {rate: amount}, vat_total, total}; a quote
                    or order adds promotion_discount and other_discount (discount_total without it); an
                    invoice adds vat_base_by_rate: {rate: amount before VAT}
    total_in_words  "Tám mươi chín triệu … đồng" (from totals.total when not given)
    notes           free text

Amounts and quantities are Decimal or int, dates date or datetime; the filters format them (`money`,
`quantity`, `date`, `words`, `vat`: sandbox.py). `plain()` turns anything else into a string, so no
object with methods or database access reaches the sandbox.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.utils import timezone
from django.utils.functional import Promise

from sencrm.core import vietqr
from sencrm.core.money import amount_in_words
from sencrm.documents import logos
from sencrm.documents.choices import DocumentKind
from sencrm.documents.selectors import company_profile

COMPANY_FIELDS = (
    "name", "address", "tax_code", "phone", "email", "website", "bank_account", "bank_name", "bank_bin",
    "representative", "representative_title",
)  # fmt: skip
PLAIN_TYPES = (str, int, float, Decimal, bool, dt.date, dt.time, type(None))
MAX_DEPTH = 8


def plain(value: Any, depth: int = 0) -> Any:
    """A copy made of dicts, lists, strings, numbers and dates only (anything else becomes its text)."""
    if depth > MAX_DEPTH:
        return ""
    if isinstance(value, Promise):
        return str(value)
    if isinstance(value, PLAIN_TYPES):
        return value
    if isinstance(value, Mapping):
        return {str(k): plain(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v, depth + 1) for v in value]
    return str(value)


def company_context() -> dict[str, Any]:
    profile = company_profile()
    values: dict[str, Any] = {name: getattr(profile, name) for name in COMPANY_FIELDS}
    values["logo"] = logos.data_url(profile.logo, profile.logo_type)
    return values


def build_context(kind: str, data: Mapping[str, Any]) -> dict[str, Any]:
    """The context for `kind`: the caller's values made plain, the company and the words filled in."""
    context: dict[str, Any] = plain(dict(data))
    context["kind"] = str(DocumentKind(kind))
    if not context.get("company"):
        context["company"] = company_context()
    for name in ("document", "customer", "totals"):
        if not isinstance(context.get(name), dict):
            context[name] = {}
    for name in ("lines", "sections"):
        if not isinstance(context.get(name), list):
            context[name] = []
    context.setdefault("notes", "")
    if not context.get("total_in_words"):
        total = context["totals"].get("total")
        try:
            context["total_in_words"] = amount_in_words(Decimal(str(total))) if total is not None else ""
        except (ValueError, ArithmeticError):
            context["total_in_words"] = ""
    return context


# ---------------------------------------------------------------------------------------------
# Sample data for the preview: names with every kind of diacritic, two sections, two VAT rates.

_SAMPLE_LINES = [
    # section, description, unit, quantity, unit price, discount %, VAT rate
    ("Thiết bị", "Điều hòa Daikin Inverter 1 HP FTKB25ZVMV", "bộ", "4", "11490000", "5", "8"),
    ("Thiết bị", "Điều hòa Panasonic Inverter 1,5 HP CU/CS-XU12ZKH-8", "bộ", "2", "16990000", "0", "8"),
    (
        "Dịch vụ",
        "Công lắp đặt trọn gói (ống đồng 3 m, giá đỡ, ống thoát nước)",
        "bộ",
        "6",
        "450000",
        "0",
        "8",
    ),
    ("Dịch vụ", "Ống đồng bổ sung phi 6/phi 10", "m", "7.5", "180000", "0", "8"),
    ("Dịch vụ", "Gói bảo dưỡng định kỳ 12 tháng (vệ sinh, kiểm tra gas)", "gói", "1", "1200000", "0", "10"),
]


def _round(value: Decimal) -> Decimal:
    return value.quantize(Decimal(1), rounding=ROUND_HALF_UP)


def sample_lines() -> tuple[list[dict[str, Any]], list[dict[str, Any]], dict[str, Any]]:
    """The sample's lines, sections and totals. Illustration only: real documents get theirs from
    sencrm/commerce's totals, which also spread a document discount and round VAT per rate."""
    lines: list[dict[str, Any]] = []
    sections: dict[str, Decimal] = {}
    subtotal = discounts = Decimal(0)
    bases: dict[str, Decimal] = {}
    for no, (section, description, unit, qty, price, percent, rate) in enumerate(_SAMPLE_LINES, start=1):
        quantity, unit_price = Decimal(qty), Decimal(price)
        gross = _round(quantity * unit_price)
        discount = _round(gross * Decimal(percent) / 100)
        amount = gross - discount
        subtotal, discounts = subtotal + gross, discounts + discount
        sections[section] = sections.get(section, Decimal(0)) + amount
        bases[rate] = bases.get(rate, Decimal(0)) + amount
        lines.append(
            {
                "no": no, "section": section, "code": f"SP{no:03d}", "description": description,
                "unit": unit, "quantity": quantity, "unit_price": unit_price,
                "discount_percent": Decimal(percent), "discount": discount, "vat_rate": rate,
                "amount": amount, "vat_amount": _round(amount * Decimal(rate) / 100),
            }
        )  # fmt: skip
    vat_by_rate = {rate: _round(base * Decimal(rate) / 100) for rate, base in bases.items()}
    vat_total = sum(vat_by_rate.values(), Decimal(0))
    totals = {
        "subtotal": subtotal,
        "discount_total": discounts,
        "vat_by_rate": vat_by_rate,
        "vat_base_by_rate": bases,
        "vat_total": vat_total,
        "total": subtotal - discounts + vat_total,
    }
    return lines, [{"name": k, "subtotal": v} for k, v in sections.items()], totals


def sample_context(kind: str) -> dict[str, Any]:
    """A realistic document of `kind` for the template preview (the company is the real one)."""
    today = timezone.localdate()
    lines, sections, totals = sample_lines()
    titles = {
        DocumentKind.CONTRACT: "Hợp đồng cung cấp và lắp đặt điều hòa",
    }
    document = {
        "number": {"quote": "BG-2026-00001", "order": "DH-2026-000123", "contract": "HD-2026-0007",
                   "invoice": "HDDT-2026-00042", "receipt": "PT-2026-00042",
                   "service_report": "CV-2026-000042"}[str(DocumentKind(kind))],
        "date": today,
        "title": titles.get(DocumentKind(kind), ""),
        "valid_until": today + dt.timedelta(days=15),
        "version": 1,
        "delivery_date": today + dt.timedelta(days=7),
        "delivery_address": "Số 18 đường Phước Long, phường Phước Long, TP. Nha Trang, Khánh Hòa",
        "start_date": today,
        "end_date": today + dt.timedelta(days=365),
        "owner": "Nguyễn Văn Nam",
        "payment_terms": "Thanh toán 50% khi ký, 50% sau khi nghiệm thu bàn giao.",
    }  # fmt: skip
    customer = {
        "name": "Công ty TNHH Thương mại Huỳnh Đặng",
        "address": "Số 12 đường Trần Phú, phường Phước Tiến, TP. Nha Trang, Khánh Hòa",
        "tax_code": "4201234567",
        "phone": "0258 3812 345",
        "email": "ketoan@huynhdang.vn",
        "representative": "Nguyễn Thị Ánh Tuyết",
        "representative_title": "Giám đốc",
    }
    if kind == DocumentKind.INVOICE:
        document.update(_sample_invoice(today, totals["total"]))
    elif kind == DocumentKind.RECEIPT:
        document.update(_sample_receipt(today, totals["total"]))
    elif kind == DocumentKind.SERVICE_REPORT:
        document.update(_sample_service_report(today))
    return build_context(
        kind,
        {
            "document": document,
            "customer": customer,
            "lines": lines,
            "sections": sections,
            "totals": totals,
            # A receipt's notes are its reason (lý do nộp): without them it names the invoices paid.
            "notes": ""
            if kind == DocumentKind.RECEIPT
            else "Giá đã bao gồm vận chuyển trong nội thành. Bảo hành chính hãng 24 tháng.",
        },
    )


def _sample_service_report(today: dt.date) -> dict[str, Any]:
    """A field-service work order (sencrm/fieldservice/report.py builds the real one)."""
    day = today.strftime("%d/%m/%Y")
    return {
        "title": "Sửa điều hòa không lạnh",
        "kind_label": "Sửa chữa bảo hành",
        "status_label": "Hoàn thành",
        "description": "Máy chạy nhưng không ra hơi lạnh, có tiếng kêu lạ ở cục nóng.",
        "site": "Số 18 đường Phước Long, phường Phước Long, Khánh Hòa",
        "site_contact": "Chị Tuyết · 0905 123 456",
        "technician": "Trần Minh Đức",
        "scheduled_start": f"{day} 08:30",
        "scheduled_end": "09:30",
        "started_at": f"{day} 08:35",
        "finished_at": f"{day} 09:40",
        "minutes_spent": 65,
        "result_notes": "Thay tụ điện máy nén, vệ sinh dàn lạnh; máy chạy ổn định.",
        "ticket": "YC-2026-000017",
        "assets": [
            {
                "product": "Điều hòa Daikin Inverter 1 HP",
                "serial_number": "E123456789",
                "in_warranty": True,
                "warranty_until": today + dt.timedelta(days=400),
                "warranty_label": "Bảo hành sản phẩm",
            }
        ],
        "checks": [
            {"text": "Kiểm tra áp suất gas", "done": True, "note": ""},
            {"text": "Vệ sinh dàn lạnh", "done": True, "note": ""},
            {"text": "Chạy thử 15 phút", "done": True, "note": "Nhiệt độ gió ra 12 °C"},
        ],
        "parts": [
            {"description": "Tụ điện máy nén", "unit": "cái", "quantity": Decimal(1),
             "unit_price": Decimal(350000), "amount": Decimal(0), "chargeable": False},
        ],
        "parts_total": Decimal(0),
        "labour_price": Decimal(0),
        "chargeable": False,
        "invoice": "",
        "photos": [],
        "signature": "",
        "signed_by": "Nguyễn Thị Ánh Tuyết",
        "signed_at": f"09:42 {day}",
    }  # fmt: skip


def _sample_vietqr(amount: Decimal) -> dict[str, Any] | None:
    """The QR section with the company's bank account, or a sample one before it is set."""
    profile = company_profile()
    bank_bin, account = profile.bank_bin or "970436", profile.bank_account or "0071001234567"
    bank = vietqr.bank_by_bin(bank_bin)
    purpose = vietqr.purpose_text("HDDT-2026-00042")
    try:
        payload = vietqr.build_payload(bin=bank_bin, account=account, amount=amount, purpose=purpose)
    except ValueError:
        return None
    return {
        "payload": payload,
        "png": vietqr.qr_png_data_uri(payload),
        "bank": bank.short_name if bank else profile.bank_name,
        "bank_name": profile.bank_name or (bank.name if bank else ""),
        "account": account,
        "account_name": profile.name or "Công ty TNHH Điện lạnh Sen Việt",
        "amount": amount,
        "purpose": purpose,
    }


def _sample_invoice(today: dt.date, total: Decimal) -> dict[str, Any]:
    return {
        "order": "DH-2026-000123",
        "due_date": today + dt.timedelta(days=30),
        "status": "issued",
        "status_label": "Đã phát hành",
        "kind": "normal",
        "kind_label": "Hóa đơn",
        "is_credit": False,
        "original": None,
        "correction_reason": "",
        "agreement_date": None,
        "einvoice": {
            "form": "1",
            "series": f"C{today:%y}TAA",
            "number": "00000042",
            "lookup_code": "A1B2C3D4E5",
            "provider": "",
        },
        "paid_total": Decimal(0),
        "balance": total,
        "vietqr": _sample_vietqr(total),
    }


def _sample_receipt(today: dt.date, total: Decimal) -> dict[str, Any]:
    return {
        "kind": "receipt",
        "kind_label": "Phiếu thu",
        "method": "bank_transfer",
        "method_label": "Chuyển khoản",
        "amount": total,
        "amount_in_words": amount_in_words(total),
        "reference": "FT26123456789",
        "allocations": [{"number": "HDDT-2026-00042", "date": today, "amount": total}],
        "allocated_total": total,
        "unallocated": Decimal(0),
        "recorded_by": "Trần Thị Thu",
    }
