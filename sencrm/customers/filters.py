"""Filters shared by the lists and (later) the API: every parameter is allowlisted and validated."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import django_filters
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from sencrm.core.filters import ScopedFilterSet
from sencrm.core.forms import DateFilter
from sencrm.customers.choices import Gender, LifecycleStage
from sencrm.customers.models import Account, Contact, CustomerGroup, Province, SourceChannel, Tag
from sencrm.customers.provinces import province_resolve
from sencrm.users.models import Team, User


class ProvinceFilterField(django_filters.fields.ModelChoiceField):  # type: ignore[misc]
    """`?province=` by code, or by a name people write: "Bình Định" and "Nha Trang" filter on the 2025
    province they are part of (sencrm/customers/provinces.py)."""

    def to_python(self, value: Any) -> Any:
        try:
            return super().to_python(value)
        except ValidationError:
            province = province_resolve(value)
            if province is None:
                raise
            return province


class ProvinceFilter(django_filters.ModelChoiceFilter):  # type: ignore[misc]
    field_class = ProvinceFilterField


class CustomerFilter(ScopedFilterSet):
    lifecycle_stage = django_filters.ChoiceFilter(
        label=_("Lifecycle stage"), choices=LifecycleStage.choices, empty_label=_("All")
    )
    province = ProvinceFilter(
        label=_("Province"), queryset=Province.objects.all(), to_field_name="code", empty_label=_("All")
    )
    customer_group = django_filters.ModelChoiceFilter(
        label=_("Customer group"), queryset=CustomerGroup.objects.all(), empty_label=_("All")
    )
    source = django_filters.ModelChoiceFilter(
        label=_("Source channel"),
        queryset=SourceChannel.objects.all(),
        to_field_name="code",
        empty_label=_("All"),
    )
    owner = django_filters.ModelChoiceFilter(
        label=_("Owner"), queryset=User.objects.filter(is_active=True), empty_label=_("All")
    )
    team = django_filters.ModelChoiceFilter(
        label=_("Team"), queryset=Team.objects.all(), empty_label=_("All")
    )


# Marketing's segments as a filter on contacts (?segment=): customers cannot import marketing, which
# registers these at start-up (sencrm/marketing/registry.py). choices(user) → [(id, name)] of the segments
# the user may see; narrow(user, contacts, id) → the contacts of that segment the user may see.
SEGMENT_HOOKS: dict[str, Callable[..., Any]] = {}


def register_segment_filter(*, choices: Callable[..., Any], narrow: Callable[..., Any]) -> None:
    SEGMENT_HOOKS.update(choices=choices, narrow=narrow)


class ContactFilter(CustomerFilter):
    segment = django_filters.ChoiceFilter(label=_("Segment"), method="filter_segment", empty_label=_("All"))
    gender = django_filters.ChoiceFilter(label=_("Gender"), choices=Gender.choices, empty_label=_("All"))
    created_after = DateFilter(
        field_name="created_at",
        lookup_expr="date__gte",
        label=_("Created from"),
    )
    created_before = DateFilter(
        field_name="created_at",
        lookup_expr="date__lte",
        label=_("Created until"),
    )
    tag = django_filters.ModelChoiceFilter(
        label=_("Tag"), field_name="tags", queryset=Tag.objects.all(), empty_label=_("All")
    )
    account = django_filters.ModelChoiceFilter(label=_("Account"), queryset=Account.objects.all())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        user = getattr(self.request, "user", None)
        choices = SEGMENT_HOOKS.get("choices")
        self.filters["segment"].extra["choices"] = choices(user) if choices and user is not None else []

    def filter_segment(self, queryset: Any, name: str, value: Any) -> Any:
        narrow = SEGMENT_HOOKS.get("narrow")
        if not value or narrow is None:
            return queryset
        return narrow(self.request.user, queryset, value)

    class Meta:
        model = Contact
        fields = [
            "lifecycle_stage",
            "province",
            "customer_group",
            "source",
            "owner",
            "team",
            "tag",
            "account",
        ]


class AccountFilter(CustomerFilter):
    class Meta:
        model = Account
        fields = ["lifecycle_stage", "province", "customer_group", "source", "owner", "team"]


# ?sort= values of the lists → (model field, descending)
CONTACT_SORTS = {
    "name": ("sort_key", False), "-name": ("sort_key", True),
    "created": ("created_at", False), "-created": ("created_at", True),
    "updated": ("updated_at", False), "-updated": ("updated_at", True),
    "full_name": ("full_name", False), "-full_name": ("full_name", True),
    "stage": ("lifecycle_stage", False), "-stage": ("lifecycle_stage", True),
    "owner": ("owner", False), "-owner": ("owner", True),
}  # fmt: skip
ACCOUNT_SORTS = {
    "name": ("sort_key", False), "-name": ("sort_key", True),
    "created": ("created_at", False), "-created": ("created_at", True),
    "updated": ("updated_at", False), "-updated": ("updated_at", True),
    "stage": ("lifecycle_stage", False), "-stage": ("lifecycle_stage", True),
    "owner": ("owner", False), "-owner": ("owner", True),
}  # fmt: skip
