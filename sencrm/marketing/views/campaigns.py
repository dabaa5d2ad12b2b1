"""Campaign pages: the list (with each campaign's leads, counted in one query), a campaign's page (its costs
by month, its leads), its form, a cost typed in, and the import of an ad platform's spend export."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import NoReverseMatch, path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from sencrm.core import access
from sencrm.core.htmx import render_page_or_partial
from sencrm.core.modules import Action, Module
from sencrm.core.pagination import BadCursor, keyset_page
from sencrm.core.record_views import add_validation_errors, get_record, record_edit_page, service_form_page
from sencrm.imports.files import UploadRefused
from sencrm.imports.values import CellError, parse_date
from sencrm.marketing import costs_import, selectors, services
from sencrm.marketing.forms import CampaignForm, CostAmountForm, CostForm, CostImportForm
from sencrm.marketing.models import Campaign, CampaignChannel, CampaignCost, EmailCampaign

PAGE_SIZE = 50


def _filters(request: HttpRequest) -> dict[str, Any]:
    """The list's filters, checked (ValidationError: a 400 with the reason)."""
    channel = request.GET.get("channel", "")
    active = request.GET.get("active", "").strip()[:10]
    if channel and channel not in CampaignChannel.values:
        raise ValidationError(_("Some filters are not valid: %(fields)s") % {"fields": _("channel")})
    active_on = None
    if active:
        try:
            active_on = parse_date(active)
        except CellError:
            raise ValidationError(
                _("Some filters are not valid: %(fields)s") % {"fields": _("running on")}
            ) from None
    return {"channel": channel, "active_on": active_on, "query": request.GET.get("q", "")[:100]}


@login_required
@require_GET
def campaign_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    access.check_module(user, Module.MARKETING, Action.VIEW)
    context: dict[str, Any] = {
        "channels": CampaignChannel.choices,
        "channel": request.GET.get("channel", ""),
        "active": request.GET.get("active", "")[:10],
        "query": request.GET.get("q", "")[:100],
        "can_create": access.can(user, Module.MARKETING, Action.CREATE),
        "can_import": access.can(user, Module.MARKETING, Action.IMPORT),
    }
    try:
        qs = selectors.campaign_filter(
            access.scope(user, Campaign, Action.VIEW).select_related("owner"), **_filters(request)
        )
        page = keyset_page(
            qs, sort="start_date", descending=True, cursor=request.GET.get("cursor"), size=PAGE_SIZE
        )
    except ValidationError as exc:
        context["error"] = " ".join(exc.messages)
        return render(request, "marketing/campaign_list.html", context, status=400)
    except BadCursor:
        context["error"] = _("This page link is no longer valid. Start again from the first page.")
        return render(request, "marketing/campaign_list.html", context, status=400)
    counts = selectors.lead_counts(user, [c.pk for c in page.rows])
    for campaign in page.rows:
        campaign.lead_count = counts.get(campaign.pk, 0)
    context["page"] = page
    return render_page_or_partial(
        request, "marketing/campaign_list.html", "marketing/partials/campaign_rows.html", context
    )


def _audience_url(campaign: Campaign) -> str:
    """The campaign's audience page (built by the audience part of the issue), when it exists."""
    try:
        return reverse("marketing:campaign_audience", args=[campaign.pk])
    except NoReverseMatch:
        return ""


