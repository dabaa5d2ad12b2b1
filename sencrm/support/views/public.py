"""The customer's doors, without an account: the web form (`/support/new/`) and the signed page of a
ticket (`/t/<token>/`).

The web form is embeddable on the company's website (framing allowed for it and its answer page
only). Like the web-to-lead form it is posted from inside an iframe on another site, where the browser
does not send our CSRF cookie, so it is CSRF-exempt and kept from robots by a honeypot field and a
per-address rate limit. A request is matched to an existing contact by phone or email (exactly one
contact, else the requester's details are kept on the ticket), and answered with the ticket's number
and its signed link.

The signed page shows the ticket's number, subject, status and the conversation (replies and the
customer's messages, never internal notes), with a CSRF-protected form to reply. A link that was
changed or that has expired answers 400 with a clear message.
"""

from __future__ import annotations

import hashlib
from typing import Any

from csp.constants import SELF
from csp.decorators import csp_replace
from django import forms
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from sencrm.core.phones import to_e164
from sencrm.core.text import clean_text
from sencrm.core.views import client_ip
from sencrm.customers.models import Contact, Email, Phone
from sencrm.support import public_links, services
from sencrm.support.models import Channel, MessageKind, Ticket

HONEYPOT = "website"
ACTOR_LABEL = "webform:support"


class RequestForm(forms.Form):
    """What a customer fills in on the company's website."""

    name = forms.CharField(label=gettext_lazy("Your name"), max_length=150)
    phone = forms.CharField(label=gettext_lazy("Phone"), max_length=40, required=False)
    email = forms.EmailField(label=gettext_lazy("Email"), max_length=254, required=False)
    subject = forms.CharField(label=gettext_lazy("Subject"), max_length=200)
    description = forms.CharField(
        label=gettext_lazy("Describe the problem"),
        max_length=services.MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 5}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.widget.attrs["class"] = "form-control"
        self.fields["name"].widget.attrs["autocomplete"] = "name"
        self.fields["phone"].widget.attrs.update(inputmode="tel", autocomplete="tel")
        self.fields["email"].widget.attrs["autocomplete"] = "email"

    def clean_name(self) -> str:
        name = clean_text(self.cleaned_data.get("name", ""))
        if not name:
            raise ValidationError(_("Please enter your name."))
        return name

    def clean_subject(self) -> str:
        subject = clean_text(self.cleaned_data.get("subject", ""))
        if not subject:
            raise ValidationError(_("Say in a few words what the problem is."))
        return subject

    def clean_phone(self) -> str:
        phone = clean_text(self.cleaned_data.get("phone", ""))
        if phone and to_e164(phone) is None:
            raise ValidationError(_("This is not a valid phone number (for example 0912 345 678)."))
        return phone

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("phone") and not data.get("email") and not {"phone", "email"} & self.errors.keys():
            self.add_error("phone", _("Leave a phone number or an email so that we can reach you."))
        return data


class MessageForm(forms.Form):
    body = forms.CharField(
        label=gettext_lazy("Your message"),
        max_length=services.MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 4, "class": "form-control"}),
    )


# --- matching and limits ------------------------------------------------------------------------------


def match_contact(phone: str, email: str) -> Contact | None:
    """The one existing contact with this phone (any way of writing it) or this email; None when there
    is none, or when the two point at different people (nobody is guessed)."""
    found: set[int] = set()
    e164 = to_e164(phone) if phone else None
    if e164:
        found |= set(
            Phone.objects.filter(
                e164=e164, contact__isnull=False, contact__deleted_at__isnull=True
            ).values_list("contact_id", flat=True)
        )
    if email:
        found |= set(
            Email.objects.filter(
                address_key=email.lower(), contact__isnull=False, contact__deleted_at__isnull=True
            ).values_list("contact_id", flat=True)
        )
    if len(found) != 1:
        return None
    return Contact.objects.filter(pk=found.pop()).first()


def _limited(request: HttpRequest) -> bool:
    """More requests from this address in the window than WEBFORM_RATE_LIMIT allows (the cache counts)."""
    digest = hashlib.sha256(client_ip(request).encode()).hexdigest()[:32]
    key = f"support:webform:{digest}"
    window = int(settings.WEBFORM_RATE_WINDOW_MINUTES) * 60
    cache.add(key, 0, window)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, window)
        count = 1
    return int(count) > int(settings.WEBFORM_RATE_LIMIT)


def _message(request: HttpRequest, heading: str, text: str, status: int, testid: str) -> HttpResponse:
    context = {"heading": heading, "text": text, "testid": testid}
    return render(request, "support/public_message.html", context, status=status)


def _new_page(request: HttpRequest, form: RequestForm, status: int = 200) -> HttpResponse:
    return render(request, "support/public_new.html", {"form": form, "honeypot": HONEYPOT}, status=status)


def _received(request: HttpRequest) -> HttpResponse:
    return _message(
        request,
        _("Thank you"),
        _("We received your request and will contact you soon."),
        200,
        "public-received",
    )


# --- views ---------------------------------------------------------------------------------------------


