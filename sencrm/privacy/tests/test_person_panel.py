"""A person's page shows their personal-data requests and a button that registers one for them, to the
roles that handle requests only."""

from __future__ import annotations

import pytest
from django.urls import reverse

from sencrm.privacy.services import request_create
from sencrm.sales.services.leads import lead_create

pytestmark = pytest.mark.django_db


def test_the_contact_page_lists_the_persons_requests_with_a_register_button(org, client_as, make_contact):
    person = make_contact(full_name="Trần Văn Bình", phones=("0987 654 321",))
    made = request_create(actor=org["care"], data={"contact": person, "kind": "access"})
    other = make_contact(full_name="Lê Thị Khác", phones=("0987 654 322",))
    elsewhere = request_create(actor=org["care"], data={"contact": other, "kind": "deletion"})

    page = client_as("marketing").get(person.get_absolute_url())
    assert page.status_code == 200
    panel = page.content.decode()
    assert 'data-testid="data-requests"' in panel and made.number in panel
    assert f"{reverse('privacy:request_create')}?contact={person.pk}" in panel
    assert elsewhere.number not in panel  # only this person's requests

    form = client_as("marketing").get(f"{reverse('privacy:request_create')}?contact={person.pk}")
    assert form.status_code == 200 and "Trần Văn Bình" in form.content.decode()


def test_the_lead_page_has_the_panel_and_a_role_without_the_module_does_not(org, client_as):
    lead = lead_create(actor=org["sales1"], data={"full_name": "Phạm Thị Lead"}, phones=["0903 111 222"])
    marketing = client_as("marketing").get(lead.get_absolute_url())
    assert marketing.status_code == 200
    assert f"{reverse('privacy:request_create')}?lead={lead.pk}" in marketing.content.decode()
    sales = client_as("sales1").get(lead.get_absolute_url())
    assert sales.status_code == 200
    assert 'data-testid="data-requests"' not in sales.content.decode()  # sales have no privacy right
