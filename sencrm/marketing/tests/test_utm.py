"""UTM codes → campaign: through the public web form, the API, and conversion carrying the campaigns."""

from __future__ import annotations

import time

import pytest
from django.test import Client
from django.urls import reverse

from sencrm.customers.models import Contact
from sencrm.marketing.selectors import campaign_for_utm
from sencrm.sales.models import Lead
from sencrm.sales.services import lead_convert
from sencrm.sales.services import settings as settings_services
from sencrm.sales.views.public import make_token


@pytest.fixture
def fb(make_campaign):
    return make_campaign(utm_source="facebook", utm_medium="cpc", utm_campaign="fb-t8")


@pytest.fixture
def zalo(make_campaign):
    return make_campaign(
        name="Zalo OA T9", channel="zalo", utm_source="zalo", utm_medium="oa", utm_campaign="zl-t9"
    )


def test_campaign_for_utm_prefers_the_exact_triple_then_the_campaign_alone(make_campaign, fb):
    other = make_campaign(name="Google T8", utm_source="google", utm_medium="cpc", utm_campaign="fb-t8")
    assert campaign_for_utm({"utm_source": "FACEBOOK", "utm_medium": "cpc", "utm_campaign": " FB-T8 "}) == fb
    assert campaign_for_utm({"utm_source": "google", "utm_medium": "cpc", "utm_campaign": "fb-t8"}) == other
    assert campaign_for_utm({"utm_source": "tiktok", "utm_campaign": "fb-t8"}) in (fb, other)
    assert campaign_for_utm({"utm_campaign": "nothing"}) is None and campaign_for_utm({}) is None


def submit(webform, **utm):
    data = {"ts": make_token(webform, at=time.time() - 10), "full_name": "Trần Thị Bích Ngọc",
            "phone": "0912 345 678", "consent": "on", "website": ""}  # fmt: skip
    url = (
        reverse("sales:webform_public", args=[webform.key])
        + "?"
        + "&".join(f"{k}={v}" for k, v in utm.items())
    )
    return Client(REMOTE_ADDR="203.0.113.9").post(url, data)


def test_web_form_leads_get_the_campaign_and_a_returning_person_updates_latest(
    org, pipelines, fb, zalo, make_contact
):
    webform = settings_services.webform_save(
        actor=org["admin"], name="Trang chủ", title="Đăng ký", fields=["phone"], required_fields=["phone"],
        thank_you="Cảm ơn", consent_text="Tôi đồng ý.", owner=org["sales1"],
    )  # fmt: skip
    contact = make_contact(phones=("+84 912 345 678",))
    assert submit(webform, utm_source="facebook", utm_medium="cpc", utm_campaign="FB-T8").status_code == 303
    first = Lead.objects.get()
    assert (first.first_campaign, first.latest_campaign) == (fb, fb)
    contact.refresh_from_db()
    assert contact.latest_campaign == fb and contact.first_campaign == fb
    # The same person comes back a month later through the Zalo campaign.
    assert submit(webform, utm_source="zalo", utm_medium="oa", utm_campaign="zl-t9").status_code == 303
    second = Lead.objects.exclude(pk=first.pk).get()
    first.refresh_from_db()
    contact.refresh_from_db()
    assert second.first_campaign == zalo
    assert (first.first_campaign, first.latest_campaign) == (fb, zalo)
    assert (contact.first_campaign, contact.latest_campaign) == (fb, zalo)
    lead_page = Client()
    lead_page.force_login(org["sales1"])
    assert "Zalo OA T9" in lead_page.get(first.get_absolute_url()).content.decode()


def test_api_lead_takes_the_campaign_given_or_the_one_of_its_utm(org, client_as, fb, zalo):
    client = client_as("sales1")
    by_utm = client.post("/api/v1/leads/", {"full_name": "Lê Văn Hùng", "utm": {"utm_campaign": "zl-t9"}},
                         content_type="application/json")  # fmt: skip
    assert by_utm.status_code == 201, by_utm.content
    assert (by_utm.json()["first_campaign"], by_utm.json()["latest_campaign"]) == (zalo.pk, zalo.pk)
    data = {"full_name": "Lê Thị Hoa", "first_campaign": fb.pk, "utm": {"utm_campaign": "zl-t9"}}
    given = client.post("/api/v1/leads/", data, content_type="application/json")
    assert (given.json()["first_campaign"], given.json()["latest_campaign"]) == (fb.pk, fb.pk)
    for bad in [
        {"utm": {"evil": "x"}},
        {"utm": "fb-t8"},
        {"first_campaign": "abc"},
        {"utm": {"utm_campaign": "x" * 201}},
    ]:
        assert (
            client.post(
                "/api/v1/leads/", {"full_name": "X", **bad}, content_type="application/json"
            ).status_code
            == 400
        )
    lead_id = by_utm.json()["id"]
    later = client.patch(
        f"/api/v1/leads/{lead_id}/", {"utm": {"utm_campaign": "fb-t8"}}, content_type="application/json"
    )
    assert later.status_code == 200 and later.json()["utm"] == {
        "utm_campaign": "zl-t9"
    }  # set at creation only


def test_a_campaign_the_user_cannot_see_answers_like_a_missing_one(org, client_as, fb):
    client = client_as("manager")  # a team manager: marketing's campaigns are outside their teams
    answers = []
    for pk in (fb.pk, 999_999):
        response = client.post(
            "/api/v1/leads/", {"full_name": "X", "first_campaign": pk}, content_type="application/json"
        )
        assert response.status_code == 400
        answers.append(str(response.json()["errors"]["first_campaign"]).replace(str(pk), "N"))
    assert answers[0] == answers[1]
    # Found by the rule from its UTM codes, the campaign is set all the same.
    made = client.post(
        "/api/v1/leads/",
        {"full_name": "Y", "utm": {"utm_campaign": "fb-t8"}},
        content_type="application/json",
    )
    assert made.status_code == 201 and Lead.objects.get(pk=made.json()["id"]).first_campaign == fb


def test_conversion_carries_campaigns_and_first_touch(org, pipelines, fb, zalo):
    from sencrm.sales.services import lead_create

    lead = lead_create(
        actor=org["sales1"],
        data={
            "full_name": "Phạm Minh Khang",
            "company": "Công ty Sen Việt",
            "first_campaign": fb,
            "latest_campaign": zalo,
        },
        phones=["0903 111 222"],
    )
    done = lead_convert(lead, actor=org["sales1"], create_opportunity=True, opportunity_amount=50_000_000)
    for record in (done.contact, done.account, done.opportunity):
        record.refresh_from_db()
        assert (record.first_campaign, record.latest_campaign) == (fb, zalo)
    assert done.account.first_touch_at == lead.created_at
    contact_api = Client()
    contact_api.force_login(org["sales1"])
    body = contact_api.get(f"/api/v1/contacts/{done.contact.pk}/").json()
    assert (body["first_campaign"], body["latest_campaign"]) == (fb.pk, zalo.pk)
    assert Contact.objects.filter(first_campaign=fb).count() == 1
