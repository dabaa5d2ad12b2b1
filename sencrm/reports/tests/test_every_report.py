"""Every canned report, every grouping, through every door — page, API, drill-down, CSV/XLSX/PDF export —
answers (no 500) for the board and for a manager, and refuses a role without the reports right. New
reports are covered the day they are registered."""

from __future__ import annotations

import pytest

from sencrm.reports import base

pytestmark = pytest.mark.django_db

CASES = [(name, group_by) for name, report in sorted(base.REGISTRY.items()) for group_by in report.group_bys]


@pytest.mark.parametrize(("name", "group_by"), CASES)
def test_each_report_and_grouping_answers(client_as, name, group_by):
    query = {"period": "quarter", "date": "2028-02-29", "group_by": group_by}
    for username in ("board", "manager"):
        web = client_as(username)
        page = web.get(f"/reports/{name}/", query)
        assert page.status_code == 200, (username, name, group_by)
        api = web.get(f"/api/v1/reports/{name}/", query)
        assert api.status_code == 200, (username, name, group_by)
        body = api.json()
        assert isinstance(body["rows"], list) and isinstance(body["totals"], dict)
        for column in body["columns"]:
            drill = web.get(f"/reports/{name}/drill/", {**query, "key": "none", "column": column["key"]})
            assert drill.status_code in (200, 404), (name, group_by, column["key"])


@pytest.mark.parametrize("name", sorted(base.REGISTRY))
def test_each_report_exports_and_is_refused_without_the_right(client_as, name):
    web = client_as("board")
    for fmt in ("csv", "xlsx", "pdf"):
        assert web.get(f"/reports/{name}/export/", {"period": "year", "format": fmt}).status_code == 200
    assert web.get(f"/reports/{name}/", {"group_by": "no-such-grouping"}).status_code == 400
    assert web.get(f"/api/v1/reports/{name}/", {"date": "31/02/2026"}).status_code == 400
    sales = client_as("sales1")
    assert sales.get(f"/reports/{name}/").status_code == 403
    assert sales.get(f"/api/v1/reports/{name}/").status_code == 403
    assert sales.get(f"/reports/{name}/export/", {"format": "csv"}).status_code == 403
