"""The segment rule builder in a real browser (Playwright driving Debian's Chromium) under the strict CSP:
marketing builds "Region is one of North", sees the live count, meets a rule's error in the page, saves and
lands on the segment with its two members."""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import expect

from sencrm.core.tests.test_browser import browser, page, sign_in  # noqa: F401  (shared fixtures)
from sencrm.customers.models import Province
from sencrm.marketing.models import Segment

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_marketing_builds_a_segment_with_a_live_count(page, live_server, org, make_contact):  # noqa: F811
    make_contact(full_name="Nguyễn Văn An", phones=("0912 000 001",))
    make_contact(full_name="Trần Thị Bình", phones=("0912 000 002",))
    make_contact(full_name="Lê Văn Cường", phones=("0912 000 003",),
                 province=Province.objects.get(code="ho-chi-minh"))  # fmt: skip
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    sign_in(page, "marketing")
    page.goto("/segments/new/")
    count = page.get_by_test_id("segment-count")
    expect(count).to_have_attribute("data-count", "3")  # no rules yet: every contact

    page.get_by_test_id("segment-name").fill("Khách miền Bắc")
    page.get_by_test_id("segment-add-rule").click()
    rule = page.get_by_test_id("segment-rule")
    expect(rule).to_have_count(1)
    rule.get_by_test_id("segment-field").select_option("region")
    expect(rule.get_by_test_id("segment-op")).to_have_value("in")
    # No region chosen yet: the server's reason is shown, naming the rule.
    problem = page.get_by_test_id("segment-count-error")
    expect(problem).to_be_visible()
    expect(problem).to_contain_text(re.compile(r"1"))
    rule.get_by_test_id("segment-value").select_option("north")
    expect(count).to_have_attribute("data-count", "2")
    expect(problem).to_be_hidden()

    page.get_by_test_id("segment-save").click()
    expect(page).to_have_url(re.compile(r"/segments/\d+/$"))
    expect(page.get_by_test_id("segment-title")).to_have_text("Khách miền Bắc")
    expect(page.get_by_test_id("segment-member")).to_have_count(2)
    expect(page.get_by_test_id("segment-member-count")).to_have_attribute("data-count", "2")

    segment = Segment.objects.get()
    assert segment.rules == {"match": "all", "rules": [{"field": "region", "op": "in", "value": ["north"]}]}
    assert json.dumps(segment.rules)  # stored as JSON, not text
    assert page.csp_errors == []
    assert errors == []
