"""Caller ID beyond customers: other modules register a lookup of their records by phone number (leads,
later tickets…). Each lookup scopes through the access gate itself, like the search providers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.utils.functional import Promise


@dataclass(frozen=True)
class Caller:
    """One record with the number: shown on the caller ID page and returned by the API."""

    id: int
    name: str
    url: str
    detail: str = ""  # e.g. the lead's company
    status: str = ""  # a code (API)
    status_label: str | Promise = ""
    owner: dict[str, Any] = field(default_factory=dict)  # {"id", "name"}

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "detail": self.detail,
            "status": self.status,
            "owner": self.owner or None,
            "url": self.url,
        }


Provider = Callable[[Any, str], list[Caller]]  # (user, E.164 number) → records the user may see
PROVIDERS: dict[str, tuple[str | Promise, Provider]] = {}


def register(key: str, label: str | Promise) -> Callable[[Provider], Provider]:
    """Register a lookup; `key` names its list in the API answer ("leads"), `label` its heading."""

    def wrap(provider: Provider) -> Provider:
        PROVIDERS[key] = (label, provider)
        return provider

    return wrap


def lookup(user: Any, e164: str) -> dict[str, list[Caller]]:
    return {key: provider(user, e164) for key, (_label, provider) in PROVIDERS.items()}


def sections(user: Any, e164: str) -> list[tuple[str | Promise, list[Caller]]]:
    """(heading, records) for the page, in registration order, empty ones left out."""
    return [(label, found) for label, provider in PROVIDERS.values() if (found := provider(user, e164))]
