"""The province on the contact and account forms is typed (issue 11): a province of 2025, one from before
the 2025 merger, a city or a former district is saved as its 2025 province, as the import, the API and
the list filters already take it; a name that cannot be placed is a form error that says how to write it."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation

from sencrm.customers.forms import AccountForm, ContactForm, province_suggestions
from sencrm.customers.models import Account, Contact, Province

XSS = '"><img src=x onerror=alert(1)>'
LEAD = {"lifecycle_stage": "lead"}


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("Bình Dương", "ho-chi-minh"),  # a province before 2025
        ("binh duong", "ho-chi-minh"),  # without diacritics
        ("Quận 1", "ho-chi-minh"),  # a former district
        ("Nha Trang", "khanh-hoa"),  # a city
        ("TP. Hồ Chí Minh", "ho-chi-minh"),  # a province of 2025, as listed
        ("gia-lai", "gia-lai"),  # its code
    ],
)
def test_the_forms_take_a_province_as_people_write_it(org, hanoi, typed, code):
    contact = ContactForm({"full_name": "Trần Văn Bình", "province": typed, **LEAD}, user=org["sales1"])
    assert contact.is_valid(), contact.errors
    assert contact.record_changes()["province"] == Province.objects.get(code=code)
    account = AccountForm({"name": "Công ty Sen Vàng", "province": typed, **LEAD}, user=org["sales1"])
    assert account.is_valid(), account.errors
    assert account.record_changes()["province"].code == code


@pytest.mark.parametrize(
    ("language", "words"), [("vi", "Không rõ tỉnh/thành phố"), ("en", "Unknown province")]
)
def test_an_unknown_name_is_an_error_that_says_how_to_write_it(org, hanoi, language, words):
    with translation.override(language):
        form = ContactForm({"full_name": "Trần Văn Bình", "province": "Atlantis"}, user=org["sales1"])
        assert not form.is_valid()
        (message,) = form.errors["province"]
    assert words in message and "Atlantis" in message and "Nha Trang" in message


def test_a_database_id_or_garbage_is_not_a_province(org, hanoi):
    for typed in [str(hanoi.pk), "1", "12", "x" * 300, "\u202eioN aH"]:
        form = ContactForm({"full_name": "Trần Văn Bình", "province": typed, **LEAD}, user=org["sales1"])
        assert not form.is_valid() and "province" in form.errors, typed


def test_no_province_is_still_allowed(org, hanoi):
    form = ContactForm({"full_name": "Trần Văn Bình", "province": "", **LEAD}, user=org["sales1"])
    assert form.is_valid(), form.errors
    assert form.record_changes()["province"] is None


def test_the_edit_form_shows_the_province_by_name_in_a_text_box(client_as, make_contact):
    contact = make_contact()  # in Hà Nội
    html = client_as("sales1").get(reverse("customers:contact_edit", args=[contact.pk])).content.decode()
    assert 'name="province"' in html and 'value="Hà Nội"' in html and 'data-province-input="' in html
    assert "<select" not in html.split('name="province"')[0].rsplit("<div", 1)[-1]  # not a dropdown
    assert "js/provinces" in html  # the suggestions' script (form media)


def test_creating_a_contact_with_an_old_province_stores_the_new_one(client_as, hanoi):
    client = client_as("sales1")
    data = {"full_name": "Lê Thị Hạnh", "phones": "0905 111 222", "province": "Nha Trang"}
    response = client.post(reverse("customers:contact_create"), {**data, "lifecycle_stage": "lead"})
    assert response.status_code == 302
    assert Contact.objects.get(full_name="Lê Thị Hạnh").province.code == "khanh-hoa"


def test_editing_with_an_unknown_province_keeps_what_was_typed_and_changes_nothing(client_as, make_contact):
    contact = make_contact()
    response = client_as("sales1").post(
        reverse("customers:contact_edit", args=[contact.pk]),
        {"full_name": contact.full_name, "lifecycle_stage": "lead", "version": 1, "province": XSS},
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert 'data-testid="error-province"' in html and "Không rõ tỉnh/thành phố" in html
    assert XSS not in html and "&quot;&gt;&lt;img" in html  # kept in the box, escaped
    contact.refresh_from_db()
    assert contact.province.code == "ha-noi" and contact.version == 1


def test_an_account_is_saved_in_its_2025_province(client_as, make_contact):
    client = client_as("sales1")
    response = client.post(
        reverse("customers:account_create"),
        {"name": "Công ty Biển Xanh", "province": "Vũng Tàu", "lifecycle_stage": "lead"},
    )
    assert response.status_code == 302
    account = Account.objects.get(name="Công ty Biển Xanh")
    assert account.province.code == "ho-chi-minh"
    edit = client.get(reverse("customers:account_edit", args=[account.pk])).content.decode()
    assert 'value="TP. Hồ Chí Minh"' in edit


def test_suggestions_say_what_each_name_is_saved_as(hanoi):
    found = province_suggestions("binh duong")
    assert found[0].value == "Bình Dương" and found[0].province == "TP. Hồ Chí Minh"
    assert [s.value for s in province_suggestions("nha tr")][:1] == ["Nha Trang"]
    quan1 = province_suggestions("Q1")  # no name starts with it, but it can be placed
    assert quan1[0].value == "Q1" and quan1[0].province == "TP. Hồ Chí Minh"
    assert len(province_suggestions("")) == Province.objects.count()  # the 2025 list
    assert province_suggestions("atlantis") == []
    assert len(province_suggestions("h")) == 10


def test_the_suggestions_page(client, client_as, hanoi):
    url = reverse("customers:province_suggestions")
    assert client.get(url, {"q": "hue"}).status_code == 302  # sign in first
    client = client_as("care")
    html = client.get(url, {"q": "Thua Thien"}).content.decode()
    assert 'data-value="Thừa Thiên Huế"' in html and "Huế" in html
    html = client.get(url, {"q": XSS}).content.decode()
    assert "<img" not in html and 'data-testid="no-province-suggestion"' in html
    assert client.post(url, {"q": "hue"}).status_code == 405
