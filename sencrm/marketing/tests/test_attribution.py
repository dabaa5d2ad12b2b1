"""The attribution report (sencrm/marketing/attribution.py): the seeds' example, sums against the receipts,
the three models, the ratios, scope and the number of queries."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Sum

from sencrm.billing.models import Payment, PaymentKind
from sencrm.marketing import attribution
from sencrm.marketing.attribution import Params
from sencrm.marketing.tests import attribution_data as make

pytestmark = pytest.mark.django_db


def params(view="cash", by="campaign", model="first", start="2026-01-01", end="2026-12-31"):
    return Params(view, by, model, dt.date.fromisoformat(start), dt.date.fromisoformat(end))


def rows(report):
    return {(r.month, r.campaign, r.channel): r for r in report.rows}


def test_the_seeds_example_is_august_by_lead_month_and_september_by_cash(org, seeds):
    lead = attribution.report(org["marketing"], params("lead"))
    cash = attribution.report(org["marketing"], params("cash"))

    [lead_row] = lead.rows
    assert (lead_row.month, lead_row.campaign, lead_row.channel) == ("2026-08", seeds.pk, "facebook_ads")
    assert (lead_row.leads, lead_row.customers, lead_row.revenue) == (1, 1, Decimal(50_000_000))
    by_month = rows(cash)
    assert by_month[("2026-09", seeds.pk, "facebook_ads")].revenue == Decimal(50_000_000)
    assert by_month[("2026-09", seeds.pk, "facebook_ads")].customers == 1
    # The lead came in August: the cash view counts it in the month it was created, with no money.
    assert by_month[("2026-08", seeds.pk, "facebook_ads")].leads == 1
    assert by_month[("2026-08", seeds.pk, "facebook_ads")].revenue == 0
    for report in (lead, cash):
        assert report.lag["median"] == 34
        assert report.lag["buckets"]["31-60"] == 1
    by_channel = attribution.report(org["marketing"], params("lead", by="channel"))
    assert [(r.month, r.campaign, r.channel, r.revenue) for r in by_channel.rows] == [
        ("2026-08", None, "facebook_ads", Decimal(50_000_000))
    ]


def test_the_lead_month_can_be_the_creation_month(org, seeds, settings):
    late = make.contact(
        org["sales1"], "Khách chạm tháng 6", first=seeds, touch="2026-06-20", created="2026-07-02"
    )
    make.receipt(org["accountant"], late, 1_000_000, "2026-09-10")
    touched = attribution.report(org["marketing"], params("lead"))
    assert {r.month: r.revenue for r in touched.rows} == {"2026-06": 1_000_000, "2026-08": 50_000_000}
    settings.ATTRIBUTION_LEAD_MONTH = "created"
    created = attribution.report(org["marketing"], params("lead"))
    assert {r.month: r.revenue for r in created.rows} == {"2026-07": 1_000_000, "2026-08": 50_000_000}


def _receipts_total(user, level="all"):
    qs = Payment.objects.filter(kind=PaymentKind.RECEIPT)
    if level != "all":
        qs = qs.filter(Payment.access_q(user, level))
    return qs.aggregate(s=Sum("amount"))["s"]


@pytest.mark.parametrize("model", ["first", "last", "linear"])
@pytest.mark.parametrize("by", ["campaign", "channel"])
def test_both_views_add_up_to_the_receipts(org, book, model, by):
    for username, level in (("marketing", "all"), ("manager", "team")):
        user = org[username]
        expected = _receipts_total(user, level)
        for view in ("cash", "lead"):
            report = attribution.report(user, params(view, by, model))
            assert sum(r.revenue for r in report.rows) == expected, (username, view)
            assert report.totals.revenue == expected


def test_a_managers_figures_are_their_teams(org, book):
    manager = attribution.report(org["manager"], params("cash"))
    everyone = attribution.report(org["marketing"], params("cash"))
    # Customers C and D belong to sales2's team (Hồ Chí Minh): not the Hà Nội manager's.
    assert manager.totals.revenue == Decimal(52_000_001)
    assert everyone.totals.revenue == Decimal(79_000_001)
    assert manager.totals.customers == 3 and everyone.totals.customers == 5
    assert manager.totals.leads == 2 and everyone.totals.leads == 3
    # Costs follow the campaigns' scope (marketing's campaigns are outside the Hà Nội team).
    assert everyone.totals.cost == Decimal(8_000_000)
    assert manager.totals.cost == 0


def test_a_customer_is_new_once_at_their_earliest_receipt_and_only_where_it_is_seen(org, book):
    fb = book["fb"].pk
    late = make.contact(org["sales1"], "Khách E", first=book["fb"], touch="2026-05-02")
    make.receipt(org["accountant"], late, 1_000_000, "2026-06-10")
    # Entered afterwards with an earlier date, and put in the other team: it is E's first receipt.
    make.receipt(org["accountant"], late, 2_000_000, "2026-05-15", owner=org["sales2"])
    late.refresh_from_db()
    assert late.first_receipt_at == make.at("2026-05-15")
    everyone = rows(attribution.report(org["marketing"], params("cash")))
    assert everyone[("2026-05", fb, "facebook_ads")].customers == 1
    assert everyone[("2026-06", fb, "facebook_ads")].customers == 0  # A's second receipt and E's
    manager = rows(attribution.report(org["manager"], params("cash")))
    # The manager sees E's June receipt, not the May one that made E a customer: no new customer.
    assert manager[("2026-06", fb, "facebook_ads")].revenue == Decimal(6_000_000)
    assert manager[("2026-06", fb, "facebook_ads")].customers == 0
    assert ("2026-05", fb, "facebook_ads") not in manager
    for user in (org["marketing"], org["manager"]):
        for view in ("cash", "lead"):
            report = attribution.report(user, params(view))
            # The lag is read from the customer tables, the count from the receipts: the same customers.
            assert report.lag["count"] == report.totals.customers, (user.username, view)
    lag = attribution.report(org["marketing"], params("cash", start="2026-05-01", end="2026-05-31")).lag
    assert (lag["count"], lag["median"], lag["buckets"]["8-30"]) == (2, 16, 2)  # D: 19 days, E: 13


def test_the_period_filters_the_month_axis_of_each_view(org, book):
    cash = attribution.report(org["marketing"], params("cash", start="2026-04-01", end="2026-04-30"))
    assert cash.totals.revenue == Decimal(27_000_001)  # B on 15/04 and C on 02/04
    lead = attribution.report(org["marketing"], params("lead", start="2026-03-01", end="2026-03-31"))
    # Touched in March: A (both receipts, one paid in June) and B.
    assert lead.totals.revenue == Decimal(22_000_001)
    assert {r.month for r in lead.rows} == {"2026-03"}
    late = attribution.report(org["marketing"], params("cash", start="2026-07-01", end="2026-07-31"))
    assert late.totals.revenue == Decimal(3_000_000)


def test_first_last_and_linear_credit_as_computed_by_hand(org, book):
    fb, gg = book["fb"].pk, book["gg"].pk
    user = org["marketing"]
    first = rows(attribution.report(user, params("cash", model="first")))
    last = rows(attribution.report(user, params("cash", model="last")))
    linear = rows(attribution.report(user, params("cash", model="linear")))
    # B paid 7.000.001 in April: first touch Fanpage, latest Google.
    assert first[("2026-04", fb, "facebook_ads")].revenue == Decimal(7_000_001)
    assert last[("2026-04", gg, "google_ads")].revenue == Decimal(27_000_001)  # B + C
    assert ("2026-04", fb, "facebook_ads") not in last
    assert linear[("2026-04", fb, "facebook_ads")].revenue == Decimal(3_500_001)  # the odd đồng first
    assert linear[("2026-04", gg, "google_ads")].revenue == Decimal(23_500_000)
    assert linear[("2026-04", fb, "facebook_ads")].customers == Decimal("0.5")
    assert linear[("2026-04", gg, "google_ads")].customers == Decimal("1.5")
    # Lead B (Fanpage then Google, March): half a lead each under linear.
    assert linear[("2026-03", gg, "google_ads")].leads == Decimal("0.5")
    assert linear[("2026-03", fb, "facebook_ads")].leads == Decimal("1.5")
    # No campaign: the customer's source channel; the account customer is credited like a contact.
    assert first[("2026-05", None, "zalo")].revenue == Decimal(4_000_000)
    assert first[("2026-03", gg, "google_ads")].revenue == Decimal(30_000_000)


def test_cost_per_lead_per_customer_and_roi(org, book):
    fb = book["fb"].pk
    row = rows(attribution.report(org["marketing"], params("cash")))[("2026-03", fb, "facebook_ads")]
    # March, Fanpage: cost 3.000.000, leads A and B, new customer A (10.000.000).
    assert (row.cost, row.leads, row.customers, row.revenue) == (
        Decimal(3_000_000),
        2,
        1,
        Decimal(10_000_000),
    )
    assert row.cost_per_lead == Decimal(1_500_000)
    assert row.cost_per_customer == Decimal(3_000_000)
    assert row.roi == Decimal("2.33")
    empty = attribution.Row("2026-01", None, "none")
    assert empty.cost_per_lead is None and empty.roi is None


def test_the_lag_summary_has_median_mean_and_buckets():
    summary = attribution.lag_summary({0: 1, 10: 2, 45: 1, 100: 1})
    assert summary["median"] == 10
    assert summary["mean"] == 33.0
    assert summary["buckets"] == {"0-7": 1, "8-30": 2, "31-60": 1, "61-90": 0, "90+": 1}
    assert attribution.lag_summary({3: 1, 8: 1})["median"] == 5.5
    assert attribution.lag_summary({})["median"] is None


def test_the_parameters_are_checked():
    assert attribution.parse_params({}, today=dt.date(2026, 9, 15)).date_from == dt.date(2025, 10, 1)
    bad = [
        {"view": "both"},
        {"by": "owner"},
        {"model": "u-shaped"},
        {"date_from": "01/08/2026"},
        {"date_from": "2026-02-30"},
        {"date_to": "２０２６-０１-０１"},
        {"date_from": "2026-09-01", "date_to": "2026-08-01"},
        {"date_from": "2020-01-01", "date_to": "2026-12-31"},
        {"date_from": "9" * 5000},
    ]
    for query in bad:
        with pytest.raises(ValidationError):
            attribution.parse_params(query)
    ok = attribution.parse_params({"date_from": "2024-01-01", "date_to": "2026-12-31"})
    assert len(ok.months()) == 36


def test_a_role_without_reports_is_refused(org):
    with pytest.raises(PermissionDenied):
        attribution.report(org["sales1"], params())
    assert attribution.attribution_chart_6_months(org["sales1"]) is None


def test_the_home_page_chart_has_six_months_of_both_views(org, seeds):
    chart = attribution.attribution_chart_6_months(org["marketing"], today=dt.date(2026, 9, 20))
    assert chart["labels"] == ["04/2026", "05/2026", "06/2026", "07/2026", "08/2026", "09/2026"]
    cash, lead = chart["datasets"]
    assert cash["data"][-1] == 50_000_000 and lead["data"][-2] == 50_000_000


def test_the_number_of_queries_does_not_grow_with_the_rows(org, book, django_assert_max_num_queries):
    with django_assert_max_num_queries(9):
        small = attribution.report(org["marketing"], params("lead", model="linear"))
    for i in range(6):
        customer = make.contact(org["sales1"], f"Khách thêm {i}", first=book["gg"], touch=f"2026-0{i + 1}-11")
        make.receipt(org["accountant"], customer, 1_000_000, f"2026-0{i + 2}-12")
    with django_assert_max_num_queries(9):
        large = attribution.report(org["marketing"], params("lead", model="linear"))
    assert len(large.rows) > len(small.rows)
