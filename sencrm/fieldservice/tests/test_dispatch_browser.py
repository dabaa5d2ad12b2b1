"""The dispatch board in a real browser (Playwright driving Debian's Chromium) under the strict CSP: the
care agent drags a waiting work order onto a technician's 10:00 slot and it is scheduled in the database;
a drop on an absent technician is refused, and the card goes back to the side list with the reason."""

# The shared fixtures (browser, page) are imported: arguments naming them redefine nothing.
# ruff: noqa: F811

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from sencrm.core.tests.test_browser import browser, page  # noqa: F401  (shared fixtures)
from sencrm.fieldservice.models import WorkOrder
from sencrm.fieldservice.tests.fs_helpers import aircon_fixture, make_work_order_fixture, tech2_fixture  # noqa: F401
from sencrm.support.models import Absence

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_care_drags_a_waiting_work_order_onto_a_technicians_slot(
    page, live_server, org, tech2, make_contact, make_work_order
):
    day = timezone.localdate() + dt.timedelta(days=1)
    customer = make_contact(owner="care", full_name="Phạm Thị Hoa")
    waiting = make_work_order(customer, technician=None, title="Lắp điều hòa phòng ngủ")
    noon = timezone.make_aware(dt.datetime.combine(day, dt.time(12)))
    Absence.objects.create(user=tech2, starts_at=noon - dt.timedelta(hours=5), ends_at=noon, note="Nghỉ phép")
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    # Signed in straight onto the board (the login's `next`), as from a bookmark.
    page.goto(f"/login/?next=/field-service/dispatch/%3Fstart%3D{day.isoformat()}")
    page.fill("#id_username", "care")
    page.fill("#id_password", "demo")
    page.get_by_test_id("sign-in").click()
    expect(page.get_by_test_id("dispatch-board")).to_be_visible()
    side_card = page.get_by_test_id("unassigned").get_by_test_id("dispatch-card")
    expect(side_card).to_contain_text(waiting.number)
    expect(page.get_by_test_id("dispatch-row")).to_have_count(2)
    expect(page.get_by_test_id("dispatch-absence")).to_contain_text("Nghỉ phép")

    # Onto tech2's 09:00 while they are away: refused, the card stays on the side, the reason is shown.
    away = page.locator(
        f"[data-testid=dispatch-row][data-tech='{tech2.pk}'] [data-slot='{day.isoformat()}T09:00']"
    )
    side_card.drag_to(away)
    expect(page.get_by_test_id("dispatch-message")).to_be_visible()
    expect(page.get_by_test_id("unassigned").get_by_test_id("dispatch-card")).to_have_count(1)
    assert WorkOrder.objects.get(pk=waiting.pk).technician_id is None

    slot = page.locator(
        f"[data-testid=dispatch-row][data-tech='{org['tech'].pk}'] [data-slot='{day.isoformat()}T10:00']"
    )
    page.get_by_test_id("unassigned").get_by_test_id("dispatch-card").drag_to(slot)

    row_card = page.locator(
        f"[data-testid=dispatch-row][data-tech='{org['tech'].pk}'] [data-testid=dispatch-card]"
    )
    expect(row_card).to_contain_text(waiting.number)
    expect(page.get_by_test_id("unassigned").get_by_test_id("dispatch-card")).to_have_count(0)
    waiting.refresh_from_db()
    start = timezone.make_aware(dt.datetime.combine(day, dt.time(10)))
    assert waiting.technician_id == org["tech"].pk
    assert (waiting.scheduled_start, waiting.scheduled_end) == (start, start + dt.timedelta(hours=1))
    assert errors == []
    assert page.csp_errors == []
