"""What a role without sales rights reads on a customer's journey: no opportunity or lead events."""

from __future__ import annotations

import pytest

from sencrm.events.selectors import customer_timeline

pytestmark = pytest.mark.django_db


def test_care_does_not_read_opportunities_on_the_journey(org, make_contact, make_opportunity):
    contact = make_contact(full_name="Phan Văn Đức")
    make_opportunity(contact=contact, name="Hợp đồng bảo trì 20 máy")
    seller_view = {e.type for e in customer_timeline(user=org["sales1"], customer=contact)[0]}
    care_view = {e.type for e in customer_timeline(user=org["care"], customer=contact)[0]}
    assert "opportunity.created" in seller_view
    assert "contact.created" in care_view
    assert not any(t.startswith(("opportunity.", "lead.")) for t in care_view)


def test_care_finds_no_leads_or_opportunities_in_global_search(org, make_lead, make_opportunity):
    from sencrm.core import search

    make_lead(full_name="Vũ Thành Long")
    make_opportunity(name="Long Thành - điều hòa trung tâm")
    assert [r.label for r in search.search(org["sales1"], "long")] == [
        "Vũ Thành Long",
        "Long Thành - điều hòa trung tâm",
    ]
    assert search.search(org["care"], "long") == []
    assert search.search(org["sales2"], "long") == []


def test_the_lead_list_offers_import_only_to_roles_with_the_right(client_as, pipelines):
    assert 'data-testid="import-link"' in client_as("marketing").get("/leads/").content.decode()
    assert 'data-testid="import-link"' not in client_as("sales1").get("/leads/").content.decode()
