"""`/api/v1/maintenance-plans/`: create, read (with the next visits), change, end and delete; who may (care
all, a technician none of them, sales no right at all); bad input answered 400 with the field's reason."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone, translation

from sencrm.fieldservice.models import MaintenancePlan
from sencrm.fieldservice.tests.fs_helpers import tech2_fixture  # noqa: F401
from sencrm.fieldservice.tests.plan_helpers import (  # noqa: F401  (fixtures)
    aircon_fixture,
    contract_fixture,
    lan_fixture,
    make_asset_fixture,
    make_plan_fixture,
)
from sencrm.support.tests.api_helpers import bearer, patch, post

URL = "/api/v1/maintenance-plans/"
TODAY = timezone.localdate()


@pytest.fixture
def body(lan, aircon):
    return {
        "name": "Vệ sinh điều hòa",
        "contact": lan.pk,
        "product": aircon.pk,
        "interval_months": 6,
        "start_date": (TODAY + dt.timedelta(days=3)).isoformat(),
        "lead_days": 14,
    }


def test_care_creates_a_plan_and_reads_its_next_visits(org, lan, make_asset, body):
    asset = make_asset(lan)
    answer = post(bearer(org, "care"), URL, {**body, "assets": [asset.pk]})
    assert answer.status_code == 201, answer.content
    data = answer.json()
    assert data["assets"] == [asset.pk] and data["active"] is True and data["interval_months"] == 6
    assert [v["due_date"] for v in data["next_visits"]] == [body["start_date"]]
    assert data["next_visits"][0]["status"] == "planned" and data["version"] == 1


def test_list_filters_and_does_not_query_per_plan(org, make_plan, django_assert_max_num_queries):
    for n in range(6):
        make_plan(name=f"Kế hoạch {n}", start_date=TODAY + dt.timedelta(days=n))
    client = bearer(org, "care")
    with django_assert_max_num_queries(14):
        answer = client.get(URL)
    assert answer.status_code == 200 and len(answer.json()["results"]) == 6
    assert all(len(p["next_visits"]) == 1 for p in answer.json()["results"])
    assert client.get(URL + "?active=false").json()["results"] == []
    assert client.get(URL + "?active=maybe").status_code == 400


def test_change_end_and_delete(org, make_plan):
    plan = make_plan(start_date=TODAY + dt.timedelta(days=3))
    client = bearer(org, "care")
    changed = patch(client, f"{URL}{plan.pk}/", {"remind_days": 5, "version": 1})
    assert changed.status_code == 200 and changed.json()["remind_days"] == 5
    with translation.override("en"):
        assert post(client, f"{URL}{plan.pk}/end/", {}).status_code == 400  # the reason is required
    ended = post(client, f"{URL}{plan.pk}/end/", {"reason": "Khách hủy"})
    assert ended.status_code == 200 and ended.json()["active"] is False and ended.json()["next_visits"] == []
    assert client.delete(f"{URL}{plan.pk}/").status_code == 403  # care has no delete right
    assert bearer(org, "admin").delete(f"{URL}{plan.pk}/").status_code == 204
    assert MaintenancePlan.all_objects.get(pk=plan.pk).is_deleted


def test_access_on_every_door(org, make_plan, body, tech2):
    plan = make_plan()
    detail = f"{URL}{plan.pk}/"
    for user in ("tech", "tech2"):
        client = bearer(org | {"tech2": tech2}, user)
        assert client.get(URL).json()["results"] == []
        assert client.get(detail).status_code == 404
        assert patch(client, detail, {"remind_days": 1}).status_code == 404
        assert post(client, detail + "end/", {"reason": "x"}).status_code == 404
        assert post(client, URL, body).status_code == 403
    sales = bearer(org, "sales1")
    assert sales.get(URL).status_code == 403 and sales.get(detail).status_code == 403
    assert post(sales, URL, body).status_code == 403
    assert bearer(org, "care").get(detail).status_code == 200
    assert MaintenancePlan.objects.get(pk=plan.pk).active and plan.remind_days == 3


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"interval_months": 0}, "interval_months"),
        ({"interval_months": "sáu"}, "interval_months"),
        ({"end_date": "2020-01-01"}, "end_date"),
        ({"start_date": "31/02/2027"}, "start_date"),
        ({"contact": None}, "contact"),
        ({"contact": 10**12}, "contact"),
        ({"lead_days": -1}, "lead_days"),
        ({"assets": ["x"]}, "assets"),
    ],
)
def test_bad_input_is_a_400_with_the_field(org, body, change, field):
    answer = post(bearer(org, "care"), URL, {**body, **change})
    assert answer.status_code == 400, answer.content
    assert field in answer.content.decode()
    assert not MaintenancePlan.objects.exists()


def test_a_contract_outside_the_scope_is_refused_like_a_missing_one(org, make_contact):
    from sencrm.commerce.models import Contract

    hcm = Contract.objects.create(
        number="HD-HCM-2", name="Bảo trì", owner=org["sales2"], status="signed", start_date=TODAY
    )
    customer = make_contact(owner="sales1", full_name="Phạm Thị Hoa", phones=("0977 123 456",))
    body = {"contact": customer.pk, "contract": hcm.pk, "interval_months": 6, "start_date": TODAY.isoformat()}
    answer = post(bearer(org, "manager"), URL, body)
    missing = post(bearer(org, "manager"), URL, {**body, "contract": hcm.pk + 1000})
    assert answer.status_code == missing.status_code == 400
    hidden, absent = answer.json()["errors"]["contract"][0], missing.json()["errors"]["contract"][0]
    assert hidden.replace(str(hcm.pk), "N") == absent.replace(str(hcm.pk + 1000), "N")


def test_the_webhook_catalogue_names_the_after_sales_events():
    from sencrm.events.webhooks.catalog import event_types

    types = set(event_types())
    assert "maintenance_plan.created" in types
    missing = {"maintenance.due", "asset.warranty_expiring"} - types
    if missing:
        pytest.xfail(f"the lead adds {sorted(missing)} to EXTRA_TYPES (events/webhooks/catalog.py)")
