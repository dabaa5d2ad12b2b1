"""Panels that other modules add to a record's page (an opportunity's quotes and orders, a customer's
documents…): each provider gets the record and the reader, reads through the access gate itself and
returns a Panel, or None when it has nothing to show. The record's app renders them without importing
the modules that provide them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sencrm.core.myday import Panel

Provider = Callable[[Any, Any], Panel | None]
PROVIDERS: dict[str, list[Provider]] = {}


def register(model_label: str) -> Callable[[Provider], Provider]:
    """@panels.register("sales.opportunity") on a function (record, user) → Panel | None."""

    def add(provider: Provider) -> Provider:
        PROVIDERS.setdefault(model_label, []).append(provider)
        return provider

    return add


def panels(record: Any, user: Any) -> list[Panel]:
    providers = PROVIDERS.get(record._meta.label_lower, [])
    return [panel for provider in providers if (panel := provider(record, user)) is not None]
