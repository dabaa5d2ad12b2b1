"""The request register: numbering and deadlines, the allowed steps, consent withdrawal, the overdue
notifications, and the pages with their access matrix."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from sencrm.privacy import deadlines
from sencrm.privacy.models import DataRequest
from sencrm.privacy.services import (
    request_acknowledge,
    request_complete,
    request_create,
    request_extend,
    request_reject,
)

pytestmark = pytest.mark.django_db
VN = deadlines.VIETNAM
XSS = '"><img src=x onerror=alert(1)>'


@pytest.fixture
def contact(make_contact):
    return make_contact(full_name="Trần Văn Bình", phones=("0987 654 321",))


def register(actor, person, kind="access", **data):
    return request_create(actor=actor, data={"contact": person, "kind": kind, **data})


@pytest.fixture
def privacy_desk(org):
    """A user whose role handles only their own requests (PRIVACY at OWN scope)."""
    from sencrm.core.modules import Action, Module, Scope
    from sencrm.users.models import User
    from sencrm.users.services import role_save

    grants = {(Module.PRIVACY, a): Scope.OWN for a in (Action.VIEW, Action.CREATE, Action.EDIT)}
    grants[(Module.CUSTOMERS, Action.VIEW)] = Scope.ALL
    role = role_save(actor=org["admin"], name="Privacy desk", grants=grants, code="privacy_desk")
    User.objects.filter(username="tech").update(role=role)
    return User.objects.get(username="tech")


def test_a_request_is_numbered_and_its_deadlines_counted_from_receipt(org, contact):
    from sencrm.events.models import Event

    received = dt.datetime(2026, 2, 13, 10, 0, tzinfo=VN)  # the Friday before Tết
    first = register(org["care"], contact, received_at=received, channel="phone", details="Wants a copy")
    second = register(org["care"], contact, kind="correction", received_at=received)
    assert (first.number, second.number) == ("YCDL-2026-00001", "YCDL-2026-00002")
    assert first.acknowledge_due_at.astimezone(VN).date() == dt.date(2026, 2, 24)
    assert first.due_at.astimezone(VN).date() == dt.date(2026, 3, 2)
    assert first.status == "received" and first.owner == org["care"]
    created = Event.objects.get(type="data_request.created", subject_id=first.pk)
    assert created.customer_id == contact.pk


def test_the_steps_go_in_order_and_the_extension_happens_once(org, contact):
    from sencrm.events.models import Event

    marketing = org["marketing"]
    request = register(marketing, contact, received_at=dt.datetime(2026, 4, 29, 9, 0, tzinfo=VN))
    request = request_acknowledge(request, actor=marketing)
    assert request.status == "acknowledged" and request.acknowledged_at is not None
    with pytest.raises(ValidationError, match="already acknowledged"):
        request_acknowledge(request, actor=marketing)
    with pytest.raises(ValidationError) as missing:
        request_extend(request, actor=marketing, reason="   ")
    assert "reason" in missing.value.message_dict
    request = request_extend(request, actor=marketing, reason="The archive is in another city.")
    assert request.status == "extended"
    assert request.due_at.astimezone(VN).date() == dt.date(2026, 5, 29)
    with pytest.raises(ValidationError, match="only once"):
        request_extend(request, actor=marketing, reason="Again")
    with pytest.raises(ValidationError):
        request_complete(request, actor=marketing, outcome="")
    request = request_complete(request, actor=marketing, outcome="Export sent by email.")
    assert request.status == "completed" and request.completed_at is not None
    with pytest.raises(ValidationError, match="closed"):
        request_reject(request, actor=marketing, reason="x")
    events = Event.objects.filter(subject_id=request.pk, type__startswith="data_request.").order_by("id")
    types = list(events.values_list("type", flat=True))
    assert types == [
        "data_request.created",
        "data_request.acknowledged",
        "data_request.extended",
        "data_request.completed",
    ]


def test_registering_refuses_bad_input_and_roles_without_the_module(org, contact, privacy_desk, make_contact):
    with pytest.raises(PermissionDenied):
        register(org["sales1"], contact)
    with pytest.raises(ValidationError, match="one of them"):
        request_create(actor=org["care"], data={"kind": "access"})
    with pytest.raises(ValidationError) as bad:
        request_create(actor=org["care"], data={"contact": contact, "kind": "erase-all"})
    assert "kind" in bad.value.message_dict
    future = dt.datetime.now(tz=VN) + dt.timedelta(days=2)
    with pytest.raises(ValidationError, match="future"):
        register(org["care"], contact, received_at=future)
    with pytest.raises(ValidationError, match="cannot be set"):
        register(org["care"], contact, status="completed")
    # A lead the actor may not see is "does not exist", like a missing one.
    from sencrm.sales.services import lead_create

    hidden = lead_create(actor=org["sales2"], data={"full_name": "Lê Thị Kín"})
    with pytest.raises(ValidationError, match="does not exist"):
        request_create(actor=org["care"], data={"lead": hidden, "kind": "access"})
    # Care registers but does not handle.
    request = register(org["care"], contact)
    with pytest.raises(PermissionDenied):
        request_acknowledge(request, actor=org["care"])
    assert DataRequest.objects.get(pk=request.pk).status == "received"


def test_completing_a_withdrawal_withdraws_every_current_consent(org, person):
    from sencrm.customers.models import ConsentRecord

    request = register(org["marketing"], person, kind="withdrawal")
    request_complete(request, actor=org["marketing"], outcome="No more messages.")
    latest = {}
    for row in ConsentRecord.objects.filter(contact=person).order_by("at", "id"):
        latest[(row.channel, row.purpose)] = row
    assert latest and not any(row.granted for row in latest.values())
    assert {row.source for row in latest.values()} == {"request"}
    assert not person.consents.filter(granted=True).exists()
    assert not person.source_leads.get().consents.filter(granted=True).exists()


def test_overdue_requests_notify_every_administrator_once_per_deadline(org, contact):
    from sencrm.events.models import Event, Notification
    from sencrm.privacy.tasks import notify_overdue

    received = dt.datetime(2026, 4, 29, 9, 0, tzinfo=VN)
    request = register(org["marketing"], contact, received_at=received)
    on_time = dt.datetime(2026, 5, 5, 12, 0, tzinfo=VN)
    assert notify_overdue(on_time) == 0
    late_ack = dt.datetime(2026, 5, 6, 8, 0, tzinfo=VN)
    assert notify_overdue(late_ack) == 1
    assert notify_overdue(late_ack) == 0  # idempotent
    notes = Notification.objects.filter(kind="data_request_overdue")
    assert list(notes.values_list("recipient__username", flat=True)) == ["admin"]
    assert notes.get().params["deadline"] == "acknowledge"
    request_acknowledge(request, actor=org["marketing"])
    assert notify_overdue(dt.datetime(2026, 5, 14, 20, 0, tzinfo=VN)) == 0  # due at the end of 14/05
    assert notify_overdue(dt.datetime(2026, 5, 15, 1, 0, tzinfo=VN)) == 1
    assert notify_overdue(dt.datetime(2026, 5, 16, 1, 0, tzinfo=VN)) == 0
    assert Event.objects.filter(type="data_request.overdue", subject_id=request.pk).count() == 2


# --- pages ------------------------------------------------------------------------------------------------


def test_the_list_is_for_privacy_module_holders_and_marks_what_is_overdue(
    org, client_as, contact, django_assert_max_num_queries
):
    old = register(org["care"], contact, received_at=dt.datetime(2026, 1, 5, 9, 0, tzinfo=VN), details=XSS)
    register(org["care"], contact, kind="deletion")
    url = reverse("privacy:request_list")
    assert client_as("sales1").get(url).status_code == 403
    for username in ("care", "marketing", "admin"):
        client = client_as(username)
        with django_assert_max_num_queries(14):
            response = client.get(url)
        assert response.status_code == 200
        body = response.content.decode()
        assert body.count('data-testid="request-row"') == 2
        assert old.number in body and "Trần Văn Bình" in body
        assert 'data-testid="overdue"' in body
    response = client_as("marketing").get(url, {"kind": "deletion", "status": "all"})
    assert response.content.decode().count('data-testid="request-row"') == 1
    for bad in ({"kind": "x' OR 1=1"}, {"status": "closed"}, {"cursor": "forged"}):
        assert client_as("marketing").get(url, bad).status_code == 400


def test_a_request_outside_the_scope_answers_404_like_a_missing_one(org, client, contact, privacy_desk):
    theirs = register(org["marketing"], contact)
    client.force_login(privacy_desk)
    assert client.get(reverse("privacy:request_list")).status_code == 200
    for name in ("privacy:request_detail", "privacy:request_export_json"):
        assert client.get(reverse(name, args=[theirs.pk])).status_code == 404
        assert client.get(reverse(name, args=[987654])).status_code == 404
    assert client.post(reverse("privacy:request_acknowledge", args=[theirs.pk])).status_code == 404
    assert DataRequest.objects.get(pk=theirs.pk).acknowledged_at is None
    mine = register(privacy_desk, contact)
    assert client.get(reverse("privacy:request_detail", args=[mine.pk])).status_code == 200


def test_registering_and_handling_a_request_through_the_pages(org, client_as, contact):
    care = client_as("care")
    url = reverse("privacy:request_create")
    form = care.get(url, {"contact": contact.pk})
    assert form.status_code == 200 and "Trần Văn Bình" in form.content.decode()
    refused = care.post(url, {"kind": "access", "details": "x"})
    assert refused.status_code == 400 and "one of them" in refused.content.decode()
    made = care.post(
        url, {"kind": "access", "contact": contact.pk, "received_at": "29/04/2026 09:00", "details": XSS}
    )
    request = DataRequest.objects.get()
    assert made.status_code == 302 and made["Location"] == request.get_absolute_url()
    page = care.get(request.get_absolute_url()).content.decode()
    assert XSS not in page and "&quot;&gt;&lt;img" in page
    assert 'data-testid="acknowledge"' not in page  # care may not handle it
    assert care.post(reverse("privacy:request_acknowledge", args=[request.pk])).status_code == 403

    marketing = client_as("marketing")
    assert marketing.post(reverse("privacy:request_acknowledge", args=[request.pk])).status_code == 302
    assert (
        marketing.post(
            reverse("privacy:request_extend", args=[request.pk]), {"extend-reason": ""}
        ).status_code
        == 400
    )
    extended = marketing.post(
        reverse("privacy:request_extend", args=[request.pk]), {"extend-reason": "Archive"}
    )
    assert extended.status_code == 302
    again = marketing.post(reverse("privacy:request_extend", args=[request.pk]), {"extend-reason": "Again"})
    assert again.status_code == 400 and "only once" in again.content.decode()
    done = marketing.post(reverse("privacy:request_complete", args=[request.pk]), {"outcome": "Sent."})
    assert done.status_code == 302
    assert DataRequest.objects.get().status == "completed"


def test_a_deletion_is_completed_after_a_confirmation_listing_what_changes(org, client_as, person):
    request = register(org["care"], person, kind="deletion")
    marketing = client_as("marketing")
    url = reverse("privacy:request_complete", args=[request.pk])
    preview = marketing.get(url)
    assert preview.status_code == 200 and 'data-testid="anonymise-preview"' in preview.content.decode()
    unconfirmed = marketing.post(url, {"outcome": "Deleted."})
    assert unconfirmed.status_code == 400
    assert DataRequest.objects.get().status == "received"
    assert marketing.post(url, {"outcome": "Deleted.", "confirm": "on"}).status_code == 302
    person.refresh_from_db()
    assert person.full_name == f"Đã ẩn danh #{person.pk}"


def test_open_requests_for_the_home_page(org, contact):
    from sencrm.privacy.selectors import open_requests

    late = register(org["care"], contact, received_at=dt.datetime(2026, 1, 5, 9, 0, tzinfo=VN))
    register(org["care"], contact)
    rows = open_requests(org["marketing"], 5)
    assert rows[0] == late and rows[0].overdue_now and rows[0].person_label == "Trần Văn Bình"
    assert open_requests(org["sales1"], 5) == []
