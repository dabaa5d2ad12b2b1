"""Settings pages about people: agents' absences (routing skips them) and phone extensions (which
user's screen pops up when an extension rings)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from sencrm.support import config_services
from sencrm.support.config_forms import AbsenceForm, ExtensionForm
from sencrm.support.models import Absence, AgentExtension
from sencrm.support.views.config_base import form_page, page_context, require_read, require_write

PAGE_SIZE = 50


@login_required
@require_GET
def absence_list(request: HttpRequest) -> HttpResponse:
    """Current and coming absences (`?past=1`: those over, latest first)."""
    require_read(request)
    past = request.GET.get("past") == "1"
    now = timezone.now()
    absences = Absence.objects.select_related("user")
    if past:
        absences = absences.filter(ends_at__lte=now).order_by("-ends_at", "-id")
    else:
        absences = absences.filter(ends_at__gt=now).order_by("starts_at", "id")
    page = Paginator(absences, PAGE_SIZE).get_page(request.GET.get("page"))
    manageable = set(config_services.absence_users(request.user).values_list("pk", flat=True))
    context = {
        **page_context(request, "absences"),
        "page": page,
        "past": past,
        "now": now,
        "manageable": manageable,
        "can_add": bool(manageable),
    }
    return render(request, "support/config_absences.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def absence_create(request: HttpRequest) -> HttpResponse:
    """An agent records their own absence, a queue's lead their members', the settings' editors anyone's."""
    require_read(request)
    if not config_services.absence_users(request.user).exists():
        raise PermissionDenied(_("Your role does not allow this action."))
    form = AbsenceForm(request.POST if request.method == "POST" else None, actor=request.user)
    list_url = reverse("support:absence_list")

    def save() -> Absence:
        return config_services.absence_create(actor=request.user, **form.cleaned_data)

    context = {**page_context(request, "absences"), "title": _("New absence"), "list_url": list_url}
    return form_page(
        request,
        form,
        save,
        template="support/config_form.html",
        context=context,
        success_url=list_url,
        success=_("The absence was recorded: %(name)s"),
    )


@login_required
@require_POST
def absence_delete(request: HttpRequest, pk: int) -> HttpResponse:
    require_read(request)
    absence = get_object_or_404(Absence.objects.select_related("user"), pk=pk)
    config_services.absence_delete(actor=request.user, absence=absence)  # PermissionDenied: 403
    messages.success(request, _("The absence was removed."))
    return redirect("support:absence_list")


@login_required
@require_GET
def extension_list(request: HttpRequest) -> HttpResponse:
    require_read(request)
    extensions = AgentExtension.objects.select_related("user").order_by("extension")
    page = Paginator(extensions, PAGE_SIZE * 2).get_page(request.GET.get("page"))
    context = {**page_context(request, "extensions"), "page": page}
    return render(request, "support/config_extensions.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def extension_create(request: HttpRequest) -> HttpResponse:
    """Give a user an extension (a user who has one gets the new one instead); ?user=<id> picks the user."""
    require_write(request)
    # ?user=<id> opens the form for one user (a link from the user's page).
    user_id = request.GET.get("user", "")
    initial = {"user": int(user_id)} if user_id.isdigit() and len(user_id) < 10 else {}
    form = ExtensionForm(request.POST if request.method == "POST" else None, initial=initial)
    list_url = reverse("support:extension_list")

    def save() -> AgentExtension:
        return config_services.extension_set(actor=request.user, **form.cleaned_data)

    context = {
        **page_context(request, "extensions"),
        "title": _("Set a phone extension"),
        "list_url": list_url,
    }
    return form_page(
        request,
        form,
        save,
        template="support/config_form.html",
        context=context,
        success_url=list_url,
        success=_("Saved: %(name)s"),
    )


@login_required
@require_POST
def extension_delete(request: HttpRequest, pk: int) -> HttpResponse:
    require_write(request)
    extension = get_object_or_404(AgentExtension.objects.select_related("user"), pk=pk)
    config_services.extension_delete(actor=request.user, extension=extension)
    messages.success(request, _("Extension %(ext)s was removed.") % {"ext": extension.extension})
    return redirect("support:extension_list")


urlpatterns = [
    path("support/settings/absences/", absence_list, name="absence_list"),
    path("support/settings/absences/new/", absence_create, name="absence_create"),
    path("support/settings/absences/<int:pk>/delete/", absence_delete, name="absence_delete"),
    path("support/settings/extensions/", extension_list, name="extension_list"),
    path("support/settings/extensions/new/", extension_create, name="extension_create"),
    path("support/settings/extensions/<int:pk>/delete/", extension_delete, name="extension_delete"),
]
