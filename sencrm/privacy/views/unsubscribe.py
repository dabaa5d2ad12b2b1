"""The public unsubscribe page (`/u/<token>/`): a confirmation asked with GET (mail scanners follow links
and must not unsubscribe anyone), the withdrawal recorded on POST. No login; a token that is not ours is
a 400 and records nothing.

The same URL is a message's `List-Unsubscribe` with `List-Unsubscribe-Post: List-Unsubscribe=One-Click`
(RFC 8058): the mailbox provider POSTs `List-Unsubscribe=One-Click` to it, without cookies — so no CSRF
check here (the signed token is the credential, and there is no session to ride), and a plain 200."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from sencrm.customers.unsubscribe import BadToken, token_read, unsubscribe
from sencrm.documents.selectors import company_profile


@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe_page(request: HttpRequest, token: str) -> HttpResponse:
    context = {"token": token, "company": _company_name()}
    try:
        if request.method == "POST":
            unsubscribe(token)
            if request.POST.get("List-Unsubscribe") == "One-Click":
                return HttpResponse(_("You are unsubscribed."), content_type="text/plain; charset=utf-8")
            return render(request, "privacy/unsubscribe.html", {**context, "done": True})
        token_read(token)
    except BadToken:
        return render(request, "privacy/unsubscribe.html", {**context, "bad": True}, status=400)
    return render(request, "privacy/unsubscribe.html", context)


def _company_name() -> str:
    return str(getattr(company_profile(), "name", "") or "")


urlpatterns = [path("u/<str:token>/", unsubscribe_page, name="unsubscribe")]
