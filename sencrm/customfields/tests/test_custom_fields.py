"""Custom fields: defined by an administrator, validated everywhere, shown, filtered, exported, in the API."""

from __future__ import annotations

import csv
import io

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.urls import reverse

from sencrm.customers import services
from sencrm.customers.models import Contact
from sencrm.customfields.models import CustomField

XSS = '"><img src=x onerror=alert(1)>'


@pytest.fixture
def fields(db):
    ct = ContentType.objects.get_for_model(Contact)
    return {
        "btu": CustomField.objects.create(
            content_type=ct, key="btu", label="Công suất (BTU)", type="number", show_in_list=True
        ),
        "budget": CustomField.objects.create(content_type=ct, key="budget", label="Ngân sách", type="money"),
        "install_date": CustomField.objects.create(
            content_type=ct, key="install_date", label="Ngày lắp", type="date"
        ),
        "brand": CustomField.objects.create(
            content_type=ct,
            key="brand",
            label="Hãng",
            type="choice",
            options=["Daikin", "Panasonic", "LG"],
            show_in_list=True,
        ),
        "rooms": CustomField.objects.create(
            content_type=ct, key="rooms", label="Phòng", type="multi", options=["Khách", "Ngủ", "Bếp"]
        ),
        "inverter": CustomField.objects.create(
            content_type=ct, key="inverter", label="Inverter", type="bool"
        ),
    }


def test_values_are_validated_and_normalised(org, fields):
    c = services.contact_create(
        actor=org["sales1"],
        data={
            "full_name": "Lê Văn Lạnh",
            "custom_field_data": {
                "btu": "12000",
                "budget": "15000000.4",
                "install_date": "15/08/2026",
                "brand": "Daikin",
                "rooms": ["Khách", "Ngủ"],
                "inverter": "true",
            },
        },
    )
    assert c.custom_field_data == {
        "btu": "12000",
        "budget": "15000000",
        "install_date": "2026-08-15",
        "brand": "Daikin",
        "rooms": ["Khách", "Ngủ"],
        "inverter": True,
    }


@pytest.mark.parametrize(
    "bad",
    [
        {"btu": "nhiều"},
        {"install_date": "30/02/2026"},
        {"brand": "Toshiba"},
        {"rooms": ["Sân"]},
        {"inverter": "maybe"},
        {"unknown": 1},
        {"btu": "1e999"},
    ],
)
def test_bad_values_are_refused_with_the_field_named(org, fields, bad):
    with pytest.raises(ValidationError) as excinfo:
        services.contact_create(actor=org["sales1"], data={"full_name": "X", "custom_field_data": bad})
    assert list(bad)[0] in str(excinfo.value)
    assert not Contact.all_objects.exists()


def test_required_fields(org, fields):
    fields["brand"].required = True
    fields["brand"].save()
    with pytest.raises(ValidationError):
        services.contact_create(actor=org["sales1"], data={"full_name": "X"})
    c = services.contact_create(
        actor=org["sales1"], data={"full_name": "X", "custom_field_data": {"brand": "LG"}}
    )
    # A partial update keeps the other values.
    c = services.contact_update(
        c, actor=org["sales1"], changes={"custom_field_data": {"btu": 9000}}, version=1
    )
    assert c.custom_field_data == {"brand": "LG", "btu": "9000"}


