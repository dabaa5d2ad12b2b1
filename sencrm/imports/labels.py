"""How imported records' events read on a customer's journey ("Imported from file khach-hang.xlsx")."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _


def import_label(event: Any) -> str | None:
    data = event.data or {}
    if not data.get("import"):
        return None
    name = str(data.get("file", ""))
    action = event.type.rpartition(".")[2]
    if data.get("undo"):
        if action == "deleted":
            return _("Removed by undoing the import of %(file)s") % {"file": name}
        return _("Restored by undoing the import of %(file)s") % {"file": name}
    if action == "created":
        return _("Imported from file %(file)s") % {"file": name}
    if action == "updated":
        return _("Updated from file %(file)s") % {"file": name}
    return None


def register() -> None:
    from sencrm.events.formatting import register_general_label

    register_general_label(import_label)
