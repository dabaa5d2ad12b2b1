"""The periodic SLA check: warnings and breaches notified once per target and due time, even with two
workers at once; escalation on a breach once; the Huey job every minute. Time is injected (`now`)."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection
from django.utils import timezone, translation
from huey.contrib.djhuey import HUEY

from sencrm.events.messages import render_notification
from sencrm.events.models import Event, Notification
from sencrm.support import sla, sla_jobs
from sencrm.support.models import Line, Queue, Ticket, TicketStatus
from sencrm.support.tests.sla_helpers import at, make_policy, make_queues, make_ticket


@pytest.fixture
def queues(org):
    return make_queues(lead=org["manager"], members=(org["care"],))


@pytest.fixture
def new_ticket(org, queues):
    """A normal ticket on first line, opened on Monday 8 March 2027 at 09:00 by default: first
    response due at 10:00, resolution on Tuesday at 09:00."""

    def make(created: str = "2027-03-08 09:00", **fields):
        ticket = make_ticket(org["care"], created_at=at(created), **{"queue": queues[0], **fields})
        sla.start(ticket, ticket.created_at)
        ticket.save(update_fields=sla.SLA_FIELDS)
        return ticket

    return make


def events(ticket, kind):
    return list(Event.objects.filter(type=f"ticket.sla_{kind}", subject_id=ticket.pk).order_by("id"))


def notified(ticket, kind):
    return sorted(
        Notification.objects.filter(kind=f"ticket_sla_{kind}", params__record=ticket.number).values_list(
            "recipient__username", flat=True
        )
    )


def utc_iso(text):
    return at(text).astimezone(dt.UTC).isoformat()


def test_a_warning_comes_once_before_the_due_time(org, new_ticket):
    make_policy()
    ticket = new_ticket()
    assert sla.check_all(at("2027-03-08 09:20"))["warned"] == 0  # 40 business minutes left
    counts = sla.check_all(at("2027-03-08 09:35"))
    assert counts["warned"] == 1 and counts["breached"] == 0
    (event,) = events(ticket, "warning")
    assert event.data["target"] == "first_response" and event.data["due"] == utc_iso("2027-03-08 10:00")
    assert event.actor_label == "system:sla" and event.actor_id is None
    assert notified(ticket, "warning") == ["care", "manager"]  # the assignee and the queue lead
    ticket.refresh_from_db()
    assert ticket.sla_warned_at == at("2027-03-08 09:35") and ticket.breached is False
    for moment in ("2027-03-08 09:40", "2027-03-08 09:59"):
        assert sla.check_all(at(moment))["warned"] == 0
    assert len(events(ticket, "warning")) == 1 and len(notified(ticket, "warning")) == 2


def test_the_warning_counts_business_minutes_and_comes_before_the_weekend(new_ticket):
    make_policy(first_response_minutes=30)
    ticket = new_ticket("2027-03-12 17:20")  # Friday: due on Monday at 08:20
    assert ticket.first_response_due == at("2027-03-15 08:20")
    assert sla.check_all(at("2027-03-12 17:25"))["warned"] == 1  # 25 business minutes left
    assert sla.check_all(at("2027-03-15 08:00"))["warned"] == 0


def test_no_warning_when_the_policy_sets_none(new_ticket):
    make_policy(warn_before_minutes=0)
    ticket = new_ticket()
    assert sla.check_all(at("2027-03-08 09:59"))["warned"] == 0
    assert events(ticket, "warning") == []


def test_a_breach_is_recorded_once(new_ticket):
    make_policy()
    ticket = new_ticket()
    assert sla.check_all(at("2027-03-08 10:00"))["breached"] == 1  # due at 10:00: late from 10:00
    ticket.refresh_from_db()
    assert ticket.breached is True and ticket.breached_at == at("2027-03-08 10:00")
    (event,) = events(ticket, "breached")
    assert event.data == {
        "target": "first_response",
        "due": utc_iso("2027-03-08 10:00"),
        "policy": ticket.sla_policy_id,
    }
    assert notified(ticket, "breached") == ["care", "manager"]
    assert sla.check_all(at("2027-03-08 10:00"))["breached"] == 0
    assert sla.check_all(at("2027-03-08 11:00"))["breached"] == 0
    assert len(events(ticket, "breached")) == 1 and len(notified(ticket, "breached")) == 2
    assert sla.time_left(ticket, at("2027-03-08 11:00")) == -dt.timedelta(hours=1)


def test_each_target_is_breached_once_and_the_flag_keeps_the_first(new_ticket):
    make_policy()
    ticket = new_ticket()
    sla.check_all(at("2027-03-08 10:01"))  # first response missed
    Ticket.objects.filter(pk=ticket.pk).update(first_responded_at=at("2027-03-08 10:30"))
    assert sla.check_all(at("2027-03-08 17:00"))["warned"] == 0
    assert sla.check_all(at("2027-03-09 08:35"))["warned"] == 1  # resolution due at 09:00
    assert sla.check_all(at("2027-03-09 09:01"))["breached"] == 1
    assert sla.check_all(at("2027-03-09 09:30")) == {
        "checked": 1, "warned": 0, "breached": 0, "escalated": 0, "errors": 0
    }  # fmt: skip
    assert [event.data["target"] for event in events(ticket, "breached")] == ["first_response", "resolution"]
    assert [event.data["target"] for event in events(ticket, "warning")] == ["resolution"]
    ticket.refresh_from_db()
    assert ticket.breached_at == at("2027-03-08 10:01")


def test_targets_missed_while_no_worker_ran_are_all_recorded_in_one_pass(new_ticket):
    make_policy()
    ticket = new_ticket()
    counts = sla.check_all(at("2027-03-09 10:00"))
    assert counts["breached"] == 2 and counts["warned"] == 0  # a late ticket is not warned
    assert [event.data["target"] for event in events(ticket, "breached")] == ["first_response", "resolution"]
    assert sla.check_all(at("2027-03-09 10:05"))["breached"] == 0


def test_tickets_whose_clock_does_not_run_are_not_checked(org, new_ticket):
    make_policy()
    waiting = new_ticket()
    sla.pause(waiting, at("2027-03-08 09:30"))
    waiting.status = TicketStatus.WAITING
    waiting.save()
    resolved = new_ticket()
    Ticket.objects.filter(pk=resolved.pk).update(status=TicketStatus.RESOLVED)
    deleted = new_ticket()
    Ticket.objects.filter(pk=deleted.pk).update(deleted_at=at("2027-03-08 09:30"))
    assert sla.check_all(at("2027-03-10 12:00"))["checked"] == 0
    assert Event.objects.filter(type__startswith="ticket.sla_").count() == 0


def test_a_ticket_late_before_a_pause_is_not_breached_again_after_it(new_ticket):
    make_policy()
    ticket = new_ticket()
    sla.check_all(at("2027-03-08 10:01"))
    ticket.refresh_from_db()
    sla.pause(ticket, at("2027-03-08 10:30"))
    ticket.status = TicketStatus.WAITING
    ticket.save()
    sla.resume(ticket, at("2027-03-08 14:00"))
    ticket.status = TicketStatus.OPEN
    ticket.save()
    assert sla.check_all(at("2027-03-08 14:01"))["breached"] == 0
    assert len(events(ticket, "breached")) == 1


def test_a_due_time_moved_by_a_pause_is_a_new_promise(new_ticket):
    make_policy()
    ticket = new_ticket()
    sla.check_all(at("2027-03-08 09:35"))  # warned: 25 minutes left
    ticket.refresh_from_db()
    sla.pause(ticket, at("2027-03-08 09:40"))  # 20 minutes left
    ticket.status = TicketStatus.WAITING
    ticket.save()
    sla.resume(ticket, at("2027-03-09 09:00"))  # due again at 09:20
    ticket.status = TicketStatus.OPEN
    ticket.save()
    assert sla.check_all(at("2027-03-09 09:01"))["warned"] == 1
    assert sla.check_all(at("2027-03-09 09:20"))["breached"] == 1
    assert [event.data["due"] for event in events(ticket, "warning")] == [
        utc_iso("2027-03-08 10:00"),
        utc_iso("2027-03-09 09:20"),
    ]


def test_a_second_worker_with_what_it_read_before_the_first_claims_nothing(new_ticket):
    make_policy()
    ticket = new_ticket()
    now = at("2027-03-08 10:05")
    stale = sla._candidates(now)  # the second worker has read the tickets…
    assert [candidate.pk for candidate in stale] == [ticket.pk]
    assert sla.check_all(now)["breached"] == 1  # …the first one claims and notifies…
    assert sla._check(stale[0], now) == {}  # …the second finds the ticket taken
    assert len(events(ticket, "breached")) == 1 and len(notified(ticket, "breached")) == 2


@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_record_a_breach_once(org, queues, monkeypatch):
    make_policy()
    ticket = make_ticket(org["care"], created_at=at("2027-03-08 09:00"), queue=queues[0])
    sla.start(ticket, ticket.created_at)
    ticket.save()
    now = at("2027-03-08 10:05")
    both_read = threading.Barrier(2, timeout=20)
    read = sla._candidates

    def read_then_wait(moment):
        found = read(moment)
        both_read.wait()  # both workers hold the ticket as it was before either claims it
        return found

    monkeypatch.setattr(sla, "_candidates", read_then_wait)
    results, errors = [], []

    def worker():
        try:
            results.append(sla.check_all(now, strict=True))
        except Exception as error:  # reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert sorted(result["breached"] for result in results) == [0, 1]
    assert len(events(ticket, "breached")) == 1 and len(notified(ticket, "breached")) == 2


def test_a_breach_escalates_a_first_line_ticket_once(org, new_ticket, queues):
    make_policy(escalate_on_breach=True)
    ticket = new_ticket()
    assert sla.check_all(at("2027-03-08 10:01"), strict=True)["escalated"] == 1
    ticket.refresh_from_db()
    assert ticket.line == Line.SECOND and ticket.queue == queues[1]
    assert ticket.escalated_at == at("2027-03-08 10:01")
    Ticket.objects.filter(pk=ticket.pk).update(first_responded_at=at("2027-03-08 10:30"))
    counts = sla.check_all(at("2027-03-09 12:00"), strict=True)  # the resolution is missed too
    assert counts["breached"] == 1 and counts["escalated"] == 0
    assert Event.objects.filter(type="ticket.escalated", subject_id=ticket.pk).count() == 1


def test_no_escalation_when_the_policy_says_no_or_on_second_line(org, new_ticket, queues):
    make_policy(escalate_on_breach=False)
    first = new_ticket()
    counts = sla.check_all(at("2027-03-08 10:01"), strict=True)
    assert counts["breached"] == 1 and counts["escalated"] == 0
    first.refresh_from_db()
    assert first.line == Line.FIRST and first.escalated_at is None
    Ticket.objects.all().delete()
    make_policy(name="escalating", escalate_on_breach=True, priority="normal")
    second = new_ticket(queue=queues[1], line=Line.SECOND)
    assert Queue.objects.get(pk=queues[1].pk).line == Line.SECOND
    counts = sla.check_all(at("2027-03-08 10:01"), strict=True)  # services.ticket_escalate not called
    assert counts["breached"] == 1 and counts["escalated"] == 0
    second.refresh_from_db()
    assert second.breached and second.escalated_at is None


# --- the Huey job and the notifications' wording -----------------------------------------------


def test_the_job_runs_every_minute():
    names = {
        minute: [task.name for task in HUEY.read_periodic(dt.datetime(2027, 3, 8, 9, minute))]  # noqa: DTZ001
        for minute in (0, 7, 59)  # (Huey's scheduler reads naive times)
    }
    assert all("sla_check" in found for found in names.values()), names


def test_the_job_checks_with_the_real_clock(org, queues):
    make_policy()
    ticket = make_ticket(org["care"], created_at=timezone.now() - dt.timedelta(days=10), queue=queues[0])
    sla.start(ticket, ticket.created_at)
    ticket.save()
    counts = sla_jobs.sla_check.call_local()
    assert counts["breached"] == 2
    ticket.refresh_from_db()
    assert ticket.breached


def test_the_notifications_read_in_the_readers_language(new_ticket):
    make_policy()
    ticket = new_ticket()
    sla.check_all(at("2027-03-08 09:35"))
    sla.check_all(at("2027-03-08 10:00"))
    warning = Notification.objects.filter(kind="ticket_sla_warning").first()
    breach = Notification.objects.filter(kind="ticket_sla_breached").first()
    assert warning.url == "" or warning.url.endswith(f"/{ticket.pk}/")
    with translation.override("en"):
        assert render_notification(warning) == (
            f"Ticket {ticket.number} “{ticket.subject}”: the first response is due at 10:00 08/03/2027."
        )
        expected = f"Ticket {ticket.number} “{ticket.subject}” missed its first response deadline"
        assert render_notification(breach) == f"{expected} (10:00 08/03/2027)."
    with translation.override("vi"):
        assert ticket.number in render_notification(breach)
