"""Installed-product pages: list (filters, search, export), the asset's page (warranty card, check on a date,
void, status, history), the form; the gate on every door (technician only their jobs' assets, another
technician none, sales no right, care all); bad input answers 400 with the reason."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from sencrm.fieldservice.tests.fs_helpers import (  # noqa: F401  (fixtures)
    aircon_fixture,
    make_asset_fixture,
    make_work_order_fixture,
    part_fixture,
    tech2_fixture,
)

TODAY = timezone.localdate()
LIST = reverse("fieldservice:asset_list")
EXPORT = reverse("fieldservice:asset_export")


@pytest.fixture
def lan(make_contact):
    return make_contact(
        owner="sales1", full_name="Phạm Thị Lan", phones=("0977 111 222",), street="5 Hàng Gai"
    )


@pytest.fixture
def login(client, org, tech2):
    def as_user(name):
        client.force_login(tech2 if name == "tech2" else org[name])
        return client

    return as_user


def test_the_gate_on_the_list_page_detail_and_export(login, lan, make_asset, make_work_order):
    on_job = make_asset(lan, serial_number="JOB-1")
    elsewhere = make_asset(lan, serial_number="ELSE-1")
    make_work_order(lan, technician="tech", assets=[on_job])
    tech = login("tech")
    page = tech.get(LIST).content.decode()
    assert "JOB-1" in page and "ELSE-1" not in page
    assert tech.get(on_job.get_absolute_url()).status_code == 200
    assert tech.get(elsewhere.get_absolute_url()).status_code == 404
    assert (
        tech.get(
            reverse("fieldservice:asset_warranty", args=[elsewhere.pk]), {"on": "01/01/2026"}
        ).status_code
        == 404
    )
    assert tech.get(EXPORT).status_code == 403  # no export right
    other = login("tech2")
    assert "JOB-1" not in other.get(LIST).content.decode()
    assert other.get(on_job.get_absolute_url()).status_code == 404
    sales = login("sales1")
    assert sales.get(LIST).status_code == 403
    assert sales.get(on_job.get_absolute_url()).status_code in (403, 404)
    assert sales.get(EXPORT).status_code == 403
    care = login("care")
    page = care.get(LIST).content.decode()
    assert "JOB-1" in page and "ELSE-1" in page
    csv = care.get(EXPORT, {"format": "csv"})
    text = b"".join(csv.streaming_content).decode("utf-8-sig")
    assert "JOB-1" in text and "ELSE-1" in text
    assert care.get(EXPORT, {"format": "xlsx"}).status_code == 200
    assert care.get(EXPORT, {"format": "pdf"}).status_code == 400


def test_filters_search_and_bad_filter_values(login, lan, make_asset, make_contact):
    make_asset(lan, serial_number="OLD-1", installed_on=TODAY - dt.timedelta(days=365 * 3))  # out
    make_asset(lan, serial_number="END-1", installed_on=TODAY - dt.timedelta(days=720))  # ends within 30 days
    from sencrm.fieldservice.assets import search_key
    from sencrm.fieldservice.models import Asset

    duc = make_asset(make_contact(owner="sales1", full_name="Nguyễn Văn Đức"), serial_number="NEW-1")
    Asset.objects.filter(pk=duc.pk).update(search_key=search_key(duc))  # the fixture writes rows directly
    care = login("care")

    def serials(**params):
        body = care.get(LIST, params).content.decode()
        return {s for s in ("OLD-1", "END-1", "NEW-1") if s in body}

    assert serials(warranty="out") == {"OLD-1"}
    assert serials(warranty="in") == {"END-1", "NEW-1"}
    assert serials(warranty="expiring") == {"END-1"}
    assert serials(q="duc") == {"NEW-1"}  # accents folded
    assert serials(status="removed") == set()
    with translation.override("en"):
        bad = care.get(LIST, {"warranty": "maybe"})
    assert bad.status_code == 400
    assert care.get(LIST, {"cursor": "forged"}).status_code == 400


def test_the_list_is_not_n_plus_one(login, lan, make_asset, django_assert_max_num_queries):
    for _ in range(20):
        make_asset(lan)
    care = login("care")
    with django_assert_max_num_queries(14):
        assert care.get(LIST).status_code == 200


def test_the_asset_page_shows_the_warranty_card_and_history(login, lan, make_asset, make_work_order):
    asset = make_asset(lan, installed_on=dt.date(2025, 3, 15), serial_number="DK-55")
    make_work_order(lan, technician="tech", assets=[asset], result_notes="Thay tụ điện", status="done")
    care = login("care")
    page = care.get(asset.get_absolute_url()).content.decode()
    assert "DK-55" in page and "14/03/2027" in page and "Thay tụ điện" in page
    url = reverse("fieldservice:asset_warranty", args=[asset.pk])
    last = care.get(url, {"on": "14/03/2027"}, HTTP_HX_REQUEST="true")
    assert 'data-in="1"' in last.content.decode()
    after = care.get(url, {"on": "15/03/2027"}, HTTP_HX_REQUEST="true")
    assert 'data-in="0"' in after.content.decode()
    assert care.get(url, {"on": "31/02/2027"}).status_code == 400


def test_void_and_status_forms(login, lan, make_asset):
    from sencrm.fieldservice.models import Asset

    asset = make_asset(lan, installed_on=TODAY - dt.timedelta(days=30))
    care = login("care")
    void = reverse("fieldservice:asset_void", args=[asset.pk])
    assert care.post(void, {"reason": "", "on": TODAY.strftime("%d/%m/%Y")}).status_code == 400
    answer = care.post(void, {"reason": "Khách tự sửa máy", "on": TODAY.strftime("%d/%m/%Y")})
    assert answer.status_code == 302
    asset.refresh_from_db()
    assert (asset.warranty_void_on, asset.warranty_void_reason) == (TODAY, "Khách tự sửa máy")
    status = reverse("fieldservice:asset_status", args=[asset.pk])
    assert care.post(status, {"status": "under_repair"}).status_code == 302
    assert Asset.objects.get(pk=asset.pk).status == "under_repair"
    assert care.post(status, {"status": "replaced", "replaced_by": "999999"}).status_code == 400
    # a technician not on a job of this asset cannot post
    assert login("tech").post(status, {"status": "removed"}).status_code == 404
    assert Asset.objects.get(pk=asset.pk).status == "under_repair"


def test_create_prefilled_from_a_contact_and_edit(login, lan, aircon):
    from sencrm.fieldservice.models import Asset

    care = login("care")
    new = reverse("fieldservice:asset_create")
    form = care.get(new, {"contact": lan.pk})
    assert form.status_code == 200 and f'value="{lan.pk}" selected' in form.content.decode()
    body = {"product": aircon.pk, "serial_number": "FORM-1", "contact": lan.pk, "installed_on": "10/01/2026",
            "status": "installed", "quantity": 1}  # fmt: skip
    answer = care.post(new, body)
    assert answer.status_code == 302, answer.content.decode()[:2000]
    asset = Asset.objects.get(serial_number="FORM-1")
    assert asset.warranty_until == dt.date(2028, 1, 9) and asset.site_street == "5 Hàng Gai"
    with translation.override("en"):
        again = care.post(new, body)
    assert again.status_code == 400 and "FORM-1" in again.content.decode()  # the message names it
    edit = reverse("fieldservice:asset_edit", args=[asset.pk])
    changed = care.post(edit, {**body, "serial_number": "FORM-2", "version": asset.version})
    assert changed.status_code == 302
    stale = care.post(edit, {**body, "serial_number": "FORM-3", "version": asset.version})
    assert stale.status_code == 409
    assert login("tech").get(new).status_code == 403
