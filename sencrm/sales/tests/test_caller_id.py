"""Caller ID finds leads not yet converted (page and API), in the caller's scope, with a constant number
of queries."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from sencrm.sales import services

pytestmark = pytest.mark.django_db


def test_the_api_answers_with_the_leads_the_caller_may_see(client_as, org, make_lead):
    lead = make_lead(owner="sales1", full_name="Phạm Minh Khang", phones=["0903 111 222"], company="Sen Việt")
    make_lead(owner="sales2", full_name="Của Đội Hai", phones=["+84 903 111 222"])
    data = client_as("sales1").get("/api/v1/caller-id/", {"phone": "(090) 311-1222"}).json()
    assert data["contacts"] == [] and data["accounts"] == []
    assert data["leads"] == [
        {
            "id": lead.pk,
            "name": "Phạm Minh Khang",
            "detail": "Sen Việt",
            "status": "new",
            "owner": {"id": org["sales1"].pk, "name": str(org["sales1"])},
            "url": lead.get_absolute_url(),
        }
    ]
    assert len(client_as("admin").get("/api/v1/caller-id/", {"phone": "0903111222"}).json()["leads"]) == 2
    # Care does not work with leads: the lookup answers, without them.
    assert client_as("care").get("/api/v1/caller-id/", {"phone": "0903111222"}).json()["leads"] == []


def test_a_converted_lead_is_found_as_the_contact_it_became(client_as, org, make_lead):
    lead = make_lead(owner="sales1", full_name="Đã Chuyển", phones=["0903 222 333"])
    services.lead_convert(lead, actor=org["sales1"], create_account=False)
    data = client_as("sales1").get("/api/v1/caller-id/", {"phone": "0903222333"}).json()
    assert data["leads"] == [] and [c["name"] for c in data["contacts"]] == ["Đã Chuyển"]


def test_the_page_shows_leads_escaped(client_as, make_lead):
    make_lead(owner="sales1", full_name="<b>Khang</b>", phones=["0903 111 444"], company="<i>Sen</i>")
    response = client_as("sales1").get(reverse("customers:caller_id"), {"phone": "0903 111 444"})
    html = response.content.decode()
    assert response.status_code == 200 and 'data-testid="caller-other"' in html
    assert "&lt;b&gt;Khang&lt;/b&gt;" in html and "<b>Khang</b>" not in html
    assert 'data-testid="caller-unknown"' not in html
    html = client_as("sales2").get(reverse("customers:caller_id"), {"phone": "0903 111 444"}).content.decode()
    assert "Khang" not in html and 'data-testid="caller-unknown"' in html


def test_leads_cost_the_same_queries_however_many_match(client_as, make_lead):
    client = client_as("admin")
    make_lead(owner="sales1", full_name="Một", phones=["0903 555 000"])
    client.get("/api/v1/caller-id/", {"phone": "0903555000"})  # warm the session and the gate
    with CaptureQueriesContext(connection) as one:
        client.get("/api/v1/caller-id/", {"phone": "0903555000"})
    for i in range(5):
        make_lead(owner="sales2", full_name=f"Thêm {i}", phones=["0903 555 000"])
    with CaptureQueriesContext(connection) as six:
        assert len(client.get("/api/v1/caller-id/", {"phone": "0903555000"}).json()["leads"]) == 6
    assert len(six) == len(one)
