"""The whole sales journey in a real browser, as issue 4 tells it: a visitor submits the public web
form, a seller finds the lead, converts it with an opportunity, drags the opportunity from the first
stage to "won", and sees the contact become a customer on its journey."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from sencrm.core.tests.test_browser import browser, page, sign_in  # noqa: F401  (shared fixtures)
from sencrm.customers.models import Contact
from sencrm.sales.models import Lead, Opportunity
from sencrm.sales.services import settings as settings_services
from sencrm.sales.tests.test_board_browser import drag

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def webform(org, pipelines, settings):
    from sencrm.customers.models import SourceChannel

    settings.WEBFORM_MIN_SECONDS = 0  # a person needs a few seconds to fill the form; the robot does not
    return settings_services.webform_save(
        actor=org["admin"],
        name="Trang chủ",
        title="Đăng ký tư vấn điều hòa",
        fields=["phone", "email", "company", "interest"],
        required_fields=["phone"],
        thank_you="Cảm ơn anh/chị! Chúng tôi sẽ gọi lại ngay.",
        owner=org["sales1"],
        source=SourceChannel.objects.get(code="website"),
    )


def test_from_web_form_to_won_customer(page, org, webform, retail):  # noqa: F811
    first, *_middle, won, _lost = list(retail.stages.order_by("position"))
    assert won.is_won

    # 1. A visitor, coming from a Facebook campaign, asks for advice on the public form.
    page.goto(f"/f/{webform.key}/?utm_source=facebook&utm_campaign=thang8")
    page.locator("#id_full_name").fill("Trần Thị Bích Ngọc")
    page.locator("#id_phone").fill("0912 345 678")
    page.locator("#id_email").fill("ngoc.tran@example.vn")
    page.locator("#id_company").fill("Công ty TNHH Ánh Dương")
    page.locator("#id_interest").fill("2 máy điều hòa Daikin 12.000 BTU")
    page.locator("#id_consent").check()
    page.get_by_test_id("webform-submit").click()
    expect(page.get_by_test_id("webform-thanks")).to_contain_text("Cảm ơn anh/chị!")

    # 2. The seller finds the lead without typing accents, and converts it with an opportunity.
    sign_in(page, "sales1")
    page.locator("[data-nav='sales:lead_list']").click()
    page.fill("#id_q", "bich ngoc")
    table = page.get_by_test_id("lead-table")
    expect(table).to_contain_text("Trần Thị Bích Ngọc")
    table.get_by_role("link", name="Trần Thị Bích Ngọc").click()
    expect(page.get_by_test_id("lead-name")).to_have_text("Trần Thị Bích Ngọc")
    page.get_by_test_id("convert").click()
    page.locator("[name=create_opportunity]").check()
    page.fill("[name=amount]", "50.000.000")
    page.get_by_test_id("convert-submit").click()
    expect(page.get_by_test_id("contact-name")).to_have_text("Trần Thị Bích Ngọc")
    lead = Lead.objects.get()
    contact = Contact.objects.get()
    opp = Opportunity.objects.get()
    assert lead.converted_contact == contact and opp.contact == contact and opp.stage == first
    assert contact.source.code == "website" and contact.first_touch_at == lead.first_touch_at
    assert lead.utm == {"utm_source": "facebook", "utm_campaign": "thang8"}

    # 3. On the board, the opportunity goes from the first stage straight to "won".
    page.locator("[data-nav='sales:opportunity_board']").click()
    expect(page.locator(f"#cards-{first.pk} [data-testid=card-{opp.pk}]")).to_have_count(1)
    drag(page, f"[data-testid=card-{opp.pk}]", f"#cards-{won.pk}")
    expect(page.locator(f"#cards-{won.pk} [data-testid=card-{opp.pk}]")).to_have_count(1)
    expect(page.locator(f"#cards-{won.pk} [data-testid=card-{opp.pk}]")).to_have_attribute(
        "data-version", re.compile(r"[2-9]")
    )
    opp.refresh_from_db()
    assert opp.status == "won" and opp.stage == won

    # 4. The contact is a customer now, and its journey says why.
    page.goto(contact.get_absolute_url())
    expect(page.locator(".badge.stage-customer")).to_be_visible()
    timeline = page.get_by_test_id("timeline")
    expect(timeline.locator("[data-event-type='opportunity.won']")).to_have_count(1)
    expect(timeline.locator("[data-event-type='lead.converted']")).to_have_count(1)
    expect(timeline.locator("[data-event-type='lead.created']")).to_have_count(1)
    contact.refresh_from_db()
    assert contact.lifecycle_stage == "customer"
    assert page.csp_errors == []
