"""Booking technicians: double booking, travel time between sites (same site 0, same province 30, other
province 120; back-to-back allowed when the travel fits), absences, inactive technicians, the candidates
for a job, a technician's day, and two dispatchers booking the same slot at once (PostgreSQL)."""

from __future__ import annotations

import contextlib
import datetime as dt
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import override_settings
from django.utils import timezone, translation

from sencrm.customers.models import Province
from sencrm.fieldservice import scheduling, services
from sencrm.fieldservice.models import Skill, Technician, WorkOrder, WorkStatus
from sencrm.fieldservice.tests.fs_helpers import make_work_order_fixture, tech2_fixture  # noqa: F401

pytestmark = pytest.mark.django_db
DAY = dt.date(2027, 3, 8)


def at(hour: int, minute: int = 0, day: dt.date = DAY) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


@pytest.fixture
def lan(make_contact):
    return make_contact(owner="care", full_name="Trần Thị Lan")


@pytest.fixture
def other_province(hanoi):
    return Province.objects.exclude(pk=hanoi.pk).order_by("pk").first()


def job(org, lan, *, street="12 Trần Phú", province=None, start=None, minutes=60, tech=None, status=None):
    wo = services.work_order_create(
        actor=org["care"],
        data={
            "title": "Sửa điều hòa",
            "contact": lan,
            "site_street": street,
            "site_province": province or lan.province,
        },
    )
    if start is not None:
        wo = services.work_order_schedule(
            wo,
            actor=org["care"],
            technician=tech or org["tech"],
            start=start,
            end=start + dt.timedelta(minutes=minutes),
        )
    if status is not None:
        WorkOrder.objects.filter(pk=wo.pk).update(status=status)
    return wo


def book(org, wo, start, minutes=60, tech=None):
    return services.work_order_schedule(
        wo,
        actor=org["care"],
        technician=tech or org["tech"],
        start=start,
        end=start + dt.timedelta(minutes=minutes),
    )


def refusal(org, wo, start, minutes=60, tech=None) -> str:
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        book(org, wo, start, minutes, tech)
    return " ".join(caught.value.messages)


def test_travel_minutes(org, lan, other_province):
    a = WorkOrder(site_street="12 Trần Phú", site_province=lan.province)
    assert (
        scheduling.travel_minutes(a, WorkOrder(site_street="12  trần phú", site_province=lan.province)) == 0
    )
    assert scheduling.travel_minutes(a, WorkOrder(site_street="3 Lê Lợi", site_province=lan.province)) == 30
    assert (
        scheduling.travel_minutes(a, WorkOrder(site_street="3 Lê Lợi", site_province=other_province)) == 120
    )
    with override_settings(FIELDSERVICE_TRAVEL_MINUTES=45):
        assert (
            scheduling.travel_minutes(a, WorkOrder(site_street="3 Lê Lợi", site_province=lan.province)) == 45
        )


def test_double_booking_is_refused_naming_the_work_order_and_times(org, lan, tech2):
    first = job(org, lan, start=at(9))
    message = refusal(org, job(org, lan), at(9, 30))
    assert first.number in message and "08/03 09:00" in message and "08/03 10:00" in message
    book(org, job(org, lan), at(9, 30), tech=tech2)  # another technician is free


def test_same_site_back_to_back_is_allowed(org, lan, tech2):
    job(org, lan, start=at(9))
    assert book(org, job(org, lan), at(10)).scheduled_start == at(10)


def test_same_province_needs_thirty_minutes_both_ways(org, lan, tech2):
    first = job(org, lan, start=at(9))
    message = refusal(org, job(org, lan, street="3 Lê Lợi"), at(10, 15))
    assert "travel time" in message and first.number in message and "30 minutes" in message
    before = refusal(org, job(org, lan, street="3 Lê Lợi"), at(7, 45), minutes=60)  # ends 08:45
    assert "travel time" in before
    assert book(org, job(org, lan, street="3 Lê Lợi"), at(10, 30)).scheduled_start == at(10, 30)


