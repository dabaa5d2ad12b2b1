"""Dates typed as dd/mm/yyyy in a Chromium whose locale is en-US (its own date picker would show
mm/dd/yyyy): the input is text, the slashes come by themselves, and 05/11/2026 is 5 November."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect, sync_playwright

from sencrm.core.tests.test_browser import ARGS, CHROMIUM, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="module")
def us_browser():
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[*ARGS, "--lang=en-US"], headless=True)
        yield browser
        browser.close()


@pytest.fixture
def us_page(us_browser, live_server):
    context = us_browser.new_context(base_url=live_server.url, locale="en-US", timezone_id="America/New_York")
    page = context.new_page()
    page.csp_errors = []
    page.on(
        "console", lambda m: page.csp_errors.append(m.text) if "Content Security Policy" in m.text else None
    )
    yield page
    context.close()


@pytest.mark.parametrize("language", ["en", "vi"])
def test_a_date_typed_day_first_in_an_en_us_browser_is_saved(us_page, org, make_opportunity, language):
    org["sales1"].language = language
    org["sales1"].save(update_fields=["language"])
    opp = make_opportunity(name="Máy lọc nước cho trường học", amount=30_000_000)
    page = us_page
    sign_in(page, "sales1")
    page.goto(f"/opportunities/{opp.pk}/edit/")
    field = page.locator("#id_expected_close_date")
    expect(field).to_have_attribute("type", "text")
    expect(field).to_have_attribute("placeholder", "dd/mm/yyyy")
    field.fill("")
    field.press_sequentially("05/11/2026")
    expect(field).to_have_value("05/11/2026")
    page.get_by_test_id("save").click()
    expect(page.get_by_test_id("opportunity-name")).to_be_visible()
    expect(page.locator("main, body").first).to_contain_text("05/11/2026")
    opp.refresh_from_db()
    assert opp.expected_close_date == dt.date(2026, 11, 5)

    # Digits alone get their slashes as they are typed (the board's close-date filter).
    page.goto("/opportunities/")
    close_from = page.locator("#id_close_from")
    close_from.press_sequentially("01122026")
    expect(close_from).to_have_value("01/12/2026")
    assert page.csp_errors == []
