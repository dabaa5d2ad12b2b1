"""Sign-in, personal settings, and the administration of users, teams and roles."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from sencrm.core import access
from sencrm.core.modules import Action, Module
from sencrm.users import services
from sencrm.users.choices import Language
from sencrm.users.forms import PreferencesForm, RoleForm, TeamForm, UserForm
from sencrm.users.models import ApiToken, Role, Team, User


class LoginView(auth_views.LoginView):
    template_name = "registration/login.html"
    redirect_authenticated_user = True


@login_required
@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    prefs = PreferencesForm(initial={"language": user.language, "time_zone": user.time_zone})
    password_form = PasswordChangeForm(user)
    if request.method == "POST" and request.POST.get("form") == "preferences":
        prefs = PreferencesForm(request.POST)
        if prefs.is_valid():
            services.user_set_preferences(user=user, **prefs.cleaned_data)
            translation.activate(user.language)
            messages.success(request, _("Your settings were saved."))
            return _with_language_cookie(redirect("users:profile"), user.language)
    elif request.method == "POST" and request.POST.get("form") == "password":
        password_form = PasswordChangeForm(user, request.POST)
        if password_form.is_valid():
            services.user_set_password(
                actor=user, user=user, password=password_form.cleaned_data["new_password1"]
            )
            update_session_auth_hash(request, user)
            messages.success(request, _("Your password was changed."))
            return redirect("users:profile")
    new_token = ""
    if request.method == "POST" and request.POST.get("form") == "token_create":
        days = request.POST.get("expires_days", "")
        expires = None
        if days.isdigit() and 0 < int(days) <= 3650:
            expires = timezone.now() + dt.timedelta(days=int(days))
        elif days:
            messages.error(request, _("Expiry must be a number of days from 1 to 3650."))
        if not days or expires:
            _token, new_token = services.api_token_create(
                user=user, name=request.POST.get("name", ""), expires_at=expires
            )
    elif request.method == "POST" and request.POST.get("form") == "token_revoke":
        token = get_object_or_404(
            ApiToken,
            pk=request.POST.get("token", "0") if request.POST.get("token", "").isdigit() else 0,
            user=user,
        )
        services.api_token_revoke(actor=user, token=token)
        messages.success(request, _("The token was revoked."))
        return redirect("users:profile")
    tokens = ApiToken.objects.filter(user=user)
    return render(
        request,
        "users/profile.html",
        {"prefs": prefs, "password_form": password_form, "tokens": tokens, "new_token": new_token},
    )


def _with_language_cookie(response: HttpResponse, language: str) -> HttpResponse:
    from django.conf import settings

    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=365 * 24 * 3600,
        samesite="Lax",
        secure=settings.LANGUAGE_COOKIE_SECURE,
    )
    return response


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Switch the interface language; a signed-in user keeps the choice in their profile."""
    language = request.POST.get("language", "")
    next_url = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}, require_https=request.is_secure()):
        next_url = "/"
    if language not in Language.values:
        messages.error(request, _("Unknown language."))
        return HttpResponseRedirect(next_url)
    if request.user.is_authenticated:
        services.user_set_preferences(user=request.user, language=language)
    translation.activate(language)
    return _with_language_cookie(HttpResponseRedirect(next_url), language)


def _require_admin(request: HttpRequest, action: str = Action.VIEW) -> None:
    access.check_module(request.user, Module.ADMIN, action)


@login_required
def user_list(request: HttpRequest) -> HttpResponse:
    _require_admin(request)
    users = User.objects.select_related("role").prefetch_related("teams").order_by("username")
    query = request.GET.get("q", "").strip()[:100]
    if query:
        users = users.filter(username__icontains=query) | users.filter(full_name__icontains=query)
    page = Paginator(users, 50).get_page(request.GET.get("page"))
    return render(request, "users/user_list.html", {"page": page, "query": query, "section": "users"})


@login_required
@require_http_methods(["GET", "POST"])
def user_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    _require_admin(request, Action.EDIT if pk else Action.CREATE)
    instance = get_object_or_404(User, pk=pk) if pk else None
    form = UserForm(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        password = data.pop("password")
        try:
            if instance is None:
                user = services.user_create(actor=request.user, password=password, **data)
                messages.success(request, _("User %(name)s was created.") % {"name": user})
            else:
                user = services.user_update(actor=request.user, user=instance, **data)
                if password:
                    services.user_set_password(actor=request.user, user=user, password=password)
                messages.success(request, _("User %(name)s was saved.") % {"name": user})
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        else:
            return redirect("users:user_list")
    status = 400 if request.method == "POST" else 200
    return render(
        request, "users/user_form.html", {"form": form, "object": instance, "section": "users"}, status=status
    )


@login_required
def team_list(request: HttpRequest) -> HttpResponse:
    _require_admin(request)
    teams = Team.objects.annotate(member_count=Count("members")).prefetch_related("members")
    return render(request, "users/team_list.html", {"teams": teams, "section": "teams"})


@login_required
@require_http_methods(["GET", "POST"])
def team_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    _require_admin(request, Action.EDIT if pk else Action.CREATE)
    instance = get_object_or_404(Team, pk=pk) if pk else None
    form = TeamForm(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        team = services.team_save(actor=request.user, team=instance, **form.cleaned_data)
        messages.success(request, _("Team %(name)s was saved.") % {"name": team})
        return redirect("users:team_list")
    status = 400 if request.method == "POST" else 200
    return render(
        request, "users/team_form.html", {"form": form, "object": instance, "section": "teams"}, status=status
    )


@login_required
def role_list(request: HttpRequest) -> HttpResponse:
    _require_admin(request)
    roles = Role.objects.annotate(user_count=Count("users"))
    return render(request, "users/role_list.html", {"roles": roles, "section": "roles"})


@login_required
@require_http_methods(["GET", "POST"])
def role_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    _require_admin(request, Action.EDIT if pk else Action.CREATE)
    instance = get_object_or_404(Role, pk=pk) if pk else None
    form = RoleForm(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        kwargs: dict[str, Any] = {
            "name": form.cleaned_data["name"],
            "description": form.cleaned_data["description"],
        }
        if instance is not None and instance.is_system:
            # Built-in roles store English source texts shown translated: an unchanged (translated)
            # text keeps the source, so the role still reads right in every language.
            if kwargs["name"] == str(instance):
                kwargs["name"] = instance.name
            if kwargs["description"] == _(instance.description):
                kwargs["description"] = instance.description
        if instance is None:
            kwargs["code"] = _unique_role_code(form.cleaned_data["name"])
        try:
            role = services.role_save(actor=request.user, role=instance, grants=form.grants(), **kwargs)
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Role %(name)s was saved.") % {"name": role})
            return HttpResponseRedirect(reverse("users:role_list"))
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "users/role_form.html",
        {"form": form, "object": instance, "actions": list(Action), "section": "roles"},
        status=status,
    )


def _unique_role_code(name: str) -> str:
    from django.utils.text import slugify

    from sencrm.core.text import fold

    base = slugify(fold(name))[:30] or "role"
    code, n = base, 1
    while Role.objects.filter(code=code).exists():
        n += 1
        code = f"{base}-{n}"
    return code
