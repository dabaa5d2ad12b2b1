"""Filters shared by the lists and (later) the API: every parameter is allowlisted and validated."""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _

from sencrm.customers.choices import Gender, LifecycleStage
from sencrm.customers.models import Account, Contact, CustomerGroup, Province, SourceChannel, Tag
from sencrm.users.models import Team, User


class CustomerFilter(django_filters.FilterSet):
    lifecycle_stage = django_filters.ChoiceFilter(
        label=_("Lifecycle stage"), choices=LifecycleStage.choices, empty_label=_("All")
    )
    province = django_filters.ModelChoiceFilter(
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


class ContactFilter(CustomerFilter):
    gender = django_filters.ChoiceFilter(label=_("Gender"), choices=Gender.choices, empty_label=_("All"))
    created_after = django_filters.DateFilter(
        field_name="created_at",
        lookup_expr="date__gte",
        label=_("Created from"),
        widget=django_filters.widgets.forms.DateInput(attrs={"type": "date"}),
    )
    created_before = django_filters.DateFilter(
        field_name="created_at",
        lookup_expr="date__lte",
        label=_("Created until"),
        widget=django_filters.widgets.forms.DateInput(attrs={"type": "date"}),
    )
    tag = django_filters.ModelChoiceFilter(
        label=_("Tag"), field_name="tags", queryset=Tag.objects.all(), empty_label=_("All")
    )
    account = django_filters.ModelChoiceFilter(label=_("Account"), queryset=Account.objects.all())

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
