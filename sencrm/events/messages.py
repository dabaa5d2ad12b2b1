"""Notification texts, rendered in the reader's language when shown (not when written)."""

from __future__ import annotations

from collections.abc import Callable

from django.utils.translation import gettext as _

from sencrm.events import formatting
from sencrm.events.models import Notification

# kind → function(params) → text: the notifications a module adds (registered in AppConfig.ready()).
RENDERERS: dict[str, Callable[[dict[str, str]], str]] = {}


def register_kind(kind: str, render: Callable[[dict[str, str]], str]) -> None:
    RENDERERS[kind] = render


def render_notifications(notifications: list[Notification]) -> list[tuple[Notification, str]]:
    """A page of notifications with their texts; the doors that acted (a web form, an import…) are
    named with one query per kind for the whole page (load them with select_related("event__actor"))."""
    formatting.resolve_actors([n.event for n in notifications if n.event_id and n.event is not None])
    return [(n, render_notification(n)) for n in notifications]


def _by(notification: Notification, params: dict[str, str]) -> str:
    # Who acted is named from the event when there is one ("webform#1" in older rows becomes
    # "Biểu mẫu web ‘Form tư vấn’"), in the reader's language.
    if notification.event_id and notification.event is not None:
        return formatting.actor_name(notification.event)
    return params.get("by", "")


def render_notification(notification: Notification) -> str:
    params = {key: str(value) for key, value in notification.params.items()}
    if notification.kind in RENDERERS:
        return RENDERERS[notification.kind](params)
    if notification.kind == "assigned":
        return _("%(by)s assigned %(record)s to you.") % {
            "by": _by(notification, params),
            "record": params.get("record", ""),
        }
    if notification.kind == "import_assigned":
        values: dict[str, str | int] = {
            "by": params.get("by", ""),
            "count": params.get("count", ""),
            "file": params.get("file", ""),
        }
        if params.get("target") == "accounts":
            return _("%(by)s imported %(count)s accounts from “%(file)s” and assigned them to you.") % values
        if params.get("target") == "leads":
            return _("%(by)s imported %(count)s leads from “%(file)s” and assigned them to you.") % values
        return _("%(by)s imported %(count)s contacts from “%(file)s” and assigned them to you.") % values
    if notification.kind == "import_done":
        values = {name: params.get(name, 0) for name in ("file", "created", "updated", "skipped", "rejected")}
        if notification.params.get("cancelled"):
            return (
                _(
                    "Import of “%(file)s” cancelled: %(created)s created, %(updated)s updated,"
                    " %(skipped)s skipped, %(rejected)s rejected."
                )
                % values
            )
        return (
            _(
                "Import of “%(file)s” finished: %(created)s created, %(updated)s updated,"
                " %(skipped)s skipped, %(rejected)s rejected."
            )
            % values
        )
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
