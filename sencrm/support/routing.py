"""Where a new ticket goes: a queue chosen by the routing rules, then an agent of that queue.

`route(ticket)` tries the active rules in position order; a rule matches when every condition it
names holds (category: the ticket's category or one of its ancestors; product; region: from the
contact's or the account's province; customer group: the contact's or the account's; priority). No
rule matching: the default queue, the first active first-line queue.

`pick_agent(queue, now)` chooses among the members present — active users without an absence
covering `now`. Agents have no shifts of their own, so outside the queue's working hours the same
members count: the ticket waits in its agent's queue for the next working morning rather than in
nobody's. Round robin takes the next member after `queue.last_assigned`; least busy takes the member
with the fewest open tickets (ties: in round-robin order). Both write `last_assigned` under a lock on
the queue's row, so two tickets created at the same moment never both go to the same member.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count

from sencrm.customers.choices import PROVINCE_REGIONS
from sencrm.support.models import OPEN_STATUSES, Absence, Assignment, Line, Queue, RoutingRule, Ticket


@dataclass(frozen=True)
class Facts:
    """What the rules look at, read once per ticket."""

    categories: tuple[int, ...] = ()
    product_id: int | None = None
    regions: frozenset[str] = field(default_factory=frozenset)
    groups: frozenset[int] = field(default_factory=frozenset)
    priority: str = ""


def _customers(ticket: Ticket) -> list[Any]:
    contact: Any = ticket.contact if ticket.contact_id else None
    account: Any = ticket.account if ticket.account_id else None
    if account is None and contact is not None and contact.account_id:
        account = contact.account
    return [c for c in (contact, account) if c is not None]


def facts_of(ticket: Ticket) -> Facts:
    customers = _customers(ticket)
    regions = set()
    for customer in customers:
        province = customer.province if customer.province_id else None
        if province is not None and province.code in PROVINCE_REGIONS:
            regions.add(PROVINCE_REGIONS[province.code])
    category: Any = ticket.category if ticket.category_id else None
    return Facts(
        categories=tuple(category.ancestor_ids()) if category is not None else (),
        product_id=ticket.product_id,
        regions=frozenset(regions),
        groups=frozenset(c.customer_group_id for c in customers if c.customer_group_id),
        priority=ticket.priority or "",
    )


def matches(rule: RoutingRule, facts: Facts) -> bool:
    """Every condition the rule names holds (an empty condition holds for any ticket)."""
    return (
        (rule.category_id is None or rule.category_id in facts.categories)
        and (rule.product_id is None or rule.product_id == facts.product_id)
        and (not rule.region or rule.region in facts.regions)
        and (rule.customer_group_id is None or rule.customer_group_id in facts.groups)
        and (not rule.priority or rule.priority == facts.priority)
    )


def default_queue() -> Queue | None:
    """The first active first-line queue (the one set up first)."""
    return Queue.objects.filter(active=True, line=Line.FIRST).order_by("pk").first()


def route(ticket: Ticket) -> Queue | None:
    """The queue for a ticket by the first matching rule, else the default queue."""
    facts = facts_of(ticket)
    rules = RoutingRule.objects.filter(active=True, queue__active=True).select_related("queue")
    for rule in rules.order_by("position", "id"):
        if matches(rule, facts):
            return rule.queue
    return default_queue()


def present_members(queue: Queue, now: dt.datetime) -> list[Any]:
    """The queue's active members without an absence covering `now`, in a stable order (by id)."""
    members = list(queue.members.filter(is_active=True).order_by("pk"))
    away = set(
        Absence.objects.filter(
            user__in=[m.pk for m in members], starts_at__lte=now, ends_at__gt=now
        ).values_list("user_id", flat=True)
    )
    return [m for m in members if m.pk not in away]


def _in_turn(members: list[Any], last_id: int | None) -> list[Any]:
    """The members in round-robin order: first the one after `last_id` (by id), wrapping around."""
    if last_id is None:
        return members
    after = [m for m in members if m.pk > last_id]
    return after + [m for m in members if m.pk <= last_id]


@transaction.atomic
def pick_agent(queue: Queue, now: dt.datetime) -> Any:
    """The member of `queue` who gets the next ticket, or None when no member is present."""
    # The row lock makes concurrent pickers take turns: each reads the last_assigned the previous one
    # wrote (PostgreSQL; SQLite's immediate transactions serialise writers already).
    locked = Queue.objects.select_for_update().get(pk=queue.pk)
    members = _in_turn(present_members(locked, now), locked.last_assigned_id)
    if not members:
        return None
    chosen = members[0]
    if locked.assignment == Assignment.LEAST_BUSY:
        counts = dict(
            Ticket.objects.filter(owner_id__in=[m.pk for m in members], status__in=OPEN_STATUSES)
            .order_by()
            .values("owner_id")
            .annotate(n=Count("id"))
            .values_list("owner_id", "n")
        )
        chosen = min(members, key=lambda m: counts.get(m.pk, 0))  # min keeps the first of equals
    Queue.objects.filter(pk=locked.pk).update(last_assigned=chosen)
    queue.last_assigned = chosen
    return chosen


def fallback_owner(queue: Queue | None, actor: Any) -> Any:
    """Who holds a ticket no member could take: the queue's lead, else the actor, else an administrator.

    (A ticket always has an owner; `is_unassigned` tells such a ticket from one an agent took.)"""
    if queue is not None and queue.lead_id is not None and queue.lead is not None and queue.lead.is_active:
        return queue.lead
    if actor is not None and getattr(actor, "pk", None) and getattr(actor, "is_active", False):
        return actor
    users: Any = get_user_model()._default_manager
    return (
        users.filter(is_active=True, is_superuser=True).order_by("pk").first()
        or users.filter(is_active=True).order_by("pk").first()
    )


def is_unassigned(ticket: Ticket) -> bool:
    """Waiting in its queue for an agent: held by someone who is not a member of the ticket's queue."""
    if ticket.queue_id is None:
        return False
    return not Queue.members.through.objects.filter(
        queue_id=ticket.queue_id, user_id=ticket.owner_id
    ).exists()
