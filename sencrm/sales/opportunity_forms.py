"""Forms of the opportunity pages: the deal form, the board's filters and the forecast's options."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from sencrm.core import access
from sencrm.core.forms import DateField, DateInput, assignable_owners
from sencrm.core.modules import Action, Module
from sencrm.core.money import format_money
from sencrm.core.record_views import RecordForm
from sencrm.customers.models import Account, Contact
from sencrm.sales.models import MAX_AMOUNT, Opportunity, Pipeline, Stage
from sencrm.users.models import Team, User

CHOICE_LIMIT = 200  # customers listed in the form's selects (the prefilled one is always added)
_GROUPED = re.compile(r"[0-9]{1,3}([.,][0-9]{3})+")
_DIGITS = re.compile(r"[0-9]{1,30}")
_CURRENCY = re.compile(r"(₫|đồng|đ|vnd|vnđ)$", re.IGNORECASE)


def parse_amount(raw: str) -> Decimal:
    """ "50.000.000", "50,000,000", "50 000 000 ₫" or "50000000" → Decimal(50000000).

    VND has no minor units: a decimal part is refused rather than guessed at.
    """
    text = re.sub(r"\s+", "", str(raw))
    text = _CURRENCY.sub("", text)
    if text.startswith("-"):
        raise forms.ValidationError(_("The amount cannot be negative."), code="negative")
    if _GROUPED.fullmatch(text) and len({c for c in text if c in ".,"}) == 1:
        text = text.replace(".", "").replace(",", "")
    if not _DIGITS.fullmatch(text):
        raise forms.ValidationError(
            _("Enter a whole amount in đồng, for example 50.000.000."), code="invalid"
        )
    value = Decimal(text)
    if value > MAX_AMOUNT:
        raise forms.ValidationError(
            _("The amount may be at most %(max)s.") % {"max": format_money(MAX_AMOUNT)}, code="max"
        )
    return value


class AmountField(forms.CharField):
    """A VND amount typed the way people write it (dots or commas between thousands)."""

    def widget_attrs(self, widget: forms.Widget) -> dict[str, Any]:
        attrs = super().widget_attrs(widget)
        attrs.update(
            {"inputmode": "numeric", "placeholder": "50.000.000", "autocomplete": "off", "maxlength": 40}
        )
        return attrs

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, (Decimal, int)):
            # Shown grouped the Vietnamese way, and parsed back the same way.
            return f"{int(value):,}".replace(",", ".")
        return value

    def to_python(self, value: Any) -> Decimal | None:  # type: ignore[override]
        text = super().to_python(value)
        if not text:
            return None
        if len(text) > 40:
            raise forms.ValidationError(
                _("Enter a whole amount in đồng, for example 50.000.000."), code="invalid"
            )
        return parse_amount(text)


def _limited_choices(field: Any, rows: list[Any]) -> None:
    """Show only `rows` in the select; the field still validates against its whole (scoped) queryset."""
    field.widget.choices = [("", "---------"), *((row.pk, str(row)) for row in rows)]


class OpportunityForm(RecordForm):
    owner_module = Module.SALES
    amount = AmountField(label=_("Amount (VND)"), required=False)
    probability = forms.IntegerField(
        label=_("Probability (%)"),
        required=False,
        min_value=0,
        max_value=100,
        help_text=_("Leave empty to use the stage's probability."),
    )

    class Meta:
        model = Opportunity
        fields = [
            "name",
            "contact",
            "account",
            "amount",
            "expected_close_date",
            "pipeline",
            "stage",
            "probability",
            "close_reason",
            "products",
            "description",
            "owner",
        ]
        field_classes = {"expected_close_date": DateField}
        widgets = {
            "expected_close_date": DateInput(),
            "products": forms.Textarea(attrs={"rows": 2}),
            "description": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args: Any, user: Any, prefill: dict[str, Any] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        self.user = user
        prefill = prefill or {}
        editing = bool(self.instance.pk)
        self.fields["version"].required = editing
        self.fields["name"].widget.attrs["maxlength"] = 200
        pipelines = Pipeline.objects.filter(is_active=True).order_by("position", "id")
        pipeline: Any = self.fields["pipeline"]
        pipeline.queryset = pipelines
        pipeline.required = False
        pipeline.help_text = _("Empty: the default pipeline.")
        stage: Any = self.fields["stage"]
        stage.required = False
        stage.queryset = Stage.objects.filter(pipeline__is_active=True).select_related("pipeline")
        stage.help_text = _("Empty: the pipeline's first stage. Pick a stage of the chosen pipeline.")
        self.fields["close_reason"].help_text = _("Required when the stage is a lost stage.")
        self._stage_choices(pipelines)
        self._customer_choices(prefill)
        if editing and not self.is_bound:
            self.initial["probability"] = (
                self.instance.probability if self.instance.probability_manual else None
            )
        if not editing and not self.is_bound:
            for name in ("contact", "account", "stage", "pipeline"):
                if prefill.get(name) is not None:
                    self.initial[name] = prefill[name].pk

    def _stage_choices(self, pipelines: Any) -> None:
        """Stages grouped by pipeline, so the choice reads "Bán lẻ › Đàm phán"."""
        groups: list[Any] = [("", "---------")]
        field: Any = self.fields["stage"]
        stages = list(field.queryset.order_by("pipeline__position", "pipeline_id", "position", "id"))
        for pipeline in pipelines:
            options = [(s.pk, f"{s.name} ({s.probability}%)") for s in stages if s.pipeline_id == pipeline.pk]
            if options:
                groups.append((pipeline.name, options))
        field.widget.choices = groups

    def _customer_choices(self, prefill: dict[str, Any]) -> None:
        for name, model, order in (("contact", Contact, "sort_key"), ("account", Account, "sort_key")):
            field: Any = self.fields[name]
            scoped = access.scope(self.user, model, Action.VIEW)
            current = getattr(self.instance, name, None) if self.instance.pk else None
            # The deal's present customer stays valid even if it has left the user's scope since.
            field.queryset = scoped | model.objects.filter(pk=current.pk) if current is not None else scoped
            rows = list(scoped.order_by("-id")[:CHOICE_LIMIT])
            extra = [prefill.get(name), current]
            for obj in extra:
                if obj is not None and all(r.pk != obj.pk for r in rows):
                    rows.append(obj)
            rows.sort(key=lambda r: getattr(r, order, "") or str(r))
            _limited_choices(field, rows)
        self.fields["contact"].help_text = _(
            "Your most recent customers are listed. For another one, open its page and choose "
            "“New opportunity” there."
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        pipeline, stage = data.get("pipeline"), data.get("stage")
        if stage is not None and pipeline is not None and stage.pipeline_id != pipeline.pk:
            self.add_error("stage", _("This stage belongs to another pipeline."))
        if stage is not None and pipeline is None:
            data["pipeline"] = stage.pipeline
        if stage is not None and stage.is_lost and not (data.get("close_reason") or "").strip():
            self.add_error("close_reason", _("Say why the deal was lost."))
        return data

    def record_changes(self) -> dict[str, Any]:
        changes = super().record_changes()
        if changes.get("amount") is None:
            changes["amount"] = Decimal(0)
        for name in ("pipeline", "stage"):
            if changes.get(name) is None:
                changes.pop(name, None)
        owner = changes.pop("owner", None)
        if owner is not None and self.instance.pk:
            changes["owner"] = owner
        return changes


class BoardFilterForm(forms.Form):
    """?pipeline, ?owner, ?team, ?close_from, ?close_to of the board: anything else is a 400."""

    pipeline = forms.ModelChoiceField(queryset=Pipeline.objects.filter(is_active=True), required=False)
    owner = forms.ModelChoiceField(
        label=_("Owner"), queryset=User.objects.filter(is_active=True), required=False, empty_label=_("All")
    )
    team = forms.ModelChoiceField(
        label=_("Team"), queryset=Team.objects.all(), required=False, empty_label=_("All")
    )
    close_from = DateField(label=_("Closing from"), required=False)
    close_to = DateField(label=_("Closing until"), required=False)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        owner: Any = self.fields["owner"]
        owner.queryset = assignable_owners(user, Module.SALES, Action.VIEW)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("close_from"), data.get("close_to")
        if start and end and start > end:
            self.add_error("close_to", _("The end date is before the start date."))
        return data

    def filters(self) -> dict[str, Any]:
        """The keys `selectors.board_columns` understands (ids and dates)."""
        data = self.cleaned_data
        return {
            "owner": data["owner"].pk if data.get("owner") else None,
            "team": data["team"].pk if data.get("team") else None,
            "close_from": data.get("close_from"),
            "close_to": data.get("close_to"),
        }


BY_CHOICES = [("month", _("Month")), ("owner", _("Owner")), ("team", _("Team"))]


class ForecastForm(forms.Form):
    """The forecast's options: how many months from which month, grouped how, which pipeline."""

    months = forms.IntegerField(label=_("Months"), min_value=1, max_value=24, required=False)
    start = forms.CharField(
        label=_("From month"),
        required=False,
        max_length=7,
        widget=forms.TextInput(attrs={"type": "month", "placeholder": "2025-01"}),
    )
    by = forms.ChoiceField(label=_("Group by"), choices=BY_CHOICES, required=False)
    pipeline = forms.ModelChoiceField(
        label=_("Pipeline"),
        queryset=Pipeline.objects.filter(is_active=True),
        required=False,
        empty_label=_("All"),
    )

    def clean_start(self) -> dt.date | None:
        raw = self.cleaned_data.get("start") or ""
        if not raw:
            return None
        try:
            month = dt.datetime.strptime(raw, "%Y-%m").date()  # noqa: DTZ007 - a month, no time
        except ValueError as exc:
            raise forms.ValidationError(_("Enter a month as yyyy-mm.")) from exc
        if not 2000 <= month.year <= 2100:
            raise forms.ValidationError(_("Enter a month between 2000 and 2100."))
        return month
