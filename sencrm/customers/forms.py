from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from django import forms
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from sencrm.core import access
from sencrm.core.forms import DateField, DateInput, EmailsField, PhonesField
from sencrm.core.modules import Action, Module
from sencrm.core.record_views import RecordForm
from sencrm.customers import provinces
from sencrm.customers.choices import ConsentChannel
from sencrm.customers.models import Account, Contact, Province, Tag
from sencrm.customfields import custom_fields


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


class ProvinceInput(forms.TextInput):
    """The province as a text box: whatever people write (a 2025 province, one from before the 2025
    merger, a city, a former district), with suggestions from `customers:province_suggestions` that say
    which 2025 province each name is saved as (static/js/provinces.js)."""

    template_name = "customers/widgets/province_input.html"

    class Media:
        js = ["js/provinces.js"]

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        context["widget"]["url"] = reverse("customers:province_suggestions")
        return context


class ProvinceField(provinces.ProvinceChoiceField):
    """A record's province, typed: resolved to the 2025 province by `customers.provinces` (as the
    import, the API and the list filters do); a name it cannot place is a form error saying how to
    write it. The stored value is the 2025 province, as before."""

    widget = ProvinceInput

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["to_field_name"] = "code"  # never a database id: "1" is not a province
        kwargs.setdefault("queryset", Province.objects.all())
        kwargs.setdefault(
            "help_text",
            _("A province of 2025, one from before 2025 or a city (e.g. Bình Dương, Nha Trang)."),
        )
        super().__init__(*args, **kwargs)

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, Province):
            return value.name
        if isinstance(value, int):  # the record's own province (an id from the instance), by name
            return Province.objects.filter(pk=value).values_list("name", flat=True).first() or ""
        return value  # as typed


@dataclass(frozen=True)
class ProvinceSuggestion:
    value: str  # what goes into the box
    province: str  # the 2025 province it is saved as


_KIND_ORDER = {"province": 0, "short": 1, "city": 2, "district": 3, "historic": 4}


@lru_cache(maxsize=1)
def _alias_keys() -> tuple[tuple[str, str, str], ...]:
    """(folded name, name, 2025 code) of every name in the data file, old provinces first."""
    aliases = sorted(provinces.read_aliases(), key=lambda a: (_KIND_ORDER.get(a.kind, 9), a.line))
    return tuple((provinces.key(a.name), a.name, a.code) for a in aliases)


def province_suggestions(query: str, limit: int = 10) -> list[ProvinceSuggestion]:
    """What the province box suggests for `query`, accent-insensitive: first what the text itself is
    saved as when it can be placed ("Q1" → TP. Hồ Chí Minh), then the 2025 provinces, old provinces,
    cities and districts whose name (or one of its words) starts with it. An empty query lists the
    2025 provinces."""
    names = dict(Province.objects.values_list("code", "name"))
    folded = provinces.key(query[: provinces.MAX_INPUT])
    if not folded:
        return [ProvinceSuggestion(name, name) for name in names.values()]
    first: list[ProvinceSuggestion] = []
    found: dict[str, ProvinceSuggestion] = {}
    candidates = [(provinces.key(name), name, code) for code, name in names.items()]
    for key, name, code in [*candidates, *_alias_keys()]:
        if code not in names or key in found:
            continue
        if key == folded:
            first = [ProvinceSuggestion(name, names[code])]
            found[key] = first[0]
        elif len(found) < limit and (key.startswith(folded) or f" {folded}" in key):
            found[key] = ProvinceSuggestion(name, names[code])
    if not first:
        resolved = provinces.province_resolve(query)
        if resolved is not None:
            first = [ProvinceSuggestion(" ".join(query.split())[:80], resolved.name)]
    return [*first, *(s for s in found.values() if s not in first)][:limit]


class CustomerForm(RecordForm):
    owner_module = Module.CUSTOMERS
    phones = PhonesField()
    emails = EmailsField()

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        self.user = user
        self.fields["version"].required = bool(self.instance.pk)
        if self.instance.pk and not self.is_bound:
            self.initial["phones"] = [p.number for p in self.instance.phones.all()]
            self.initial["emails"] = [e.address for e in self.instance.emails.all()]
        self.custom_names = custom_fields.add_form_fields(
            self, self._meta.model, self.instance.custom_field_data if self.instance.pk else {}
        )

    def phone_list(self) -> list[str]:
        phones: list[str] = self.cleaned_data.get("phones") or []
        return phones

    def email_list(self) -> list[str]:
        emails: list[str] = self.cleaned_data.get("emails") or []
        return emails

    def record_changes(self) -> dict[str, Any]:
        changes = super().record_changes()
        changes["custom_field_data"] = custom_fields.from_form(self, self.custom_names)
        return changes

    def service_kwargs(self) -> dict[str, Any]:
        return {"phones": self.phone_list(), "emails": self.email_list()}


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
        field_classes = {"date_of_birth": DateField, "province": ProvinceField}
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
        account: Any = self.fields["account"]
        account.queryset = access.scope(user, Account, Action.VIEW).order_by("sort_key")
        tags: Any = self.fields["tags"]
        tags.queryset = Tag.objects.all()
        if self.instance.pk and not self.is_bound:
            for consent in self.instance.consents.all():
                self.initial[f"consent_{consent.channel}"] = consent.granted

    def consents(self) -> dict[str, dict[str, Any]]:
        """Ticked channels, and unticked ones that had an answer (a withdrawal); a channel never answered
        and left unticked records nothing (nobody was asked)."""
        source = self.cleaned_data.get("consent_source", "")
        answered = {c.channel for c in self.instance.consents.all()} if self.instance.pk else set()
        return {
            channel: {
                "granted": bool(self.cleaned_data.get(f"consent_{channel}")),
                "source": source,
                "via": "form",
            }
            for channel in ConsentChannel.values
            if self.cleaned_data.get(f"consent_{channel}") or channel in answered
        }

    def record_changes(self) -> dict[str, Any]:
        changes = super().record_changes()
        changes.pop("tags", None)  # many-to-many: written by the service
        return changes

    def service_kwargs(self) -> dict[str, Any]:
        tags = list(self.cleaned_data.get("tags") or [])
        return {**super().service_kwargs(), "tags": tags, "consents": self.consents()}


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
        field_classes = {"province": ProvinceField}
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
