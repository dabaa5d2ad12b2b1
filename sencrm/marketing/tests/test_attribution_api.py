"""`GET /api/v1/reports/attribution/` and the report's pages: the contract, bad parameters, access, the
drill-down behind a figure and the exports."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse

from sencrm.marketing.tests import attribution_data as make

pytestmark = pytest.mark.django_db

API = "/api/v1/reports/attribution/"
PERIOD = {"date_from": "2026-01-01", "date_to": "2026-12-31"}


def test_the_api_answers_the_seeds_example_in_both_views(client_as, seeds):  # noqa: F811
    client = client_as("marketing")
    lead = client.get(API, {"view": "lead", "by": "campaign", **PERIOD})
    assert lead.status_code == 200
    body = lead.json()
    assert (body["view"], body["by"], body["model"]) == ("lead", "campaign", "first")
    assert body["rows"] == [
        {
            "month": "2026-08",
            "campaign": seeds.pk,
            "campaign_name": "Fanpage tháng 8",
            "channel": "facebook_ads",
            "leads": 1,
            "customers": 1,
            "revenue": "50000000",
            "cost": "0",
            "cost_per_lead": "0",
            "cost_per_customer": "0",
            "roi": None,
        }
    ]
    assert body["lag_days"]["median"] == 34
    assert body["lag_days"]["buckets"] == {"0-7": 0, "8-30": 0, "31-60": 1, "61-90": 0, "90+": 0}
    cash = client.get(API, {"view": "cash", "by": "channel", **PERIOD}).json()
    assert [(r["month"], r["campaign"], r["channel"], r["revenue"]) for r in cash["rows"]] == [
        ("2026-08", None, "facebook_ads", "0"),
        ("2026-09", None, "facebook_ads", "50000000"),
    ]


def test_linear_counts_may_be_halves_in_the_api(client_as, book):  # noqa: F811
    rows = client_as("marketing").get(API, {"model": "linear", **PERIOD}).json()["rows"]
    april_fb = next(r for r in rows if r["month"] == "2026-04" and r["campaign"] == book["fb"].pk)
    assert april_fb["customers"] == 0.5 and april_fb["revenue"] == "3500001"


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"view": "both"}, "view"),
        ({"view": "<script>alert(1)</script>"}, "view"),
        ({"by": "owner"}, "by"),
        ({"model": "u-shaped"}, "model"),
        ({"date_from": "01/08/2026"}, "date_from"),
        ({"date_from": "2026-02-30"}, "date_from"),
        ({"date_to": "2026-13-01"}, "date_to"),
        ({"date_from": "Tháng Tám"}, "date_from"),
        ({"date_from": "2026-09-01", "date_to": "2026-08-01"}, "date_to"),
        ({"date_from": "2023-01-01", "date_to": "2026-12-31"}, "date_to"),
        ({"date_from": "1" * 10_000}, "date_from"),
    ],
)
def test_bad_parameters_answer_400_with_the_field_named(client_as, query, field):
    response = client_as("marketing").get(API, query)
    assert response.status_code == 400
    body = response.json()
    assert field in body["errors"] and body["message"]


def test_roles_without_reports_are_refused_and_a_manager_sees_their_teams(client_as, book):  # noqa: F811
    assert client_as("sales1").get(API).status_code == 403
    assert client_as("care").get(reverse("marketing:attribution")).status_code == 403
    assert (
        client_as("sales1").get(reverse("marketing:attribution_detail"), {"month": "2026-04"}).status_code
        == 403
    )
    manager = client_as("manager").get(API, PERIOD).json()
    assert sum(int(r["revenue"]) for r in manager["rows"]) == 52_000_001
    assert {r["campaign"] for r in manager["rows"]} <= {book["fb"].pk, book["gg"].pk}


def test_the_api_is_for_signed_in_users(client):
    assert client.get(API).status_code in {401, 403}


def test_the_page_shows_both_views_side_by_side(client_as, seeds, django_assert_max_num_queries):  # noqa: F811
    client = client_as("marketing")
    with django_assert_max_num_queries(30):
        page = client.get(reverse("marketing:attribution"), PERIOD)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-month="2026-08"' in html and 'data-month="2026-09"' in html
    assert "Fanpage tháng 8" in html and "attribution-chart" in html
    assert page.context["lead"].lag["median"] == 34
    bad = client.get(reverse("marketing:attribution"), {"date_from": "2026-09-01", "date_to": "2026-01-01"})
    assert bad.status_code == 400 and b"attribution-error" in bad.content


def test_every_figure_links_to_the_payments_behind_it(client_as, org, seeds):  # noqa: F811
    client = client_as("marketing")
    page = client.get(reverse("marketing:attribution"), PERIOD)
    entry = next(r for r in page.context["rows"] if r["month"] == "2026-09")
    detail = client.get(entry["links"]["cash_revenue"])
    assert detail.status_code == 200
    [payment] = detail.context["detail"].rows
    assert payment.amount == 50_000_000 and payment.share == 50_000_000
    assert "Trần Văn Khải" in detail.content.decode()
    # Marketing may not open receipts (no billing right): the number is shown, not linked.
    assert payment.viewable is False
    leads = client.get(
        next(r for r in page.context["rows"] if r["month"] == "2026-08")["links"]["lead_leads"]
    )
    assert [lead.full_name for lead in leads.context["detail"].rows] == ["Trần Văn Khải"]
    assert client.get(reverse("marketing:attribution_detail"), {"month": "08/2026"}).status_code == 400
    assert (
        client.get(reverse("marketing:attribution_detail"), {"month": "2026-08", "campaign": "x"}).status_code
        == 400
    )


def test_the_drill_down_keeps_to_the_viewers_scope(client_as, org, book):  # noqa: F811
    url = reverse("marketing:attribution_detail")
    query = {**PERIOD, "view": "cash", "month": "2026-04", "campaign": book["gg"].pk, "metric": "revenue"}
    query["model"] = "last"
    everyone = client_as("marketing").get(url, query).context["detail"]
    assert sorted(p.amount for p in everyone.rows) == [7_000_001, 20_000_000]
    manager = client_as("manager").get(url, query).context["detail"]
    assert [p.amount for p in manager.rows] == [7_000_001]  # C is sales2's (another team)
    linear = client_as("marketing").get(url, {**query, "model": "linear"}).context["detail"]
    assert sorted(p.share for p in linear.rows) == [3_500_000, 20_000_000]


def test_the_table_exports_as_csv_and_xlsx_with_formula_safe_names(client_as, org, hanoi):
    from openpyxl import load_workbook

    evil = make.campaign(org["marketing"], '=HYPERLINK("http://evil","x")', "other")
    customer = make.contact(org["sales1"], "Khách Export", first=evil, touch="2026-03-01")
    make.receipt(org["accountant"], customer, 1_234_567, "2026-03-10")
    client = client_as("marketing")
    csv = client.get(reverse("marketing:attribution_export"), {**PERIOD, "format": "csv"})
    assert csv.status_code == 200
    text = b"".join(csv.streaming_content).decode("utf-8-sig")
    assert "'=HYPERLINK" in text and "1234567" in text
    xlsx = client.get(reverse("marketing:attribution_export"), {**PERIOD, "format": "xlsx"})
    sheet = load_workbook(io.BytesIO(b"".join(xlsx.streaming_content))).active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[1][1].startswith("'=") and 1234567 in values[1]
    assert client.get(reverse("marketing:attribution_export"), {"format": "pdf"}).status_code == 400
    assert client_as("sales1").get(reverse("marketing:attribution_export")).status_code == 403
