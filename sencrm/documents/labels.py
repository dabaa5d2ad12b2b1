"""How changes to the company profile and the document templates read in the activity log."""

from __future__ import annotations

from django.utils.translation import gettext_lazy

TYPE_LABELS = {
    "company.updated": gettext_lazy("Company profile updated"),
    "documenttemplate.updated": gettext_lazy("Document template changed"),
    "documenttemplate.reset": gettext_lazy("Document template reset to the default"),
}


def register() -> None:
    from sencrm.events import formatting

    formatting.register_type_labels(TYPE_LABELS)
