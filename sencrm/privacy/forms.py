"""Forms of the personal-data request pages: registering a request, and the small forms of its page
(extend, complete, reject). They validate input; the services decide (sencrm/privacy/services.py)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from sencrm.core.forms import DateTimeField
from sencrm.core.record_views import scope_choices
from sencrm.customers.models import Contact
from sencrm.privacy.models import RequestKind
from sencrm.privacy.services import MAX_TEXT
from sencrm.sales.models import Lead

CHOICE_LIMIT = 200  # the most recent people offered in the selects (plus the one given by the link)


def _limited(field: Any, keep: Any) -> None:
    """The most recent records the user may see, and the one already chosen."""
    queryset = field.queryset
    recent = list(queryset.order_by("-id")[:CHOICE_LIMIT].values_list("pk", flat=True))
    kept = [keep] if keep not in (None, "") and str(keep).isdigit() and len(str(keep)) < 12 else []
    field.queryset = queryset.filter(pk__in=[*recent, *kept])


class RequestForm(forms.Form):
    """A request as received: from whom (a contact or a lead), what, when and how."""

    kind = forms.ChoiceField(label=_("Kind of request"), choices=RequestKind.choices)
    contact = forms.ModelChoiceField(label=_("Contact"), queryset=Contact.objects.all(), required=False)
    lead = forms.ModelChoiceField(label=_("Lead"), queryset=Lead.objects.all(), required=False)
    received_at = DateTimeField(
        label=_("Received at"),
        required=False,
        help_text=_("Now when left empty. The deadlines count from the day after this."),
    )
    channel = forms.CharField(
        label=_("Received by"),
        required=False,
        max_length=100,
        help_text=_("E.g. email, letter, phone call, at the showroom."),
    )
    details = forms.CharField(
        label=_("Details"), required=False, max_length=MAX_TEXT, widget=forms.Textarea(attrs={"rows": 4})
    )

    def __init__(self, *args: Any, user: Any, keep: dict[str, Any] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        scope_choices(
            self, user
        )  # an id outside the user's scope is "not a valid choice", like a missing one
        keep = keep or {}
        for name in ("contact", "lead"):
            _limited(self.fields[name], keep.get(name))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if bool(data.get("contact")) == bool(data.get("lead")):
            raise forms.ValidationError(_("Choose the person: a contact or a lead (one of them)."))
        return data

    def service_data(self) -> dict[str, Any]:
        data = {
            name: self.cleaned_data.get(name) for name in ("kind", "contact", "lead", "channel", "details")
        }
        if self.cleaned_data.get("received_at"):
            data["received_at"] = self.cleaned_data["received_at"]
        return data


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=MAX_TEXT, widget=forms.Textarea(attrs={"rows": 3}))


class OutcomeForm(forms.Form):
    outcome = forms.CharField(
        label=_("What was done"), max_length=MAX_TEXT, widget=forms.Textarea(attrs={"rows": 3})
    )
    confirm = forms.BooleanField(
        label=_("I understand that the person will be anonymised, and that this cannot be undone."),
        required=False,
    )

    def __init__(self, *args: Any, deletion: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.deletion = deletion
        if not deletion:
            del self.fields["confirm"]
        else:
            self.fields["confirm"].required = True
