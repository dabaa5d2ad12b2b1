"""The dashboards: the board's home is its dashboard, each user arranges their own, the revenue target,
and the figures under the reports scope (a manager's are their teams')."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from sencrm.commerce.tests.conftest import catalogue  # noqa: F401  (shared fixture)
from sencrm.reports import dashboards
from sencrm.reports.models import RevenueTarget

pytestmark = pytest.mark.django_db


@pytest.fixture
def month_sales(org, catalogue, make_contact):  # noqa: F811
    """Today: sales1's customer is invoiced 10.000.000 before VAT; sales2's 4.000.000."""
    from sencrm.billing.services import invoice_create, invoice_issue

    today = timezone.localdate()
    for owner, amount in (("sales1", 10_000_000), ("sales2", 4_000_000)):
        customer = make_contact(owner=owner, full_name=f"Khách của {owner}", phones=())
        made = invoice_create(
            actor=org["accountant"],
            data={"contact": customer, "issue_date": today},
            lines=[{"product": catalogue["install"], "quantity": 1, "unit_price": amount}],
        )
        invoice_issue(made, actor=org["accountant"])
    RevenueTarget.objects.create(month=today.replace(day=1), amount=Decimal(28_000_000))


def _widget(user, key):
    return next(w for w in dashboards.widgets(user) if w["key"] == key)


def test_revenue_this_month_against_the_target_and_by_scope(org, month_sales):
    board = _widget(org["board"], "revenue_month")
    assert board["value"] == Decimal(14_000_000)
    assert board["target"] == Decimal(28_000_000) and board["target_percent"] == Decimal("50.0")
    assert board["last_year"] == 0 and board["change"] is None
    assert _widget(org["manager"], "revenue_month")["value"] == Decimal(10_000_000)


def test_the_quick_widgets_agree_with_the_reports_they_open(org, catalogue, make_contact):  # noqa: F811
    """Retention, the twelve-month chart and the best sellers are computed by lighter queries than their
    reports (docs/benchmarks.md, "Reports (issue 19)"): the figures must be the reports' own."""
    from sencrm.billing.services import invoice_create, invoice_issue
    from sencrm.reports import base

    today = timezone.localdate()
    quarter = base.Period.containing("quarter", today)
    q1, q2 = quarter.previous(), quarter.previous().previous()
    people = [make_contact(owner="sales1", full_name=f"Khách {i}", phones=()) for i in range(4)]
    bought = {  # who bought in which quarter: two of three kept last quarter, one of two this quarter
        q2.date_from: people[:3],
        q1.date_from: people[:2] + people[3:],
        quarter.date_from: people[1:2],
    }
    for day, buyers in bought.items():
        for customer in buyers:
            made = invoice_create(
                actor=org["accountant"],
                data={"contact": customer, "issue_date": day},
                lines=[{"product": catalogue["install"], "quantity": 1, "unit_price": 1_000_000}],
            )
            invoice_issue(made, actor=org["accountant"])
    for extra in (today, base.add_months(today.replace(day=1), -12)):
        made = invoice_create(
            actor=org["accountant"],
            data={"contact": people[0], "issue_date": extra},
            lines=[{"product": catalogue["split"], "quantity": 2, "unit_price": 3_000_000}],
        )
        invoice_issue(made, actor=org["accountant"])
    report = base.REGISTRY["retention"]
    for user in (org["board"], org["manager"]):
        widget = _widget(user, "retention")
        now = report.compute(user, base.Params(period=quarter, group_by="quarter")).totals["retention"]
        before = report.compute(user, base.Params(period=q1, group_by="quarter")).totals["retention"]
        assert (widget["value"], widget["previous"]) == (now, before)
    assert _widget(org["board"], "retention")["previous"] == Decimal("66.7")  # 2 of the 3

    chart = _widget(org["board"], "revenue_chart")["chart"]
    first = base.add_months(today.replace(day=1), -11)
    by_month = base.run(
        org["board"],
        "revenue",
        base.Params(period=base.Period("custom", first, base.month_end(today)), group_by="month"),
    )
    assert chart["labels"] == [r["label"] for r in by_month.rows]
    assert chart["datasets"][0]["data"] == [float(r["revenue"]) for r in by_month.rows]
    assert chart["datasets"][1]["data"] == [
        float(by_month.last_year_rows.get(r["key"], {}).get("revenue") or 0) for r in by_month.rows
    ]
    assert chart["datasets"][1]["data"][-1] == 6_000_000  # this month a year ago

    month = base.Period.containing("month", today)
    sellers = base.REGISTRY["best-sellers"].compute(
        org["board"], base.Params(period=month, group_by="product", options={"by": "revenue"})
    )
    assert _widget(org["board"], "best_sellers")["rows"] == sellers.rows[:5]
    assert sellers.rows[0]["revenue"] == Decimal(6_000_000)


