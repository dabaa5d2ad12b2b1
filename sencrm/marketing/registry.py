"""What marketing adds to the lower apps' registries: the wording of its events."""

from __future__ import annotations

from django.utils.translation import gettext_lazy

from sencrm.events.formatting import register_type_labels

TYPE_LABELS = {
    "conversation.created": gettext_lazy("Conversation started"),
    "conversation.assigned": gettext_lazy("Conversation assigned"),
    "conversation.converted": gettext_lazy("Conversation turned into a lead"),
    "campaign.cost_imported": gettext_lazy("Campaign costs imported"),
}


def register() -> None:
    register_type_labels(TYPE_LABELS)
