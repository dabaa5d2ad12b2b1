"""The billing pages: invoicing an order, issuing, VietQR, receipts and allocations, bank reconciliation,
receivables, returns, corrections — and who may open what."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from sencrm.billing import services
from sencrm.billing.models import BankLine, Invoice, InvoiceKind, InvoiceStatus, Payment, Return
from sencrm.billing.tests.conftest import receipt
from sencrm.billing.tests.test_api import STATEMENT
from sencrm.commerce.tests.test_views import lines_post
from sencrm.documents.models import CompanyProfile

pytestmark = pytest.mark.django_db


@pytest.fixture
def bank(db):
    CompanyProfile.objects.update_or_create(
        pk=1,
        defaults={"name": "Công ty TNHH Điều hòa Sen", "bank_bin": "970436", "bank_account": "0011001234567"},
    )


@pytest.fixture
def accounting(client_as):
    return client_as("accountant")


def deliver(order, org, quantities):
    from sencrm.commerce.services import order_record_delivery

    order_record_delivery(
        order, actor=org["sales1"], delivered_on=timezone.localdate(), quantities=quantities
    )
    order.refresh_from_db()


def order_lines(order):
    return list(order.lines.order_by("position", "id"))


def test_every_page_renders_for_the_accountant(accounting, issued, order, bank):
    pages = [
        "/invoices/",
        "/invoices/?status=issued&overdue=yes&q=tuyet",
        "/invoices/new/",
        f"/invoices/new/?contact={issued.contact_id}",
        f"/invoices/{issued.pk}/",
        f"/invoices/{issued.pk}/correct/",
        f"/orders/{order.pk}/invoice/",
        f"/orders/{order.pk}/return/",
        f"/orders/{order.pk}/",
        "/returns/",
        "/payments/",
        "/payments/?kind=receipt&method=cash&from=01/01/2026&to=31/12/2099&q=tuyet",
        "/payments/new/",
        f"/payments/new/?invoice={issued.pk}",
        "/receivables/",
        "/receivables/?q=tuyet",
        "/bank-statements/",
    ]
    for url in pages:
        page = accounting.get(url)
        assert page.status_code == 200, url
        text = page.content.decode()
        # The CSP forbids inline styles and scripts: none on any page (the VietQR SVG included).
        assert "style=" not in text, url
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text), url
    detail = accounting.get(f"/invoices/{issued.pk}/").content.decode()
    for testid in ("invoice-number", "invoice-status", "invoice-balance", "vietqr", "record-payment", "xml"):
        assert f'data-testid="{testid}"' in detail, testid
    assert 'data-testid="issue"' not in detail and 'data-testid="edit"' not in detail
    assert 'data-testid="record-invoices"' in accounting.get(f"/orders/{order.pk}/").content.decode()
    xml = accounting.get(f"/invoices/{issued.pk}/einvoice.xml")
    assert xml.status_code == 200 and xml["Content-Type"].startswith("application/xml")
    assert b"<HDon>" in xml.content
    export = accounting.get("/invoices/export/?format=csv")
    assert export.status_code == 200 and issued.number in b"".join(export.streaming_content).decode(
        "utf-8-sig"
    )
    assert accounting.get("/invoices/export/?format=xlsx").status_code == 200
    receivables = accounting.get("/receivables/export/")
    body = b"".join(receivables.streaming_content).decode("utf-8-sig")
    assert receivables.status_code == 200 and "Nguyễn Thị Ánh Tuyết" in body


def test_the_pdfs(accounting, issued, accountant):
    pdf = accounting.get(f"/invoices/{issued.pk}/pdf/")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    paid = receipt(accountant, issued, 1_000)
    voucher = accounting.get(f"/payments/{paid.pk}/pdf/")
    assert voucher.status_code == 200 and voucher["Content-Type"] == "application/pdf"


def test_bad_filters_and_page_links_are_400(accounting, issued):
    assert accounting.get("/invoices/?status=nope").status_code == 400
    assert accounting.get("/invoices/?overdue=maybe").status_code == 400
    assert accounting.get("/invoices/?owner=x").status_code == 400
    assert accounting.get("/invoices/?cursor=forged").status_code == 400
    assert accounting.get("/payments/?from=31/31/2026").status_code == 400
    assert accounting.get("/payments/?kind=gift").status_code == 400


def test_the_list_filters_and_shows_what_is_owed(accounting, issued, accountant):
    page = accounting.get("/invoices/").content.decode()
    assert issued.number in page and 'data-testid="invoice-totals-slot"' in page
    totals = accounting.get("/invoices/totals/").content.decode()
    assert 'data-testid="total-balance"' in totals and 'data-testid="total-overdue"' not in totals
    assert issued.number not in accounting.get("/invoices/?status=paid").content.decode()
    assert issued.number not in accounting.get("/invoices/?overdue=yes").content.decode()
    Invoice.objects.filter(pk=issued.pk).update(due_date=timezone.localdate() - timedelta(days=3))
    overdue = accounting.get("/invoices/?overdue=yes").content.decode()
    assert issued.number in overdue and 'data-testid="overdue"' in overdue
    assert 'data-testid="total-overdue"' in accounting.get("/invoices/totals/?overdue=yes").content.decode()
    assert accounting.get("/invoices/totals/?overdue=maybe").status_code == 400
    assert issued.number in accounting.get(f"/invoices/?owner={issued.owner_id}").content.decode()
    assert issued.number not in accounting.get(f"/invoices/?owner={accountant.pk}").content.decode()


def test_the_invoice_list_makes_a_fixed_number_of_queries(
    accounting, accountant, customer, django_assert_max_num_queries
):
    for n in range(20):
        services.invoice_create(
            actor=accountant,
            data={"contact": customer},
            lines=[{"description": f"Bảo trì {n}", "quantity": 1, "unit_price": 100_000}],
        )
    with django_assert_max_num_queries(12):
        page = accounting.get("/invoices/")
    assert page.status_code == 200 and page.content.decode().count('data-testid="invoice-row"') == 20


# --- invoicing an order ----------------------------------------------------------------------------


def test_invoice_everything_left_from_the_order(accounting, order):
    page = accounting.get(f"/orders/{order.pk}/invoice/").content.decode()
    assert page.count('data-testid="order-line"') == 2
    answer = accounting.post(f"/orders/{order.pk}/invoice/", {"part": "all"})
    invoice = Invoice.objects.get()
    assert answer.status_code == 302 and answer["Location"] == f"/invoices/{invoice.pk}/"
    assert invoice.status == InvoiceStatus.DRAFT and invoice.total == order.total and invoice.order == order
    # Its draft is edited (dates, notes); its customer and lines stay the order's.
    assert "come from the order" in accounting.get(f"/invoices/{invoice.pk}/edit/").content.decode()
    due = (timezone.localdate() + timedelta(days=10)).strftime("%d/%m/%Y")
    edited = accounting.post(
        f"/invoices/{invoice.pk}/edit/",
        {"due_date": due, "discount_percent": "0", "notes": "Giao hàng đợt 1", "version": invoice.version},
    )
    assert edited.status_code == 302, edited.content.decode()[:3000]
    invoice.refresh_from_db()
    assert (
        invoice.notes == "Giao hàng đợt 1" and invoice.contact == order.contact and invoice.lines.count() == 2
    )
    again = accounting.post(f"/orders/{order.pk}/invoice/", {"part": "all"})
    assert again.status_code == 400 and "invoiced already" in again.content.decode()


def test_invoice_what_was_delivered(accounting, order, org):
    first, _second = order_lines(order)
    deliver(order, org, {first.pk: Decimal(1)})
    answer = accounting.post(f"/orders/{order.pk}/invoice/", {"part": "delivered"})
    assert answer.status_code == 302
    invoice = Invoice.objects.get()
    assert [(li.order_line_id, li.quantity) for li in invoice.lines.all()] == [(first.pk, Decimal(1))]
    # What is left to invoice shows on the page: 1 of the first line, 2 of the second.
    page = accounting.get(f"/orders/{order.pk}/invoice/").content.decode()
    assert f'name="line_{first.pk}" value="1"' in page


def test_invoice_chosen_quantities_and_never_more_than_ordered(accounting, order):
    first, second = order_lines(order)
    too_many = accounting.post(
        f"/orders/{order.pk}/invoice/", {f"line_{first.pk}": "5", f"line_{second.pk}": ""}
    )
    assert too_many.status_code == 400
    assert "more than is left to invoice" in too_many.content.decode()
    assert not Invoice.objects.exists()
    nothing = accounting.post(f"/orders/{order.pk}/invoice/", {f"line_{first.pk}": "0"})
    assert nothing.status_code == 400 and not Invoice.objects.exists()
    chosen = accounting.post(
        f"/orders/{order.pk}/invoice/", {f"line_{first.pk}": "1,5", f"line_{second.pk}": "2"}
    )
    assert chosen.status_code == 302
    invoice = Invoice.objects.get()
    assert {(li.order_line_id, li.quantity) for li in invoice.lines.all()} == {
        (first.pk, Decimal("1.5")),
        (second.pk, Decimal(2)),
    }


# --- issuing, VietQR, receipts -------------------------------------------------------------------


def test_issue_from_the_page_then_vietqr_until_paid(accounting, order, accountant, bank):
    draft = services.invoice_from_order(order, actor=accountant)
    page = accounting.get(f"/invoices/{draft.pk}/").content.decode()
    assert 'data-testid="issue"' in page and 'data-testid="vietqr"' not in page
    assert accounting.get(f"/invoices/{draft.pk}/einvoice.xml").status_code == 400  # issue it first
    bad = accounting.post(
        f"/invoices/{draft.pk}/issue/", {"einvoice_series": "C26-TAA", "version": draft.version}
    )
    assert bad.status_code == 400 and "series is letters and digits" in bad.content.decode()
    issued = accounting.post(
        f"/invoices/{draft.pk}/issue/",
        {
            "einvoice_form": "1",
            "einvoice_series": "C26TAA",
            "einvoice_number": "123",
            "version": draft.version,
        },
    )
    assert issued.status_code == 302
    draft.refresh_from_db()
    assert draft.status == InvoiceStatus.ISSUED and draft.einvoice_series == "C26TAA" and draft.due_date
    page = accounting.get(f"/invoices/{draft.pk}/").content.decode()
    qr = page[page.index('data-testid="vietqr"') :]
    assert (
        "<svg" in qr and "0011001234567" in qr and "Vietcombank" in qr and "Công ty TNHH Điều hòa Sen" in qr
    )
    assert draft.number.upper() in qr  # the transfer content
    assert accounting.post(f"/invoices/{draft.pk}/issue/").status_code == 400  # not a draft any more
    receipt(accountant, draft, draft.total)
    paid = accounting.get(f"/invoices/{draft.pk}/").content.decode()
    assert 'data-testid="vietqr"' not in paid and 'data-testid="record-payment"' not in paid
    assert re.search(r'data-testid="invoice-status">[^<]*Paid', paid)


def test_record_the_einvoice_data_after_issuing(accounting, issued):
    answer = accounting.post(
        f"/invoices/{issued.pk}/einvoice/",
        {
            "einvoice_series": "C26TAA",
            "einvoice_number": "77",
            "einvoice_provider": "Viettel",
            "version": issued.version,
        },
    )
    assert answer.status_code == 302
    issued.refresh_from_db()
    assert (issued.einvoice_number, issued.einvoice_provider) == ("77", "Viettel")
    assert 'data-testid="einvoice-data"' in accounting.get(f"/invoices/{issued.pk}/").content.decode()
    assert accounting.post(f"/invoices/{issued.pk}/einvoice/", {"einvoice_number": "A1"}).status_code == 400


def test_a_receipt_from_the_page_pays_the_invoice(accounting, issued):
    form = accounting.get(f"/payments/new/?invoice={issued.pk}").content.decode()
    assert f'name="alloc_{issued.pk}"' in form and f'value="{int(issued.total):,}"'.replace(",", ".") in form
    answer = accounting.post(
        "/payments/new/",
        {
            "kind": "receipt",
            "method": "bank_transfer",
            "amount": f"{int(issued.total):,}".replace(",", "."),
            "contact": issued.contact_id,
            "reference": "FT123",
            f"alloc_{issued.pk}": str(issued.total),
        },
    )
    assert answer.status_code == 302, answer.content.decode()[:3000]
    payment = Payment.objects.get()
    assert answer["Location"] == f"/payments/{payment.pk}/"
    issued.refresh_from_db()
    assert issued.status == InvoiceStatus.PAID and issued.balance == 0
    page = accounting.get(f"/payments/{payment.pk}/").content.decode()
    assert issued.number in page and 'data-testid="amount-in-words"' in page and "đồng" in page
    assert payment.number in accounting.get("/payments/?q=tuyet").content.decode()


def test_over_allocation_is_a_400_and_nothing_is_saved(accounting, issued):
    answer = accounting.post(
        "/payments/new/",
        {
            "kind": "receipt",
            "method": "cash",
            "amount": str(issued.total + 1000),
            "contact": issued.contact_id,
            f"alloc_{issued.pk}": str(issued.total + 1000),
        },
    )
    assert answer.status_code == 400
    assert "more than the balance" in answer.content.decode()
    assert not Payment.objects.exists()
    more_than_paid = accounting.post(
        "/payments/new/",
        {
            "kind": "receipt",
            "method": "cash",
            "amount": "1000",
            "contact": issued.contact_id,
            f"alloc_{issued.pk}": "2000",
        },
    )
    assert more_than_paid.status_code == 400 and not Payment.objects.exists()


def test_the_show_button_lists_the_customers_open_invoices_without_saving(accounting, issued):
    answer = accounting.post("/payments/new/", {"refresh": "1", "contact": issued.contact_id, "amount": "5"})
    assert answer.status_code == 200 and f'name="alloc_{issued.pk}"' in answer.content.decode()
    assert not Payment.objects.exists()


def test_the_credit_left_on_a_receipt_is_applied_later(accounting, issued, accountant):
    credit = services.payment_create(
        actor=accountant, data={"amount": Decimal(1_000_000), "contact": issued.contact}
    )
    page = accounting.get(f"/payments/{credit.pk}/").content.decode()
    assert 'data-testid="allocate-form"' in page and f'name="alloc_{issued.pk}"' in page
    too_much = accounting.post(f"/payments/{credit.pk}/allocate/", {f"alloc_{issued.pk}": "2.000.000"})
    assert too_much.status_code == 400 and "more than the payment leaves" in too_much.content.decode()
    done = accounting.post(f"/payments/{credit.pk}/allocate/", {f"alloc_{issued.pk}": "1.000.000"})
    assert done.status_code == 302
    issued.refresh_from_db()
    assert issued.status == InvoiceStatus.PARTLY_PAID and issued.balance == issued.total - 1_000_000


# --- standalone invoices and corrections ---------------------------------------------------------


def test_a_standalone_invoice_is_created_edited_and_deleted_as_a_draft(accounting, customer):
    answer = accounting.post(
        "/invoices/new/",
        {
            "contact": customer.pk,
            "discount_percent": "0",
            **lines_post(
                {"description": "Bảo trì định kỳ", "quantity": "2", "unit_price": "500.000", "vat_rate": "8"}
            ),
        },
    )
    assert answer.status_code == 302, answer.content.decode()[:3000]
    invoice = Invoice.objects.get()
    assert invoice.total == 1_080_000 and invoice.status == InvoiceStatus.DRAFT
    assert accounting.get(f"/invoices/{invoice.pk}/edit/").status_code == 200
    edited = accounting.post(
        f"/invoices/{invoice.pk}/edit/",
        {
            "contact": customer.pk,
            "discount_percent": "0",
            "version": invoice.version,
            **lines_post(
                {"description": "Bảo trì định kỳ", "quantity": "3", "unit_price": "500.000", "vat_rate": "8"}
            ),
        },
    )
    assert edited.status_code == 302
    invoice.refresh_from_db()
    assert invoice.total == 1_620_000
    no_lines = accounting.post(
        "/invoices/new/", {"contact": customer.pk, "discount_percent": "0", **lines_post()}
    )
    assert no_lines.status_code == 400 and "at least one line" in no_lines.content.decode()
    assert accounting.post(f"/invoices/{invoice.pk}/delete/").status_code == 302
    assert not Invoice.objects.filter(pk=invoice.pk).exists()


def test_an_issued_invoice_is_not_edited_nor_deleted(accounting, issued):
    assert accounting.get(f"/invoices/{issued.pk}/edit/").status_code == 302
    assert accounting.post(f"/invoices/{issued.pk}/delete/").status_code == 400
    assert Invoice.objects.filter(pk=issued.pk).exists()


def test_a_credit_note_from_the_correction_page(accounting, issued):
    page = accounting.get(f"/invoices/{issued.pk}/correct/")
    assert page.status_code == 200
    missing = accounting.post(
        f"/invoices/{issued.pk}/correct/",
        {"kind": "adjustment", "correction_reason": "", "agreement_date": "", **lines_post()},
    )
    assert missing.status_code == 400 and Invoice.objects.count() == 1
    today = timezone.localdate().strftime("%d/%m/%Y")
    answer = accounting.post(
        f"/invoices/{issued.pk}/correct/",
        {
            "kind": "adjustment",
            "decrease": "on",
            "correction_reason": "Giảm giá theo biên bản",
            "agreement_date": today,
            **lines_post(
                {"description": "Giảm giá", "quantity": "1", "unit_price": "1.000.000", "vat_rate": "10"}
            ),
        },
    )
    assert answer.status_code == 302, answer.content.decode()[:3000]
    credit = Invoice.objects.get(original=issued)
    assert credit.kind == InvoiceKind.ADJUSTMENT and credit.is_credit and credit.status == InvoiceStatus.DRAFT
    assert answer["Location"] == f"/invoices/{credit.pk}/"
    assert accounting.post(f"/invoices/{credit.pk}/issue/", {"version": credit.version}).status_code == 302
    issued.refresh_from_db()
    assert issued.balance == issued.total - 1_100_000
    original = accounting.get(f"/invoices/{issued.pk}/").content.decode()
    assert credit.number in original and 'data-testid="corrections"' in original
    assert 'data-testid="original"' in accounting.get(f"/invoices/{credit.pk}/").content.decode()


# --- bank reconciliation ---------------------------------------------------------------------------


def statement_file(issued, name="saoke.csv"):
    text = STATEMENT.format(
        day=issued.issue_date.strftime("%d/%m/%Y"),
        amount=f"{int(issued.total):,}",
        number=issued.number.replace("-", ""),
    )
    return SimpleUploadedFile(name, text.encode("utf-8-sig"), content_type="text/csv")


def test_upload_match_and_confirm_all(accounting, issued):
    answer = accounting.post("/bank-statements/", {"file": statement_file(issued), "bank": "Vietcombank"})
    assert answer.status_code == 302, answer.content.decode()[:3000]
    detail = accounting.get(answer["Location"]).content.decode()
    assert detail.count('data-testid="statement-line"') == 2
    assert issued.number in detail and 'data-testid="confident"' in detail
    assert 'data-testid="confirm-all"' in detail
    statement_pk = int(answer["Location"].rstrip("/").rsplit("/", 1)[1])
    confirmed = accounting.post(f"/bank-statements/{statement_pk}/confirm/")
    assert confirmed.status_code == 302
    issued.refresh_from_db()
    assert issued.status == InvoiceStatus.PAID
    after = accounting.get(f"/bank-statements/{statement_pk}/").content.decode()
    assert 'data-testid="confirm-all"' not in after and Payment.objects.get().number in after
    listed = accounting.get("/bank-statements/").content.decode()
    assert "saoke.csv" in listed and 'data-testid="statement-row"' in listed
    # The same file again: nothing new, and the page says the lines were skipped.
    again = accounting.post("/bank-statements/", {"file": statement_file(issued)})
    assert 'data-testid="skipped"' in accounting.get(again["Location"]).content.decode()
    assert Payment.objects.count() == 1


def test_a_line_confirmed_to_a_typed_invoice_number_or_ignored(accounting, issued, order, accountant):
    answer = accounting.post("/bank-statements/", {"file": statement_file(issued)})
    credit_line = BankLine.objects.get(amount__gt=0)
    unknown = accounting.post(
        f"/bank-statements/lines/{credit_line.pk}/confirm/", {"invoice_number": "HD-NOPE"}
    )
    assert unknown.status_code == 400 and not Payment.objects.exists()
    done = accounting.post(
        f"/bank-statements/lines/{credit_line.pk}/confirm/", {"invoice_number": issued.number.lower()}
    )
    assert done.status_code == 302 and done["Location"] == answer["Location"]
    credit_line.refresh_from_db()
    assert credit_line.status == "confirmed" and credit_line.payment.allocations.get().invoice == issued
    again = accounting.post(f"/bank-statements/lines/{credit_line.pk}/confirm/")
    assert again.status_code == 400
    other = BankLine.objects.create(
        statement=credit_line.statement,
        row=99,
        date=credit_line.date,
        amount=5,
        content="x",
        fingerprint="f" * 64,
    )
    assert accounting.post(f"/bank-statements/lines/{other.pk}/ignore/").status_code == 302
    other.refresh_from_db()
    assert other.status == "ignored"


def test_a_broken_statement_is_a_400_on_the_form(accounting):
    junk = SimpleUploadedFile("saoke.csv", b"\xff\xfe\x00garbage\x00\x01", content_type="text/csv")
    answer = accounting.post("/bank-statements/", {"file": junk})
    assert answer.status_code == 400 and 'data-testid="error-file"' in answer.content.decode()
    assert accounting.post("/bank-statements/", {}).status_code == 400
    unnamed = accounting.post("/bank-statements/", {"file": junk, "save_mapping": "on"})
    assert unnamed.status_code == 400 and 'data-testid="error-bank"' in unnamed.content.decode()


# --- receivables -----------------------------------------------------------------------------------


def test_receivables_put_the_customer_in_the_right_bucket(accounting, issued):
    Invoice.objects.filter(pk=issued.pk).update(due_date=timezone.localdate() - timedelta(days=45))
    page = accounting.get("/receivables/").content.decode()
    row = page[page.index('data-testid="receivable-row"') :]
    row = row[: row.index("</tr>")]
    assert "Nguyễn Thị Ánh Tuyết" in row and f"/contacts/{issued.contact_id}/" in row
    cells = dict(re.findall(r'data-bucket="(\w+)">([^<]*)<', row))
    assert cells["d31_60"].strip() and not cells["current"].strip() and not cells["d1_30"].strip()
    assert 'data-testid="receivables-totals"' in page
    assert "Nguyễn" not in accounting.get("/receivables/?q=khong-co-ai").content.decode().split("<tbody>")[1]


# --- returns ---------------------------------------------------------------------------------------


def test_a_return_through_the_page(accounting, issued, order, org):
    first, _second = order_lines(order)
    nothing = accounting.get(f"/orders/{order.pk}/return/").content.decode()
    assert "Nothing has been delivered" in nothing
    deliver(order, org, {first.pk: Decimal(2)})
    form = accounting.get(f"/orders/{order.pk}/return/").content.decode()
    assert f'name="line_{first.pk}"' in form
    too_many = accounting.post(f"/orders/{order.pk}/return/", {f"line_{first.pk}": "5", "reason": "Máy lỗi"})
    assert too_many.status_code == 400 and "only 2 delivered" in too_many.content.decode()
    no_reason = accounting.post(f"/orders/{order.pk}/return/", {f"line_{first.pk}": "1", "reason": ""})
    assert no_reason.status_code == 400 and not Return.objects.exists()
    answer = accounting.post(
        f"/orders/{order.pk}/return/", {f"line_{first.pk}": "1", "reason": "Máy lỗi", "refund_method": "cash"}
    )
    assert answer.status_code == 302, answer.content.decode()[:3000]
    returned = Return.objects.get()
    assert answer["Location"] == f"/returns/{returned.pk}/"
    page = accounting.get(answer["Location"]).content.decode()
    assert returned.credit_invoice.number in page and "Máy lỗi" in page
    assert returned.number in accounting.get("/returns/").content.decode()
    order_page = accounting.get(f"/orders/{order.pk}/").content.decode()
    # Returned goods are credited, not invoiced again: the order has nothing left to invoice.
    assert returned.number in order_page and 'data-testid="create-invoice"' not in order_page


# --- the gate --------------------------------------------------------------------------------------


def test_the_gate(client_as, issued, order):
    sales1 = client_as("sales1")
    page = sales1.get(f"/invoices/{issued.pk}/")
    # The salesperson whose customer it is reads it; billing's buttons are not theirs.
    assert page.status_code == 200 and 'data-testid="issue"' not in page.content.decode()
    assert issued.number in sales1.get("/invoices/").content.decode()
    assert sales1.post(f"/invoices/{issued.pk}/issue/").status_code == 403
    assert sales1.post(f"/invoices/{issued.pk}/einvoice/").status_code == 403
    assert sales1.get("/bank-statements/").status_code == 403
    assert sales1.get("/payments/new/").status_code == 403
    assert sales1.get(f"/orders/{order.pk}/invoice/").status_code == 403
    assert 'data-testid="create-invoice"' not in sales1.get(f"/orders/{order.pk}/").content.decode()
    sales2 = client_as("sales2")
    assert sales2.get(f"/invoices/{issued.pk}/").status_code == 404
    assert sales2.post(f"/invoices/{issued.pk}/issue/").status_code == 404
    assert sales2.get(f"/invoices/{issued.pk}/pdf/").status_code == 404
    assert issued.number not in sales2.get("/invoices/").content.decode()
    for role in ("board", "care"):
        client = client_as(role)
        assert client.get("/invoices/").status_code == 403, role
        assert client.get("/receivables/").status_code == 403, role
        assert client.get("/payments/").status_code == 403, role


def test_the_gate_on_payments_statements_and_exports(client_as, issued, accountant):
    paid = receipt(accountant, issued, 1_000)
    # The receipt is owned by the customer's owner (sales1): theirs to read, not sales2's.
    assert client_as("sales1").get(f"/payments/{paid.pk}/").status_code == 200
    assert client_as("sales2").get(f"/payments/{paid.pk}/").status_code == 404
    accounting = client_as("accountant")
    upload = accounting.post("/bank-statements/", {"file": statement_file(issued)})
    line = BankLine.objects.filter(amount__gt=0).first()
    assert client_as("sales1").get(upload["Location"]).status_code == 403
    assert client_as("sales1").post(f"/bank-statements/lines/{line.pk}/confirm/").status_code == 403
    assert client_as("manager").get("/receivables/export/").status_code == 200
    assert client_as("care").get("/receivables/export/").status_code == 403


def test_the_demo_sample_statement_is_offered_for_download(client_as, settings, org, tmp_path):
    settings.DATA_DIR = tmp_path  # not the run's DATA_DIR: the demo loader's test writes its own there
    client = client_as("accountant")
    assert 'data-testid="sample-statement"' not in client.get("/bank-statements/").content.decode()
    assert client.get("/bank-statements/sample.csv").status_code == 404
    sample = tmp_path / "demo" / "sao-ke-vietcombank-2026-12.csv"
    sample.parent.mkdir(parents=True)
    sample.write_text("Ngày giao dịch,Số tiền ghi có,Mô tả\n", encoding="utf-8-sig")
    assert 'data-testid="sample-statement"' in client.get("/bank-statements/").content.decode()
    answer = client.get("/bank-statements/sample.csv")
    assert answer.status_code == 200 and b"".join(answer.streaming_content).startswith(b"\xef\xbb\xbf")
    assert client_as("sales1").get("/bank-statements/sample.csv").status_code == 403


def test_vietnamese_messages_on_the_order_invoice_page(client_as, order):
    line = order.lines.order_by("position").first()
    answer = client_as("accountant").post(f"/orders/{order.pk}/invoice/", {f"line_{line.pk}": "9"})
    text = answer.content.decode()
    assert answer.status_code == 400 and 'lang="vi"' in text
    assert "vượt quá số lượng còn lại chưa xuất hóa đơn" in text


def test_a_long_statement_is_confirmed_by_the_worker(accounting, issued, monkeypatch):
    from sencrm.billing import reconcile

    monkeypatch.setattr(reconcile, "CONFIRM_INLINE", 0)  # one confident line is "long" here
    day = issued.issue_date.strftime("%d/%m/%Y")
    text = f'Ngày giao dịch,Số tiền ghi có,Mô tả\n{day},"{int(issued.total):,}",CK TT {issued.number}\n'
    from django.core.files.uploadedfile import SimpleUploadedFile

    answer = accounting.post("/bank-statements/", {"file": SimpleUploadedFile("s.csv", text.encode())})
    statement_url = answer["Location"]
    confirmed = accounting.post(f"{statement_url}confirm/", follow=True)
    assert "in the background" in confirmed.content.decode()
    issued.refresh_from_db()
    assert issued.status == "paid"  # the test worker runs tasks at once
