"""Revenue and best sellers against hand-computed figures: groupings, the invoice-wide discount row,
local midnight, comparisons, the reports scope, drill-downs that add up to their cell, the API and the
number of queries."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from sencrm.reports import base

pytestmark = pytest.mark.django_db
TZ = zoneinfo.ZoneInfo("Asia/Ho_Chi_Minh")
MARCH = {"period": "month", "date": "2026-03-15"}


def at(day: str, hour: int = 10, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time(hour, minute), tzinfo=TZ)


def run(user, name="revenue", **query):
    report = base.get_report(name)
    return base.run(user, name, base.parse_params(report, {**MARCH, **query}))


def by_key(result, column="revenue"):
    return {r["key"]: r[column] for r in result.rows}


@pytest.fixture
def book(org, catalogue, hanoi):  # noqa: F811
    """March 2026: sales1's customer A (Hà Nội, 35) buys a split unit and its installation (12.500.000
    before VAT); sales2's customer B (TP.HCM, 23) two split units less 1.000.000 off the invoice
    (23.000.000); sales2's account C (Đà Nẵng) an installation on 1 April (500.000). A draft is ignored.
    A pays 5.000.000 at 23:59 on 31/03, B 10.000.000 at 00:00 on 01/04."""
    from sencrm.billing.services import invoice_create, invoice_issue, payment_create
    from sencrm.customers import services as customers
    from sencrm.customers.models import Province

    hcm = Province.objects.get(code="ho-chi-minh")
    danang = Province.objects.get(code="da-nang")
    acc = org["accountant"]
    a = customers.contact_create(
        actor=org["sales1"],
        data={"full_name": "Khách A", "province": hanoi, "date_of_birth": dt.date(1990, 6, 15)},
    )
    b = customers.contact_create(
        actor=org["sales2"],
        data={"full_name": "Khách B", "province": hcm, "date_of_birth": dt.date(2003, 3, 1)},
    )
    c = customers.account_create(actor=org["sales2"], data={"name": "Công ty C", "province": danang})
    split, install = catalogue["split"], catalogue["install"]

    def invoice(customer, day, lines, **data):
        key = "account" if customer is c else "contact"
        made = invoice_create(
            actor=acc,
            data={key: customer, "issue_date": dt.date.fromisoformat(day), **data},
            lines=[{"product": p, "quantity": q, "unit_price": price} for p, q, price in lines],
        )
        return invoice_issue(made, actor=acc)

    invoice(a, "2026-03-31", [(split, 1, 12_000_000), (install, 1, 500_000)])
    invoice(b, "2026-03-01", [(split, 2, 12_000_000)], discount_amount=Decimal(1_000_000))
    invoice(c, "2026-04-01", [(install, 1, 500_000)])
    invoice_create(
        actor=acc,
        data={"contact": a, "issue_date": dt.date(2026, 3, 10)},
        lines=[{"product": split, "quantity": 5, "unit_price": 1}],
    )
    payment_create(
        actor=acc, data={"amount": Decimal(5_000_000), "contact": a, "paid_at": at("2026-03-31", 23, 59)}
    )
    payment_create(
        actor=acc, data={"amount": Decimal(10_000_000), "contact": b, "paid_at": at("2026-04-01", 0, 0)}
    )
    return {"a": a, "b": b, "c": c}


from sencrm.commerce.tests.conftest import catalogue  # noqa: E402, F401  (shared fixture)


def test_revenue_by_employee_and_cash_at_local_midnight(org, book):
    result = run(org["admin"], group_by="employee")
    sales1, sales2 = str(org["sales1"].pk), str(org["sales2"].pk)
    assert by_key(result) == {sales1: Decimal(12_500_000), sales2: Decimal(23_000_000)}
    # 23:59 on 31/03 is March; 00:00 on 01/04 is April.
    assert by_key(result, "cash") == {sales1: Decimal(5_000_000), sales2: Decimal(0)}
    assert result.totals == {"revenue": Decimal(35_500_000), "cash": Decimal(5_000_000), "invoices": 2}
    april = run(org["admin"], group_by="employee", date="2026-04-10")
    assert april.totals == {"revenue": Decimal(500_000), "cash": Decimal(10_000_000), "invoices": 1}
    # April compares with March (the previous month) and with April 2025 (nothing).
    assert april.previous == {"revenue": Decimal(35_500_000), "cash": Decimal(5_000_000), "invoices": 2}
    assert april.last_year == {"revenue": Decimal(0), "cash": Decimal(0), "invoices": 0}


def test_by_product_the_invoice_discount_is_a_row_and_the_total_is_the_same(org, book, catalogue):  # noqa: F811
    result = run(org["admin"], group_by="product")
    split, install = str(catalogue["split"].pk), str(catalogue["install"].pk)
    assert by_key(result) == {
        split: Decimal(36_000_000),
        install: Decimal(500_000),
        "invoice_discount": Decimal(-1_000_000),
    }
    assert result.totals["revenue"] == Decimal(35_500_000)
    assert result.totals["cash"] is None  # money received is not split by product
    assert result.rows[-1]["key"] == "invoice_discount"


def test_by_region_province_and_age_band(org, book, hanoi):
    assert by_key(run(org["admin"], group_by="region")) == {
        "north": Decimal(12_500_000),
        "south": Decimal(23_000_000),
    }
    assert by_key(run(org["admin"], group_by="province"))[str(hanoi.pk)] == Decimal(12_500_000)
    # On 31/03/2026 A (born 15/06/1990) is 35 and B (born 01/03/2003) is 23.
    assert by_key(run(org["admin"], group_by="age_band")) == {
        "under_25": Decimal(23_000_000),
        "35_44": Decimal(12_500_000),
    }
    april = run(org["admin"], group_by="age_band", date="2026-04-02")
    # An account has no age; B's April receipt makes a row with cash and no invoice.
    assert by_key(april) == {"unknown": Decimal(500_000), "under_25": 0}
    assert by_key(april, "cash") == {"unknown": 0, "under_25": Decimal(10_000_000)}


def test_time_buckets_fill_the_period_and_an_empty_period_is_zero(org, book):
    quarter = run(org["admin"], period="quarter", group_by="month")
    assert [(r["key"], r["revenue"]) for r in quarter.rows] == [
        ("2026-01", 0),
        ("2026-02", 0),
        ("2026-03", Decimal(35_500_000)),
    ]
    empty = run(org["admin"], date="2025-03-01", group_by="day")
    assert len(empty.rows) == 31 and empty.totals["revenue"] == 0


def test_a_manager_sees_their_teams_figures_only(org, book):
    manager = run(org["manager"], group_by="employee")
    assert manager.totals["revenue"] == Decimal(12_500_000)  # sales1 is in the manager's team
    assert manager.totals["cash"] == Decimal(5_000_000)
    admin = run(org["admin"], group_by="employee")
    assert admin.totals["revenue"] == Decimal(35_500_000)
    with pytest.raises(PermissionDenied):
        run(org["sales1"])


@pytest.mark.parametrize("group_by", ["employee", "product", "region", "age_band", "month", "day"])
def test_each_drill_down_adds_up_to_its_cell(org, book, group_by):
    for username in ("admin", "manager"):
        user = org[username]
        report = base.get_report("revenue")
        params = base.parse_params(report, {**MARCH, "group_by": group_by})
        result = base.run(user, "revenue", params)
        for row in result.rows:
            if not row["drill"]:
                continue
            for column in ("revenue", "cash", "invoices"):
                if row.get(column) is None:
                    continue
                detail = report.drill(user, params, row["key"], column)
                expected = row[column]
                assert detail.total == expected, (username, group_by, row["key"], column)


def test_best_sellers_rank_by_quantity_or_revenue(org, book, catalogue):  # noqa: F811
    result = run(org["admin"], "best-sellers", by="quantity")
    assert [(r["rank"], r["key"], r["quantity"]) for r in result.rows] == [
        (1, str(catalogue["split"].pk), Decimal(3)),
        (2, str(catalogue["install"].pk), Decimal(1)),
    ]
    assert result.totals["revenue"] == Decimal(36_500_000)  # lines, before the invoice-wide discount
    row = result.rows[0]
    report = base.get_report("best-sellers")
    detail = report.drill(org["admin"], base.parse_params(report, MARCH), row["key"], "revenue")
    assert detail.total == row["revenue"] == Decimal(36_000_000)


def test_the_number_of_queries_does_not_grow_with_the_invoices(org, book, catalogue):  # noqa: F811
    from sencrm.billing.services import invoice_create, invoice_issue

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            run(org["admin"], group_by="product")
            run(org["admin"], group_by="employee")
        return len(ctx.captured_queries)

    count()  # warm the reader's grants
    before = count()
    for i in range(5):
        made = invoice_create(
            actor=org["accountant"],
            data={"contact": book["a"], "issue_date": dt.date(2026, 3, 2 + i)},
            lines=[{"product": catalogue["install"], "quantity": 1, "unit_price": 100_000}],
        )
        invoice_issue(made, actor=org["accountant"])
    assert count() == before


def test_periods_months_quarters_leap_years():
    feb = base.Period.containing("month", dt.date(2028, 2, 10))
    assert (feb.date_from, feb.date_to) == (dt.date(2028, 2, 1), dt.date(2028, 2, 29))
    assert feb.last_year() == base.Period("month", dt.date(2027, 2, 1), dt.date(2027, 2, 28))
    march = base.Period.containing("month", dt.date(2026, 3, 31))
    assert march.previous() == base.Period("month", dt.date(2026, 2, 1), dt.date(2026, 2, 28))
    q1 = base.Period.containing("quarter", dt.date(2028, 2, 29))
    assert (q1.date_from, q1.date_to) == (dt.date(2028, 1, 1), dt.date(2028, 3, 31))
    assert q1.previous() == base.Period("quarter", dt.date(2027, 10, 1), dt.date(2027, 12, 31))
    week = base.Period("custom", dt.date(2026, 3, 2), dt.date(2026, 3, 8))
    assert week.previous() == base.Period("custom", dt.date(2026, 2, 23), dt.date(2026, 3, 1))
    start, end = march.bounds()
    assert start.isoformat() == "2026-03-01T00:00:00+07:00" and end.isoformat() == "2026-04-01T00:00:00+07:00"


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"group_by": "colour"}, "group_by"),
        ({"period": "fortnight"}, "period"),
        ({"period": "custom", "date_from": "2026-03-01"}, "date_to"),
        ({"date_from": "2026-03-31", "date_to": "2026-03-01"}, "date_to"),
        ({"date_from": "2020-01-01", "date_to": "2026-01-01"}, "date_to"),
        ({"date": "31/03/2026"}, "date"),
        ({"by": "colour"}, "by"),
    ],
)
def test_bad_parameters_are_named(query, field):
    report = base.get_report("best-sellers" if "by" in query else "revenue")
    with pytest.raises(ValidationError) as caught:
        base.parse_params(report, {"period": "month", **query})
    assert field in caught.value.message_dict


def test_the_api_answers_rows_and_totals_as_decimal_strings(org, book, client_as):
    api = client_as("admin")
    body = api.get("/api/v1/reports/revenue/", {**MARCH, "group_by": "region"}).json()
    assert body["totals"]["revenue"] == "35500000"
    assert {r["key"]: r["revenue"] for r in body["rows"]} == {"north": "12500000", "south": "23000000"}
    assert body["comparison"]["previous"]["date_from"] == "2026-02-01"
    assert body["comparison"]["last_year"]["totals"]["revenue"] == "0"
    drill = api.get(
        "/api/v1/reports/revenue/drill/", {**MARCH, "group_by": "region", "key": "south", "column": "revenue"}
    )
    assert drill.json()["total"] == "23000000" and drill.json()["count"] == 1
    with translation.override("en"):
        bad = api.get("/api/v1/reports/revenue/", {"group_by": "colour"})
    assert bad.status_code == 400 and "group_by" in bad.json()["errors"]
    assert api.get("/api/v1/reports/no-such-report/").status_code == 404
    manager = client_as("manager").get("/api/v1/reports/revenue/", MARCH).json()
    assert manager["totals"]["revenue"] == "12500000"
    assert client_as("sales1").get("/api/v1/reports/revenue/").status_code == 403


def test_the_pages_the_drill_down_and_the_exports(org, book, client_as):
    import io

    from pypdf import PdfReader

    web = client_as("board")
    page = web.get("/reports/revenue/", {**MARCH, "group_by": "employee"})
    assert page.status_code == 200
    html = page.content.decode()
    assert "Nguyễn Văn Nam" in html and 'data-testid="drill-link"' in html
    drill = web.get(
        "/reports/revenue/drill/",
        {**MARCH, "group_by": "employee", "key": str(org["sales2"].pk), "column": "revenue"},
    )
    assert (
        drill.status_code == 200
        and "Khách B" in drill.content.decode()
        and "Khách A" not in drill.content.decode()
    )
    csv = web.get("/reports/revenue/export/", {**MARCH, "group_by": "employee", "format": "csv"})
    text = b"".join(csv.streaming_content).decode("utf-8-sig")
    assert "35500000" in text and "Nguyễn Văn Nam" in text
    pdf = web.get("/reports/revenue/export/", {**MARCH, "group_by": "employee", "format": "pdf"})
    assert pdf.status_code == 200
    words = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "35.500.000" in words and "Lê Thị Mai Anh" in words
    assert web.get("/reports/revenue/export/", {"format": "doc"}).status_code == 400
    bad = web.get("/reports/revenue/", {"group_by": "colour"})
    assert bad.status_code == 400
