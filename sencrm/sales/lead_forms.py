"""Forms of the lead pages: capture/edit, follow-up, assignment, status, conversion."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from sencrm.core import access
from sencrm.core.forms import (
    DateField,
    DateTimeField,
    DateTimeInput,
    EmailsField,
    PhonesField,
    assignable_owners,
)
from sencrm.core.modules import Action, Module, Scope
from sencrm.core.phones import to_e164
from sencrm.core.record_views import RecordForm
from sencrm.customers.consents import ConsentFields
from sencrm.customers.forms import ProvinceField
from sencrm.customfields import custom_fields
from sencrm.sales.choices import EDITABLE_LEAD_STATUSES, LeadStatus
from sencrm.sales.models import MAX_AMOUNT, Lead, Pipeline
from sencrm.users.models import Team, User

# A clock a few minutes ahead of the server's must not make "now" a future first touch.
CLOCK_SKEW = dt.timedelta(minutes=5)
SMALL_SELECT = forms.Select(attrs={"class": "form-select form-select-sm"})


def _datetime_field(label: Any, help_text: Any = "", css: str = "") -> forms.DateTimeField:
    return DateTimeField(
        label=label,
        required=False,
        help_text=help_text,
        widget=DateTimeInput(attrs={"class": css} if css else None),
    )


def round_robin_teams(user: Any, action: str) -> Any:
    """Teams whose members the user may hand leads to in turn (none for an "own records" role)."""
    level = access.scope_level(user, Module.LEADS, action)
    if level == Scope.ALL:
        return Team.objects.all()
    if level == Scope.TEAM:
        return Team.objects.filter(pk__in=user.team_ids())
    return Team.objects.none()


# The lead's own fields, in the form's order (its phones and emails come after the name).
LEAD_FIELDS = [
    "full_name",
    "company",
    "title",
    "province",
    "source",
    "campaign",
    "first_touch_at",
    "interest",
    "status",
    "unqualified_reason",
    "next_action",
    "next_action_at",
    "owner",
]


class LeadForm(RecordForm, ConsentFields):
    """Capture or edit a lead: its phones and emails are lines of text, checked before saving; its consent
    per channel is recorded with the date and how it was given, as a contact's is."""

    owner_module = Module.LEADS
    phones = PhonesField()
    emails = EmailsField()
    first_touch_at = _datetime_field(
        _("First touch"),
        _("When the person first contacted us (may be before today, e.g. a Fanpage message)."),
    )
    next_action_at = _datetime_field(_("Next action at"))
    round_robin_team = forms.ModelChoiceField(
        label=_("Or assign by round robin in team"),
        queryset=Team.objects.none(),
        required=False,
        help_text=_("The lead goes to the team's next member in turn (instead of the owner above)."),
    )
    create_anyway = forms.BooleanField(required=False, widget=forms.HiddenInput)

    class Meta:
        model = Lead
        fields = LEAD_FIELDS
        field_classes = {"province": ProvinceField}
        widgets = {"interest": forms.Textarea(attrs={"rows": 3})}

    field_order = [LEAD_FIELDS[0], "phones", "emails", *LEAD_FIELDS[1:], "round_robin_team"]

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        self.user = user
        creating = not self.instance.pk
        action = Action.CREATE if creating else Action.EDIT
        self.fields["version"].required = not creating
        status: Any = self.fields["status"]
        status.choices = [(s.value, s.label) for s in EDITABLE_LEAD_STATUSES]
        self.fields["campaign"].help_text = _("E.g. Fanpage August - air conditioners.")
        teams = round_robin_teams(user, action)
        if creating and teams.exists():
            round_robin: Any = self.fields["round_robin_team"]
            round_robin.queryset = teams
        else:
            del self.fields["round_robin_team"]
        if creating:
            self.initial.setdefault("status", LeadStatus.NEW)
        elif not self.is_bound:
            self.initial["phones"] = [p.number for p in self.instance.phones.all()]
            self.initial["emails"] = [e.address for e in self.instance.emails.all()]
        self.custom_names = custom_fields.add_form_fields(
            self, Lead, self.instance.custom_field_data if self.instance.pk else {}
        )
        self.consent_initial(self.instance)

    def clean_first_touch_at(self) -> dt.datetime | None:
        value: dt.datetime | None = self.cleaned_data.get("first_touch_at")
        if value is not None and value > timezone.now() + CLOCK_SKEW:
            raise ValidationError(_("The first touch cannot be in the future."))
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if (
            data.get("status") == LeadStatus.UNQUALIFIED
            and not (data.get("unqualified_reason") or "").strip()
        ):
            self.add_error("unqualified_reason", _("Say why the lead is unqualified."))
        return data

    def phone_list(self) -> list[str]:
        phones: list[str] = self.cleaned_data.get("phones") or []
        return phones

    def email_list(self) -> list[str]:
        emails: list[str] = self.cleaned_data.get("emails") or []
        return emails

    def phones_e164(self) -> list[str]:
        return [e for e in (to_e164(p) for p in self.phone_list()) if e]

    def record_changes(self) -> dict[str, Any]:
        changes = super().record_changes()
        changes["custom_field_data"] = custom_fields.from_form(self, self.custom_names)
        return changes

    def service_kwargs(self) -> dict[str, Any]:
        return {
            "phones": self.phone_list(),
            "emails": self.email_list(),
            "consents": self.consents(self.instance),
        }


