"""How activity events read on a customer's journey ("Call logged: …", "Task completed: …")."""

from __future__ import annotations

from django.utils.translation import gettext as _

from sencrm.events.models import Event


def activity_label(event: Event) -> str | None:
    action = event.type.rpartition(".")[2]
    if action == "created":
        record = event.data.get("record", {})
        kind, status = record.get("kind"), record.get("status")
        labels = {
            ("call", "done"): _("Call logged"), ("call", "planned"): _("Call planned"),
            ("task", "planned"): _("Task created"), ("task", "done"): _("Task done"),
            ("meeting", "planned"): _("Meeting scheduled"), ("meeting", "done"): _("Meeting held"),
            ("note", "done"): _("Note added"),
        }  # fmt: skip
        return labels.get((kind, status))
    if action == "updated" and event.data.get("changes", {}).get("status", [None, None])[1] == "done":
        return _("Completed")
    return None
