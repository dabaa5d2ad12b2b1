"""How custom-field events and imports (as the door that wrote a record) read in history."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

TYPE_LABELS = {
    "customfield.created": gettext_lazy("Custom field created"),
    "customfield.updated": gettext_lazy("Custom field updated"),
    "customfield.deleted": gettext_lazy("Custom field deleted"),
}


def import_names(ids: set[int]) -> dict[int, str]:
    """ "Import ‘khach-hang.xlsx’" for the jobs named in `system:import#<id>` actor labels."""
    from sencrm.extras.models import ImportJob

    jobs = ImportJob.objects.filter(pk__in=ids).values_list("pk", "file_name")
    return {pk: _("Import ‘%(file)s’") % {"file": name} for pk, name in jobs}


def register() -> None:
    from sencrm.events import formatting

    formatting.register_type_labels(TYPE_LABELS)
    formatting.register_actor("import", import_names)