class FollowUpForm(forms.Form):
    """The next action and its time ("call back 15:00 Thursday"); both empty clears it."""

    next_action = forms.CharField(label=_("Next action"), max_length=200, required=False)
    next_action_at = _datetime_field(_("When"), css="form-control form-control-sm")
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("next_action_at") and not (data.get("next_action") or "").strip():
            self.add_error("next_action", _("Say what the next action is."))
        return data


class AssignForm(forms.Form):
    """Give the lead to someone, or to the next member of a team in turn."""

    owner = forms.ModelChoiceField(
        label=_("Owner"), queryset=User.objects.none(), required=False, widget=SMALL_SELECT
    )
    team = forms.ModelChoiceField(
        label=_("Round robin in team"), queryset=Team.objects.none(), required=False, widget=SMALL_SELECT
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        owner: Any = self.fields["owner"]
        owner.queryset = assignable_owners(user, Module.LEADS, Action.EDIT)
        team: Any = self.fields["team"]
        team.queryset = round_robin_teams(user, Action.EDIT)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not self.errors and bool(data.get("owner")) == bool(data.get("team")):
            raise ValidationError(_("Choose either an owner or a team for round robin."))
        return data


class StatusForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"), choices=[(s.value, s.label) for s in EDITABLE_LEAD_STATUSES], widget=SMALL_SELECT
    )
    unqualified_reason = forms.CharField(
        label=_("Reason"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"class": "form-control form-control-sm"}),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        reason = (data.get("unqualified_reason") or "").strip()
        if data.get("status") == LeadStatus.UNQUALIFIED and not reason:
            self.add_error("unqualified_reason", _("Say why the lead is unqualified."))
        if data.get("status") != LeadStatus.UNQUALIFIED:
            data["unqualified_reason"] = ""
        return data


class VndField(forms.Field):
    """A VND amount as people type it: "50.000.000", "50,000,000" or "50000000" (no minor units)."""

    widget = forms.TextInput(attrs={"inputmode": "numeric", "maxlength": "30", "placeholder": "50.000.000"})

    def to_python(self, value: Any) -> Decimal | None:
        text = re.sub(r"[\s.,₫]|VND|đ", "", str(value or "")[:60], flags=re.IGNORECASE)
        if not text:
            return None
        if not text.isdigit():
            raise ValidationError(_("Enter the amount in VND as a whole number, e.g. 50.000.000."))
        amount = Decimal(text)
        if amount > MAX_AMOUNT:
            raise ValidationError(_("The amount is too large."))
        return amount


def _choice_or_id(value: str, words: tuple[str, ...]) -> str:
    value = (value or "").strip()
    if value in words or (value.isdigit() and len(value) < 19):
        return value
    raise ValidationError(_("Choose one of the options."))


class ConvertForm(forms.Form):
    """How the lead becomes a customer: a new or existing contact and account, and maybe a deal.

    `contact` is "new" or the id of an existing contact; `account` is "new", "none" or an id (the
    page shows them as one group of radio buttons each, search results joining the group).
    """

    contact = forms.CharField(label=_("Contact"), max_length=20, initial="new")
    account = forms.CharField(label=_("Account"), max_length=20)
    # vi: opportunity = cơ hội bán hàng, lead = khách hàng tiềm năng
    create_opportunity = forms.BooleanField(label=_("Create an opportunity"), required=False)
    opportunity_name = forms.CharField(label=_("Opportunity name"), max_length=200, required=False)
    amount = VndField(label=_("Amount (VND)"), required=False)
    expected_close_date = DateField(label=_("Expected close date"), required=False)
    pipeline = forms.ModelChoiceField(label=_("Pipeline"), queryset=Pipeline.objects.none(), required=False)

    def __init__(self, *args: Any, lead: Lead, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        pipeline: Any = self.fields["pipeline"]
        pipeline.queryset = Pipeline.objects.filter(is_active=True).order_by("position", "id")
        pipeline.empty_label = None
        default = pipeline.queryset.filter(is_default=True).first()
        self.initial.setdefault("pipeline", default.pk if default else None)
        self.initial.setdefault("account", "new" if lead.company else "none")
        self.initial.setdefault("opportunity_name", lead.company or lead.full_name)

    def clean_contact(self) -> str:
        return _choice_or_id(self.cleaned_data.get("contact", ""), ("new",))

    def clean_account(self) -> str:
        return _choice_or_id(self.cleaned_data.get("account", ""), ("new", "none"))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("create_opportunity") and not data.get("pipeline"):
            self.add_error("pipeline", _("Choose a pipeline."))
        return data
