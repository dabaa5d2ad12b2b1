"""Customers in a real browser: create a contact, be warned of a duplicate, search without accents."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from sencrm.core.tests.test_browser import browser, page, sign_in  # noqa: F401  (shared fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_create_a_contact_then_find_it_without_accents(page, org, make_contact):  # noqa: F811
    make_contact(full_name="Nguyễn Thị Ánh Tuyết", phones=["0912 345 678"])
    sign_in(page, "sales1")
    page.locator("[data-nav='customers:contact_list']").click()
    page.get_by_test_id("new-contact").click()
    page.fill("#id_full_name", "Trần Thị Bích Ngọc")
    page.fill("#id_phones", "+84 912 345 678")
    page.get_by_test_id("save").click()
    # Same phone in another format: the CRM warns and links to the existing contact.
    warning = page.get_by_test_id("duplicate-warning")
    expect(warning).to_contain_text("Nguyễn Thị Ánh Tuyết")
    page.fill("#id_phones", "0987 654 321")
    page.get_by_test_id("save").click()  # "create anyway" after the warning
    expect(page.get_by_test_id("contact-name")).to_have_text("Trần Thị Bích Ngọc")
    expect(page.get_by_test_id("timeline")).to_contain_text("Tạo")

    page.locator("[data-nav='customers:contact_list']").click()
    page.fill("#id_q", "bich ngoc")
    expect(page.get_by_test_id("contact-table")).to_contain_text("Trần Thị Bích Ngọc")
    expect(page.get_by_test_id("contact-table")).not_to_contain_text("Ánh Tuyết")
    expect(page).to_have_url(re.compile(r"q=bich"))


def test_care_agent_looks_up_a_caller(page, org, make_contact):  # noqa: F811
    make_contact(owner="sales2", full_name="Lê Văn Gọi", phones=["0966 123 456"])
    sign_in(page, "care")
    page.locator("[data-nav='customers:caller_id']").click()
    page.get_by_test_id("caller-phone").fill("+84966123456")
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("caller-results")).to_contain_text("Lê Văn Gọi")


def test_find_by_global_search_without_accents_then_log_a_call(page, org, hanoi):  # noqa: F811
    sign_in(page, "sales1")
    page.goto("/contacts/new/")
    page.fill("#id_full_name", "Đặng Thị Ánh Tuyết")
    page.fill("#id_phones", "0912 888 999")
    page.get_by_test_id("save").click()
    expect(page.get_by_test_id("contact-name")).to_have_text("Đặng Thị Ánh Tuyết")

    search = page.locator("nav [name=q]")
    search.fill("dang thi anh tuyet")
    search.press("Enter")
    page.get_by_role("link", name="Đặng Thị Ánh Tuyết").click()

    page.get_by_test_id("call-subject").fill("Khách hỏi lịch lắp máy 12.000 BTU")
    page.get_by_test_id("save-call").click()
    timeline = page.get_by_test_id("timeline")
    expect(timeline.locator(".timeline-item").first).to_contain_text("Ghi nhận cuộc gọi")
    expect(timeline.locator(".timeline-item").first).to_contain_text("Khách hỏi lịch lắp máy 12.000 BTU")


def test_type_an_old_province_pick_a_suggestion_and_save_it_in_its_2025_province(page, org, hanoi):  # noqa: F811
    sign_in(page, "sales1")
    page.goto("/contacts/new/")
    page.fill("#id_full_name", "Võ Thị Thu Trang")
    page.fill("#id_phones", "0905 123 789")
    province = page.get_by_test_id("province-input")
    province.fill("binh duo")  # no diacritics, half a name
    suggestion = page.get_by_test_id("province-suggestion").first
    expect(suggestion).to_contain_text("Bình Dương")
    expect(suggestion).to_contain_text("TP. Hồ Chí Minh")  # what it is saved as
    suggestion.click()
    expect(province).to_have_value("Bình Dương")
    expect(page.locator("[data-province-list]")).to_be_hidden()
    page.get_by_test_id("save").click()
    expect(page.get_by_test_id("contact-name")).to_have_text("Võ Thị Thu Trang")
    expect(page.locator("main")).to_contain_text("TP. Hồ Chí Minh")
    assert not page.csp_errors


def test_a_province_that_cannot_be_placed_is_explained_on_the_form(page, org, hanoi):  # noqa: F811
    sign_in(page, "sales1")
    page.goto("/contacts/new/")
    page.fill("#id_full_name", "Võ Văn Lạ")
    page.get_by_test_id("province-input").fill("Atlantis")
    expect(page.get_by_test_id("no-province-suggestion")).to_be_visible()
    page.keyboard.press("Escape")
    page.get_by_test_id("save").click()
    expect(page.get_by_test_id("error-province")).to_contain_text("Không rõ tỉnh/thành phố")
    expect(page.get_by_test_id("province-input")).to_have_value("Atlantis")


def test_the_account_form_province_works_from_the_keyboard(page, org, hanoi):  # noqa: F811
    sign_in(page, "sales1")
    page.goto("/accounts/new/")
    page.fill("#id_name", "Công ty TNHH Biển Nha Trang")
    province = page.get_by_test_id("province-input")
    province.fill("nha tr")
    expect(page.get_by_test_id("province-suggestion").first).to_contain_text("Khánh Hòa")
    province.press("ArrowDown")
    page.keyboard.press("Enter")  # the focused suggestion
    expect(province).to_have_value("Nha Trang")
    page.get_by_test_id("save").click()
    expect(page.locator("main")).to_contain_text("Khánh Hòa")
