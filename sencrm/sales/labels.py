"""How sales events read on a customer's journey ("Lead converted", "Stage: Mới → Đàm phán"…)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

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


TYPE_LABELS = {
    "lead.converted": gettext_lazy("Lead converted"),
    "opportunity.stage_changed": gettext_lazy("Opportunity moved to another stage"),
    "opportunity.won": gettext_lazy("Opportunity won"),
    "opportunity.lost": gettext_lazy("Opportunity lost"),
    "pipeline.created": gettext_lazy("Pipeline created"),
    "pipeline.updated": gettext_lazy("Pipeline updated"),
    "scoringrule.created": gettext_lazy("Scoring rule created"),
    "scoringrule.updated": gettext_lazy("Scoring rule updated"),
    "scoringrule.deleted": gettext_lazy("Scoring rule deleted"),
    "webform.created": gettext_lazy("Web form created"),
    "webform.updated": gettext_lazy("Web form updated"),
    "webform.deleted": gettext_lazy("Web form deleted"),
}


def _names(model: Any, ids: set[int], field: str) -> dict[int, str]:
    return dict(model._base_manager.filter(pk__in=ids).values_list("pk", field))


def webform_names(ids: set[int]) -> dict[int, str]:
    from sencrm.sales.models import WebForm

    return {
        pk: _("Web form ‘%(name)s’") % {"name": name} for pk, name in _names(WebForm, ids, "name").items()
    }


def conversion_names(ids: set[int]) -> dict[int, str]:
    from sencrm.sales.models import Lead

    return {
        pk: _("Conversion of the lead ‘%(name)s’") % {"name": name}
        for pk, name in _names(Lead, ids, "full_name").items()
    }


def opportunity_names(ids: set[int]) -> dict[int, str]:
    from sencrm.sales.models import Opportunity

    return {
        pk: _("System (opportunity ‘%(name)s’)") % {"name": name}
        for pk, name in _names(Opportunity, ids, "name").items()
    }


def register() -> None:
    from sencrm.events import formatting

    formatting.register_label("sales.lead", lead_label)
    formatting.register_label("sales.opportunity", opportunity_label)
    formatting.register_type_labels(TYPE_LABELS)
    formatting.register_actor("webform", webform_names)
    formatting.register_actor("lead", conversion_names)
    formatting.register_actor("opportunity", opportunity_names)
