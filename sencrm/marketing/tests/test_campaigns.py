"""Campaign services and pages: validation, UTM codes, cost entries and cost_total, the gate."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Sum
from django.urls import reverse

from sencrm.events.models import Event
from sencrm.marketing import services
from sencrm.marketing.models import Campaign, CampaignCost

XSS = '"><img src=x onerror=alert(1)>'


def total_of(campaign: Campaign) -> Decimal:
    return CampaignCost.objects.filter(campaign=campaign).aggregate(s=Sum("amount"))["s"] or Decimal(0)


def test_create_cleans_utm_codes_folds_the_name_and_emits_an_event(org, make_campaign):
    campaign = make_campaign(
        name="  Fanpage   Tháng 8 – Điều hòa ", utm_source=" Facebook ", utm_campaign="FB-T8 "
    )
    assert campaign.name == "Fanpage Tháng 8 – Điều hòa"
    assert (campaign.utm_source, campaign.utm_campaign) == ("facebook", "fb-t8")
    assert campaign.search_key == "fanpage thang 8 – dieu hoa"
    assert campaign.owner == org["marketing"]
    assert Event.objects.filter(type="campaign.created", subject_id=campaign.pk).count() == 1


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"end_date": dt.date(2026, 7, 31)}, "end_date"),
        ({"budget": Decimal(-1)}, "budget"),
        ({"name": "   "}, "name"),
        ({"cost_total": Decimal(5)}, "cost_total"),
    ],
)
def test_create_refuses_bad_values_with_a_message_on_the_field(make_campaign, data, field):
    with pytest.raises(ValidationError) as caught:
        make_campaign(**data)
    assert field in caught.value.message_dict
    assert Campaign.objects.count() == 0


def test_a_utm_triple_is_unique_among_live_campaigns_only(org, make_campaign):
    first = make_campaign(utm_source="facebook", utm_medium="cpc", utm_campaign="t8")
    with pytest.raises(ValidationError) as caught:
        make_campaign(name="Khác", utm_source="FACEBOOK", utm_medium="cpc", utm_campaign="T8")
    assert "UTM" in caught.value.message_dict["utm_campaign"][0]
    make_campaign(name="Zalo", utm_source="zalo", utm_medium="cpc", utm_campaign="t8")  # another source
    services.campaign_delete(first, actor=org["marketing"])
    again = make_campaign(name="Lại", utm_source="facebook", utm_medium="cpc", utm_campaign="t8")
    assert again.pk != first.pk


def test_costs_by_day_and_by_month_keep_cost_total_equal_to_the_sum(org, make_campaign):
    user = org["marketing"]
    campaign = make_campaign()
    services.cost_add(campaign, actor=user, date=dt.date(2026, 8, 3), amount="1500000")
    month = services.cost_add(
        campaign, actor=user, date=dt.date(2026, 9, 17), amount=3_000_000, by_month=True
    )
    assert month.date == dt.date(2026, 9, 1) and month.origin == "manual"
    campaign.refresh_from_db()
    assert campaign.cost_total == Decimal(4_500_000) == total_of(campaign)
    services.cost_update(month, actor=user, amount="2000000")
    services.cost_delete(CampaignCost.objects.get(date=dt.date(2026, 8, 3)), actor=user)
    campaign.refresh_from_db()
    assert campaign.cost_total == Decimal(2_000_000) == total_of(campaign)
    with pytest.raises(ValidationError):  # the same day twice: change the one typed in
        services.cost_add(campaign, actor=user, date=dt.date(2026, 9, 1), amount=1)
    for bad in ("-5", "abc", "1.5", "1e20"):
        with pytest.raises(ValidationError):
            services.cost_add(campaign, actor=user, date=dt.date(2026, 8, 9), amount=bad)
    types = list(
        Event.objects.filter(subject_id=campaign.pk, type__startswith="campaign.cost")
        .order_by("id")
        .values_list("type", flat=True)
    )
    assert types == [
        "campaign.cost_added",
        "campaign.cost_added",
        "campaign.cost_changed",
        "campaign.cost_deleted",
    ]


def test_only_the_owner_changes_a_campaign_and_its_costs(org, make_campaign):
    campaign = make_campaign(owner="admin")
    with pytest.raises(PermissionDenied):
        services.campaign_update(campaign, actor=org["marketing"], changes={"name": "X"}, version=None)
    with pytest.raises(PermissionDenied):
        services.cost_add(campaign, actor=org["marketing"], date=dt.date(2026, 8, 1), amount=1)
    with pytest.raises(PermissionDenied):
        services.campaign_create(
            actor=org["sales1"], data={"name": "X", "channel": "zalo", "start_date": dt.date(2026, 1, 1)}
        )
    assert Campaign.objects.get(pk=campaign.pk).name == campaign.name


def test_list_counts_leads_in_one_query_and_escapes_names(
    org, client_as, make_campaign, django_assert_max_num_queries
):
    from sencrm.sales.services import lead_create

    campaigns = [make_campaign(name=f"{XSS} {i}", utm_campaign=f"c{i}") for i in range(6)]
    for i in range(3):
        lead_create(actor=org["marketing"], data={"full_name": f"Khách {i}", "utm": {"utm_campaign": "c1"}})
    client = client_as("marketing")
    client.get(reverse("marketing:campaign_list"))  # warm the session and the menus
    with django_assert_max_num_queries(9):
        response = client.get(reverse("marketing:campaign_list"))
    html = response.content.decode()
    assert response.status_code == 200 and XSS not in html and "&quot;&gt;&lt;img" in html
    assert html.count('data-testid="campaign-row"') == len(campaigns)
    counts = [c.strip() for c in html.split('data-testid="lead-count">')[1:]]
    assert sorted(int(c.split("<")[0]) for c in counts) == [0, 0, 0, 0, 0, 3]
    assert client.get(reverse("marketing:campaign_list"), {"channel": "bogus"}).status_code == 400
    assert client.get(reverse("marketing:campaign_list"), {"active": "31/02/2026"}).status_code == 400
    assert client.get(reverse("marketing:campaign_list"), {"cursor": "forged"}).status_code == 400


def test_pages_create_edit_cost_and_the_gate(org, client_as, make_campaign):
    mine = client_as("marketing")
    response = mine.post(
        reverse("marketing:campaign_create"),
        {"name": "Google T9", "channel": "google_ads", "start_date": "01/09/2026", "end_date": "30/09/2026",
         "budget": "10.000.000", "utm_campaign": "GG-T9"},
    )  # fmt: skip
    campaign = Campaign.objects.get(name="Google T9")
    assert response.status_code == 302 and campaign.utm_campaign == "gg-t9" and campaign.budget == 10_000_000
    bad = mine.post(
        reverse("marketing:campaign_create"),
        {"name": "X", "channel": "zalo", "start_date": "02/09/2026", "end_date": "01/09/2026"},
    )
    assert bad.status_code == 400 and "không thể kết thúc trước khi bắt đầu" in bad.content.decode()
    added = mine.post(
        reverse("marketing:campaign_cost_add", args=[campaign.pk]),
        {"date": "05/09/2026", "amount": "1.234.567"},
    )
    assert added.status_code == 302
    detail = mine.get(campaign.get_absolute_url())
    assert detail.status_code == 200 and "campaign-cost-chart" in detail.content.decode()
    campaign.refresh_from_db()
    assert campaign.cost_total == 1_234_567
    # Another's campaign: visible, not editable (403); a missing one and a hidden one look alike (404).
    other = make_campaign(owner="admin", name="Của admin")
    assert mine.get(reverse("marketing:campaign_edit", args=[other.pk])).status_code == 403
    assert mine.post(reverse("marketing:campaign_delete", args=[other.pk])).status_code == 403
    mine.post(reverse("marketing:campaign_delete", args=[campaign.pk]))
    assert Campaign.all_objects.get(pk=campaign.pk).is_deleted
    # (client_as logs the same test client in as another user from here on)
    sales = client_as("sales1")
    assert sales.get(other.get_absolute_url()).status_code == 200
    assert sales.get(reverse("marketing:campaign_create")).status_code == 403
    care = client_as("care")
    assert care.get(other.get_absolute_url()).status_code == 404
    assert care.get(reverse("marketing:campaign_detail", args=[999999])).status_code == 404


def test_a_cost_is_corrected_in_place_and_a_bad_amount_is_a_clear_400(org, client_as, make_campaign):
    from sencrm.events.models import Event
    from sencrm.marketing.models import CampaignCost

    campaign = make_campaign(owner="marketing", name="Zalo T10")
    mine = client_as("marketing")
    mine.post(
        reverse("marketing:campaign_cost_add", args=[campaign.pk]),
        {"date": "05/10/2026", "amount": "2.000.000"},
    )
    cost = CampaignCost.objects.get(campaign=campaign)
    page = mine.get(reverse("marketing:campaign_costs", args=[campaign.pk])).content.decode()
    assert 'value="2.000.000"' in page  # shown as typed, parsed back the same way

    changed = mine.post(
        reverse("marketing:campaign_cost_edit", args=[campaign.pk, cost.pk]), {"amount": "1.500.000"}
    )
    assert changed.status_code == 302
    campaign.refresh_from_db()
    assert campaign.cost_total == 1_500_000
    event = Event.objects.get(type="campaign.cost_changed")
    assert (event.data["old_amount"], event.data["amount"]) == ("2000000", "1500000")

    for bad in ("-5", "abc", "1,5"):
        answer = mine.post(
            reverse("marketing:campaign_cost_edit", args=[campaign.pk, cost.pk]), {"amount": bad}
        )
        assert answer.status_code == 400 and 'role="alert"' in answer.content.decode(), bad
    campaign.refresh_from_db()
    assert campaign.cost_total == 1_500_000  # nothing changed by a refused amount

    other = make_campaign(owner="admin", name="Của admin")
    assert (
        mine.post(
            reverse("marketing:campaign_cost_edit", args=[other.pk, cost.pk]), {"amount": "1"}
        ).status_code
        == 403
    )
    assert (
        client_as("care")
        .post(reverse("marketing:campaign_cost_edit", args=[campaign.pk, cost.pk]), {"amount": "1"})
        .status_code
        == 404
    )
