"""Maintenance plans: visits on the cycle over two years (a 31st start, a leap February), generated once,
skipped and rescheduled without moving the cycle, plans from a contract, ending a plan, bad input and
who may write plans."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone, translation

from sencrm.events.models import Event
from sencrm.fieldservice import plans
from sencrm.fieldservice.models import MaintenanceVisit, VisitStatus
from sencrm.fieldservice.plan_selectors import plan_assets
from sencrm.fieldservice.tests.plan_helpers import (  # noqa: F401  (fixtures)
    aircon_fixture,
    contract_fixture,
    lan_fixture,
    make_asset_fixture,
    make_plan_fixture,
)
from sencrm.fieldservice.warranty import period_end

D = dt.date


def due_dates(plan):
    return list(plan.visits.order_by("sequence").values_list("due_date", flat=True))


def test_a_six_month_plan_over_two_years_has_four_visits_on_the_cycle(make_plan):
    start = D(2027, 8, 31)
    plan = make_plan(start_date=start, end_date=period_end(start, 24))
    created = plans.visits_generate(plan, until=D(2030, 1, 1))
    # 31/08 → the end of February (29 in 2028, a leap year) → back on the 31st in August.
    assert [v.due_date for v in created] == [D(2027, 8, 31), D(2028, 2, 29), D(2028, 8, 31), D(2029, 2, 28)]
    assert [v.sequence for v in created] == [0, 1, 2, 3]
    assert all(v.planned_date == v.due_date and v.status == VisitStatus.PLANNED for v in created)


def test_generating_twice_creates_each_visit_once(make_plan):
    plan = make_plan(start_date=D(2027, 1, 15), end_date=D(2028, 12, 31))
    first = plans.visits_generate(plan, until=D(2027, 8, 1))
    assert [v.due_date for v in first] == [D(2027, 1, 15), D(2027, 7, 15)]
    assert plans.visits_generate(plan, until=D(2027, 8, 1)) == []
    later = plans.visits_generate(plan, until=D(2030, 1, 1))
    assert [v.sequence for v in later] == [2, 3]
    assert MaintenanceVisit.objects.filter(plan=plan).count() == 4


def test_skip_and_reschedule_keep_the_cycle(org, make_plan):
    start = timezone.localdate() + dt.timedelta(days=40)
    plan = make_plan(start_date=start, end_date=None)
    v0, v1, v2 = plans.visits_generate(plan, until=start + dt.timedelta(days=400))
    plans.visit_skip(v0, actor=org["care"], note="Khách đi vắng")
    moved = plans.visit_reschedule(v1, actor=org["care"], on=v1.due_date + dt.timedelta(days=10))
    assert moved.planned_date == v1.due_date + dt.timedelta(days=10) and moved.due_date == v1.due_date
    plans.visits_generate(plan, until=start + dt.timedelta(days=800))
    from sencrm.fieldservice.warranty import add_months

    assert due_dates(plan) == [add_months(start, 6 * k) for k in range(len(due_dates(plan)))]
    assert MaintenanceVisit.objects.get(pk=v0.pk).status == VisitStatus.SKIPPED
    types = list(
        Event.objects.filter(subject_id=plan.pk, type__startswith="maintenance.")
        .order_by("id")
        .values_list("type", flat=True)
    )
    assert types == ["maintenance.skipped", "maintenance.rescheduled"]
    with translation.override("en"):
        with pytest.raises(ValidationError, match="before the next visit is due"):
            plans.visit_reschedule(v2, actor=org["care"], on=add_months(start, 18))
        with pytest.raises(ValidationError, match="in the past"):
            plans.visit_reschedule(v2, actor=org["care"], on=timezone.localdate() - dt.timedelta(days=1))
        with pytest.raises(ValidationError, match="no longer planned"):
            plans.visit_skip(v0, actor=org["care"])


def test_a_plan_from_a_contract_takes_its_customer_and_end(org, contract, lan, aircon):
    plan = plans.plan_create(
        actor=org["care"], data={"contract": contract, "interval_months": 6, "start_date": D(2026, 1, 31)}
    )
    assert (plan.contact, plan.end_date) == (lan, contract.end_date)
    assert plan.name  # a default name
    created = Event.objects.get(type="maintenance_plan.created", subject_id=plan.pk)
    assert created.customer_id == lan.pk


def test_plan_assets_are_the_chosen_ones_else_the_customers_of_the_product(
    org, lan, make_asset, make_plan, make_contact
):
    mine = [make_asset(lan), make_asset(lan)]
    make_asset(make_contact(full_name="Trần Văn Bình", phones=("0988 000 111",)))  # someone else's
    plan = make_plan()
    assert set(plan_assets(plan)) == set(mine)
    chosen = make_plan(assets=[mine[0]])
    assert list(plan_assets(chosen)) == [mine[0]]


def test_ending_a_plan_drops_its_coming_visits(org, make_plan):
    start = timezone.localdate() + dt.timedelta(days=3)
    plan = make_plan(start_date=start, interval_months=1)
    plans.visits_generate(plan, until=start + dt.timedelta(days=100))
    ended = plans.plan_end(plan, actor=org["care"], reason="Khách bán nhà")
    assert not ended.active and ended.ended_reason == "Khách bán nhà" and ended.end_date == start
    assert not ended.visits.exists()
    assert plans.visits_generate(ended, until=start + dt.timedelta(days=400)) == []
    assert Event.objects.filter(type="maintenance_plan.ended", subject_id=plan.pk).count() == 1
    with translation.override("en"), pytest.raises(ValidationError, match="already ended"):
        plans.plan_end(ended, actor=org["care"], reason="x")


def test_changing_the_end_date_drops_the_visits_after_it(org, make_plan):
    start = timezone.localdate()
    plan = make_plan(start_date=start, interval_months=1, lead_days=75)
    assert plan.visits.count() == 3
    plan = plans.plan_update(
        plan, actor=org["care"], changes={"end_date": start + dt.timedelta(days=40)}, version=1
    )
    assert plan.visits.count() == 2


def test_the_cycle_is_not_changed_once_a_visit_was_acted_on(org, make_plan):
    start = timezone.localdate() + dt.timedelta(days=5)
    plan = make_plan(start_date=start)
    [visit] = plan.visits.all()
    plans.visit_skip(visit, actor=org["care"])
    with translation.override("en"), pytest.raises(ValidationError, match="end it and start a new plan"):
        plans.plan_update(plan, actor=org["care"], changes={"interval_months": 3}, version=plan.version)


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"interval_months": 0}, "interval_months", "1 to 120 months"),
        ({"interval_months": 121}, "interval_months", "1 to 120 months"),
        ({"end_date": D(2025, 1, 1)}, "end_date", "before the first visit"),
        ({"contact": None}, "contact", "Choose the customer"),
        ({"start_date": None}, "start_date", "first visit"),
    ],
)
def test_bad_plans_are_refused_with_a_reason(make_plan, data, field, message):
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        make_plan(**data)
    assert message in " ".join(caught.value.message_dict[field])


def test_a_contract_or_asset_of_another_customer_is_refused(org, contract, make_contact, make_asset, aircon):
    other = make_contact(owner="care", full_name="Trần Văn Bình", phones=("0988 000 111",))
    with translation.override("en"):
        with pytest.raises(ValidationError, match="another customer's"):
            plans.plan_create(
                actor=org["care"],
                data={
                    "contact": other,
                    "contract": contract,
                    "interval_months": 6,
                    "start_date": D(2026, 2, 1),
                },
            )
        with pytest.raises(ValidationError, match="another customer's"):
            plans.plan_create(
                actor=org["care"],
                data={"contact": other, "interval_months": 6, "start_date": D(2027, 2, 1)},
                assets=[make_asset(contract.contact)],
            )


def test_a_contract_outside_the_users_scope_answers_like_a_missing_one(org, make_contact):
    from sencrm.commerce.models import Contract

    hcm = Contract.objects.create(
        number="HD-HCM-1", name="Bảo trì", owner=org["sales2"], status="signed", start_date=D(2026, 1, 1)
    )
    customer = make_contact(owner="sales1", full_name="Phạm Thị Hoa", phones=("0977 123 456",))
    with pytest.raises(ValidationError) as caught:
        plans.plan_create(
            actor=org["manager"],
            data={"contact": customer, "contract": hcm, "interval_months": 6, "start_date": D(2027, 1, 1)},
        )
    assert "contract" in caught.value.message_dict


def test_who_may_write_plans(org, make_plan):
    plan = make_plan()
    with pytest.raises(PermissionDenied):
        make_plan(actor="tech")
    with pytest.raises(PermissionDenied):
        make_plan(actor="sales1")
    for user in ("tech", "sales1"):
        with pytest.raises(Http404):
            plans.plan_end(plan, actor=org[user], reason="x")
    assert make_plan(actor="admin").pk


def test_a_plan_cannot_follow_a_contract_that_has_ended(org, contract):
    contract.status = "terminated"
    contract.save(update_fields=["status"])
    with translation.override("en"), pytest.raises(ValidationError, match="This contract has ended"):
        plans.plan_create(
            actor=org["care"], data={"contract": contract, "interval_months": 6, "start_date": D(2026, 2, 1)}
        )
