"""The report builder and saved reports: validation that names the part at fault, a built report against
hand-computed figures and its drill-down, sharing, the API, and scheduled emails to a real SMTP server sent
exactly once per period and computed as each recipient."""

from __future__ import annotations

import datetime as dt
import io
import zoneinfo
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from sencrm.commerce.tests.conftest import catalogue  # noqa: F401  (shared fixture)
from sencrm.marketing.tests.email_helpers import smtp  # noqa: F401  (shared fixture)
from sencrm.reports import base, builder, saved, schedules
from sencrm.reports.models import Delivery, SavedReport

pytestmark = pytest.mark.django_db
TZ = zoneinfo.ZoneInfo("Asia/Ho_Chi_Minh")


@pytest.fixture
def book(org, catalogue, make_contact):  # noqa: F811
    """November 2026: sales1's customer (a woman, Hà Nội) — two invoices of 1.000.000 and 3.000.000 before
    VAT; sales2's customer (a man) — one of 5.000.000."""
    from sencrm.billing.services import invoice_create, invoice_issue

    a = make_contact(owner="sales1", full_name="Chị Hoa", phones=(), gender="female")
    b = make_contact(owner="sales2", full_name="Anh Bình", phones=(), gender="male")
    for customer, amount, day in ((a, 1_000_000, 3), (a, 3_000_000, 20), (b, 5_000_000, 30)):
        made = invoice_create(
            actor=org["accountant"],
            data={"contact": customer, "issue_date": dt.date(2026, 11, day)},
            lines=[{"product": catalogue["training"], "quantity": 1, "unit_price": amount}],
        )
        invoice_issue(made, actor=org["accountant"])
    return {"a": a, "b": b}


NOVEMBER = {"period": "month", "date": "2026-11-01"}


def built(definition, user, query=NOVEMBER):
    report = builder.BuiltReport(builder.validate(definition))
    return report, base.run_report(user, report, base.parse_params(report, query))


def test_a_built_report_groups_measures_and_drills_down(org, book):
    definition = {
        "source": "invoices",
        "group_by": "owner",
        "measures": [{"op": "sum", "field": "subtotal"}, {"op": "count"}, {"op": "max", "field": "subtotal"}],
        "sort": "measure",
        "descending": True,
    }
    report, result = built(definition, org["admin"])
    sales1, sales2 = str(org["sales1"].pk), str(org["sales2"].pk)
    assert [(r["key"], r["m0"], r["m1"], r["m2"]) for r in result.rows] == [
        (sales2, Decimal(5_000_000), 1, Decimal(5_000_000)),
        (sales1, Decimal(4_000_000), 2, Decimal(3_000_000)),
    ]
    assert result.totals == {"m0": Decimal(9_000_000), "m1": 3, "m2": Decimal(5_000_000)}
    assert result.rows[1]["label"] == "Nguyễn Văn Nam"
    params = base.parse_params(report, NOVEMBER)
    for row in result.rows:
        for column in ("m0", "m1", "m2"):
            assert report.drill(org["admin"], params, row["key"], column).total == row[column]
    # A manager's totals are their team's (sales1's) only.
    _report, manager = built(definition, org["manager"])
    assert manager.totals["m0"] == Decimal(4_000_000)


def test_time_buckets_and_segment_rule_filters(org, book):
    weekly = {"source": "invoices", "group_by": "day", "measures": [{"op": "sum", "field": "subtotal"}]}
    _report, result = built(weekly, org["admin"])
    assert len(result.rows) == 30
    assert {r["key"]: r["m0"] for r in result.rows if r["m0"]} == {
        "2026-11-03": Decimal(1_000_000),
        "2026-11-20": Decimal(3_000_000),
        "2026-11-30": Decimal(5_000_000),
    }
    women = {
        **weekly,
        "group_by": "month",
        "filters": {"match": "all", "rules": [{"field": "gender", "op": "in", "value": ["female"]}]},
    }
    _report, filtered = built(women, org["admin"])
    assert filtered.totals["m0"] == Decimal(4_000_000)
    by_gender = {"source": "contacts", "group_by": "gender", "measures": [{"op": "count"}]}
    _report, contacts = built(
        by_gender, org["admin"], {"period": "year", "date": timezone.localdate().isoformat()}
    )
    assert {r["key"]: r["m0"] for r in contacts.rows} == {"female": 1, "male": 1}


