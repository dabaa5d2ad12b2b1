"""Filters shared by the sales lists, the board and the API: every parameter allowlisted and validated."""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _

from sencrm.core.filters import ScopedFilterSet
from sencrm.core.forms import DateFilter
from sencrm.customers.filters import ProvinceFilter
from sencrm.customers.models import Account, Contact, Province, SourceChannel
from sencrm.sales.choices import LeadStatus, OpportunityStatus
from sencrm.sales.models import Lead, Opportunity, Pipeline, Stage
from sencrm.users.models import Team, User


class LeadFilter(ScopedFilterSet):
    status = django_filters.ChoiceFilter(label=_("Status"), choices=LeadStatus.choices, empty_label=_("All"))
    source = django_filters.ModelChoiceFilter(
        label=_("Source channel"),
        queryset=SourceChannel.objects.all(),
        to_field_name="code",
        empty_label=_("All"),
    )
    province = ProvinceFilter(
        label=_("Province"), queryset=Province.objects.all(), to_field_name="code", empty_label=_("All")
    )
    owner = django_filters.ModelChoiceFilter(
        label=_("Owner"), queryset=User.objects.filter(is_active=True), empty_label=_("All")
    )
    team = django_filters.ModelChoiceFilter(
        label=_("Team"), queryset=Team.objects.all(), empty_label=_("All")
    )
    campaign = django_filters.CharFilter(label=_("Campaign"), lookup_expr="icontains", max_length=100)
    score_min = django_filters.NumberFilter(field_name="score", lookup_expr="gte", label=_("Score from"))
    score_max = django_filters.NumberFilter(field_name="score", lookup_expr="lte", label=_("Score up to"))
    created_after = DateFilter(field_name="created_at", lookup_expr="date__gte", label=_("Created from"))
    created_before = DateFilter(field_name="created_at", lookup_expr="date__lte", label=_("Created until"))
    follow_up_before = DateFilter(
        field_name="next_action_at", lookup_expr="date__lte", label=_("Follow-up by")
    )

    class Meta:
        model = Lead
        fields = ["status", "source", "province", "owner", "team"]


class OpportunityFilter(ScopedFilterSet):
    pipeline = django_filters.ModelChoiceFilter(
        label=_("Pipeline"), queryset=Pipeline.objects.all(), empty_label=_("All")
    )
    stage = django_filters.ModelChoiceFilter(
        label=_("Stage"), queryset=Stage.objects.all(), empty_label=_("All")
    )
    status = django_filters.ChoiceFilter(
        label=_("Status"), choices=OpportunityStatus.choices, empty_label=_("All")
    )
    owner = django_filters.ModelChoiceFilter(
        label=_("Owner"), queryset=User.objects.filter(is_active=True), empty_label=_("All")
    )
    team = django_filters.ModelChoiceFilter(
        label=_("Team"), queryset=Team.objects.all(), empty_label=_("All")
    )
    contact = django_filters.ModelChoiceFilter(label=_("Contact"), queryset=Contact.objects.all())
    account = django_filters.ModelChoiceFilter(label=_("Account"), queryset=Account.objects.all())
    close_from = DateFilter(field_name="expected_close_date", lookup_expr="gte", label=_("Closing from"))
    close_to = DateFilter(field_name="expected_close_date", lookup_expr="lte", label=_("Closing until"))

    class Meta:
        model = Opportunity
        fields = ["pipeline", "stage", "status", "owner", "team", "contact", "account"]


# ?sort= values of the lead list → (model field, descending)
LEAD_SORTS = {
    "name": ("sort_key", False), "-name": ("sort_key", True),
    "score": ("score", False), "-score": ("score", True),
    "created": ("created_at", False), "-created": ("created_at", True),
    "follow_up": ("next_action_at", False), "-follow_up": ("next_action_at", True),
    "status": ("status", False), "-status": ("status", True),
    "owner": ("owner", False), "-owner": ("owner", True),
}  # fmt: skip
