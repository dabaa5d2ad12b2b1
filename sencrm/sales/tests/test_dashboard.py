"""The sales dashboard on the home page: widgets by role, numbers over what each viewer may see."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

from django.urls import reverse
from django.utils import timezone

from sencrm.sales import services
from sencrm.sales.models import Opportunity

XSS = "<svg/onload=alert(1)>"


def chart(html: str, element_id: str) -> dict:
    start = html.index(f'<script id="{element_id}" type="application/json">') + len(
        f'<script id="{element_id}" type="application/json">'
    )
    return json.loads(html[start : html.index("</script>", start)])


def month_start(offset: int = 0) -> dt.date:
    today = timezone.localdate().replace(day=1)
    m = today.month - 1 + offset
    return dt.date(today.year + m // 12, m % 12 + 1, 1)


def setup_deals(org, retail, make_opportunity):
    new, advised, survey, *_ = retail.stages.order_by("position")
    make_opportunity(name="Mới 1", amount=50_000_000, expected_close_date=month_start(0))
    make_opportunity(name="Mới 2", amount=30_000_000, expected_close_date=month_start(1))
    make_opportunity(name="Khảo sát", amount=20_000_000, stage=survey, expected_close_date=month_start(1))
    for amount in (60_000_000, 40_000_000):
        services.opportunity_mark_won(make_opportunity(amount=amount), actor=org["sales1"], version=1)
    services.opportunity_mark_lost(make_opportunity(), actor=org["sales1"], version=1, reason="Giá cao")
    old = make_opportunity(amount=999_000_000)
    services.opportunity_mark_won(old, actor=org["sales1"], version=1)
    Opportunity.objects.filter(pk=old.pk).update(closed_at=timezone.now() - dt.timedelta(days=120))
    # Another team's deals never count for sales1 or the Hà Nội manager.
    make_opportunity(owner="sales2", amount=700_000_000, expected_close_date=month_start(0))
    services.opportunity_mark_won(make_opportunity(owner="sales2", amount=5), actor=org["sales2"], version=1)


def test_sales_user_sees_their_pipeline_forecast_and_win_rate(client_as, org, retail, make_opportunity):
    setup_deals(org, retail, make_opportunity)
    response = client_as("sales1").get(reverse("home"))
    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="home-pipeline"' in html and 'data-testid="home-forecast"' in html
    assert 'data-testid="home-my-day"' in html  # the existing home content stays
    win = response.context["sales"]["win"]
    # Last 90 days: won 60.000.000 and 40.000.000, lost one → 2 / 3 = 67 %, average 50.000.000.
    assert (win["won"], win["lost"], win["win_rate"], win["average_deal"]) == (2, 1, 67, Decimal(50_000_000))
    assert 'data-testid="win-rate">67%<' in html and "50.000.000 ₫" in html
    stage_chart = chart(html, "pipeline-chart")
    assert stage_chart["labels"] == ["Mới", "Đã tư vấn", "Khảo sát & báo giá", "Đàm phán"]
    assert stage_chart["datasets"][0]["data"] == [80_000_000, 0, 20_000_000, 0]
    forecast = chart(html, "forecast-chart")
    # Weighted: this month 50.000.000 × 10 %; next month 30.000.000 × 10 % + 20.000.000 × 50 %.
    assert forecast["datasets"][0]["data"][:2] == [5_000_000, 13_000_000]
    assert forecast["datasets"][1]["data"][:2] == [50_000_000, 50_000_000]
    assert "700.000.000" not in html
    assert '<script src="/static/vendor/chartjs/chart.umd.min.js" defer></script>' in html


def test_manager_sees_the_team_numbers(client_as, org, retail, make_opportunity):
    setup_deals(org, retail, make_opportunity)
    make_opportunity(owner="manager", amount=10_000_000)
    response = client_as("manager").get(reverse("home"))
    html = response.content.decode()
    assert chart(html, "pipeline-chart")["datasets"][0]["data"][0] == 90_000_000
    assert response.context["sales"]["win"]["win_rate"] == 67


def test_admin_sees_everything(client_as, org, retail, make_opportunity):
    setup_deals(org, retail, make_opportunity)
    response = client_as("admin").get(reverse("home"))
    assert chart(response.content.decode(), "pipeline-chart")["datasets"][0]["data"][0] == 780_000_000
    assert response.context["sales"]["win"]["won"] == 3


def test_board_role_sees_no_sales_widgets_without_the_grant(client_as, org, retail, make_opportunity):
    setup_deals(org, retail, make_opportunity)
    response = client_as("board").get(reverse("home"))
    html = response.content.decode()
    assert response.status_code == 200 and "sales" not in response.context and "leads" not in response.context
    assert 'data-testid="home-pipeline"' not in html
    # The board's home is its dashboard: company figures from the reports (the open pipeline's total
    # among them), never the salespeople's lists of deals.
    assert 'data-testid="dashboard"' in html and 'data-testid="widget-pipeline"' in html


def test_board_role_with_the_grant_sees_the_widgets(client_as, org, retail, make_opportunity):
    from sencrm.users.models import Grant

    setup_deals(org, retail, make_opportunity)
    Grant.objects.create(role=org["board"].role, module="sales", action="view", scope="all")
    response = client_as("board").get(reverse("home"))
    assert "sales" in response.context and "leads" not in response.context


def test_leads_widgets_list_my_open_leads_and_follow_ups(client_as, org, make_lead):
    now = timezone.now()
    make_lead(
        full_name="Trần Gọi Lại", next_action="Gọi lại báo giá", next_action_at=now - dt.timedelta(hours=2)
    )
    make_lead(full_name=XSS, phones=["0903 222 333"])
    make_lead(owner="sales2", full_name="Lead Của Mai Anh", phones=["0903 444 555"])
    response = client_as("sales1").get(reverse("home"))
    html = response.content.decode()
    assert 'data-testid="home-my-leads"' in html and 'data-testid="home-follow-ups"' in html
    assert "Trần Gọi Lại" in html and "Gọi lại báo giá" in html and "Lead Của Mai Anh" not in html
    assert XSS not in html and "&lt;svg/onload=alert(1)&gt;" in html
    lead = response.context["leads"]["follow_ups"][0]
    assert reverse("sales:lead_detail", args=[lead.pk]) in html


def test_marketing_sees_lead_widgets_only(client_as, org, make_lead):
    make_lead(owner="marketing", full_name="Lead Từ Fanpage")
    response = client_as("marketing").get(reverse("home"))
    html = response.content.decode()
    assert "leads" in response.context and "sales" not in response.context
    assert "Lead Từ Fanpage" in html and 'data-testid="home-pipeline"' not in html


def test_home_query_count_does_not_grow_with_records(
    client_as, org, retail, make_opportunity, make_lead, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_as("sales1")
    now = timezone.now()

    def add(n, start):
        for i in range(start, start + n):
            make_opportunity(name=f"Cơ hội {i}", amount=1_000_000, expected_close_date=month_start(i % 3))
            make_lead(full_name=f"Khách {i}", phones=[f"0903 000 {i:03d}"], next_action_at=now)

    add(3, 0)
    client.get(reverse("home"))
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("home"))
    add(20, 3)
    with django_assert_max_num_queries(len(few)):
        client.get(reverse("home"))
    assert len(few) <= 30
