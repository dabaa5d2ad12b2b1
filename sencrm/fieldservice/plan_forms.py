"""Forms of the maintenance plan pages: the plan, ending it, and a visit's skip / reschedule. They check
shapes; the rules (the customer's assets, the contract's end, the cycle) are the services' (plans.py)."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from sencrm.catalog.models import Product
from sencrm.core.forms import DateField
from sencrm.core.modules import Module
from sencrm.core.record_views import RecordForm
from sencrm.customers.forms import AccountAutocomplete
from sencrm.fieldservice.models import Asset, MaintenancePlan, Skill

CHOICE_LIMIT = 200  # the latest records offered in a select (a prefilled or saved one is always kept)


class PlanForm(RecordForm):
    owner_module = Module.FIELDSERVICE

    start_date = DateField(label=_("first visit"))
    end_date = DateField(
        label=_("end date"), required=False, help_text=_("Empty: until the contract ends, or no end.")
    )

    sections = (
        ("customer", _("Customer"), ["contact", "account", "contract"]),
        ("what", _("What is maintained"), ["product", "assets", "skill", "duration_minutes"]),
        (
            "cycle",
            _("Cycle"),
            ["name", "interval_months", "start_date", "end_date", "lead_days", "remind_days", "notes"],
        ),
    )

    class Meta:
        model = MaintenancePlan
        fields = [
            "contact", "account", "contract", "product", "assets", "skill", "duration_minutes", "name",
            "interval_months", "start_date", "end_date", "lead_days", "remind_days", "notes",
        ]  # fmt: skip
        widgets = {
            "notes": forms.Textarea(attrs={"rows": 3}),
            "account": AccountAutocomplete,
            "assets": forms.CheckboxSelectMultiple,
        }

    def __init__(
        self, *args: Any, user: Any = None, prefill: dict[str, Any] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, user=user, **kwargs)
        if not self.instance.pk:
            self.fields["version"].required = False
        for name, value in (prefill or {}).items():
            if name in self.fields and value not in (None, ""):
                self.initial[name] = value
        self.fields["name"].required = False
        self.fields["name"].help_text = _("Empty: named after the product and the interval.")
        skill = cast("forms.ModelChoiceField[Any]", self.fields["skill"])
        skill.queryset = Skill.objects.filter(Q(active=True) | Q(pk=self.instance.skill_id))
        self._limit_choices()
        self._limit_assets()

    def _kept(self, name: str) -> set[int]:
        values = [self.initial.get(name), getattr(self.instance, f"{name}_id", None), self.data.get(name)]
        return {
            int(getattr(v, "pk", v))
            for v in values
            if v not in (None, "")
            and str(getattr(v, "pk", v)).isdigit()
            and len(str(getattr(v, "pk", v))) < 12
        }

    def _limit_choices(self) -> None:
        for name in ("contact", "contract", "product"):
            field = cast("forms.ModelChoiceField[Any]", self.fields[name])
            scoped: Any = field.queryset
            base = Product.objects.filter(active=True) if name == "product" else scoped
            latest = list(base.order_by("-id")[:CHOICE_LIMIT].values_list("pk", flat=True))
            field.queryset = scoped.filter(pk__in=[*latest, *self._kept(name)])

    def _limit_assets(self) -> None:
        """The assets offered: the customer's (the one prefilled, saved or posted)."""
        field = cast("forms.ModelMultipleChoiceField[Any]", self.fields["assets"])
        scoped: Any = field.queryset
        contact, account = self._kept("contact"), self._kept("account")
        if not contact and not account:
            field.queryset = scoped.none()
            field.help_text = _(
                "Choose the customer and save: then pick their assets, or leave none for all."
            )
            return
        field.queryset = scoped.filter(Q(contact_id__in=contact) | Q(account_id__in=account)).select_related(
            "product"
        )
        field.help_text = _("None ticked: every installed asset of the customer of the product.")

    def validate_unique(self) -> None:
        """Nothing unique on a plan."""

    def _post_clean(self) -> None:
        # The model's own checks run in the service, with the words a user reads.
        pass

    def record_changes(self) -> dict[str, Any]:
        changes = super().record_changes()
        changes.pop("assets", None)
        return changes

    def service_kwargs(self) -> dict[str, Any]:
        assets: list[Asset] = list(self.cleaned_data.get("assets") or [])
        return {"assets": assets}


class PlanEndForm(forms.Form):
    reason = forms.CharField(label=_("Why the plan ends"), max_length=300)
    on = DateField(label=_("From"), required=False, help_text=_("Empty: today."))


class VisitSkipForm(forms.Form):
    note = forms.CharField(label=_("Note"), max_length=300, required=False)


class VisitRescheduleForm(forms.Form):
    on = DateField(label=_("New date"))
    note = forms.CharField(label=_("Note"), max_length=300, required=False)
