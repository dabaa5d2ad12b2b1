"""The e-invoice XML export (HDon/DLHDon, Decision 1450/QĐ-TCT), parsed back and checked against the
invoice."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import defaultdict
from decimal import Decimal

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from sencrm.billing import services
from sencrm.billing.einvoice import EInvoiceResult, einvoice_provider, einvoice_xml
from sencrm.billing.models import InvoiceKind
from sencrm.commerce.vat import effective_code
from sencrm.core.money import amount_in_words
from sencrm.documents.models import CompanyProfile

pytestmark = pytest.mark.django_db


def _parse(xml: bytes) -> ET.Element:
    return ET.fromstring(xml)  # noqa: S314  # our own output, not untrusted input


def _text(element: ET.Element, path: str) -> str | None:
    found = element.find(path)
    return None if found is None else found.text or ""


def _int(element: ET.Element, path: str) -> int:
    return int(_text(element, path) or "x")


def _rate(line) -> str:
    code = effective_code(line.vat_rate, line.vat_reducible, line.invoice.issue_date)
    return code if code in ("KCT", "KKKNT") else f"{code}%"


@pytest.fixture
def company(db):
    return CompanyProfile.objects.create(
        pk=CompanyProfile.SINGLETON_PK,
        name="Công ty TNHH Điện lạnh Sen Việt",
        tax_code="4201234567",
        address="Số 18 Phước Long, Nha Trang, Khánh Hòa",
        phone="0258 3812 345",
        email="ketoan@senviet.vn",
        bank_account="0071001234567",
        bank_name="Vietcombank — CN Khánh Hòa",
        bank_bin="970436",
    )


def _invoice(accountant, customer, lines, **data):
    invoice = services.invoice_create(actor=accountant, data={"contact": customer, **data}, lines=lines)
    return services.invoice_issue(invoice, actor=accountant)


def test_it_has_the_declaration_and_the_general_part(issued, company):
    xml = einvoice_xml(issued)
    assert xml.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    root = _parse(xml)
    assert root.tag == "HDon"
    data = root.find("DLHDon")
    assert data is not None and data.get("Id")
    general = data.find("TTChung")
    assert general is not None
    assert [child.tag for child in general][:9] == [
        "PBan", "THDon", "KHMSHDon", "KHHDon", "SHDon", "NLap", "DVTTe", "TGia", "HTTToan",
    ]  # fmt: skip
    assert _text(general, "PBan") == "2.1.0"
    assert _text(general, "THDon") == "Hóa đơn giá trị gia tăng"
    assert _text(general, "KHMSHDon") == "1"
    assert _text(general, "NLap") == issued.issue_date.isoformat()
    assert (_text(general, "DVTTe"), _text(general, "TGia"), _text(general, "HTTToan")) == (
        "VND",
        "1",
        "TM/CK",
    )
    assert general.find("TTHDLQuan") is None
    assert general.find("MSTTCGP") is None
    assert _text(_parse(einvoice_xml(issued, provider_tax_code="0101234567")), "DLHDon/TTChung/MSTTCGP") == (
        "0101234567"
    )


def test_it_carries_what_the_provider_gave(issued, accountant, company):
    services.invoice_record_einvoice(
        issued,
        actor=accountant,
        values={"einvoice_form": "1", "einvoice_series": "C26TAA", "einvoice_number": "123"},
    )
    issued.refresh_from_db()
    general = _parse(einvoice_xml(issued)).find("DLHDon/TTChung")
    assert (_text(general, "KHMSHDon"), _text(general, "KHHDon"), _text(general, "SHDon")) == (
        "1",
        "C26TAA",
        "123",
    )


def test_seller_and_buyer(issued, company, customer):
    content = _parse(einvoice_xml(issued)).find("DLHDon/NDHDon")
    seller = content.find("NBan")
    assert _text(seller, "Ten") == company.name
    assert _text(seller, "MST") == "4201234567"
    assert _text(seller, "DChi") == company.address
    assert _text(seller, "SDThoai") == company.phone and _text(seller, "DCTDTu") == company.email
    assert _text(seller, "STKNHang") == "0071001234567"
    assert _text(seller, "TNHang") == "Vietcombank — CN Khánh Hòa"
    buyer = content.find("NMua")
    assert _text(buyer, "Ten") == "Nguyễn Thị Ánh Tuyết"
    assert _text(buyer, "SDThoai") == customer.primary_phone
    # A person buying for herself: no company tax code, no separate buyer's name.
    assert buyer.find("MST") is None and buyer.find("HVTNMHang") is None


def test_a_contact_buying_for_an_account(org, accountant, catalogue, make_contact, company):
    from sencrm.customers.services import account_create

    account = account_create(
        actor=org["sales1"], data={"name": "Công ty CP Khách sạn Sen & Biển", "tax_code": "0312345678"}
    )
    buyer_contact = make_contact(full_name="Trần Văn Bình", phones=("0987 654 321",), account=account)
    invoice = _invoice(
        accountant, buyer_contact, [{"product": catalogue["install"], "quantity": 1, "unit_price": 500_000}]
    )
    buyer = _parse(einvoice_xml(invoice)).find("DLHDon/NDHDon/NMua")
    assert _text(buyer, "Ten") == "Công ty CP Khách sạn Sen & Biển"
    assert _text(buyer, "MST") == "0312345678"
    assert _text(buyer, "HVTNMHang") == "Trần Văn Bình"


def test_each_line_carries_its_amounts(issued, company):
    items = _parse(einvoice_xml(issued)).findall("DLHDon/NDHDon/DSHHDVu/HHDVu")
    lines = list(issued.lines.select_related("product", "invoice").order_by("position", "id"))
    assert len(items) == len(lines) == 2
    for n, (item, line) in enumerate(zip(items, lines, strict=True), start=1):
        assert _text(item, "TChat") == "1"
        assert _int(item, "STT") == n
        assert _text(item, "MHHDVu") == line.product.code
        assert _text(item, "THHDVu") == line.description
        assert _text(item, "DVTinh") == line.unit
        assert Decimal(_text(item, "SLuong")) == line.quantity
        assert _int(item, "DGia") == line.unit_price
        assert _int(item, "ThTien") == line.amount
        assert _text(item, "TSuat") == _rate(line)
        assert item.find("STCKhau") is None  # no discount on these lines


def test_the_vat_breakdown_is_the_lines_grouped_by_rate(issued, company):
    expected: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for line in issued.lines.select_related("invoice"):
        expected[_rate(line)][0] += int(line.amount)
        expected[_rate(line)][1] += int(line.vat_amount)
    rates = _parse(einvoice_xml(issued)).findall("DLHDon/NDHDon/TToan/THTTLTSuat/LTSuat")
    assert {_text(r, "TSuat"): [_int(r, "ThTien"), _int(r, "TThue")] for r in rates} == expected


def test_the_totals_are_the_invoices(issued, company):
    summary = _parse(einvoice_xml(issued)).find("DLHDon/NDHDon/TToan")
    assert _int(summary, "TgTCThue") == issued.subtotal - issued.discount_total == issued.subtotal
    assert _int(summary, "TgTThue") == issued.vat_total
    assert _int(summary, "TTCKTMai") == 0
    assert _int(summary, "TgTTTBSo") == issued.total
    assert _text(summary, "TgTTTBChu") == amount_in_words(issued.total)


def test_discounts_and_rates_without_vat(accountant, customer, company):
    invoice = _invoice(
        accountant,
        customer,
        [
            {"description": "Máy lọc nước", "quantity": 3, "unit_price": 4_000_000, "vat_rate": "10",
             "discount_percent": Decimal(5)},
            {"description": "Đào tạo vận hành", "quantity": 1, "unit_price": 1_500_000, "vat_rate": "KCT"},
            {"description": "Lõi lọc", "quantity": Decimal("2.5"), "unit_price": 333_333, "vat_rate": "5"},
        ],
        discount_amount=1_000_001,
    )  # fmt: skip
    root = _parse(einvoice_xml(invoice))
    first = root.find("DLHDon/NDHDon/DSHHDVu/HHDVu")
    assert (_text(first, "TLCKhau"), _int(first, "STCKhau"), _int(first, "ThTien")) == (
        "5",
        600_000,
        11_400_000,
    )
    quantities = [_text(i, "SLuong") for i in root.findall("DLHDon/NDHDon/DSHHDVu/HHDVu")]
    assert quantities == ["3", "1", "2.5"]
    rates = {
        _text(r, "TSuat"): (_int(r, "ThTien"), _int(r, "TThue"))
        for r in root.findall("DLHDon/NDHDon/TToan/THTTLTSuat/LTSuat")
    }
    assert list(rates) == ["5%", "10%", "KCT"]  # the e-invoice's order
    assert rates["KCT"][1] == 0
    summary = root.find("DLHDon/NDHDon/TToan")
    # The document's discount is shared over the rates' bases: they add up to the total before VAT.
    assert sum(base for base, _vat in rates.values()) == _int(summary, "TgTCThue")
    assert _int(summary, "TgTCThue") == invoice.subtotal - invoice.discount_total
    assert sum(vat for _base, vat in rates.values()) == _int(summary, "TgTThue") == invoice.vat_total
    assert _int(summary, "TTCKTMai") == 1_000_001
    assert _int(summary, "TgTTTBSo") == invoice.total


def _correct(issued, accountant, kind, **extra):
    correction = services.invoice_correct(
        issued,
        actor=accountant,
        kind=kind,
        lines=[{"description": "Bổ sung ống đồng", "quantity": 1, "unit_price": 1_000_000, "vat_rate": "10"}],
        reason="Thiếu vật tư",
        agreement_date=timezone.localdate(),
        **extra,
    )
    return services.invoice_issue(correction, actor=accountant)


@pytest.mark.parametrize(("kind", "nature"), [(InvoiceKind.ADJUSTMENT, "2"), (InvoiceKind.REPLACEMENT, "1")])
def test_a_correction_references_the_original(issued, accountant, company, kind, nature):
    services.invoice_record_einvoice(
        issued,
        actor=accountant,
        values={"einvoice_form": "1", "einvoice_series": "C26TAA", "einvoice_number": "42"},
    )
    correction = _correct(issued, accountant, kind)
    related = _parse(einvoice_xml(correction)).find("DLHDon/TTChung/TTHDLQuan")
    assert related is not None
    assert [child.tag for child in related] == [
        "TCHDon", "LHDCLQuan", "KHMSHDCLQuan", "KHHDCLQuan", "SHDCLQuan", "NLHDCLQuan", "GChu",
    ]  # fmt: skip
    assert _text(related, "TCHDon") == nature
    assert _text(related, "LHDCLQuan") == "1"
    assert (_text(related, "KHMSHDCLQuan"), _text(related, "KHHDCLQuan"), _text(related, "SHDCLQuan")) == (
        "1",
        "C26TAA",
        "42",
    )
    assert _text(related, "NLHDCLQuan") == issued.issue_date.isoformat()
    assert _text(related, "GChu") == "Thiếu vật tư"


def test_a_decreasing_adjustment_is_negative(issued, accountant, company):
    credit = _correct(issued, accountant, InvoiceKind.ADJUSTMENT, decrease=True)
    assert credit.is_credit
    root = _parse(einvoice_xml(credit))
    item = root.find("DLHDon/NDHDon/DSHHDVu/HHDVu")
    assert (_int(item, "SLuong"), _int(item, "DGia"), _int(item, "ThTien")) == (1, 1_000_000, -1_000_000)
    summary = root.find("DLHDon/NDHDon/TToan")
    assert _int(summary, "TgTTTBSo") == -credit.total
    assert _int(summary, "TgTThue") == -credit.vat_total
    assert (_text(summary, "TgTTTBChu") or "").startswith("Âm ")


def test_a_draft_is_refused(order, accountant, company):
    draft = services.invoice_from_order(order, actor=accountant)
    with pytest.raises(ValueError, match="issue"):
        einvoice_xml(draft)


def test_names_are_escaped(accountant, make_contact, company):
    customer = make_contact(full_name='Lê "Bé" <Tí> & Cộng sự')
    invoice = _invoice(
        accountant, customer, [{"description": "Sửa <máy> & vệ sinh", "quantity": 1, "unit_price": 300_000}]
    )
    root = _parse(einvoice_xml(invoice))
    assert _text(root, "DLHDon/NDHDon/NMua/Ten") == 'Lê "Bé" <Tí> & Cộng sự'
    assert _text(root, "DLHDon/NDHDon/DSHHDVu/HHDVu/THHDVu") == "Sửa <máy> & vệ sinh"


class _Provider:
    name = "test"


def test_no_provider_by_default_and_a_dotted_path_when_set(settings, issued, accountant):
    assert einvoice_provider() is None
    settings.EINVOICE_PROVIDER = f"{__name__}._Provider"
    assert isinstance(einvoice_provider(), _Provider)
    settings.EINVOICE_PROVIDER = "sencrm.billing.nowhere.Provider"
    with pytest.raises(ImproperlyConfigured):
        einvoice_provider()
    # What a provider answers is recorded on the invoice as it is.
    result = EInvoiceResult(form="1", series="C26TAA", number="7", lookup_code="ABC123", provider="test")
    recorded = services.invoice_record_einvoice(issued, actor=accountant, values=result.as_values())
    assert (recorded.einvoice_series, recorded.einvoice_number, recorded.einvoice_lookup_code) == (
        "C26TAA",
        "7",
        "ABC123",
    )
