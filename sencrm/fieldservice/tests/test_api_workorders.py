"""`/api/v1/work-orders/`: the contract's field names, creating, booking, the moves of a job with parts,
checklist, signature and the report, bad input, and the gate on every door (a technician sees only theirs)."""

from __future__ import annotations

import base64
import datetime as dt
import io

import pytest
from django.utils import timezone
from PIL import Image

from sencrm.fieldservice.models import WorkOrder, WorkOrderCheck
from sencrm.fieldservice.tests.fs_helpers import (  # noqa: F401  (fixtures)
    aircon_fixture,
    make_asset_fixture,
    make_work_order_fixture,
    part_fixture,
    tech2_fixture,
)
from sencrm.support.tests.api_helpers import bearer, patch, post

pytestmark = pytest.mark.django_db
URL = "/api/v1/work-orders/"
CONTRACT = {
    "id", "number", "kind", "status", "assets", "technician", "scheduled_start", "scheduled_end",
    "contact", "account", "ticket", "parts", "signed_at",
}  # fmt: skip


def _at(hour: int, days: int = 1) -> dt.datetime:
    day = timezone.localdate() + dt.timedelta(days=days)
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, 0)))


def _png() -> str:
    image = Image.new("RGB", (200, 80), "white")
    out = io.BytesIO()
    image.save(out, "PNG")
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()


@pytest.fixture
def customer(make_contact):
    return make_contact()


def test_create_book_and_work_a_job_through_the_api(org, customer, make_asset, part, tech2):
    from sencrm.fieldservice.models import Technician

    Technician.objects.get_or_create(user=org["tech"])
    asset = make_asset(customer)
    care = bearer(org, "care")
    created = post(
        care, URL, {"kind": "repair", "title": "Máy không lạnh", "contact": customer.pk, "assets": [asset.pk]}
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert set(body) >= CONTRACT
    assert (body["status"], body["technician"], body["assets"]) == ("scheduled", None, [asset.pk])
    assert body["number"].startswith("CV-")
    wo_url = f"{URL}{body['id']}/"
    booked = post(
        care,
        f"{wo_url}schedule/",
        {
            "technician": org["tech"].pk,
            "scheduled_start": _at(9).isoformat(),
            "scheduled_end": _at(10).isoformat(),
        },
    )
    assert booked.status_code == 200, booked.content
    assert booked.json()["technician"] == org["tech"].pk

    tech = bearer(org, "tech")
    assert tech.get(wo_url).status_code == 200
    assert [r["id"] for r in tech.get(URL).json()["results"]] == [body["id"]]
    assert (
        post(
            tech, f"{wo_url}schedule/", {"technician": None, "scheduled_start": None, "scheduled_end": None}
        ).status_code
        == 403
    )
    for step in ("on_the_way", "in_progress"):
        assert post(tech, f"{wo_url}transition/", {"status": step}).status_code == 200
    check = WorkOrderCheck.objects.create(work_order_id=body["id"], text="Kiểm tra gas")
    assert post(tech, f"{wo_url}checks/{check.pk}/", {"done": True}).status_code == 200
    added = post(tech, f"{wo_url}parts/", {"product": part.pk, "quantity": "1", "asset": asset.pk})
    assert added.status_code == 201
    assert added.json()["parts"][0]["chargeable"] is False  # the asset is in warranty
    assert (
        post(tech, f"{wo_url}signature/", {"image": _png(), "signed_by": "Nguyễn Thị Ánh Tuyết"}).status_code
        == 200
    )
    done = post(
        tech, f"{wo_url}transition/", {"status": "done", "result_notes": "Đã nạp gas", "minutes_spent": 40}
    )
    assert done.status_code == 200, done.content
    assert done.json()["status"] == "done" and done.json()["signed_at"]
    pdf = tech.get(f"{wo_url}report/")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"


def test_other_doors_are_closed(org, customer, make_asset, make_work_order, tech2):
    wo = make_work_order(customer, technician="tech", start=_at(9))
    wo_url = f"{URL}{wo.pk}/"
    from django.test import Client

    from sencrm.users.services import api_token_create

    _t, raw = api_token_create(user=tech2, name="script")
    other = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    for door in ("", "report/"):
        assert other.get(f"{wo_url}{door}").status_code == 404
    assert post(other, f"{wo_url}transition/", {"status": "on_the_way"}).status_code == 404
    assert other.get(URL).json()["results"] == []
    assert bearer(org, "sales1").get(URL).status_code == 403
    assert bearer(org, "sales1").get(wo_url).status_code == 403
    assert post(bearer(org, "tech"), URL, {"kind": "repair", "title": "x"}).status_code == 403


def test_bad_input_is_a_400(org, customer, make_work_order):
    wo = make_work_order(customer, technician="tech", start=_at(9))
    care = bearer(org, "care")
    wo_url = f"{URL}{wo.pk}/"
    assert post(care, URL, {"kind": "teleport", "title": "x"}).status_code == 400
    assert post(care, URL, {"kind": "repair", "title": "x", "contact": 999999}).status_code == 400
    assert post(care, f"{wo_url}transition/", {"status": "done"}).status_code == 400  # not started
    assert post(care, f"{wo_url}transition/", {"status": "cancelled"}).status_code == 400  # no reason
    assert (
        post(
            care, f"{wo_url}signature/", {"image": "data:image/png;base64,PHNjcmlwdD4=", "signed_by": "A"}
        ).status_code
        == 400
    )
    assert patch(care, wo_url, {"technician": None}).status_code == 400
    assert patch(care, wo_url, {"title": "Trước", "version": wo.version}).status_code == 200
    stale = patch(care, wo_url, {"title": "Mới", "version": wo.version})  # opened before that change
    assert stale.status_code == 409
    assert care.get(f"{URL}?scheduled_from=yesterday").status_code == 400
    assert WorkOrder.objects.get(pk=wo.pk).title != "Mới"


def test_csv_uses_the_export_scope(org, customer, make_work_order):
    make_work_order(customer, technician="tech", start=_at(9))
    assert bearer(org, "care").get(f"{URL}?format=csv").status_code == 200
    assert bearer(org, "tech").get(f"{URL}?format=csv").status_code == 403  # technicians do not export


def test_the_list_does_not_grow_its_queries(org, customer, make_work_order, make_asset):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    care = bearer(org, "care")
    make_work_order(customer, technician="tech", start=_at(8), assets=[make_asset(customer)])
    care.get(URL)
    with CaptureQueriesContext(connection) as one:
        care.get(URL)
    for n in range(10):
        make_work_order(customer, technician="tech", start=_at(8, days=n + 2), assets=[make_asset(customer)])
    with CaptureQueriesContext(connection) as eleven:
        answer = care.get(URL)
    assert len(answer.json()["results"]) == 11
    assert len(eleven) == len(one)
