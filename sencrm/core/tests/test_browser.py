"""The shell in a real browser (Playwright driving Debian's Chromium): sign-in, navigation by role,
language switch, a forbidden record, the phone layout, htmx under the Content-Security-Policy."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect, sync_playwright

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]

# What each demo role sees in the main navigation (the modules built so far).
CUSTOMERS = ["customers:contact_list", "customers:account_list", "customers:caller_id"]
SALES = ["sales:lead_list", "sales:opportunity_board"]
COMMERCE = ["commerce:order_list", "catalog:product_list"]  # quotes, orders, contracts; products
# Invoices, receipts, (reconciliation: who may import statements), receivables — before the products.
BILLING_READ = ["billing:invoice_list", "billing:payment_list", "billing:receivables"]
BILLING_ALL = [
    "billing:invoice_list",
    "billing:payment_list",
    "billing:statement_list",
    "billing:receivables",
]
# Fanpage/Zalo conversations (leads module), campaigns (marketing), marketing results (reports),
# personal-data requests (privacy) — after the products.
CONV = "marketing:conversation_list"
# Campaigns, segments, email campaigns, care occasions and promotions (marketing module).
CAMPAIGNS = [
    "marketing:campaign_list",
    "marketing:segment_list",
    "marketing:email_list",
    "marketing:occasion_list",
    "promotions:promotion_list",
]
RESULTS = "marketing:attribution"
REQUESTS = "privacy:request_list"
SUPPORT = ["support:ticket_list", "support:carecall_list", "support:call_list", "support:review_list"]
# Dispatchers (field service create) see the dispatch board; technicians their work orders, assets, plans.
FIELD = [
    "fieldservice:workorder_list",
    "fieldservice:dispatch",
    "fieldservice:asset_list",
    "fieldservice:plan_list",
]
# Dashboards and reports (reports module), after field service.
REPORTS = ["reports:dashboard", "reports:index"]
FIELD_TECH = ["fieldservice:workorder_list", "fieldservice:asset_list", "fieldservice:plan_list"]
NAV = {
    "admin": [
        "home",
        "activities:my_day",
        *CUSTOMERS,
        *SALES,
        "commerce:order_list",
        *BILLING_ALL,
        "catalog:product_list",
        CONV,
        *CAMPAIGNS,
        RESULTS,
        REQUESTS,
        *SUPPORT,
        *FIELD,
        *REPORTS,
        "events:trash",
        "events:log",
        "users:user_list",
    ],
    "manager": [
        "home",
        "activities:my_day",
        *CUSTOMERS,
        *SALES,
        "commerce:order_list",
        *BILLING_READ,
        "catalog:product_list",
        CONV,
        *CAMPAIGNS,
        RESULTS,
        *SUPPORT,
        *FIELD,
        *REPORTS,
        "events:trash",
    ],
    "sales1": [
        "home",
        "activities:my_day",
        *CUSTOMERS,
        *SALES,
        "commerce:order_list",
        *BILLING_READ,
        "catalog:product_list",
        CONV,
        *CAMPAIGNS,
        "events:trash",
    ],
    "sales2": [
        "home",
        "activities:my_day",
        *CUSTOMERS,
        *SALES,
        "commerce:order_list",
        *BILLING_READ,
        "catalog:product_list",
        CONV,
        *CAMPAIGNS,
        "events:trash",
    ],
    "accountant": [
        "home",
        "activities:my_day",
        *CUSTOMERS,
        "commerce:order_list",
        *BILLING_ALL,
        "catalog:product_list",
        RESULTS,
        *REPORTS,
        "events:trash",
    ],
    "marketing": [
        "home",
        "activities:my_day",
        *CUSTOMERS,
        "sales:lead_list",
        "catalog:product_list",
        CONV,
        *CAMPAIGNS,
        RESULTS,
        REQUESTS,
        *REPORTS,
        "events:trash",
    ],
    # Care reads orders to answer customers, registers personal-data requests, and works tickets, care
    # calls, the call log and ratings.
    # and dispatches field work.
    "care": ["home", "activities:my_day", *CUSTOMERS, *COMMERCE, REQUESTS, *SUPPORT, *FIELD],
    "tech": ["home", "activities:my_day", *CUSTOMERS, "catalog:product_list", *SUPPORT, *FIELD_TECH],
    "board": ["home", RESULTS, *REPORTS],
}


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):  # noqa: F811
    context = browser.new_context(base_url=live_server.url, locale="vi-VN")
    page = context.new_page()
    page.csp_errors = []
    page.on(
        "console", lambda m: page.csp_errors.append(m.text) if "Content Security Policy" in m.text else None
    )
    yield page
    context.close()


def sign_in(page: Page, username: str, password: str = "demo") -> None:
    page.goto("/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.get_by_test_id("sign-in").click()
    expect(page.get_by_test_id("greeting")).to_be_visible()


def sign_out(page: Page) -> None:
    page.get_by_test_id("user-menu").click()
    page.get_by_test_id("logout").click()
    expect(page).to_have_url(re.compile(r"/login/"))


@pytest.mark.parametrize("username", list(NAV))
def test_each_role_signs_in_and_sees_its_navigation(page, org, username):
    sign_in(page, username)
    entries = page.locator("[data-testid=main-nav] a").evaluate_all("els => els.map(e => e.dataset.nav)")
    assert entries == NAV[username]
    expect(page.get_by_test_id("greeting")).to_contain_text("Xin chào")
    sign_out(page)
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login/\?next=/"))
    assert page.csp_errors == []


def test_language_switch(page, org):
    sign_in(page, "sales1")
    expect(page.get_by_test_id("greeting")).to_have_text("Xin chào, Nguyễn Văn Nam")
    page.get_by_test_id("user-menu").click()
    page.get_by_test_id("lang-en").click()
    expect(page.get_by_test_id("greeting")).to_have_text("Hello, Nguyễn Văn Nam")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.get_by_test_id("user-menu").click()
    page.get_by_test_id("lang-vi").click()
    expect(page.get_by_test_id("greeting")).to_have_text("Xin chào, Nguyễn Văn Nam")


def test_language_switch_on_the_login_page(page, org):
    page.goto("/login/")
    page.get_by_test_id("lang-en").click()
    expect(page.get_by_test_id("sign-in")).to_have_text("Sign in")
    page.get_by_test_id("lang-vi").click()
    expect(page.get_by_test_id("sign-in")).to_have_text("Đăng nhập")


def test_wrong_password_message(page, org):
    page.goto("/login/")
    page.fill("#id_username", "sales1")
    page.fill("#id_password", "not-the-password")
    page.get_by_test_id("sign-in").click()
    expect(page.get_by_test_id("login-error")).to_contain_text("Sai tên đăng nhập hoặc mật khẩu")


def test_sales_user_opening_another_teams_record_gets_404(page, org, make_gadget):
    mine = make_gadget("sales1", name="Điều hòa Daikin — nhà anh Hùng", amount=15000000)
    theirs = make_gadget("sales2", name="Điều hòa Panasonic — chị Lan")
    sign_in(page, "sales1")
    response = page.goto(f"/test/gadgets/{theirs.pk}/")
    assert response.status == 404
    expect(page.get_by_test_id("error-page")).to_contain_text("Không tìm thấy trang")
    expect(page.locator("body")).not_to_contain_text("chị Lan")
    # Their own record opens, with the amount in VND and the audit trail loaded by htmx.
    response = page.goto(f"/test/gadgets/{mine.pk}/")
    assert response.status == 200
    expect(page.get_by_test_id("gadget-amount")).to_have_text("15.000.000 ₫")
    expect(page.get_by_test_id("audit-trail")).to_be_visible()
    assert page.csp_errors == []


def test_phone_layout_opens_the_menu(browser, live_server, org):
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    )
    page = context.new_page()
    sign_in(page, "admin")
    nav = page.get_by_test_id("main-nav")
    expect(nav).not_to_be_in_viewport()
    page.locator(".navbar-toggler").click()
    expect(nav.locator("[data-nav='users:user_list']")).to_be_visible()
    context.close()


def test_admin_creates_a_user_who_can_then_sign_in(page, org):
    sign_in(page, "admin")
    page.locator("[data-nav='users:user_list']").click()
    page.get_by_role("link", name="Người dùng mới").click()
    page.fill("#id_username", "sales3")
    page.fill("#id_full_name", "Phan Thị Lan")
    page.select_option("#id_role", label="Kinh doanh")
    page.get_by_label("Kinh doanh TP.HCM").check()
    page.fill("#id_password", "demo")
    page.get_by_role("button", name="Lưu").click()
    # A real user gets Django's password validation.
    expect(page.locator(".invalid-feedback").first).to_be_visible()
    page.fill("#id_password", "Sen-CRM-2026-an-toan")
    page.get_by_role("button", name="Lưu").click()
    expect(page.get_by_test_id("messages")).to_contain_text("Phan Thị Lan")
    sign_out(page)
    sign_in(page, "sales3", "Sen-CRM-2026-an-toan")
    expect(page.get_by_test_id("greeting")).to_contain_text("Phan Thị Lan")


def test_htmx_requests_carry_the_csrf_token(page, org):
    sign_in(page, "sales1")
    with_htmx = page.evaluate(
        """() => new Promise(resolve => {
            const done = e => resolve(e.detail.xhr.status);
            document.body.addEventListener('htmx:afterRequest', done, {once: true});
            htmx.ajax('POST', '/notifications/read/', {target: 'body', swap: 'none'});
        })"""
    )
    assert with_htmx == 200  # the POST went through (and followed its redirect)
    without_token = page.evaluate(
        "() => fetch('/notifications/read/', {method: 'POST', redirect: 'manual'}).then(r => r.status)"
    )
    assert without_token == 403
