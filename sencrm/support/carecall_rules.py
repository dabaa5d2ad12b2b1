"""Care call rules (CareCallRule): the daily job that puts calls on the agents' lists N days after a
delivery or a resolved ticket, or N days before a contract or an installed product's warranty ends
(the warranty source is registered in SOURCES by after-sales, sencrm/fieldservice/tasks.py).

The job runs at 06:00 in Asia/Ho_Chi_Minh and adds one call per rule and source (the unique
(rule, source_key) constraint: running twice adds nothing) when the call's target date lies between
CATCH_UP_DAYS ago (a job missed for a few days catches up, the call shows as overdue; an older source
is let go) and LOOKAHEAD_DAYS ahead (the month's calls are planned; a later one is added by a later run,
never lost). Whose list: the rule's agent, else the rule's queue's members in turn, else the customer's
owner.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from huey import crontab

from sencrm.commerce.models import Contract, ContractStatus, Delivery, OrderStatus
from sencrm.core.background import db_periodic_task, local_hour
from sencrm.events.services import record_create
from sencrm.support.models import CareCall, CareCallRule, CareTrigger, Ticket, TicketStatus

log = logging.getLogger(__name__)

CATCH_UP_DAYS = 7
LOOKAHEAD_DAYS = 30


@dataclass(frozen=True)
class Source:
    """One thing a rule fires on: its key ("delivery:12"), the call's target date, purpose and customer."""

    key: str
    target: dt.date
    purpose: str
    contact: Any
    account: Any
    ticket: Ticket | None = None


# Sources of the triggers that other modules serve: {trigger: fn(rule, low, high) -> sources whose
# target date falls in [low, high]}; filled when those modules load (after-sales: warranties).
SOURCES: dict[str, Callable[[CareCallRule, dt.date, dt.date], Iterable[Source]]] = {}


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def _sources(rule: CareCallRule, low: dt.date, high: dt.date) -> Iterator[Source]:
    """What the rule fires on whose target date falls in [low, high]."""
    days = dt.timedelta(days=rule.days)
    if rule.trigger == CareTrigger.AFTER_DELIVERY:
        deliveries = (
            Delivery.objects.filter(
                delivered_on__range=(low - days, high - days), order__deleted_at__isnull=True
            )
            .exclude(order__status=OrderStatus.CANCELLED)
            .select_related("order__contact", "order__account")
            .order_by("pk")
        )
        for delivery in deliveries.iterator(chunk_size=500):
            order = delivery.order
            yield Source(
                f"delivery:{delivery.pk}",
                delivery.delivered_on + days,
                f"{rule.purpose} ({order.number})",
                order.contact,
                order.account,
            )
    elif rule.trigger == CareTrigger.AFTER_RESOLVED:
        tickets = (
            Ticket.objects.filter(
                status__in=(TicketStatus.RESOLVED, TicketStatus.CLOSED),
                merged_into__isnull=True,
                resolved_at__gte=_day_start(low - days),
                resolved_at__lt=_day_start(high - days + dt.timedelta(days=1)),
            )
            .select_related("contact", "account")
            .order_by("pk")
        )
        for ticket in tickets.iterator(chunk_size=500):
            assert ticket.resolved_at is not None  # noqa: S101  (filtered above)
            yield Source(
                f"ticket:{ticket.pk}",
                timezone.localdate(ticket.resolved_at) + days,
                f"{rule.purpose} ({ticket.number})",
                ticket.contact,
                ticket.account,
                ticket,
            )
    elif rule.trigger == CareTrigger.BEFORE_CONTRACT_END:
        contracts = (
            Contract.objects.filter(status=ContractStatus.SIGNED, end_date__range=(low + days, high + days))
            .select_related("contact", "account")
            .order_by("pk")
        )
        for contract in contracts.iterator(chunk_size=500):
            assert contract.end_date is not None  # noqa: S101  (filtered above)
            yield Source(
                f"contract:{contract.pk}",
                contract.end_date - days,
                f"{rule.purpose} ({contract.number})",
                contract.contact,
                contract.account,
            )
    elif rule.trigger in SOURCES:
        # BEFORE_WARRANTY_END: warranties belong to the installed products of after-sales, which
        # registers what the rule fires on (care does not import the modules above it).
        yield from SOURCES[rule.trigger](rule, low, high)


