"""The receivers' settings page (administrators): per platform the page / OA id, the secrets (shown only as
"set" or "not set"; a blank field keeps the stored value), the default campaign and the on/off switch,
with the webhook addresses to paste into Facebook and Zalo."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from sencrm.core import access
from sencrm.core.modules import Action, Module
from sencrm.marketing.inbound.channels import inbound_channel_save, inbound_channels, secret_state
from sencrm.marketing.models import Campaign, InboundChannel, Platform

LABELS = {
    Platform.FACEBOOK: {
        "page_id": gettext_lazy("Page id"),
        "secret": gettext_lazy("App secret"),
        "token": gettext_lazy("Verify token"),
    },
    Platform.ZALO: {
        "page_id": gettext_lazy("OA id"),
        "secret": gettext_lazy("OA secret key"),
        "token": gettext_lazy("App id"),
    },
}


class InboundChannelForm(forms.Form):
    is_active = forms.BooleanField(label=gettext_lazy("Receive messages"), required=False)
    page_id = forms.CharField(max_length=64, required=False)
    secret = forms.CharField(
        max_length=256,
        required=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
    )
    token = forms.CharField(
        max_length=256,
        required=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
    )
    default_campaign = forms.ModelChoiceField(
        queryset=Campaign.objects.none(), required=False, label=gettext_lazy("Default campaign")
    )

    def __init__(self, *args: Any, channel: InboundChannel, user: Any, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", channel.platform)
        super().__init__(*args, **kwargs)
        self.channel = channel
        self.state = secret_state(channel)
        for name, label in LABELS[Platform(channel.platform)].items():
            self.fields[name].label = label
        for name, field in self.fields.items():
            css = {"is_active": "form-check-input", "default_campaign": "form-select"}.get(
                name, "form-control"
            )
            field.widget.attrs["class"] = css
        campaign: Any = self.fields["default_campaign"]
        campaign.queryset = access.scope(user, Campaign, Action.VIEW).order_by("-start_date", "name")
        if not self.is_bound:
            self.initial.update(
                {
                    "is_active": channel.is_active,
                    "page_id": channel.page_id,
                    "default_campaign": channel.default_campaign_id,
                }
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("is_active"):
            if not (data.get("secret") or self.state["secret"]):
                self.add_error("secret", _("Set the secret before switching the channel on."))
            if not (data.get("token") or self.state["token"]):
                self.add_error("token", _("Set this before switching the channel on."))
        return data


def _webhook_urls(request: HttpRequest) -> dict[str, str]:
    return {
        Platform.FACEBOOK: request.build_absolute_uri(reverse("api:inbound-facebook")),
        Platform.ZALO: request.build_absolute_uri(reverse("api:inbound-zalo")),
    }


@login_required
@require_http_methods(["GET", "POST"])
def inbound_settings(request: HttpRequest) -> HttpResponse:
    user = request.user
    access.check_module(user, Module.ADMIN, Action.VIEW)
    channels = inbound_channels()
    posted = request.POST.get("platform") if request.method == "POST" else None
    if request.method == "POST":
        access.check_module(user, Module.ADMIN, Action.EDIT)
    status = 200
    forms_by_platform: dict[str, InboundChannelForm] = {}
    for platform, channel in channels.items():
        bound = request.POST if platform == posted else None
        forms_by_platform[platform] = InboundChannelForm(bound, channel=channel, user=user)
    if posted is not None:
        form = forms_by_platform.get(posted)
        if form is None:
            status = 400
            messages.error(request, _("Unknown platform."))
        elif form.is_valid():
            data = form.cleaned_data
            inbound_channel_save(
                actor=user,
                platform=posted,
                page_id=data["page_id"],
                is_active=data["is_active"],
                default_campaign=data["default_campaign"],
                secret=data["secret"] or None,
                token=data["token"] or None,
            )
            messages.success(request, _("Saved."))
            return HttpResponseRedirect(reverse("marketing:inbound_settings"))
        else:
            status = 400
    urls = _webhook_urls(request)
    sections = [
        {"platform": p, "label": Platform(p).label, "form": f, "url": urls[p], "channel": channels[p]}
        for p, f in forms_by_platform.items()
    ]
    return render(request, "marketing/inbound_settings.html", {"sections": sections}, status=status)


urlpatterns = [path("marketing/inbound/", inbound_settings, name="inbound_settings")]
