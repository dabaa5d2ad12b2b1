"""`/api/v1/campaigns/` and `/api/v1/campaigns/{id}/costs/`: the contract, validation and the gate."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from sencrm.marketing.models import Campaign, CampaignCost

BASE = "/api/v1/campaigns/"
FIELDS = {"id", "name", "channel", "start_date", "end_date", "budget", "utm_source", "utm_medium",
          "utm_campaign", "cost_total", "description", "contact_channel", "owner", "version"}  # fmt: skip


@pytest.fixture
def api(client_as):
    def login(username: str):
        return client_as(username)

    return login


def test_create_read_filter_update_delete(api, org):
    client = api("marketing")
    created = client.post(
        BASE,
        {"name": "Zalo OA T8", "channel": "zalo", "start_date": "2026-08-01", "budget": "5000000",
         "utm_source": "Zalo", "utm_campaign": "ZL-T8", "cost_total": "999", "owner": org["marketing"].pk},
        content_type="application/json",
    )  # fmt: skip
    assert created.status_code == 201, created.content
    body = created.json()
    assert body.keys() >= FIELDS
    assert body["budget"] == "5000000" and body["cost_total"] == "0" and body["utm_campaign"] == "zl-t8"
    pk = body["id"]
    cost = client.post(
        f"{BASE}{pk}/costs/", {"date": "2026-08-03", "amount": "1234567"}, content_type="application/json"
    )
    assert cost.status_code == 201 and cost.json()["amount"] == "1234567"
    assert client.get(f"{BASE}{pk}/").json()["cost_total"] == "1234567"
    assert [c["date"] for c in client.get(f"{BASE}{pk}/costs/").json()] == ["2026-08-03"]
    assert (
        client.get(BASE, {"channel": "zalo", "active_on": "2026-08-15", "q": "zalo"}).json()["results"][0][
            "id"
        ]
        == pk
    )
    assert client.get(BASE, {"active_on": "2026-07-01"}).json()["results"] == []
    changed = client.patch(
        f"{BASE}{pk}/",
        {"name": "Zalo OA tháng 8", "version": body["version"]},
        content_type="application/json",
    )
    assert changed.status_code == 200 and changed.json()["version"] == body["version"] + 1
    assert client.delete(f"{BASE}{pk}/").status_code == 204
    assert client.get(f"{BASE}{pk}/").status_code == 404


@pytest.mark.parametrize(
    "bad",
    [{"end_date": "2026-07-01"}, {"budget": "-1"}, {"budget": "1.5"}, {"channel": "fax"},
     {"start_date": "31/02/2026"}, {"name": "x" * 201}, {"budget": True}],
)  # fmt: skip
def test_bad_input_is_a_400_with_the_field(api, bad):
    data = {"name": "X", "channel": "zalo", "start_date": "2026-08-01", **bad}
    response = api("marketing").post(BASE, data, content_type="application/json")
    assert response.status_code == 400
    assert Campaign.objects.count() == 0


def test_costs_refuse_bad_amounts_and_others_campaigns(api, make_campaign):
    other = make_campaign(owner="admin", name="Của admin")
    client = api("marketing")
    for amount in ["-1", "1.5", "abc", "1" * 30]:
        response = client.post(
            f"{BASE}{other.pk}/costs/",
            {"date": "2026-08-03", "amount": amount},
            content_type="application/json",
        )
        assert response.status_code in (400, 403)
    assert (
        client.post(
            f"{BASE}{other.pk}/costs/", {"date": "2026-08-03", "amount": "1"}, content_type="application/json"
        ).status_code
        == 403
    )
    assert (
        client.patch(f"{BASE}{other.pk}/", {"name": "X"}, content_type="application/json").status_code == 403
    )
    assert CampaignCost.objects.count() == 0 and Campaign.objects.get(pk=other.pk).name == "Của admin"


def test_roles_sales_read_care_sees_nothing(api, make_campaign):
    campaign = make_campaign()
    sales = api("sales1")
    assert sales.get(f"{BASE}{campaign.pk}/").status_code == 200
    assert (
        sales.post(
            BASE,
            {"name": "X", "channel": "zalo", "start_date": "2026-08-01"},
            content_type="application/json",
        ).status_code
        == 403
    )
    care = api("care")
    assert care.get(BASE).status_code == 403
    assert care.get(f"{BASE}{campaign.pk}/").status_code in (403, 404)


def test_import_endpoint_reports_rows(api, make_campaign):
    campaign = make_campaign(utm_campaign="fb-t8")
    content = b"Day,Campaign name,Amount spent (VND)\r\n2026-08-01,fb-t8,100000\r\n2026-08-02,nope,5\r\n"
    client = api("marketing")
    for _ in range(2):
        response = client.post(f"{BASE}import-costs/", {"file": SimpleUploadedFile("fb.csv", content)})
        assert response.status_code == 200, response.content
    body = response.json()
    assert body["origin"] == "facebook" and body["rows"] == 1 and body["total"] == "100000"
    assert body["rejected"] == [
        {"line": 3, "reason": "không có chiến dịch nào có tên hoặc chiến dịch UTM này", "value": "nope"}
    ]
    assert Campaign.objects.get(pk=campaign.pk).cost_total == 100000
    assert (
        client.post(f"{BASE}import-costs/", {"file": SimpleUploadedFile("x.exe", b"MZ")}).status_code == 400
    )
