"""From an opportunity to a confirmed order in a real browser (Playwright driving Debian's Chromium), in
Vietnamese: the seller quotes the deal from its page, picks an air conditioner from the catalogue, prints
the quote as a PDF, the customer accepts it, and the order it became is confirmed."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from decimal import Decimal

import pypdf
import pytest
from django.utils import timezone
from playwright.sync_api import expect

from sencrm.commerce.models import Order, OrderStatus, Quote, QuoteStatus
from sencrm.core.tests.test_browser import browser, page, sign_in  # noqa: F401  (shared fixtures)
from sencrm.customers.models import Contact
from sencrm.sales.models import Opportunity

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def air_conditioner(org, catalogue, settings):
    """A product the VAT reduction applies to, next to the conftest's catalogue, with a reduction that
    surely covers today: 2 × 12.500.000 ₫ = 25.000.000 ₫, + 8 % VAT = 27.000.000 ₫ whatever day the
    suite runs (the quote and the order its acceptance creates are both dated today)."""
    from sencrm.catalog.services import product_create

    today = timezone.localdate()
    settings.VAT_REDUCTION = {
        "start": today - timedelta(days=30),
        "end": today + timedelta(days=30),
        "from_rate": "10",
        "to_rate": "8",
    }
    return product_create(
        actor=org["manager"],
        data={
            "code": "DK-FTKB35",
            "name": "Điều hòa Daikin Inverter 1.5 HP FTKB35",
            "unit": "bộ",
            "list_price": Decimal(12_500_000),
            "vat_rate": "10",
            "vat_reducible": True,
        },
    )


@pytest.fixture
def opportunity(org, customer):
    """An open deal of sales1 with the prospect Nguyễn Thị Ánh Tuyết (commerce conftest)."""
    from sencrm.sales.defaults import sync_sales_defaults
    from sencrm.sales.models import Pipeline, ScoringRule, Stage
    from sencrm.sales.services import opportunity_create

    # Transactional (browser) tests flush the pipelines that the data migration filled.
    sync_sales_defaults(Pipeline, Stage, ScoringRule)
    return opportunity_create(
        actor=org["sales1"],
        data={"name": "Điều hòa cho nhà chị Tuyết", "contact": customer, "amount": Decimal(20_000_000)},
    )


def test_from_opportunity_to_quote_pdf_acceptance_and_confirmed_order(
    page,  # noqa: F811
    org,
    customer,
    opportunity,
    air_conditioner,
):
    name = "Nguyễn Thị Ánh Tuyết"
    assert customer.full_name == name and customer.lifecycle_stage == "prospect"

    # 1. From the deal's page, the seller starts a quote: the customer and the deal come filled in.
    sign_in(page, "sales1")
    page.goto(opportunity.get_absolute_url())
    expect(page.get_by_test_id("opportunity-name")).to_have_text("Điều hòa cho nhà chị Tuyết")
    documents = page.get_by_test_id("record-documents")
    expect(documents).to_contain_text("Chưa có chứng từ")
    documents.get_by_test_id("new-quote").click()
    expect(page).to_have_url(re.compile(rf"/quotes/new/\?opportunity={opportunity.pk}$"))
    expect(page.locator("#id_contact option:checked")).to_have_text(name)
    expect(page.locator("#id_opportunity")).to_have_value(str(opportunity.pk))

    # The product picker is a plain <select> of the catalogue (no search box): choose by the visible label.
    # (Typing into it relies on the browser's 1-second type-ahead, which a loaded machine can break.)
    picker = page.locator("#id_lines-0-product")
    picker.select_option(label="DK-FTKB35 · Điều hòa Daikin Inverter 1.5 HP FTKB35")
    expect(picker).to_have_value(str(air_conditioner.pk))
    page.locator("#id_lines-0-quantity").fill("2")
    page.get_by_test_id("save").click()

    # The quote's page: 2 × 12.500.000 ₫ at the reduced 8 % VAT, the total in Vietnamese words.
    expect(page.get_by_test_id("messages")).to_contain_text("Đã lưu.")
    assert page.csp_errors == []  # the line editor's widths are classes: the CSP allows no inline style
    expect(page.get_by_test_id("document-status")).to_have_text("Nháp")
    lines = page.get_by_test_id("document-lines")
    expect(lines.locator("tbody tr")).to_have_count(1)
    expect(lines.locator("tbody tr")).to_contain_text("DK-FTKB35 Điều hòa Daikin Inverter 1.5 HP FTKB35")
    expect(lines.locator("tbody tr")).to_contain_text("2 bộ")
    expect(lines.locator("tbody tr")).to_contain_text("12.500.000 ₫")
    expect(page.get_by_test_id("subtotal")).to_have_text("25.000.000 ₫")
    expect(page.get_by_test_id("vat-total")).to_have_text("2.000.000 ₫")
    expect(page.get_by_test_id("document-total")).to_have_text("27.000.000 ₫")
    expect(page.get_by_test_id("total-in-words")).to_have_text("Hai mươi bảy triệu đồng")
    quote = Quote.objects.get(opportunity=opportunity)
    expect(page.get_by_test_id("document-number")).to_have_text(f"Báo giá {quote}")

    # 2. The PDF the button opens: the customer's name with all its diacritics, and the total.
    pdf_url = page.get_by_test_id("pdf").get_attribute("href")
    response = page.request.get(pdf_url)
    assert response.ok and response.headers["content-type"] == "application/pdf"
    pdf = response.body()
    assert pdf.startswith(b"%PDF-")
    text = "\n".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf)).pages)
    assert "BÁO GIÁ" in text
    assert f"Kính gửi: {name}" in text  # every diacritic, composed as typed
    assert "(DK-FTKB35)" in text.replace("\n", "")  # after the name; the layout may break the code
    assert "25.000.000 ₫" in text and "2.000.000 ₫" in text and "27.000.000 ₫" in text
    assert "Hai mươi bảy triệu đồng" in text.replace("\n", " ")

    # 3. A draft quote is accepted as it is (no need to send it first): an order is created from it.
    page.get_by_test_id("accept").click()
    expect(page.get_by_test_id("messages")).to_contain_text("Báo giá đã được chấp nhận: đã tạo đơn hàng.")
    order = Order.objects.get(quote=quote)
    expect(page).to_have_url(re.compile(rf"/orders/{order.pk}/$"))
    expect(page.get_by_test_id("document-number")).to_have_text(f"Đơn hàng {order}")
    expect(page.get_by_test_id("document-status")).to_have_text("Nháp")
    expect(page.get_by_test_id("document-total")).to_have_text("27.000.000 ₫")

    page.get_by_test_id("confirm").click()
    expect(page.get_by_test_id("messages")).to_contain_text("Đã xác nhận đơn hàng.")
    expect(page.get_by_test_id("document-status")).to_have_text("Đã xác nhận")
    expect(page.get_by_test_id("confirm")).to_have_count(0)
    expect(page.get_by_test_id("delivery-form")).to_be_visible()

    # The contact became a customer, on its page and in the database.
    page.get_by_role("link", name=name).click()
    expect(page.get_by_test_id("contact-name")).to_have_text(name)
    expect(page.locator(".badge.stage-customer")).to_have_text("Khách hàng thực tế")
    assert Contact.objects.get(pk=customer.pk).lifecycle_stage == "customer"

    # The deal was won with the order's total, and lists both documents.
    page.goto(opportunity.get_absolute_url())
    expect(page.get_by_test_id("opportunity-status")).to_have_text("Thắng")
    expect(page.get_by_test_id("opportunity-amount")).to_have_text("27.000.000 ₫")
    expect(documents.locator("li")).to_have_count(2)
    expect(documents).to_contain_text(f"{quote} · Đã chấp nhận · 27.000.000 ₫")
    expect(documents).to_contain_text(f"{order} · Đã xác nhận · 27.000.000 ₫")
    quote.refresh_from_db()
    order.refresh_from_db()
    assert quote.status == QuoteStatus.ACCEPTED and order.status == OrderStatus.CONFIRMED
    assert order.total == Decimal(27_000_000)
    assert Opportunity.objects.get(pk=opportunity.pk).amount == Decimal(27_000_000)

    # 4. Nothing else was refused by the Content-Security-Policy along the way.
    assert page.csp_errors == []
