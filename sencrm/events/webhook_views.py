"""Administration → Webhooks: subscriptions, their secret (shown once) and the delivery log with replay."""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import OuterRef, Subquery
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from sencrm.core import access
from sencrm.core.modules import Action, Module
from sencrm.core.record_views import call_service
from sencrm.events.models import DeliveryState, WebhookDelivery, WebhookSubscription
from sencrm.events.webhook_forms import WebhookForm
from sencrm.events.webhooks import services

PAGE = 50
SECTION = "webhooks"


def _admin(request: HttpRequest, action: str) -> None:
    access.check_module(request.user, Module.ADMIN, action)


def _show_secret(request: HttpRequest, subscription: WebhookSubscription, secret: str) -> HttpResponse:
    # Rendered in the answer to the POST, never stored anywhere it could be shown again.
    return render(
        request,
        "events/webhook_secret.html",
        {"subscription": subscription, "secret": secret, "section": SECTION},
    )


@login_required
@require_GET
def webhook_list(request: HttpRequest) -> HttpResponse:
    _admin(request, Action.VIEW)
    last = WebhookDelivery.objects.filter(subscription=OuterRef("pk")).order_by("-id")
    subscriptions = WebhookSubscription.objects.annotate(
        last_state=Subquery(last.values("state")[:1]),
        last_at=Subquery(last.values("created_at")[:1]),
    ).order_by("-id")
    return render(
        request,
        "events/webhook_list.html",
        {"subscriptions": subscriptions, "section": SECTION, "states": dict(DeliveryState.choices)},
    )


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def webhook_create(request: HttpRequest) -> HttpResponse:
    _admin(request, Action.CREATE)
    form = WebhookForm(request.POST or None, initial={"is_active": True})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        result, status = call_service(
            form,
            lambda: services.webhook_create(
                actor=request.user,
                url=data["url"],
                event_types=data["event_types"],
                description=data["description"],
                is_active=data["is_active"],
            ),
        )
        if result is not None:
            subscription, secret = result
            return _show_secret(request, subscription, secret)
    else:
        status = 400 if request.method == "POST" else 200
    return render(request, "events/webhook_form.html", {"form": form, "section": SECTION}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def webhook_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _admin(request, Action.EDIT if request.method == "POST" else Action.VIEW)
    subscription = get_object_or_404(WebhookSubscription, pk=pk)
    form = WebhookForm(request.POST or None, instance=subscription)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            saved, status = call_service(
                form,
                lambda: services.webhook_update(
                    subscription,
                    actor=request.user,
                    version=data["version"],
                    url=data["url"],
                    event_types=data["event_types"],
                    description=data["description"],
                    is_active=data["is_active"],
                ),
            )
            if saved is not None:
                messages.success(request, _("The webhook was saved."))
                return redirect("events:webhook_list")
    return render(
        request,
        "events/webhook_form.html",
        {"form": form, "object": subscription, "section": SECTION},
        status=status,
    )


@login_required
@require_POST
def webhook_set_active(request: HttpRequest, pk: int) -> HttpResponse:
    _admin(request, Action.EDIT)
    subscription = get_object_or_404(WebhookSubscription, pk=pk)
    active = request.POST.get("active") == "1"
    services.webhook_update(subscription, actor=request.user, is_active=active)
    if active:
        messages.success(request, _("The webhook is active."))
    else:
        messages.success(request, _("The webhook is inactive: nothing is sent to it until you activate it."))
    return redirect("events:webhook_list")


@login_required
@require_POST
def webhook_delete(request: HttpRequest, pk: int) -> HttpResponse:
    _admin(request, Action.DELETE)
    subscription = get_object_or_404(WebhookSubscription, pk=pk)
    services.webhook_delete(subscription, actor=request.user)
    messages.success(request, _("The webhook and its delivery log were deleted."))
    return redirect("events:webhook_list")


@never_cache
@login_required
@require_POST
def webhook_rotate_secret(request: HttpRequest, pk: int) -> HttpResponse:
    _admin(request, Action.EDIT)
    subscription = get_object_or_404(WebhookSubscription, pk=pk)
    subscription, secret = services.webhook_rotate_secret(subscription, actor=request.user)
    return _show_secret(request, subscription, secret)


@login_required
@require_GET
def webhook_deliveries(request: HttpRequest, pk: int) -> HttpResponse:
    """The delivery log of one webhook, newest first, paged by id; `?state=` filters."""
    _admin(request, Action.VIEW)
    subscription = get_object_or_404(WebhookSubscription, pk=pk)
    qs = WebhookDelivery.objects.filter(subscription=subscription).defer("body")
    state = request.GET.get("state", "")
    if state:
        if state not in DeliveryState.values:
            return HttpResponseBadRequest(_("Unknown delivery state."))
        qs = qs.filter(state=state)
    before = request.GET.get("before", "")
    if before:
        if not before.isdigit() or len(before) > 18:
            return HttpResponseBadRequest(_("Invalid page."))
        qs = qs.filter(pk__lt=int(before))
    rows = list(qs.order_by("-id")[: PAGE + 1])
    next_before = rows[PAGE - 1].pk if len(rows) > PAGE else None
    return render(
        request,
        "events/webhook_deliveries.html",
        {
            "subscription": subscription,
            "deliveries": rows[:PAGE],
            "next_before": next_before,
            "state": state,
            "states": DeliveryState.choices,
            "section": SECTION,
        },
    )


def _delivery_page(request: HttpRequest, delivery: WebhookDelivery, status: int = 200) -> HttpResponse:
    try:
        body = json.dumps(json.loads(delivery.body), indent=2, ensure_ascii=False)
    except ValueError:
        body = delivery.body
    return render(
        request,
        "events/webhook_delivery.html",
        {
            "subscription": delivery.subscription,
            "delivery": delivery,
            "attempts": delivery.attempt_log.all(),
            "body": body,
            "section": SECTION,
        },
        status=status,
    )


@login_required
@require_GET
def webhook_delivery(request: HttpRequest, pk: int, delivery_pk: int) -> HttpResponse:
    _admin(request, Action.VIEW)
    delivery = get_object_or_404(
        WebhookDelivery.objects.select_related("subscription"), pk=delivery_pk, subscription_id=pk
    )
    return _delivery_page(request, delivery)


@login_required
@require_POST
def webhook_delivery_replay(request: HttpRequest, pk: int, delivery_pk: int) -> HttpResponse:
    _admin(request, Action.EDIT)
    delivery = get_object_or_404(
        WebhookDelivery.objects.select_related("subscription"), pk=delivery_pk, subscription_id=pk
    )
    try:
        services.delivery_replay(delivery, actor=request.user)
    except services.DeliveryInFlight as exc:
        messages.error(request, str(exc))
        return _delivery_page(request, delivery, status=409)
    messages.success(request, _("The delivery was queued to be sent again, with the same delivery id."))
    return redirect("events:webhook_delivery", pk=pk, delivery_pk=delivery_pk)
