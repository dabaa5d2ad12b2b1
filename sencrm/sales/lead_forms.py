"""Forms of the lead pages: capture/edit, follow-up, assignment, status, conversion."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from sencrm.core import access
from sencrm.core.forms import DateField, DateTimeField, DateTimeInput
from sencrm.core.modules import Action, Module, Scope
from sencrm.core.phones import to_e164
from sencrm.core.record_views import RecordForm
from sencrm.customers.services import normalise_emails, normalise_phones
from sencrm.customfields import custom_fields
from sencrm.sales.choices import EDITABLE_LEAD_STATUSES, LeadStatus
from sencrm.sales.models import MAX_AMOUNT, Lead, Pipeline
from sencrm.users.models import Team, User

# A clock a few minutes ahead of the server's must not make "now" a future first touch.
CLOCK_SKEW = dt.timedelta(minutes=5)
MAX_LINES = 20
SMALL_SELECT = forms.Select(attrs={"class": "form-select form-select-sm"})


def _datetime_field(label: Any, help_text: Any = "", css: str = "") -> forms.DateTimeField:
    return DateTimeField(
        label=label,
        required=False,
        help_text=help_text,
        widget=DateTimeInput(attrs={"class": css} if css else None),
    )


def _lines(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()][:MAX_LINES]


def assignable_owners(user: Any, action: str) -> Any:
    """Users the current user may give a lead to: themself, their teams' members, or anyone."""
    level = access.scope_level(user, Module.LEADS, action)
    users = User.objects.filter(is_active=True).order_by("full_name", "username")
    if level == Scope.ALL:
        return users
    if level == Scope.TEAM:
        return users.filter(Q(pk=user.pk) | Q(pk__in=user.teammate_ids()))
    return users.filter(pk=user.pk)


def round_robin_teams(user: Any, action: str) -> Any:
    """Teams whose members the user may hand leads to in turn (none for an "own records" role)."""
    level = access.scope_level(user, Module.LEADS, action)
    if level == Scope.ALL:
        return Team.objects.all()
    if level == Scope.TEAM:
        return Team.objects.filter(pk__in=user.team_ids())
    return Team.objects.none()


class LeadForm(RecordForm):
    """Capture or edit a lead: its phones and emails are lines of text, checked before saving."""

    phones = forms.CharField(
        label=_("Phones"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("One number per line, in any format (0912 345 678, +84…)."),
    )
    emails = forms.CharField(
        label=_("Emails"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("One address per line."),
    )
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
        fields = [
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
        widgets = {"interest": forms.Textarea(attrs={"rows": 3})}

    field_order = [
        "full_name",
        "phones",
        "emails",
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
        "round_robin_team",
    ]

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        self.user = user
        creating = not self.instance.pk
        action = Action.CREATE if creating else Action.EDIT
        self.fields["version"].required = not creating
        self.fields["owner"].queryset = assignable_owners(user, action)
        self.fields["owner"].required = False
        self.fields["status"].choices = [(s.value, s.label) for s in EDITABLE_LEAD_STATUSES]
        self.fields["campaign"].help_text = _("E.g. Fanpage August - air conditioners.")
        teams = round_robin_teams(user, action)
        if creating and teams.exists():
            self.fields["round_robin_team"].queryset = teams
        else:
            del self.fields["round_robin_team"]
        if creating:
            self.initial.setdefault("owner", user.pk)
            self.initial.setdefault("status", LeadStatus.NEW)
        elif not self.is_bound:
            self.initial["phones"] = "\n".join(p.number for p in self.instance.phones.all())
            self.initial["emails"] = "\n".join(e.address for e in self.instance.emails.all())
        self.custom_names = custom_fields.add_form_fields(
            self, Lead, self.instance.custom_field_data if self.instance.pk else {}
        )

    def clean_phones(self) -> str:
        text: str = self.cleaned_data.get("phones", "")
        try:
            normalise_phones(_lines(text))
        except ValidationError as exc:
            raise ValidationError(exc.messages) from exc
        return text

    def clean_emails(self) -> str:
        text: str = self.cleaned_data.get("emails", "")
        try:
            normalise_emails(_lines(text))
        except ValidationError as exc:
            raise ValidationError(exc.messages) from exc
        return text

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
        return _lines(self.cleaned_data.get("phones", ""))

    def email_list(self) -> list[str]:
        return _lines(self.cleaned_data.get("emails", ""))

    def phones_e164(self) -> list[str]:
        return [e for e in (to_e164(p) for p in self.phone_list()) if e]

    def record_changes(self) -> dict[str, Any]:
        changes = super().record_changes()
        changes["custom_field_data"] = custom_fields.from_form(self, self.custom_names)
        if not changes.get("owner"):
            changes.pop("owner", None)
        return changes


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
        self.fields["owner"].queryset = assignable_owners(user, Action.EDIT)
        self.fields["team"].queryset = round_robin_teams(user, Action.EDIT)

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
        self.fields["pipeline"].queryset = Pipeline.objects.filter(is_active=True).order_by("position", "id")
        self.fields["pipeline"].empty_label = None
        default = self.fields["pipeline"].queryset.filter(is_default=True).first()
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
