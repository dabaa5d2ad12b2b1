"""The board's move endpoint: a drop assigns, reschedules or unassigns a work order through
services.work_order_schedule; a refused move (double booking, an absence, a stale version) answers 409 with
the reason and changes nothing; bad input answers 400, an id out of reach 404 — never 500."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import translation

from sencrm.events.models import Event
from sencrm.events.services import record_update
from sencrm.fieldservice.models import WorkOrder, WorkStatus
from sencrm.fieldservice.tests.fs_helpers import aircon_fixture, make_work_order_fixture, tech2_fixture  # noqa: F401
from sencrm.fieldservice.tests.test_dispatch import DAY, MOVE, at, board_fixture  # noqa: F401

pytestmark = pytest.mark.django_db


def move(client, wo, **fields):
    data = {"work_order": wo.pk, "version": wo.version, **fields}
    with translation.override("en"):
        return client.post(MOVE, data, HTTP_ACCEPT="application/json")


def test_a_drop_assigns_a_waiting_work_order(client_as, org, board):
    waiting = board["waiting"]

    response = move(
        client_as("care"),
        waiting,
        technician=org["tech"].pk,
        start="2026-12-07T13:00",
        end="2026-12-07T14:00",
    )

    assert response.status_code == 200, response.content
    waiting.refresh_from_db()
    assert waiting.technician_id == org["tech"].pk
    assert (waiting.scheduled_start, waiting.scheduled_end) == (at(13), at(14))
    assert waiting.version == 2
    item = response.json()["item"]
    assert item["technician"] == org["tech"].pk and item["start"] == "2026-12-07T13:00:00+07:00"
    assert item["version"] == 2 and item["number"] == waiting.number
    assert Event.objects.filter(subject_id=waiting.pk, type__startswith="work_order.").exists()


def test_a_drop_reschedules_to_another_technician_and_keeps_the_length(client_as, tech2, board):
    job = board["monday"]  # 09:00–10:30

    response = move(client_as("care"), job, technician=tech2.pk, start="2026-12-08T15:00")

    assert response.status_code == 200, response.content
    job.refresh_from_db()
    assert job.technician_id == tech2.pk
    start = at(15, day=DAY + dt.timedelta(days=1))
    assert (job.scheduled_start, job.scheduled_end) == (start, start + dt.timedelta(minutes=90))
    assert response.json()["item"]["minutes"] == 90


def test_a_drop_on_the_side_list_unassigns(client_as, board):
    job = board["monday"]

    response = move(client_as("care"), job, technician="")

    assert response.status_code == 200, response.content
    job.refresh_from_db()
    assert job.technician_id is None and job.scheduled_start is None
    item = response.json()["item"]
    assert item["technician"] is None and item["start"] is None


def test_double_booking_is_refused_with_409_and_nothing_changes(client_as, org, board):
    waiting = board["waiting"]

    response = move(
        client_as("care"),
        waiting,
        technician=org["tech"].pk,
        start="2026-12-07T09:30",
        end="2026-12-07T10:00",
    )

    assert response.status_code == 409
    assert response.json()["ok"] is False and response.json()["error"]
    waiting.refresh_from_db()
    assert waiting.technician_id is None and waiting.version == 1


def test_an_absence_is_refused_with_409(client_as, tech2, board):
    waiting = board["waiting"]

    response = move(
        client_as("care"), waiting, technician=tech2.pk, start="2026-12-07T08:00", end="2026-12-07T09:00"
    )

    assert response.status_code == 409
    assert response.json()["error"]
    assert WorkOrder.objects.get(pk=waiting.pk).technician_id is None


def test_a_stale_version_is_refused_with_409(client_as, org, board):
    job = board["monday"]
    # Someone else moved it to 11:00 after the board was opened at version 1.
    record_update(
        job, actor=org["care"], changes={"scheduled_start": at(11), "scheduled_end": at(12)}, version=1
    )

    response = move(client_as("care"), job, technician=org["tech"].pk, start="2026-12-07T16:00", version=1)

    assert response.status_code == 409
    assert response.json()["conflict"] is True and response.json()["error"]
    job.refresh_from_db()
    assert job.scheduled_start == at(11) and job.version == 2


def test_a_finished_work_order_does_not_move(client_as, org, board):
    done = board["done"]

    response = move(client_as("care"), done, technician=org["tech"].pk, start="2026-12-07T16:00")

    assert response.status_code == 409
    assert WorkOrder.objects.get(pk=done.pk).status == WorkStatus.DONE


def test_a_work_order_outside_the_dispatchers_scope_is_not_found(client_as, org, board):
    """The manager's scope is their team: care's work orders answer 404, like a missing one."""
    job = board["waiting"]

    response = move(client_as("manager"), job, technician=org["tech"].pk, start="2026-12-07T16:00")

    assert response.status_code == 404
    assert WorkOrder.objects.get(pk=job.pk).technician_id is None


@pytest.mark.parametrize(
    ("fields", "status"),
    [
        ({"work_order": "abc"}, 400),
        ({"work_order": "99999999999999999999"}, 400),
        ({"work_order": "987654"}, 404),
        ({"version": ""}, 400),
        ({"version": "-1"}, 400),
        ({"technician": "abc", "start": "2026-12-07T16:00"}, 400),
        ({"technician": "987654", "start": "2026-12-07T16:00"}, 400),
        ({"technician": "sales1", "start": "2026-12-07T16:00"}, 400),  # a user who is not a technician
        ({"technician": "tech"}, 400),  # no start
        ({"technician": "tech", "start": "07/12/2026 16:00"}, 400),
        ({"technician": "tech", "start": "2026-12-07T25:00"}, 400),
        ({"technician": "tech", "start": "9999-12-07T16:00"}, 400),
        ({"technician": "tech", "start": "2026-12-07T16:00", "end": "2026-12-07T15:00"}, 400),
        ({"technician": "tech", "start": "2026-12-07T16:00", "end": "2026-12-20T15:00"}, 400),
        ({"technician": "tech", "start": "2026-12-07T16:00", "end": "later"}, 400),
    ],
)
def test_bad_input_answers_4xx_with_a_message(client_as, org, board, fields, status):
    job = board["waiting"]
    if fields.get("technician") in ("tech", "sales1"):
        fields = {**fields, "technician": org[fields["technician"]].pk}

    response = move(client_as("care"), job, **fields)

    assert response.status_code == status
    assert response.json()["ok"] is False and response.json()["error"]
    job.refresh_from_db()
    assert job.technician_id is None and job.version == 1
