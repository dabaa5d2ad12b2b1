from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.password_validation import validate_password
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from sencrm.core.modules import Action, Module, Scope
from sencrm.users.choices import Language, time_zone_choices
from sencrm.users.models import Role, Team, User


class PreferencesForm(forms.Form):
    language = forms.ChoiceField(label=_("Language"), choices=Language.choices)
    time_zone = forms.ChoiceField(label=_("Time zone"), choices=time_zone_choices)


class UserForm(forms.Form):
    username = forms.RegexField(
        label=_("User name"),
        max_length=150,
        regex=r"^[\w.@+-]+\Z",
        error_messages={"invalid": _("Letters, digits and @/./+/-/_ only.")},
    )
    full_name = forms.CharField(label=_("Full name"), max_length=150, required=False)
    email = forms.EmailField(label=_("Email"), required=False)
    phone = forms.CharField(label=_("Phone"), max_length=30, required=False)
    role = forms.ModelChoiceField(label=_("Role"), queryset=Role.objects.all(), required=False)
    teams = forms.ModelMultipleChoiceField(
        label=_("Teams"), queryset=Team.objects.all(), required=False, widget=forms.CheckboxSelectMultiple
    )
    language = forms.ChoiceField(label=_("Language"), choices=Language.choices, initial=Language.VI)
    time_zone = forms.ChoiceField(label=_("Time zone"), choices=time_zone_choices, initial="Asia/Ho_Chi_Minh")
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)
    password = forms.CharField(
        label=_("Password"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("Leave empty to keep the current password."),
    )

    def __init__(self, *args: Any, instance: User | None = None, **kwargs: Any) -> None:
        self.instance = instance
        if instance is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "username": instance.username,
                "full_name": instance.full_name,
                "email": instance.email,
                "phone": instance.phone,
                "role": instance.role_id,
                "teams": list(instance.teams.all()),
                "language": instance.language,
                "time_zone": instance.time_zone,
                "is_active": instance.is_active,
            }
        super().__init__(*args, **kwargs)
        if instance is None:
            self.fields["password"].required = True
            self.fields["password"].help_text = ""

    def clean_username(self) -> str:
        username: str = self.cleaned_data["username"]
        clash = User.objects.filter(username__iexact=username)
        if self.instance is not None:
            clash = clash.exclude(pk=self.instance.pk)
        if clash.exists():
            raise forms.ValidationError(_("This user name is already taken."))
        return username

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        password = data.get("password")
        if password:
            probe = self.instance or User(username=data.get("username", ""), email=data.get("email", ""))
            try:
                validate_password(password, probe)
            except forms.ValidationError as exc:
                self.add_error("password", exc)
        return data


class TeamForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    members = forms.ModelMultipleChoiceField(
        label=_("Members"),
        queryset=User.objects.filter(is_active=True),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, instance: Team | None = None, **kwargs: Any) -> None:
        self.instance = instance
        if instance is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "name": instance.name,
                "description": instance.description,
                "members": list(instance.members.all()),
            }
        super().__init__(*args, **kwargs)

    def clean_name(self) -> str:
        name: str = self.cleaned_data["name"].strip()
        clash = Team.objects.filter(name__iexact=name)
        if self.instance is not None:
            clash = clash.exclude(pk=self.instance.pk)
        if clash.exists():
            raise forms.ValidationError(_("A team with this name already exists."))
        return name


SCOPE_CHOICES = [("", "—"), *Scope.choices]


class RoleForm(forms.Form):
    """Name and description, plus one scope select per module × action (the grant matrix)."""

    name = forms.CharField(label=_("Name"), max_length=80)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, instance: Role | None = None, **kwargs: Any) -> None:
        self.instance = instance
        super().__init__(*args, **kwargs)
        current = {(g.module, g.action): g.scope for g in instance.grants.all()} if instance else {}
        if instance is not None and not self.is_bound:
            description = gettext(instance.description) if instance.is_system else instance.description
            self.initial.update({"name": str(instance), "description": description})
        for module in Module:
            for action in Action:
                self.fields[f"g_{module.value}_{action.value}"] = forms.ChoiceField(
                    label=f"{module.label} — {action.label}",
                    choices=SCOPE_CHOICES,
                    required=False,
                    initial=current.get((module.value, action.value), ""),
                )

    def grant_rows(self) -> list[dict[str, Any]]:
        return [
            {"module": module.label, "cells": [self[f"g_{module.value}_{action.value}"] for action in Action]}
            for module in Module
        ]

    def grants(self) -> dict[tuple[str, str], str | None]:
        return {
            (module.value, action.value): self.cleaned_data.get(f"g_{module.value}_{action.value}") or None
            for module in Module
            for action in Action
        }
