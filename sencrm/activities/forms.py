from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from sencrm.activities.choices import Kind, Status
from sencrm.activities.models import Activity
from sencrm.core import access
from sencrm.core.forms import DateTimeField
from sencrm.core.modules import Action, Module, Scope
from sencrm.core.record_views import RecordForm
from sencrm.users.models import User


def _dt(label: Any, required: bool = False) -> forms.DateTimeField:
    return DateTimeField(label=label, required=required)


def assignees(user: Any) -> Any:
    level = access.scope_level(user, Module.ACTIVITIES, Action.CREATE)
    users = User.objects.filter(is_active=True)
    if level == Scope.ALL:
        return users
    if level == Scope.TEAM:
        return users.filter(pk__in=[user.pk, *user.teammate_ids()])
    return users.filter(pk=user.pk)


class ActivityForm(RecordForm):
    """One form for every kind; the page shows the fields that matter for the kind."""

    due_at = _dt(_("Due / starts"))
    ends_at = _dt(_("Ends"))
    reminder_at = _dt(_("Reminder"))
    duration_minutes = forms.IntegerField(
        label=_("Duration (minutes)"), required=False, min_value=0, max_value=24 * 60
    )

    class Meta:
        model = Activity
        fields = [
            "kind",
            "subject",
            "status",
            "due_at",
            "ends_at",
            "reminder_at",
            "direction",
            "outcome",
            "place",
            "owner",
            "description",
            "contact",
            "account",
            "lead",
        ]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "contact": forms.HiddenInput,
            "account": forms.HiddenInput,
            "lead": forms.HiddenInput,
        }

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        self.fields["version"].required = bool(self.instance.pk)
        cast("forms.ModelChoiceField[User]", self.fields["owner"]).queryset = assignees(user)
        self.fields["owner"].required = False
        self.fields["owner"].label = _("Assigned to")
        self.fields["status"].required = False
        if self.instance.pk and not self.is_bound and self.instance.duration_seconds is not None:
            self.initial["duration_minutes"] = round(self.instance.duration_seconds / 60)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        kind = data.get("kind")
        if not data.get("status"):
            # A call or a meeting logged without a time happened now; a task is planned.
            data["status"] = Status.PLANNED if kind == Kind.TASK else Status.DONE
        if (
            kind in (Kind.CALL, Kind.MEETING, Kind.NOTE)
            and data["status"] == Status.DONE
            and not data.get("due_at")
        ):
            data["due_at"] = timezone.now()
        return data

    def record_changes(self) -> dict[str, Any]:
        changes = super().record_changes()
        minutes = self.cleaned_data.get("duration_minutes")
        changes["duration_seconds"] = minutes * 60 if minutes is not None else None
        if not changes.get("owner"):
            changes.pop("owner", None)
        return changes
