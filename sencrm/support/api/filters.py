"""The filters of `/api/v1/tickets/`, `/api/v1/calls/` and `/api/v1/reviews/`.

Filters by a gated record (contact, account, ticket) accept only the records the caller may view
(ScopedFilterSet); a bad value of any filter is a 400, never ignored.
"""

from __future__ import annotations

from typing import Any

import django_filters
from django.db import models
from django.utils.translation import gettext_lazy as _

from sencrm.core.api.filters import StrictBooleanFilter
from sencrm.core.filters import ScopedFilterSet
from sencrm.support.models import (
    OPEN_STATUSES,
    Call,
    CallDirection,
    CallOutcome,
    Channel,
    Line,
    Priority,
    Queue,
    Review,
    ReviewKind,
    Ticket,
    TicketCategory,
    TicketStatus,
)
from sencrm.support.selectors import category_and_below, ticket_search
from sencrm.users.models import User


class TicketFilter(ScopedFilterSet):
    status = django_filters.ChoiceFilter(choices=TicketStatus.choices)
    open = StrictBooleanFilter(
        method="filter_open",
        label=_("Open (new, open or waiting: true) or done (resolved or closed: false)."),
    )
    priority = django_filters.ChoiceFilter(choices=Priority.choices)
    channel = django_filters.ChoiceFilter(choices=Channel.choices)
    line = django_filters.ChoiceFilter(choices=Line.choices)
    queue = django_filters.ModelChoiceFilter(queryset=Queue.objects.all())
    category = django_filters.ModelChoiceFilter(
        queryset=TicketCategory.objects.all(),
        method="filter_category",
        label=_("The category or one under it."),
    )
    assignee = django_filters.ModelChoiceFilter(
        field_name="owner", queryset=User.objects.all(), label=_("The agent assigned (a user id).")
    )
    breached = StrictBooleanFilter(label=_("Missed an SLA due time (true) or not (false)."))
    q = django_filters.CharFilter(
        method="filter_q",
        max_length=100,
        label=_("Words in the number, the subject, the requester or the customer (accents ignored)."),
    )

    class Meta:
        model = Ticket
        fields = ["contact", "account"]

    def filter_open(self, queryset: models.QuerySet[Any], name: str, value: bool | None) -> Any:
        if value is None:
            return queryset
        is_open = models.Q(status__in=OPEN_STATUSES)
        return queryset.filter(is_open) if value else queryset.exclude(is_open)

    def filter_category(self, queryset: models.QuerySet[Any], name: str, value: Any) -> Any:
        return queryset.filter(category_id__in=category_and_below(value.pk)) if value else queryset

    def filter_q(self, queryset: models.QuerySet[Any], name: str, value: str) -> Any:
        return ticket_search(queryset, value) if value else queryset


class CallFilter(ScopedFilterSet):
    direction = django_filters.ChoiceFilter(choices=CallDirection.choices)
    outcome = django_filters.ChoiceFilter(choices=CallOutcome.choices)
    agent = django_filters.ModelChoiceFilter(
        field_name="owner", queryset=User.objects.all(), label=_("The agent (a user id).")
    )
    started_after = django_filters.IsoDateTimeFilter(
        field_name="started_at", lookup_expr="gte", label=_("Started at or after (ISO 8601).")
    )
    started_before = django_filters.IsoDateTimeFilter(
        field_name="started_at", lookup_expr="lt", label=_("Started before (ISO 8601).")
    )

    class Meta:
        model = Call
        fields = ["contact", "account", "ticket"]


class ReviewFilter(ScopedFilterSet):
    kind = django_filters.ChoiceFilter(choices=ReviewKind.choices)
    agent = django_filters.ModelChoiceFilter(
        field_name="owner", queryset=User.objects.all(), label=_("The agent rated (a user id).")
    )
    answered = StrictBooleanFilter(
        field_name="answered_at",
        lookup_expr="isnull",
        exclude=True,
        label=_("Answered (true) or not yet (false)."),
    )

    class Meta:
        model = Review
        fields = ["ticket", "contact", "account", "survey"]
