"""The call log: calls logged by hand (call_log), the agent's outcome and notes (call_update) with the
call-back follow-up, and the pages (list, a call's page, log a call) through the access gate."""

# The shared fixtures are imported: arguments naming them redefine nothing.
# ruff: noqa: F811

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from sencrm.activities.models import Activity
from sencrm.core.exceptions import StaleRecord
from sencrm.events.models import Event
from sencrm.support.calls import call_log, call_update
from sencrm.support.models import Call, CallOutcome
from sencrm.support.tests.telephony_helpers import (  # noqa: F401  (fixtures)
    CALLER,
    CALLER_E164,
    customer,
    event,
    phones,
    post_event,
    token_for,
)

pytestmark = pytest.mark.django_db
XSS = "<svg/onload=alert(1)>"


def later(hours: int = 2) -> dt.datetime:
    return (timezone.now() + dt.timedelta(hours=hours)).replace(microsecond=0)


def test_a_call_logged_by_hand_goes_on_the_customers_timeline(org, customer):
    started = timezone.now().replace(microsecond=0) - dt.timedelta(hours=1)
    call = call_log(
        actor=org["care"],
        data={
            "contact": customer,
            "number": CALLER,
            "started_at": started,
            "duration": 240,
            "notes": "Khách hài lòng",
        },
    )
    assert (call.owner, call.contact, call.account, call.number) == (
        org["care"],
        customer,
        customer.account,
        CALLER_E164,
    )
    assert (call.direction, call.outcome, call.provider, call.call_id) == (
        "outbound",
        CallOutcome.REACHED,
        "",
        None,
    )
    assert call.ended_at == started + dt.timedelta(seconds=240)
    logged = Event.objects.get(type="call.created")
    assert logged.customer_id == customer.pk and logged.actor == org["care"]


def test_a_number_alone_finds_the_customer(org, customer):
    call = call_log(actor=org["care"], data={"number": "+84 912 345 678"})
    assert call.contact == customer and call.account == customer.account


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"number": "12"}, "number"),
        ({"number": CALLER, "duration": -1}, "duration"),
        ({"number": CALLER, "duration": 86_401}, "duration"),
        ({"number": CALLER, "duration": "60"}, "duration"),
        ({"number": CALLER, "started_at": later(3)}, "started_at"),
        ({"number": CALLER, "outcome": "call_back"}, "callback_at"),
        ({"number": CALLER, "outcome": "reached", "callback_at": later()}, "callback_at"),
        ({"number": CALLER, "recording_url": "javascript:alert(1)"}, "recording_url"),
        ({"number": CALLER, "outcome": "exploded"}, "outcome"),
        ({"number": CALLER, "owner": 1}, "owner"),
        ({"number": CALLER, "call_id": "forged"}, "call_id"),
        ({"number": CALLER, "provider": "api"}, "provider"),
        ({"number": CALLER, "version": 7}, "version"),
    ],
)
def test_call_log_refuses_bad_input(org, data, field):
    with pytest.raises(ValidationError) as caught:
        call_log(actor=org["care"], data=data)
    assert field in caught.value.message_dict
    assert not Call.objects.exists()


def test_call_log_needs_a_customer_or_a_number(org, english):
    with pytest.raises(ValidationError) as caught:
        call_log(actor=org["care"], data={"notes": "?"})
    assert caught.value.messages == ["Choose the customer or enter the phone number."]


def test_call_log_is_gated(org, customer, make_contact):
    with pytest.raises(PermissionDenied):
        call_log(actor=org["sales1"], data={"number": CALLER})  # sales has no customer care
    # The manager (team Hà Nội) may not link a call to sales2's customer.
    theirs = make_contact(owner="sales2", full_name="Lê Văn Tâm", phones=("0903 111 333",))
    with pytest.raises(ValidationError) as caught:
        call_log(actor=org["manager"], data={"contact": theirs})
    assert "contact" in caught.value.message_dict
    # …and a number alone does not link them to them either.
    assert call_log(actor=org["manager"], data={"number": "0903 111 333"}).contact is None


