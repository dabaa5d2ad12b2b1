"""What the settings pages share: the right to read or change them, and the form page that calls a
service and shows its refusal on the form (see config.py for who may)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from sencrm.core import access
from sencrm.core.modules import Action, Module
from sencrm.support import config_services


def require_read(request: HttpRequest) -> None:
    config_services.check_read(request.user)


def require_write(request: HttpRequest) -> None:
    config_services.check_configure(request.user)


def page_context(request: HttpRequest, tab: str) -> dict[str, Any]:
    """The settings tabs, and the Administration tabs above them for administrators."""
    return {
        "tab": tab,
        "can_configure": config_services.can_configure(request.user),
        "show_admin_tabs": access.can(request.user, Module.ADMIN, Action.VIEW),
    }


def add_service_errors(form: forms.BaseForm, exc: ValidationError) -> None:
    """A service's ValidationError on the form: per field when the form has it (under the form's name
    for it, `service_fields`), else at the top."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    names: dict[str, str] = getattr(form, "service_fields", {})
    for name, errors in exc.error_dict.items():
        name = names.get(name, name)
        form.add_error(name if name in form.fields else None, errors)


def form_page(
    request: HttpRequest,
    form: forms.BaseForm,
    save: Callable[[], Any],
    *,
    template: str,
    context: dict[str, Any],
    success_url: str | Callable[[Any], str],
    success: str,
) -> HttpResponse:
    """A create or edit page: the form on GET; on POST (the caller checked the right) the service
    called for a valid form, then the message (`success` may name the row as %(name)s) and the list;
    else the form again with the reasons, answered 400."""
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                saved = save()
            except ValidationError as exc:
                add_service_errors(form, exc)
            except PermissionDenied as exc:
                form.add_error(None, str(exc))
                status = 403
            else:
                messages.success(request, success % {"name": saved})
                return redirect(success_url(saved) if callable(success_url) else success_url)
    return render(request, template, {"form": form, **context}, status=status)


def config_edit(
    request: HttpRequest,
    pk: int | None,
    *,
    model: type[Any],
    form_class: type[Any],
    save: Callable[[Any, dict[str, Any]], Any],
    tab: str,
    list_name: str,
    new_title: str,
    template: str = "support/config_form.html",
    form_kwargs: dict[str, Any] | None = None,
) -> HttpResponse:
    """A settings row's create (pk None) or edit page: readers see the form read-only; a POST needs
    the right to change the settings (403 otherwise, before anything is read from it)."""
    if request.method == "POST" or pk is None:
        require_write(request)
    else:
        require_read(request)
    instance = get_object_or_404(model, pk=pk) if pk is not None else None
    can = config_services.can_configure(request.user)
    data = request.POST if request.method == "POST" else None
    form = form_class(data, instance=instance, read_only=not can, **(form_kwargs or {}))
    list_url = reverse(list_name)
    context = {
        **page_context(request, tab),
        "object": instance,
        "title": str(instance) if instance is not None else new_title,
        "list_url": list_url,
    }
    return form_page(
        request,
        form,
        lambda: save(instance, form.values()),
        template=template,
        context=context,
        success_url=list_url,
        success=_("%(name)s was saved."),
    )
