from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from sencrm.core import access
from sencrm.core.forms import DateField, DateInput
from sencrm.core.modules import Action, Module, Scope
from sencrm.core.record_views import RecordForm
from sencrm.customers.choices import ConsentChannel
from sencrm.customers.models import Account, Contact, Tag
from sencrm.customfields import custom_fields
from sencrm.users.models import User


class AccountAutocomplete(forms.Widget):
    """The account as a text box with suggestions (type to find among thousands), the id in a hidden input.

    Suggestions come from `customers:account_autocomplete` (only accounts the user may view); the form
    field still validates the posted id against its gate-scoped queryset.
    """

    template_name = "customers/widgets/account_autocomplete.html"

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        label = ""
        queryset = getattr(getattr(self, "choices", None), "queryset", None)
        if value not in (None, "") and queryset is not None and str(value).isdigit():
            # One row, not the whole choice list: rendering must not load thousands of accounts.
            label = str(queryset.filter(pk=value).first() or "")
        context["widget"].update({"label": label, "url": reverse("customers:account_autocomplete")})
        return context


# The form sections (key, heading, field names) rendered by templates/partials/form.html.
IDENTITY = pgettext_lazy("form section", "Personal details")
CONTACT = pgettext_lazy("form section", "Contact")
ADDRESS = pgettext_lazy("form section", "Address")
CLASSIFICATION = pgettext_lazy("form section", "Classification")
CONSENT = pgettext_lazy("form section", "Consent to receive information")
NOTES = pgettext_lazy("form section", "Notes")


def assignable_owners(user: Any, action: str) -> Any:
    """Users the current user may hand a customer to: themself, their teams' members, or anyone."""
    level = access.scope_level(user, Module.CUSTOMERS, action)
    users = User.objects.filter(is_active=True)
    if level == Scope.ALL:
        return users
    if level == Scope.TEAM:
        return users.filter(Q(pk=user.pk) | Q(pk__in=user.teammate_ids()))
    return users.filter(pk=user.pk)


class CustomerForm(RecordForm):
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

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        self.user = user
        self.fields["version"].required = bool(self.instance.pk)
        action = Action.EDIT if self.instance.pk else Action.CREATE
        self.fields["owner"].queryset = assignable_owners(user, action)
        self.fields["owner"].required = False
        if self.instance.pk and not self.is_bound:
            self.initial["phones"] = "\n".join(p.number for p in self.instance.phones.all())
            self.initial["emails"] = "\n".join(e.address for e in self.instance.emails.all())
        elif not self.instance.pk:
            self.initial.setdefault("owner", user.pk)
        self.custom_names = custom_fields.add_form_fields(
            self, self._meta.model, self.instance.custom_field_data if self.instance.pk else {}
        )

    def custom_field_values(self) -> dict[str, Any]:
        return custom_fields.from_form(self, self.custom_names)

    def phone_list(self) -> list[str]:
        return [line.strip() for line in self.cleaned_data.get("phones", "").splitlines() if line.strip()][
            :20
        ]

    def email_list(self) -> list[str]:
        return [line.strip() for line in self.cleaned_data.get("emails", "").splitlines() if line.strip()][
            :20
        ]


class ContactForm(CustomerForm):
    consent_email = forms.BooleanField(label=_("Email"), required=False)
    consent_sms = forms.BooleanField(label=_("SMS"), required=False)
    consent_phone = forms.BooleanField(label=_("Phone call"), required=False)
    consent_zalo = forms.BooleanField(label=_("Zalo"), required=False)
    consent_source = forms.CharField(
        label=_("How consent was given"),
        required=False,
        max_length=200,
        help_text=_("E.g. signed form at the showroom, Zalo message of 01/08."),
    )
    create_anyway = forms.BooleanField(required=False, widget=forms.HiddenInput)

    class Meta:
        model = Contact
        fields = [
            "full_name",
            "gender",
            "date_of_birth",
            "title",
            "account",
            "province",
            "ward",
            "street",
            "customer_group",
            "tags",
            "source",
            "lifecycle_stage",
            "owner",
            "notes",
        ]
        field_classes = {"date_of_birth": DateField}
        widgets = {
            "date_of_birth": DateInput(),
            "notes": forms.Textarea(attrs={"rows": 3}),
            "tags": forms.CheckboxSelectMultiple,
            "account": AccountAutocomplete,
        }

    sections = [
        ("identity", IDENTITY, ["full_name", "gender", "date_of_birth", "title", "account"]),
        ("contact", CONTACT, ["phones", "emails"]),
        ("address", ADDRESS, ["province", "ward", "street"]),
        ("classification", CLASSIFICATION, ["lifecycle_stage", "source", "customer_group", "tags", "owner"]),
        (
            "consent",
            CONSENT,
            ["consent_email", "consent_sms", "consent_zalo", "consent_phone", "consent_source"],
        ),
        ("notes", NOTES, ["notes"]),
    ]

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        self.fields["account"].queryset = access.scope(user, Account, Action.VIEW).order_by("sort_key")
        self.fields["tags"].queryset = Tag.objects.all()
        if self.instance.pk and not self.is_bound:
            for consent in self.instance.consents.all():
                self.initial[f"consent_{consent.channel}"] = consent.granted

    def consents(self) -> dict[str, dict[str, Any]]:
        source = self.cleaned_data.get("consent_source", "")
        return {
            channel: {"granted": bool(self.cleaned_data.get(f"consent_{channel}")), "source": source}
            for channel in ConsentChannel.values
        }

    def record_changes(self) -> dict[str, Any]:
        changes = super().record_changes()
        changes["custom_field_data"] = self.custom_field_values()
        changes.pop("tags", None)  # many-to-many: written by the service
        if not changes.get("owner"):
            changes.pop("owner", None)
        return changes


class AccountForm(CustomerForm):
    website = forms.URLField(label=_("Website"), required=False, max_length=200, assume_scheme="https")

    class Meta:
        model = Account
        fields = [
            "name",
            "tax_code",
            "industry",
            "website",
            "province",
            "ward",
            "street",
            "customer_group",
            "source",
            "lifecycle_stage",
            "owner",
            "notes",
        ]
        widgets = {"notes": forms.Textarea(attrs={"rows": 3})}

    sections = [
        (
            "identity",
            pgettext_lazy("form section", "Company details"),
            ["name", "tax_code", "industry", "website"],
        ),
        ("contact", CONTACT, ["phones", "emails"]),
        ("address", ADDRESS, ["province", "ward", "street"]),
        ("classification", CLASSIFICATION, ["lifecycle_stage", "source", "customer_group", "owner"]),
        ("notes", NOTES, ["notes"]),
    ]

    def record_changes(self) -> dict[str, Any]:
        changes = super().record_changes()
        changes["custom_field_data"] = self.custom_field_values()
        if not changes.get("owner"):
            changes.pop("owner", None)
        return changes
