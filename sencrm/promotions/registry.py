"""What the promotions app adds to the lower apps' registries: the engine behind quotes' and orders'
promotion codes (commerce cannot import this app: it asks its hook), and the wording of its events."""

from __future__ import annotations

from django.utils.translation import gettext_lazy

from sencrm.events.formatting import register_type_labels

TYPE_LABELS = {
    "promotion.applied": gettext_lazy("Promotion applied"),
    "promotion.released": gettext_lazy("Promotion use given back"),
}


def register() -> None:
    from sencrm.commerce import promotions
    from sencrm.promotions import dashboard  # noqa: F401  (its home page widget)
    from sencrm.promotions.engine import Engine

    register_type_labels(TYPE_LABELS)
    promotions.register(Engine())
