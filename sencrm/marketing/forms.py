"""Forms of the campaign pages: a campaign, a cost typed in, an ad platform's export to import."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from sencrm.core.forms import DateField
from sencrm.core.modules import Module
from sencrm.core.record_views import RecordForm
from sencrm.marketing.models import Campaign
from sencrm.sales.opportunity_forms import AmountField


class CampaignForm(RecordForm):
    owner_module = Module.MARKETING
    start_date = DateField(label=_("Start date"))
    end_date = DateField(label=_("End date"), required=False)
    budget = AmountField(label=_("Budget"), required=False)

    class Meta:
        model = Campaign
        fields = [
            "name", "channel", "start_date", "end_date", "budget", "utm_source", "utm_medium", "utm_campaign",
            "contact_channel", "owner", "description",
        ]  # fmt: skip
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        if not self.instance.pk:
            self.fields["version"].required = False
        self.fields["utm_campaign"].help_text = _(
            "Leads arriving with this utm_campaign (and the source and medium, when given) are credited to "
            "the campaign."
        )

    def clean_budget(self) -> Decimal:
        return self.cleaned_data.get("budget") or Decimal(0)

    def validate_unique(self) -> None:
        """The services check the UTM codes against live campaigns only (the model knows no trash)."""

    def _post_clean(self) -> None:
        # The model's own checks (dates in order…) run in the service, with the words a user reads.
        pass


class CostForm(forms.Form):
    date = DateField(label=_("Day"))
    amount = AmountField(label=_("Amount"))
    by_month = forms.BooleanField(
        label=_("For the whole month"),
        required=False,
        help_text=_("The month's total, stored on its first day (when the daily figures are not known)."),
    )


class CostAmountForm(forms.Form):
    """A cost's corrected amount (the costs page, one row)."""

    amount = AmountField(label=_("Amount"))


class CostImportForm(forms.Form):
    file = forms.FileField(
        label=_("Export file"),
        help_text=_(
            "Facebook Ads Manager or Google Ads report, broken down by day (CSV or XLSX, as downloaded)."
        ),
    )
    origin = forms.ChoiceField(
        label=_("Platform"),
        required=False,
        choices=[
            ("", _("Recognise from the columns")),
            ("facebook", _("Facebook Ads")),
            ("google", _("Google Ads")),
        ],
    )
    date_column = forms.CharField(label=_("Day column"), required=False, max_length=100)
    campaign_column = forms.CharField(label=_("Campaign column"), required=False, max_length=100)
    amount_column = forms.CharField(label=_("Amount column"), required=False, max_length=100)

    def override(self) -> dict[str, str]:
        return {
            name: self.cleaned_data[f"{name}_column"].strip()
            for name in ("date", "campaign", "amount")
            if self.cleaned_data.get(f"{name}_column", "").strip()
        }
