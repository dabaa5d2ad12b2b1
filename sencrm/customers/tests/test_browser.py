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
