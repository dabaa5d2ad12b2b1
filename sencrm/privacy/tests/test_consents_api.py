"""/api/v1/consents/: the ledger of contacts, append-only, scoped like the contacts themselves."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from sencrm.customers import ledger
from sencrm.customers.models import Consent, ConsentRecord
from sencrm.events.models import Event

FIELDS = {"id", "contact", "channel", "purpose", "granted", "at", "source", "evidence", "recorded_at"}


@pytest.fixture
def mine(org, make_contact):
    """sales1's contact with one answer, and sales2's (another team's) with one."""
    own = make_contact(owner="sales1", full_name="Khách của Bình")
    other = make_contact(owner="sales2", full_name="Khách của Hà", phones=["0987 654 321"])
    for person in (own, other):
        ledger.consent_append(
            person=person, channel="email", granted=True, source="form", evidence="Phiếu",
            at=timezone.now() - dt.timedelta(days=1),
        )  # fmt: skip
    return own, other


def test_the_list_shows_only_ledgers_of_contacts_in_view(client_as, mine, django_assert_max_num_queries):
    own, other = mine
    api = client_as("sales1")
    with django_assert_max_num_queries(8):
        body = api.get("/api/v1/consents/").json()
    assert [r["contact"] for r in body["results"]] == [own.pk]
    assert set(body["results"][0]) == FIELDS
    assert api.get(f"/api/v1/consents/?contact={other.pk}").json()["results"] == []  # as a missing id
    assert api.get("/api/v1/consents/?contact=999999").json()["results"] == []
    assert api.get("/api/v1/consents/?contact=abc").status_code == 400
    theirs = ConsentRecord.objects.get(contact=other)
    assert api.get(f"/api/v1/consents/{theirs.pk}/").status_code == 404
    assert api.get("/api/v1/consents/99999/").status_code == 404
    assert client_as("marketing").get(f"/api/v1/consents/?contact={other.pk}").json()["results"]  # sees all


def test_creating_appends_and_is_the_current_answer(client_as, org, mine):
    own, _other = mine
    api = client_as("sales1")
    when = (timezone.now() - dt.timedelta(hours=2)).replace(microsecond=0)
    response = api.post(
        "/api/v1/consents/",
        {"contact": own.pk, "channel": "email", "purpose": "marketing", "granted": False,
         "at": when.isoformat(), "source": "call", "evidence": "Cuộc gọi #4411"},
        content_type="application/json",
    )  # fmt: skip
    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == FIELDS and body["granted"] is False and body["source"] == "call"
    assert dt.datetime.fromisoformat(body["at"]) == when
    assert body["evidence"] == "API (session): Cuộc gọi #4411"
    assert Consent.objects.get(contact=own, channel="email").granted is False  # later than the grant
    assert Event.objects.filter(type="consent.changed", subject_id=own.pk).count() == 2
    care = api.post(
        "/api/v1/consents/",
        {"contact": own.pk, "channel": "sms", "purpose": "care", "granted": True},
        content_type="application/json",
    )
    assert care.status_code == 201 and care.json()["source"] == "api"
    assert not Consent.objects.filter(contact=own, channel="sms").exists()  # the forms show marketing only


def test_it_is_append_only(client_as, mine):
    own, _other = mine
    api = client_as("admin")
    row = ConsentRecord.objects.get(contact=own)
    url = f"/api/v1/consents/{row.pk}/"
    assert api.put(url, {"granted": False}, content_type="application/json").status_code == 405
    assert api.patch(url, {"granted": False}, content_type="application/json").status_code == 405
    assert api.delete(url).status_code == 405
    assert api.delete("/api/v1/consents/").status_code == 405
    row.refresh_from_db()
    assert row.granted is True and ConsentRecord.objects.count() == 2


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"channel": "fax"}, "channel"),
        ({"purpose": "sales"}, "purpose"),
        ({"granted": "maybe"}, "granted"),
        ({"granted": None}, "granted"),
        ({"at": "2999-01-01T00:00:00+07:00"}, "at"),
        ({"at": "31/02/2026"}, "at"),
        ({"source": "unsubscribe"}, "source"),  # the system's own doors
        ({"evidence": "x" * 401}, "evidence"),
        ({"contact": "abc"}, "contact"),
    ],
)
def test_bad_input_is_a_400_and_records_nothing(client_as, mine, change, field):
    own, _other = mine
    body = {"contact": own.pk, "channel": "zalo", "granted": True, **change}
    response = client_as("sales1").post("/api/v1/consents/", body, content_type="application/json")
    assert response.status_code == 400 and field in response.json()["errors"]
    assert ConsentRecord.objects.count() == 2


def test_recording_needs_the_right_to_edit_the_contact(client_as, mine):
    own, other = mine
    body = {"contact": other.pk, "channel": "zalo", "granted": True, "evidence": "Tin nhắn Zalo ✓ 🙂"}
    # Another team's contact reads as a missing one; a contact one may see but not edit is a 403.
    missing = client_as("sales1").post("/api/v1/consents/", body, content_type="application/json")
    assert missing.status_code == 400 and "contact" in missing.json()["errors"]
    refused = client_as("marketing").post("/api/v1/consents/", body, content_type="application/json")
    assert refused.status_code == 403
    assert ConsentRecord.objects.count() == 2
    done = client_as("admin").post("/api/v1/consents/", body, content_type="application/json")
    assert done.status_code == 201 and done.json()["evidence"].endswith("Tin nhắn Zalo ✓ 🙂")
