"""The public web-to-lead form (GET/POST /f/<key>/): no login, embeddable on any website.

A visitor's submission becomes a lead through services.webforms.lead_capture, with the UTM
parameters and the referring page it arrived with. Spam is kept out by a honeypot field, a signed
render-time token (too fast to be a person, or forged) and a per-IP rate limit; bad input gets a 400
with a message next to each field, and nothing is created.
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlencode

from csp.constants import SELF
from csp.decorators import csp_replace
from django import forms
from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from sencrm.core.phones import to_e164
from sencrm.core.text import clean_text
from sencrm.core.views import client_ip
from sencrm.customers.models import Province
from sencrm.customers.provinces import ProvinceChoiceField
from sencrm.sales.models import WebForm
from sencrm.sales.services.settings import DEFAULT_CONSENT
from sencrm.sales.services.webforms import UTM_KEYS, lead_capture, rate_limited, submission_log
from sencrm.sales.settings_forms import DEFAULT_THANK_YOU

TOKEN_SALT = "sencrm.sales.webform"  # noqa: S105 - a namespace for the signature, not a secret
TOKEN_MAX_AGE = 24 * 3600  # a form left open for longer is sent again with a fresh token
HONEYPOT = "website"
MAX_TRACKING = 200
MAX_REFERRER = 500


def min_seconds() -> float:
    # Read at request time so that tests (and a site that wants it) can change it.
    return float(getattr(settings, "WEBFORM_MIN_SECONDS", 2))


def make_token(form: WebForm, at: float | None = None) -> str:
    """A signed note of when the form was rendered (the visitor cannot forge or backdate it)."""
    return signing.dumps(
        {"f": form.key, "t": round(at if at is not None else time.time(), 3)}, salt=TOKEN_SALT
    )


def check_token(form: WebForm, token: str) -> str:
    """ "ok", "fast" (sent sooner than a person can), "expired", or "bad" (missing or forged)."""
    try:
        data = signing.loads(token, salt=TOKEN_SALT)
        if not isinstance(data, dict) or data.get("f") != form.key:
            return "bad"
        age = time.time() - float(data["t"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return "bad"
    if age < min_seconds():
        return "fast"
    if age > TOKEN_MAX_AGE:
        return "expired"
    return "ok"


def _safe_referrer(value: str) -> str:
    value = clean_text(value)[:MAX_REFERRER]
    # Only web addresses: a javascript: or data: "referrer" must never become a link on the lead.
    return value if value.lower().startswith(("http://", "https://")) else ""


def tracking(request: HttpRequest) -> dict[str, str]:
    """UTM parameters and the referring page: from the hidden fields of a submission, else from the
    address the form was opened at (the embed script adds utm_* and ref), else the HTTP Referer."""
    sources = [request.POST, request.GET] if request.method == "POST" else [request.GET]
    result: dict[str, str] = {}
    for key in (*UTM_KEYS, "ref"):
        for source in sources:
            value = clean_text(source.get(key, ""))
            if value:
                result[key] = value[:MAX_TRACKING] if key != "ref" else value
                break
    referrer = result.get("ref") or (request.META.get("HTTP_REFERER", "") if request.method == "GET" else "")
    result["ref"] = _safe_referrer(referrer)
    return result


def _language(request: HttpRequest) -> str:
    # The site's language (Vietnamese) unless the embedding page asks for another with ?lang=.
    lang = request.GET.get("lang", "")
    return lang if lang in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


class PublicLeadForm(forms.Form):
    """What the visitor fills in; the fields and which are required come from the WebForm."""

    full_name = forms.CharField(
        label=_("Your name"), max_length=150, error_messages={"required": _("Please enter your name.")}
    )
    phone = forms.CharField(label=_("Phone"), max_length=40)
    email = forms.EmailField(label=_("Email"), max_length=254)
    company = forms.CharField(label=_("Company"), max_length=200)
    # Embedding sites may post a name rather than a code ("Nha Trang", "Bình Định"): it is placed in its
    # 2025 province, and a name that cannot be placed is kept on the lead (never a lost lead).
    province = ProvinceChoiceField(
        label=_("Province / city"),
        queryset=Province.objects.order_by("position", "name"),
        to_field_name="code",
        keep_unknown=True,
    )
    interest = forms.CharField(
        label=_("What are you interested in?"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
    consent = forms.BooleanField(
        error_messages={"required": _("Please tick the box to agree to be contacted; we cannot otherwise.")}
    )

    def __init__(self, webform: WebForm, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.webform = webform
        asked = set(webform.fields)
        required = set(webform.required_fields)
        for name in ("phone", "email", "company", "province", "interest"):
            if name not in asked:
                del self.fields[name]
            else:
                self.fields[name].required = name in required
        self.fields["consent"].label = self.consent_text
        for name, field in self.fields.items():
            css = "form-check-input" if name == "consent" else "form-control"
            if name == "province":
                css = "form-select"
            field.widget.attrs["class"] = css
        if "phone" in self.fields:
            self.fields["phone"].widget.attrs.update(inputmode="tel", autocomplete="tel")
        if "email" in self.fields:
            self.fields["email"].widget.attrs["autocomplete"] = "email"
        self.fields["full_name"].widget.attrs["autocomplete"] = "name"

    @property
    def consent_text(self) -> str:
        return self.webform.consent_text or str(DEFAULT_CONSENT)

    def clean_full_name(self) -> str:
        name = clean_text(self.cleaned_data.get("full_name", ""))
        if not name:
            raise ValidationError(_("Please enter your name."))
        return name

    def clean_phone(self) -> str:
        phone = clean_text(self.cleaned_data.get("phone", ""))
        if phone and to_e164(phone) is None:
            raise ValidationError(_("This is not a valid phone number (for example 0912 345 678)."))
        return phone

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        asks = [n for n in ("phone", "email") if n in self.fields]
        if asks and not any(data.get(n) for n in asks) and not any(n in self.errors for n in asks):
            self.add_error(asks[0], _("Leave a phone number or an email so that we can reach you."))
        return data


def _unavailable() -> dict[str, Any]:
    return {
        "heading": _("This form is not available"),
        "text": _("The form you are looking for does not exist or has been switched off."),
    }


def _render_form(
    request: HttpRequest, webform: WebForm, form: PublicLeadForm, status: int = 200, notice: str = ""
) -> HttpResponse:
    context = {
        "webform": webform,
        "form": form,
        "token": make_token(webform),
        "tracking": tracking(request),
        "honeypot": HONEYPOT,
        "notice": notice,
    }
    return render(request, "sales/webform_public.html", context, status=status)


def _thanks_url(webform: WebForm, request: HttpRequest) -> str:
    url = reverse("sales:webform_thanks", args=[webform.key])
    lang = request.GET.get("lang", "")
    return f"{url}?{urlencode({'lang': lang})}" if lang in dict(settings.LANGUAGES) else url


def _lead_data(form: PublicLeadForm) -> tuple[dict[str, Any], list[str], list[str]]:
    cleaned = form.cleaned_data
    data: dict[str, Any] = {"full_name": cleaned["full_name"]}
    for name in ("company", "province", "interest"):
        if name in form.fields and cleaned.get(name):
            data[name] = cleaned[name]
    if isinstance(data.get("province"), str):  # typed, and not a province we know: kept as typed
        with translation.override(settings.LANGUAGE_CODE):  # the CRM's language, not the visitor's
            line = _("Province / city: %(value)s") % {"value": data.pop("province")}
        data["interest"] = "\n".join(p for p in (data.get("interest", ""), str(line)) if p)[:4000]
    phones = [cleaned["phone"]] if cleaned.get("phone") else []
    emails = [cleaned["email"]] if cleaned.get("email") else []
    return data, phones, emails


def _submit(request: HttpRequest, webform: WebForm) -> HttpResponse:
    ip = client_ip(request)
    if rate_limited(webform, ip):
        submission_log(webform, ip, "limited")
        context = {
            "webform": webform,
            "heading": _("Too many submissions"),
            "text": _(
                "We received several requests from your connection just now. "
                "Please try again in a few minutes."
            ),
        }
        response = render(request, "sales/webform_message.html", context, status=429)
        response["Retry-After"] = str(settings.WEBFORM_RATE_WINDOW_MINUTES * 60)
        return response
    verdict = check_token(webform, request.POST.get("ts", ""))
    if request.POST.get(HONEYPOT) or verdict in ("bad", "fast"):
        # Answer a robot exactly as a person: it learns nothing about what gave it away.
        submission_log(webform, ip, "spam")
        return HttpResponseRedirect(_thanks_url(webform, request), status=303)
    form = PublicLeadForm(webform, request.POST)
    if verdict == "expired":
        form.is_valid()
        submission_log(webform, ip, "invalid")
        notice = str(_("This form was open for a long time. Check your details and send it again."))
        return _render_form(request, webform, form, status=400, notice=notice)
    if not form.is_valid():
        submission_log(webform, ip, "invalid")
        return _render_form(request, webform, form, status=400)
    data, phones, emails = _lead_data(form)
    track = tracking(request)
    try:
        lead_capture(
            form=webform,
            data=data,
            phones=phones,
            emails=emails,
            consent=True,
            consent_text=form.consent_text,
            utm={k: v for k, v in track.items() if k in UTM_KEYS},
            referrer=track.get("ref", ""),
            ip=ip,
        )
    except ValidationError as exc:
        # The service's own checks (the same as for leads typed by hand): shown next to the field.
        field_map = {"phones": "phone", "emails": "email"}
        errors = exc.error_dict if hasattr(exc, "error_dict") else {None: exc.error_list}
        for field, messages in errors.items():
            name = field_map.get(field, field) if field else None
            form.add_error(name if name in form.fields else None, messages)
        submission_log(webform, ip, "invalid")
        return _render_form(request, webform, form, status=400)
    return HttpResponseRedirect(_thanks_url(webform, request), status=303)


# csrf_exempt, on this view only: the form is public (no session, nothing to ride on) and is posted
# from inside an iframe on other sites, where the browser does not send our CSRF cookie. It is
# protected instead by the honeypot, the signed render-time token and the per-IP rate limit.
# Framing is allowed from anywhere (X-Frame-Options off, CSP frame-ancestors *) for this view and its
# thank-you page only; everything else keeps X-Frame-Options DENY.
@csrf_exempt
@xframe_options_exempt
@csp_replace({"frame-ancestors": ["*"], "form-action": [SELF]})  # type: ignore[arg-type]
@require_http_methods(["GET", "POST"])
def webform_public(request: HttpRequest, key: str) -> HttpResponse:
    with translation.override(_language(request)):
        webform = WebForm.objects.filter(key=key[:32], is_active=True).select_related("source").first()
        if webform is None:
            return render(request, "sales/webform_message.html", _unavailable(), status=404)
        if request.method == "POST":
            return _submit(request, webform)
        return _render_form(request, webform, PublicLeadForm(webform))


@xframe_options_exempt
@csp_replace({"frame-ancestors": ["*"], "form-action": [SELF]})  # type: ignore[arg-type]
@require_GET
def webform_thanks(request: HttpRequest, key: str) -> HttpResponse:
    with translation.override(_language(request)):
        webform = WebForm.objects.filter(key=key[:32], is_active=True).first()
        if webform is None:
            return render(request, "sales/webform_message.html", _unavailable(), status=404)
        context = {
            "webform": webform,
            "heading": _("Thank you"),
            "text": webform.thank_you or DEFAULT_THANK_YOU,
            "testid": "webform-thanks",
        }
        return render(request, "sales/webform_message.html", context)
