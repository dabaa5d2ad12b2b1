"""The administrators' webhook form; the service checks the URL (SSRF guard) and the event types."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from sencrm.events.models import WebhookSubscription
from sencrm.events.webhooks import catalog


class WebhookForm(forms.Form):
    url = forms.CharField(
        label=_("URL"),
        max_length=2000,
        widget=forms.URLInput(attrs={"placeholder": "https://erp.example.vn/sen-webhook"}),
        help_text=_("Where the events are POSTed: a public http(s) address of your receiver."),
    )
    description = forms.CharField(label=_("Description"), max_length=200, required=False)
    event_types = forms.MultipleChoiceField(
        label=_("Events"),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Tick * to receive every event, including the types added later."),
    )
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)

    def __init__(self, *args: Any, instance: WebhookSubscription | None = None, **kwargs: Any) -> None:
        self.instance = instance
        if instance is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "url": instance.url,
                "description": instance.description,
                "event_types": instance.event_types,
                "is_active": instance.is_active,
                "version": instance.version,
            }
        super().__init__(*args, **kwargs)
        choices = catalog.choices()
        if instance is not None:  # keep wildcards such as contact.* chosen through the API
            known = {value for value, _label in choices}
            choices += [(t, t) for t in instance.event_types if t not in known]
        field = self.fields["event_types"]
        assert isinstance(field, forms.MultipleChoiceField)  # noqa: S101 - declared above
        field.choices = choices
