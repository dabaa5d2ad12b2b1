"""Ticket writes: create (numbering, routing, customer consistency, links), every transition allowed and
refused, the reopen window, the SLA clock moved by the writes, replies emailed (a real SMTP server),
notes, escalation, assignment, merge, tasks, delete, and the gate."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils.translation import gettext

from sencrm.events.models import Event
from sencrm.marketing.tests import email_helpers
from sencrm.marketing.tests.email_helpers import local, text_of
from sencrm.support import services
from sencrm.support.models import (
    TRANSITIONS,
    Call,
    MessageKind,
    Review,
    Ticket,
    TicketMessage,
    TicketStatus,
    TicketTask,
)
from sencrm.support.tests import ticket_helpers
from sencrm.support.tests.ticket_helpers import MONDAY_10

desk = ticket_helpers.desk  # shared fixtures
make_ticket = ticket_helpers.make_ticket
smtp = email_helpers.smtp

MINUTE = dt.timedelta(minutes=1)


def events(ticket: Ticket, kind: str) -> list[Event]:
    return list(
        Event.objects.filter(subject_id=ticket.pk, type=kind, subject_type__model="ticket").order_by("id")
    )


def fresh(ticket: Ticket) -> Ticket:
    return Ticket.all_objects.get(pk=ticket.pk)


# --- create -----------------------------------------------------------------------------------------


def test_a_ticket_is_numbered_routed_assigned_and_timed(desk, make_ticket, make_contact, org):
    contact = make_contact(emails=["tuyet@example.com"])
    ticket = make_ticket(contact=contact, category=desk.not_cooling, description="Phòng ngủ  tầng 2")
    assert re.fullmatch(r"SC-2026-\d{6}", ticket.number)
    assert ticket.queue == desk.first and ticket.line == "first" and ticket.status == "new"
    assert ticket.owner in desk.agents
    assert ticket.created_at == MONDAY_10 and ticket.created_by == org["care"]
    # The "any priority" policy: 120 business minutes from Monday 10:00 → 12:00; 960 (6 h on Monday,
    # 8 h on Tuesday, 2 h on Wednesday) → Wednesday 10:00.
    assert ticket.sla_policy == desk.standard
    assert ticket.first_response_due == MONDAY_10.replace(hour=12)
    assert ticket.resolution_due == MONDAY_10.replace(day=4)
    (created,) = events(ticket, "ticket.created")
    assert created.data["record"]["number"] == ticket.number
    assert created.customer_id == contact.pk  # on the contact's timeline
    second = make_ticket(subject="Giao thiếu remote")
    assert int(second.number[-6:]) == int(ticket.number[-6:]) + 1


def test_the_contacts_account_is_filled_in_and_a_different_one_refused(make_ticket, make_contact, org):
    from sencrm.customers.services import account_create

    account = account_create(actor=org["sales1"], data={"name": "Công ty TNHH Sen Việt"})
    other = account_create(actor=org["sales1"], data={"name": "Công ty Khác"})
    contact = make_contact(account=account)
    assert make_ticket(contact=contact).account == account
    with pytest.raises(ValidationError) as refused:
        make_ticket(contact=contact, account=other)
    assert refused.value.message_dict["account"] == [gettext("This contact belongs to another account.")]


def test_an_order_brings_its_customer_and_an_order_of_another_customer_is_refused(
    desk, make_ticket, make_contact
):
    from sencrm.commerce.models import Order

    buyer = make_contact()
    someone = make_contact(full_name="Trần Văn Bình", phones=["0987 654 321"])
    order = Order.objects.create(owner=buyer.owner, contact=buyer, number="DH-2026-000001")
    assert make_ticket(order=order).contact == buyer
    with pytest.raises(ValidationError) as refused:
        make_ticket(order=order, contact=someone)
    assert "order" in refused.value.message_dict


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"subject": "   "}, "subject"),
        ({"subject": "x" * 201}, "subject"),
        ({"priority": "asap"}, "priority"),
        ({"channel": "pigeon"}, "channel"),
        ({"requester_email": "not an email"}, "requester_email"),
        ({"requester_phone": "12"}, "requester_phone"),
        ({"status": "closed"}, "status"),  # mass assignment: the status moves only by transitions
        ({"number": "SC-1"}, "number"),
        ({"breached": True}, "breached"),
        ({"contact": 10**9}, "contact"),
        ({"category": "abc"}, "category"),
    ],
)
def test_bad_input_is_refused_with_a_message_and_nothing_is_written(desk, org, data, field):
    with pytest.raises(ValidationError) as refused:
        services.ticket_create(actor=org["care"], data={"subject": "Hỏng", **data}, now=MONDAY_10)
    assert field in refused.value.message_dict
    assert not Ticket.all_objects.exists() and not Event.objects.filter(type="ticket.created").exists()


def test_a_switched_off_category_or_queue_is_refused(desk, make_ticket):
    desk.delivery.active = False
    desk.delivery.save()
    with pytest.raises(ValidationError) as refused:
        make_ticket(category=desk.delivery)
    assert "category" in refused.value.message_dict


def test_the_requesters_phone_is_kept_as_e164_and_text_is_cleaned(desk, make_ticket):
    ticket = make_ticket(
        subject=" Máy\u200b  kêu to ", requester_phone="0912 345 678", requester_email="a@b.vn"
    )
    assert ticket.subject == "Máy kêu to"
    assert ticket.requester_phone == "+84912345678"


# --- the gate ---------------------------------------------------------------------------------------


def test_sales_cannot_create_or_see_tickets_care_can(desk, make_ticket, org):
    with pytest.raises(PermissionDenied):
        make_ticket(actor="sales1")
    ticket = make_ticket(actor="care")
    with pytest.raises(Http404):
        services.ticket_update(ticket, actor=org["sales1"], changes={"subject": "Khác"}, version=None)
    with pytest.raises(Http404):
        services.ticket_note(ticket, actor=org["sales1"], body="xem")
    assert fresh(ticket).subject == "Điều hòa không lạnh" and not TicketMessage.objects.exists()


def test_a_technician_acts_only_on_the_tickets_of_their_queues(desk, make_ticket, org):
    ticket = make_ticket()
    with pytest.raises(Http404):  # a first-line ticket: outside the technician's scope
        services.ticket_transition(ticket, actor=org["tech"], status="open", now=MONDAY_10)
    assert fresh(ticket).status == "new"
    escalated = services.ticket_escalate(ticket, actor=org["care"], note="Cần kỹ thuật", now=MONDAY_10)
    assert escalated.owner == org["tech"]
    moved = services.ticket_transition(escalated, actor=org["tech"], status="open", now=MONDAY_10)
    assert moved.status == "open"


def test_links_outside_the_actors_scope_are_refused_as_missing(desk, org, make_contact):
    contact = make_contact(owner="sales2")  # a technician sees only the customers of their work orders
    with pytest.raises(ValidationError) as refused:
        services.ticket_create(
            actor=org["tech"],
            data={"subject": "Hỏng", "contact": contact, "queue": desk.second},
            now=MONDAY_10,
        )
    assert refused.value.message_dict["contact"] == [
        gettext("The record does not exist or you do not have access to it.")
    ]


def test_only_a_role_with_delete_removes_a_ticket(desk, make_ticket, org):
    ticket = make_ticket()
    with pytest.raises(PermissionDenied):
        services.ticket_delete(ticket, actor=org["care"])
    services.ticket_delete(ticket, actor=org["admin"])
    assert fresh(ticket).is_deleted and events(ticket, "ticket.deleted")
    with pytest.raises(Http404):
        services.ticket_note(ticket, actor=org["admin"], body="ghi chú")


# --- transitions --------------------------------------------------------------------------------------

PATHS = {
    "new": [],
    "open": ["open"],
    "waiting": ["waiting"],
    "resolved": ["resolved"],
    "closed": ["resolved", "closed"],
}
PAIRS = [(a, b) for a in PATHS for b in TicketStatus.values if a != b]


@pytest.mark.parametrize(("start", "target"), PAIRS)
def test_every_transition_is_allowed_or_refused_by_the_map(desk, make_ticket, org, start, target):
    ticket = make_ticket()
    clock = MONDAY_10
    for step in PATHS[start]:
        clock += MINUTE
        ticket = services.ticket_transition(ticket, actor=org["care"], status=step, now=clock)
    before = Event.objects.count()
    if target in TRANSITIONS[start]:
        moved = services.ticket_transition(ticket, actor=org["care"], status=target, now=clock + MINUTE)
        assert moved.status == target
        (change,) = events(moved, "ticket.status_changed")[-1:]
        assert change.data["from"] == start and change.data["to"] == target
        follow = {"resolved": "ticket.resolved", "closed": "ticket.closed"}.get(target)
        if start in ("resolved", "closed") and target == "open":
            follow = "ticket.reopened"
        if follow:
            assert events(moved, follow)
    else:
        with pytest.raises(ValidationError) as refused:
            services.ticket_transition(ticket, actor=org["care"], status=target, now=clock + MINUTE)
        message = refused.value.message_dict["status"][0]
        assert str(TicketStatus(start).label) in message and str(TicketStatus(target).label) in message
        assert fresh(ticket).status == start and Event.objects.count() == before


def test_an_unknown_status_or_the_same_status(desk, make_ticket, org):
    ticket = make_ticket()
    with pytest.raises(ValidationError):
        services.ticket_transition(ticket, actor=org["care"], status="deleted", now=MONDAY_10)
    same = services.ticket_transition(ticket, actor=org["care"], status="new", now=MONDAY_10)
    assert same.version == ticket.version and not events(ticket, "ticket.status_changed")


@pytest.mark.parametrize(("days", "allowed"), [(6, True), (7, True), (8, False)])
def test_reopening_is_allowed_within_the_window(desk, make_ticket, org, settings, days, allowed):
    settings.SUPPORT_REOPEN_DAYS = 7
    ticket = services.ticket_transition(make_ticket(), actor=org["care"], status="resolved", now=MONDAY_10)
    ticket = services.ticket_transition(ticket, actor=org["care"], status="closed", now=MONDAY_10 + MINUTE)
    later = MONDAY_10 + dt.timedelta(days=days)
    if allowed:
        reopened = services.ticket_transition(ticket, actor=org["care"], status="open", now=later)
        assert reopened.status == "open" and reopened.resolved_at is None and reopened.closed_at is None
    else:
        with pytest.raises(ValidationError) as refused:
            services.ticket_transition(ticket, actor=org["care"], status="open", now=later)
        assert "7" in refused.value.message_dict["status"][0]
        assert fresh(ticket).status == "closed"


def test_waiting_pauses_the_clock_and_reopening_moves_it(desk, make_ticket, org):
    ticket = make_ticket()
    due = ticket.resolution_due
    waiting = services.ticket_transition(
        ticket, actor=org["care"], status="waiting", now=MONDAY_10 + 60 * MINUTE
    )
    assert waiting.sla_paused_at is not None and waiting.resolution_due is None and waiting.resolution_left
    # Back a working day later: the due time moves by a working day.
    day = dt.timedelta(days=1)
    back = services.ticket_transition(
        waiting, actor=org["care"], status="open", now=MONDAY_10 + day + 60 * MINUTE
    )
    assert back.sla_paused_at is None and back.resolution_due == due + day
    # Resolved, and reopened a working day later: the same.
    resolved = services.ticket_transition(back, actor=org["care"], status="resolved", now=MONDAY_10 + day)
    reopened = services.ticket_transition(resolved, actor=org["care"], status="open", now=MONDAY_10 + 2 * day)
    assert reopened.resolution_due == due + dt.timedelta(days=2)


def test_resolving_emails_the_customer_and_asks_for_a_rating(
    desk, make_ticket, org, smtp, django_capture_on_commit_callbacks
):
    ticket = make_ticket(requester_email="khach@example.com", requester_name="Chị Tuyết")
    with django_capture_on_commit_callbacks(execute=True):
        resolved = services.ticket_transition(ticket, actor=org["care"], status="resolved", note="Đã thay tụ")
    assert resolved.resolved_at is not None
    assert TicketMessage.objects.get(ticket=ticket).kind == MessageKind.NOTE
    # (A long non-ASCII subject is folded: the parser keeps the fold's space.)
    status_mails = [
        m for m in smtp.to("khach@example.com") if m["Subject"].strip().startswith(f"[{ticket.number}]")
    ]
    assert status_mails, [m["Subject"] for m in smtp.messages]
    assert "/t/" in text_of(status_mails[0])
    assert Review.objects.filter(ticket=ticket).exists()


# --- messages --------------------------------------------------------------------------------------


def test_a_reply_is_emailed_with_the_reference_and_the_signed_link(
    desk, make_ticket, make_contact, org, client, smtp, django_capture_on_commit_callbacks
):
    contact = make_contact(emails=["tuyet.nguyen@example.com"])
    ticket = make_ticket(contact=contact, subject="Điều hòa chảy nước")
    with django_capture_on_commit_callbacks(execute=True):
        message = services.ticket_reply(
            ticket, actor=org["care"], body="Chào chị,\n\nKỹ thuật sẽ đến sáng mai."
        )
    (mail,) = smtp.to("tuyet.nguyen@example.com")
    assert mail["Subject"].strip() == f"[{ticket.number}] Điều hòa chảy nước"
    assert mail["Reply-To"] == "cskh@dieuhoasen.vn" and mail["X-SenCRM-Ticket"] == ticket.number
    body = text_of(mail)
    assert "Kỹ thuật sẽ đến sáng mai." in body
    link = re.search(r"https?://\S+/t/\S+/", body).group(0)
    page = client.get(local(link))
    assert page.status_code == 200 and ticket.number in page.content.decode()
    message.refresh_from_db()
    assert message.emailed_to == "tuyet.nguyen@example.com" and message.emailed_at is not None


def test_the_first_reply_stops_the_first_response_clock_and_opens_the_ticket(desk, make_ticket, org):
    ticket = make_ticket()
    services.ticket_reply(ticket, actor=org["care"], body="Đã nhận", now=MONDAY_10 + 5 * MINUTE)
    first = fresh(ticket)
    assert first.first_responded_at == MONDAY_10 + 5 * MINUTE and first.status == "open"
    services.ticket_reply(first, actor=org["care"], body="Lần hai", now=MONDAY_10 + 9 * MINUTE)
    assert fresh(ticket).first_responded_at == MONDAY_10 + 5 * MINUTE
    replied = events(ticket, "ticket.replied")
    assert len(replied) == 2 and replied[0].data["excerpt"] == "Đã nhận"


def test_a_reply_without_an_address_is_kept_but_not_emailed(
    desk, make_ticket, org, smtp, django_capture_on_commit_callbacks
):
    ticket = make_ticket()
    with django_capture_on_commit_callbacks(execute=True):
        message = services.ticket_reply(ticket, actor=org["care"], body="Gọi lại cho khách")
    message.refresh_from_db()
    assert message.emailed_to == "" and message.emailed_at is None and smtp.messages == []


def test_an_empty_reply_or_a_reply_on_a_closed_ticket_is_refused(desk, make_ticket, org):
    ticket = make_ticket()
    with pytest.raises(ValidationError):
        services.ticket_reply(ticket, actor=org["care"], body=" \n ")
    ticket = services.ticket_transition(ticket, actor=org["care"], status="resolved")
    ticket = services.ticket_transition(ticket, actor=org["care"], status="closed")
    with pytest.raises(ValidationError):
        services.ticket_reply(ticket, actor=org["care"], body="Xin chào")
    assert not TicketMessage.objects.filter(kind="reply").exists()


def test_a_note_stays_internal(desk, make_ticket, org):
    ticket = make_ticket()
    note = services.ticket_note(ticket, actor=org["care"], body="Khách khó tính")
    assert note.kind == MessageKind.NOTE and note.author == org["care"]
    assert events(ticket, "ticket.noted")[0].data["message"] == note.pk


def test_the_customers_message_reopens_a_waiting_or_resolved_ticket(desk, make_ticket, org):
    ticket = services.ticket_transition(make_ticket(), actor=org["care"], status="waiting", now=MONDAY_10)
    services.ticket_customer_message(ticket, body="Tôi đã gửi ảnh", now=MONDAY_10 + MINUTE)
    assert fresh(ticket).status == "open" and events(ticket, "ticket.customer_replied")
    resolved = services.ticket_transition(fresh(ticket), actor=org["care"], status="resolved", now=MONDAY_10)
    services.ticket_customer_message(resolved, body="Vẫn chưa lạnh", now=MONDAY_10 + dt.timedelta(days=1))
    assert fresh(ticket).status == "open" and events(ticket, "ticket.reopened")
    closed = services.ticket_transition(
        services.ticket_transition(fresh(ticket), actor=org["care"], status="resolved"),
        actor=org["care"],
        status="closed",
    )
    with pytest.raises(ValidationError):
        services.ticket_customer_message(closed, body="Còn đó không?")
    assert TicketMessage.objects.filter(kind="customer").count() == 2


# --- escalation and assignment ------------------------------------------------------------------------


def test_escalation_goes_to_second_line_once(desk, make_ticket, org):
    ticket = make_ticket()
    with pytest.raises(ValidationError) as refused:
        services.ticket_escalate(ticket, actor=org["care"], note="  ")
    assert "note" in refused.value.message_dict
    escalated = services.ticket_escalate(ticket, actor=org["care"], note="Cần thay máy nén", now=MONDAY_10)
    assert escalated.line == "second" and escalated.queue == desk.second and escalated.owner == org["tech"]
    assert escalated.escalated_at == MONDAY_10
    (event,) = events(ticket, "ticket.escalated")
    assert event.data["from_queue"]["id"] == desk.first.pk and event.data["to_queue"]["id"] == desk.second.pk
    assert event.data["reason"] == "manual" and event.data["note"] == "Cần thay máy nén"
    assert TicketMessage.objects.get(ticket=ticket, kind="note").body == "Cần thay máy nén"
    with pytest.raises(ValidationError):
        services.ticket_escalate(escalated, actor=org["care"], note="Lần nữa")
    assert len(events(ticket, "ticket.escalated")) == 1


def test_an_sla_breach_escalates_without_a_note_and_says_so(desk, make_ticket):
    ticket = make_ticket()
    escalated = services.ticket_escalate(ticket, actor=None, system=True, now=MONDAY_10)
    (event,) = events(escalated, "ticket.escalated")
    assert event.data["reason"] == "sla_breach" and event.actor_label == "system:sla"


def test_escalation_without_a_second_line_queue_is_refused(desk, make_ticket, org):
    ticket = make_ticket()
    desk.second.active = False
    desk.second.save()
    with pytest.raises(ValidationError):
        services.ticket_escalate(ticket, actor=org["care"], note="Kỹ thuật")
    assert fresh(ticket).line == "first"


def test_escalation_of_a_resolved_ticket_is_refused(desk, make_ticket, org):
    ticket = services.ticket_transition(make_ticket(), actor=org["care"], status="resolved")
    with pytest.raises(ValidationError):
        services.ticket_escalate(ticket, actor=org["care"], note="Kỹ thuật")


def test_assigning_to_a_queue_picks_one_of_its_agents_and_to_an_agent_sets_the_team(desk, make_ticket, org):
    ticket = make_ticket()
    moved = services.ticket_assign(ticket, actor=org["care"], queue=desk.second)
    assert moved.queue == desk.second and moved.line == "second" and moved.owner == org["tech"]
    given = services.ticket_assign(moved, actor=org["care"], owner=org["manager"])
    assert given.owner == org["manager"] and given.team == org["manager"].teams.get()
    assert [e.data["owner"]["id"] for e in events(ticket, "ticket.assigned")] == [
        org["tech"].pk,
        org["manager"].pk,
    ]
    with pytest.raises(ValidationError):
        services.ticket_assign(given, actor=org["care"])


def test_a_new_priority_applies_the_policy_again(desk, make_ticket, org):
    ticket = make_ticket()
    urgent = services.ticket_update(
        ticket, actor=org["care"], changes={"priority": "urgent"}, version=1, now=MONDAY_10
    )
    assert urgent.sla_policy == desk.urgent
    assert urgent.first_response_due == MONDAY_10 + 30 * MINUTE


def test_a_closed_ticket_cannot_be_edited(desk, make_ticket, org):
    ticket = services.ticket_transition(make_ticket(), actor=org["care"], status="resolved")
    ticket = services.ticket_transition(ticket, actor=org["care"], status="closed")
    with pytest.raises(ValidationError):
        services.ticket_update(ticket, actor=org["care"], changes={"subject": "Khác"}, version=None)


# --- merge, tasks ------------------------------------------------------------------------------------------


def test_merging_moves_everything_and_closes_the_duplicate(desk, make_ticket, make_contact, org):
    contact = make_contact()
    kept = make_ticket(contact=contact)
    duplicate = make_ticket(contact=contact, subject="Máy lạnh không mát")
    note = services.ticket_note(duplicate, actor=org["care"], body="Khách gọi lần 2")
    call = Call.objects.create(owner=org["care"], contact=contact, ticket=duplicate, number="+84912345678")
    task = services.ticket_task_create(
        duplicate, actor=org["care"], data={"subject": "Gọi lại khách", "due_at": MONDAY_10}
    )
    result = services.ticket_merge(duplicate, into=kept, actor=org["care"])
    assert result == kept
    dup = fresh(duplicate)
    assert dup.merged_into == kept and dup.status == "closed"
    note.refresh_from_db()
    call.refresh_from_db()
    assert note.ticket == kept and call.ticket == kept
    assert TicketTask.objects.get(activity=task).ticket == kept
    assert events(kept, "ticket.merged")[0].data["merged"]["number"] == duplicate.number
    assert events(dup, "ticket.merged")[0].data["into"]["id"] == kept.pk
    with pytest.raises(ValidationError):
        services.ticket_transition(dup, actor=org["care"], status="open")
    with pytest.raises(ValidationError):
        services.ticket_merge(dup, into=kept, actor=org["care"])


def test_merging_into_itself_or_another_customers_ticket_is_refused(desk, make_ticket, make_contact, org):
    one = make_ticket(contact=make_contact())
    other = make_ticket(contact=make_contact(full_name="Lê Văn C", phones=["0987 000 111"]))
    with pytest.raises(ValidationError):
        services.ticket_merge(one, into=one, actor=org["care"])
    with pytest.raises(ValidationError):
        services.ticket_merge(one, into=other, actor=org["care"])
    assert fresh(one).merged_into is None


def test_a_task_is_linked_to_the_ticket_and_its_customer(desk, make_ticket, make_contact, org):
    contact = make_contact()
    ticket = make_ticket(contact=contact)
    task = services.ticket_task_create(
        ticket,
        actor=org["care"],
        data={"subject": "Hẹn lịch kỹ thuật", "due_at": MONDAY_10 + dt.timedelta(days=1)},
    )
    assert task.kind == "task" and task.contact == contact and task.owner == org["care"]
    assert TicketTask.objects.filter(ticket=ticket, activity=task).exists()
    with pytest.raises(ValidationError):
        services.ticket_task_create(ticket, actor=org["care"], data={"subject": ""})
    with pytest.raises(ValidationError):
        services.ticket_task_create(ticket, actor=org["care"], data={"subject": "x", "kind": "meeting"})
