"""A ticket in a real browser (Playwright driving Debian's Chromium) under the strict CSP: the care agent
opens one from the list, sees it routed to their queue, replies (the conversation refreshes by htmx,
without reloading the page), escalates it to second line with a note and resolves it."""

# The shared fixtures (browser, page) are imported: arguments naming them redefine nothing.
# ruff: noqa: F811

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from sencrm.core.tests.test_browser import browser, page, sign_in  # noqa: F401  (shared fixtures)
from sencrm.support.models import Line, MessageKind, Ticket, TicketStatus
from sencrm.support.tests.pages_helpers import care_desk

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_care_opens_a_ticket_replies_escalates_and_resolves_it(page, live_server, org, make_contact):
    desk = care_desk(org, make_contact)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    sign_in(page, "care")
    expect(page.get_by_test_id("care-my-queue")).to_be_visible()
    page.locator("[data-nav='support:ticket_list']").click()
    page.get_by_test_id("new-ticket").click()
    expect(page).to_have_url(re.compile(r"/tickets/new/$"))
    page.fill("#id_subject", "Điều hòa không lạnh")
    page.fill("#id_description", "Máy chạy nhưng không ra hơi lạnh từ sáng nay.")
    page.select_option("#id_contact", str(desk.customer.pk))
    page.select_option("#id_priority", "high")
    page.get_by_test_id("save").click()

    expect(page).to_have_url(re.compile(r"/tickets/\d+/$"))
    ticket = Ticket.objects.get()
    expect(page.get_by_test_id("ticket-number")).to_have_text(ticket.number)
    expect(page.get_by_test_id("messages")).to_contain_text("Tuyến 1 – CSKH")  # routed to care's queue
    expect(page.get_by_test_id("ticket-queue")).to_have_text("Tuyến 1 – CSKH")
    expect(page.get_by_test_id("ticket-assignee")).to_have_text(str(org["care"]))
    expect(page.get_by_test_id("time-left")).to_have_attribute("data-state", "ok")

    # The reply goes by htmx: the conversation refreshes, the page does not reload.
    page.evaluate("window.__sameDocument = true")
    page.get_by_test_id("reply-body").fill("Chào chị, kỹ thuật viên sẽ gọi lại trong 30 phút.")
    page.get_by_test_id("reply-send").click()
    expect(page.get_by_test_id("conversation-flash")).to_be_visible()
    expect(page.locator("[data-testid=message][data-kind=reply]")).to_contain_text("kỹ thuật viên sẽ gọi lại")
    expect(page.get_by_test_id("reply-body")).to_have_value("")
    assert page.evaluate("window.__sameDocument") is True
    assert Ticket.objects.get().first_responded_at is not None

    page.get_by_test_id("escalate-form").locator("textarea").fill("Cần kiểm tra gas, chuyển tuyến 2.")
    page.get_by_test_id("escalate").click()
    expect(page.get_by_test_id("messages")).to_contain_text("Tuyến 2 – Kỹ thuật")
    expect(page.get_by_test_id("ticket-line")).to_be_visible()
    expect(page.get_by_test_id("ticket-assignee")).to_have_text(str(org["tech"]))
    expect(page.locator("[data-testid=message][data-kind=note]")).to_contain_text("Cần kiểm tra gas")
    expect(page.get_by_test_id("escalate-form")).to_have_count(0)

    page.get_by_test_id("to-resolved").click()
    expect(page.get_by_test_id("ticket-status")).to_have_attribute("data-status", "resolved")
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.RESOLVED and ticket.line == Line.SECOND
    assert ticket.messages.filter(kind=MessageKind.REPLY).count() == 1
    assert errors == []
    assert page.csp_errors == []
