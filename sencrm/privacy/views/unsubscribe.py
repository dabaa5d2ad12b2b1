"""The public unsubscribe page (`/u/<token>/`): a confirmation asked with GET (mail scanners follow links
and must not unsubscribe anyone), the withdrawal recorded on POST. No login; a token that is not ours is
a 400 and records nothing."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.views.decorators.http import require_http_methods

from sencrm.documents.selectors import company_profile
from sencrm.privacy.unsubscribe import BadToken, token_read, unsubscribe


@require_http_methods(["GET", "POST"])
def unsubscribe_page(request: HttpRequest, token: str) -> HttpResponse:
    context = {"token": token, "company": _company_name()}
    try:
        if request.method == "POST":
            unsubscribe(token)
            return render(request, "privacy/unsubscribe.html", {**context, "done": True})
        token_read(token)
    except BadToken:
        return render(request, "privacy/unsubscribe.html", {**context, "bad": True}, status=400)
    return render(request, "privacy/unsubscribe.html", context)


def _company_name() -> str:
    return str(getattr(company_profile(), "name", "") or "")


urlpatterns = [path("u/<str:token>/", unsubscribe_page, name="unsubscribe")]
