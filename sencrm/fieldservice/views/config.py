"""After-sales settings (/field-service/settings/): skills, technicians and the checklist of each work type.

Who may (config_services.can_configure / can_read, checked here and again by the services): change,
a role with `fieldservice` edit at the scope *all* (care, which dispatches) or `admin` edit; read, any
role with `fieldservice` view or `admin` view (a technician sees the settings read-only; every write
answers 403). Everyone else gets 403 on every page.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from sencrm.core import access
from sencrm.core.modules import Action, Module
from sencrm.fieldservice import config_services
from sencrm.fieldservice.config_forms import ChecklistItemForm, SkillForm, TechnicianForm
from sencrm.fieldservice.models import ChecklistItem, Skill, Technician, WorkKind

SECTIONS: list[tuple[str, Any, Any, Any]] = [
    ("fieldservice:skill_list", gettext_lazy("Skills"), gettext_lazy("What technicians can do."), Skill),
    (
        "fieldservice:technician_list",
        gettext_lazy("Technicians"),
        gettext_lazy("Skills, provinces served, phone, colour, whether they take jobs."),
        Technician,
    ),
    (
        "fieldservice:checklist_list",
        gettext_lazy("Checklists"),
        gettext_lazy("The steps of each work type, ticked on site."),
        ChecklistItem,
    ),
]


def _read(request: HttpRequest) -> None:
    config_services.check_read(request.user)


def _write(request: HttpRequest) -> None:
    config_services.check_configure(request.user)


def _context(request: HttpRequest, tab: str) -> dict[str, Any]:
    return {
        "tab": tab,
        "can_configure": config_services.can_configure(request.user),
        "show_admin_tabs": access.can(request.user, Module.ADMIN, Action.VIEW),
    }


def _service_errors(form: forms.BaseForm, exc: ValidationError) -> None:
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for name, errors in exc.error_dict.items():
        form.add_error(name if name in form.fields else None, errors)


def _edit(
    request: HttpRequest,
    pk: int | None,
    *,
    model: type[Any],
    form_class: type[Any],
    save: Callable[[Any, dict[str, Any]], Any],
    tab: str,
    list_name: str,
    new_title: str,
) -> HttpResponse:
    """A settings row's create (pk None) or edit page; readers see it read-only, a POST needs the right
    to change (403 before anything is read from it); a refused save shows the form again (400)."""
    if request.method == "POST" or pk is None:
        _write(request)
    else:
        _read(request)
    instance = get_object_or_404(model, pk=pk) if pk is not None else None
    can = config_services.can_configure(request.user)
    form = form_class(
        request.POST if request.method == "POST" else None, instance=instance, read_only=not can
    )
    list_url = reverse(list_name)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                saved = save(instance, form.values())
            except ValidationError as exc:
                _service_errors(form, exc)
            else:
                messages.success(request, _("%(name)s was saved.") % {"name": saved})
                return redirect(list_url)
    context = {
        **_context(request, tab),
        "form": form,
        "object": instance,
        "title": str(instance) if instance is not None else new_title,
        "list_url": list_url,
    }
    return render(request, "fieldservice/config_form.html", context, status=status)


@login_required
@require_GET
def config_index(request: HttpRequest) -> HttpResponse:
    _read(request)
    sections = [
        {"url_name": url_name, "title": title, "text": text, "count": model.objects.count()}
        for url_name, title, text, model in SECTIONS
    ]
    return render(
        request, "fieldservice/config_index.html", {**_context(request, "index"), "sections": sections}
    )


# --- skills -------------------------------------------------------------------------------------------


@login_required
@require_GET
def skill_list(request: HttpRequest) -> HttpResponse:
    _read(request)
    skills = Skill.objects.annotate(n=Count("technicians")).order_by("name")
    return render(
        request, "fieldservice/config_skills.html", {**_context(request, "skills"), "skills": skills}
    )


@login_required
@require_http_methods(["GET", "POST"])
def skill_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    return _edit(
        request,
        pk,
        model=Skill,
        form_class=SkillForm,
        save=lambda obj, data: config_services.skill_save(actor=request.user, skill=obj, **data),
        tab="skills",
        list_name="fieldservice:skill_list",
        new_title=_("New skill"),
    )


@login_required
@require_POST
def skill_delete(request: HttpRequest, pk: int) -> HttpResponse:
    _write(request)
    skill = get_object_or_404(Skill, pk=pk)
    try:
        config_services.skill_delete(actor=request.user, skill=skill)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return render(
            request,
            "fieldservice/config_skills.html",
            {**_context(request, "skills"), "skills": Skill.objects.annotate(n=Count("technicians"))},
            status=400,
        )
    messages.success(request, _("%(name)s was deleted.") % {"name": skill.name})
    return redirect("fieldservice:skill_list")


# --- technicians --------------------------------------------------------------------------------------


@login_required
@require_GET
def technician_list(request: HttpRequest) -> HttpResponse:
    _read(request)
    technicians = (
        Technician.objects.select_related("user")
        .prefetch_related("skills", "provinces")
        .order_by("-active", "user__full_name", "user__username")
    )
    context = {**_context(request, "technicians"), "technicians": technicians}
    return render(request, "fieldservice/config_technicians.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def technician_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    return _edit(
        request,
        pk,
        model=Technician,
        form_class=TechnicianForm,
        save=lambda obj, data: config_services.technician_save(actor=request.user, technician=obj, **data),
        tab="technicians",
        list_name="fieldservice:technician_list",
        new_title=_("New technician"),
    )


# --- checklists ---------------------------------------------------------------------------------------


@login_required
@require_GET
def checklist_list(request: HttpRequest) -> HttpResponse:
    _read(request)
    steps = list(ChecklistItem.objects.order_by("kind", "position", "id"))
    groups = [
        {"kind": kind, "label": label, "steps": [s for s in steps if s.kind == kind]}
        for kind, label in WorkKind.choices
    ]
    context = {**_context(request, "checklists"), "groups": groups}
    return render(request, "fieldservice/config_checklists.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def checklist_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    return _edit(
        request,
        pk,
        model=ChecklistItem,
        form_class=ChecklistItemForm,
        save=lambda obj, data: config_services.checklist_save(actor=request.user, item=obj, **data),
        tab="checklists",
        list_name="fieldservice:checklist_list",
        new_title=_("New checklist step"),
    )


@login_required
@require_POST
def checklist_delete(request: HttpRequest, pk: int) -> HttpResponse:
    _write(request)
    item = get_object_or_404(ChecklistItem, pk=pk)
    config_services.checklist_delete(actor=request.user, item=item)
    messages.success(request, _("The step was deleted."))
    return redirect("fieldservice:checklist_list")


@login_required
@require_POST
def checklist_move(request: HttpRequest, pk: int) -> HttpResponse:
    _write(request)
    item = get_object_or_404(ChecklistItem, pk=pk)
    config_services.checklist_move(actor=request.user, item=item, up=request.POST.get("direction") == "up")
    return redirect("fieldservice:checklist_list")


urlpatterns = [
    path("field-service/settings/", config_index, name="config_index"),
    path("field-service/settings/skills/", skill_list, name="skill_list"),
    path("field-service/settings/skills/new/", skill_edit, name="skill_create"),
    path("field-service/settings/skills/<int:pk>/edit/", skill_edit, name="skill_edit"),
    path("field-service/settings/skills/<int:pk>/delete/", skill_delete, name="skill_delete"),
    path("field-service/settings/technicians/", technician_list, name="technician_list"),
    path("field-service/settings/technicians/new/", technician_edit, name="technician_create"),
    path("field-service/settings/technicians/<int:pk>/edit/", technician_edit, name="technician_edit"),
    path("field-service/settings/checklists/", checklist_list, name="checklist_list"),
    path("field-service/settings/checklists/new/", checklist_edit, name="checklist_create"),
    path("field-service/settings/checklists/<int:pk>/edit/", checklist_edit, name="checklist_edit"),
    path("field-service/settings/checklists/<int:pk>/delete/", checklist_delete, name="checklist_delete"),
    path("field-service/settings/checklists/<int:pk>/move/", checklist_move, name="checklist_move"),
]
