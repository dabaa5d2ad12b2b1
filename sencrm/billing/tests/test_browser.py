"""From an order to a paid invoice in a real browser (Playwright driving Debian's Chromium): the accountant
invoices a confirmed order from its page, issues the invoice (which then shows its VietQR code), uploads
the bank statement in which the customer's transfer names the invoice, confirms the proposed match, and
the invoice is paid.

The expected labels and amounts are rendered in the page's language (`translation.override`), so the test
holds whichever language the accountant's pages are in and whatever the translations say."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.utils import translation
from playwright.sync_api import expect

from sencrm.billing.models import BankLine, BankLineStatus, Invoice, InvoiceStatus, Payment
from sencrm.core.money import format_money
from sencrm.core.tests.test_browser import browser, page, sign_in  # noqa: F401  (shared fixtures)
from sencrm.documents.models import CompanyProfile

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ACCOUNT = "0011004567890"
# A Vietcombank-like export: title lines above the header, one transfer in, one bank fee out.
STATEMENT = (
    "SAO KÊ TÀI KHOẢN\n"
    f"Số tài khoản: {ACCOUNT} - CONG TY TNHH DIEU HOA SEN\n"
    "Từ ngày {day} đến ngày {day}\n"
    "\n"
    "Ngày giao dịch,Số tham chiếu,Số tiền ghi nợ,Số tiền ghi có,Mô tả\n"
    '{day},FT2633801234,,"{amount}","CT DEN:0123 NGUYEN THI ANH TUYET CK TT HD {number}"\n'
    '{day},FT2633809999,"11,000",,"Phi dich vu SMS Banking"\n'
)


@pytest.fixture
def bank_account(db):
    """The company's bank account, which the VietQR code pays into (Vietcombank's BIN)."""
    CompanyProfile.objects.update_or_create(
        pk=1,
        defaults={"name": "Công ty TNHH Điều hòa Sen", "bank_bin": "970436", "bank_account": ACCOUNT},
    )


def test_from_order_to_issued_invoice_with_vietqr_then_a_bank_statement_pays_it(
    page,  # noqa: F811
    org,
    order,
    bank_account,
    tmp_path,
):
    sign_in(page, "accountant")
    language = page.locator("html").get_attribute("lang") or "vi"

    def money(amount) -> str:
        with translation.override(language):
            return format_money(amount)

    def label(choice: InvoiceStatus | BankLineStatus) -> str:
        with translation.override(language):
            return str(choice.label)

    # 1. The order's page: its invoices panel offers to invoice it; everything left is invoiced at once.
    page.goto(order.get_absolute_url())
    expect(page).to_have_url(re.compile(rf"/orders/{order.pk}/$"))
    panel = page.get_by_test_id("record-invoices")
    expect(panel.locator("li a")).to_have_count(0)  # no invoice yet
    panel.get_by_test_id("create-invoice").click()
    expect(page).to_have_url(re.compile(rf"/orders/{order.pk}/invoice/$"))
    expect(page.get_by_test_id("order-line")).to_have_count(2)
    page.get_by_test_id("invoice-all").click()
    expect(page).to_have_url(re.compile(r"/invoices/\d+/$"))
    invoice = Invoice.objects.get(order=order)
    assert page.url.endswith(f"/invoices/{invoice.pk}/")
    assert invoice.status == InvoiceStatus.DRAFT and invoice.total == order.total > 0
    expect(page.get_by_test_id("invoice-status")).to_have_text(label(InvoiceStatus.DRAFT))
    expect(page.get_by_test_id("invoice-total")).to_have_text(money(invoice.total))
    expect(page.get_by_test_id("vietqr")).to_have_count(0)  # a draft is not paid yet

    # 2. Issue it, with the e-invoice series: it is now owed in full, and shows its VietQR code.
    issue_form = page.get_by_test_id("issue-form")
    issue_form.locator("summary").click()
    series = issue_form.locator("input[name=einvoice_series]")
    expect(series).to_be_visible()
    series.fill("C26TAA")
    page.get_by_test_id("issue").click()
    badge = page.get_by_test_id("invoice-status")
    expect(badge).to_have_text(label(InvoiceStatus.ISSUED))
    expect(badge).to_have_class(re.compile(r"\btext-bg-primary\b"))
    expect(page.get_by_test_id("issue")).to_have_count(0)
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.ISSUED and invoice.einvoice_series == "C26TAA"
    number = invoice.number
    expect(page.get_by_test_id("invoice-number")).to_have_text(number)
    expect(page.get_by_test_id("einvoice-data")).to_contain_text("C26TAA")
    expect(page.get_by_test_id("invoice-balance")).to_have_text(money(invoice.total))

    vietqr = page.get_by_test_id("vietqr")
    expect(vietqr).to_be_visible()
    expect(vietqr.locator("svg")).to_have_count(1)
    expect(vietqr.locator("svg")).to_be_visible()
    expect(page.get_by_test_id("vietqr-bank")).to_contain_text("Vietcombank")
    expect(page.get_by_test_id("vietqr-account")).to_have_text(ACCOUNT)
    expect(page.get_by_test_id("vietqr-amount")).to_have_text(money(invoice.total))
    expect(page.get_by_test_id("vietqr-purpose")).to_have_text(number.upper())  # the transfer content

    # 3. The bank statement: the customer's transfer names the invoice (without its dashes, as banking
    #    apps often write it); the bank fee is money out and matches nothing.
    day = invoice.issue_date.strftime("%d/%m/%Y")
    statement = tmp_path / "saoke-vcb.csv"
    statement.write_text(
        STATEMENT.format(day=day, amount=f"{int(invoice.total):,}", number=number.replace("-", "")),
        encoding="utf-8-sig",  # as Excel saves a CSV in UTF-8
    )
    page.goto("/bank-statements/")
    upload = page.get_by_test_id("statement-upload")
    upload.locator("input[name=file]").set_input_files(statement)
    upload.locator("input[name=bank]").fill("Vietcombank")
    page.get_by_test_id("upload").click()
    expect(page).to_have_url(re.compile(r"/bank-statements/\d+/$"))
    expect(page.locator("h1")).to_have_text("saoke-vcb.csv")
    lines = page.get_by_test_id("statement-line")
    expect(lines).to_have_count(2)
    credit = lines.filter(has=page.get_by_test_id("match"))
    expect(credit).to_have_count(1)
    expect(credit).to_contain_text(money(invoice.total))
    expect(credit).to_contain_text(number.replace("-", ""))  # the transfer content as the bank wrote it
    expect(credit.get_by_test_id("match")).to_have_text(number)  # the proposed invoice
    expect(credit.get_by_test_id("confident")).to_be_visible()
    fee = lines.filter(has_not=page.get_by_test_id("match"))
    expect(fee).to_contain_text(money(-11_000))
    expect(fee.get_by_test_id("line-status")).to_have_text(label(BankLineStatus.IGNORED))  # money out
    expect(fee.get_by_test_id("line-confirm")).to_have_count(0)
    expect(credit.get_by_test_id("line-status")).to_have_text(label(BankLineStatus.OPEN))
    assert Payment.objects.count() == 0  # nothing is paid before the accountant confirms

    page.get_by_test_id("confirm-all").click()
    expect(page.get_by_test_id("confirm-all")).to_have_count(0)
    payment = Payment.objects.get()
    confirmed = lines.filter(has_text=payment.number)
    expect(confirmed).to_have_count(1)
    expect(confirmed.get_by_role("link", name=number, exact=True)).to_be_visible()  # receipt → invoice
    credit_line = BankLine.objects.get(amount__gt=0)
    assert credit_line.status == BankLineStatus.CONFIRMED and credit_line.payment_id == payment.pk
    expect(confirmed.get_by_test_id("line-status")).to_have_text(label(BankLineStatus.CONFIRMED))
    assert (
        BankLine.objects.get(amount__lt=0).status == BankLineStatus.IGNORED
    )  # money out is set aside at upload
    assert payment.amount == invoice.total

    # 4. Back on the invoice (from the reconciled line): paid, nothing owed, no more VietQR code.
    confirmed.get_by_role("link", name=number, exact=True).click()
    expect(page).to_have_url(re.compile(rf"/invoices/{invoice.pk}/$"))
    badge = page.get_by_test_id("invoice-status")
    expect(badge).to_have_text(label(InvoiceStatus.PAID))
    expect(badge).to_have_class(re.compile(r"\btext-bg-success\b"))
    expect(page.get_by_test_id("invoice-paid")).to_have_text(money(invoice.total))
    expect(page.get_by_test_id("invoice-balance")).to_have_text(money(0))
    expect(page.get_by_test_id("allocations")).to_contain_text(payment.number)
    expect(page.get_by_test_id("vietqr")).to_have_count(0)
    expect(page.get_by_test_id("record-payment")).to_have_count(0)
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID and invoice.balance == Decimal(0)

    # Nothing was refused by the Content-Security-Policy along the way.
    assert page.csp_errors == []
