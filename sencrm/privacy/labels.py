"""How the personal-data events read in history and notifications."""

from __future__ import annotations

from django.utils.translation import gettext_lazy

from sencrm.events.formatting import register_type_labels

TYPE_LABELS = {
    "consent.changed": gettext_lazy("Consent changed"),
    "data_request.acknowledged": gettext_lazy("Personal-data request acknowledged"),
    "data_request.extended": gettext_lazy("Personal-data request extended"),
    "data_request.completed": gettext_lazy("Personal-data request completed"),
    "data_request.overdue": gettext_lazy("Personal-data request overdue"),
    "data_request.rejected": gettext_lazy("Personal-data request rejected"),
    "contact.anonymised": gettext_lazy("Contact anonymised"),
    "lead.anonymised": gettext_lazy("Lead anonymised"),
}


def register() -> None:
    register_type_labels(TYPE_LABELS)
