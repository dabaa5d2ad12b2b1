"""/api/v1/custom-fields/: the definitions of the record types a role may view, read-only."""

from __future__ import annotations

import pytest
from django.contrib.contenttypes.models import ContentType
from django.test import Client

from sencrm.customers.models import Account, Contact
from sencrm.customfields.services import custom_field_save
from sencrm.sales.models import Lead
from sencrm.users.services import api_token_create

XSS = '"><img src=x onerror=alert(1)>'


def bearer(org, username):
    _token, raw = api_token_create(user=org[username], name="script")
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


@pytest.fixture
def fields(org):
    def define(model, key, **data):
        return custom_field_save(
            actor=org["admin"], content_type=ContentType.objects.get_for_model(model), key=key, **data
        )

    return {
        "nganh": define(Contact, "nganh", label="Ngành hàng", type="choice", options=["Điều hòa", "Tủ lạnh"]),
        "quy_mo": define(Account, "quy_mo", label=XSS, type="number", required=True, position=2),
        "ngan_sach": define(Lead, "ngan_sach", label="Ngân sách", type="money", show_in_list=True),
    }


def keys(response):
    return [f["key"] for f in response.json()["results"]]


def test_definitions_with_every_attribute(org, fields):
    body = bearer(org, "sales1").get("/api/v1/custom-fields/").json()
    by_key = {f["key"]: f for f in body["results"]}
    assert set(by_key) == {"nganh", "quy_mo", "ngan_sach"}
    assert by_key["nganh"] == {
        "id": fields["nganh"].pk,
        "record_type": "contact",
        "key": "nganh",
        "label": "Ngành hàng",
        "type": "choice",
        "options": ["Điều hòa", "Tủ lạnh"],
        "required": False,
        "show_in_list": False,
        "position": 0,
    }
    assert by_key["quy_mo"]["record_type"] == "account" and by_key["quy_mo"]["required"] is True
    assert by_key["quy_mo"]["label"] == XSS  # JSON carries the text as it is; pages escape it
    assert by_key["ngan_sach"]["type"] == "money" and by_key["ngan_sach"]["record_type"] == "lead"


def test_only_the_record_types_the_role_may_view(org, fields):
    # Customer care reads customers but not leads; the board reads neither.
    care = bearer(org, "care")
    assert sorted(keys(care.get("/api/v1/custom-fields/"))) == ["nganh", "quy_mo"]
    assert care.get(f"/api/v1/custom-fields/{fields['ngan_sach'].pk}/").status_code == 404
    assert care.get(f"/api/v1/custom-fields/{fields['nganh'].pk}/").json()["key"] == "nganh"
    assert keys(bearer(org, "board").get("/api/v1/custom-fields/")) == []
    assert sorted(keys(bearer(org, "marketing").get("/api/v1/custom-fields/"))) == [
        "ngan_sach",
        "nganh",
        "quy_mo",
    ]


def test_filter_by_record_type(org, fields):
    client = bearer(org, "sales1")
    assert keys(client.get("/api/v1/custom-fields/", {"record_type": "lead"})) == ["ngan_sach"]
    for bad in ("opportunity", "customers.contact", "'; DROP TABLE extras_customfield; --"):
        response = client.get("/api/v1/custom-fields/", {"record_type": bad})
        assert response.status_code == 400 and "record_type" in response.json()["errors"]


def test_read_only(org, fields):
    client = bearer(org, "admin")
    body = {"key": "moi", "label": "Mới", "type": "text", "record_type": "contact"}
    assert client.post("/api/v1/custom-fields/", body, content_type="application/json").status_code == 405
    url = f"/api/v1/custom-fields/{fields['nganh'].pk}/"
    assert client.patch(url, {"label": "x"}, content_type="application/json").status_code == 405
    assert client.delete(url).status_code == 405
    fields["nganh"].refresh_from_db()
    assert fields["nganh"].label == "Ngành hàng"


def test_anonymous_is_refused(db):
    assert Client().get("/api/v1/custom-fields/").status_code == 401