@pytest.mark.parametrize(
    ("definition", "field"),
    [
        ({"source": "spaceships"}, "source"),
        ({"source": "invoices", "group_by": "colour"}, "group_by"),
        ({"source": "invoices", "measures": [{"op": "sum", "field": "status"}]}, "measures"),
        ({"source": "invoices", "measures": [{"op": "median", "field": "total"}]}, "measures"),
        ({"source": "invoices", "measures": "all"}, "measures"),
        (
            {"source": "invoices", "filters": {"match": "all", "rules": [{"field": "nope", "op": "in"}]}},
            "filters",
        ),
        ({"source": "leads", "filters": {"match": "all", "rules": []}, "group_by": "status"}, "filters"),
        ({"source": "invoices", "chart": "radar"}, "chart"),
        ({"source": "invoices", "limit": 10_000}, "limit"),
    ],
)
def test_the_builder_names_what_is_wrong(definition, field):
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        builder.validate(definition)
    assert field in caught.value.message_dict
    assert all(caught.value.message_dict[field])


def test_saved_reports_are_shared_and_computed_as_the_reader(org, book):
    from sencrm.users.models import Team

    team = Team.objects.get(name="Kinh doanh Hà Nội")
    item = saved.saved_create(
        actor=org["admin"],
        data={
            "name": "Doanh thu theo nhân viên",
            "report": "revenue",
            "query": {"group_by": "employee"},
            "shared_team": team,
        },
    )
    assert saved.visible(org["manager"]).filter(pk=item.pk).exists()  # in the team
    assert not saved.visible(org["board"]).filter(pk=item.pk).exists()
    assert saved.run(org["admin"], item, NOVEMBER).totals["revenue"] == Decimal(9_000_000)
    assert saved.run(org["manager"], item, NOVEMBER).totals["revenue"] == Decimal(4_000_000)
    with pytest.raises(Exception):  # noqa: B017, PT011 - PermissionDenied: only the owner changes it
        saved.saved_update(item, actor=org["manager"], data={"name": "x"})
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        saved.saved_create(
            actor=org["board"], data={"name": "", "report": "revenue", "query": {"colour": "red"}}
        )
    assert {"name", "query"} <= set(caught.value.message_dict)


def test_the_saved_reports_api(org, book, client_as):
    api = client_as("board")
    made = api.post(
        "/api/v1/saved-reports/",
        {
            "name": "Hóa đơn theo ngày",
            "report": "custom",
            "definition": {
                "source": "invoices",
                "group_by": "day",
                "measures": [{"op": "sum", "field": "subtotal"}],
            },
            "schedule": "monthly",
            "schedule_format": "xlsx",
        },
        content_type="application/json",
    )
    assert made.status_code == 201, made.content
    pk = made.json()["id"]
    run = api.get(f"/api/v1/saved-reports/{pk}/run/", NOVEMBER).json()
    assert run["totals"]["m0"] == "9000000" and len(run["rows"]) == 30
    assert api.get("/api/v1/saved-reports/").json()["results"][0]["id"] == pk
    bad = api.post(
        "/api/v1/saved-reports/",
        {"name": "x", "report": "custom", "definition": {"source": "invoices", "group_by": "colour"}},
        content_type="application/json",
    )
    assert bad.status_code == 400 and "definition" in bad.json()["errors"]
    assert client_as("manager").get(f"/api/v1/saved-reports/{pk}/").status_code == 404
    assert client_as("sales1").get("/api/v1/saved-reports/").status_code == 403
    assert client_as("board").delete(f"/api/v1/saved-reports/{pk}/").status_code == 204