# csrf_exempt on this view only: posted from an iframe on the company's website (see the module's
# docstring); framing is allowed from anywhere here and on the answer page, nowhere else.
@csrf_exempt
@xframe_options_exempt
@csp_replace({"frame-ancestors": ["*"], "form-action": [SELF]})
@require_http_methods(["GET", "POST"])
def request_new(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _new_page(request, RequestForm())
    if _limited(request):
        response = _message(
            request,
            _("Too many requests"),
            _(
                "We received several requests from your connection just now. "
                "Please try again in a few minutes."
            ),
            429,
            "public-limited",
        )
        response["Retry-After"] = str(int(settings.WEBFORM_RATE_WINDOW_MINUTES) * 60)
        return response
    if request.POST.get(HONEYPOT):
        return _received(request)  # a robot is answered as a person would be, and nothing is created
    form = RequestForm(request.POST)
    if not form.is_valid():
        return _new_page(request, form, status=400)
    cleaned = form.cleaned_data
    data: dict[str, Any] = {
        "subject": cleaned["subject"],
        "description": cleaned["description"],
        "channel": Channel.WEB,
        "requester_name": cleaned["name"],
        "requester_email": cleaned.get("email") or "",
        "requester_phone": cleaned.get("phone") or "",
    }
    contact = match_contact(cleaned.get("phone") or "", cleaned.get("email") or "")
    if contact is not None:
        data["contact"] = contact
    try:
        ticket = services.ticket_create(
            actor=None, data=data, actor_label=ACTOR_LABEL, system=True, notify_customer=True
        )
    except ValidationError as exc:
        names = {"requester_name": "name", "requester_email": "email", "requester_phone": "phone"}
        for field, messages in (
            exc.message_dict if hasattr(exc, "error_dict") else {"": exc.messages}
        ).items():
            name = names.get(field, field)
            form.add_error(name if name in form.fields else None, messages)
        return _new_page(request, form, status=400)
    url = reverse("support:public_request_sent", args=[public_links.token_for(ticket)])
    return HttpResponseRedirect(url, status=303)


@xframe_options_exempt
@csp_replace({"frame-ancestors": ["*"], "form-action": [SELF]})  # type: ignore[arg-type]
@require_GET
@never_cache
def request_sent(request: HttpRequest, token: str) -> HttpResponse:
    """The web form's answer: the ticket's number and its signed link (opened outside the frame)."""
    found = _ticket_or_answer(request, token)
    if isinstance(found, HttpResponse):
        return found
    link = request.build_absolute_uri(public_links.path_for(found))
    return _private(render(request, "support/public_sent.html", {"ticket": found, "link": link}))


@require_http_methods(["GET", "POST"])
@never_cache
def ticket_page(request: HttpRequest, token: str) -> HttpResponse:
    """The ticket as the customer sees it, and their reply (a customer message)."""
    found = _ticket_or_answer(request, token)
    if isinstance(found, HttpResponse):
        return found
    ticket = found
    form = MessageForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.ticket_customer_message(ticket, body=form.cleaned_data["body"])
            except ValidationError as exc:
                form.add_error(
                    "body",
                    exc.message_dict.get("body", exc.messages)
                    if hasattr(exc, "error_dict")
                    else exc.messages,
                )
            else:
                return HttpResponseRedirect(f"{request.path}?sent=1", status=303)
        status = 400
        ticket = Ticket.objects.get(pk=ticket.pk)
    conversation = (
        ticket.messages.filter(kind__in=[MessageKind.REPLY, MessageKind.CUSTOMER])
        .select_related("author")
        .order_by("created_at", "id")
    )
    context = {
        "ticket": ticket,
        "conversation": conversation,
        "form": form,
        "may_write": services.customer_may_write(ticket, timezone.now()),
        "sent": request.GET.get("sent") == "1" and status == 200,
        "new_url": reverse("support:public_request_new"),
    }
    return _private(render(request, "support/public_ticket.html", context, status=status))


def _ticket_or_answer(request: HttpRequest, token: str) -> Ticket | HttpResponse:
    try:
        ticket = public_links.ticket_for(token)
    except public_links.ExpiredLink:
        return _message(
            request,
            _("This link has expired"),
            _(
                "For your security, the link to your request is valid for %(days)s days. Reply to our "
                "latest email to get a new link, or send us a new request."
            )
            % {"days": settings.SUPPORT_LINK_DAYS},
            400,
            "public-link-expired",
        )
    except public_links.BadLink:
        return _message(
            request,
            _("This link is not valid"),
            _(
                "The link is incomplete or has been changed. "
                "Please use the link exactly as it is in our email."
            ),
            400,
            "public-link-bad",
        )
    if ticket is None:
        return _message(
            request, _("Request not found"), _("This request no longer exists."), 404, "public-link-gone"
        )
    return ticket


def _private(response: HttpResponse) -> HttpResponse:
    # The token is in the address: never sent on to another site, never indexed or kept by a proxy.
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex"
    return response


urlpatterns = [
    path("support/new/", request_new, name="public_request_new"),
    path("support/new/sent/<str:token>/", request_sent, name="public_request_sent"),
    path("t/<str:token>/", ticket_page, name="public_ticket"),
]
