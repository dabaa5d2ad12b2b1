"""Retention, cohorts and RFM against hand-computed figures: the seeds' 70 % story year on year, month on
month, new customers, the cohort matrix, RFM segments saved as a marketing segment, the reports scope and
drill-downs that add up to their cell."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from sencrm.commerce.tests.conftest import catalogue  # noqa: F401  (shared fixture)
from sencrm.reports import base, loyalty

pytestmark = pytest.mark.django_db


@pytest.fixture
def buyers(org, catalogue, make_contact):  # noqa: F811
    """Ten customers bought in 2025 (c0–c4 sales1's, c5–c9 sales2's); in 2026 c0–c6 bought again and a new
    one, c10 (sales1's), first bought in March and again in May. January 2026: c0, c1; February: c0, c2."""
    from sencrm.billing.services import invoice_create, invoice_issue

    people = [
        make_contact(owner="sales1" if i < 5 or i == 10 else "sales2", full_name=f"Khách {i}", phones=())
        for i in range(11)
    ]

    def buy(i: int, day: str, amount: int = 1_000_000) -> None:
        made = invoice_create(
            actor=org["accountant"],
            data={"contact": people[i], "issue_date": dt.date.fromisoformat(day)},
            lines=[{"product": catalogue["training"], "quantity": 1, "unit_price": amount}],
        )
        invoice_issue(made, actor=org["accountant"])

    for i in range(10):
        buy(i, f"2025-{i + 1:02d}-10")
    buy(0, "2026-01-31")
    buy(1, "2026-01-05")
    buy(0, "2026-02-01")
    buy(2, "2026-02-20")
    for i in (3, 4, 5, 6):
        buy(i, "2026-04-15")
    buy(10, "2026-03-03")
    buy(10, "2026-05-03")
    return people


def run(user, name, **query):
    report = base.get_report(name)
    return report, base.run(user, name, base.parse_params(report, query))


def test_retention_year_on_year_is_the_seeds_story(org, buyers):
    _report, year = run(org["admin"], "retention", period="year", date="2026-06-01", group_by="year")
    assert year.totals["retention"] == Decimal("70.0") and year.totals["churn"] == Decimal("30.0")
    assert (year.totals["customers"], year.totals["base"], year.totals["retained"], year.totals["new"]) == (
        8,
        10,
        7,
        1,
    )
    assert year.rows[0]["retention"] == Decimal("70.0")
    assert year.extra["repeat_rate"] == Decimal("100.0")  # every 2026 buyer had bought twice by the end
    assert year.extra["clv"] == Decimal(1_818_182)  # 20 purchases of 1.000.000 over 11 customers, rounded


def test_retention_month_on_month_and_the_drill_down(org, buyers):
    report, months = run(
        org["admin"], "retention", period="custom", date_from="2026-01-01", date_to="2026-02-28"
    )
    jan, feb = months.rows
    assert (jan["key"], jan["customers"], jan["base"], jan["retained"]) == ("2026-01", 2, 0, 0)  # none in Dec
    assert (feb["customers"], feb["base"], feb["retained"], feb["retention"]) == (2, 2, 1, Decimal("50.0"))
    params = base.parse_params(
        report, {"period": "custom", "date_from": "2026-01-01", "date_to": "2026-02-28"}
    )
    for row in months.rows:
        for column in ("customers", "retained", "new"):
            assert report.drill(org["admin"], params, row["key"], column).total == row[column]
    retained = report.drill(org["admin"], params, "2026-02", "retained")
    assert [r["customer"] for r in retained.rows] == ["Khách 0"]


def test_a_manager_counts_their_teams_customers_only(org, buyers):
    _report, year = run(org["manager"], "retention", period="year", date="2026-06-01", group_by="year")
    # sales1's: c0–c4 bought in 2025, all five again in 2026, plus c10.
    assert (year.totals["base"], year.totals["retained"], year.totals["retention"]) == (
        5,
        5,
        Decimal("100.0"),
    )


def test_cohorts(org, buyers):
    _report, cohorts = run(org["admin"], "cohorts", period="year", date="2026-01-01")
    march = next(r for r in cohorts.rows if r["key"] == "2026-03")
    assert march["customers"] == 1
    matrix = next(m for m in cohorts.extra["matrix"]["rows"] if m["label"] == "03/2026")
    assert matrix["cells"][0]["percent"] == Decimal("100.0")
    assert matrix["cells"][1]["count"] == 0 and matrix["cells"][2]["count"] == 1
    assert sum(r["customers"] for r in cohorts.rows) == 1  # the others first bought in 2025


def test_rfm_segments_and_saving_one_as_a_marketing_segment(org, buyers):
    from sencrm.marketing.models import SegmentMember

    report, rfm = run(org["admin"], "rfm", period="month", date="2026-05-31")
    by_key = {r["key"]: r["customers"] for r in rfm.rows}
    assert sum(by_key.values()) == rfm.totals["customers"] == 11  # bought within the 12 months
    # c10 bought on 03/05 (28 days before) twice: recency 5, frequency 2 → promising.
    assert by_key["promising"] >= 1
    params = base.parse_params(report, {"period": "month", "date": "2026-05-31"})
    for row in rfm.rows:
        assert report.drill(org["admin"], params, row["key"], "customers").total == row["customers"]
    segment = loyalty.save_as_segment(org["marketing"], dt.date(2026, 5, 31), "promising", "RFM: triển vọng")
    assert segment.kind == "frozen" and segment.frozen_count == by_key["promising"]
    assert buyers[10].pk in set(
        SegmentMember.objects.filter(segment=segment).values_list("contact_id", flat=True)
    )


def test_the_rfm_page_saves_a_segment_for_marketing_only(org, buyers, client_as):
    from sencrm.marketing.models import Segment

    page = client_as("marketing").get("/reports/rfm/", {"date": "2026-05-31"})
    assert page.status_code == 200 and 'data-testid="rfm-save-segment"' in page.content.decode()
    made = client_as("marketing").post(
        "/reports/rfm/segment/", {"segment": "promising", "name": "Triển vọng", "date": "2026-05-31"}
    )
    assert made.status_code == 302 and Segment.objects.filter(name="Triển vọng", kind="frozen").exists()
    assert 'data-testid="rfm-save-segment"' not in client_as("board").get("/reports/rfm/").content.decode()
    refused = client_as("board").post("/reports/rfm/segment/", {"segment": "lost", "name": "x"})
    assert refused.status_code == 403
