"""Global search: each module registers a provider; every provider searches only what the user may see."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils.functional import Promise


@dataclass(frozen=True)
class SearchResult:
    kind: str | Promise
    label: str
    url: str
    # The result's second line (phone, account, province…): what tells namesakes apart.
    detail: str = ""


def second_line(*parts: object) -> str:
    """The non-empty parts joined for a result's second line ("0912 345 678 · Công ty A · Hà Nội")."""
    return " · ".join(str(p) for p in parts if p)


Provider = Callable[[Any, str, int], list[SearchResult]]
PROVIDERS: list[Provider] = []

MAX_QUERY_LENGTH = 100


def register(provider: Provider) -> Provider:
    PROVIDERS.append(provider)
    return provider


def search(user: Any, query: str, limit: int = 10) -> list[SearchResult]:
    """Results of every provider; each provider must scope through the access gate itself."""
    results: list[SearchResult] = []
    for provider in PROVIDERS:
        results.extend(provider(user, query, limit))
    return results
