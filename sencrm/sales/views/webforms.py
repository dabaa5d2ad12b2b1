"""Web-to-lead forms for administrators: list, configure, embed (public URL and HTML snippets), log."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count, Max, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.templatetags.static import static
from django.urls import NoReverseMatch, reverse
from django.utils.html import escape
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from sencrm.core import access
from sencrm.core.modules import Action, Module
from sencrm.core.record_views import call_service
from sencrm.sales.models import WebForm, WebFormSubmission
from sencrm.sales.services import settings as services
from sencrm.sales.settings_forms import WebFormForm

LOG_SIZE = 50

OUTCOME_LABELS = {
    "created": gettext_lazy("Lead created"),
    "invalid": gettext_lazy("Invalid input"),
    "spam": gettext_lazy("Spam"),
    "limited": gettext_lazy("Too many submissions"),
}


@login_required
@require_GET
def webform_list(request: HttpRequest) -> HttpResponse:
    access.check_module(request.user, Module.ADMIN, Action.VIEW)
    forms = WebForm.objects.annotate(
        leads_created=Count("submissions", filter=Q(submissions__outcome="created")),
        last_submission=Max("submissions__submitted_at"),
    ).order_by("name", "id")
    return render(request, "sales/webform_list.html", {"forms": forms, "section": "webforms"})


def embed_snippets(request: HttpRequest, form: WebForm) -> dict[str, str]:
    """The public address and the two ways to put the form on another site, as absolute URLs."""
    url = request.build_absolute_uri(reverse("sales:webform_public", args=[form.key]))
    script = request.build_absolute_uri(static("js/senform-embed.js"))
    title = escape(form.title or form.name)
    return {
        "public_url": url,
        "iframe": f'<iframe src="{url}" title="{title}" width="100%" height="720" frameborder="0" '
        f'loading="lazy"></iframe>',
        "script": f'<script src="{script}" data-form="{url}" data-title="{title}" async></script>',
    }


def _lead_url(lead: Any) -> str:
    try:
        return str(lead.get_absolute_url())
    except NoReverseMatch:  # the lead pages are not installed
        return ""


def submission_log(form: WebForm) -> list[dict[str, Any]]:
    rows = WebFormSubmission.objects.filter(form=form).select_related("lead").order_by("-submitted_at", "-id")
    return [
        {
            "at": s.submitted_at,
            "outcome": s.outcome,
            "outcome_label": OUTCOME_LABELS.get(s.outcome, s.outcome),
            "lead": s.lead,
            "lead_url": _lead_url(s.lead) if s.lead is not None else "",
        }
        for s in rows[:LOG_SIZE]
    ]


def _save(request: HttpRequest, instance: WebForm | None, cleaned: dict[str, Any]) -> WebForm:
    data = dict(cleaned)
    data["fields"] = data.pop("asked_fields")
    try:
        return services.webform_save(actor=request.user, form=instance, **data)
    except ValidationError as exc:
        # The service names the model's field; the form calls it asked_fields.
        if hasattr(exc, "error_dict"):
            raise ValidationError(
                {("asked_fields" if k == "fields" else k): v for k, v in exc.error_dict.items()}
            ) from exc
        raise


@login_required
@require_http_methods(["GET", "POST"])
def webform_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    if request.method == "POST":
        access.check_module(request.user, Module.ADMIN, Action.EDIT if pk else Action.CREATE)
    else:
        access.check_module(request.user, Module.ADMIN, Action.VIEW)
    instance = get_object_or_404(WebForm, pk=pk) if pk else None
    initial: dict[str, Any] = {}
    if instance is not None:
        initial = {
            "name": instance.name,
            "is_active": instance.is_active,
            "title": instance.title,
            "asked_fields": instance.fields,
            "required_fields": instance.required_fields,
            "thank_you": instance.thank_you,
            "consent_text": instance.consent_text,
            "owner": instance.owner_id,
            "team": instance.team_id,
            "source": instance.source_id,
            "campaign": instance.campaign,
        }
    form = WebFormForm(
        request.POST or None,
        initial=initial,
        current_source_id=instance.source_id if instance is not None else None,
    )
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            saved, status = call_service(form, lambda: _save(request, instance, form.cleaned_data))
            if saved is not None:
                messages.success(request, _("Web form %(name)s was saved.") % {"name": saved.name})
                return redirect("sales:webform_edit", pk=saved.pk)
    context: dict[str, Any] = {"form": form, "object": instance, "section": "webforms"}
    if instance is not None:
        context.update(embed_snippets(request, instance))
        context["submissions"] = submission_log(instance)
    return render(request, "sales/webform_form.html", context, status=status)


@login_required
@require_POST
def webform_delete(request: HttpRequest, pk: int) -> HttpResponse:
    access.check_module(request.user, Module.ADMIN, Action.DELETE)
    form = get_object_or_404(WebForm, pk=pk)
    services.webform_delete(actor=request.user, form=form)
    messages.success(request, _("Web form %(name)s was deleted; its leads stay.") % {"name": form.name})
    return redirect("sales:webform_list")
