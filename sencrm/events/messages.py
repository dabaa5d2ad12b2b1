"""Notification texts, rendered in the reader's language when shown (not when written)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from sencrm.events.models import Notification


def render_notification(notification: Notification) -> str:
    params = {key: str(value) for key, value in notification.params.items()}
    if notification.kind == "assigned":
        return _("%(by)s assigned %(record)s to you.") % {
            "by": params.get("by", ""),
            "record": params.get("record", ""),
        }
    if notification.kind == "reminder":
        if params.get("customer"):
            return _("Reminder: %(record)s (%(customer)s)") % {
                "record": params.get("record", ""),
                "customer": params["customer"],
            }
        return _("Reminder: %(record)s") % {"record": params.get("record", "")}
    if notification.kind == "bulk_done":
        return _(
            "Bulk change finished: %(done)s changed, %(skipped)s skipped (no access), %(failed)s failed."
        ) % {
            "done": params.get("done", 0),
            "skipped": params.get("skipped", 0),
            "failed": params.get("failed", 0),
        }
    return params.get("text", notification.kind)
