"""Activities: logged on visible customers only, on the customer's journey, reminders once, My day."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone, translation

from sencrm.activities import selectors, services
from sencrm.activities.models import Activity
from sencrm.activities.tasks import send_due_reminders
from sencrm.customers import services as customer_services
from sencrm.events import selectors as event_selectors
from sencrm.events.models import Event, Notification


@pytest.fixture
def contact(org):
    return customer_services.contact_create(
        actor=org["sales1"], data={"full_name": "Nguyễn Văn Khách"}, phones=["0912 345 678"]
    )


@pytest.fixture
def other_contact(org):
    return customer_services.contact_create(actor=org["sales2"], data={"full_name": "Lê Thị Khác"})


def call(actor, contact, **extra):
    data = {
        "kind": "call",
        "subject": "Tư vấn điều hòa",
        "status": "done",
        "contact": contact,
        "direction": "outbound",
        "outcome": "answered",
        "due_at": timezone.now(),
        **extra,
    }
    return services.activity_create(actor=actor, data=data)


def test_a_logged_call_is_on_the_customers_journey(org, contact):
    activity = call(org["sales1"], contact)
    assert activity.completed_at is not None and activity.owner == org["sales1"]
    events, _ = event_selectors.customer_timeline(user=org["sales1"], customer=contact)
    with translation.override("en"):
        assert (
            events[0].type == "activity.created" and event_selectors.event_label(events[0]) == "Call logged"
        )


def test_an_activity_cannot_be_linked_to_a_customer_out_of_scope(org, other_contact):
    with pytest.raises(ValidationError):
        call(org["sales1"], other_contact)
    assert not Activity.all_objects.exists()


def test_roles_without_activities_cannot_log(org, contact):
    with pytest.raises(PermissionDenied):
        call(org["board"], contact)


def test_contact_account_is_filled_in(org):
    account = customer_services.account_create(actor=org["sales1"], data={"name": "Khách sạn Sen"})
    c = customer_services.contact_create(
        actor=org["sales1"], data={"full_name": "Trần Lễ Tân", "account": account}
    )
    assert call(org["sales1"], c).account == account


def test_a_planned_task_needs_a_due_date(org, contact):
    with pytest.raises(ValidationError):
        services.activity_create(
            actor=org["sales1"], data={"kind": "task", "subject": "x", "contact": contact}
        )


def test_meeting_cannot_end_before_it_starts(org, contact):
    start = timezone.now()
    with pytest.raises(ValidationError):
        services.activity_create(
            actor=org["sales1"],
            data={
                "kind": "meeting",
                "subject": "Khảo sát",
                "status": "planned",
                "due_at": start,
                "ends_at": start - dt.timedelta(hours=1),
            },
        )


def test_complete_a_task(org, contact):
    task = services.activity_create(
        actor=org["sales1"],
        data={"kind": "task", "subject": "Gửi báo giá", "contact": contact, "due_at": timezone.now()},
    )
    done = services.activity_complete(task, actor=org["sales1"], version=1)
    assert done.status == "done" and done.completed_at
    with translation.override("en"):
        assert event_selectors.event_label(Event.objects.get(type="activity.updated")) == "Completed"


def test_reminders_are_sent_once_at_their_time(org, contact):
    now = timezone.now()
    task = services.activity_create(
        actor=org["sales1"],
        data={
            "kind": "task",
            "subject": "Gọi lại lúc 15:00",
            "contact": contact,
            "due_at": now + dt.timedelta(hours=1),
            "reminder_at": now + dt.timedelta(minutes=45),
        },
    )
    assert send_due_reminders(now) == 0
    assert send_due_reminders(now + dt.timedelta(minutes=46)) == 1
    assert send_due_reminders(now + dt.timedelta(minutes=47)) == 0
    note = Notification.objects.get(recipient=org["sales1"], kind="reminder")
    assert note.params["record"] == "Gọi lại lúc 15:00" and note.url == task.get_absolute_url()


def test_my_day_lists_overdue_and_todays_work(org, contact):
    now = timezone.now()
    mk = lambda kind, due, subject: services.activity_create(  # noqa: E731
        actor=org["sales1"],
        data={"kind": kind, "subject": subject, "contact": contact, "due_at": due, "status": "planned"},
    )
    mk("task", now - dt.timedelta(days=1), "Quá hạn")
    mk("call", now + dt.timedelta(minutes=5), "Gọi lại")
    mk("task", now + dt.timedelta(days=3), "Tuần sau")
    services.activity_create(
        actor=org["manager"],
        data={"kind": "task", "subject": "Việc của quản lý", "due_at": now + dt.timedelta(minutes=5)},
    )
    day = selectors.my_day(user=org["sales1"], now=now)
    assert [a.subject for a in day["overdue"]] == ["Quá hạn"]
    local = timezone.localtime(now)
    if (local + dt.timedelta(minutes=5)).date() == local.date():
        assert [a.subject for a in day["calls"]] == ["Gọi lại"]
    assert all(a.owner == org["sales1"] for group in day.values() for a in group)


def test_log_a_call_from_the_contact_page(client_as, org, contact):
    client = client_as("sales1")
    page = client.get(contact.get_absolute_url()).content.decode()
    assert 'data-testid="log-activity"' in page
    response = client.post(
        reverse("activities:activity_create"),
        {
            "kind": "call",
            "subject": "Khách hỏi giá máy 18.000 BTU",
            "direction": "inbound",
            "outcome": "answered",
            "duration_minutes": "4",
            "contact": contact.pk,
            "next": contact.get_absolute_url(),
        },
    )
    assert response.status_code == 302 and response["Location"] == contact.get_absolute_url()
    activity = Activity.objects.get()
    assert activity.duration_seconds == 240 and activity.status == "done" and activity.due_at
    page = client.get(contact.get_absolute_url()).content.decode()
    assert "Khách hỏi giá máy 18.000 BTU" in page and "Ghi nhận cuộc gọi" in page


def test_logging_on_another_teams_contact_is_refused(client_as, other_contact):
    response = client_as("sales1").post(
        reverse("activities:activity_create"), {"kind": "note", "subject": "x", "contact": other_contact.pk}
    )
    assert response.status_code == 400 and not Activity.all_objects.exists()


def test_activity_pages_respect_scope(client_as, org, contact):
    activity = call(org["sales1"], contact)
    assert client_as("sales1").get(reverse("activities:activity_edit", args=[activity.pk])).status_code == 200
    other = client_as("sales2")
    assert other.get(reverse("activities:activity_edit", args=[activity.pk])).status_code == 404
    assert other.post(reverse("activities:activity_complete", args=[activity.pk])).status_code == 404
    assert other.post(reverse("activities:activity_delete", args=[activity.pk])).status_code == 404
    assert Activity.objects.filter(pk=activity.pk).exists()
    assert client_as("board").get(reverse("activities:my_day")).status_code == 403


def test_bad_dates_are_reported_not_crashing(client_as, contact):
    response = client_as("sales1").post(
        reverse("activities:activity_create"),
        {
            "kind": "task",
            "subject": "x",
            "status": "planned",
            "due_at": "32/13/2026 25:61",
            "contact": contact.pk,
        },
    )
    assert response.status_code == 400 and not Activity.all_objects.exists()


def test_activities_api(client_as, org, contact, other_contact):
    client = client_as("sales1")
    created = client.post(
        "/api/v1/activities/",
        {
            "kind": "call",
            "subject": "Gọi tư vấn",
            "status": "done",
            "contact": contact.pk,
            "due_at": timezone.now().isoformat(),
        },
        content_type="application/json",
    )
    assert created.status_code == 201, created.json()
    activity_id = created.json()["id"]
    assert (
        client.get("/api/v1/activities/", {"contact": contact.pk}).json()["results"][0]["id"] == activity_id
    )
    refused = client.post(
        "/api/v1/activities/",
        {"kind": "note", "subject": "x", "contact": other_contact.pk},
        content_type="application/json",
    )
    assert refused.status_code == 400
    assert client_as("sales2").get(f"/api/v1/activities/{activity_id}/").status_code == 404
    stale = client_as("sales1").patch(
        f"/api/v1/activities/{activity_id}/", {"subject": "y", "version": 1}, content_type="application/json"
    )
    assert stale.status_code == 200
    again = client_as("manager").patch(
        f"/api/v1/activities/{activity_id}/", {"subject": "z", "version": 1}, content_type="application/json"
    )
    assert again.status_code == 409


def test_home_shows_my_day_for_roles_with_activities(client_as, org, contact):
    services.activity_create(
        actor=org["sales1"],
        data={
            "kind": "task",
            "subject": "Quá hạn",
            "contact": contact,
            "due_at": timezone.now() - dt.timedelta(days=1),
        },
    )
    html = client_as("sales1").get("/").content.decode()
    assert 'data-testid="home-my-day"' in html and "<strong>1</strong>" in html
    assert 'data-testid="home-my-day"' not in client_as("board").get("/").content.decode()
