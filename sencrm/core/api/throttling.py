"""Rate limits of the API: API_RATE_LIMIT requests per token (Bearer), per user (browser session) or
per IP address (anonymous), counted in the cache — Redis when REDIS_URL is set, so every web process
shares the count; process memory otherwise. Over the limit: 429 with Retry-After."""

from __future__ import annotations

import math
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from rest_framework.throttling import SimpleRateThrottle


def client_ip(request: HttpRequest) -> str:
    """The caller's address; behind a reverse proxy (BEHIND_PROXY) the hop the proxy appended last."""
    ip = str(request.META.get("REMOTE_ADDR", "") or "")
    if settings.SECURE_PROXY_SSL_HEADER:
        hops = [h.strip() for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if h.strip()]
        if hops:
            ip = hops[-1]
    return ip[:45] or "unknown"


class ApiRateThrottle(SimpleRateThrottle):
    scope = "api"
    cache_format = "sen-throttle:%(scope)s:%(ident)s"

    def get_rate(self) -> str | None:
        # Read at request time (not import time), so the setting can change without a restart of tests.
        rate: str | None = getattr(settings, "API_RATE_LIMIT", None)
        return rate or None

    def get_cache_key(self, request: Any, view: Any) -> str | None:
        token_id = getattr(request.auth, "pk", None)
        if token_id is not None:
            ident = f"token:{token_id}"
        elif request.user is not None and request.user.is_authenticated:
            ident = f"user:{request.user.pk}"
        else:
            ident = f"ip:{client_ip(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}

    def wait(self) -> float | None:
        seconds: float | None = super().wait()
        return None if seconds is None else max(1, math.ceil(seconds))
