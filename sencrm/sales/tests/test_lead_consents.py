"""Leads keep consent as contacts do: rows with a date and a source, written by the lead services whatever
the door (form, API, web form), shown on the lead's page, copied to the contact on conversion."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from sencrm.customers import services as customer_services
from sencrm.customers.consents import consents_write
from sencrm.events.models import Event
from sencrm.sales import services
from sencrm.sales.models import Lead, LeadConsent


def _answers(lead: Lead) -> dict[str, tuple[bool, str]]:
    return {c.channel: (c.granted, c.source) for c in LeadConsent.objects.filter(lead=lead)}


def test_a_lead_is_created_with_consent_rows_dated_and_sourced(org, pipelines):
    before = timezone.now()
    lead = services.lead_create(
        actor=org["sales1"],
        data={"full_name": "Hồ Thị Lan", "consents": {"zalo": {"granted": True, "source": " Zalo  OA "}}},
        consents={"email": {"granted": False, "source": "ignored: the data's consents win"}},
    )
    row = lead.consents.get()
    assert (row.channel, row.granted, row.source) == ("zalo", True, "Zalo OA")
    assert before <= row.recorded_at <= timezone.now()
    created = Event.objects.get(type="lead.created", subject_id=lead.pk)
    assert created.data["record"]["consent_zalo"] is True


def test_a_changed_answer_is_redated_and_an_unchanged_one_keeps_its_date(org, make_lead):
    long_ago = timezone.now() - dt.timedelta(days=30)
    lead = make_lead(consents={"sms": {"granted": True, "source": "Gọi điện", "at": long_ago}})
    assert lead.consents.get().recorded_at == long_ago
    lead = services.lead_update(
        lead,
        actor=org["sales1"],
        changes={},
        version=None,
        consents={"sms": {"granted": True, "source": "Khác"}},
    )
    same = lead.consents.get()
    assert same.recorded_at == long_ago and same.source == "Gọi điện"
    assert lead.version == 1  # nothing changed, nothing written
    lead = services.lead_update(
        lead,
        actor=org["sales1"],
        changes={},
        version=lead.version,
        consents={"sms": {"granted": False, "source": "Từ chối qua điện thoại"}},
    )
    withdrawn = lead.consents.get()
    assert (
        not withdrawn.granted
        and withdrawn.recorded_at > long_ago
        and withdrawn.source == "Từ chối qua điện thoại"
    )
    updated = Event.objects.get(type="lead.updated", subject_id=lead.pk)
    assert updated.data["changes"]["consent_sms"] == [True, False]


def test_the_helper_refuses_an_unknown_channel_and_never_dates_in_the_future(org, make_lead):
    lead = make_lead()
    with pytest.raises(ValidationError):
        consents_write(lead, {"fax": {"granted": True}})
    future = (timezone.now() + dt.timedelta(days=3)).isoformat()
    consents_write(
        lead, {"email": {"granted": True, "at": future}, "phone": {"granted": True, "at": "30/02/2025"}}
    )
    assert all(c.recorded_at <= timezone.now() for c in lead.consents.all())
    assert lead.consents.count() == 2


def test_a_converted_lead_keeps_its_consents(org, make_lead):
    lead = make_lead(consents={"zalo": {"granted": True, "source": "Zalo"}})
    services.lead_convert(lead, actor=org["sales1"])
    lead = Lead.objects.get(pk=lead.pk)
    with pytest.raises(ValidationError):
        services.lead_update(
            lead, actor=org["sales1"], changes={}, version=None, consents={"zalo": {"granted": False}}
        )
    assert _answers(lead) == {"zalo": (True, "Zalo")}


def test_conversion_copies_the_rows_with_their_date_and_source(org, make_lead):
    touched = timezone.now() - dt.timedelta(days=12)
    lead = make_lead(
        consents={
            "email": {"granted": True, "at": touched, "source": "web form"},
            "sms": {"granted": False, "at": touched, "source": "Từ chối SMS"},
        }
    )
    contact = services.lead_convert(lead, actor=org["sales1"]).contact
    rows = {c.channel: (c.granted, c.recorded_at, c.source) for c in contact.consents.all()}
    assert rows == {"email": (True, touched, "web form"), "sms": (False, touched, "Từ chối SMS")}


def test_linking_a_contact_takes_the_latest_answers_and_adds_the_leads_others(org, make_lead, make_contact):
    contact = customer_services.contact_update(
        make_contact(),
        actor=org["sales1"],
        changes={},
        version=None,
        consents={"sms": {"granted": True, "source": "Phiếu showroom"}},
    )
    lead = make_lead(
        consents={
            "sms": {"granted": False, "source": "Lead: từ chối"},
            "zalo": {"granted": True, "source": "Zalo"},
        }
    )
    services.lead_convert(lead, actor=org["sales1"], contact=contact)
    rows = {c.channel: (c.granted, c.source) for c in contact.consents.all()}
    # The consent ledger: the current answer is the latest one given (the lead's refusal came later).
    assert rows == {"sms": (False, "Lead: từ chối"), "zalo": (True, "Zalo")}


def test_the_api_keeps_its_json_shape(client_as, org, make_lead):
    client = client_as("sales1")
    created = client.post(
        "/api/v1/leads/",
        {"full_name": "Đinh Văn Long", "consents": {"email": {"granted": True, "source": "API"}}},
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert set(body["consents"]) == {"email"}
    answer = body["consents"]["email"]
    assert answer["granted"] is True and answer["source"] == "API" and answer["at"]
    lead = Lead.objects.get(pk=body["id"])
    assert _answers(lead) == {"email": (True, "API")}
    assert answer["at"] == lead.consents.get().recorded_at.isoformat()
    listed = client.get("/api/v1/leads/").json()["results"]
    assert next(row for row in listed if row["id"] == lead.pk)["consents"] == body["consents"]
    bad = client.patch(
        f"/api/v1/leads/{lead.pk}/",
        {"consents": {"email": {"granted": "no"}}},
        content_type="application/json",
    )
    assert bad.status_code == 400 and _answers(lead) == {"email": (True, "API")}


def test_the_lead_form_records_ticked_channels_and_withdrawals(client_as, org, pipelines):
    client = client_as("sales1")
    response = client.post(
        reverse("sales:lead_create"),
        {
            "full_name": "Vũ Thị Hương",
            "phones": "0977 555 666",
            "status": "new",
            "consent_zalo": "on",
            "consent_phone": "on",
            "consent_source": "Đồng ý qua điện thoại 01/08",
        },
    )
    assert response.status_code == 302, response.content
    lead = Lead.objects.get(full_name="Vũ Thị Hương")
    # Only what was ticked: a channel nobody asked about is not recorded as a refusal.
    assert _answers(lead) == {
        "zalo": (True, "Đồng ý qua điện thoại 01/08"),
        "phone": (True, "Đồng ý qua điện thoại 01/08"),
    }
    form = client.get(reverse("sales:lead_edit", args=[lead.pk])).content.decode()
    assert 'name="consent_zalo"' in form and 'data-testid="consent-channels"' in form
    edited = client.post(
        reverse("sales:lead_edit", args=[lead.pk]),
        {
            "full_name": lead.full_name,
            "phones": "0977 555 666",
            "status": "new",
            "version": lead.version,
            "consent_phone": "on",
            "consent_source": "Khách nhắn không nhận Zalo",
        },
    )
    assert edited.status_code == 302, edited.content
    assert _answers(lead) == {
        "zalo": (False, "Khách nhắn không nhận Zalo"),
        "phone": (True, "Đồng ý qua điện thoại 01/08"),
    }


def test_the_lead_page_shows_consent_with_its_date_and_source(client_as, org, make_lead):
    when = dt.datetime(2025, 8, 1, 2, 40, tzinfo=dt.UTC)  # 09:40 in Hà Nội
    lead = make_lead(consents={"zalo": {"granted": True, "at": when, "source": "Tin nhắn Zalo OA"}})
    html = client_as("sales1").get(lead.get_absolute_url()).content.decode()
    start = html.index('data-testid="consent-zalo"')
    item = html[start : html.index("</li>", start)]
    assert "Zalo" in item and "Tin nhắn Zalo OA" in item and "01/08/2025" in item


def test_the_contact_and_the_lead_write_consent_with_one_helper(org, make_contact, make_lead):
    """The same answers give the same rows and the same event changes on a contact and on a lead."""
    answers = {"email": {"granted": True, "source": "Phiếu"}, "sms": {"granted": False, "source": "Phiếu"}}
    contact = make_contact()
    lead = make_lead()
    contact = customer_services.contact_update(
        contact, actor=org["sales1"], changes={}, version=None, consents=answers
    )
    lead = services.lead_update(lead, actor=org["sales1"], changes={}, version=None, consents=answers)
    as_rows = {c.channel: (c.granted, c.source) for c in contact.consents.all()}
    assert as_rows == _answers(lead) == {"email": (True, "Phiếu"), "sms": (False, "Phiếu")}
    contact_event = Event.objects.get(type="contact.updated", subject_id=contact.pk)
    lead_event = Event.objects.get(type="lead.updated", subject_id=lead.pk)
    assert contact_event.data["changes"] == lead_event.data["changes"]


def test_an_enquiry_added_to_a_lead_brings_its_consent(org, make_lead):
    lead = make_lead()
    lead = services.lead_add_details(
        lead,
        actor=org["sales1"],
        emails=["khang@example.vn"],
        consents={"email": {"granted": True, "source": "Form liên hệ lần 2"}},
    )
    assert _answers(lead) == {"email": (True, "Form liên hệ lần 2")}
    assert list(lead.emails.values_list("address", flat=True)) == ["khang@example.vn"]
