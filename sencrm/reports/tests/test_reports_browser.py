"""The board in a real browser (Playwright driving Debian's Chromium): its home page is the dashboard with
this month's revenue against the target and the twelve-month chart drawn; it opens the revenue report by
employee, clicks one employee's figure and finds the invoices behind it, adding up to the figure."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.utils import timezone, translation
from playwright.sync_api import expect

from sencrm.commerce.tests.conftest import catalogue  # noqa: F401  (shared fixture)
from sencrm.core.money import format_money
from sencrm.core.tests.test_browser import browser, page, sign_in  # noqa: F401  (shared fixtures)
from sencrm.reports.models import RevenueTarget

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def invoiced(org, catalogue, make_contact):  # noqa: F811
    from sencrm.billing.services import invoice_create, invoice_issue

    today = timezone.localdate()
    for owner, name, amount in (("sales1", "Chị Lan", 6_000_000), ("sales2", "Anh Tùng", 4_000_000)):
        customer = make_contact(owner=owner, full_name=name, phones=())
        made = invoice_create(
            actor=org["accountant"],
            data={"contact": customer, "issue_date": today},
            lines=[{"product": catalogue["training"], "quantity": 1, "unit_price": amount}],
        )
        invoice_issue(made, actor=org["accountant"])
    RevenueTarget.objects.create(month=today.replace(day=1), amount=Decimal(20_000_000))
    return today


def test_the_board_reads_its_dashboard_and_drills_into_a_figure(page, org, invoiced):  # noqa: F811
    sign_in(page, "board")
    language = page.locator("html").get_attribute("lang") or "vi"
    with translation.override(language):
        total, sales2 = format_money(10_000_000), format_money(4_000_000)
    revenue = page.get_by_test_id("widget-revenue_month")
    expect(revenue.get_by_test_id("widget-value")).to_have_text(total)
    expect(revenue).to_contain_text("50.0 %" if language == "en" else "50,0 %")
    chart = page.get_by_test_id("widget-revenue_chart").locator("canvas")
    expect(chart).to_have_attribute("data-drawn", "1")

    month = f"{invoiced:%Y-%m-%d}"
    page.goto(f"/reports/revenue/?period=month&date={month}&group_by=employee")
    expect(page.get_by_test_id("report-chart")).to_have_attribute("data-drawn", "1")
    expect(page.get_by_test_id("report-totals")).to_contain_text(total)
    row = page.locator(f"[data-testid=report-table] tr[data-key='{org['sales2'].pk}']")
    row.get_by_test_id("drill-link").first.click()
    expect(page).to_have_url(re.compile(r"/reports/revenue/drill/\?.*column=revenue"))
    table = page.get_by_test_id("drill-table")
    expect(table).to_contain_text("Anh Tùng")
    expect(table).not_to_contain_text("Chị Lan")
    expect(page.get_by_test_id("drill-summary")).to_contain_text(sales2)
    assert not page.csp_errors