def test_call_back_creates_the_follow_up_task_once(org, customer, english):
    call = call_log(actor=org["care"], data={"contact": customer, "duration": 60})
    when = later(24)
    call = call_update(
        call,
        actor=org["care"],
        changes={"outcome": "call_back", "callback_at": when, "notes": "Gọi lại sau 9h"},
        version=call.version,
    )
    task = Activity.objects.get()
    assert (task.kind, task.owner, task.contact, task.due_at) == ("task", org["care"], customer, when)
    assert task.subject == "Call back Nguyễn Thị Ánh Tuyết" and task.description == "Gọi lại sau 9h"
    assert task.reminder_at == when - dt.timedelta(minutes=15)
    # Saving the same again adds nothing; another agreed time adds its own task.
    call = call_update(
        call, actor=org["care"], changes={"outcome": "call_back", "callback_at": when}, version=call.version
    )
    assert Activity.objects.count() == 1
    call = call_update(call, actor=org["care"], changes={"callback_at": later(48)}, version=call.version)
    assert Activity.objects.count() == 2
    # Another outcome drops the agreed time.
    call = call_update(call, actor=org["care"], changes={"outcome": "reached"}, version=call.version)
    assert call.callback_at is None
    assert (
        Event.objects.filter(type="call.updated", subject_id=call.pk).count() == 3
    )  # not the save without change


def test_call_back_on_a_logged_call(org, customer):
    call = call_log(
        actor=org["care"], data={"contact": customer, "outcome": "call_back", "callback_at": later()}
    )
    assert Activity.objects.get().contact == customer and call.outcome == "call_back"


def test_call_update_keeps_the_telephony_facts(client, org, phones, customer):
    post_event(client, token_for(org["care"]), event("ringing"))
    call = Call.objects.get()
    for changes in (
        {"number": "0903 000 000"},
        {"duration": 5},
        {"started_at": timezone.now()},
        {"direction": "outbound"},
    ):
        with pytest.raises(ValidationError):
            call_update(call, actor=org["care"], changes=changes, version=call.version)
    updated = call_update(
        call, actor=org["care"], changes={"notes": XSS, "outcome": "reached"}, version=call.version
    )
    assert updated.notes == XSS and updated.number == CALLER_E164


def test_call_update_version_and_gate(org, customer):
    call = call_log(actor=org["care"], data={"contact": customer})
    call_update(call, actor=org["care"], changes={"notes": "Lần 1"}, version=call.version)
    with pytest.raises(StaleRecord):
        call_update(call, actor=org["care"], changes={"notes": "Lần 2"}, version=call.version)
    with pytest.raises(Http404):  # the manager's team scope does not reach care's calls
        call_update(call, actor=org["manager"], changes={"notes": "x"}, version=None)
    assert Call.objects.get().notes == "Lần 1"


# --- the pages -------------------------------------------------------------------------------------------


def test_the_call_list_and_its_filters(client, org, customer):
    call_log(actor=org["care"], data={"contact": customer, "duration": 60})
    call_log(
        actor=org["care"], data={"number": "0987 654 321", "direction": "inbound", "outcome": "no_answer"}
    )
    client.force_login(org["care"])
    url = reverse("support:call_list")
    html = client.get(url).content.decode()
    assert html.count('data-testid="call-row"') == 2 and "Nguyễn Thị Ánh Tuyết" in html
    assert client.get(url, {"direction": "inbound"}).content.decode().count('data-testid="call-row"') == 1
    assert client.get(url, {"number": "0912.345.678"}).content.decode().count('data-testid="call-row"') == 1
    assert client.get(url, {"outcome": "none"}).content.decode().count('data-testid="call-row"') == 0
    for bad in (
        {"direction": "up"},
        {"outcome": "x'; DROP TABLE"},
        {"agent": "7"},
        {"number": "abc"},
        {"cursor": "forged"},
    ):
        assert client.get(url, bad).status_code == 400
    client.force_login(org["manager"])  # team scope: care's calls are not theirs
    assert 'data-testid="call-row"' not in client.get(url).content.decode()
    client.force_login(org["sales1"])
    assert client.get(url).status_code == 403


