"""Email campaigns: templates in the sandbox, the consented audience, sending through a real SMTP server
once per person, bounces, tracking that cannot redirect elsewhere, unsubscribing by one-click POST and by
the link, and the results."""

from __future__ import annotations

import re

import pytest
from django.core import signing
from django.core.exceptions import ValidationError

from sencrm.customers import ledger
from sencrm.customers.models import ConsentRecord, Contact
from sencrm.events.models import Event
from sencrm.marketing import email_sender, emailing
from sencrm.marketing.models import (
    Campaign,
    EmailCampaign,
    EmailRecipient,
    RecipientStatus,
)
from sencrm.marketing.segments import segment_create
from sencrm.marketing.tests.email_helpers import html_of, local, text_of

pytestmark = pytest.mark.django_db

BODY = (
    "<p>Kính gửi {{ contact.salutation }} {{ contact.name }},</p>"
    '<p>Ưu đãi vệ sinh điều hòa: <a href="https://senco.vn/uu-dai?ma=HE&amp;x=1">xem ngay</a></p>'
    "<p>{{ company.name }}</p>"
)


def send_now(email, org):
    from django.db import connection
    from django.test import TestCase

    with TestCase.captureOnCommitCallbacks(using=connection.alias, execute=True):
        emailing.email_schedule(email, actor=org["marketing"])


def consent(contact, granted=True):
    ledger.consent_append(person=contact, channel="email", granted=granted, source="form", evidence="test")


@pytest.fixture
def people(org, make_contact):
    """Four people in Hà Nội: two consented with an address, one who said no, one without an address."""
    an = make_contact(
        full_name="Nguyễn Văn An", phones=("0912 000 001",), emails=("an@khach.vn",), gender="male"
    )
    binh = make_contact(full_name="Trần Thị Bình", phones=("0912 000 002",), emails=("binh@khach.vn",),
                        gender="female")  # fmt: skip
    cuong = make_contact(full_name="Lê Văn Cường", phones=("0912 000 003",), emails=("cuong@khach.vn",))
    dung = make_contact(full_name="Phạm Dũng", phones=("0912 000 004",))
    for person in (an, binh, dung):
        consent(person)
    consent(cuong, granted=False)
    return {"an": an, "binh": binh, "cuong": cuong, "dung": dung}


@pytest.fixture
def segment(org):
    rules = {"match": "all", "rules": [{"field": "region", "op": "in", "value": ["north"]}]}
    return segment_create(actor=org["marketing"], data={"name": "Khách miền Bắc", "rules": rules})


@pytest.fixture
def email(org, segment):
    subject = "{{ contact.first_name }} ơi, ưu đãi hè"
    data = {"name": "Bảo dưỡng mùa hè", "segment": segment, "subject": subject, "body": BODY}
    return emailing.email_create(actor=org["marketing"], data=data)


def test_an_email_campaign_is_a_campaign_and_its_templates_are_sandboxed(org, segment, email):
    campaign = Campaign.objects.get(pk=email.campaign_id)
    assert campaign.channel == "email" and campaign.name == email.name
    for field, bad in (
        ("subject", "{{ settings.SECRET_KEY }}"),
        ("body", "{{ ''.__class__.__mro__ }}"),
        ("body", "{% include 'base.html' %}"),
        ("body", "{{ contact.name"),
        ("body", ""),
    ):
        data = {"name": "X", "segment": segment, "subject": "Chào", "body": "<p>x</p>", field: bad}
        with pytest.raises(ValidationError) as caught:
            emailing.email_create(actor=org["marketing"], data=data)
        assert field in caught.value.message_dict
    # A body that tries to read what it may not is refused when it runs, too (never a 500).
    with pytest.raises(ValidationError):
        emailing.email_update(
            email, actor=org["marketing"], changes={"body": "{{ contact.__dict__ }}"}, version=1
        )
    # Only marketing writes email campaigns; a segment outside the actor's reach looks like no segment.
    with pytest.raises(Exception, match="not allow|không"):
        emailing.email_create(actor=org["sales1"], data={"name": "X", "subject": "a", "body": "b"})
    with pytest.raises(ValidationError) as caught:
        emailing.email_create(actor=org["marketing"], data={"name": "X", "subject": "a", "body": "b",
                                                            "segment": 999999})  # fmt: skip
    assert "segment" in caught.value.message_dict


