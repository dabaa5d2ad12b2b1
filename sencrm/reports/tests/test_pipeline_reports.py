"""The funnel and sales reports against hand-computed figures (sencrm/reports/tests/pipeline_data.py):
groupings, local midnight at both ends of the period, an empty period, the manager's team scope, drill-downs
that add up to their cell, the number of queries and a bad grouping."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from sencrm.reports import base
from sencrm.reports import pipeline as _registers  # noqa: F401  (registers the reports)
from sencrm.reports.tests import pipeline_data

pytestmark = pytest.mark.django_db
funnel_book = pipeline_data.funnel_book
sales_book = pipeline_data.sales_book
MARCH = {"period": "month", "date": "2026-03-15"}
D = Decimal


def run(user: Any, name: str, **query: str) -> base.Result:
    report = base.get_report(name)
    return base.run(user, name, base.parse_params(report, {**MARCH, **query}))


def rows(result: base.Result, *columns: str) -> dict[str, tuple[Any, ...]]:
    return {r["key"]: tuple(r[c] for c in columns) for r in result.rows}


def pick(values: dict[str, Any], *columns: str) -> tuple[Any, ...]:
    return tuple(values[c] for c in columns)


FUNNEL = ("leads", "prospects", "customers", "lead_to_customer", "avg_days", "cost")
RATES = ("cost_per_lead", "cost_per_customer")


# --- funnel ------------------------------------------------------------------------------------------


def test_funnel_by_source(org: Any, funnel_book: Any) -> None:
    result = run(org["admin"], "funnel")
    assert result.params.group_by == "source"
    assert rows(result, *FUNNEL) == {
        "facebook": (2, 1, 1, D("50.0"), D("10.0"), D(4_000_000)),
        "zalo": (1, 2, 2, D("200.0"), D("22.0"), D(2_000_000)),
        "none": (1, 0, 0, D("0.0"), None, None),
        "tiktok": (0, 0, 0, None, None, D(600_000)),
    }
    assert rows(result, *RATES) == {
        "facebook": (D(2_000_000), D(4_000_000)),
        "zalo": (D(2_000_000), D(1_000_000)),
        "none": (None, None),
        "tiktok": (None, None),
    }
    assert pick(result.totals, *FUNNEL, *RATES) == (
        4, 3, 3, D("75.0"), D("18.0"), D(6_600_000), D(1_650_000), D(2_200_000)
    )  # fmt: skip
    with translation.override("en"):
        labels = {r["key"]: r["label"] for r in run(org["admin"], "funnel").rows}
    assert labels["tiktok"] == "TikTok" and labels["none"] == "(no source)"


def test_funnel_stages_for_the_chart(org: Any, funnel_book: Any) -> None:
    with translation.override("en"):
        stages = run(org["admin"], "funnel").extra["stages"]
    assert [(s["key"], s["label"], s["count"], s["rate"]) for s in stages] == [
        ("target", "Target", 2, None),
        ("lead", "Lead", 4, D("200.0")),
        ("prospect", "Prospect", 3, D("75.0")),
        ("customer", "Customer", 3, D("100.0")),
    ]


def test_funnel_by_campaign(org: Any, funnel_book: Any) -> None:
    fb, zl, tk = (str(funnel_book[k].pk) for k in ("fb", "zl", "tk"))
    result = run(org["admin"], "funnel", group_by="campaign")
    assert rows(result, "leads", "prospects", "customers", "cost") == {
        fb: (2, 1, 1, D(4_000_000)),
        zl: (1, 1, 1, D(2_000_000)),
        tk: (0, 0, 0, D(600_000)),
        "none": (1, 1, 1, None),
    }
    assert result.totals["cost"] == D(6_600_000) and result.totals["customers"] == 3


def test_funnel_by_month_has_the_local_midnights_at_both_ends(org: Any, funnel_book: Any) -> None:
    result = run(org["admin"], "funnel", period="quarter", group_by="month")
    assert rows(result, "leads", "prospects", "customers", "cost") == {
        "2026-01": (0, 0, 0, None),
        # L4 at 23:59 on 28/02 and K4's first payment; Fanpage's 200.000 of 28/02.
        "2026-02": (1, 0, 1, D(200_000)),
        # L1 at 00:00 on 01/03 and L2 at 23:59 on 31/03 are March; L3 at 00:00 on 01/04 is not.
        "2026-03": (4, 3, 3, D(6_600_000)),
    }
    april = run(org["admin"], "funnel", date="2026-04-10")
    # L3 created, P3 became a prospect and K3 paid, each at 00:00 on 01/04; Fanpage's 500.000.
    assert pick(april.totals, "leads", "prospects", "customers", "cost") == (1, 1, 1, D(500_000))


def test_funnel_empty_period(org: Any, funnel_book: Any) -> None:
    result = run(org["admin"], "funnel", date="2025-03-10")
    assert result.rows == []
    assert pick(result.totals, *FUNNEL, *RATES) == (0, 0, 0, None, None, None, None, None)
    assert [s["count"] for s in result.extra["stages"]] == [0, 0, 0, 0]
    assert [s["rate"] for s in result.extra["stages"]] == [None, None, None, None]
    by_month = run(org["admin"], "funnel", date="2025-03-10", group_by="quarter")
    assert [r["key"] for r in by_month.rows] == ["2025-Q1"] and by_month.rows[0]["leads"] == 0


def test_funnel_manager_sees_their_team(org: Any, funnel_book: Any) -> None:
    manager = run(org["manager"], "funnel")
    # sales1's leads, prospects (L4 converted, P1) and customers (K1, K2); only the team's Zalo OA costs.
    assert rows(manager, "leads", "prospects", "customers", "cost") == {
        "facebook": (2, 1, 1, None),
        "zalo": (0, 1, 1, D(2_000_000)),
    }
    assert pick(manager.totals, "leads", "prospects", "customers", "cost") == (2, 2, 2, D(2_000_000))
    assert [s["count"] for s in manager.extra["stages"]] == [1, 2, 2, 2]  # P3 is sales1's target
    admin = run(org["admin"], "funnel")
    assert pick(admin.totals, "leads", "prospects", "customers") == (4, 3, 3)


@pytest.mark.parametrize("group_by", ["source", "campaign", "month", "quarter"])
def test_funnel_drill_equals_cell(org: Any, funnel_book: Any, group_by: Any) -> None:
    report = base.get_report("funnel")
    for username in ("admin", "manager"):
        user = org[username]
        params = base.parse_params(report, {**MARCH, "group_by": group_by})
        result = base.run(user, "funnel", params)
        for row in result.rows:
            for column in ("leads", "prospects", "customers"):
                detail = report.drill(user, params, row["key"], column)
                assert detail.total == row[column] == detail.count, (username, row["key"], column)
                assert len(detail.rows) == detail.count


def test_funnel_drill_lists_the_records(org: Any, funnel_book: Any) -> None:
    report = base.get_report("funnel")
    params = base.parse_params(report, MARCH)
    leads = report.drill(org["admin"], params, "facebook", "leads")
    assert sorted(r["name"] for r in leads.rows) == ["Lead 1", "Lead 2"]
    prospects = report.drill(org["admin"], params, "zalo", "prospects")
    assert sorted(r["name"] for r in prospects.rows) == ["Lead 4", "Prospect 2"]
    customers = report.drill(org["admin"], params, "zalo", "customers")
    assert sorted((r["customer"], r["days"]) for r in customers.rows) == [("Khách 2", 39), ("Khách 5", 5)]
    assert report.drill(org["admin"], params, "facebook", "cost").count == 0


# --- sales -------------------------------------------------------------------------------------------

SALES = ("pipeline", "forecast", "won", "won_amount", "lost", "lost_amount", "win_rate", "avg_deal")
ACTIVITY = ("sales_cycle_days", "quotes_sent", "quotes_accepted", "orders_late")


def test_sales_by_employee(org: Any, sales_book: Any) -> None:
    result = run(org["admin"], "sales")
    sales1, sales2 = str(org["sales1"].pk), str(org["sales2"].pk)
    assert rows(result, *SALES) == {
        # 100.000.000 × 50 % + 33.333.333 × 30 % = 59.999.999,9
        sales1: (D(133_333_333), D(60_000_000), 1, D(50_000_000), 1, D(40_000_000), D("50.0"), D(50_000_000)),
        sales2: (D(0), D(0), 1, D(10_000_000), 0, D(0), D("100.0"), D(10_000_000)),
    }
    assert rows(result, *ACTIVITY) == {sales1: (D("30.0"), 1, 1, 2), sales2: (D("15.0"), 1, 0, 1)}
    assert pick(result.totals, *SALES, *ACTIVITY) == (
        D(133_333_333), D(60_000_000), 2, D(60_000_000), 1, D(40_000_000), D("66.7"), D(30_000_000),
        D("22.5"), 2, 1, 3,
    )  # fmt: skip


def test_sales_by_month_and_the_local_midnights(org: Any, sales_book: Any) -> None:
    result = run(org["admin"], "sales", group_by="month")
    # One bucket; order B (due 10/02) was already late and counts in it.
    assert [r["key"] for r in result.rows] == ["2026-03"]
    assert pick(result.rows[0], "won", "lost", "quotes_sent", "orders_late") == (2, 1, 2, 3)
    quarter = run(org["admin"], "sales", period="quarter", group_by="month")
    assert rows(quarter, "won", "lost", "quotes_sent", "orders_late", "pipeline") == {
        "2026-01": (0, 0, 0, 0, D(0)),
        "2026-02": (0, 1, 0, 1, D(0)),  # O8 lost at 23:59 on 28/02; B due 10/02
        "2026-03": (2, 1, 2, 2, D(133_333_333)),
    }
    april = run(org["admin"], "sales", date="2026-04-20")
    # O7 won at 00:00 on 01/04, Q2 sent at 00:00 on 01/04, O3 expected 01/04; C (due 01/04) is late too.
    assert pick(april.totals, "won", "won_amount", "quotes_sent", "pipeline", "orders_late") == (
        1, D(5_000_000), 1, D(20_000_000), 4
    )  # fmt: skip


def test_sales_by_stage_and_source(org: Any, sales_book: Any) -> None:
    from sencrm.sales.models import Stage

    result = run(org["admin"], "sales", group_by="stage")
    first = str(sales_book["o1"].stage_id)
    won = str(Stage.objects.get(pipeline=sales_book["o1"].pipeline, is_won=True).pk)
    lost = str(Stage.objects.get(pipeline=sales_book["o1"].pipeline, is_lost=True).pk)
    assert rows(result, "pipeline", "won", "lost", "quotes_sent", "orders_late") == {
        first: (D(133_333_333), 0, 0, 0, 0),
        won: (D(0), 2, 0, 0, 0),
        lost: (D(0), 0, 1, 0, 0),
        "none": (D(0), 0, 0, 2, 3),  # quotes and orders without an opportunity
    }
    by_source = run(org["admin"], "sales", group_by="source")
    assert rows(by_source, "won_amount")["facebook"] == (D(50_000_000),)
    assert by_source.totals["won_amount"] == D(60_000_000)


def test_sales_empty_period(org: Any, sales_book: Any) -> None:
    result = run(org["admin"], "sales", date="2025-03-10")
    assert result.rows == []
    assert pick(result.totals, *SALES, *ACTIVITY) == (
        D(0), D(0), 0, D(0), 0, D(0), None, None, None, 0, 0, 0
    )  # fmt: skip


def test_sales_manager_sees_their_team(org: Any, sales_book: Any) -> None:
    manager = run(org["manager"], "sales")
    assert list(rows(manager, "won")) == [str(org["sales1"].pk)]
    assert pick(manager.totals, "pipeline", "won", "won_amount", "lost", "quotes_sent", "orders_late") == (
        D(133_333_333), 1, D(50_000_000), 1, 1, 2
    )  # fmt: skip
    admin = run(org["admin"], "sales")
    assert admin.totals["won"] == 2


@pytest.mark.parametrize("group_by", ["employee", "team", "month", "stage", "source"])
def test_sales_drill_equals_cell(org: Any, sales_book: Any, group_by: Any) -> None:
    report = base.get_report("sales")
    for username in ("admin", "manager"):
        user = org[username]
        params = base.parse_params(report, {**MARCH, "group_by": group_by})
        result = base.run(user, "sales", params)
        for row in result.rows:
            for column in ("pipeline", "won", "won_amount", "lost", "lost_amount"):
                detail = report.drill(user, params, row["key"], column)
                assert detail.total == row[column], (username, group_by, row["key"], column)


# --- both --------------------------------------------------------------------------------------------


def test_the_number_of_queries_does_not_grow_with_the_records(
    org: Any, funnel_book: Any, sales_book: Any, django_assert_max_num_queries: Any
) -> None:
    from sencrm.reports.tests.pipeline_data import at, lead, receipt
    from sencrm.reports.tests.pipeline_data import contact as make_contact
    from sencrm.sales.models import Opportunity
    from sencrm.sales.services import opportunity_create, opportunity_mark_won

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            for group_by in ("source", "campaign", "month"):
                run(org["manager"], "funnel", group_by=group_by)
            for group_by in ("employee", "stage", "quarter"):
                run(org["manager"], "sales", group_by=group_by)
        return len(ctx.captured_queries)

    count()  # warm the reader's grants and the content types
    before = count()
    for i in range(4):
        lead(org, "sales1", f"Thêm {i}", at(f"2026-03-0{i + 2}"), "website", funnel_book["fb"])
        customer = make_contact(org, "sales1", f"Khách thêm {i}", source="phone", touch=at("2026-03-01"))
        receipt(org, customer, 1_000_000, at(f"2026-03-1{i}"))
        made = opportunity_create(actor=org["sales1"], data={"name": f"Thêm {i}", "amount": Decimal(1)})
        opportunity_mark_won(made, actor=org["sales1"], version=made.version)
        Opportunity.objects.filter(pk=made.pk).update(closed_at=at("2026-03-20"))
    assert count() == before
    # One run with its two comparisons: seven grouped queries per funnel, six per sales report (x3);
    # on PostgreSQL one more sets the heavy read's work_mem and JIT for the transaction.
    settings_query = 1 if connection.vendor == "postgresql" else 0
    with django_assert_max_num_queries(3 * 7 + 2 + settings_query):
        run(org["admin"], "funnel")
    with django_assert_max_num_queries(3 * 6 + 2 + settings_query):
        run(org["admin"], "sales", group_by="stage")


def test_bad_group_by_is_named(org: Any) -> None:
    for name in ("funnel", "sales"):
        with pytest.raises(ValidationError) as caught:
            base.parse_params(base.get_report(name), {**MARCH, "group_by": "colour"})
        assert "group_by" in caught.value.message_dict
    assert base.parse_params(base.get_report("funnel"), MARCH).group_by == "source"
    assert base.parse_params(base.get_report("sales"), MARCH).group_by == "employee"


def test_percent_rounds_to_one_decimal() -> None:
    from sencrm.reports.pipeline import percent

    assert percent(2, 3) == D("66.7") and percent(1, 8) == D("12.5") and percent(1, 0) is None
