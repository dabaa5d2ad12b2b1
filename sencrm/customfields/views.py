"""Administration of custom fields."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from sencrm.core import access
from sencrm.core.modules import Action, Module
from sencrm.customfields import services
from sencrm.customfields.forms import CustomFieldForm
from sencrm.customfields.models import CustomField


@login_required
@require_GET
def custom_field_list(request: HttpRequest) -> HttpResponse:
    access.check_module(request.user, Module.ADMIN, Action.VIEW)
    fields = CustomField.objects.select_related("content_type")
    return render(
        request, "customfields/custom_field_list.html", {"fields": fields, "section": "custom_fields"}
    )


@login_required
@require_http_methods(["GET", "POST"])
def custom_field_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    access.check_module(request.user, Module.ADMIN, Action.EDIT if pk else Action.CREATE)
    instance = get_object_or_404(CustomField, pk=pk) if pk else None
    form = CustomFieldForm(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        if instance is not None:
            for name in ("content_type", "key", "type"):
                data.pop(name, None)
        field = services.custom_field_save(actor=request.user, field=instance, **data)
        messages.success(request, _("Custom field %(label)s was saved.") % {"label": field.label})
        return redirect("customfields:custom_field_list")
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "customfields/custom_field_form.html",
        {"form": form, "object": instance, "section": "custom_fields"},
        status=status,
    )


@login_required
@require_POST
def custom_field_delete(request: HttpRequest, pk: int) -> HttpResponse:
    field = get_object_or_404(CustomField, pk=pk)
    services.custom_field_delete(actor=request.user, field=field)
    messages.success(request, _("Custom field %(label)s was removed.") % {"label": field.label})
    return redirect("customfields:custom_field_list")
