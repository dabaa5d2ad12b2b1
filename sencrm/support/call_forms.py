"""Forms of the call log's pages and of the caller's card: log a call, write its outcome, make a contact of
an unknown caller. They validate input; the services decide (calls.py, customers' contact_create)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from sencrm.core.forms import DateTimeField
from sencrm.core.phones import to_e164
from sencrm.core.record_views import scope_choices
from sencrm.customers.models import Contact
from sencrm.support.calls import MAX_DURATION
from sencrm.support.models import CallDirection, CallOutcome

# Outcomes an agent chooses ("missed" is what the telephony system records for a call nobody answered).
AGENT_OUTCOMES = [(value, label) for value, label in CallOutcome.choices if value != CallOutcome.MISSED]


def _phone(value: str) -> str:
    value = value.strip()
    if value and to_e164(value) is None:
        raise forms.ValidationError(
            _("Not a valid phone number: %(numbers)s"), params={"numbers": value[:40]}
        )
    return value


class OutcomeFields(forms.Form):
    outcome = forms.ChoiceField(label=_("Outcome"), choices=[("", "—"), *AGENT_OUTCOMES], required=False)
    callback_at = DateTimeField(
        label=_("Call back at"),
        required=False,
        help_text=_("With the outcome “Call back”: a task is added for you."),
    )
    notes = forms.CharField(
        label=_("Notes"), required=False, max_length=10_000, widget=forms.Textarea(attrs={"rows": 3})
    )
    recording_url = forms.URLField(
        label=_("Recording link"), required=False, max_length=500, assume_scheme="https"
    )

    def outcome_data(self) -> dict[str, Any]:
        return {
            name: self.cleaned_data[name] for name in ("outcome", "callback_at", "notes", "recording_url")
        }


class CallOutcomeForm(OutcomeFields):
    """The agent's part of a call: what came of it."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class CallLogForm(OutcomeFields):
    """A call made or taken outside the telephony system (a mobile phone), typed afterwards."""

    contact = forms.ModelChoiceField(
        label=_("Contact"), queryset=Contact.objects.all(), required=False, widget=forms.HiddenInput
    )
    direction = forms.ChoiceField(
        label=_("Direction"), choices=CallDirection.choices, initial=CallDirection.OUTBOUND
    )
    number = forms.CharField(
        label=_("Phone number"),
        required=False,
        max_length=40,
        help_text=_("Without a contact: the call goes to the customer with this number, if any."),
    )
    started_at = DateTimeField(label=_("Started at"), required=False, help_text=_("Now when left empty."))
    minutes = forms.IntegerField(
        label=_("Duration (minutes)"), min_value=0, max_value=MAX_DURATION // 60, initial=0
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        scope_choices(self, user)  # a contact outside the user's scope is "not a valid choice"

    def clean_number(self) -> str:
        return _phone(self.cleaned_data.get("number") or "")

    def service_data(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            **self.outcome_data(),
            "direction": self.cleaned_data["direction"],
            "number": self.cleaned_data["number"],
            "duration": (self.cleaned_data.get("minutes") or 0) * 60,
        }
        if self.cleaned_data.get("contact") is not None:
            data["contact"] = self.cleaned_data["contact"]
        if self.cleaned_data.get("started_at"):
            data["started_at"] = self.cleaned_data["started_at"]
        return data


class QuickContactForm(forms.Form):
    """An unknown caller made a contact from the card: a name and the number they call from."""

    full_name = forms.CharField(label=_("Full name"), max_length=150)
    phone = forms.CharField(label=_("Phone"), max_length=40)

    def clean_phone(self) -> str:
        value = _phone(self.cleaned_data.get("phone") or "")
        if not value:
            raise forms.ValidationError(_("This field is required."))
        return value
