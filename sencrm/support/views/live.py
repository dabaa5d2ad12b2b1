"""The live screen pop: `GET /live/events/`, a server-sent-events stream per signed-in browser tab carrying
its user's call messages (live.py), and what the browser then asks for: the caller's card of a call
(`support:call_card`, a partial), the quick-create of an unknown caller's contact, and the agent's live page.

The stream is an async view: under the ASGI server (config/asgi.py) a waiting browser holds no worker and
no database connection. Served through WSGI (the test server, `manage.py runserver`) it answers 204, which
tells EventSource to stop trying, instead of tying up a worker thread for good.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
from collections.abc import AsyncIterator
from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.handlers.asgi import ASGIRequest
from django.db import connections, transaction
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import path, reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from sencrm.core import access
from sencrm.core.modules import Action, Module
from sencrm.core.phones import display
from sencrm.core.record_views import add_validation_errors, get_record
from sencrm.support import live
from sencrm.support.call_forms import QuickContactForm
from sencrm.support.calls import call_update
from sencrm.support.card import caller_card, label_customers
from sencrm.support.models import AgentExtension, Call

RINGING_WINDOW = dt.timedelta(seconds=60)  # a call still ringing when the tab (re)connects pops up too
RETRY_LATER_MS = 15_000
log = logging.getLogger(__name__)


def _ringing(user_id: int) -> dict[str, Any] | None:
    """The user's call that rang in the last minute and has not ended: a tab opened (or reconnected)
    while the phone rings shows it."""
    call = (
        Call.objects.filter(
            owner_id=user_id, ended_at__isnull=True, started_at__gte=timezone.now() - RINGING_WINDOW
        )
        .order_by("-started_at", "-id")
        .only("id", "number", "answered_at")
        .first()
    )
    if call is None:
        return None
    return {
        "type": "call",
        "event": "answered" if call.answered_at else "ringing",
        "call": call.pk,
        "number": display(call.number),
        "card": reverse("support:call_card", args=[call.pk]),
    }


def _release_connections() -> None:
    """The stream may stay open for half an hour: it keeps no database connection meanwhile."""
    for connection in connections.all(initialized_only=True):
        if not connection.in_atomic_block:
            connection.close()


def _sse(message: dict[str, Any]) -> str:
    return f"event: {message.get('type', 'message')}\ndata: {json.dumps(message, ensure_ascii=False)}\n\n"


async def _later() -> AsyncIterator[str]:
    yield f"retry: {RETRY_LATER_MS}\n: unavailable\n\n"


async def _stream(subscription: live.Subscription, first: dict[str, Any] | None) -> AsyncIterator[str]:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + settings.LIVE_STREAM_SECONDS
    try:
        # Reconnect after 3 s when the stream ends; the comment opens the stream at once.
        yield "retry: 3000\n: connected\n\n"
        if first is not None:
            yield _sse(first)
        while (left := deadline - loop.time()) > 0:
            message = await subscription.next(min(settings.LIVE_HEARTBEAT_SECONDS, left))
            yield ": ping\n\n" if message is None else _sse(message)
    finally:
        # Also when the browser goes away: Django cancels the stream and the subscription is dropped.
        await subscription.close()


async def live_events(request: HttpRequest) -> HttpResponseBase:
    if request.method != "GET":
        return HttpResponse(status=405, headers={"Allow": "GET"})
    if not isinstance(request, ASGIRequest):
        return HttpResponse(status=204)
    user = await request.auser()
    if not user.is_authenticated:
        return HttpResponse(status=401)
    # Subscribed before the answer starts: a message published once the browser sees the stream open
    # cannot be missed.
    try:
        subscription = await live.subscribe(live.user_channel(user.pk))
    except Exception:  # Redis unreachable: the browser tries again in a while (the call log has the calls)
        log.warning("live events: cannot subscribe", exc_info=True)
        return StreamingHttpResponse(_later(), content_type="text/event-stream; charset=utf-8")
    try:
        first = await sync_to_async(_ringing)(user.pk)
        await sync_to_async(_release_connections)()
    except BaseException:
        await subscription.close()
        raise
    response = StreamingHttpResponse(
        _stream(subscription, first), content_type="text/event-stream; charset=utf-8"
    )
    response["Cache-Control"] = "no-cache, no-store"
    response["X-Accel-Buffering"] = "no"  # nginx: pass each message on at once
    return response


def _call(request: HttpRequest, pk: int, action: str = Action.VIEW) -> Call:
    access.check_module(request.user, Module.SUPPORT, Action.VIEW)
    records = Call.objects.select_related(
        "contact__account", "contact__owner", "account__owner", "lead__owner", "owner"
    )
    call: Call = get_record(request, records, pk, action)
    return call


def _card(
    request: HttpRequest, call: Call, form: QuickContactForm | None = None, status: int = 200
) -> HttpResponse:
    card = caller_card(user=request.user, call=call)
    if form is None and card.can_create_contact:
        form = QuickContactForm(initial={"phone": card.number_display})
    return render(request, "support/partials/caller_card.html", {"card": card, "form": form}, status=status)


@login_required
@require_GET
def call_card(request: HttpRequest, pk: int) -> HttpResponse:
    """The caller's card of a call (the partial the screen pop shows)."""
    return _card(request, _call(request, pk))


@login_required
@require_POST
def call_contact_create(request: HttpRequest, pk: int) -> HttpResponse:
    """The quick-create of the card: a contact with the caller's name and number, linked to the call."""
    from sencrm.customers.services import contact_create

    call = _call(request, pk, Action.EDIT)
    form = QuickContactForm(request.POST)
    if not form.is_valid():
        return _card(request, call, form, status=400)
    try:
        with transaction.atomic():
            access.check_module(request.user, Module.CUSTOMERS, Action.CREATE)
            contact = contact_create(
                actor=request.user,
                data={"full_name": form.cleaned_data["full_name"]},
                phones=[form.cleaned_data["phone"]],
            )
            call = call_update(call, actor=request.user, changes={"contact": contact}, version=None)
    except (ValidationError, PermissionDenied) as exc:
        add_validation_errors(form, exc if isinstance(exc, ValidationError) else ValidationError(str(exc)))
        return _card(request, call, form, status=400)
    return _card(request, _call(request, call.pk))


@login_required
@require_GET
def live_page(request: HttpRequest) -> HttpResponse:
    """The agent's live page: the card of the call that rings, and their calls of today."""
    user: Any = request.user
    access.check_module(user, Module.SUPPORT, Action.VIEW)
    extension = AgentExtension.objects.filter(user=user).values_list("extension", flat=True).first()
    today = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    recent = list(
        access.scope(user, Call, Action.VIEW)
        .filter(owner=user, started_at__gte=today)
        .select_related("contact", "account", "lead")
        .order_by("-started_at", "-id")[:20]
    )
    label_customers(user, recent)
    return render(
        request,
        "support/live.html",
        {"extension": extension, "calls": recent, "live_url": reverse("support:live_events")},
    )


urlpatterns = [
    path("live/events/", live_events, name="live_events"),
    path("care/live/", live_page, name="live"),
    path("care/calls/<int:pk>/card/", call_card, name="call_card"),
    path("care/calls/<int:pk>/contact/", call_contact_create, name="call_contact_create"),
]
