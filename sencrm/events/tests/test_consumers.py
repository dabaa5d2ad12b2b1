"""Consumers read the event log exactly once per event, even when they crash half-way."""

from __future__ import annotations

import pytest

from sencrm.core.tests.testapp.models import Gadget
from sencrm.events import consumers, services
from sencrm.events.models import ConsumerCursor, Event, Notification


@pytest.fixture
def crashing_consumer(monkeypatch):
    """A consumer that writes a notification per event and crashes on the second event, once."""
    state = {"calls": 0, "crashed": False}

    def handler(event: Event) -> None:
        if not event.type.startswith("gadget."):
            return
        state["calls"] += 1
        Notification.objects.create(recipient_id=event.actor_id, kind="test", params={"event": event.pk})
        if state["calls"] == 2 and not state["crashed"]:
            state["crashed"] = True
            raise RuntimeError("worker died half-way")

    monkeypatch.setitem(consumers.CONSUMERS, "test-crash", handler)
    return state


def test_a_consumer_that_crashes_half_way_resumes_without_acting_twice(org, crashing_consumer):
    for i in range(3):
        services.record_create(Gadget, actor=org["sales1"], data={"name": f"g{i}"})
    event_ids = list(Event.objects.filter(type="gadget.created").values_list("pk", flat=True))

    with pytest.raises(RuntimeError):
        consumers.run_consumer("test-crash")
    # The first event's work is kept; the second's was rolled back with its receipt.
    assert Notification.objects.filter(kind="test").count() == 1

    consumers.run_consumer("test-crash")
    consumers.run_consumer("test-crash")  # and again: nothing left to do
    per_event = [Notification.objects.filter(kind="test", params__event=pk).count() for pk in event_ids]
    assert per_event == [1, 1, 1]
    assert ConsumerCursor.objects.get(name="test-crash").last_event_id >= max(event_ids)


def test_assignment_notifies_the_new_owner_once(org, make_gadget):
    g = make_gadget("sales1")
    services.record_update(g, actor=org["manager"], changes={"owner": org["manager"]}, version=1)
    services.record_update(g, actor=org["manager"], changes={"owner": org["sales1"]}, version=2)
    consumers.run_consumer("notifications")
    consumers.run_consumer("notifications")
    notes = Notification.objects.filter(recipient=org["sales1"], kind="assigned")
    assert notes.count() == 1
    assert notes.get().params["by"] == "Trần Thị Thu Hà"
    # Giving a record to oneself notifies nobody.
    assert not Notification.objects.filter(recipient=org["manager"]).exists()


@pytest.mark.django_db(transaction=True)
def test_consumers_run_after_commit_through_the_task_queue(org, make_gadget):
    # Huey runs in immediate mode in tests: the dispatch task runs when the transaction commits.
    g = make_gadget("sales1")
    services.record_update(g, actor=org["manager"], changes={"owner": org["manager"]}, version=1)
    services.record_update(g, actor=org["manager"], changes={"owner": org["sales1"]}, version=2)
    assert Notification.objects.filter(recipient=org["sales1"], kind="assigned").count() == 1
