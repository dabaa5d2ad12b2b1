"""The home page's widgets: each module registers a provider that returns its part of the page's
context for a user ({} when the role grants nothing of the module). Providers read through the access
gate themselves. The home app renders them without importing the modules."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Provider = Callable[[Any], dict[str, Any]]
PROVIDERS: list[Provider] = []


def register(provider: Provider) -> Provider:
    PROVIDERS.append(provider)
    return provider


def widgets(user: Any) -> dict[str, Any]:
    context: dict[str, Any] = {}
    for provider in PROVIDERS:
        context.update(provider(user))
    return context
