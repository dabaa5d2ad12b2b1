"""The work-order pages: the list and its tabs, a work order's page, the create form, the moves on site
and the booking, each through the gate (a technician sees only their own; another's is a 404 on every URL)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone, translation

from sencrm.fieldservice.models import WorkOrder, WorkOrderCheck
from sencrm.fieldservice.tests.fs_helpers import (  # noqa: F401
    aircon_fixture,
    make_asset_fixture,
    make_work_order_fixture,
    tech2_fixture,
)

pytestmark = pytest.mark.django_db


def _today(hour: int) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(timezone.localdate(), dt.time(hour, 0)))


def _text(when: dt.datetime) -> str:
    return timezone.localtime(when).strftime("%d/%m/%Y %H:%M")


@pytest.fixture
def job(org, make_contact, make_asset, make_work_order, tech2):
    contact = make_contact()
    asset = make_asset(contact)
    wo = make_work_order(
        contact, technician="tech", start=_today(9), assets=[asset], title="Sửa điều hòa phòng khách"
    )
    WorkOrderCheck.objects.create(work_order=wo, text="Kiểm tra gas", position=1)
    return wo


def test_care_lists_creates_and_books(client_as, org, job, tech2, make_asset, make_contact):
    client = client_as("care")
    page = client.get("/field-service/work-orders/?tab=today")
    assert page.status_code == 200 and job.number in page.content.decode()
    asset = make_asset(job.contact)
    form = client.get(f"/field-service/work-orders/new/?asset={asset.pk}")
    assert form.status_code == 200 and str(asset.serial_number) in form.content.decode()
    created = client.post(
        f"/field-service/work-orders/new/?asset={asset.pk}",
        {"kind": "repair", "title": "Máy kêu to", "contact": job.contact_id, "assets": [asset.pk]},
    )
    assert created.status_code == 302
    wo = WorkOrder.objects.get(title="Máy kêu to")
    assert wo.contact_id == job.contact_id and list(wo.assets.all()) == [asset]
    assert wo.technician_id is None  # waiting for a technician
    booked = client.post(
        f"/field-service/work-orders/{wo.pk}/schedule/",
        {"technician": tech2.pk, "scheduled_start": _text(_today(13)), "version": wo.version},
    )  # fmt: skip
    assert booked.status_code == 302
    wo.refresh_from_db()
    assert wo.technician_id == tech2.pk and wo.scheduled_start == _today(13)


def test_a_booking_that_overlaps_is_refused_with_its_reason(client_as, org, job, make_work_order):
    other = make_work_order(job.contact, technician=None)
    with translation.override("en"):
        page = client_as("care").post(
            f"/field-service/work-orders/{other.pk}/schedule/",
            {"technician": org["tech"].pk, "scheduled_start": _text(_today(9)), "version": other.version},
        )  # fmt: skip
    assert page.status_code == 400
    assert job.number in page.content.decode()  # the message names the work order in the way
    other.refresh_from_db()
    assert other.technician_id is None


def test_the_technician_works_their_job_and_nobody_else_sees_it(client_as, org, job, tech2):
    tech = client_as("tech")
    assert tech.get(f"/field-service/work-orders/{job.pk}/").status_code == 200
    assert (
        tech.post(f"/field-service/work-orders/{job.pk}/move/", {"status": "on_the_way"}).status_code == 302
    )
    assert (
        tech.post(f"/field-service/work-orders/{job.pk}/move/", {"status": "in_progress"}).status_code == 302
    )
    check = job.checks.get()
    assert (
        tech.post(f"/field-service/work-orders/{job.pk}/checks/{check.pk}/", {"done": "1"}).status_code == 302
    )
    done = tech.post(
        f"/field-service/work-orders/{job.pk}/move/",
        {"status": "done", "result_notes": "Đã nạp gas", "minutes_spent": "40"},
    )
    assert done.status_code == 302
    job.refresh_from_db()
    check.refresh_from_db()
    assert (job.status, job.result_notes, job.minutes_spent, check.done) == ("done", "Đã nạp gas", 40, True)
    # The technician may not book (that is the dispatcher's), and a refused move is a 400, not a 500.
    assert 'data-testid="book"' not in tech.get(f"/field-service/work-orders/{job.pk}/").content.decode()
    assert tech.post(f"/field-service/work-orders/{job.pk}/move/", {"status": "scheduled"}).status_code == 400

    from django.test import Client

    for who in (tech2, org["sales1"]):
        other = Client()
        other.force_login(who)
        for url in ("", "move/", "report.pdf", "signature/"):
            response = (other.post if url == "move/" else other.get)(
                f"/field-service/work-orders/{job.pk}/{url}"
            )
            assert response.status_code == 404, (who, url)
    listed = other.get("/field-service/work-orders/?tab=all").content.decode()  # the sales user: 403
    assert job.number not in listed
    other.force_login(tech2)
    assert job.number not in other.get("/field-service/work-orders/?tab=all").content.decode()


def test_bad_input_answers_400(client_as, job):
    client = client_as("care")
    for data in ({"status": "teleported"}, {"status": "failed"}, {"status": "cancelled", "reason": ""}):
        assert client.post(f"/field-service/work-orders/{job.pk}/move/", data).status_code == 400, data
    bad_time = client.post(
        f"/field-service/work-orders/{job.pk}/schedule/",
        {"technician": "abc", "scheduled_start": "31/02/2026 25:00"},
    )
    assert bad_time.status_code == 400
    assert (
        client.post(
            f"/field-service/work-orders/{job.pk}/parts/", {"product": "x", "quantity": "1"}
        ).status_code
        == 400
    )
    assert client.post("/field-service/work-orders/new/", {"kind": "repair", "title": ""}).status_code == 400
    assert client.get("/field-service/work-orders/999999/").status_code == 404


def test_the_list_does_not_grow_its_queries(
    client_as, org, job, make_work_order, django_assert_max_num_queries
):
    client = client_as("care")
    client.get("/field-service/work-orders/?tab=all")
    for n in range(15):
        make_work_order(job.contact, technician="tech", start=_today(7) + dt.timedelta(days=n + 1))
    with django_assert_max_num_queries(12):
        page = client.get("/field-service/work-orders/?tab=all")
    assert page.content.decode().count('data-testid="workorder-row"') == 16


def test_the_ticket_page_lists_its_work_orders_and_opens_a_new_one(
    client_as, org, make_contact, make_work_order
):
    from sencrm.support.models import Ticket

    contact = make_contact()
    ticket = Ticket.objects.create(number="SC-FS-1", subject="Máy kêu to", contact=contact, owner=org["care"])
    wo = make_work_order(contact, technician="tech", start=_today(9), ticket=ticket)
    page = client_as("care").get(ticket.get_absolute_url()).content.decode()
    assert wo.number in page and f"/field-service/work-orders/new/?ticket={ticket.pk}" in page
    form = client_as("care").get(f"/field-service/work-orders/new/?ticket={ticket.pk}").content.decode()
    assert "Máy kêu to" in form  # the title comes from the ticket
    created = client_as("care").post(
        f"/field-service/work-orders/new/?ticket={ticket.pk}",
        {"kind": "repair", "title": "Máy kêu to", "contact": contact.pk, "ticket": ticket.pk},
    )
    assert created.status_code == 302
    assert WorkOrder.objects.filter(ticket=ticket).count() == 2
