"""Lists and forms in a real browser: the phone layout of the contact list, phones on one line at
1366 px, the bulk bar that appears with a ticked row and confirms the count, the account search box."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from sencrm.core.tests.test_browser import browser, page, sign_in  # noqa: F401  (shared fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _contacts(make_contact, org=None):
    account = None
    if org is not None:  # long neighbours squeeze the phone column, as real data does
        from sencrm.customers import services

        account = services.account_create(
            actor=org["sales1"],
            data={
                "name": "Công ty TNHH Thương mại và Dịch vụ Kỹ thuật Điện lạnh Sen Hồng Việt Nam"
                " Chi nhánh Hà Nội"
            },
        )
    make_contact(
        full_name="Nguyễn Văn Bình Minh Khôi Nguyên",
        phones=["+84 912 345 678"],
        title="Giám đốc kinh doanh khu vực miền Bắc và Bắc Trung Bộ",
        account=account,
    )
    make_contact(full_name="Trần Thị Hoa", phones=["0987 654 321"], account=account)


def test_phone_layout_shows_name_tel_link_and_stage_with_filters_behind_one_button(
    browser,  # noqa: F811
    live_server,
    org,
    make_contact,
):
    _contacts(make_contact)
    context = browser.new_context(
        base_url=live_server.url,
        locale="vi-VN",
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,
    )
    page = context.new_page()  # noqa: F811
    sign_in(page, "sales1")
    page.goto("/contacts/")
    row = page.get_by_test_id("contact-row").filter(has_text="Nguyễn Văn Bình Minh")
    expect(row.get_by_role("link", name="Nguyễn Văn Bình Minh Khôi Nguyên")).to_be_in_viewport()
    tel = row.get_by_test_id("row-phone")
    expect(tel).to_be_in_viewport()
    expect(tel).to_have_attribute("href", "tel:+84912345678")
    expect(row.locator(".badge.stage-lead")).to_be_in_viewport()
    # Ten filters do not stand before the first row: one "Bộ lọc" button does.
    panel = page.get_by_test_id("filter-panel")
    expect(panel).to_be_hidden()
    toggle = page.get_by_test_id("filters-toggle")
    expect(toggle).to_contain_text("Bộ lọc")
    toggle.click()
    expect(panel).to_be_visible()
    expect(page.get_by_test_id("filters-active")).to_be_hidden()
    page.select_option("#id_lifecycle_stage", "lead")
    expect(page).to_have_url(re.compile(r"lifecycle_stage=lead"))
    expect(page.get_by_test_id("filters-active")).to_have_text("1")
    page.reload()
    expect(page.get_by_test_id("filters-active")).to_have_text("1")
    expect(panel).to_be_hidden()
    context.close()


def test_desktop_phone_stays_on_one_line_and_bulk_bar_confirms_the_count(
    browser,  # noqa: F811
    live_server,
    org,
    make_contact,
):
    _contacts(make_contact)
    context = browser.new_context(
        base_url=live_server.url, locale="vi-VN", viewport={"width": 1366, "height": 900}
    )
    page = context.new_page()  # noqa: F811
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if "Content Security Policy" in m.text else None)
    sign_in(page, "sales1")
    page.goto("/contacts/")
    for phone in page.get_by_test_id("row-phone").all():
        assert phone.evaluate("el => el.getClientRects().length") == 1
    bar = page.get_by_test_id("bulk-bar")
    expect(bar).to_be_hidden()
    rows = page.locator("[data-bulk-row]")
    rows.first.check()
    expect(bar).to_be_visible()
    expect(bar.locator("[data-bulk-count]")).to_have_text("1")
    rows.nth(1).check()
    expect(bar.locator("[data-bulk-count]")).to_have_text("2")
    # Only the chosen action's value is offered.
    expect(page.get_by_test_id("bulk-value_stage")).to_be_hidden()
    page.get_by_test_id("bulk-action").select_option("set_stage")
    expect(page.get_by_test_id("bulk-value_stage")).to_be_visible()
    expect(page.get_by_test_id("bulk-value_owner")).to_be_hidden()
    page.get_by_test_id("bulk-value_stage").select_option("customer")
    page.get_by_test_id("bulk-apply").click()
    expect(page.get_by_test_id("bulk-confirm-count")).to_have_text("Thay đổi 2 bản ghi?")
    page.get_by_test_id("bulk-confirm-yes").click()
    expect(page.get_by_test_id("messages")).to_contain_text("2")
    expect(page.locator(".badge.stage-customer")).to_have_count(2)
    expect(bar).to_be_hidden()  # back on the list: nothing ticked, no bar
    assert errors == []
    context.close()


def test_account_is_found_by_typing_without_accents(page, org, make_contact):  # noqa: F811
    from sencrm.customers import services

    services.account_create(actor=org["sales1"], data={"name": "Công ty Ánh Dương", "tax_code": "0101234567"})
    services.account_create(actor=org["sales2"], data={"name": "Công ty Ánh Sáng"})
    sign_in(page, "sales1")
    page.goto("/contacts/new/")
    expect(page.get_by_test_id("form-section-consent")).to_contain_text("Đồng ý nhận thông tin")
    page.fill("#id_full_name", "Lê Văn Tâm")
    page.get_by_test_id("autocomplete-account").fill("cong ty anh")
    suggestion = page.get_by_test_id("suggestion")
    expect(suggestion).to_have_count(1)  # another team's "Ánh Sáng" is not offered
    suggestion.click()
    expect(page.get_by_test_id("autocomplete-account")).to_have_value("Công ty Ánh Dương")
    page.get_by_test_id("save").click()
    expect(page.get_by_test_id("contact-name")).to_have_text("Lê Văn Tâm")
    expect(page.get_by_role("link", name="Công ty Ánh Dương")).to_be_visible()
    assert page.csp_errors == []