class _Agents:
    """Whose list a rule's call lands on: the rule's agent, else the queue's members in turn (after
    whoever got the rule's latest call, so that fairness holds across days), else the customer's owner."""

    def __init__(self, rule: CareCallRule) -> None:
        self.fixed = rule.agent if rule.agent is not None and rule.agent.is_active else None
        self.members: list[Any] = []
        self.next = 0
        if self.fixed is None and rule.queue is not None and rule.queue.active:
            self.members = list(rule.queue.members.filter(is_active=True).order_by("pk"))
            last = (
                CareCall.all_objects.filter(rule=rule)
                .order_by("-pk")
                .values_list("owner_id", flat=True)
                .first()
            )
            ids = [m.pk for m in self.members]
            self.next = ids.index(last) + 1 if last in ids else 0

    def pick(self, source: Source) -> Any:
        if self.fixed is not None:
            return self.fixed
        if self.members:
            return self.members[self.next % len(self.members)]
        customer = source.contact or source.account
        owner = getattr(customer, "owner", None)
        return owner if owner is not None and owner.is_active else None

    def taken(self) -> None:
        self.next += 1


def rule_run(rule: CareCallRule, today: dt.date | None = None) -> int:
    """Add the rule's calls due between CATCH_UP_DAYS ago and LOOKAHEAD_DAYS ahead; the number added."""
    today = today or timezone.localdate()
    low, high = today - dt.timedelta(days=CATCH_UP_DAYS), today + dt.timedelta(days=LOOKAHEAD_DAYS)
    agents = _Agents(rule)
    added = 0
    pending: list[Source] = []

    def flush() -> None:
        nonlocal added
        done = set(
            CareCall.all_objects.filter(rule=rule, source_key__in=[s.key for s in pending]).values_list(
                "source_key", flat=True
            )
        )
        for source in pending:
            if source.key in done or (source.contact is None and source.account is None):
                continue
            if any(c is not None and c.is_deleted for c in (source.contact, source.account)):
                continue
            agent = agents.pick(source)
            if agent is None:
                log.warning("care call rule %s: nobody to give %s to", rule.pk, source.key)
                continue
            try:
                with transaction.atomic():
                    record_create(
                        CareCall,
                        actor=None,
                        system=True,
                        owner=agent,
                        actor_label="system:scheduler",
                        data={
                            "contact": source.contact,
                            "account": source.account,
                            "ticket": source.ticket,
                            "purpose": source.purpose[:200],
                            "due_date": source.target,
                            "rule": rule,
                            "source_key": source.key,
                        },
                    )
            except (IntegrityError, ValidationError):
                # Another run added it a moment ago (the unique (rule, source_key) constraint).
                continue
            agents.taken()
            added += 1
        pending.clear()

    for source in _sources(rule, low, high):
        pending.append(source)
        if len(pending) >= 500:
            flush()
    flush()
    return added


def rules_run(today: dt.date | None = None) -> dict[int, int]:
    """Every active rule: {rule id: calls added}. One broken rule does not stop the others."""
    added = {}
    for rule in CareCallRule.objects.filter(active=True).select_related("agent", "queue").order_by("pk"):
        try:
            added[rule.pk] = rule_run(rule, today)
        except Exception:
            log.exception("care call rule %s failed", rule.pk)
    return added


@db_periodic_task(crontab(hour=local_hour(6), minute="0"))
def carecall_rules_daily() -> None:
    log.info("care call rules added %s", rules_run())
