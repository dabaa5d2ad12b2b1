"""The export of everything the CRM holds about a person: JSON for machines, a readable PDF whose text
layer keeps the Vietnamese diacritics."""

from __future__ import annotations

import io
import json
import unicodedata

import pypdf
import pytest
from django.urls import reverse

from sencrm.privacy.services import request_create
from sencrm.privacy.tests.conftest import EMAIL, NAME

pytestmark = pytest.mark.django_db


@pytest.fixture
def access_request(org, person):
    return request_create(actor=org["care"], data={"contact": person, "kind": "access"})


def test_the_json_export_holds_the_person_and_every_record_that_refers_to_them(client_as, access_request):
    response = client_as("care").get(reverse("privacy:request_export_json", args=[access_request.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="{access_request.number}.json"'
    data = json.loads(response.content)
    assert data["format"] == "sencrm.person-export/1"
    (contact,) = data["person"]["contacts"]
    assert contact["fields"]["full_name"] == NAME and contact["fields"]["date_of_birth"] == "1990-05-17"
    assert "search_key" not in contact["fields"]
    (lead,) = data["person"]["leads"]  # the lead she was before she bought
    assert lead["fields"]["converted_contact"]["id"] == access_request.contact_id
    records = {group["model"]: group["rows"] for group in data["records"]}
    assert {r["fields"]["e164"] for r in records["customers.phone"]} == {"+84912000111"}
    assert {r["fields"]["address"] for r in records["customers.email"]} == {EMAIL}
    for model in (
        "customers.consentrecord", "customers.consent", "sales.opportunity", "commerce.order",
        "commerce.orderline", "billing.invoice", "billing.payment", "billing.allocation",
        "activities.activity",
        "marketing.conversation", "marketing.conversationmessage", "privacy.datarequest", "sales.leadphone",
    ):  # fmt: skip
        assert records.get(model), model
    texts = [m["fields"]["text"] for m in records["marketing.conversationmessage"]]
    assert "Số của em là +84 912 000 111 nhé" in texts
    types = {event["type"] for event in data["timeline"]}
    assert {
        "contact.created",
        "lead.created",
        "lead.converted",
        "order.created",
        "data_request.created",
    } <= types


def test_the_pdf_export_is_readable_with_the_diacritics_intact(client_as, access_request):
    response = client_as("marketing").get(reverse("privacy:request_export_pdf", args=[access_request.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    pdf = pypdf.PdfReader(io.BytesIO(response.content))
    text = unicodedata.normalize("NFC", "\n".join(page.extract_text() for page in pdf.pages))
    assert NAME in text
    assert "Điều hòa cho nhà Nguyễn Thị Ẩn Danh" in text
    assert EMAIL in text and "+84 912 000 111" in text


def test_the_export_is_for_privacy_module_holders_only(org, client_as, access_request):
    for name in ("privacy:request_export_json", "privacy:request_export_pdf"):
        assert client_as("sales1").get(reverse(name, args=[access_request.pk])).status_code == 403
        assert client_as("care").get(reverse(name, args=[access_request.pk + 1000])).status_code == 404
