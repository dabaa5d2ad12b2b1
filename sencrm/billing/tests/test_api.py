"""The billing API: the field names integrations rely on, the order → invoice → payment path, the gate."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from sencrm.billing.models import Invoice, InvoiceStatus
from sencrm.core import vietqr
from sencrm.documents.models import CompanyProfile
from sencrm.users.services import api_token_create

pytestmark = pytest.mark.django_db


def bearer(org, username):
    _token, raw = api_token_create(user=org[username], name="script")
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


@pytest.fixture
def api(org):
    return bearer(org, "accountant")


@pytest.fixture
def bank(db):
    CompanyProfile.objects.update_or_create(
        pk=1,
        defaults={"name": "Công ty TNHH Điều hòa Sen", "bank_bin": "970436", "bank_account": "0011001234567"},
    )


def invoice_order(api, order, body=None):
    return api.post(f"/api/v1/orders/{order.pk}/invoice/", body or {}, content_type="application/json")


def test_order_to_issued_invoice_with_vietqr(api, order, bank):
    made = invoice_order(api, order)
    assert made.status_code == 201, made.content
    pk = made.json()["invoice"]
    draft = api.get(f"/api/v1/invoices/{pk}/").json()
    assert draft["status"] == "draft" and draft["vietqr"] is None
    issued = api.post(
        f"/api/v1/invoices/{pk}/issue/",
        {"einvoice": {"form": "1", "series": "C26TAA", "number": "123", "provider": "VNPT"}},
        content_type="application/json",
    )
    assert issued.status_code == 200, issued.content
    body = issued.json()
    for name in (
        "id", "number", "order", "contract", "contact", "account", "status", "issue_date", "due_date",
        "lines", "subtotal", "vat_total", "total", "total_in_words", "paid_total", "balance", "vietqr",
        "einvoice", "adjusts", "replaces",
    ):  # fmt: skip
        assert name in body
    assert body["status"] == "issued" and body["order"] == order.pk
    assert body["balance"] == body["total"] == str(order.total)
    assert body["einvoice"] == {
        "form": "1", "series": "C26TAA", "number": "123", "lookup_code": "", "provider": "VNPT"
    }  # fmt: skip
    fields = vietqr.parse_payload(body["vietqr"])
    assert fields["54"] == str(order.total)
    assert fields["38"]["01"] == {"00": "970436", "01": "0011001234567"}
    assert fields["62"]["08"] == body["number"]


def test_invoice_for_more_than_ordered_is_a_400(api, order):
    line = order.lines.order_by("position").first()
    answer = invoice_order(api, order, {"lines": [{"line": line.pk, "quantity": "5"}]})
    assert answer.status_code == 400
    # The API answers in the language of the request (Vietnamese by default).
    assert "vượt quá số lượng còn lại chưa xuất hóa đơn" in answer.content.decode()
    assert not Invoice.objects.exists()


def test_receipt_with_allocations_marks_the_invoice_paid(api, issued):
    half = issued.total // 2
    first = api.post(
        "/api/v1/payments/",
        {
            "method": "bank_transfer",
            "amount": str(half),
            "contact": issued.contact_id,
            "allocations": [{"invoice": issued.pk, "amount": str(half)}],
        },
        content_type="application/json",
    )
    assert first.status_code == 201, first.content
    body = first.json()
    assert body["kind"] == "receipt" and body["allocations"][0]["invoice"] == issued.pk
    state = api.get(f"/api/v1/invoices/{issued.pk}/").json()
    assert state["status"] == "partly_paid" and Decimal(state["balance"]) == issued.total - half
    too_much = api.post(
        "/api/v1/payments/",
        {
            "amount": str(issued.total),
            "contact": issued.contact_id,
            "allocations": [{"invoice": issued.pk, "amount": str(issued.total)}],
        },
        content_type="application/json",
    )
    assert too_much.status_code == 400
    rest = issued.total - half
    api.post(
        "/api/v1/payments/",
        {
            "amount": str(rest),
            "contact": issued.contact_id,
            "allocations": [{"invoice": issued.pk, "amount": str(rest)}],
        },
        content_type="application/json",
    )
    state = api.get(f"/api/v1/invoices/{issued.pk}/").json()
    assert state["status"] == "paid" and state["balance"] == "0" and state["vietqr"] is None


def test_negative_amount_and_bad_method_are_400(api, issued):
    for body in ({"amount": "-100", "contact": issued.contact_id}, {"amount": "100", "method": "bitcoin"}):
        assert api.post("/api/v1/payments/", body, content_type="application/json").status_code == 400


def test_overdue_filter(api, issued):
    Invoice.objects.filter(pk=issued.pk).update(due_date="2020-01-01")
    listed = api.get("/api/v1/invoices/?overdue=true").json()["results"]
    assert [i["id"] for i in listed] == [issued.pk] and listed[0]["overdue"] is True
    assert api.get("/api/v1/invoices/?overdue=false").json()["results"] == []


def test_the_gate(org, issued):
    sales1, sales2, board, care = (bearer(org, u) for u in ("sales1", "sales2", "board", "care"))
    # The salesperson whose customer it is sees it; another team's does not, as if it did not exist.
    assert sales1.get(f"/api/v1/invoices/{issued.pk}/").status_code == 200
    assert sales2.get(f"/api/v1/invoices/{issued.pk}/").status_code == 404
    assert sales2.get("/api/v1/invoices/999999/").status_code == 404
    assert sales1.post(f"/api/v1/invoices/{issued.pk}/issue/").status_code == 403
    assert (
        sales1.post("/api/v1/payments/", {"amount": "1"}, content_type="application/json").status_code == 403
    )
    # The board sees totals on its home page, not the invoices; care has no billing at all.
    assert board.get("/api/v1/invoices/").status_code == 403
    assert care.get("/api/v1/payments/").status_code == 403


def _csv(client, url):
    return b"".join(client.get(url).streaming_content).decode("utf-8-sig")


def test_export_scope_in_csv(org, issued, api):
    assert issued.number in _csv(api, "/api/v1/invoices/?format=csv")
    assert issued.number in _csv(bearer(org, "sales1"), "/api/v1/invoices/?format=csv")
    assert issued.number not in _csv(bearer(org, "sales2"), "/api/v1/invoices/?format=csv")


STATEMENT = (
    "SAO KÊ TÀI KHOẢN\n"
    "Số tài khoản: 0011001234567\n"
    "\n"
    "Ngày giao dịch,Số tham chiếu,Số tiền ghi nợ,Số tiền ghi có,Mô tả\n"
    '{day},FT2633801234,,"{amount}","CT DEN:0123 NGUYEN THI ANH TUYET CK TT HD {number}"\n'
    '{day},FT2633809999,"150,000",,"Phi dich vu SMS"\n'
)


def test_statement_upload_match_confirm_and_reupload(api, issued):
    text = STATEMENT.format(
        day=issued.issue_date.strftime("%d/%m/%Y"),
        amount=f"{int(issued.total):,}",
        number=issued.number.replace("-", ""),
    )
    upload = SimpleUploadedFile("saoke.csv", text.encode("utf-8-sig"), content_type="text/csv")
    answer = api.post("/api/v1/bank-statements/", {"file": upload})
    assert answer.status_code == 201, answer.content
    lines = answer.json()["lines"]
    credit = next(line for line in lines if Decimal(line["amount"]) > 0)
    assert credit["match"]["invoice"] == issued.pk and credit["match"]["reason"] == "number"
    assert credit["reference"] == "FT2633801234"
    confirmed = api.post(
        f"/api/v1/bank-statements/{answer.json()['id']}/confirm/", {}, content_type="application/json"
    )
    assert confirmed.status_code == 200, confirmed.content
    receipts = confirmed.json()
    assert len(receipts) == 1 and receipts[0]["allocations"][0]["invoice"] == issued.pk
    issued.refresh_from_db()
    assert issued.status == InvoiceStatus.PAID
    # The same file again: nothing new, no second receipt.
    again = api.post(
        "/api/v1/bank-statements/",
        {"file": SimpleUploadedFile("saoke.csv", text.encode("utf-8-sig"), content_type="text/csv")},
    )
    assert again.status_code == 201
    assert again.json()["lines"] == [] and again.json()["skipped_count"] == 2
    from sencrm.billing.models import Payment

    assert Payment.objects.count() == 1


def test_a_broken_statement_is_a_400(api):
    junk = SimpleUploadedFile("saoke.csv", b"\xff\xfe\x00garbage\x00\x01", content_type="text/csv")
    answer = api.post("/api/v1/bank-statements/", {"file": junk})
    assert answer.status_code == 400
    exe = SimpleUploadedFile("saoke.exe", b"MZ....", content_type="application/octet-stream")
    assert api.post("/api/v1/bank-statements/", {"file": exe}).status_code == 400


def test_return_through_the_api(api, issued, order, org):
    from django.utils import timezone

    from sencrm.commerce.services import order_record_delivery

    line = order.lines.order_by("position").first()
    order_record_delivery(
        order, actor=org["sales1"], delivered_on=timezone.localdate(), quantities={line.pk: Decimal(2)}
    )
    answer = api.post(
        "/api/v1/returns/",
        {"order": order.pk, "reason": "Máy lỗi", "lines": [{"line": line.pk, "quantity": "1"}]},
        content_type="application/json",
    )
    assert answer.status_code == 201, answer.content
    credit = answer.json()["credit_invoice"]
    assert api.get(f"/api/v1/invoices/{credit}/").json()["adjusts"] == issued.pk
    too_many = api.post(
        "/api/v1/returns/",
        {"order": order.pk, "reason": "x", "lines": [{"line": line.pk, "quantity": "5"}]},
        content_type="application/json",
    )
    assert too_many.status_code == 400


def test_two_equal_transfers_are_two_lines_and_an_overlapping_statement_adds_only_the_new_one(api, issued):
    day = issued.issue_date.strftime("%d/%m/%Y")
    header = "Ngày giao dịch,Số tiền ghi có,Mô tả\n"
    twice = f'{day},"500,000",TRAN VAN BINH chuyen tien\n' * 2
    first = api.post(
        "/api/v1/bank-statements/",
        {"file": SimpleUploadedFile("a.csv", (header + twice).encode(), content_type="text/csv")},
    )
    assert first.status_code == 201, first.content
    assert len(first.json()["lines"]) == 2
    later = f'{day},"700,000",LE THI HOA chuyen tien\n'
    overlap = api.post(
        "/api/v1/bank-statements/",
        {"file": SimpleUploadedFile("b.csv", (header + twice + later).encode(), content_type="text/csv")},
    )
    body = overlap.json()
    assert [line["amount"] for line in body["lines"]] == ["700000"] and body["skipped_count"] == 2


def test_a_statement_with_its_own_columns_and_a_mapping_given_as_json(api, issued):
    import json

    day = issued.issue_date.strftime("%Y-%m-%d")
    text = f"Ngay hach toan;Tien vao;Ghi chu\n{day};{int(issued.total)};TT {issued.number}\n"
    upload = SimpleUploadedFile("bidv.csv", text.encode(), content_type="text/csv")
    mapping = {"date": "Ngay hach toan", "credit": "Tien vao", "content": "Ghi chu"}
    answer = api.post(
        "/api/v1/bank-statements/",
        {"file": upload, "mapping": json.dumps(mapping), "bank": "BIDV", "save_mapping": "true"},
    )
    assert answer.status_code == 201, answer.content
    assert answer.json()["lines"][0]["match"]["invoice"] == issued.pk
    # The mapping was saved for the bank: the next file of that bank needs none.
    again = SimpleUploadedFile("bidv2.csv", text.replace(str(int(issued.total)), "1000").encode())
    assert api.post("/api/v1/bank-statements/", {"file": again, "bank": "BIDV"}).status_code == 201
    bad = api.post(
        "/api/v1/bank-statements/",
        {"file": SimpleUploadedFile("x.csv", text.encode()), "mapping": json.dumps({"date": "Nope"})},
    )
    assert bad.status_code == 400


def test_a_company_invoice_paid_under_the_contact_persons_name(api, org, catalogue, make_contact):
    from sencrm.billing import services
    from sencrm.commerce.services import order_confirm, order_create
    from sencrm.customers.services import account_create

    company = account_create(actor=org["sales1"], data={"name": "Khách sạn Hải Âu"})
    person = make_contact(full_name="Lý Thanh Oanh", phones=("0903 111 222",), account=company)
    order = order_create(
        actor=org["sales1"],
        data={"contact": person, "account": company},
        lines=[{"product": catalogue["install"], "quantity": 3, "unit_price": 700_000}],
    )
    order = order_confirm(order, actor=org["sales1"])
    accountant = org["accountant"]
    invoice = services.invoice_issue(services.invoice_from_order(order, actor=accountant), actor=accountant)
    day = invoice.issue_date.strftime("%d/%m/%Y")
    text = f'Ngày giao dịch,Số tiền ghi có,Mô tả\n{day},"{int(invoice.total):,}",LY THANH OANH chuyen khoan\n'
    answer = api.post("/api/v1/bank-statements/", {"file": SimpleUploadedFile("s.csv", text.encode())})
    match = answer.json()["lines"][0]["match"]
    assert match["invoice"] == invoice.pk and match["reason"] == "name_amount" and match["confident"]
