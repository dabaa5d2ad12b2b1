"""Email campaigns' pages: the list with results, a form (segment, subject and body with merge fields),
the campaign's page (who it reaches, preview with a real contact, test send, schedule or send now, a
progress bar while the worker sends, results with rates, recipients by status), and the public links a
message carries (tracking pixel, signed click redirect)."""

from __future__ import annotations

import base64
import contextlib
from typing import Any

from csp.constants import NONE
from csp.decorators import csp_replace
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from sencrm.core import access
from sencrm.core.modules import Action, Module
from sencrm.core.record_views import (
    RecordForm,
    get_record,
    record_edit_page,
    service_form_page,
    trash_and_redirect,
)
from sencrm.customers.models import Contact
from sencrm.documents.sandbox import TemplateProblem
from sencrm.marketing import email_tracking, emailing
from sencrm.marketing.models import (
    EmailCampaign,
    EmailCampaignStatus,
    EmailRecipient,
    RecipientStatus,
    Segment,
)

PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")
MERGE_HELP = gettext_lazy(
    "Merge fields: {{ contact.salutation }}, {{ contact.name }}, {{ contact.first_name }}, "
    "{{ contact.email }}, {{ contact.company }}, {{ contact.province }}, {{ company.name }}, "
    "{{ campaign.name }}, {{ unsubscribe_url }}. Links (https://…) are tracked; an unsubscribe link is "
    "added at the bottom when the body has none."
)


class EmailCampaignForm(RecordForm):
    owner_module = Module.MARKETING

    class Meta:
        model = EmailCampaign
        fields = ["name", "segment", "subject", "body", "owner"]

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        if not self.instance.pk:
            self.fields["version"].required = False
        segment: Any = self.fields["segment"]
        segment.queryset = access.scope(user, Segment, Action.VIEW).order_by("name")
        self.fields["body"].widget = forms.Textarea(attrs={"rows": 14, "class": "font-monospace"})
        self.fields["body"].help_text = MERGE_HELP


def _rates(email: EmailCampaign) -> dict[str, float | None]:
    base = email.sent or 0

    def rate(n: int) -> float | None:
        return round(100 * n / base, 1) if base else None

    return {
        "opened": rate(email.opened),
        "clicked": rate(email.clicked),
        "bounced": round(100 * email.bounced / (base + email.bounced), 1) if base + email.bounced else None,
        "unsubscribed": rate(email.unsubscribed),
    }


def email_figures(email: EmailCampaign) -> dict[str, Any]:
    """The progress and the rates, for the campaign's page (views/campaigns.py) too."""
    return {"email_progress": _progress(email), "email_rates": _rates(email)}


