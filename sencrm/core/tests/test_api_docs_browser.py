"""The interactive API docs in a real browser: rendered from local assets under the strict CSP, and
"Try it out" answers through the signed-in session."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from sencrm.core.tests.test_browser import browser, page, sign_in  # noqa: F401  (shared fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_docs_render_every_module_and_try_it_out_works(page, live_server, org, make_contact):  # noqa: F811
    make_contact(full_name="Nguyễn Thị Ánh Tuyết", phones=["0912 345 678"])
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    outside: list[str] = []
    page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(live_server.url) else None)

    sign_in(page, "sales1")
    page.goto("/api/v1/docs/")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Sen CRM API")
    # Swagger UI draws only what is on screen: find each module through the filter box, as a user does.
    search = page.locator(".operation-filter-input")
    for tag, operation in (
        ("contacts", "contacts-contacts_list"),
        ("leads", "leads-leads_convert_create"),
        ("users", "users-users_list"),
        ("teams", "teams-teams_list"),
        ("campaigns", "campaigns-campaigns_list"),
        ("data-requests", "data-requests-data_requests_list"),
        ("payments", "payments-payments_list"),
    ):
        search.fill(tag)
        expect(page.locator(f"#operations-{operation}")).to_be_visible()
    search.fill("contacts")

    contacts = page.locator("#operations-contacts-contacts_list")
    contacts.locator(".opblock-summary").click()
    contacts.locator(".try-out__btn").click()
    contacts.locator(".execute").click()
    status = contacts.locator(".live-responses-table .response .response-col_status").first
    expect(status).to_have_text(re.compile(r"200"))
    expect(contacts.locator(".live-responses-table")).to_contain_text("Ánh Tuyết")

    assert page.csp_errors == []
    assert errors == []
    assert outside == []  # no CDN: every asset comes from this server
