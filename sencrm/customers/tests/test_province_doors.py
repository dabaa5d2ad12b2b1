"""Every door that takes a province understands the names people write (issue 11): the API takes a
code, a 2025 name, an old province or a city, and answers 400 with how to write it otherwise; the
list filters (UI and API) take an old name too."""

from __future__ import annotations

import pytest
from django.urls import reverse

from sencrm.customers.models import Contact, Province


def post(client, url, data):
    return client.post(url, data, content_type="application/json")


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("ha-noi", "ha-noi"),
        ("Bình Định", "gia-lai"),
        ("TP. Nha Trang", "khanh-hoa"),
        ("Thu Duc", "ho-chi-minh"),
    ],
)
def test_the_api_takes_a_code_an_old_province_or_a_city(client_as, hanoi, typed, code):
    response = post(client_as("sales1"), "/api/v1/contacts/", {"full_name": "Khách API", "province": typed})
    assert response.status_code == 201, response.json()
    assert response.json()["province"] == code  # answered as the 2025 code
    assert Contact.objects.get().province.code == code


@pytest.mark.parametrize("typed", ["atlantis", "Gotham City", 12, ["ha-noi"], "x" * 300])
def test_an_unknown_province_is_a_400_that_says_how_to_write_it(client_as, hanoi, typed):
    client = client_as("sales1")
    response = post(client, "/api/v1/contacts/", {"full_name": "Khách API", "province": typed})
    assert response.status_code == 400, response.json()
    body = response.json()
    assert body["code"] == "invalid" and "province" in body["errors"]
    message = str(body["errors"]["province"])
    assert "Không rõ tỉnh/thành phố" in message and "Nha Trang" in message  # in the user's language
    assert not Contact.all_objects.exists()


def test_the_api_accounts_take_an_old_name_too(client_as, hanoi):
    response = post(
        client_as("sales1"), "/api/v1/accounts/", {"name": "Công ty Biển", "province": "Vũng Tàu"}
    )
    assert response.status_code == 201, response.json()
    assert response.json()["province"] == "ho-chi-minh"


def test_null_still_clears_the_province(client_as, make_contact):
    contact = make_contact()
    response = client_as("sales1").patch(
        f"/api/v1/contacts/{contact.pk}/", {"province": None}, content_type="application/json"
    )
    assert response.status_code == 200, response.json()
    contact.refresh_from_db()
    assert contact.province is None


def test_list_filters_take_an_old_province_name(client_as, make_contact):
    make_contact(
        full_name="Khách Quy Nhơn", phones=["0912 000 901"], province=Province.objects.get(code="gia-lai")
    )
    make_contact(full_name="Khách Hà Nội", phones=["0912 000 902"])
    client = client_as("sales1")
    html = client.get(reverse("customers:contact_list"), {"province": "Bình Định"}).content.decode()
    assert "Khách Quy Nhơn" in html and "Khách Hà Nội" not in html
    names = [
        c["full_name"] for c in client.get("/api/v1/contacts/", {"province": "quy nhon"}).json()["results"]
    ]
    assert names == ["Khách Quy Nhơn"]
    assert client.get("/api/v1/contacts/", {"province": "atlantis"}).status_code == 400
