"""The public web-to-lead form: capture with UTM and consent, spam, rate limit, bad input, framing."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from sencrm.events.models import Event
from sencrm.sales.models import Lead, WebForm, WebFormSubmission
from sencrm.sales.services import settings as settings_services
from sencrm.sales.views.public import make_token

XSS = '"><img src=x onerror=alert(1)>'


@pytest.fixture(autouse=True)
def quick_visitors(settings):
    # The token refuses submissions faster than WEBFORM_MIN_SECONDS; tests send backdated tokens anyway.
    settings.WEBFORM_MIN_SECONDS = 2
    settings.WEBFORM_RATE_LIMIT = 5


@pytest.fixture
def webform(org, pipelines):
    from sencrm.customers.models import SourceChannel

    return settings_services.webform_save(
        actor=org["admin"],
        name="Trang chủ",
        title="Đăng ký tư vấn điều hòa",
        fields=["phone", "email", "company", "province", "interest"],
        required_fields=["phone"],
        thank_you="Cảm ơn anh/chị, chúng tôi sẽ gọi lại trong 30 phút.",
        consent_text="Tôi đồng ý để Điều hòa Sen liên hệ tư vấn.",
        owner=org["sales1"],
        source=SourceChannel.objects.get(code="website"),
        campaign="Website mùa hè",
    )


def url(webform: WebForm, **query: str) -> str:
    base = reverse("sales:webform_public", args=[webform.key])
    return base + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def valid(webform: WebForm, **changes: Any) -> dict[str, Any]:
    data = {
        "ts": make_token(webform, at=time.time() - 10),
        "full_name": "Trần Thị Bích Ngọc",
        "phone": "0912 345 678",
        "email": "ngoc.tran@example.vn",
        "company": "",
        "province": "ha-noi",
        "interest": "Điều hòa 2 chiều 12000 BTU cho phòng ngủ",
        "consent": "on",
        "website": "",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def submit(webform: WebForm, ip: str = "203.0.113.7", query: dict[str, str] | None = None, **changes: Any):
    client = Client(REMOTE_ADDR=ip, enforce_csrf_checks=True)  # no CSRF token: it is not needed here
    return client.post(url(webform, **(query or {})), valid(webform, **changes))


def test_get_renders_the_configured_fields_in_vietnamese(client, webform):
    response = client.get(url(webform))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Đăng ký tư vấn điều hòa" in html and "Tôi đồng ý để Điều hòa Sen liên hệ tư vấn." in html
    for name in (
        "full_name",
        "phone",
        "email",
        "company",
        "province",
        "interest",
        "consent",
        "ts",
        "website",
    ):
        assert f'name="{name}"' in html, name
    assert '<html lang="vi">' in html
    assert "main-nav" not in html and "navbar" not in html  # no application shell
    assert 'src="/static/js/senform-embed.js"' in html


def test_unasked_fields_are_not_shown(client, org, webform):
    webform = settings_services.webform_save(
        actor=org["admin"], form=webform, fields=["email"], required_fields=["email"]
    )
    html = client.get(url(webform)).content.decode()
    assert 'name="email"' in html and 'name="phone"' not in html and 'name="province"' not in html


def test_utm_and_referrer_are_carried_in_hidden_fields(client, webform):
    html = client.get(
        url(webform, utm_source="facebook", utm_campaign="thang8", utm_bogus="x"),
        HTTP_REFERER="https://dieuhoasen.vn/khuyen-mai",
    ).content.decode()
    assert 'name="utm_source" value="facebook"' in html and 'name="utm_campaign" value="thang8"' in html
    assert "utm_bogus" not in html
    assert 'name="ref" value="https://dieuhoasen.vn/khuyen-mai"' in html


def test_valid_submission_creates_the_lead(webform, org):
    response = submit(
        webform,
        query={"utm_source": "facebook", "utm_medium": "cpc"},
        utm_campaign="thang8",
        ref="https://dieuhoasen.vn/dieu-hoa?utm_source=facebook",
    )
    assert response.status_code == 303
    assert response["Location"] == reverse("sales:webform_thanks", args=[webform.key])
    lead = Lead.objects.get()
    assert lead.full_name == "Trần Thị Bích Ngọc"
    assert lead.primary_phone == "0912 345 678" and lead.primary_email == "ngoc.tran@example.vn"
    assert lead.province.code == "ha-noi" and "12000 BTU" in lead.interest
    assert lead.source.code == "website" and lead.web_form == webform
    assert lead.campaign == "thang8"  # utm_campaign wins over the form's campaign
    assert lead.utm == {"utm_source": "facebook", "utm_medium": "cpc", "utm_campaign": "thang8"}
    assert lead.referrer == "https://dieuhoasen.vn/dieu-hoa?utm_source=facebook"
    assert lead.owner == org["sales1"]
    assert lead.first_touch_at is not None
    consents = {c.channel: c for c in lead.consents.all()}
    assert sorted(consents) == ["email", "phone"] and consents["phone"].granted and consents["email"].granted
    assert "Tôi đồng ý" in consents["email"].source and consents["email"].recorded_at == lead.first_touch_at
    event = Event.objects.get(type="lead.created", subject_id=lead.pk)
    assert event.actor_label == f"webform#{webform.pk}"
    assert WebFormSubmission.objects.get().outcome == "created"


def test_the_form_campaign_is_used_without_utm_campaign(webform):
    submit(webform)
    lead = Lead.objects.get()
    assert lead.campaign == "Website mùa hè" and lead.utm == {}


def test_thank_you_page_shows_the_configured_text(client, webform):
    response = client.get(reverse("sales:webform_thanks", args=[webform.key]))
    assert response.status_code == 200
    assert "chúng tôi sẽ gọi lại trong 30 phút" in response.content.decode()
    assert "X-Frame-Options" not in response


def test_round_robin_within_a_team(org, webform):
    from sencrm.users.models import Team

    team = Team.objects.get(name="Kinh doanh Hà Nội")  # manager and sales1
    settings_services.webform_save(actor=org["admin"], form=webform, owner=None, team=team)
    submit(webform, phone="0912 000 001")
    submit(webform, phone="0912 000 002", email="khac@example.vn")
    owners = {lead.owner for lead in Lead.objects.all()}
    assert owners == {org["manager"], org["sales1"]}
    assert {lead.team for lead in Lead.objects.all()} == {team}


def test_honeypot_answers_like_success_and_creates_nothing(webform):
    response = submit(webform, website="http://spam.example")
    assert response.status_code == 303
    assert response["Location"] == reverse("sales:webform_thanks", args=[webform.key])
    assert not Lead.objects.exists()
    assert WebFormSubmission.objects.get().outcome == "spam"
    client = Client()
    followed = client.post(url(webform), valid(webform, website="x"), follow=True)
    assert followed.status_code == 200 and "30 phút" in followed.content.decode()


@pytest.mark.parametrize("token", ["too-fast", "", "forged", "other-form"])
def test_too_fast_or_forged_tokens_are_spam(org, webform, token):
    tokens = {
        "too-fast": make_token(webform),
        "": "",
        "forged": make_token(webform, at=time.time() - 10)[:-3] + "abc",
        "other-form": make_token(
            settings_services.webform_save(
                actor=org["admin"], name="Khác", fields=["email"], owner=org["sales1"]
            ),
            at=time.time() - 10,
        ),
    }
    response = submit(webform, ts=tokens[token])
    assert response.status_code == 303
    assert not Lead.objects.exists()
    assert WebFormSubmission.objects.filter(form=webform).get().outcome == "spam"


def test_the_minimum_time_is_a_setting(settings, webform):
    settings.WEBFORM_MIN_SECONDS = 0
    assert submit(webform, ts=make_token(webform)).status_code == 303
    assert Lead.objects.count() == 1


def test_an_expired_form_is_shown_again_with_a_fresh_token(webform):
    response = submit(webform, ts=make_token(webform, at=time.time() - 2 * 86400))
    assert response.status_code == 400
    assert 'data-testid="webform-notice"' in response.content.decode()
    assert 'value="Trần Thị Bích Ngọc"' in response.content.decode()  # nothing typed is lost
    assert not Lead.objects.exists()


def test_missing_consent_is_refused(webform):
    response = submit(webform, consent=None)
    assert response.status_code == 400
    html = response.content.decode()
    assert 'data-testid="error-consent"' in html
    assert not Lead.objects.exists()
    assert WebFormSubmission.objects.get().outcome == "invalid"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"phone": "12345"}, "phone"),
        ({"phone": "không có"}, "phone"),
        ({"phone": ""}, "phone"),  # required by this form
        ({"email": "ngoc@"}, "email"),
        ({"full_name": ""}, "full_name"),
        ({"full_name": "   \u200b "}, "full_name"),
        ({"full_name": "x" * 151}, "full_name"),
        ({"company": "c" * 201}, "company"),
        ({"interest": "i" * 2001}, "interest"),
        ({"phone": "0" * 41}, "phone"),
        ({"full_name": "Ngọc\x00"}, "full_name"),
    ],
)
def test_bad_input_answers_400_with_a_message_next_to_the_field(webform, changes, field):
    response = submit(webform, **changes)
    assert response.status_code == 400
    html = response.content.decode()
    assert f'data-testid="error-{field}"' in html
    assert 'value="Trần Thị Bích Ngọc"' in html or field == "full_name"
    assert not Lead.objects.exists()
    assert WebFormSubmission.objects.get().outcome == "invalid"


def test_phone_or_email_is_needed_when_neither_is_required(org, webform):
    settings_services.webform_save(actor=org["admin"], form=webform, required_fields=[])
    response = submit(webform, phone="", email="")
    assert response.status_code == 400
    assert 'data-testid="error-phone"' in response.content.decode()
    assert submit(webform, phone="", email="a@example.vn").status_code == 303


def test_rate_limit_per_ip(settings, webform):
    settings.WEBFORM_RATE_LIMIT = 3
    for i in range(3):
        assert submit(webform, ip="198.51.100.1", phone=f"0912 000 10{i}").status_code == 303
    response = submit(webform, ip="198.51.100.1", phone="0912 000 109")
    assert response.status_code == 429
    assert response["Retry-After"] == str(settings.WEBFORM_RATE_WINDOW_MINUTES * 60)
    assert 'data-testid="webform-message"' in response.content.decode()
    assert Lead.objects.count() == 3
    assert WebFormSubmission.objects.filter(outcome="limited").count() == 1
    # Another visitor is not affected.
    assert submit(webform, ip="198.51.100.2").status_code == 303
    assert Lead.objects.count() == 4


def test_forwarded_for_is_ignored_unless_behind_a_proxy(settings, webform):
    settings.WEBFORM_RATE_LIMIT = 1
    settings.SECURE_PROXY_SSL_HEADER = None
    proxy = Client(REMOTE_ADDR="10.0.0.5")
    assert proxy.post(url(webform), valid(webform), HTTP_X_FORWARDED_FOR="1.1.1.1").status_code == 303
    # A forged header does not dodge the limit when the site is not behind a proxy.
    assert proxy.post(url(webform), valid(webform), HTTP_X_FORWARDED_FOR="2.2.2.2").status_code == 429
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    # Behind a proxy each visitor counts separately, by the address the proxy appended last.
    assert proxy.post(url(webform), valid(webform), HTTP_X_FORWARDED_FOR="3.3.3.3").status_code == 303
    response = proxy.post(url(webform), valid(webform), HTTP_X_FORWARDED_FOR="4.4.4.4, 3.3.3.3")
    assert response.status_code == 429


@pytest.mark.parametrize("method", ["get", "post"])
def test_inactive_or_unknown_forms_answer_404(client, org, webform, method):
    unknown = getattr(client, method)(reverse("sales:webform_public", args=["khong-co"]))
    assert unknown.status_code == 404
    settings_services.webform_save(actor=org["admin"], form=webform, is_active=False)
    response = getattr(client, method)(url(webform), valid(webform) if method == "post" else None)
    assert response.status_code == 404
    assert client.get(reverse("sales:webform_thanks", args=[webform.key])).status_code == 404
    assert not Lead.objects.exists()


def test_xss_is_stored_as_text_and_escaped_in_the_log(client_as, webform):
    assert submit(webform, full_name=XSS, company="<svg/onload=alert(1)>", interest=XSS).status_code == 303
    lead = Lead.objects.get()
    assert lead.full_name == XSS and lead.company == "<svg/onload=alert(1)>"
    html = client_as("admin").get(reverse("sales:webform_edit", args=[webform.pk])).content.decode()
    assert "<img src=x" not in html
    assert "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;" in html


def test_xss_in_the_configuration_is_escaped_on_the_public_form(client, org, webform):
    settings_services.webform_save(
        actor=org["admin"], form=webform, title=XSS, consent_text="<svg/onload=alert(1)>", thank_you=XSS
    )
    html = client.get(url(webform)).content.decode()
    assert "<img src=x" not in html and "<svg/onload" not in html
    html = client.get(reverse("sales:webform_thanks", args=[webform.key])).content.decode()
    assert "<img src=x" not in html


def test_long_tracking_values_are_cut_not_refused(webform):
    response = submit(webform, utm_source="f" * 5000, ref="https://example.vn/" + "p" * 5000)
    assert response.status_code == 303
    lead = Lead.objects.get()
    assert lead.utm["utm_source"] == "f" * 200 and len(lead.referrer) == 500


def test_a_javascript_referrer_is_dropped(client, webform):
    html = client.get(url(webform, ref="javascript:alert(1)")).content.decode()
    assert "javascript:" not in html
    submit(webform, ref="javascript:alert(1)")
    assert Lead.objects.get().referrer == ""


def test_the_form_can_be_framed_anywhere_but_other_pages_cannot(client, webform):
    response = client.get(url(webform))
    assert "X-Frame-Options" not in response
    csp = response["Content-Security-Policy"]
    assert re.search(r"frame-ancestors \*", csp) and "form-action 'self'" in csp
    other = client.get(reverse("login"))
    assert other["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in other["Content-Security-Policy"]


def test_the_response_reveals_no_other_records(webform, make_lead):
    make_lead(full_name="Khách Cũ Bí Mật", phones=("0912 345 678",))
    response = submit(webform)
    assert response.status_code == 303
    followed = Client().get(response["Location"])
    assert "Bí Mật" not in followed.content.decode()
    assert Lead.objects.count() == 2


def test_language_can_be_chosen_by_the_embedding_page(client, webform):
    html = client.get(url(webform, lang="en")).content.decode()
    assert '<html lang="en">' in html and "Your name" in html
    html = client.get(url(webform, lang="xx")).content.decode()
    assert '<html lang="vi">' in html