def test_other_province_needs_two_hours(org, lan, tech2, other_province):
    job(org, lan, start=at(9))
    far = job(org, lan, street="1 Nguyễn Huệ", province=other_province)
    assert "120 minutes" in refusal(org, far, at(11, 30))
    assert book(org, far, at(12)).scheduled_start == at(12)


def test_finished_and_cancelled_work_frees_the_slot(org, lan, tech2):
    job(org, lan, start=at(9), status=WorkStatus.CANCELLED)
    job(org, lan, start=at(11), status=WorkStatus.DONE)
    book(org, job(org, lan), at(9))
    book(org, job(org, lan), at(11))


def test_an_absence_and_an_inactive_technician_are_refused(org, lan, tech2):
    from sencrm.support.models import Absence

    Absence.objects.create(user=org["tech"], starts_at=at(0), ends_at=at(23, 59), note="Nghỉ phép")
    message = refusal(org, job(org, lan), at(9))
    assert "away" in message and "08/03 00:00" in message
    Technician.objects.filter(user=tech2).update(active=False)
    assert "does not take jobs" in refusal(org, job(org, lan), at(9), tech=tech2)
    assert "is not a technician" in refusal(org, job(org, lan), at(9), tech=org["sales1"])


def test_unassign_puts_it_back_and_a_stale_version_is_refused(org, lan, tech2):
    from sencrm.core.exceptions import StaleRecord

    wo = job(org, lan, start=at(9))
    with pytest.raises(StaleRecord):
        services.work_order_schedule(wo, actor=org["care"], technician=None, start=None, end=None, version=1)
    back = services.work_order_schedule(wo, actor=org["care"], technician=None, start=None, end=None)
    assert back.technician is None and back.scheduled_start is None and back.scheduled_end is None
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        services.work_order_schedule(wo, actor=org["care"], technician=org["tech"], start=at(10), end=at(9))
    assert "after the start" in caught.value.messages[0]


def test_candidates_by_skill_province_and_load(org, lan, tech2, other_province, make_contact):
    from sencrm.users.models import Role, User

    cold = Skill.objects.create(name="Điện lạnh")
    tech3 = User.objects.create_user(username="tech3", password="x", full_name="Phạm Văn An",
                                     role=Role.objects.get(code="technician"))  # fmt: skip
    far = Technician.objects.create(user=tech3)
    far.provinces.add(other_province)
    for profile in Technician.objects.all():
        profile.skills.add(cold)
    job(org, lan, start=at(9))  # tech is busier that day
    wo = job(org, lan)
    wo.skill, wo.scheduled_start = cold, at(14)
    assert [t.user for t in scheduling.candidates(wo)] == [tech2, org["tech"]]
    Technician.objects.filter(user=tech2).update(active=False)
    assert [t.user for t in scheduling.candidates(wo)] == [org["tech"]]
    wo.skill = Skill.objects.create(name="Máy giặt")
    assert scheduling.candidates(wo) == []


def test_day_route_in_booking_order(org, lan, tech2):
    late = job(org, lan, start=at(14))
    early = job(org, lan, start=at(8))
    job(org, lan, start=at(8, day=DAY + dt.timedelta(days=1)))
    assert scheduling.day_route(org["tech"], DAY) == [early, late]


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks: PostgreSQL")
def test_two_dispatchers_cannot_double_book_at_once(org, lan, tech2, monkeypatch):
    a, b = job(org, lan), job(org, lan)
    both_checked = threading.Barrier(2, timeout=5)
    real = scheduling.conflicts

    def slow(*args, **kwargs):
        found = real(*args, **kwargs)
        # Without the lock both would have found the slot free here; with it, the other one waits.
        with contextlib.suppress(threading.BrokenBarrierError):
            both_checked.wait()
        return found

    monkeypatch.setattr(scheduling, "conflicts", slow)
    results, errors = [], []

    def dispatcher(wo):
        try:
            results.append(book(org, wo, at(9)))
        except ValidationError as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=dispatcher, args=(wo,)) for wo in (a, b)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(results) == 1 and len(errors) == 1
    assert WorkOrder.objects.filter(technician=org["tech"], scheduled_start=at(9)).count() == 1
