"""What the telephony, call log and screen pop tests share: phone extensions for the agents, API tokens,
posting call events, a customer with a history, and listening to a user's live channel.

Import the fixtures into a test module (pytest only reads conftest.py by itself):

    from sencrm.support.tests.telephony_helpers import phones  # noqa: F401
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from sencrm.support import live
from sencrm.support.models import AgentExtension

EVENTS_URL = "/api/v1/telephony/events/"
CALLER = "0912 345 678"  # the contact of `customer`
CALLER_E164 = "+84912345678"
STRANGER = "0987 654 321"  # nobody's number


@pytest.fixture
def phones(org):
    """Extensions: care 101, manager 102, admin 103; a second care agent `care2` on 104."""
    from sencrm.support.tests.ticket_helpers import make_agent

    care2 = make_agent("care2", full_name="Trịnh Thu Trang")
    for user, extension in (
        (org["care"], "101"),
        (org["manager"], "102"),
        (org["admin"], "103"),
        (care2, "104"),
    ):
        AgentExtension.objects.create(user=user, extension=extension)
    return {"care": org["care"], "manager": org["manager"], "admin": org["admin"], "care2": care2}


def token_for(user: Any) -> str:
    from sencrm.users.services import api_token_create

    _token, raw = api_token_create(user=user, name="Tổng đài")
    return raw


def post_event(client: Any, token: str | None, body: Any, **extra: Any) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return client.post(
        EVENTS_URL, data=json.dumps(body), content_type="application/json", headers=headers, **extra
    )


def event(kind: str, call_id: str = "call-1", **fields: Any) -> dict[str, Any]:
    body = {"event": kind, "call_id": call_id, "from": CALLER, "to": "028 7300 1234", "extension": "101"}
    body.update(fields)
    return {k: v for k, v in body.items() if v is not None}


def iso(moment: dt.datetime) -> str:
    return moment.isoformat()


@pytest.fixture
def customer(org, make_contact):
    """A contact of sales1 at an account, a customer, with the number CALLER."""
    from sencrm.customers import services

    account = services.account_create(actor=org["sales1"], data={"name": "Công ty TNHH Ánh Dương"})
    return make_contact(
        full_name="Nguyễn Thị Ánh Tuyết", phones=(CALLER,), account=account, lifecycle_stage="customer"
    )


def make_order(contact: Any, number: str, total: int, days_ago: int = 0, **fields: Any) -> Any:
    from sencrm.commerce.models import Order

    return Order.objects.create(
        number=number,
        contact=contact,
        account=contact.account,
        owner=contact.owner,
        total=Decimal(total),
        status="confirmed",
        issue_date=timezone.localdate() - dt.timedelta(days=days_ago),
        **fields,
    )


def make_invoice(contact: Any, number: str, total: int, balance: int, days_ago: int = 0) -> Any:
    from sencrm.billing.models import Invoice

    return Invoice.objects.create(
        number=number,
        contact=contact,
        owner=contact.owner,
        total=Decimal(total),
        paid_total=Decimal(total - balance),
        balance=Decimal(balance),
        status="issued" if balance else "paid",
        issue_date=timezone.localdate() - dt.timedelta(days=days_ago),
    )


def make_ticket(contact: Any, number: str, subject: str, status: str = "open", owner: Any = None) -> Any:
    from sencrm.support.models import Ticket

    return Ticket.objects.create(
        number=number,
        subject=subject,
        contact=contact,
        account=contact.account,
        owner=owner or contact.owner,
        status=status,
    )


@contextmanager
def listening(channel: str) -> Iterator[Callable[[float], list[dict[str, Any]]]]:
    """Subscribe to a live channel on an event loop of the test; `received(seconds)` waits that long at
    most for messages and answers those that came."""
    loop = asyncio.new_event_loop()
    subscription = loop.run_until_complete(live.subscribe(channel))

    async def drain(seconds: float) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        deadline = loop.time() + seconds
        while (left := deadline - loop.time()) > 0:
            message = await subscription.next(left)
            if message is None:
                break
            found.append(message)
            deadline = min(deadline, loop.time() + 0.05)  # a burst: stop shortly after the last one
        return found

    try:
        yield lambda seconds=1.0: loop.run_until_complete(drain(seconds))
    finally:
        loop.run_until_complete(subscription.close())
        loop.close()
