"""The maintenance plan pages: list (no query per plan), detail with its visits, create (also from a
contract), edit, end, skip and reschedule a visit; bad input answered 400 with the reason; who may see
what (care all, technicians none, sales no right); names escaped."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from sencrm.fieldservice.models import MaintenancePlan, VisitStatus
from sencrm.fieldservice.tests.fs_helpers import tech2_fixture  # noqa: F401
from sencrm.fieldservice.tests.plan_helpers import (  # noqa: F401  (fixtures)
    aircon_fixture,
    contract_fixture,
    lan_fixture,
    make_asset_fixture,
    make_plan_fixture,
)

TODAY = timezone.localdate()


@pytest.fixture(autouse=True)
def english(org):
    """These tests read the English source text (the users' language set to English)."""
    from sencrm.users.models import User

    User.objects.update(language="en")
    with translation.override("en"):
        yield


XSS = '"><img src=x onerror=alert(1)>'


def d(day: dt.date) -> str:
    return f"{day:%d/%m/%Y}"


def test_the_list_shows_plans_without_a_query_per_plan(client_as, make_plan, django_assert_max_num_queries):
    for n in range(8):
        make_plan(name=f"Bảo dưỡng {n}", start_date=TODAY + dt.timedelta(days=n))
    client = client_as("care")
    with django_assert_max_num_queries(20):
        page = client.get(reverse("fieldservice:plan_list"))
    html = page.content.decode()
    assert page.status_code == 200 and html.count('data-testid="plan-link"') == 8
    assert d(TODAY + dt.timedelta(days=7)) in html
    assert (
        client.get(reverse("fieldservice:plan_list") + "?active=0").content.decode().count("plan-link") == 0
    )


def test_care_creates_a_plan_with_the_form(client_as, lan, aircon, make_asset):
    asset = make_asset(lan)
    start = TODAY + dt.timedelta(days=4)
    form = {
        "contact": lan.pk,
        "product": aircon.pk,
        "assets": [asset.pk],
        "name": "Vệ sinh định kỳ",
        "interval_months": 6,
        "start_date": d(start),
        "lead_days": 14,
        "remind_days": 3,
        "duration_minutes": 60,
    }
    answer = client_as("care").post(reverse("fieldservice:plan_create"), form)
    plan = MaintenancePlan.objects.get()
    assert answer.status_code == 302 and answer["Location"] == plan.get_absolute_url()
    assert list(plan.assets.all()) == [asset] and plan.visits.get().due_date == start
    detail = client_as("care").get(plan.get_absolute_url()).content.decode()
    assert d(start) in detail and "Vệ sinh định kỳ" in detail and 'data-testid="reschedule-form"' in detail


def test_a_new_plan_from_a_contract_is_prefilled(client_as, contract, lan):
    html = (
        client_as("care")
        .get(reverse("fieldservice:plan_create") + f"?contract={contract.pk}")
        .content.decode()
    )
    assert 'data-testid="from-contract"' in html and contract.number in html
    assert d(contract.end_date) in html  # the end date
    assert 'name="interval_months" value="6"' in html  # the air conditioner's maintenance months
    assert f'<option value="{lan.pk}" selected>' in html
    # A contract the user may not see prefills nothing.
    other = client_as("tech").get(reverse("fieldservice:plan_create") + f"?contract={contract.pk}")
    assert other.status_code == 403


def test_bad_form_input_is_a_400_with_the_reason(client_as, lan):
    url = reverse("fieldservice:plan_create")
    base = {
        "contact": lan.pk,
        "interval_months": 6,
        "start_date": d(TODAY),
        "lead_days": 14,
        "remind_days": 3,
    }
    base["duration_minutes"] = 60
    with translation.override("en"):
        for change, words in [
            ({"interval_months": 0}, "1 to 120 months"),
            ({"end_date": d(TODAY - dt.timedelta(days=1))}, "before the first visit"),
            ({"start_date": "31/02/2027"}, "valid date"),
            ({"contact": ""}, "Choose the customer"),
        ]:
            answer = client_as("care").post(url, {**base, **change})
            assert answer.status_code == 400 and words in answer.content.decode(), change
    assert not MaintenancePlan.objects.exists()


def test_edit_and_end(client_as, make_plan):
    plan = make_plan(start_date=TODAY + dt.timedelta(days=3))
    client = client_as("care")
    form = {
        "contact": plan.contact_id, "product": plan.product_id, "name": XSS, "interval_months": 6,
        "start_date": d(plan.start_date), "lead_days": 14, "remind_days": 5, "duration_minutes": 90,
        "version": plan.version,
    }  # fmt: skip
    assert client.post(reverse("fieldservice:plan_edit", args=[plan.pk]), form).status_code == 302
    plan.refresh_from_db()
    assert (plan.remind_days, plan.duration_minutes, plan.version) == (5, 90, 2)
    html = client.get(reverse("fieldservice:plan_list")).content.decode()
    assert XSS not in html and "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;" in html
    assert client.post(reverse("fieldservice:plan_end", args=[plan.pk]), {"reason": ""}).status_code == 400
    ended = client.post(reverse("fieldservice:plan_end", args=[plan.pk]), {"reason": "Khách bán nhà"})
    assert ended.status_code == 302
    plan.refresh_from_db()
    assert not plan.active and not plan.visits.exists()
    assert 'data-testid="plan-ended"' in client.get(plan.get_absolute_url()).content.decode()


def test_skip_and_reschedule_from_the_plans_page(client_as, make_plan):
    plan = make_plan(start_date=TODAY + dt.timedelta(days=3), interval_months=1, lead_days=40)
    first, second = plan.visits.order_by("sequence")
    client = client_as("care")
    skip = reverse("fieldservice:visit_skip", args=[plan.pk, first.pk])
    assert client.post(skip, {"note": "Khách đi vắng"}).status_code == 302
    move = reverse("fieldservice:visit_reschedule", args=[plan.pk, second.pk])
    with translation.override("en"):
        late = client.post(move, {"on": d(second.due_date + dt.timedelta(days=40))})
        assert late.status_code == 400 and "before the next visit is due" in late.content.decode()
        assert client.post(move, {"on": "hôm qua"}).status_code == 400
    assert client.post(move, {"on": d(second.due_date + dt.timedelta(days=2))}).status_code == 302
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == VisitStatus.SKIPPED and second.planned_date == second.due_date + dt.timedelta(
        days=2
    )
    assert client.post(skip, {}).status_code == 400  # no longer planned


@pytest.mark.parametrize("user", ["tech", "tech2"])
def test_technicians_see_no_plans(client_as, org, make_plan, tech2, user):
    plan = make_plan()
    visit = plan.visits.first()
    tech2.language = "en"
    tech2.save(update_fields=["language"])
    org["tech2"] = tech2
    client = client_as(user)
    listed = client.get(reverse("fieldservice:plan_list"))
    assert listed.status_code == 200 and "plan-link" not in listed.content.decode()
    assert client.get(plan.get_absolute_url()).status_code == 404
    assert client.get(reverse("fieldservice:plan_edit", args=[plan.pk])).status_code == 404
    assert client.post(reverse("fieldservice:plan_end", args=[plan.pk]), {"reason": "x"}).status_code == 404
    assert client.get(reverse("fieldservice:plan_create")).status_code == 403
    if visit is not None:
        assert client.post(reverse("fieldservice:visit_skip", args=[plan.pk, visit.pk])).status_code == 404
    plan.refresh_from_db()
    assert plan.active


def test_sales_has_no_door_to_plans(client_as, make_plan):
    plan = make_plan()
    client = client_as("sales1")
    assert client.get(reverse("fieldservice:plan_list")).status_code == 403
    assert client.get(plan.get_absolute_url()).status_code == 404
    assert client.get(reverse("fieldservice:plan_create")).status_code == 403