def test_form_detail_list_filter_and_export(client_as, org, fields):
    client = client_as("sales1")
    response = client.post(
        reverse("customers:contact_create"),
        {
            "full_name": "Phạm Thị Mát",
            "lifecycle_stage": "lead",
            "cf_btu": "18000",
            "cf_brand": "Panasonic",
            "cf_install_date": "01/09/2026",
            "cf_rooms": ["Bếp"],
            "cf_inverter": "on",
            "cf_budget": "20000000",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    services.contact_create(
        actor=org["sales1"], data={"full_name": "Trần Văn Khác", "custom_field_data": {"brand": "LG"}}
    )
    c = Contact.objects.get(full_name="Phạm Thị Mát")
    detail = client.get(c.get_absolute_url()).content.decode()
    assert "Panasonic" in detail and "01/09/2026" in detail and "20.000.000 ₫" in detail
    listed = client.get(reverse("customers:contact_list"), {"cf_brand": "Panasonic"}).content.decode()
    assert "Phạm Thị Mát" in listed and "Trần Văn Khác" not in listed and "Công suất (BTU)" in listed
    multi = client.get(reverse("customers:contact_list"), {"cf_rooms": "Bếp"}).content.decode()
    assert "Phạm Thị Mát" in multi and "Trần Văn Khác" not in multi
    assert client.get(reverse("customers:contact_list"), {"cf_brand": "Toshiba"}).status_code == 400
    body = b"".join(
        client.get(reverse("customers:contact_export"), {"cf_inverter": "true"}).streaming_content
    )
    rows = list(csv.reader(io.StringIO(body.decode().lstrip("\ufeff"))))
    assert "Hãng" in rows[0] and rows[1][rows[0].index("Hãng")] == "Panasonic" and len(rows) == 2


def test_bad_value_in_the_form_is_shown_not_saved(client_as, fields):
    response = client_as("sales1").post(
        reverse("customers:contact_create"), {"full_name": "X", "lifecycle_stage": "lead", "cf_btu": "nhiều"}
    )
    assert response.status_code == 400 and not Contact.all_objects.exists()


def test_api_reads_and_writes_custom_fields(client_as, fields):
    client = client_as("sales1")
    created = client.post(
        "/api/v1/contacts/",
        {"full_name": "API", "custom_fields": {"brand": "LG", "btu": 9000}},
        content_type="application/json",
    )
    assert created.status_code == 201 and created.json()["custom_fields"] == {"brand": "LG", "btu": "9000"}
    bad = client.post(
        "/api/v1/contacts/",
        {"full_name": "API", "custom_fields": {"brand": "Toshiba"}},
        content_type="application/json",
    )
    assert bad.status_code == 400 and "brand" in str(bad.json()["errors"])


def test_admin_defines_fields_and_labels_are_escaped(client_as, org):
    client = client_as("admin")
    ct = ContentType.objects.get_for_model(Contact)
    response = client.post(
        reverse("customfields:custom_field_create"),
        {"content_type": ct.pk, "key": "ghi_chu_ky_thuat", "label": XSS, "type": "text", "position": 0},
    )
    assert response.status_code == 302
    assert (
        client.post(
            reverse("customfields:custom_field_create"),
            {"content_type": ct.pk, "key": "Bad Key!", "label": "x", "type": "text", "position": 0},
        ).status_code
        == 400
    )
    assert (
        client.post(
            reverse("customfields:custom_field_create"),
            {"content_type": ct.pk, "key": "kind", "label": "x", "type": "choice", "position": 0},
        ).status_code
        == 400
    )
    html = client.get(reverse("customers:contact_create")).content.decode()
    assert "<img src=x" not in html and "&lt;img src=x" in html
    assert client_as("sales1").get(reverse("customfields:custom_field_list")).status_code == 403


def test_saved_views_are_personal(client_as, org):
    client = client_as("sales1")
    client.post(
        reverse("savedviews:saved_view_save", args=["contacts"]),
        {"name": "Khách VIP Hà Nội", "querystring": "province=ha-noi"},
    )
    page = client.get(reverse("customers:contact_list")).content.decode()
    assert "Khách VIP Hà Nội" in page and "province=ha-noi" in page
    from sencrm.savedviews.models import SavedView

    view = SavedView.objects.get()
    other = client_as("sales2")
    assert "Khách VIP Hà Nội" not in other.get(reverse("customers:contact_list")).content.decode()
    assert other.post(reverse("savedviews:saved_view_delete", args=["contacts", view.pk])).status_code == 404
    assert SavedView.objects.filter(pk=view.pk).exists()
    assert (
        client_as("sales1")
        .post(reverse("savedviews:saved_view_save", args=["nope"]), {"name": "x"})
        .status_code
        == 404
    )
