"""The readers of the event log: a customer's journey and a record's audit trail."""

from __future__ import annotations

import pytest
from django.http import Http404

from sencrm.core.tests.testapp.models import Gadget
from sencrm.events import selectors, services


@pytest.fixture
def busy_customer(org):
    g = services.record_create(
        Gadget, actor=org["sales1"], data={"name": "Công ty TNHH Minh Phát", "amount": 1}
    )
    for i in range(2, 62):
        g = services.record_update(g, actor=org["sales1"], changes={"amount": i}, version=g.version)
    return g


def test_timeline_is_newest_first_and_paged(org, busy_customer):
    page1, cursor = selectors.customer_timeline(user=org["sales1"], customer=busy_customer)
    assert len(page1) == selectors.PAGE_SIZE
    assert [e.id for e in page1] == sorted((e.id for e in page1), reverse=True)
    page2, _ = selectors.customer_timeline(user=org["sales1"], customer=busy_customer, before=cursor)
    assert page2[0].id < page1[-1].id
    assert not {e.id for e in page1} & {e.id for e in page2}


def test_timeline_filters_by_type(org, busy_customer):
    created, cursor = selectors.customer_timeline(
        user=org["sales1"], customer=busy_customer, types=["gadget.created"]
    )
    assert [e.type for e in created] == ["gadget.created"] and cursor is None


def test_timeline_costs_the_same_queries_on_every_page(org, busy_customer, django_assert_num_queries):
    user = org["sales1"]
    user.forget_access_cache()
    selectors.customer_timeline(user=user, customer=busy_customer)  # warm the grant cache
    _, cursor = selectors.customer_timeline(user=user, customer=busy_customer)
    # One query for the journeys handed over to the customer (merges, conversions), one for the page.
    with django_assert_num_queries(2):
        events, _ = selectors.customer_timeline(user=user, customer=busy_customer, before=cursor)
        [e.actor_display for e in events]  # actors come with the page, not one query each


def test_timeline_and_audit_of_a_customer_outside_scope_answer_404(org, busy_customer):
    with pytest.raises(Http404):
        selectors.customer_timeline(user=org["sales2"], customer=busy_customer)
    with pytest.raises(Http404):
        selectors.audit_trail(user=org["sales2"], obj=busy_customer)


def test_audit_trail_describes_field_changes(org, busy_customer):
    events, _ = selectors.audit_trail(user=org["manager"], obj=busy_customer, limit=1)
    (row,) = selectors.describe_changes(events[0], Gadget)
    assert row == {"field": "Amount", "old": "60", "new": "61"}


def test_timeline_orders_by_when_it_happened_and_pages_through_ties(org, busy_customer):
    import datetime as dt

    from django.utils import timezone

    from sencrm.events.models import Event

    # Back-date the creation (as an import does) and give ten events the very same time.
    created = Event.objects.get(type="gadget.created")
    created.occurred_at = timezone.now() - dt.timedelta(days=300)
    created.save()
    same = timezone.now() - dt.timedelta(days=1)
    Event.objects.filter(
        type="gadget.updated",
        id__in=list(Event.objects.filter(type="gadget.updated").values_list("id", flat=True)[:10]),
    ).update(occurred_at=same)
    seen, cursor = [], None
    while True:
        page, cursor = selectors.customer_timeline(
            user=org["sales1"], customer=busy_customer, before=cursor, limit=7
        )
        seen += page
        if cursor is None:
            break
    assert len(seen) == len({e.id for e in seen}) == 61
    times = [(e.occurred_at, e.id) for e in seen]
    assert times == sorted(times, reverse=True)
    assert seen[-1].type == "gadget.created"


def test_a_forged_timeline_cursor_is_refused(org, busy_customer):
    with pytest.raises(ValueError):
        selectors.parse_timeline_cursor("1;DROP TABLE")
