"""The attribution report in a real browser (Playwright driving Debian's Chromium): marketing opens the
report, sees the seeds' example in August (lead month) and September (cash month), clicks the September
revenue and finds the 50.000.000 ₫ receipt behind it."""

from __future__ import annotations

import re

import pytest
from django.utils import translation
from playwright.sync_api import expect

from sencrm.billing.models import Payment
from sencrm.core.money import format_money
from sencrm.core.tests.test_browser import browser, page, sign_in  # noqa: F401  (shared fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_marketing_clicks_a_revenue_figure_and_sees_the_receipt_behind_it(page, org, seeds):  # noqa: F811
    sign_in(page, "marketing")
    language = page.locator("html").get_attribute("lang") or "vi"
    with translation.override(language):
        amount = format_money(50_000_000)
    page.goto("/marketing/attribution/?date_from=2026-01-01&date_to=2026-12-31&by=campaign&model=first")
    expect(page.get_by_test_id("attribution-chart")).to_be_visible()
    august = page.locator("[data-testid=attribution-row][data-month='2026-08']")
    september = page.locator("[data-testid=attribution-row][data-month='2026-09']")
    expect(august.get_by_test_id("cell-lead-revenue")).to_have_text(amount)
    expect(september.get_by_test_id("cell-lead-revenue")).to_have_count(0)
    expect(page.get_by_test_id("lag-median-lead")).to_have_text("34")

    september.get_by_test_id("cell-cash-revenue").click()
    expect(page).to_have_url(re.compile(r"/marketing/attribution/detail/\?.*month=2026-09"))
    rows = page.get_by_test_id("drilldown-row")
    expect(rows).to_have_count(1)
    receipt = Payment.objects.get()
    expect(rows.first).to_contain_text(receipt.number)
    expect(rows.first.get_by_test_id("drilldown-customer")).to_have_text("Trần Văn Khải")
    expect(page.get_by_test_id("drilldown-total")).to_have_text(amount)
    assert not page.csp_errors
