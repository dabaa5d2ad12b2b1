"""The technician's phone screen in a real browser at 390 px: the technician opens today's job, loses the
connection, goes on the way, starts, ticks the checklist, has the customer sign with a finger and finishes —
nothing reaches the server while offline; back online the queue is sent, each change applied once, and the
care agent sees the job done and signed on the work order's page."""

# The shared fixtures (browser) are imported: arguments naming them redefine nothing.
# ruff: noqa: F811

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from sencrm.core.tests.test_browser import browser  # noqa: F401  (shared fixture)
from sencrm.events.models import Event
from sencrm.fieldservice.models import OfflineChange, WorkOrder, WorkOrderCheck
from sencrm.fieldservice.tests.fs_helpers import (  # noqa: F401
    aircon_fixture,
    make_asset_fixture,
    make_work_order_fixture,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _sign_in(page, username: str, next_url: str) -> None:
    page.goto(f"/login/?next={next_url}")
    page.fill("#id_username", username)
    page.fill("#id_password", "demo")
    page.get_by_test_id("sign-in").click()


def test_a_job_done_offline_reaches_the_care_agent_once(
    browser, live_server, org, make_contact, make_asset, make_work_order
):
    customer = make_contact(owner="care", full_name="Phạm Thị Hoa")
    start = timezone.make_aware(dt.datetime.combine(timezone.localdate(), dt.time(9)))
    job = make_work_order(
        customer, technician="tech", start=start, assets=[make_asset(customer)], title="Vệ sinh điều hòa"
    )
    WorkOrderCheck.objects.create(work_order=job, text="Vệ sinh lưới lọc", position=1)
    WorkOrderCheck.objects.create(work_order=job, text="Kiểm tra gas", position=2)

    phone = browser.new_context(
        base_url=live_server.url,
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,
        locale="vi-VN",
    )
    page = phone.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda m: errors.append(m.text) if "Content Security Policy" in m.text else None)
    _sign_in(page, "tech", "/field/")
    expect(page.get_by_test_id("field-job")).to_have_count(1)
    page.get_by_test_id("field-open").click()
    expect(page.get_by_test_id("field-signature")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scrolling

    phone.set_offline(True)
    page.get_by_test_id("field-on-the-way").click()
    page.get_by_test_id("field-start").click()
    for box in page.get_by_test_id("field-check").all():
        box.check()
    # Centred in the screen, clear of the action buttons kept at the bottom.
    page.get_by_test_id("field-signature").evaluate("el => el.scrollIntoView({block: 'center'})")
    pad = page.get_by_test_id("field-signature").bounding_box()
    signature = page.get_by_test_id("field-signature")
    points = [(20, 100), (80, 30), (140, 110), (200, 40), (280, 90)]
    for index, (x, y) in enumerate(points):
        kind = "pointerdown" if index == 0 else "pointermove"
        signature.dispatch_event(
            kind, {"clientX": pad["x"] + x, "clientY": pad["y"] + y, "pointerId": 1, "bubbles": True}
        )
    signature.dispatch_event("pointerup", {"pointerId": 1, "bubbles": True})
    page.get_by_test_id("field-sign").click()
    page.fill("[data-result]", "Đã vệ sinh, máy chạy êm")
    page.get_by_test_id("field-finish").click()
    expect(page.get_by_test_id("offline-state")).to_contain_text("6")  # six changes waiting
    job.refresh_from_db()
    assert (job.status, job.signed_at) == ("scheduled", None)  # nothing reached the server
    assert not OfflineChange.objects.exists()

    phone.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    expect(page.get_by_test_id("offline-state")).to_be_hidden(timeout=15_000)
    page.reload()  # and once more on load: nothing left to send, nothing applied twice
    job.refresh_from_db()
    assert (
        job.status == "done" and job.signed_at is not None and job.result_notes == "Đã vệ sinh, máy chạy êm"
    )
    assert OfflineChange.objects.count() == 6
    assert Event.objects.filter(type="work_order.done").count() == 1
    assert set(WorkOrderCheck.objects.filter(work_order=job).values_list("done", flat=True)) == {True}
    assert errors == []
    phone.close()

    desk = browser.new_context(base_url=live_server.url, locale="vi-VN").new_page()
    _sign_in(desk, "care", f"/field-service/work-orders/{job.pk}/")
    expect(desk.get_by_test_id("wo-status")).to_have_attribute("data-status", "done")
    expect(desk.get_by_test_id("wo-signed")).to_be_visible()
    assert WorkOrder.objects.get(pk=job.pk).status == "done"
