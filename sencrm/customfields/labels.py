"""How custom-field events read in history."""

from __future__ import annotations

from django.utils.translation import gettext_lazy

TYPE_LABELS = {
    "customfield.created": gettext_lazy("Custom field created"),
    "customfield.updated": gettext_lazy("Custom field updated"),
    "customfield.deleted": gettext_lazy("Custom field deleted"),
}


def register() -> None:
    from sencrm.events import formatting

    formatting.register_type_labels(TYPE_LABELS)
