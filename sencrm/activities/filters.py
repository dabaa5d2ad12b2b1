from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _

from sencrm.activities.choices import Kind, Status
from sencrm.activities.models import Activity
from sencrm.core.filters import ScopedFilterSet


class ActivityFilter(ScopedFilterSet):
    kind = django_filters.ChoiceFilter(label=_("Type"), choices=Kind.choices)
    status = django_filters.ChoiceFilter(label=_("Status"), choices=Status.choices)
    due_after = django_filters.IsoDateTimeFilter(field_name="due_at", lookup_expr="gte", label=_("Due from"))
    due_before = django_filters.IsoDateTimeFilter(
        field_name="due_at", lookup_expr="lte", label=_("Due until")
    )

    class Meta:
        model = Activity
        fields = ["kind", "status", "contact", "account", "owner"]
