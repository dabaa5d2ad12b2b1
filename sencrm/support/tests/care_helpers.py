"""Fixtures of the care calls and ratings tests: tickets, orders with a delivery, contracts, segments,
a second care agent. Imported by test_carecalls.py, test_reviews.py and test_care_pages.py."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from django.utils import timezone

from sencrm.marketing.tests import email_helpers

_numbers = itertools.count(1)
# The fixtures are registered under their `name`: a test module imports the `*_fixture` functions, and
# its tests ask for the names without shadowing an import.


@pytest.fixture(name="smtp")
def smtp_fixture(settings):
    """The marketing tests' real SMTP server (aiosmtpd), under the same name."""
    yield from email_helpers.smtp.__wrapped__(settings)


@pytest.fixture(name="care2")
def care2_fixture(org):
    from sencrm.users.models import Role, User

    return User.objects.create_user(
        username="care2", password="x", full_name="Trần Minh Thư", role=Role.objects.get(code="care")
    )


@pytest.fixture(name="make_ticket")
def make_ticket_fixture(org):
    from sencrm.support.models import Ticket

    def make(contact=None, *, agent="care", status="open", resolved_at=None, **fields):
        n = next(_numbers)
        return Ticket.objects.create(
            number=f"SC-TEST-{n:05d}",
            subject=fields.pop("subject", f"Điều hòa không lạnh #{n}"),
            contact=contact,
            owner=org[agent] if isinstance(agent, str) else agent,
            status=status,
            resolved_at=resolved_at,
            **fields,
        )

    return make


@pytest.fixture(name="make_delivery")
def make_delivery_fixture(org):
    from sencrm.commerce.models import Delivery, Order

    def make(contact, delivered_on: dt.date, *, status="delivered", owner="sales1"):
        n = next(_numbers)
        order = Order.objects.create(
            number=f"DH-TEST-{n:05d}", contact=contact, owner=org[owner], status=status
        )
        return Delivery.objects.create(order=order, delivered_on=delivered_on)

    return make


@pytest.fixture(name="make_contract")
def make_contract_fixture(org):
    from sencrm.commerce.models import Contract

    def make(contact, end_date: dt.date, *, status="signed", owner="sales1"):
        n = next(_numbers)
        return Contract.objects.create(
            number=f"HD-TEST-{n:05d}",
            name=f"Bảo trì điều hòa {n}",
            contact=contact,
            owner=org[owner],
            status=status,
            start_date=end_date - dt.timedelta(days=365),
            end_date=end_date,
        )

    return make


@pytest.fixture(name="make_segment")
def make_segment_fixture(org):
    from sencrm.marketing import segments

    def make(owner="manager", name="Khách đã mua điều hòa", rules=None, **data):
        return segments.segment_create(
            actor=org[owner],
            data={"name": name, "kind": "dynamic", "rules": rules or {"match": "all", "rules": []}, **data},
        )

    return make


def resolved(days_ago: int) -> dt.datetime:
    """A resolution time `days_ago` local days ago, at 10:00."""
    day = timezone.localdate() - dt.timedelta(days=days_ago)
    return timezone.make_aware(dt.datetime.combine(day, dt.time(10, 0)))


def events(type_: str, subject=None, customer=None):
    from django.contrib.contenttypes.models import ContentType

    from sencrm.events.models import Event

    qs = Event.objects.filter(type=type_)
    if subject is not None:
        qs = qs.filter(subject_type=ContentType.objects.get_for_model(subject), subject_id=subject.pk)
    if customer is not None:
        qs = qs.filter(customer_type=ContentType.objects.get_for_model(customer), customer_id=customer.pk)
    return qs
