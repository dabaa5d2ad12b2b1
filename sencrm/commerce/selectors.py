"""Reads of sales documents: searching them and what a user has to act on today."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any, TypeVar

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from sencrm.commerce.models import Contract, ContractStatus, Document, Order, OrderStatus, Quote, QuoteStatus
from sencrm.core import access
from sencrm.core.modules import Action
from sencrm.core.text import clean_text, fold

D = TypeVar("D", bound=Document)
WIDGET_ROWS = 8


def document_search_filter(queryset: QuerySet[D], query: str) -> QuerySet[D]:
    """Documents whose number or customer's name contains every word of the query (accents ignored)."""
    for word in fold(clean_text(query)[:100]).split():
        queryset = queryset.filter(search_key__contains=word)
    return queryset


def quotes_awaiting_answer(user: Any) -> QuerySet[Quote]:
    """The user's sent quotes that the customer has not answered yet, the closest deadline first."""
    return (
        access.scope(user, Quote, Action.VIEW)
        .filter(owner=user, status=QuoteStatus.SENT)
        .select_related("contact", "account")
        .order_by("valid_until", "id")
    )


def orders_to_deliver(user: Any, today: date | None = None) -> QuerySet[Order]:
    """The user's confirmed orders promised by the end of this week (overdue ones included)."""
    today = today or timezone.localdate()
    end_of_week = today + timedelta(days=6 - today.weekday())
    return (
        access.scope(user, Order, Action.VIEW)
        .filter(
            owner=user,
            status__in=[OrderStatus.CONFIRMED, OrderStatus.PARTLY_DELIVERED],
            delivery_date__lte=end_of_week,
        )
        .select_related("contact", "account")
        .order_by("delivery_date", "id")
    )


def contracts_ending_soon(user: Any, today: date | None = None) -> QuerySet[Contract]:
    today = today or timezone.localdate()
    days = int(getattr(settings, "CONTRACT_RENEWAL_DAYS", 30))
    return (
        access.scope(user, Contract, Action.VIEW)
        .filter(
            owner=user,
            status=ContractStatus.SIGNED,
            end_date__gte=today,
            end_date__lte=today + timedelta(days=days),
        )
        .select_related("contact", "account")
        .order_by("end_date", "id")
    )