def test_the_audience_is_the_segment_with_a_current_consent_and_an_address(people, email):
    names = sorted(emailing.audience(email).values_list("full_name", flat=True))
    assert names == ["Nguyễn Văn An", "Trần Thị Bình"]
    assert emailing.audience_count(email) == 2


def test_preview_merges_a_real_contact_and_leaves_links_untracked(people, email):
    shown = emailing.preview(email, people["binh"])
    assert shown.subject == "Bình ơi, ưu đãi hè"
    assert "Kính gửi Ms. Trần Thị Bình" in shown.html or "Kính gửi Chị Trần Thị Bình" in shown.html
    assert "https://senco.vn/uu-dai?ma=HE&amp;x=1" in shown.html
    assert "/u/" in shown.html  # the visible unsubscribe link, added when the body has none
    assert "xem ngay (https://senco.vn/uu-dai?ma=HE&x=1)" in shown.text


def test_send_reaches_each_consented_person_once_with_unsubscribe_headers(org, people, email, smtp):
    send_now(email, org)  # the worker runs it after the commit (Huey is immediate in tests)
    email.refresh_from_db()
    assert email.status == "sent" and email.recipients_total == 2 and email.sent == 2
    assert sorted(m["To"] for m in smtp.messages) == ["an@khach.vn", "binh@khach.vn"]
    message = smtp.to("an@khach.vn")[0]
    assert message["Subject"] == "An ơi, ưu đãi hè"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert re.fullmatch(r"<https?://[^>]+/u/[^>]+/>", message["List-Unsubscribe"].strip())
    assert message["Message-ID"].startswith(f"<sencrm.email.{email.pk}.")
    html = html_of(message)
    assert "Nguyễn Văn An" in html and "senco.vn/uu-dai" not in html  # the link goes through us
    assert re.search(r'href="https?://[^"]+/e/c/[^"]+/"', html) and "/e/o/" in html
    assert "/e/c/" in text_of(message)
    # On each person's timeline; a second run sends nobody again.
    sent = Event.objects.filter(type="email.sent").values_list("customer_id", flat=True)
    assert sorted(sent) == sorted([people["an"].pk, people["binh"].pk])
    assert email_sender.send(email.pk) == 0
    assert len(smtp.messages) == 2


def test_a_refused_address_is_a_bounce_and_a_deferred_one_waits(org, people, email, smtp, settings):
    smtp.refuse.add("an@khach.vn")
    smtp.defer.add("binh@khach.vn")
    send_now(email, org)
    rows = dict(EmailRecipient.objects.values_list("email", "status"))
    assert rows == {"an@khach.vn": "bounced", "binh@khach.vn": "queued"}
    bounced = EmailRecipient.objects.get(email="an@khach.vn")
    assert bounced.error.startswith("550")
    assert Event.objects.filter(type="email.bounced", customer_id=people["an"].pk).exists()
    email.refresh_from_db()
    assert email.status == "sending" and email.bounced == 1 and email.sent == 0
    # Later the server takes it: once the lease is over, the next run sends it and the campaign ends.
    smtp.defer.clear()
    settings.EMAIL_CAMPAIGN_LEASE_SECONDS = 0
    assert email_sender.send(email.pk) == 1
    email.refresh_from_db()
    assert email.status == "sent" and email.sent == 1 and len(smtp.messages) == 1


