"""`/api/v1/docs/`: Swagger UI over the schema, served from this server (drf-spectacular-sidecar) and
within the Content-Security-Policy: no inline script or style (the start script is its own request).

Like the schema, it needs a signed-in user: a visitor who is not is sent to the sign-in page."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.views import redirect_to_login
from drf_spectacular.views import SpectacularSwaggerSplitView
from rest_framework import exceptions


class ApiDocsView(SpectacularSwaggerSplitView):
    template_name = "api/docs.html"
    url_name = "api:schema"

    def handle_exception(self, exc: Exception) -> Any:
        if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
            return redirect_to_login(self.request.get_full_path())
        return super().handle_exception(exc)
