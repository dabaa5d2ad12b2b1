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