def test_consent_withdrawn_after_queueing_is_respected(org, people, email, smtp):
    from django.utils import timezone

    EmailCampaign.objects.filter(pk=email.pk).update(status="scheduled", scheduled_at=timezone.now())
    email_sender.start(email.pk)
    consent(people["binh"], granted=False)
    email_sender.send(email.pk)
    assert [m["To"] for m in smtp.messages] == ["an@khach.vn"]
    assert EmailRecipient.objects.get(email="binh@khach.vn").status == RecipientStatus.SKIPPED


def _links(smtp, address):
    html = html_of(smtp.to(address)[0])
    clicks = re.findall(r'href="(https?://[^"]+/e/c/[^"]+/)"', html)
    pixel = re.search(r'src="(https?://[^"]+/e/o/[^"]+/)"', html).group(1)
    return [local(u) for u in clicks], local(pixel)


def test_opens_and_clicks_are_counted_once_and_credit_the_campaign(org, people, email, smtp, client):
    send_now(email, org)
    clicks, pixel = _links(smtp, "an@khach.vn")
    for _ in range(2):
        answer = client.get(pixel)
        assert answer.status_code == 200 and answer["Content-Type"] == "image/gif"
    answer = client.get(clicks[0])
    assert answer.status_code == 302 and answer["Location"] == "https://senco.vn/uu-dai?ma=HE&x=1"
    client.get(clicks[0])
    email.refresh_from_db()
    assert (email.opened, email.clicked) == (1, 1)
    row = EmailRecipient.objects.get(email="an@khach.vn")
    assert row.status == "clicked" and row.opened_at and row.clicked_at
    # A click without an open (images blocked) counts as an open too.
    clicks_b, _pixel = _links(smtp, "binh@khach.vn")
    client.get(clicks_b[0])
    email.refresh_from_db()
    assert (email.opened, email.clicked) == (2, 2)
    # The click is a touch: the campaign becomes the person's latest, so attribution credits it.
    an = Contact.objects.get(pk=people["an"].pk)
    assert an.latest_campaign_id == email.campaign_id and an.first_campaign_id == email.campaign_id
    assert Event.objects.filter(type="email.clicked", customer_id=an.pk).count() == 1


def test_tracking_links_refuse_foreign_targets(org, people, email, smtp, client):
    send_now(email, org)
    clicks, pixel = _links(smtp, "an@khach.vn")
    token = clicks[0].rstrip("/").rsplit("/", 1)[1]
    forged = [
        token[:-2] + ("AA" if not token.endswith("AA") else "BB"),  # tampered signature
        signing.dumps({"r": 1, "u": "https://evil.example/"}, salt="another.salt", compress=True),
        signing.dumps({"r": 1, "u": "javascript:alert(1)"}, salt="sencrm.marketing.email.click"),
        "not-a-token",
    ]
    for bad in forged:
        answer = client.get(f"/e/c/{bad}/?u=https://evil.example/")
        assert answer.status_code == 400 and "evil" not in answer.get("Location", "")
    assert client.get("/e/o/garbage/").status_code == 200  # the pixel answers, and records nothing
    email.refresh_from_db()
    assert (email.opened, email.clicked) == (0, 0)


def test_unsubscribe_by_one_click_post_and_by_the_link(org, people, email, smtp, client):
    send_now(email, org)
    one_click = local(smtp.to("an@khach.vn")[0]["List-Unsubscribe"].strip().strip("<>"))
    client.handler.enforce_csrf_checks = True  # the mailbox provider posts without our cookie
    answer = client.post(one_click, {"List-Unsubscribe": "One-Click"})
    assert answer.status_code == 200
    latest = ledger.latest_rows(people["an"])[("email", "marketing")]
    assert latest.granted is False and latest.source == "unsubscribe"
    # By the visible link: a page asks, the button records it.
    html = html_of(smtp.to("binh@khach.vn")[0])
    link = local(re.search(r'href="(https?://[^"]+/u/[^"]+/)"', html).group(1))
    page = client.get(link)
    assert page.status_code == 200 and ledger.latest_rows(people["binh"])[("email", "marketing")].granted
    assert client.post(link).status_code == 200
    assert not ledger.latest_rows(people["binh"])[("email", "marketing")].granted
    email.refresh_from_db()
    assert email.unsubscribed == 2
    assert set(EmailRecipient.objects.values_list("status", flat=True)) == {"unsubscribed"}
    assert Event.objects.filter(type="email.unsubscribed").count() == 2
    # Following it again records nothing more.
    client.post(one_click, {"List-Unsubscribe": "One-Click"})
    assert ConsentRecord.objects.filter(contact=people["an"], granted=False).count() == 1
    email.refresh_from_db()
    assert email.unsubscribed == 2


