"""The home page: what the signed-in user needs to see first, with the widgets of the modules the
role grants (the sales dashboard for sales users and managers)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from sencrm.activities.selectors import my_day
from sencrm.core import access, homepage
from sencrm.core.modules import Action, Module
from sencrm.events.messages import render_notifications
from sencrm.events.models import Notification
from sencrm.events.selectors import recent_changes


@login_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    unread = Notification.objects.filter(recipient_id=user.pk, read_at__isnull=True).select_related(
        "event__actor"
    )
    notifications = [{"n": n, "text": text} for n, text in render_notifications(list(unread[:5]))]
    my_changes = recent_changes(user=user)
    day = my_day(user=user) if access.can(user, Module.ACTIVITIES, Action.VIEW) else None
    context = {"notifications": notifications, "my_changes": my_changes, "day": day}
    context.update(homepage.widgets(user))  # the modules' widgets (the sales dashboard…)
    return render(request, "home/home.html", context)
