"""Shell pages that belong to no module: global search and the localised error pages."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from sencrm.core import search as search_registry


@require_GET
@login_required
def search(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()
    error = ""
    results: list[search_registry.SearchResult] = []
    if len(query) > search_registry.MAX_QUERY_LENGTH:
        error = _("The search text is too long (at most %(max)s characters).") % {
            "max": search_registry.MAX_QUERY_LENGTH
        }
    elif query:
        results = search_registry.search(request.user, query)
    template = "core/partials/search_results.html" if request.htmx else "core/search.html"  # type: ignore[attr-defined]
    status = 400 if error else 200
    return render(request, template, {"query": query, "results": results, "error": error}, status=status)


API_PREFIX = "/api/"


def _api_error(status: int, code: str, message: str) -> JsonResponse:
    """An error under /api/ that no API view answered (an unknown URL): JSON like the API's own."""
    return JsonResponse({"code": code, "message": message, "errors": {}}, status=status)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    message = str(exception) if exception and str(exception) else _("You do not have permission to do this.")
    if request.path.startswith(API_PREFIX):
        return _api_error(403, "permission_denied", message)
    return render(request, "errors/403.html", {"message": message}, status=403)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if request.path.startswith(API_PREFIX):
        return _api_error(404, "not_found", _("There is no such address in the API."))
    return render(request, "errors/404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    if request.path.startswith(API_PREFIX):
        return _api_error(500, "server_error", _("Something went wrong on the server."))
    # No context processors: the failure may be in one of them.
    from django.template import loader

    return HttpResponse(loader.get_template("errors/500.html").render({}), status=500)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return render(request, "errors/403_csrf.html", status=403)


def client_ip(request: HttpRequest) -> str:
    ip = request.META.get("REMOTE_ADDR", "") or ""
    # Behind a reverse proxy (BEHIND_PROXY sets SECURE_PROXY_SSL_HEADER) every visitor arrives from
    # the proxy's address: take the address the proxy appended last. Earlier entries are whatever the
    # visitor sent and could be forged to dodge the rate limit. Without a proxy the header is ignored.
    if settings.SECURE_PROXY_SSL_HEADER:
        hops = [h.strip() for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if h.strip()]
        if hops:
            ip = hops[-1]
    return ip[:45] or "unknown"