@login_required
@require_GET
def email_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    access.check_module(user, Module.MARKETING, Action.VIEW)
    rows = access.scope(user, EmailCampaign, Action.VIEW).select_related("segment", "owner")
    status = request.GET.get("status", "")
    if status in EmailCampaignStatus.values:
        rows = rows.filter(status=status)
    page = Paginator(rows.order_by("-created_at", "-id"), 50).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "rows": [(email, _rates(email)) for email in page.object_list],
        "statuses": EmailCampaignStatus.choices,
        "status": status,
        "can_create": access.can(user, Module.MARKETING, Action.CREATE),
    }
    return render(request, "marketing/email_list.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def email_create(request: HttpRequest) -> HttpResponse:
    access.check_module(request.user, Module.MARKETING, Action.CREATE)
    initial = {}
    if request.GET.get("segment", "").isdigit():
        initial["segment"] = request.GET["segment"]
    form = EmailCampaignForm(request.POST or None, user=request.user, initial=initial)

    def save() -> EmailCampaign:
        data = {k: v for k, v in form.record_changes().items() if k not in ("version", "owner")}
        return emailing.email_create(actor=request.user, data=data, owner=form.cleaned_data.get("owner"))

    return service_form_page(
        request, form, save, "marketing/email_form.html", {"object": None, "merge_help": MERGE_HELP}
    )


@login_required
@require_http_methods(["GET", "POST"])
def email_edit(request: HttpRequest, pk: int) -> HttpResponse:
    email = get_record(request, EmailCampaign, pk, Action.EDIT)
    if email.status not in emailing.EDITABLE:
        messages.error(request, _("An email campaign that has started sending cannot be changed."))
        return HttpResponseRedirect(email.get_absolute_url())
    return record_edit_page(
        request, email, EmailCampaignForm, emailing.email_update, "marketing/email_form.html"
    )


def _progress(email: EmailCampaign) -> dict[str, Any]:
    waiting = 0
    if email.status == EmailCampaignStatus.SENDING:
        waiting = EmailRecipient.objects.filter(
            email_campaign_id=email.pk, status=RecipientStatus.QUEUED
        ).count()
    total = email.recipients_total
    done = max(total - waiting, 0)
    return {"total": total, "done": done, "percent": int(100 * done / total) if total else 0}


@login_required
@require_GET
def email_detail(request: HttpRequest, pk: int) -> HttpResponse:
    email = get_record(
        request, EmailCampaign.objects.select_related("segment", "owner", "campaign"), pk, Action.VIEW
    )
    user = request.user
    status = request.GET.get("recipients", "")
    recipients = EmailRecipient.objects.filter(email_campaign_id=email.pk).filter(
        contact__in=access.scope(user, Contact, Action.VIEW)
    )
    if status in RecipientStatus.values:
        recipients = recipients.filter(status=status)
    reach = None
    if email.status in emailing.EDITABLE and email.segment_id:
        reach = emailing.audience_count(email, user)
    context = {
        "object": email,
        "rates": _rates(email),
        "progress": _progress(email),
        "reach": reach,
        "can_edit": access.in_scope(user, Action.EDIT, email),
        "editable": email.status in emailing.EDITABLE,
        "recipients": recipients.select_related("contact").order_by("-id")[:50],
        "recipient_statuses": RecipientStatus.choices,
        "recipient_status": status,
        "preview_contact": _preview_contact(request, email),
        "now": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
    }
    return render(request, "marketing/email_detail.html", context)


def _preview_contact(request: HttpRequest, email: EmailCampaign) -> Contact | None:
    visible = access.scope(request.user, Contact, Action.VIEW)
    wanted = request.GET.get("contact", "")
    if wanted.isascii() and wanted.isdigit():  # "²".isdigit() too, and int() refuses it
        found = visible.filter(pk=int(wanted)).first()
        if found is not None:
            return found
    if email.segment_id:
        first: Contact | None = emailing.audience(email, request.user).order_by("pk").first()
        return first
    return visible.exclude(primary_email="").order_by("pk").first()


@login_required
@require_GET
@never_cache
def email_progress(request: HttpRequest, pk: int) -> HttpResponse:
    email = get_record(request, EmailCampaign, pk, Action.VIEW)
    return render(
        request,
        "marketing/partials/email_progress.html",
        {"object": email, "progress": _progress(email), "rates": _rates(email)},
    )


@login_required
@require_GET
@xframe_options_sameorigin
@csp_replace(  # type: ignore[arg-type]
    {
        "default-src": [NONE],
        "img-src": ["*", "data:"],
        "style-src": ["'unsafe-inline'"],
        "script-src": [NONE],
        "connect-src": [NONE],
        "font-src": [NONE],
        "form-action": [NONE],
        "frame-ancestors": ["'self'"],
        "sandbox": [""],
    }
)
def email_preview(request: HttpRequest, pk: int) -> HttpResponse:
    """The message as this contact would get it (links untracked), for a sandboxed iframe: no script
    runs in it and it loads nothing from us."""
    email = get_record(request, EmailCampaign, pk, Action.VIEW)
    contact = _preview_contact(request, email) or Contact(full_name=_("Nguyễn Văn A"))
    try:
        rendered = emailing.preview(email, contact)
    except TemplateProblem as problem:
        return HttpResponse(str(problem), content_type="text/plain; charset=utf-8", status=400)
    head = f"<title>{escape(rendered.subject)}</title>" if rendered.subject else ""
    return HttpResponse(f"<!doctype html><meta charset='utf-8'>{head}{rendered.html}")


@login_required
@require_POST
def email_test_send(request: HttpRequest, pk: int) -> HttpResponse:
    email = get_record(request, EmailCampaign, pk, Action.EDIT)
    contact = _preview_contact(request, email)
    try:
        to = emailing.test_send(email, actor=request.user, to=request.POST.get("to", ""), contact=contact)
    except ValidationError as exc:
        for text in exc.messages:
            messages.error(request, text)
        return HttpResponseRedirect(email.get_absolute_url())
    messages.success(request, _("Test email sent to %(to)s.") % {"to": to})
    return HttpResponseRedirect(email.get_absolute_url())


@login_required
@require_POST
def email_send(request: HttpRequest, pk: int) -> HttpResponse:
    """Send now (no time given) or schedule."""
    email = get_record(request, EmailCampaign, pk, Action.EDIT)
    when = request.POST.get("scheduled_at", "").strip()
    try:
        done = emailing.email_schedule(email, actor=request.user, at=when or None)
    except ValidationError as exc:
        for text in exc.messages:
            messages.error(request, text)
        return HttpResponseRedirect(email.get_absolute_url())
    if when:
        messages.success(
            request,
            _("Scheduled for %(when)s.")
            % {"when": timezone.localtime(done.scheduled_at).strftime("%d/%m/%Y %H:%M")},
        )
    else:
        messages.success(request, _("Sending has started."))
    return HttpResponseRedirect(email.get_absolute_url())


@login_required
@require_POST
def email_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    email = get_record(request, EmailCampaign, pk, Action.EDIT)
    try:
        emailing.email_cancel(email, actor=request.user)
    except ValidationError as exc:
        for text in exc.messages:
            messages.error(request, text)
    else:
        messages.success(request, _("Sending stopped."))
    return HttpResponseRedirect(email.get_absolute_url())


@login_required
@require_POST
def email_delete(request: HttpRequest, pk: int) -> HttpResponse:
    email = get_record(request, EmailCampaign, pk, Action.DELETE)
    try:
        return trash_and_redirect(request, email, emailing.email_delete, reverse("marketing:email_list"))
    except ValidationError as exc:
        for text in exc.messages:
            messages.error(request, text)
        return HttpResponseRedirect(email.get_absolute_url())


# --- the public links in a message (no login) ---------------------------------------------------------


@require_GET
@never_cache
def email_open(request: HttpRequest, token: str) -> HttpResponse:
    """The tracking pixel: a 1×1 GIF whatever the token (a broken one records nothing)."""
    with contextlib.suppress(email_tracking.BadLink):
        email_tracking.record_open(email_tracking.read_open(token))
    return HttpResponse(PIXEL, content_type="image/gif")


@require_GET
@never_cache
def email_click(request: HttpRequest, token: str) -> HttpResponse:
    """A tracked link: recorded, then on to the address signed into the token — never to one from the
    request (no open redirect)."""
    try:
        recipient_id, url = email_tracking.read_click(token)
    except email_tracking.BadLink:
        return render(request, "marketing/email_link_bad.html", status=400)
    email_tracking.record_click(recipient_id, url)
    response = HttpResponseRedirect(url)
    response["Referrer-Policy"] = "no-referrer"
    return response


urlpatterns = [
    path("emails/", email_list, name="email_list"),
    path("emails/new/", email_create, name="email_create"),
    path("emails/<int:pk>/", email_detail, name="email_detail"),
    path("emails/<int:pk>/edit/", email_edit, name="email_edit"),
    path("emails/<int:pk>/progress/", email_progress, name="email_progress"),
    path("emails/<int:pk>/preview/", email_preview, name="email_preview"),
    path("emails/<int:pk>/test/", email_test_send, name="email_test_send"),
    path("emails/<int:pk>/send/", email_send, name="email_send"),
    path("emails/<int:pk>/cancel/", email_cancel, name="email_cancel"),
    path("emails/<int:pk>/delete/", email_delete, name="email_delete"),
    path("e/o/<str:token>/", email_open, name="email_open"),
    path("e/c/<str:token>/", email_click, name="email_click"),
]
