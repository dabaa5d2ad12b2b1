"""The daily jobs: maintenance visits become work orders once (run twice → one work order per visit, one
reminder email), reminders respect withdrawn care consent, a plan ends with its contract, the warranty
notice is emitted once per asset, and the care call rule "days before a warranty ends"."""

from __future__ import annotations

import datetime as dt

from django.test import override_settings
from django.utils import timezone

from sencrm.customers import ledger
from sencrm.events.models import Event
from sencrm.fieldservice import plan_jobs, tasks
from sencrm.fieldservice.models import Asset, MaintenanceVisit, VisitStatus, WorkKind, WorkOrder
from sencrm.fieldservice.tests.plan_helpers import (  # noqa: F401  (fixtures)
    aircon_fixture,
    contract_fixture,
    lan_fixture,
    make_asset_fixture,
    make_plan_fixture,
    work_orders_from_visits_fixture,
)
from sencrm.marketing.tests.email_helpers import text_of
from sencrm.support.tests.care_helpers import smtp_fixture  # noqa: F401

TODAY = timezone.localdate()


def run_twice(capture, today=TODAY):
    results = []
    for _ in range(2):
        with capture(execute=True):
            results.append(tasks.plans_due(today))
    return results


def test_plans_due_orders_each_visit_once_and_reminds_once(
    org, lan, make_asset, make_plan, work_orders_from_visits, smtp, django_capture_on_commit_callbacks
):
    asset = make_asset(lan)
    plan = make_plan(start_date=TODAY + dt.timedelta(days=5), lead_days=14, remind_days=7)
    assert run_twice(django_capture_on_commit_callbacks) == [1, 0]
    [visit] = MaintenanceVisit.objects.filter(plan=plan)
    [wo] = WorkOrder.objects.filter(plan=plan)
    assert (visit.status, visit.work_order_id, wo.kind) == (VisitStatus.ORDERED, wo.pk, WorkKind.MAINTENANCE)
    assert list(wo.assets.all()) == [asset]
    due = Event.objects.filter(type="maintenance.due", subject_id=plan.pk)
    assert due.count() == 1 and due[0].customer_id == lan.pk and due[0].data["work_order"] == wo.pk
    [message] = smtp.to("lan@example.vn")
    assert f"{visit.planned_date:%d/%m/%Y}" in text_of(message)
    assert visit.reminded_at is not None
    assert Event.objects.filter(type="maintenance.reminded", subject_id=plan.pk).count() == 1


def test_a_visit_beyond_the_lead_waits_and_an_old_one_is_not_ordered(
    org, lan, make_plan, work_orders_from_visits, django_capture_on_commit_callbacks
):
    far = make_plan(start_date=TODAY + dt.timedelta(days=20), lead_days=14)
    old = make_plan(start_date=TODAY - dt.timedelta(days=30), interval_months=12)
    assert run_twice(django_capture_on_commit_callbacks) == [0, 0]
    assert MaintenanceVisit.objects.filter(plan=far).count() == 0
    assert MaintenanceVisit.objects.get(plan=old).status == VisitStatus.PLANNED
    # On the day the lead reaches it, the far visit is ordered.
    assert run_twice(django_capture_on_commit_callbacks, TODAY + dt.timedelta(days=6)) == [1, 0]


def test_no_reminder_when_care_emails_were_withdrawn(
    org, lan, make_plan, work_orders_from_visits, smtp, django_capture_on_commit_callbacks
):
    ledger.consent_append(person=lan, channel="email", purpose="care", granted=False, source="form")
    plan = make_plan(start_date=TODAY + dt.timedelta(days=2))
    run_twice(django_capture_on_commit_callbacks)
    assert smtp.messages == []
    assert MaintenanceVisit.objects.get(plan=plan).reminded_at is None


def test_a_plan_ends_with_its_terminated_contract(
    org, contract, make_plan, work_orders_from_visits, django_capture_on_commit_callbacks
):
    from sencrm.commerce import services as commerce

    plan = make_plan(contract=contract, start_date=TODAY + dt.timedelta(days=10), interval_months=1)
    assert plan.end_date == contract.end_date and plan.visits.count() == 1
    commerce.contract_terminate(contract, actor=org["admin"], reason="Khách chuyển nhà")
    run_twice(django_capture_on_commit_callbacks)
    plan.refresh_from_db()
    # Ended before its first visit: the end date cannot precede the start, it is the start.
    assert not plan.active and plan.end_date == plan.start_date
    assert plan.visits.count() == 0 and not WorkOrder.objects.filter(plan=plan).exists()
    assert Event.objects.filter(type="maintenance_plan.ended", subject_id=plan.pk).count() == 1