def test_test_send_and_cancel(org, people, email, smtp):
    to = emailing.test_send(email, actor=org["marketing"], to="me@senco.vn")
    assert to == "me@senco.vn" and len(smtp.messages) == 1
    assert "Nguyễn Văn An" in html_of(smtp.messages[0])  # merged with the first person of the audience
    with pytest.raises(ValidationError):
        emailing.test_send(email, actor=org["marketing"], to="not an address")
    email.refresh_from_db()
    assert email.sent == 0
    emailing.email_schedule(email, actor=org["marketing"], at="2030-01-01T09:00:00+07:00")
    email.refresh_from_db()
    assert email.status == "scheduled"
    emailing.email_cancel(email, actor=org["marketing"])
    email.refresh_from_db()
    assert email.status == "cancelled"
    assert email_sender.send(email.pk) == 0 and len(smtp.messages) == 1
    with pytest.raises(ValidationError):
        emailing.email_schedule(email, actor=org["marketing"])


def test_the_minute_job_starts_due_campaigns(org, people, email, smtp):
    from django.utils import timezone

    EmailCampaign.objects.filter(pk=email.pk).update(status="scheduled", scheduled_at=timezone.now())
    email_sender.send_due_email_campaigns.call_local()
    email.refresh_from_db()
    assert email.status == "sent" and len(smtp.messages) == 2


def test_a_care_occasion_emails_its_people_once_a_year(org, people, email, smtp):
    import datetime as dt

    from django.db import connection
    from django.test import TestCase

    from sencrm.marketing import occasions

    Contact.objects.filter(pk__in=[people["an"].pk, people["cuong"].pk]).update(
        date_of_birth=dt.date(1990, 12, 6)
    )
    birthday = occasions.occasion_create(
        actor=org["marketing"], data={"name": "Sinh nhật", "kind": "birthday", "email": email}
    )
    for _ in range(2):  # the second run of the day sends nothing again
        with TestCase.captureOnCommitCallbacks(using=connection.alias, execute=True):
            occasions.run(birthday, dt.date(2026, 12, 6))
    # Cường said no to emails: only An gets it; no task was asked for.
    assert [m["To"] for m in smtp.messages] == ["an@khach.vn"]
    with TestCase.captureOnCommitCallbacks(using=connection.alias, execute=True):
        occasions.run(birthday, dt.date(2027, 12, 6))
    assert [m["To"] for m in smtp.messages] == ["an@khach.vn", "an@khach.vn"]  # next year, again
    assert sorted(EmailRecipient.objects.values_list("round", flat=True)) == [2026, 2027]
    with pytest.raises(ValidationError):
        occasions.occasion_create(actor=org["marketing"], data={"name": "Trống", "kind": "tet"})


def test_the_campaigns_page_shows_the_email_results(org, people, email, smtp, client_as):
    from django.urls import reverse

    send_now(email, org)
    page = client_as("marketing").get(reverse("marketing:campaign_detail", args=[email.campaign_id]))
    assert page.status_code == 200
    body = page.content.decode()
    assert 'data-testid="campaign-email-results"' in body and 'data-testid="email-sent">2<' in body
