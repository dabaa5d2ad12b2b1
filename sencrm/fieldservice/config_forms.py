"""Forms of after-sales' settings pages (skills, technicians, checklist steps). They check shapes and
ranges; the rules across rows (one profile per user, unique names) are in config_services.py."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from sencrm.customers.models import Province
from sencrm.fieldservice.models import ChecklistItem, Skill, Technician, WorkKind

MAX_POSITION = 32767


class ConfigForm(forms.Form):
    """Opened on a row (`instance`) it starts from the row's values; `read_only` disables every field."""

    def __init__(self, *args: Any, instance: Any = None, read_only: bool = False, **kwargs: Any) -> None:
        self.instance = instance
        if instance is not None and "initial" not in kwargs:
            kwargs["initial"] = self.initial_from(instance)
        super().__init__(*args, **kwargs)
        if read_only:
            for field in self.fields.values():
                field.disabled = True

    def initial_from(self, instance: Any) -> dict[str, Any]:
        return {name: getattr(instance, name) for name in self.base_fields if hasattr(instance, name)}

    def values(self) -> dict[str, Any]:
        return dict(self.cleaned_data)


class SkillForm(ConfigForm):
    name = forms.CharField(label=_("Name"), max_length=100)
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)


class TechnicianForm(ConfigForm):
    user = forms.ModelChoiceField(label=_("User"), queryset=get_user_model().objects.none())
    skills = forms.ModelMultipleChoiceField(
        label=_("Skills"), queryset=Skill.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )
    provinces = forms.ModelMultipleChoiceField(
        label=_("Provinces served"),
        queryset=Province.objects.all(),
        required=False,
        help_text=_("Empty: every province."),
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )
    phone = forms.CharField(label=_("Phone"), max_length=40, required=False)
    color = forms.CharField(
        label=_("Colour on the dispatch board"),
        max_length=7,
        initial="#0d6efd",
        widget=forms.TextInput(attrs={"type": "color"}),
    )
    active = forms.BooleanField(label=_("Takes jobs"), required=False, initial=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        current = getattr(self.instance, "user_id", None)
        user: Any = self.fields["user"]
        # Active users without a profile (and the profile's own user, who may have left since).
        user.queryset = (
            get_user_model()
            .objects.filter(Q(is_active=True, technician__isnull=True) | Q(pk=current))
            .order_by("full_name", "username")
        )
        skills: Any = self.fields["skills"]
        kept = list(self.instance.skills.values_list("pk", flat=True)) if self.instance is not None else []
        skills.queryset = Skill.objects.filter(Q(active=True) | Q(pk__in=kept))

    def initial_from(self, instance: Technician) -> dict[str, Any]:
        return {
            "user": instance.user_id,
            "skills": list(instance.skills.all()),
            "provinces": list(instance.provinces.all()),
            "phone": instance.phone,
            "color": instance.color,
            "active": instance.active,
        }


class ChecklistItemForm(ConfigForm):
    kind = forms.ChoiceField(label=_("Work type"), choices=WorkKind.choices)
    text = forms.CharField(label=_("Step"), max_length=200)
    position = forms.IntegerField(
        label=_("Position"),
        min_value=0,
        max_value=MAX_POSITION,
        required=False,
        help_text=_("Empty: last."),
    )
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def initial_from(self, instance: ChecklistItem) -> dict[str, Any]:
        return {
            "kind": instance.kind,
            "text": instance.text,
            "position": instance.position,
            "active": instance.active,
        }
