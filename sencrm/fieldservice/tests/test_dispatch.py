"""The dispatch board: its data (rows, cards, absences, the side list), filters, the fixed number of
queries, the gate on the page and its two endpoints, and the move endpoint (assign, reschedule,
unassign, refused moves) with bad input answered 4xx."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from sencrm.customers.models import Province
from sencrm.fieldservice.models import Skill, Technician, WorkOrder, WorkStatus
from sencrm.fieldservice.tests.fs_helpers import aircon_fixture, make_work_order_fixture, tech2_fixture  # noqa: F401
from sencrm.support.models import Absence

pytestmark = pytest.mark.django_db

DATA = "/field-service/dispatch/data/"
MOVE = "/field-service/dispatch/move/"
DAY = dt.date(2026, 12, 7)  # a Monday


def at(hour: int, minute: int = 0, day: dt.date = DAY) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


@pytest.fixture(name="board")
def board_fixture(org, tech2, make_contact, make_work_order, hanoi):
    """Two technicians (tech in Hà Nội with the skill "Điện lạnh", tech2 in Hồ Chí Minh), a job each
    on Monday, one on Wednesday, an absence, and two work orders waiting for a technician."""
    hcm = Province.objects.get(code="ho-chi-minh")
    cold = Skill.objects.create(name="Điện lạnh")
    mine = Technician.objects.get(user=org["tech"])
    mine.provinces.add(hanoi)
    mine.skills.add(cold)
    Technician.objects.get(user=tech2).provinces.add(hcm)
    customer = make_contact(owner="care", full_name="Trần Thị Mai")
    jobs = {
        "monday": make_work_order(customer, start=at(9), minutes=90, site_province=hanoi, kind="install"),
        "tech2": make_work_order(customer, technician=tech2, start=at(14), site_province=hcm),
        "wednesday": make_work_order(customer, start=at(8, day=DAY + dt.timedelta(days=2))),
        "waiting": make_work_order(customer, technician=None, site_province=hanoi, skill=cold),
        "waiting_hcm": make_work_order(customer, technician=None, site_province=hcm),
        "done": make_work_order(customer, technician=None, status=WorkStatus.DONE),
    }
    Absence.objects.create(user=tech2, starts_at=at(7), ends_at=at(12), note="Nghỉ phép")
    return jobs


def get_data(client, **params):
    return client.get(DATA, {"start": DAY.isoformat(), **params})


# --- the data ------------------------------------------------------------------------------------


def test_day_data_has_rows_cards_absences_and_the_waiting_list(client_as, org, tech2, board):
    response = get_data(client_as("care"))

    assert response.status_code == 200
    data = response.json()
    assert data["view"] == "day" and data["start"] == data["end"] == "2026-12-07"
    assert data["prev"] == "2026-12-06" and data["next"] == "2026-12-08"
    assert data["hours"] == [7, 19] and data["slot_minutes"] == 30
    assert {t["id"] for t in data["technicians"]} == {org["tech"].pk, tech2.pk}
    row = next(t for t in data["technicians"] if t["id"] == org["tech"].pk)
    assert row["skills"] == ["Điện lạnh"] and row["provinces"] == ["Hà Nội"]
    cards = {c["number"]: c for c in data["items"]}
    assert set(cards) == {board["monday"].number, board["tech2"].number}
    monday = cards[board["monday"].number]
    assert monday["technician"] == org["tech"].pk
    assert monday["start"] == "2026-12-07T09:00:00+07:00" and monday["minutes"] == 90
    assert monday["start_minute"] == 9 * 60 and monday["day"] == "2026-12-07"
    assert monday["customer"] == "Trần Thị Mai" and monday["province"] == "Hà Nội"
    assert monday["kind"] == "install" and monday["status"] == "scheduled" and monday["movable"] is True
    assert monday["version"] == 1 and monday["visible"] is True
    assert data["absences"] == [
        {
            "technician": tech2.pk,
            "start": "2026-12-07T07:00:00+07:00",
            "end": "2026-12-07T12:00:00+07:00",
            "note": "Nghỉ phép",
        }
    ]
    # Waiting: open work orders without a technician, the oldest first; a finished one is not waiting.
    assert [c["number"] for c in data["unassigned"]] == [board["waiting"].number, board["waiting_hcm"].number]
    assert data["unassigned_count"] == 2


def test_week_view_starts_on_monday_and_spans_seven_days(client_as, board):
    data = get_data(client_as("care"), start="2026-12-09", view="week").json()

    assert data["start"] == "2026-12-07" and data["end"] == "2026-12-13"
    assert len(data["days"]) == 7 and data["days"][0]["date"] == "2026-12-07"
    assert data["next"] == "2026-12-14" and data["prev"] == "2026-11-30"
    numbers = {c["number"] for c in data["items"]}
    assert numbers == {board["monday"].number, board["tech2"].number, board["wednesday"].number}


def test_filters_by_province_region_and_skill(client_as, org, tech2, board):
    client = client_as("care")

    hanoi = get_data(client, province="ha-noi").json()
    assert [t["id"] for t in hanoi["technicians"]] == [org["tech"].pk]
    assert [c["number"] for c in hanoi["unassigned"]] == [board["waiting"].number]

    south = get_data(client, region="south").json()
    assert [t["id"] for t in south["technicians"]] == [tech2.pk]
    assert [c["number"] for c in south["unassigned"]] == [board["waiting_hcm"].number]
    assert [c["number"] for c in south["items"]] == [board["tech2"].number]

    skill = Skill.objects.get(name="Điện lạnh")
    skilled = get_data(client, skill=skill.pk).json()
    assert [t["id"] for t in skilled["technicians"]] == [org["tech"].pk]
    # Waiting work orders needing that skill, or no skill in particular.
    assert {c["number"] for c in skilled["unassigned"]} == {
        board["waiting"].number,
        board["waiting_hcm"].number,
    }


def test_a_technician_with_no_province_serves_them_all(client_as, org, tech2, board):
    Technician.objects.get(user=tech2).provinces.clear()

    data = get_data(client_as("care"), province="ha-noi").json()

    assert {t["id"] for t in data["technicians"]} == {org["tech"].pk, tech2.pk}


def test_inactive_technicians_are_not_rows(client_as, org, tech2, board):
    Technician.objects.filter(user=tech2).update(active=False)

    data = get_data(client_as("care")).json()

    assert [t["id"] for t in data["technicians"]] == [org["tech"].pk]


def test_cards_outside_the_dispatchers_scope_show_as_busy(
    client_as, org, board, make_work_order, make_contact
):
    """The manager (team scope) sees a job of another team's record as a busy block: the technician's
    calendar does not look free, and nothing of the job is told."""
    from sencrm.users.models import Team

    other = Team.objects.create(name="Đội khác")
    hidden = make_work_order(None, start=at(15), owner=org["admin"], team=other)
    WorkOrder.objects.exclude(pk=hidden.pk).update(owner=org["manager"])

    data = get_data(client_as("manager")).json()

    busy = [c for c in data["items"] if not c["visible"]]
    assert len(busy) == 1
    assert busy[0]["id"] is None and busy[0]["start"] == "2026-12-07T15:00:00+07:00"
    assert hidden.number not in json.dumps(data, ensure_ascii=False)
    assert busy[0]["movable"] is False


@pytest.mark.parametrize(
    "params",
    [
        {"start": "2026-13-45"},
        {"start": "hôm nay"},
        {"start": "1900-01-01"},
        {"view": "month"},
        {"region": "mars"},
        {"province": "atlantis"},
        {"skill": "abc"},
        {"skill": "99999999999999"},
        {"skill": "424242"},
    ],
)
def test_bad_parameters_answer_400_with_a_message(client_as, board, params):
    with translation.override("en"):
        response = client_as("care").get(DATA, params)

    assert response.status_code == 400
    assert response.json()["ok"] is False and response.json()["error"]


def test_the_data_takes_a_fixed_number_of_queries(
    client_as, org, tech2, make_contact, make_work_order, django_assert_max_num_queries
):
    """3 or 30 work orders, 2 or 12 technicians: the same queries."""
    from sencrm.users.models import Role, User

    customer = make_contact(owner="care")
    client = client_as("care")

    def count_queries() -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as captured:
            response = get_data(client, view="week")
        assert response.status_code == 200
        return len(captured.captured_queries)

    for n in range(3):
        make_work_order(customer, start=at(8 + n))
    small = count_queries()
    for n in range(10):
        user = User.objects.create_user(
            username=f"kt{n}",
            password="x",
            full_name=f"Kỹ thuật {n}",
            role=Role.objects.get(code="technician"),
        )
        Technician.objects.create(user=user)
        Absence.objects.create(user=user, starts_at=at(7), ends_at=at(9))
    for n in range(27):
        tech = org["tech"] if n % 2 else tech2
        make_work_order(customer, technician=tech, start=at(7 + n % 10, day=DAY + dt.timedelta(days=n % 7)))
    for _ in range(5):
        make_work_order(customer, technician=None)
    assert count_queries() == small
    with django_assert_max_num_queries(12):
        get_data(client, view="week")


# --- the gate -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("username", "sees_all"), [("care", True), ("manager", False), ("admin", True)])
def test_dispatchers_open_the_page(client_as, board, username, sees_all):
    response = client_as(username).get(reverse("fieldservice:dispatch"), {"start": DAY.isoformat()})

    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="dispatch-board"' in html and 'id="dispatch-data"' in html
    # The first board rides along in json_script; the manager (team scope) sees care's jobs as busy.
    assert (board["monday"].number in html) is sees_all
    assert "fieldservice/dispatch.js" in html


@pytest.mark.parametrize("username", ["tech", "tech2", "sales1", "board"])
def test_technicians_and_users_without_the_module_do_not_see_the_board(client, org, board, tech2, username):
    http = client
    http.force_login(tech2 if username == "tech2" else org[username])

    assert http.get(reverse("fieldservice:dispatch")).status_code == 403
    assert http.get(DATA).status_code == 403
    response = http.post(MOVE, {"work_order": board["waiting"].pk, "technician": "", "version": 1})
    assert response.status_code == 403
    assert WorkOrder.objects.get(pk=board["waiting"].pk).version == 1


def test_anonymous_users_are_sent_to_sign_in(client, board):
    assert client.get(reverse("fieldservice:dispatch")).status_code == 302
    assert client.get(DATA).status_code == 302
    assert client.post(MOVE, {}).status_code == 302


def test_the_page_answers_400_on_a_bad_date_and_shows_today(client_as, board):
    with translation.override("en"):
        response = client_as("care").get(reverse("fieldservice:dispatch"), {"start": "31/12/2026"})

    assert response.status_code == 400
    assert 'data-testid="dispatch-error"' in response.content.decode()


def test_the_data_endpoint_refuses_post(client_as):
    assert client_as("care").post(DATA).status_code == 405
    assert client_as("care").get(MOVE).status_code == 405
