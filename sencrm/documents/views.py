"""Administration → Company and → Document templates: administrators only (the ADMIN module)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from sencrm.core import access
from sencrm.core.modules import Action, Module
from sencrm.core.record_views import form_post, service_form_page
from sencrm.documents import logos, pdf, selectors, services
from sencrm.documents.choices import DocumentKind
from sencrm.documents.context import COMPANY_FIELDS, sample_context
from sencrm.documents.forms import CompanyForm, TemplateForm
from sencrm.documents.sandbox import TemplateProblem

PREVIEW_NAMES = {
    "quote": "BG-2026-00001",
    "order": "DH-2026-000123",
    "contract": "HD-2026-0007",
    "invoice": "HDDT-2026-00042",
    "receipt": "PT-2026-00042",
}


def _admin(request: HttpRequest, action: str = Action.VIEW) -> None:
    access.check_module(request.user, Module.ADMIN, action)


def _kind(kind: str) -> DocumentKind:
    try:
        return DocumentKind(kind)
    except ValueError:
        raise Http404(str(access.NOT_FOUND)) from None


# ---------------------------------------------------------------------------------------------
# Company


@login_required
@require_http_methods(["GET", "POST"])
def company_edit(request: HttpRequest) -> HttpResponse:
    _admin(request, Action.EDIT if request.method == "POST" else Action.VIEW)
    profile = selectors.company_profile()
    form = CompanyForm(
        request.POST or None, request.FILES or None, instance=profile, initial={"version": profile.version}
    )

    def save() -> Any:
        data = form.cleaned_data
        return services.company_update(
            actor=request.user,
            changes={name: data.get(name, "") for name in COMPANY_FIELDS},
            version=data.get("version"),
            logo=data.get("logo"),
            remove_logo=bool(data.get("remove_logo")),
        )

    context = {"profile": profile, "section": "company"}
    template = "documents/company_form.html"
    return service_form_page(
        request, form, save, template, context, success=_("The company profile was saved.")
    )


@login_required
@require_GET
def company_logo(request: HttpRequest) -> FileResponse:
    _admin(request)
    profile = selectors.company_profile()
    path = logos.logo_path(profile.logo)
    if path is None or profile.logo_type not in logos.CONTENT_TYPES:
        raise Http404(str(access.NOT_FOUND))
    response = FileResponse(path.open("rb"), content_type=logos.CONTENT_TYPES[profile.logo_type])
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-cache"
    return response


# ---------------------------------------------------------------------------------------------
# Document templates


@login_required
@require_GET
def template_list(request: HttpRequest) -> HttpResponse:
    _admin(request)
    return render(
        request,
        "documents/template_list.html",
        {"rows": selectors.template_overview(), "section": "document_templates"},
    )


def _edit_page(
    request: HttpRequest, kind: DocumentKind, form: TemplateForm, status: int = 200
) -> HttpResponse:
    stored = selectors.stored_template(kind)
    context: dict[str, Any] = {
        "form": form,
        "kind": kind,
        "stored": stored,
        "section": "document_templates",
    }
    return render(request, "documents/template_form.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def template_edit(request: HttpRequest, kind: str) -> HttpResponse:
    _admin(request, Action.EDIT if request.method == "POST" else Action.VIEW)
    document_kind = _kind(kind)
    if request.method == "GET":
        stored = selectors.stored_template(document_kind)
        body = stored.body if stored else selectors.default_source(document_kind)
        form = TemplateForm(initial={"body": body, "version": stored.version if stored else 0})
        return _edit_page(request, document_kind, form)
    form = TemplateForm(request.POST)

    def save() -> Any:
        data = form.cleaned_data
        return services.template_save(
            actor=request.user, kind=document_kind, body=data["body"], version=data.get("version")
        )

    return form_post(
        request,
        form,
        save,
        failed=lambda status: _edit_page(request, document_kind, form, status),
        success=_("The template was saved: new documents print with it."),
    )


@login_required
@require_http_methods(["GET", "POST"])
def template_preview(request: HttpRequest, kind: str) -> HttpResponse:
    """The template (GET: as stored; POST: the text being edited, unsaved) over the sample document."""
    _admin(request, Action.EDIT if request.method == "POST" else Action.VIEW)
    document_kind = _kind(kind)
    form = TemplateForm(request.POST) if request.method == "POST" else None
    if form is not None:
        if not form.is_valid():
            return _edit_page(request, document_kind, form, 400)
        source = services.clean_body(form.cleaned_data["body"])
    else:
        source, _custom = selectors.template_source(document_kind)
    try:
        document = pdf.render_source(source, document_kind, sample_context(document_kind))
    except TemplateProblem as exc:
        if form is None:
            form = TemplateForm(initial={"body": source})
            messages.error(request, str(exc))
            return _edit_page(request, document_kind, form, 400)
        form.add_error("body", str(exc))
        return _edit_page(request, document_kind, form, 400)
    return pdf.pdf_response(document, filename=f"{PREVIEW_NAMES[document_kind]}.pdf")


@login_required
@require_POST
def template_reset(request: HttpRequest, kind: str) -> HttpResponse:
    _admin(request, Action.EDIT)
    document_kind = _kind(kind)
    services.template_reset(actor=request.user, kind=document_kind)
    messages.success(request, _("The template is back to the default."))
    return redirect("documents:template_edit", kind=document_kind)
