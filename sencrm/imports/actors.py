"""Imports as the door that wrote a record: "Import ‘khach-hang.xlsx’" in history."""

from __future__ import annotations

from django.utils.translation import gettext as _


def import_names(ids: set[int]) -> dict[int, str]:
    """ "Import ‘khach-hang.xlsx’" for the jobs named in `system:import#<id>` actor labels."""
    from sencrm.imports.models import ImportJob

    jobs = ImportJob.objects.filter(pk__in=ids).values_list("pk", "file_name")
    return {pk: _("Import ‘%(file)s’") % {"file": name} for pk, name in jobs}


def register() -> None:
    from sencrm.events import formatting

    formatting.register_actor("import", import_names)
