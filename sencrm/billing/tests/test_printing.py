"""Invoices, receipts and vouchers as PDFs: the text layer holds what the customer reads."""

from __future__ import annotations

import io
from decimal import Decimal

import pypdf
import pytest
from django.utils import timezone, translation

from sencrm.billing import services
from sencrm.billing.models import InvoiceKind, PaymentKind, PaymentMethod
from sencrm.billing.printing import (
    invoice_context,
    invoice_pdf,
    invoice_pdf_response,
    payment_context,
    payment_pdf,
    payment_pdf_response,
)
from sencrm.billing.tests.conftest import receipt
from sencrm.core import vietqr
from sencrm.core.money import amount_in_words, format_money
from sencrm.documents.context import plain
from sencrm.documents.models import CompanyProfile

pytestmark = pytest.mark.django_db


def _text(pdf: bytes) -> str:
    assert pdf.startswith(b"%PDF-")
    text = "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages)
    return " ".join(text.split())  # a long sentence may wrap: compare it on one line


def _images(pdf: bytes) -> int:
    return sum(len(page.images) for page in pypdf.PdfReader(io.BytesIO(pdf)).pages)


def _money(amount: Decimal) -> str:
    with translation.override("vi"):
        return format_money(amount)


@pytest.fixture
def company(db):
    return CompanyProfile.objects.create(
        pk=CompanyProfile.SINGLETON_PK,
        name="Công ty TNHH Điện lạnh Sen Việt",
        tax_code="4201234567",
        address="Số 18 Phước Long, Nha Trang, Khánh Hòa",
    )


@pytest.fixture
def bank(company):
    company.bank_bin, company.bank_account, company.bank_name = "970436", "0071001234567", ""
    company.save()
    return company


def test_the_invoice_prints_its_number_customer_total_and_the_qr_code(issued, bank):
    pdf = invoice_pdf(issued)
    text = _text(pdf)
    assert issued.number in text
    assert "Nguyễn Thị Ánh Tuyết" in text
    assert _money(issued.total) in text
    assert "Quét mã để chuyển khoản" in text
    assert "Vietcombank" in text and "0071001234567" in text
    assert vietqr.purpose_text(issued.number) in text
    assert _images(pdf) == 1  # the QR code


def test_the_qr_code_is_for_the_balance(issued, bank, accountant):
    receipt(accountant, issued, 10_000_000)
    issued.refresh_from_db()
    qr = invoice_context(issued)["document"]["vietqr"]
    assert qr["amount"] == issued.balance == issued.total - 10_000_000
    fields = vietqr.parse_payload(qr["payload"])
    assert fields["54"] == str(int(issued.balance))
    assert fields["38"]["01"] == {"00": "970436", "01": "0071001234567"}
    assert qr["png"].startswith("data:image/png;base64,")
    assert (qr["bank"], qr["account_name"]) == ("Vietcombank", "Công ty TNHH Điện lạnh Sen Việt")
    text = _text(invoice_pdf(issued))
    assert "Đã thanh toán" in text and _money(Decimal(10_000_000)) in text
    assert "Còn phải thanh toán" in text and _money(issued.balance) in text


def test_no_qr_code_without_the_bank_account(issued, company):
    assert invoice_context(issued)["document"]["vietqr"] is None
    pdf = invoice_pdf(issued)
    assert "Quét mã" not in _text(pdf)
    assert _images(pdf) == 0


def test_no_qr_code_once_paid(issued, bank, accountant):
    receipt(accountant, issued, issued.total)
    issued.refresh_from_db()
    assert invoice_context(issued)["document"]["vietqr"] is None
    assert "Quét mã" not in _text(invoice_pdf(issued))


def test_the_context_is_plain_values(issued, bank):
    context = invoice_context(issued)
    assert plain(context) == context
    document = context["document"]
    assert document["number"] == issued.number and document["due_date"] == issued.due_date
    assert document["status"] == "issued" and document["kind"] == "normal"
    assert isinstance(document["status_label"], str) and isinstance(document["kind_label"], str)
    assert document["einvoice"] is None and document["original"] is None
    assert document["balance"] == issued.total and document["paid_total"] == 0
    bases = context["totals"]["vat_base_by_rate"]
    assert sum(bases.values()) == issued.subtotal - issued.discount_total
    assert list(bases) == list(context["totals"]["vat_by_rate"])