def test_the_board_home_is_its_dashboard_and_others_keep_theirs(org, month_sales, client_as):
    home = client_as("board").get("/").content.decode()
    assert 'data-testid="widget-revenue_month"' in home and 'data-testid="widget-revenue_chart"' in home
    page = client_as("manager").get("/")
    assert 'data-testid="dashboard"' not in page.content.decode()
    assert client_as("manager").get("/reports/dashboard/").status_code == 200
    assert client_as("sales1").get("/reports/dashboard/").status_code == 403


def test_each_user_arranges_their_own_dashboard(org, client_as):
    web = client_as("board")
    form = {
        "action": "save",
        "show": ["cash_month", "revenue_month"],
        "order_cash_month": "1",
        "order_revenue_month": "2",
    }
    assert web.post("/reports/dashboard/arrange/", form).status_code == 302
    assert dashboards.layout(org["board"]) == ["cash_month", "revenue_month"]
    assert [w["key"] for w in dashboards.widgets(org["board"])] == ["cash_month", "revenue_month"]
    assert dashboards.layout(org["manager"]) == dashboards.DEFAULT  # another user's is untouched
    # Unknown widgets are dropped, not a 500.
    web.post("/reports/dashboard/arrange/", {"action": "save", "show": ["nope", "pipeline"]})
    assert dashboards.layout(org["board"]) == ["pipeline"]
    web.post("/reports/dashboard/arrange/", {"action": "reset"})
    assert dashboards.layout(org["board"]) == dashboards.DEFAULT
    from sencrm.events.models import Event

    written = list(
        Event.objects.filter(type__startswith="dashboard.").order_by("id").values_list("type", "data")
    )
    assert written == [
        ("dashboard.arranged", {"widgets": ["cash_month", "revenue_month"]}),
        ("dashboard.arranged", {"widgets": ["pipeline"]}),
        ("dashboard.reset", {"widgets": ["pipeline"]}),
    ]


def test_targets_are_set_by_administrators_with_clear_errors(org, client_as):
    year = timezone.localdate().year
    assert client_as("board").get("/reports/targets/").status_code == 403
    web = client_as("admin")
    assert web.post("/reports/targets/", {"year": year, "m1": "1.500.000.000", "m2": ""}).status_code == 302
    assert RevenueTarget.objects.get(month=dt.date(year, 1, 1)).amount == Decimal(1_500_000_000)
    bad = web.post("/reports/targets/", {"year": year, "m1": "nhiều tiền"})
    assert bad.status_code == 400
    assert RevenueTarget.objects.get(month=dt.date(year, 1, 1)).amount == Decimal(1_500_000_000)
    # Every change is an event; an unchanged month writes none.
    web.post("/reports/targets/", {"year": year, "m1": "1.500.000.000", "m3": "900.000.000"})
    web.post("/reports/targets/", {"year": year, "m1": "", "m3": "900.000.000"})
    from sencrm.events.models import Event

    written = list(
        Event.objects.filter(type__startswith="revenue_target.").order_by("id").values_list("type", "data")
    )
    assert written == [
        ("revenue_target.set", {"month": f"{year}-01-01", "before": None, "amount": "1500000000"}),
        ("revenue_target.set", {"month": f"{year}-03-01", "before": None, "amount": "900000000"}),
        ("revenue_target.cleared", {"month": f"{year}-01-01", "before": "1500000000"}),
    ]
    assert list(RevenueTarget.objects.values_list("month", flat=True)) == [dt.date(year, 3, 1)]
