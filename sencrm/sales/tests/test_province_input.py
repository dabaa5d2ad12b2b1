"""The web-to-lead form never loses a lead over the province: an old name or a city is placed in its
2025 province, a name that cannot be placed is kept on the lead as typed."""

from __future__ import annotations

import pytest

from sencrm.sales.models import Lead, WebFormSubmission
from sencrm.sales.tests.test_webform import quick_visitors, submit, webform  # noqa: F401 - fixtures


@pytest.fixture
def form(webform):  # noqa: F811 - the web form of test_webform
    return webform


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("khanh-hoa", "khanh-hoa"),
        ("Nha Trang", "khanh-hoa"),
        ("tinh binh dinh", "gia-lai"),
        ("Thủ Đức", "ho-chi-minh"),
    ],
)
def test_a_code_an_old_province_or_a_city_is_placed_in_its_2025_province(form, typed, code):
    assert submit(form, province=typed).status_code == 303
    lead = Lead.objects.get()
    assert lead.province.code == code and "Tỉnh/Thành phố" not in lead.interest


def test_an_unknown_province_keeps_the_lead_and_the_typed_text(form):
    response = submit(form, province="Gotham <b>City</b>", interest="Điều hòa 12000 BTU")
    assert response.status_code == 303  # thanked, like any other visitor
    lead = Lead.objects.get()
    assert lead.province is None
    assert lead.interest == "Điều hòa 12000 BTU\nTỉnh/Thành phố: Gotham <b>City</b>"
    assert WebFormSubmission.objects.get().outcome == "created"


def test_an_unknown_province_is_kept_even_without_an_interest_field(form):
    form.fields = ["phone", "province"]
    form.save()
    assert submit(form, province="Atlantis").status_code == 303
    assert Lead.objects.get().interest == "Tỉnh/Thành phố: Atlantis"


def test_the_lead_api_takes_an_old_name_and_refuses_an_unknown_one(client_as, pipelines):
    client = client_as("sales1")
    created = client.post(
        "/api/v1/leads/", {"full_name": "Khách Mới", "province": "Kon Tum"}, content_type="application/json"
    )
    assert created.status_code == 201, created.json()
    assert created.json()["province"] == "quang-ngai"
    refused = client.post(
        "/api/v1/leads/", {"full_name": "Khách Lạ", "province": "Atlantis"}, content_type="application/json"
    )
    assert refused.status_code == 400 and "province" in refused.json()["errors"]
    assert Lead.objects.count() == 1


def test_the_lead_list_filters_on_an_old_name(client_as, make_lead):
    from django.urls import reverse

    from sencrm.customers.models import Province

    make_lead(full_name="Khách Phan Thiết", province=Province.objects.get(code="lam-dong"))
    make_lead(full_name="Khách Hà Nội", phones=["0903 111 333"])
    html = client_as("sales1").get(reverse("sales:lead_list"), {"province": "Bình Thuận"}).content.decode()
    assert "Khách Phan Thiết" in html and "Khách Hà Nội" not in html


def test_the_lead_form_takes_an_old_province_and_refuses_an_unknown_one(client_as, pipelines):
    from django.urls import reverse

    client = client_as("sales1")
    form = client.get(reverse("sales:lead_create")).content.decode()
    assert 'data-province-input="' in form and "js/provinces" in form
    data = {
        "full_name": "Khách Bình Dương",
        "phones": "0903 222 444",
        "status": "new",
        "province": "Thủ Dầu Một",
    }
    assert client.post(reverse("sales:lead_create"), data).status_code == 302
    lead = Lead.objects.get()
    assert lead.province.code == "ho-chi-minh"
    edit = client.get(reverse("sales:lead_edit", args=[lead.pk])).content.decode()
    assert 'value="TP. Hồ Chí Minh"' in edit
    refused = client.post(
        reverse("sales:lead_edit", args=[lead.pk]),
        {**data, "province": "Gotham", "version": lead.version},
    )
    assert refused.status_code == 400 and "Không rõ tỉnh/thành phố" in refused.content.decode()
    lead.refresh_from_db()
    assert lead.province.code == "ho-chi-minh" and lead.version == 1
