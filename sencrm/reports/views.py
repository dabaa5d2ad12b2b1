"""The home page: what the signed-in user needs to see first (modules add their widgets later)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from sencrm.activities.selectors import my_day
from sencrm.core import access
from sencrm.core.modules import Action, Module
from sencrm.events.messages import render_notification
from sencrm.events.models import Event, Notification


@login_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    notifications = [
        {"n": n, "text": render_notification(n)}
        for n in Notification.objects.filter(recipient=user, read_at__isnull=True)[:5]
    ]
    my_changes = Event.objects.filter(actor=user).order_by("-id")[:10]
    day = my_day(user=user) if access.can(user, Module.ACTIVITIES, Action.VIEW) else None
    return render(
        request, "reports/home.html", {"notifications": notifications, "my_changes": my_changes, "day": day}
    )