@login_required
@require_GET
def campaign_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    campaign = get_record(request, Campaign.objects.select_related("owner", "team"), pk)
    months = selectors.costs_by_month(campaign)
    chart = {
        "labels": [m["month"].strftime("%m/%Y") for m in months],
        "datasets": [{"label": str(_("Cost")), "data": [int(m["amount"]) for m in months]}],
    }
    can_edit = access.in_scope(user, Action.EDIT, campaign)
    context = {
        "object": campaign,
        "months": months,
        "chart": chart,
        "costs": list(campaign.costs.order_by("-date", "origin")[:60]),
        "leads": selectors.campaign_leads(user, campaign),
        "lead_count": selectors.lead_counts(user, [campaign.pk]).get(campaign.pk, 0),
        "can_edit": can_edit,
        "can_delete": access.in_scope(user, Action.DELETE, campaign),
        "can_import": access.can(user, Module.MARKETING, Action.IMPORT),
        "cost_form": CostForm() if can_edit else None,
        "audience_url": _audience_url(campaign),
    }
    email = EmailCampaign.objects.filter(campaign_id=campaign.pk).first()
    if email is not None and access.in_scope(user, Action.VIEW, email):
        from sencrm.marketing.views.email_campaigns import email_figures

        context.update(email=email, **email_figures(email))
    return render(request, "marketing/campaign_detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def campaign_create(request: HttpRequest) -> HttpResponse:
    access.check_module(request.user, Module.MARKETING, Action.CREATE)
    form = CampaignForm(request.POST or None, user=request.user)

    def save() -> Campaign:
        data = {k: v for k, v in form.record_changes().items() if k != "version"}
        return services.campaign_create(actor=request.user, data=data)

    return service_form_page(request, form, save, "marketing/campaign_form.html", {"object": None})


@login_required
@require_http_methods(["GET", "POST"])
def campaign_edit(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = get_record(request, Campaign, pk, Action.EDIT)
    return record_edit_page(
        request, campaign, CampaignForm, services.campaign_update, "marketing/campaign_form.html"
    )


@login_required
@require_POST
def campaign_delete(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = get_record(request, Campaign, pk, Action.DELETE)
    services.campaign_delete(campaign, actor=request.user)
    messages.success(request, _("Moved to the trash. You can restore it from the trash."))
    return HttpResponseRedirect(reverse("marketing:campaign_list"))


def _costs_page(request: HttpRequest, campaign: Campaign, status: int = 200, **extra: Any) -> HttpResponse:
    context = {
        "object": campaign,
        "costs": list(campaign.costs.select_related("created_by").order_by("-date", "origin")[:2000]),
        "months": selectors.costs_by_month(campaign),
        "can_edit": access.in_scope(request.user, Action.EDIT, campaign),
        **extra,
    }
    return render(request, "marketing/campaign_costs.html", context, status=status)


@login_required
@require_GET
def campaign_costs(request: HttpRequest, pk: int) -> HttpResponse:
    """Every cost entry of the campaign, newest first; each amount can be corrected in place."""
    return _costs_page(request, get_record(request, Campaign, pk))


@login_required
@require_POST
def campaign_cost_edit(request: HttpRequest, pk: int, cost_pk: int) -> HttpResponse:
    """Correct one cost's amount (a later import of the same file sets it again)."""
    campaign = get_record(request, Campaign, pk, Action.EDIT)
    cost = get_object_or_404(CampaignCost, pk=cost_pk, campaign=campaign)
    form = CostAmountForm(request.POST)
    if form.is_valid():
        try:
            services.cost_update(cost, actor=request.user, amount=form.cleaned_data["amount"])
        except ValidationError as exc:
            add_validation_errors(form, exc)
    if form.errors:
        problems = [str(m) for errors in form.errors.values() for m in errors]
        return _costs_page(request, campaign, 400, edit_error={"id": cost.pk, "messages": problems})
    messages.success(request, _("Cost changed."))
    return HttpResponseRedirect(reverse("marketing:campaign_costs", args=[campaign.pk]))


@login_required
@require_http_methods(["GET", "POST"])
def campaign_cost_add(request: HttpRequest, pk: int) -> HttpResponse:
    campaign: Campaign = get_record(request, Campaign, pk, Action.EDIT)
    form = CostForm(request.POST or None, initial={"date": timezone.localdate()})

    def save() -> Campaign:
        data = form.cleaned_data
        services.cost_add(
            campaign, actor=request.user, date=data["date"], amount=data["amount"], by_month=data["by_month"]
        )
        return campaign

    return service_form_page(
        request,
        form,
        save,
        "marketing/campaign_cost_form.html",
        {"object": campaign},
        success=_("Cost added."),
    )


@login_required
@require_POST
def campaign_cost_delete(request: HttpRequest, pk: int, cost_pk: int) -> HttpResponse:
    campaign = get_record(request, Campaign, pk, Action.EDIT)
    cost = get_object_or_404(CampaignCost, pk=cost_pk, campaign=campaign)
    services.cost_delete(cost, actor=request.user)
    messages.success(request, _("Cost deleted."))
    return HttpResponseRedirect(reverse("marketing:campaign_costs", args=[campaign.pk]))


@login_required
@require_http_methods(["GET", "POST"])
def campaign_cost_import(request: HttpRequest) -> HttpResponse:
    """Upload an export; the answer is the result: what was stored per campaign, and each rejected row."""
    access.check_module(request.user, Module.MARKETING, Action.IMPORT)
    form = CostImportForm(request.POST or None, request.FILES or None)
    context: dict[str, Any] = {"form": form}
    if request.method != "POST":
        return render(request, "marketing/campaign_cost_import.html", context)
    if not form.is_valid():
        return render(request, "marketing/campaign_cost_import.html", context, status=400)
    upload = form.cleaned_data["file"]
    try:
        parsed, result = costs_import.import_upload(
            upload, actor=request.user, name=upload.name, size=upload.size, override=form.override(),
            origin=form.cleaned_data["origin"],
        )  # fmt: skip
    except (UploadRefused, costs_import.CostFileError) as exc:
        form.add_error("file", str(exc))
        return render(request, "marketing/campaign_cost_import.html", context, status=400)
    except ValidationError as exc:
        add_validation_errors(form, exc)
        return render(request, "marketing/campaign_cost_import.html", context, status=400)
    context.update({"parsed": parsed, "result": result, "file_name": upload.name})
    return render(request, "marketing/campaign_cost_result.html", context)


urlpatterns = [
    path("campaigns/", campaign_list, name="campaign_list"),
    path("campaigns/new/", campaign_create, name="campaign_create"),
    path("campaigns/import-costs/", campaign_cost_import, name="campaign_cost_import"),
    path("campaigns/<int:pk>/", campaign_detail, name="campaign_detail"),
    path("campaigns/<int:pk>/edit/", campaign_edit, name="campaign_edit"),
    path("campaigns/<int:pk>/delete/", campaign_delete, name="campaign_delete"),
    path("campaigns/<int:pk>/costs/", campaign_costs, name="campaign_costs"),
    path("campaigns/<int:pk>/costs/add/", campaign_cost_add, name="campaign_cost_add"),
    path("campaigns/<int:pk>/costs/<int:cost_pk>/delete/", campaign_cost_delete, name="campaign_cost_delete"),
    path("campaigns/<int:pk>/costs/<int:cost_pk>/edit/", campaign_cost_edit, name="campaign_cost_edit"),
]
