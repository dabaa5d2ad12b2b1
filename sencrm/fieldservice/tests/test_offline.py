"""The phone screen's queue: `POST /field/sync/` applies each change once however often it is sent, answers a
refused change with its message (the others still applied), never touches someone else's work order, and
refuses what is not a queue with a 400; the phone pages show a technician only their own jobs."""

from __future__ import annotations

import base64
import datetime as dt
import io
import json
import uuid

import pytest
from django.test import Client
from django.utils import timezone
from PIL import Image

from sencrm.events.models import Event
from sencrm.fieldservice.models import OfflineChange, WorkOrder, WorkOrderCheck
from sencrm.fieldservice.tests.fs_helpers import (  # noqa: F401  (fixtures)
    aircon_fixture,
    make_asset_fixture,
    make_work_order_fixture,
    tech2_fixture,
)

pytestmark = pytest.mark.django_db
SYNC = "/field/sync/"


def _today(hour: int) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(timezone.localdate(), dt.time(hour, 0)))


def _change(wo: WorkOrder, action: str, **data: object) -> dict[str, object]:
    return {"id": str(uuid.uuid4()), "work_order": wo.pk, "action": action, "data": data}


def _png() -> str:
    out = io.BytesIO()
    Image.new("RGB", (120, 60), "white").save(out, "PNG")
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()


def _send(client: Client, changes: object) -> object:
    return client.post(SYNC, json.dumps({"changes": changes}), content_type="application/json")


@pytest.fixture
def job(org, make_contact, make_asset, make_work_order):
    contact = make_contact()
    wo = make_work_order(contact, technician="tech", start=_today(9), assets=[make_asset(contact)])
    WorkOrderCheck.objects.create(work_order=wo, text="Kiểm tra gas")
    return wo


def test_a_queue_replayed_twice_is_applied_once(client_as, job):
    check = job.checks.get()
    queue = [
        _change(job, "status", status="on_the_way"),
        _change(job, "status", status="in_progress"),
        _change(job, "check", check=check.pk, done=True),
        _change(job, "sign", image=_png(), signed_by="Nguyễn Thị Ánh Tuyết"),
        _change(job, "finish", result_notes="Đã vệ sinh", minutes_spent=35),
    ]
    tech = client_as("tech")
    first = _send(tech, queue)
    assert first.status_code == 200
    assert [r["status_code"] for r in first.json()["results"]] == [200] * 5
    events = Event.objects.filter(type__startswith="work_order.").count()
    again = _send(tech, queue)  # the answer was lost: the phone sends the same queue again
    assert [r.get("replayed") for r in again.json()["results"]] == [True] * 5
    assert Event.objects.filter(type__startswith="work_order.").count() == events
    job.refresh_from_db()
    check.refresh_from_db()
    assert (job.status, job.minutes_spent, job.result_notes, check.done) == ("done", 35, "Đã vệ sinh", True)
    assert job.signed_at is not None and job.signed_by == "Nguyễn Thị Ánh Tuyết"
    assert OfflineChange.objects.count() == 5


def test_a_refused_change_is_answered_and_the_others_applied(client_as, job):
    queue = [
        _change(job, "status", status="done"),  # not like this: finish says how it went
        _change(job, "status", status="on_the_way"),
        _change(
            job, "sign", image="data:image/png;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==", signed_by="X"
        ),
    ]
    answers = _send(client_as("tech"), queue).json()["results"]
    assert [a["status_code"] for a in answers] == [400, 200, 400]
    assert all(a["message"] for a in (answers[0], answers[2]))
    job.refresh_from_db()
    assert job.status == "on_the_way" and job.signed_at is None
    again = _send(client_as("tech"), queue[:1]).json()["results"][0]
    assert again["replayed"] is True and again["status_code"] == 400


def test_someone_elses_work_order_is_not_touched(org, job, tech2):
    other = Client()
    other.force_login(tech2)
    answer = _send(other, [_change(job, "status", status="on_the_way")]).json()["results"][0]
    assert answer["status_code"] == 404
    job.refresh_from_db()
    assert job.status == "scheduled" and not OfflineChange.objects.exists()
    assert other.get(f"/field/{job.pk}/").status_code == 404


@pytest.mark.parametrize(
    "body",
    [
        "not json",
        json.dumps({"changes": "x"}),
        json.dumps({"changes": [{"id": "short", "work_order": 1, "action": "status"}]}),
        json.dumps({"changes": [{"id": "a" * 20, "work_order": "1", "action": "status"}]}),
        json.dumps({"changes": [{"id": "a" * 20, "work_order": 1, "action": "format_disk"}]}),
        json.dumps({"changes": [{"id": str(i) * 10, "work_order": 1, "action": "note"} for i in range(201)]}),
    ],
)
def test_what_is_not_a_queue_is_a_400(client_as, job, body):
    answer = client_as("tech").post(SYNC, body, content_type="application/json")
    assert answer.status_code == 400 and answer.json()["detail"]
    job.refresh_from_db()
    assert job.status == "scheduled"


def test_the_phone_pages(client_as, org, job, django_assert_max_num_queries):
    tech = client_as("tech")
    with django_assert_max_num_queries(12):
        day = tech.get("/field/")
    assert day.status_code == 200 and day.content.decode().count('data-testid="field-job"') == 1
    page = tech.get(f"/field/{job.pk}/").content.decode()
    assert 'data-testid="field-check"' in page and 'data-testid="field-signature"' in page
    assert client_as("care").get(f"/field/{job.pk}/").status_code == 404  # not care's job to do
    assert client_as("sales1").get("/field/").status_code == 403
    assert client_as("sales1").post(SYNC, "[]", content_type="application/json").status_code == 403
    sw = tech.get("/field/sw.js")
    assert sw.status_code == 200 and sw["Service-Worker-Allowed"] == "/field/"
