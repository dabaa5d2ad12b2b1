"""Logging calls, tasks, meetings and notes on a customer; "My day"."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from sencrm.activities import selectors, services
from sencrm.activities.choices import Kind
from sencrm.activities.forms import ActivityForm
from sencrm.activities.models import Activity
from sencrm.core import access, myday
from sencrm.core.modules import Action, Module
from sencrm.core.record_views import add_validation_errors, call_service


def _back(request: HttpRequest, activity: Activity | None = None) -> str:
    nxt = request.POST.get("next") or request.GET.get("next") or ""
    if nxt and url_has_allowed_host_and_scheme(nxt, {request.get_host()}, require_https=request.is_secure()):
        return nxt
    if activity is not None and activity.contact_id:
        return activity.contact.get_absolute_url()  # type: ignore[union-attr]
    if activity is not None and activity.account_id:
        return activity.account.get_absolute_url()  # type: ignore[union-attr]
    if activity is not None and activity.lead_id:
        return reverse("sales:lead_detail", args=[activity.lead_id])
    return reverse("activities:my_day")


@login_required
@require_http_methods(["GET", "POST"])
def activity_create(request: HttpRequest) -> HttpResponse:
    access.check_module(request.user, Module.ACTIVITIES, Action.CREATE)
    initial: dict[str, Any] = {
        "kind": request.GET.get("kind") if request.GET.get("kind") in Kind.values else Kind.TASK
    }
    for field in ("contact", "account", "lead"):
        model: Any = Activity._meta.get_field(field).related_model
        raw = request.GET.get(field, "")
        if raw.isdigit():
            initial[field] = get_object_or_404(access.scope(request.user, model, Action.VIEW), pk=int(raw)).pk
    form = ActivityForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            activity = services.activity_create(
                actor=request.user, data=form.record_changes(), owner=form.cleaned_data.get("owner")
            )
        except ValidationError as exc:
            add_validation_errors(form, exc)
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request,
                _("%(kind)s saved: %(subject)s")
                % {"kind": activity.get_kind_display(), "subject": activity.subject},
            )
            return redirect(_back(request, activity))
    status = 400 if request.method == "POST" else 200
    return render(
        request, "activities/activity_form.html", {"form": form, "next": _back(request)}, status=status
    )


def _get(request: HttpRequest, pk: int, action: str) -> Activity:
    activity: Activity = get_object_or_404(
        access.scope(request.user, Activity, Action.VIEW).select_related("contact", "account", "lead"), pk=pk
    )
    access.check(request.user, action, activity)
    return activity


@login_required
@require_http_methods(["GET", "POST"])
def activity_edit(request: HttpRequest, pk: int) -> HttpResponse:
    activity = _get(request, pk, Action.VIEW)
    can_edit = access.in_scope(request.user, Action.EDIT, activity)
    form = ActivityForm(request.POST or None, instance=activity, user=request.user)
    status = 200
    if request.method == "POST":
        access.check(request.user, Action.EDIT, activity)
        status = 400
        if form.is_valid():
            saved, status = call_service(
                form,
                lambda: services.activity_update(
                    Activity.objects.get(pk=activity.pk),
                    actor=request.user,
                    changes=form.record_changes(),
                    version=form.cleaned_data["version"],
                ),
            )
            if saved is not None:
                messages.success(request, _("Saved."))
                return redirect(_back(request, saved))
    return render(
        request,
        "activities/activity_form.html",
        {"form": form, "object": activity, "can_edit": can_edit, "next": _back(request, activity)},
        status=status,
    )


@login_required
@require_POST
def activity_complete(request: HttpRequest, pk: int) -> HttpResponse:
    activity = _get(request, pk, Action.EDIT)
    services.activity_complete(activity, actor=request.user)
    messages.success(request, _("Marked as done: %(subject)s") % {"subject": activity.subject})
    return redirect(_back(request, activity))


@login_required
@require_POST
def activity_delete(request: HttpRequest, pk: int) -> HttpResponse:
    activity = _get(request, pk, Action.DELETE)
    services.activity_delete(activity, actor=request.user)
    messages.success(request, _("Moved to the trash. You can restore it from the trash."))
    return redirect(_back(request, activity))


@login_required
@require_GET
def my_day(request: HttpRequest) -> HttpResponse:
    if not access.can(request.user, Module.ACTIVITIES, Action.VIEW):
        raise PermissionDenied
    day = selectors.my_day(user=request.user)
    return render(
        request,
        "activities/my_day.html",
        {
            **day,
            "upcoming": selectors.upcoming(user=request.user, limit=10),
            "panels": myday.panels(request.user),  # other modules' work for today (lead follow-ups…)
        },
    )