def test_a_plan_ends_when_its_contract_runs_out(
    org, contract, make_plan, work_orders_from_visits, django_capture_on_commit_callbacks
):
    plan = make_plan(contract=contract, start_date=TODAY + dt.timedelta(days=30))
    run_twice(django_capture_on_commit_callbacks, contract.end_date + dt.timedelta(days=1))
    plan.refresh_from_db()
    assert not plan.active and "HD-PLAN" in plan.ended_reason


@override_settings(FIELDSERVICE_WARRANTY_NOTICE_DAYS=30)
def test_warranty_expiring_is_emitted_once_per_asset(org, lan, make_asset):
    soon = make_asset(lan, installed_on=TODAY - dt.timedelta(days=700))  # 24 months end in ~30 days
    soon.warranty_until = TODAY + dt.timedelta(days=20)
    soon.save()
    later = make_asset(lan, installed_on=TODAY - dt.timedelta(days=100))
    voided = make_asset(lan, warranty_void_on=TODAY - dt.timedelta(days=1), warranty_void_reason="Tự sửa")
    voided.warranty_until = TODAY + dt.timedelta(days=10)
    voided.save()
    assert (tasks.warranty_notices(TODAY), tasks.warranty_notices(TODAY)) == (1, 0)
    [event] = Event.objects.filter(type="asset.warranty_expiring")
    assert (event.subject_id, event.customer_id, event.data["days_left"]) == (soon.pk, lan.pk, 20)
    assert Asset.objects.get(pk=soon.pk).warranty_reminded_at is not None
    assert Asset.objects.get(pk=later.pk).warranty_reminded_at is None


def test_the_care_call_rule_before_the_warranty_ends(org, lan, make_asset):
    from sencrm.support.carecall_rules import rule_run
    from sencrm.support.models import CareCall, CareCallRule, CareTrigger

    rule = CareCallRule.objects.create(
        name="Gọi trước khi hết bảo hành",
        trigger=CareTrigger.BEFORE_WARRANTY_END,
        days=15,
        purpose="Nhắc gia hạn bảo hành",
        agent=org["care"],
    )
    asset = make_asset(lan)
    asset.warranty_until = TODAY + dt.timedelta(days=25)  # the call on today + 10
    asset.save()
    beyond = make_asset(lan)
    beyond.warranty_until = TODAY + dt.timedelta(days=200)
    beyond.save()
    assert (rule_run(rule, TODAY), rule_run(rule, TODAY)) == (1, 0)
    [call] = CareCall.objects.filter(rule=rule)
    assert call.source_key == f"asset:{asset.pk}" and call.contact == lan
    assert call.due_date == TODAY + dt.timedelta(days=10) and call.owner == org["care"]


def test_the_periodic_tasks_are_registered():
    assert callable(tasks.maintenance_daily.call_local) and callable(tasks.warranty_notices_daily.call_local)
    assert (
        plan_jobs.warranty_care_sources
        in __import__("sencrm.support.carecall_rules", fromlist=["SOURCES"]).SOURCES.values()
    )


def test_each_customer_gets_their_own_reminder_in_one_pass(
    org, lan, make_contact, make_plan, work_orders_from_visits, smtp, django_capture_on_commit_callbacks
):
    binh = make_contact(
        owner="care", full_name="Trần Văn Bình", phones=("0988 000 111",), emails=("binh@example.vn",)
    )
    make_plan(start_date=TODAY + dt.timedelta(days=1))
    make_plan(contact=binh, start_date=TODAY + dt.timedelta(days=2))
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.plans_due(TODAY) == 2
    assert len(smtp.to("lan@example.vn")) == len(smtp.to("binh@example.vn")) == 1


def test_the_visit_events_are_on_the_customers_timeline(
    org, lan, make_plan, work_orders_from_visits, client_as, django_capture_on_commit_callbacks
):
    from sencrm.users.models import User

    User.objects.filter(username="care").update(language="en")
    make_plan(start_date=TODAY + dt.timedelta(days=1))
    with django_capture_on_commit_callbacks(execute=True):
        tasks.plans_due(TODAY)
    page = client_as("care").get(lan.get_absolute_url())
    html = page.content.decode()
    assert page.status_code == 200
    assert "Maintenance visit due" in html and "Customer reminded of a maintenance visit" in html
