"""The document pages: forms with lines, transitions, uploads, and who may do what."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from sencrm.commerce import services
from sencrm.commerce.models import Contract, Order, Quote


def lines_post(*rows: dict[str, str]) -> dict[str, str]:
    data = {
        "lines-TOTAL_FORMS": str(len(rows)),
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "500",
    }
    for n, row in enumerate(rows):
        data.update({f"lines-{n}-{key}": value for key, value in row.items()})
    return data


@pytest.fixture
def quote(org, customer, catalogue, deal):
    return services.quote_create(
        actor=org["sales1"],
        data={"contact": customer, "opportunity": deal},
        lines=[
            {"product": catalogue["split"], "quantity": 2},
            {"product": catalogue["install"], "quantity": 2},
        ],
    )


def test_a_quote_from_an_opportunity_through_the_form(client_as, deal, catalogue, customer):
    client = client_as("sales1")
    page = client.get(f"/quotes/new/?opportunity={deal.pk}")
    assert page.status_code == 200 and f'value="{deal.pk}" selected' in page.text
    response = client.post(
        f"/quotes/new/?opportunity={deal.pk}",
        {
            "contact": customer.pk,
            "opportunity": deal.pk,
            "valid_until": "31/12/2026",
            "discount_percent": "0",
            **lines_post(
                {"section": "Thiết bị", "product": str(catalogue["split"].pk), "quantity": "2"},
                {
                    "section": "Vật tư",
                    "description": "Ống đồng",
                    "unit": "m",
                    "quantity": "1,5",
                    "unit_price": "180.000",
                    "vat_rate": "10",
                },
                {"description": "", "quantity": ""},
            ),
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    quote = Quote.objects.get()
    assert quote.lines.count() == 2 and quote.opportunity == deal
    detail = client.get(quote.get_absolute_url())
    assert detail.status_code == 200
    assert quote.number in detail.text and "Ống đồng" in detail.text and "đồng" in detail.text.lower()
    assert 'data-testid="total-in-words"' in detail.text


def test_a_bad_line_is_a_400_with_the_reason_and_nothing_saved(client_as, customer):
    response = client_as("sales1").post(
        "/quotes/new/",
        {
            "contact": customer.pk,
            "discount_percent": "0",
            **lines_post({"description": "Điều hòa", "quantity": "-1", "unit_price": "1000"}),
        },
    )
    assert response.status_code == 400
    assert not Quote.objects.exists()


def test_accept_confirm_and_deliver_from_the_pages(client_as, quote, org):
    client = client_as("sales1")
    assert b'data-testid="delete"' in client.get(f"/quotes/{quote.pk}/").content  # a draft may go
    response = client.post(f"/quotes/{quote.pk}/accept/")
    order = Order.objects.get()
    assert response.status_code == 302 and response["Location"] == order.get_absolute_url()
    assert b'data-testid="delete"' not in client.get(f"/quotes/{quote.pk}/").content  # it has an order
    assert b'data-testid="delete"' in client.get(f"/orders/{order.pk}/").content
    assert client.post(f"/orders/{order.pk}/confirm/").status_code == 302
    assert b'data-testid="delete"' not in client.get(f"/orders/{order.pk}/").content  # cancelled, not deleted
    lines = list(order.lines.order_by("position"))
    deliver = client.post(
        f"/orders/{order.pk}/deliveries/",
        {"delivered_on": "01/12/2026", f"line_{lines[0].pk}": "1"},
    )
    assert deliver.status_code == 302
    order.refresh_from_db()
    assert order.status == "partly_delivered"
    too_many = client.post(
        f"/orders/{order.pk}/deliveries/", {"delivered_on": "01/12/2026", f"line_{lines[0].pk}": "5"}
    )
    assert too_many.status_code == 400


def test_a_cancel_without_a_reason_is_refused(client_as, quote):
    client = client_as("sales1")
    client.post(f"/quotes/{quote.pk}/accept/")
    order = Order.objects.get()
    assert client.post(f"/orders/{order.pk}/cancel/", {"reason": ""}).status_code == 400
    assert client.post(f"/orders/{order.pk}/cancel/", {"reason": "Khách hủy"}).status_code == 302


def test_other_sales_get_404_care_reads_and_the_board_sees_nothing(client_as, quote):
    assert client_as("sales2").get(quote.get_absolute_url()).status_code == 404
    assert client_as("sales2").post(f"/quotes/{quote.pk}/accept/").status_code == 404
    care = client_as("care")
    assert care.get(quote.get_absolute_url()).status_code == 200
    assert care.get("/quotes/").status_code == 200
    assert care.post(f"/quotes/{quote.pk}/accept/").status_code == 403
    assert care.get("/quotes/new/").status_code == 403
    assert client_as("board").get("/quotes/").status_code == 403


def test_lists_filter_and_search(client_as, quote):
    client = client_as("sales1")
    assert quote.number in client.get("/quotes/").text
    assert quote.number in client.get("/quotes/?q=tuyet").text
    assert quote.number not in client.get("/quotes/?status=sent").text
    assert client.get("/quotes/?status=nope").status_code == 400
    assert client.get("/quotes/?cursor=forged").status_code == 400


@pytest.fixture
def contract(org, customer, catalogue):
    import datetime as dt

    return services.contract_create(
        actor=org["sales1"],
        data={"name": "Bảo trì", "contact": customer, "start_date": dt.date(2026, 1, 1)},
        lines=[{"product": catalogue["install"], "quantity": 2}],
    )


def test_the_signed_copy_must_be_a_pdf_by_its_content(client_as, contract, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    client = client_as("sales1")
    fake = SimpleUploadedFile("hop-dong.pdf", b"MZ\x90\x00 not a pdf at all", content_type="application/pdf")
    response = client.post(f"/contracts/{contract.pk}/signed-copy/", {"file": fake})
    assert response.status_code == 400 and "PDF" in response.text
    real = SimpleUploadedFile(
        "Hợp đồng đã ký.pdf", b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"
    )
    assert client.post(f"/contracts/{contract.pk}/signed-copy/", {"file": real}).status_code == 302
    contract.refresh_from_db()
    assert contract.signed_file_name == "Hợp đồng đã ký.pdf"
    assert (
        not contract.signed_file.startswith("/") and (tmp_path / "contracts" / contract.signed_file).exists()
    )
    download = client.get(f"/contracts/{contract.pk}/signed-copy.pdf")
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"
    assert client_as("sales2").get(f"/contracts/{contract.pk}/signed-copy.pdf").status_code == 404


def test_sign_from_the_page(client_as, contract):
    client = client_as("sales1")
    assert client.post(f"/contracts/{contract.pk}/sign/").status_code == 302
    assert Contract.objects.get(pk=contract.pk).status == "signed"
    again = client.post(f"/contracts/{contract.pk}/sign/")
    assert again.status_code == 400


def test_home_shows_my_quotes_awaiting_an_answer(client_as, quote, org):
    services.quote_mark_sent(quote, actor=org["sales1"])
    home = client_as("sales1").get("/")
    assert 'data-testid="my-documents"' in home.text and quote.number in home.text
    assert quote.number not in client_as("sales2").get("/").text


def test_the_quote_total_in_words(quote):
    from sencrm.core.money import amount_in_words

    assert amount_in_words(Decimal(quote.total)).endswith("đồng")


def test_a_reduced_line_shows_the_rate_it_pays_on_the_page_and_in_the_pdf(
    client_as, org, customer, catalogue
):
    """A reducible 10 % product on a document dated inside the reduction is printed at 8 %, and the
    VAT summary groups it with the 8 % lines, as the totals computed it; after the reduction, 10 %."""
    import datetime as dt
    import io

    from django.test import override_settings
    from pypdf import PdfReader

    from sencrm.commerce.printing import document_context

    reduction = {
        "start": dt.date(2025, 7, 1),
        "end": dt.date(2026, 12, 31),
        "from_rate": "10",
        "to_rate": "8",
    }
    lines = [{"product": catalogue["split"], "quantity": 2}, {"product": catalogue["install"], "quantity": 2}]
    with override_settings(VAT_REDUCTION=reduction):
        inside = services.quote_create(
            actor=org["sales1"], data={"contact": customer, "issue_date": dt.date(2026, 12, 31)}, lines=lines
        )
        after = services.quote_create(
            actor=org["sales1"], data={"contact": customer, "issue_date": dt.date(2027, 1, 1)}, lines=lines
        )
        context = document_context(inside)
        assert [line["vat_rate"] for line in context["lines"]] == ["8", "8"]
        # 25.000.000 + 1.000.000 at 8 %: one group, the VAT the totals stored.
        assert context["totals"]["vat_by_rate"] == {"8": 2_080_000} == {"8": int(inside.vat_total)}
        later = document_context(after)
        assert [line["vat_rate"] for line in later["lines"]] == ["10", "8"]
        assert list(later["totals"]["vat_by_rate"]) == ["8", "10"]  # in rate order
        client = client_as("sales1")
        page = client.get(f"/quotes/{inside.pk}/").content.decode()
        assert page.count(">8%</td>") == 2 and ">10%</td>" not in page
        pdf = client.get(f"/quotes/{inside.pk}/pdf/")
    body = b"".join(pdf.streaming_content) if pdf.streaming else pdf.content
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(body)).pages)
    assert pdf["Content-Type"] == "application/pdf"
    assert "10%" not in text and "8%" in text


def test_a_document_list_view_is_saved_and_offered_again(client_as, quote):
    """Saved views on quotes, orders and contracts (and products), each user their own."""
    client = client_as("sales1")
    saved = client.post("/views/quotes/save/", {"name": "Chờ khách trả lời", "querystring": "status=draft"})
    assert saved.status_code == 302 and saved["Location"] == "/quotes/?status=draft"
    page = client.get("/quotes/").content.decode()
    assert 'href="?status=draft">Chờ khách trả lời</a>' in page
    assert "Chờ khách trả lời" not in client_as("sales2").get("/quotes/").content.decode()
    assert b'data-testid="saved-views"' in client_as("manager").get("/products/").content
    assert client.post("/views/tickets/save/", {"name": "x"}).status_code == 404


@pytest.mark.parametrize("kind", ["quote", "order", "contract"])
def test_the_edit_page_of_each_document_opens(client_as, org, customer, catalogue, kind):
    """Regression: the edit form's initial values are ids, not records (it answered 500)."""
    from sencrm.commerce import services

    lines = [{"product": catalogue["split"], "quantity": 1}]
    if kind == "contract":
        import datetime as dt

        doc = services.contract_create(
            actor=org["sales1"],
            data={"contact": customer, "name": "Bảo trì", "start_date": dt.date(2026, 1, 1)},
            lines=lines,
        )
    else:
        doc = getattr(services, f"{kind}_create")(
            actor=org["sales1"], data={"contact": customer}, lines=lines
        )
    page = client_as("sales1").get(f"/{kind}s/{doc.pk}/edit/")
    assert page.status_code == 200
    assert customer.full_name in page.content.decode()
