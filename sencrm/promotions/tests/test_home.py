"""The marketing home page shows the promotions running today (not those ended or paused) and the email
campaigns sending, scheduled or just sent."""

from __future__ import annotations

import datetime as dt

import pytest

pytestmark = pytest.mark.django_db


def test_running_promotions_and_email_campaigns_on_the_marketing_home(client_as, promo, today, org):
    from sencrm.marketing.emailing import email_create
    from sencrm.marketing.models import EmailCampaign, EmailCampaignStatus

    promo(code="HE2026", name="Khuyến mãi hè")
    promo(code="CU2025", name="Khuyến mãi cũ", valid_from=today - dt.timedelta(days=40),
          valid_until=today - dt.timedelta(days=20))  # fmt: skip
    promo(code="TAM", name="Tạm dừng", active=False)
    marketer = org["marketing"]
    draft = email_create(actor=marketer, data={"name": "Thư nháp", "subject": "Chào", "body": "<p>Chào</p>"})
    sending = email_create(
        actor=marketer, data={"name": "Thư đang gửi", "subject": "Chào", "body": "<p>x</p>"}
    )
    EmailCampaign.objects.filter(pk=sending.pk).update(
        status=EmailCampaignStatus.SENDING, recipients_total=10, sent=4
    )

    page = client_as("marketing").get("/").content.decode()

    promotions = _section(page, "home-promotions")
    assert "HE2026" in promotions
    assert "CU2025" not in promotions and "TAM" not in promotions
    emails = _section(page, "home-email-campaigns")
    assert "Thư đang gửi" in emails and "4/10 sent" in emails
    assert draft.name not in emails


def _section(page: str, testid: str) -> str:
    start = page.index(f'data-testid="{testid}"')
    return page[start : page.index("</section>", start)]


def test_salespeople_do_not_get_the_marketing_widgets(client_as, promo):
    promo(code="HE2026")
    page = client_as("sales1").get("/").content.decode()
    assert 'data-testid="home-promotions"' not in page
    assert 'data-testid="home-email-campaigns"' not in page
