"""Leads in a real browser: capture with a duplicate warning, follow-up, conversion with a deal."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from sencrm.core.tests.test_browser import browser, page, sign_in  # noqa: F401  (shared fixtures)
from sencrm.sales.models import Lead

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_capture_a_lead_despite_a_duplicate_follow_it_up_and_convert_it(page, org, make_contact, pipelines):  # noqa: F811
    make_contact(full_name="Nguyễn Thị Ánh Tuyết", phones=["0912 345 678"])
    sign_in(page, "sales1")
    page.locator("[data-nav='sales:lead_list']").click()
    page.get_by_test_id("new-lead").click()
    page.fill("#id_full_name", "Trần Văn Bình")
    page.fill("#id_phones", "+84 912 345 678")  # the contact's number, written another way
    page.fill("#id_company", "Nhà hàng Sen Hồ Tây")
    page.fill("#id_interest", "3 máy điều hòa âm trần")
    page.get_by_test_id("save").click()

    warning = page.get_by_test_id("duplicate-warning")
    expect(warning).to_contain_text("Nguyễn Thị Ánh Tuyết")
    expect(warning.get_by_role("button", name=re.compile("người liên hệ", re.IGNORECASE))).to_be_visible()
    warning.get_by_test_id("create-anyway").click()
    expect(page.get_by_test_id("lead-name")).to_have_text("Trần Văn Bình")
    lead = Lead.objects.get()

    # The next action, edited in place (htmx brings the form into the card).
    page.get_by_test_id("edit-follow-up").click()
    form = page.get_by_test_id("follow-up-form")
    expect(form).to_be_visible()
    when = timezone.localtime() + dt.timedelta(days=1)
    form.get_by_test_id("next-action-input").fill("Gọi lại báo giá lúc 15:00")
    form.locator("[name=next_action_at]").fill(when.strftime("%Y-%m-%dT15:00"))
    form.get_by_test_id("save-follow-up").click()
    expect(page.get_by_test_id("next-action")).to_have_text("Gọi lại báo giá lúc 15:00")
    lead.refresh_from_db()
    assert lead.next_action_at is not None and timezone.localtime(lead.next_action_at).hour == 15

    # Convert, with an opportunity: the contact's page shows the lead's journey.
    page.get_by_test_id("convert").click()
    page.locator("[name=create_opportunity]").check()
    page.fill("[name=amount]", "150.000.000")
    page.get_by_test_id("convert-submit").click()
    expect(page.get_by_test_id("contact-name")).to_have_text("Trần Văn Bình")
    timeline = page.get_by_test_id("timeline")
    expect(timeline.locator("[data-event-type='lead.created']")).to_have_count(1)
    expect(timeline.locator("[data-event-type='lead.converted']")).to_have_count(1)
    lead.refresh_from_db()
    assert lead.is_converted and lead.converted_opportunity.amount == 150_000_000
    assert lead.converted_account.name == "Nhà hàng Sen Hồ Tây"
    assert page.csp_errors == []


def test_a_seller_recognises_a_calling_lead_and_finds_a_deal_without_accents(
    page,  # noqa: F811
    org,
    make_lead,
    make_opportunity,
):
    make_lead(owner="sales1", full_name="Phạm Minh Khang", phones=["0903 111 222"], company="Sen Việt")
    make_opportunity(owner="sales1", name="Điều hòa cho Văn phòng Đông Á")
    sign_in(page, "sales1")
    page.locator("[data-nav='customers:caller_id']").click()
    page.get_by_test_id("caller-phone").fill("(090) 311-1222")
    page.keyboard.press("Enter")
    hit = page.get_by_test_id("caller-other")
    expect(hit).to_contain_text("Phạm Minh Khang")
    expect(hit).to_contain_text("Sen Việt")
    hit.click()
    expect(page.get_by_test_id("lead-name")).to_have_text("Phạm Minh Khang")

    search = page.locator("nav [name=q]")
    search.fill("van phong dong a")
    search.press("Enter")
    page.get_by_role("link", name="Điều hòa cho Văn phòng Đông Á").click()
    expect(page).to_have_url(re.compile(r"/opportunities/\d+/"))
    assert page.csp_errors == []