def test_the_builder_and_saved_pages(org, book, client_as):
    web = client_as("board")
    assert web.get("/reports/builder/?source=tickets").status_code == 200
    preview = web.post(
        "/reports/builder/",
        {
            "source": "invoices",
            "group_by": "owner",
            "op0": "sum",
            "field0": "subtotal",
            "period": "year",
            "action": "preview",
        },
    )
    assert preview.status_code == 200 and 'data-testid="report-table"' in preview.content.decode()
    bad = web.post(
        "/reports/builder/", {"source": "invoices", "group_by": "colour", "op0": "count", "action": "preview"}
    )
    assert bad.status_code == 400
    saved_page = web.post(
        "/reports/builder/",
        {
            "source": "invoices",
            "group_by": "owner",
            "op0": "sum",
            "field0": "subtotal",
            "period": "month",
            "action": "save",
            "name": "Theo nhân viên",
        },
    )
    assert saved_page.status_code == 302
    item = SavedReport.objects.get(name="Theo nhân viên")
    page = web.get(item.get_absolute_url(), NOVEMBER)
    assert page.status_code == 200 and "Nguyễn Văn Nam" in page.content.decode()
    edit = web.post(
        f"/reports/saved/{item.pk}/edit/",
        {
            "name": "Theo NV",
            "period": "month",
            "schedule": "weekly",
            "schedule_format": "pdf",
            "on_dashboard": "on",
        },
    )
    assert edit.status_code == 302
    item.refresh_from_db()
    assert (item.name, item.schedule, item.on_dashboard) == ("Theo NV", "weekly", True)
    xlsx = web.get(f"/reports/saved/{item.pk}/export/", {**NOVEMBER, "format": "xlsx"})
    assert xlsx.status_code == 200
    assert client_as("manager").get(item.get_absolute_url()).status_code == 404


def test_scheduled_reports_go_once_per_period_computed_as_each_recipient(org, book, smtp):  # noqa: F811
    from pypdf import PdfReader

    from sencrm.users.models import Team

    team = Team.objects.get(name="Kinh doanh Hà Nội")
    item = saved.saved_create(
        actor=org["admin"],
        data={
            "name": "Doanh thu tháng",
            "report": "revenue",
            "query": {"group_by": "employee"},
            "schedule": "monthly",
            "schedule_format": "pdf",
            "shared_team": team,
            "send_to_shared": True,
        },
    )
    december = dt.datetime(2026, 12, 1, 7, 0, tzinfo=TZ)
    sent = schedules.send_due(december)
    recipients = {m["To"] for m in smtp.messages}
    assert org["admin"].email in recipients and org["manager"].email in recipients
    assert org["sales1"].email not in recipients  # in the team, but sales may not read reports
    assert sent == len(smtp.messages) == 2
    # Again the same day, and an hour later: nothing more for November.
    assert schedules.send_due(december) == 0
    assert schedules.send_due(december + dt.timedelta(hours=1)) == 0
    assert len(smtp.messages) == 2
    assert Delivery.objects.filter(saved_report=item, period_key="M2026-11").count() == 2

    def pdf_text(message):
        part = next(p for p in message.iter_attachments() if p.get_content_type() == "application/pdf")
        return "".join(page.extract_text() for page in PdfReader(io.BytesIO(part.get_content())).pages)

    admin_pdf = pdf_text(smtp.to(org["admin"].email)[0])
    manager_pdf = pdf_text(smtp.to(org["manager"].email)[0])
    assert "9.000.000" in admin_pdf and "Lê Thị Mai Anh" in admin_pdf
    assert "4.000.000" in manager_pdf and "Lê Thị Mai Anh" not in manager_pdf  # computed as the manager
    # The next month sends December's.
    assert schedules.send_due(dt.datetime(2027, 1, 1, 7, 0, tzinfo=TZ)) == 2


def test_schedule_periods():
    today = dt.date(2026, 3, 1)  # a Sunday
    assert schedules.period_due("daily", today)[0] == "D2026-02-28"
    key, week = schedules.period_due("weekly", dt.date(2026, 3, 2))  # a Monday
    assert key == "W2026-09" and (week.date_from, week.date_to) == (dt.date(2026, 2, 23), dt.date(2026, 3, 1))
    key, month = schedules.period_due("monthly", dt.date(2028, 3, 15))
    assert key == "M2028-02" and month.date_to == dt.date(2028, 2, 29)


def test_a_saved_report_on_the_dashboard(org, book):
    from sencrm.reports import dashboards

    saved.saved_create(
        actor=org["board"],
        data={
            "name": "Bán chạy",
            "report": "best-sellers",
            "query": {"by": "quantity"},
            "on_dashboard": True,
        },
    )
    widget = [w for w in dashboards.widgets(org["board"]) if w["key"].startswith("saved-")]
    assert [w["title"] for w in widget] == ["Bán chạy"]
    assert dashboards.saved_widgets(org["manager"]) == []  # only the owner's dashboard
