"""Contacts and accounts through their services: names, phones, emails, consent, events, the gate."""

from __future__ import annotations

import unicodedata

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from sencrm.core.exceptions import StaleRecord
from sencrm.customers import services
from sencrm.customers.models import Account, Contact, Phone
from sencrm.events.models import Event


def test_contact_keeps_the_name_exactly_and_parses_its_parts(make_contact):
    c = make_contact(full_name="  nguyễn thị ánh   tuyết ")
    assert c.full_name == "nguyễn thị ánh tuyết"  # never re-capitalised
    assert (c.family_name, c.middle_name, c.given_name) == ("nguyễn", "thị ánh", "tuyết")
    assert c.sort_key == "tuyet nguyen thi anh"


def test_nfd_input_is_stored_as_nfc(make_contact):
    c = make_contact(full_name=unicodedata.normalize("NFD", "Đặng Văn Hoà"))
    assert c.full_name == unicodedata.normalize("NFC", "Đặng Văn Hoà")


def test_phones_in_any_format_are_one_number(make_contact):
    c = make_contact(phones=["0912 345 678", "+84 912 345 678", "01689 123 456"])
    assert list(c.phones.values_list("e164", flat=True)) == ["+84912345678", "+84389123456"]
    assert list(c.phones.values_list("number", flat=True)) == ["0912 345 678", "01689 123 456"]
    assert c.primary_phone == "0912 345 678"


def test_an_invalid_phone_is_refused_and_nothing_is_written(org):
    with pytest.raises(ValidationError) as excinfo:
        services.contact_create(actor=org["sales1"], data={"full_name": "Lê Văn Tám"}, phones=["12345"])
    assert "phones" in excinfo.value.error_dict
    assert not Contact.all_objects.exists()


def test_an_invalid_email_is_refused(org):
    with pytest.raises(ValidationError):
        services.contact_create(
            actor=org["sales1"], data={"full_name": "Lê Văn Tám"}, emails=["not-an-email"]
        )


def test_create_emits_one_event_with_children(make_contact):
    c = make_contact(emails=["Tuyet@Example.vn"])
    event = Event.objects.get(type="contact.created", subject_id=c.pk)
    assert event.customer_id == c.pk
    assert event.data["record"]["phones"] == ["0912 345 678"]
    assert event.data["record"]["emails"] == ["Tuyet@Example.vn"]


def test_update_of_phones_is_audited_and_versioned(org, make_contact):
    c = make_contact()
    c = services.contact_update(c, actor=org["sales1"], changes={}, version=1, phones=["0987 654 321"])
    assert c.version == 2
    event = Event.objects.get(type="contact.updated", subject_id=c.pk)
    assert event.data["changes"]["phones"] == [["0912 345 678"], ["0987 654 321"]]
    assert Phone.objects.get(contact=c).e164 == "+84987654321"


def test_saving_the_same_values_emits_nothing(org, make_contact):
    c = make_contact()
    services.contact_update(
        c,
        actor=org["sales1"],
        changes={"full_name": "Nguyễn Thị Ánh Tuyết"},
        version=1,
        phones=["0912 345 678"],
        emails=[],
    )
    assert not Event.objects.filter(type="contact.updated").exists()


def test_two_users_editing_the_same_contact(org, make_contact):
    c = make_contact()
    services.contact_update(c, actor=org["sales1"], changes={"title": "Chủ nhà"}, version=1)
    with pytest.raises(StaleRecord):
        services.contact_update(c, actor=org["manager"], changes={"title": "Khách VIP"}, version=1)
    c.refresh_from_db()
    assert c.title == "Chủ nhà"


def test_consent_is_recorded_with_date_and_source(org, make_contact):
    c = make_contact()
    services.contact_update(
        c,
        actor=org["sales1"],
        changes={},
        version=1,
        consents={"zalo": {"granted": True, "source": "Tin nhắn Zalo 01/08"}},
    )
    consent = c.consents.get(channel="zalo")
    assert consent.granted and consent.source == "Tin nhắn Zalo 01/08" and consent.recorded_at
    assert Event.objects.get(type="contact.updated").data["changes"]["consent_zalo"] == [None, True]


def test_sales_cannot_touch_another_teams_contact(org, make_contact):
    c = make_contact(owner="sales2")
    with pytest.raises(Http404):
        services.contact_update(c, actor=org["sales1"], changes={"title": "x"}, version=1)
    with pytest.raises(Http404):
        services.contact_delete(c, actor=org["sales1"])
    c.refresh_from_db()
    assert c.title == "" and c.deleted_at is None


def test_read_only_roles_cannot_create(org):
    for username in ("marketing", "accountant", "tech", "board"):
        with pytest.raises(PermissionDenied):
            services.contact_create(actor=org[username], data={"full_name": "Trần Văn B"})


def test_account_tax_code_is_validated(org):
    for bad in ["123", "01012345678", "0101234567-1", "abcdefghij"]:
        with pytest.raises(ValidationError):
            services.account_create(actor=org["sales1"], data={"name": "Công ty A", "tax_code": bad})
    for good in ["0101234567", "0101234567-001", "001085012345"]:
        account = services.account_create(
            actor=org["sales1"], data={"name": f"Công ty {good}", "tax_code": good}
        )
        assert account.tax_code == good
    assert Account.objects.count() == 3


def test_website_must_be_http(org):
    with pytest.raises(ValidationError):
        services.account_create(actor=org["sales1"], data={"name": "X", "website": "javascript:alert(1)"})