def test_a_calls_page_and_its_outcome_form(client, org, customer):
    call = call_log(actor=org["care"], data={"contact": customer, "notes": XSS})
    client.force_login(org["care"])
    url = reverse("support:call_detail", args=[call.pk])
    html = client.get(url).content.decode()
    assert "<svg/onload" not in html and "&lt;svg/onload=alert(1)&gt;" in html
    edit = reverse("support:call_edit", args=[call.pk])
    when = timezone.localtime(later(24))
    posted = {
        "outcome": "call_back",
        "callback_at": when.strftime("%d/%m/%Y %H:%M"),
        "notes": "Hẹn 9h",
        "version": call.version,
    }
    response = client.post(edit, posted)
    assert response.status_code == 302
    call.refresh_from_db()
    assert call.outcome == "call_back" and call.callback_at == when.replace(second=0)
    assert Activity.objects.filter(kind="task", owner=org["care"]).count() == 1
    # The same form again (now stale) is a 409 and changes nothing.
    assert client.post(edit, {**posted, "notes": "khác"}).status_code == 409
    assert client.post(edit, {"outcome": "call_back", "version": call.version}).status_code == 400
    client.force_login(org["manager"])
    assert client.get(url).status_code == 404
    assert client.post(edit, {"notes": "x", "version": call.version}).status_code == 404
    call.refresh_from_db()
    assert call.notes == "Hẹn 9h"


def test_a_missed_call_stays_missed_until_the_agent_says_otherwise(client, org, phones, customer):
    token = token_for(org["care"])
    post_event(client, token, event("ringing"))
    post_event(client, token, event("ended"))
    call = Call.objects.get()
    client.force_login(org["care"])
    response = client.post(
        reverse("support:call_edit", args=[call.pk]),
        {"outcome": "", "notes": "Gọi lại không được", "version": call.version},
    )
    assert response.status_code == 302
    call.refresh_from_db()
    assert (call.outcome, call.notes) == (CallOutcome.MISSED, "Gọi lại không được")


def test_log_a_call_page(client, org, customer):
    client.force_login(org["care"])
    url = reverse("support:call_create")
    page = client.get(url, {"contact": customer.pk})
    assert page.status_code == 200 and "Nguyễn Thị Ánh Tuyết" in page.content.decode()
    response = client.post(
        url,
        {
            "contact": customer.pk,
            "direction": "outbound",
            "minutes": 3,
            "outcome": "reached",
            "notes": "Tư vấn bảo trì",
        },
    )
    assert response.status_code == 302
    call = Call.objects.get()
    assert (call.contact, call.duration, call.owner) == (customer, 180, org["care"])
    assert client.post(url, {"direction": "outbound", "minutes": 1, "number": "abc"}).status_code == 400
    assert (
        client.post(url, {"direction": "outbound", "minutes": 1}).status_code == 400
    )  # neither customer nor number
    assert client.post(url, {"direction": "outbound", "minutes": -2, "number": CALLER}).status_code == 400
    assert Call.objects.count() == 1
    client.force_login(org["sales1"])
    assert client.get(url).status_code == 403


def test_the_live_page(client, org, phones, customer):
    post_event(client, token_for(org["care"]), event("ringing"))
    client.force_login(org["care"])
    html = client.get(reverse("support:live")).content.decode()
    assert 'id="screenpop" data-live-url="/live/events/"' in html and "101" in html
    assert "Nguyễn Thị Ánh Tuyết" in html  # today's call
    assert '<script src="/static/js/screenpop.js" defer></script>' in html


@pytest.fixture
def english():
    """These tests read the services' messages in English (their source text)."""
    from django.utils import translation

    with translation.override("en"):
        yield


def test_a_call_is_named_in_local_time(org, customer):
    import datetime as dt

    from sencrm.support.models import Call

    call = Call(
        owner=org["care"], number="+84912345678", started_at=dt.datetime(2026, 12, 4, 17, 13, tzinfo=dt.UTC)
    )
    assert str(call) == "+84912345678 05/12/2026 00:13"
