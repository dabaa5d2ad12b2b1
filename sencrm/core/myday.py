"""The day's work beyond activities: each module registers a panel for "My day" (lead follow-ups today;
tickets and work orders later). Each provider scopes through the access gate itself and returns None
when the user's role has nothing of its module."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Panel:
    template: str  # rendered with `panel` in its context
    data: dict[str, Any] = field(default_factory=dict)


Provider = Callable[[Any], Panel | None]
PROVIDERS: list[Provider] = []


def register(provider: Provider) -> Provider:
    PROVIDERS.append(provider)
    return provider


def panels(user: Any) -> list[Panel]:
    return [panel for provider in PROVIDERS if (panel := provider(user)) is not None]
