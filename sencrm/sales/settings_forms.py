"""Forms of the sales settings pages: pipelines and stages, scoring rules, web-to-lead forms.

They check shapes and ranges; the rules that span records (one default pipeline, a won and a lost
stage, a value that fits its rule) live in services/settings.py, which every caller goes through.
"""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from sencrm.core.modules import Action, Module
from sencrm.customers.models import Province, SourceChannel
from sencrm.sales.choices import SCORABLE_FIELDS, RuleKind, WebFormField
from sencrm.sales.services.settings import DEFAULT_CONSENT, MAX_RULE_NUMBER, StageInput
from sencrm.users.models import Team, User

DEFAULT_THANK_YOU = _("Thank you! We have received your request and will contact you soon.")


class PipelineForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=80)
    is_active = forms.BooleanField(
        label=_("Active"),
        required=False,
        initial=True,
        help_text=_("Inactive pipelines keep their deals but are not offered for new ones."),
    )
    is_default = forms.BooleanField(
        label=_("Default pipeline"), required=False, help_text=_("New opportunities go here unless chosen.")
    )


class StageForm(forms.Form):
    """One row of the stage table (the formset's extra row adds a stage)."""

    id = forms.IntegerField(required=False, widget=forms.HiddenInput)
    name = forms.CharField(label=_("Stage"), max_length=80)
    position = forms.IntegerField(label=_("Order"), required=False, min_value=0, max_value=1000)
    probability = forms.IntegerField(label=_("Probability (%)"), min_value=0, max_value=100)
    is_won = forms.BooleanField(label=_("Won"), required=False)
    is_lost = forms.BooleanField(label=_("Lost"), required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("is_won") and data.get("is_lost"):
            raise forms.ValidationError(_("A stage cannot be both won and lost."))
        return data


class BaseStageFormSet(forms.BaseFormSet):  # type: ignore[type-arg]
    def stage_inputs(self) -> list[StageInput]:
        rows = []
        for form in self.forms:
            data = form.cleaned_data
            if not data or (form.empty_permitted and not form.has_changed()):
                continue  # the untouched "new stage" row
            deleting = bool(data.get("DELETE"))
            if deleting and not data.get("id"):
                continue
            rows.append(
                StageInput(
                    id=data.get("id"),
                    name=data.get("name", ""),
                    position=data.get("position"),
                    probability=data.get("probability") or 0,
                    is_won=bool(data.get("is_won")),
                    is_lost=bool(data.get("is_lost")),
                    delete=deleting,
                )
            )
        return rows


StageFormSet = forms.formset_factory(
    StageForm,
    formset=BaseStageFormSet,
    extra=1,
    can_delete=True,
    max_num=50,
    absolute_max=60,
    validate_max=True,
)


def stage_formset(pipeline: Any, data: Any = None) -> Any:
    initial = [
        {
            "id": s.pk,
            "name": s.name,
            "position": s.position,
            "probability": s.probability,
            "is_won": s.is_won,
            "is_lost": s.is_lost,
        }
        for s in pipeline.stages.all()
    ]
    return StageFormSet(data, initial=initial, prefix="stages")


# ---------------------------------------------------------------------------------------------


def rule_value_field(kind: str, current: str = "") -> forms.Field:
    """The input that fits the rule's kind: a list to pick from, a domain list or a number."""
    if kind == RuleKind.SOURCE:
        channels = SourceChannel.objects.filter(Q(is_active=True) | Q(code=current)).order_by(
            "position", "name"
        )
        return forms.ChoiceField(
            label=_("Source channel"), choices=[("", "—")] + [(c.code, c.name) for c in channels]
        )
    if kind == RuleKind.PROVINCE:
        provinces = Province.objects.order_by("position", "name")
        return forms.ChoiceField(
            label=_("Province"), choices=[("", "—")] + [(p.code, p.name) for p in provinces]
        )
    if kind == RuleKind.FIELD_PRESENT:
        return forms.ChoiceField(label=_("Field"), choices=[("", "—"), *SCORABLE_FIELDS.items()])
    if kind == RuleKind.EMAIL_DOMAIN:
        return forms.CharField(
            label=_("Email domains"),
            max_length=200,
            help_text=_("Separated by commas, e.g. gmail.com, yahoo.com"),
        )
    if kind == RuleKind.ACTIVITY_COUNT:
        return forms.IntegerField(
            label=_("Number of activities"),
            min_value=0,
            max_value=MAX_RULE_NUMBER,
            help_text=_("The lead gets the points when it has at least this many calls, meetings, notes…"),
        )
    if kind == RuleKind.RECENCY:
        return forms.IntegerField(
            label=_("Number of days"),
            min_value=0,
            max_value=MAX_RULE_NUMBER,
            help_text=_("The lead gets the points while its first touch is at most this many days ago."),
        )
    return forms.CharField(
        label=_("Value"),
        max_length=200,
        required=False,
        help_text=_("Choose the rule first: the value follows it."),
    )


class ScoringRuleForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    kind = forms.ChoiceField(label=_("Rule"), choices=[("", "—"), *RuleKind.choices])
    value = forms.CharField(label=_("Value"), max_length=200, required=False)
    points = forms.IntegerField(
        label=_("Points"),
        min_value=-100,
        max_value=100,
        help_text=_("From −100 to 100; negative points lower the score."),
    )
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        given = self.data.get("kind") if self.is_bound else self.initial.get("kind")
        rule_kind = given if given in RuleKind.values else ""
        self.fields["value"] = rule_value_field(rule_kind, str(self.initial.get("value", "")))
        # Choosing another kind swaps in the input that fits it (htmx; the page works without it too:
        # saving then shows the right input with a message).
        self.fields["kind"].widget.attrs.update(
            {
                "hx-get": reverse("sales:settings_scoring_value"),
                "hx-target": "#rule-value",
                "hx-swap": "innerHTML",
            }
        )

    def clean_value(self) -> str:
        value = self.cleaned_data.get("value")
        return "" if value is None else str(value)


# ---------------------------------------------------------------------------------------------


def lead_owner_choices() -> Any:
    """Users who may own leads: active, with a role that can at least see leads."""
    return (
        User.objects.filter(is_active=True)
        .filter(Q(is_superuser=True) | Q(role__grants__module=Module.LEADS, role__grants__action=Action.VIEW))
        .distinct()
        .order_by("full_name", "username")
    )


class WebFormForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=120,
        help_text=_("For you: shown in the list and on the leads it creates."),
    )
    is_active = forms.BooleanField(
        label=_("Active"), required=False, initial=True, help_text=_("An inactive form answers “not found”.")
    )
    title = forms.CharField(label=_("Title shown on the form"), max_length=200, required=False)
    # Not "fields": a form's own `fields` holds its inputs. The view maps it to WebForm.fields.
    asked_fields = forms.MultipleChoiceField(
        label=_("Fields to ask"),
        choices=WebFormField.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        initial=[WebFormField.PHONE, WebFormField.EMAIL, WebFormField.INTEREST],
        help_text=_("The name is always asked. Ask at least a phone number or an email."),
    )
    required_fields = forms.MultipleChoiceField(
        label=_("Required fields"),
        choices=WebFormField.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        initial=[WebFormField.PHONE],
        help_text=_("When neither phone nor email is required, the visitor must still give one of them."),
    )
    thank_you = forms.CharField(
        label=_("Thank-you text"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        initial=DEFAULT_THANK_YOU,
    )
    consent_text = forms.CharField(
        label=_("Consent text"),
        max_length=500,
        initial=DEFAULT_CONSENT,
        help_text=_("Shown next to the checkbox the visitor must tick; kept with the lead's consent."),
    )
    owner = forms.ModelChoiceField(
        label=_("Owner of new leads"),
        queryset=User.objects.none(),
        required=False,
        help_text=_("With a team below, the owner gets the leads only when no team member is active."),
    )
    team = forms.ModelChoiceField(
        label=_("Or round robin within a team"),
        queryset=Team.objects.order_by("name"),
        required=False,
        help_text=_("Each new lead goes to the team's next member in turn."),
    )
    source = forms.ModelChoiceField(
        label=_("Source channel"), queryset=SourceChannel.objects.none(), required=False
    )
    campaign = forms.CharField(
        label=_("Campaign"),
        max_length=200,
        required=False,
        help_text=_("Used unless the visitor arrives with a utm_campaign parameter."),
    )

    def __init__(self, *args: Any, current_source_id: int | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        owner = cast(forms.ModelChoiceField, self.fields["owner"])  # type: ignore[type-arg]
        source = cast(forms.ModelChoiceField, self.fields["source"])  # type: ignore[type-arg]
        owner.queryset = lead_owner_choices()
        source.queryset = SourceChannel.objects.filter(Q(is_active=True) | Q(pk=current_source_id)).order_by(
            "position", "name"
        )
        if not self.is_bound and "source" not in self.initial:
            self.initial["source"] = SourceChannel.objects.filter(code="website").first()
