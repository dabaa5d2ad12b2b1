"""How sales events read on a customer's journey ("Lead converted", "Stage: Mới → Đàm phán"…)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from sencrm.events.models import Event


def _duration(seconds: int | None) -> str:
    if seconds is None:
        return ""
    days, rest = divmod(int(seconds), 86400)
    hours = rest // 3600
    if days:
        return _("%(days)s d %(hours)s h") % {"days": days, "hours": hours}
    minutes = (rest % 3600) // 60
    return _("%(hours)s h %(minutes)s min") % {"hours": hours, "minutes": minutes}


def lead_label(event: Event) -> str | None:
    from sencrm.extras.imports.labels import import_label

    imported = import_label(event)
    if imported:
        return imported
    action = event.type.rpartition(".")[2]
    if action == "converted":
        return _("Lead converted")
    if action == "created" and event.actor_label.startswith("webform#"):
        return _("Lead captured from a web form")
    return None


def opportunity_label(event: Event) -> str | None:
    action = event.type.rpartition(".")[2]
    data = event.data
    if action == "stage_changed":
        text = _("Stage: %(old)s → %(new)s") % {
            "old": data.get("from", {}).get("name", "?"),
            "new": data.get("to", {}).get("name", "?"),
        }
        spent = _duration(data.get("seconds_in_previous_stage"))
        if spent:
            text += " " + _("(after %(time)s in the previous stage)") % {"time": spent}
        return text
    if action == "won":
        return _("Opportunity won")
    if action == "lost":
        reason = data.get("reason") or ""
        return _("Opportunity lost: %(reason)s") % {"reason": reason} if reason else _("Opportunity lost")
    return None
