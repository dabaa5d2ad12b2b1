"""A campaign's audience page: its members, how many it may reach and how many are left out for lack of
consent, a bulk "add contacts" (by ids from the contacts list, by tag or by customer group), and the CSV of
the reachable members for upload to Zalo / Facebook / SMS tools."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Case, Value, When
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from sencrm.core import access
from sencrm.core.export import csv_response
from sencrm.core.modules import Action, Module
from sencrm.core.phones import to_e164
from sencrm.core.record_views import get_record
from sencrm.customers.models import Contact, CustomerGroup, Tag
from sencrm.marketing import audience, segments
from sencrm.marketing.models import Campaign, Segment

SHOWN = 100
MAX_IDS = 50_000
_SEPARATORS = re.compile(r"[\s,;]+")


class AudienceAddForm(forms.Form):
    """Exactly one way of choosing the contacts to add."""

    ids = forms.CharField(
        label=gettext_lazy("Contact ids"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=gettext_lazy("The contacts selected on the contacts list (ids separated by commas)."),
    )
    tag = forms.ModelChoiceField(label=gettext_lazy("Tag"), queryset=Tag.objects.none(), required=False)
    customer_group = forms.ModelChoiceField(
        label=gettext_lazy("Customer group"), queryset=CustomerGroup.objects.none(), required=False
    )
    segment = forms.ModelChoiceField(
        label=gettext_lazy("Segment"), queryset=Segment.objects.none(), required=False
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        segment: Any = self.fields["segment"]
        segment.queryset = access.scope(user, Segment, Action.VIEW).order_by("name", "id")
        tag: Any = self.fields["tag"]
        tag.queryset = Tag.objects.order_by("name")
        group: Any = self.fields["customer_group"]
        group.queryset = CustomerGroup.objects.order_by("name")

    def clean_ids(self) -> list[int]:
        raw = self.cleaned_data.get("ids", "")
        parts = [p for p in _SEPARATORS.split(raw[: MAX_IDS * 12]) if p]
        bad = [p for p in parts if not re.fullmatch(r"\d{1,18}", p)]
        if bad:
            raise forms.ValidationError(
                _("Not a contact id: %(values)s") % {"values": ", ".join(bad[:5])[:100]}
            )
        if len(parts) > MAX_IDS:
            raise forms.ValidationError(_("At most %(max)s contacts at a time.") % {"max": MAX_IDS})
        return sorted({int(p) for p in parts})

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        chosen = [n for n in ("ids", "tag", "customer_group", "segment") if data.get(n)]
        if len(chosen) != 1 and not self.errors:
            raise forms.ValidationError(
                _("Choose the contacts one way: their ids, a tag, a customer group or a segment.")
            )
        return data

    def contacts(self) -> Any:
        data = self.cleaned_data
        if data.get("ids"):
            return Contact.objects.filter(pk__in=data["ids"])
        if data.get("tag"):
            return Contact.objects.filter(tags=data["tag"])
        if data.get("segment"):
            return segments.members(self.user, data["segment"])
        return Contact.objects.filter(customer_group=data["customer_group"])


def _page(request: HttpRequest, campaign: Campaign, form: AudienceAddForm | None, status: int = 200) -> Any:
    user = request.user
    visible = access.scope(user, Contact, Action.VIEW).values("pk")
    everyone = audience.members(campaign)
    members = (
        everyone.filter(contact__in=visible)
        .select_related("contact", "added_by")
        .annotate(
            reachable=Case(When(audience.reachable_q(campaign), then=Value(True)), default=Value(False))
        )
        .order_by("-added_at", "-id")[:SHOWN]
    )
    total = everyone.count()
    reachable = audience.reachable_members(campaign).count()
    can_edit = access.in_scope(user, Action.EDIT, campaign)
    if form is None and can_edit:
        form = AudienceAddForm(initial=_initial(request), user=user)
    context = {
        "object": campaign,
        "members": members,
        "total": total,
        "reachable": reachable,
        "excluded": total - reachable,
        "shown": SHOWN,
        "can_edit": can_edit,
        "can_export": access.can(user, Module.MARKETING, Action.EXPORT),
        "form": form,
    }
    return render(request, "marketing/audience.html", context, status=status)


def _initial(request: HttpRequest) -> dict[str, Any]:
    """The contacts list's selection arrives as ?ids=1,2,3 (or repeated ids=)."""
    ids = ",".join(request.GET.getlist("ids"))[:20_000]
    return {"ids": ids} if ids else {}


@login_required
@require_http_methods(["GET", "POST"])
def campaign_audience(request: HttpRequest, pk: int) -> HttpResponse:
    if request.method == "GET":
        return _page(request, get_record(request, Campaign, pk), None)  # type: ignore[no-any-return]
    campaign = get_record(request, Campaign, pk, Action.EDIT)
    form = AudienceAddForm(request.POST, user=request.user)
    if not form.is_valid():
        return _page(request, campaign, form, status=400)  # type: ignore[no-any-return]
    result = audience.add_members(actor=request.user, campaign=campaign, contacts_qs=form.contacts())
    messages.success(
        request,
        _("%(added)s added, %(already)s already in the audience, %(skipped)s not found.") % result,
    )
    return HttpResponseRedirect(reverse("marketing:campaign_audience", args=[campaign.pk]), status=303)


@login_required
@require_GET
def campaign_audience_export(request: HttpRequest, pk: int) -> HttpResponseBase:
    """Only the reachable members (a current consent for the campaign's channel and marketing) that the
    reader may see; nothing of the others leaves the CRM."""
    campaign = get_record(request, Campaign, pk)
    access.check_module(request.user, Module.MARKETING, Action.EXPORT)
    visible = access.scope(request.user, Contact, Action.VIEW).values("pk")
    rows = (
        audience.reachable_members(campaign)
        .filter(contact__in=visible)
        .select_related("contact")
        .order_by("contact_id")
    )
    channel = campaign.get_contact_channel_display()

    def lines() -> Any:
        for member in rows.iterator(chunk_size=1000):
            contact = member.contact
            phone = to_e164(contact.primary_phone) if contact.primary_phone else None
            # Country code and number without "+" (what the ad tools match on; a "+" cell would be
            # defused as a formula by the CSV writer).
            yield [contact.pk, contact.full_name, (phone or "").lstrip("+"), contact.primary_email, channel]

    header = [_("ID"), _("Full name"), _("Phone"), _("Email"), _("Channel")]
    stamp = timezone.localdate().strftime("%Y%m%d")
    return csv_response(f"audience-{campaign.pk}-{stamp}", header, lines())


urlpatterns = [
    path("campaigns/<int:pk>/audience/", campaign_audience, name="campaign_audience"),
    path("campaigns/<int:pk>/audience/export/", campaign_audience_export, name="campaign_audience_export"),
]