def test_the_vat_rate_of_each_line_and_the_summary_print(accountant, customer, company):
    invoice = services.invoice_create(
        actor=accountant,
        data={"contact": customer},
        lines=[
            {"description": "Máy lọc nước", "quantity": 1, "unit_price": 4_000_000, "vat_rate": "10"},
            {"description": "Lõi lọc thay thế", "quantity": 2, "unit_price": 300_000, "vat_rate": "5"},
        ],
    )
    text = _text(invoice_pdf(services.invoice_issue(invoice, actor=accountant)))
    assert "Tổng hợp theo thuế suất" in text
    for amount in (400_000, 30_000, 4_000_000, 600_000):  # VAT and base per rate
        assert _money(Decimal(amount)) in text
    assert "10%" in text and "5%" in text
    assert amount_in_words(invoice.total) in text


def test_the_einvoice_details_print_when_recorded(issued, accountant, company):
    services.invoice_record_einvoice(
        issued,
        actor=accountant,
        values={
            "einvoice_form": "1",
            "einvoice_series": "C26TAA",
            "einvoice_number": "0000123",
            "einvoice_lookup_code": "XK7Q2M9P",
            "einvoice_provider": "Viettel S-Invoice",
        },
    )
    issued.refresh_from_db()
    text = _text(invoice_pdf(issued))
    assert "Hóa đơn điện tử: mẫu số 1 · ký hiệu C26TAA · số 0000123" in text
    assert "XK7Q2M9P" in text and "Viettel S-Invoice" in text


def test_an_adjustment_names_the_original_and_the_reason(issued, accountant, company):
    adjustment = services.invoice_correct(
        issued,
        actor=accountant,
        kind=InvoiceKind.ADJUSTMENT,
        lines=[{"description": "Bổ sung ống đồng", "quantity": 1, "unit_price": 1_000_000, "vat_rate": "10"}],
        reason="Thiếu vật tư",
        agreement_date=timezone.localdate(),
    )
    adjustment = services.invoice_issue(adjustment, actor=accountant)
    text = _text(invoice_pdf(adjustment))
    assert "HÓA ĐƠN ĐIỀU CHỈNH" in text
    assert f"Hóa đơn điều chỉnh tăng cho hóa đơn số {issued.number}" in text
    assert "Lý do: Thiếu vật tư" in text
    assert f"văn bản thỏa thuận giữa hai bên ngày {timezone.localdate():%d/%m/%Y}" in text
    replacement = services.invoice_correct(
        issued,
        actor=accountant,
        kind=InvoiceKind.REPLACEMENT,
        lines=[{"description": "Điều hòa", "quantity": 1, "unit_price": 20_000_000, "vat_rate": "10"}],
        reason="Sai đơn giá",
        agreement_date=timezone.localdate(),
    )
    text = _text(invoice_pdf(replacement))
    assert "HÓA ĐƠN THAY THẾ" in text and f"Hóa đơn thay thế cho hóa đơn số {issued.number}" in text


def test_the_invoice_response(issued, company):
    response = invoice_pdf_response(issued)
    assert response["Content-Type"] == "application/pdf"
    assert f'filename="{issued.number}.pdf"' in response["Content-Disposition"]


def test_a_receipt_prints_its_number_amount_in_words_and_invoices(issued, accountant, company):
    paid = receipt(accountant, issued, 12_500_000, reference="FT26001234", method=PaymentMethod.CASH)
    context = payment_context(paid)
    assert plain(context) == context
    assert context["document"]["recorded_by"]
    text = _text(payment_pdf(paid))
    assert "PHIẾU THU" in text and "PHIẾU CHI" not in text
    assert paid.number in text
    assert _money(Decimal(12_500_000)) in text
    assert amount_in_words(Decimal(12_500_000)) == "Mười hai triệu năm trăm nghìn đồng"
    assert "Mười hai triệu năm trăm nghìn đồng" in text
    assert "Họ và tên người nộp tiền: Nguyễn Thị Ánh Tuyết" in text
    assert f"Thanh toán hóa đơn số {issued.number}" in text
    assert "Tiền mặt" in text and "FT26001234" in text
    assert context["document"]["recorded_by"] in text


def test_a_voucher_prints_as_a_payment_voucher(issued, accountant, company):
    voucher = services.payment_create(
        actor=accountant,
        data={
            "kind": PaymentKind.VOUCHER,
            "amount": Decimal(750_000),
            "contact": issued.contact,
            "notes": "Hoàn tiền đặt cọc",
        },
    )
    text = _text(payment_pdf(voucher))
    assert "PHIẾU CHI" in text and "PHIẾU THU" not in text
    assert voucher.number in text and _money(Decimal(750_000)) in text
    assert "Bảy trăm năm mươi nghìn đồng" in text
    assert "Lý do chi: Hoàn tiền đặt cọc" in text and "Họ và tên người nhận tiền" in text
    response = payment_pdf_response(voucher)
    assert response["Content-Type"] == "application/pdf"
    assert f'filename="{voucher.number}.pdf"' in response["Content-Disposition"]
