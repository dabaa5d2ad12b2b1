"""An email campaign in a real browser (Playwright driving Debian's Chromium) under the strict CSP: marketing
builds a segment watching the live count, writes an email to it with a merge field, sees the preview and
sends a test, which a real SMTP server (aiosmtpd, in this process like the live server) receives merged."""

# The shared fixtures (browser, page, people) are imported: arguments naming them redefine nothing.
# ruff: noqa: F811

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from sencrm.core.tests.test_browser import browser, page, sign_in  # noqa: F401  (shared fixtures)
from sencrm.customers.models import Province
from sencrm.marketing.models import EmailCampaign, Segment
from sencrm.marketing.tests.email_helpers import html_of
from sencrm.marketing.tests.test_email_campaigns import people  # noqa: F401  (shared fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_marketing_writes_an_email_to_a_new_segment_and_sends_a_test(
    page,
    live_server,
    org,
    people,
    make_contact,
    smtp,
):
    # Four people in Hà Nội (two may be emailed), and one in TP. Hồ Chí Minh whom the segment leaves out.
    make_contact(full_name="Lê Văn Cường", phones=("0912 000 009",), emails=("hcm@khach.vn",),
                 province=Province.objects.get(code="ho-chi-minh"))  # fmt: skip
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    sign_in(page, "marketing")
    page.goto("/segments/new/")
    count = page.get_by_test_id("segment-count")
    expect(count).to_have_attribute("data-count", "5")
    page.get_by_test_id("segment-name").fill("Khách miền Bắc")
    page.get_by_test_id("segment-add-rule").click()
    rule = page.get_by_test_id("segment-rule")
    rule.get_by_test_id("segment-field").select_option("region")
    rule.get_by_test_id("segment-value").select_option("north")
    expect(count).to_have_attribute("data-count", "4")
    page.get_by_test_id("segment-save").click()
    expect(page).to_have_url(re.compile(r"/segments/\d+/$"))
    segment = Segment.objects.get()

    page.locator("[data-nav='marketing:email_list']").click()
    page.get_by_test_id("new-email").click()
    expect(page).to_have_url(re.compile(r"/emails/new/$"))
    page.fill("#id_name", "Bảo dưỡng mùa hè")
    page.select_option("#id_segment", str(segment.pk))
    page.fill("#id_subject", "{{ contact.first_name }} ơi, ưu đãi hè")
    page.fill("#id_body", "<p>Kính gửi {{ contact.name }},</p><p>Ưu đãi vệ sinh điều hòa tháng 6.</p>")
    page.get_by_test_id("save").click()
    expect(page).to_have_url(re.compile(r"/emails/\d+/$"))
    expect(page.get_by_test_id("email-title")).to_have_text("Bảo dưỡng mùa hè")
    expect(page.get_by_test_id("email-reach")).to_contain_text("2")  # An and Bình: consented, with an address
    preview = page.get_by_test_id("email-preview")
    expect(preview).to_be_visible()
    expect(page.frame_locator("[data-testid=email-preview]").locator("body")).to_contain_text(
        "Kính gửi Nguyễn Văn An"
    )

    test_form = page.get_by_test_id("email-test-form")
    test_form.locator("input[name=to]").fill("me@senco.vn")
    page.get_by_test_id("email-test-send").click()
    expect(page.get_by_test_id("messages")).to_contain_text("me@senco.vn")

    assert [m["To"] for m in smtp.messages] == ["me@senco.vn"]
    message = smtp.messages[0]
    assert message["Subject"] == "An ơi, ưu đãi hè"
    assert "Kính gửi Nguyễn Văn An" in html_of(message)
    email = EmailCampaign.objects.get()
    assert email.segment_id == segment.pk and email.status == "draft" and email.sent == 0
    assert page.csp_errors == []
    assert errors == []
