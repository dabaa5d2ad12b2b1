"""The sales module's part of caller ID: leads not yet converted with this number, in the user's scope
(a converted lead's number is on the contact it became)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from sencrm.core import access, callers
from sencrm.core.modules import Action
from sencrm.sales.choices import LeadStatus
from sencrm.sales.models import Lead, LeadPhone


@callers.register("leads", _("Leads"))
def leads(user: Any, e164: str) -> list[callers.Caller]:
    found = (
        access.scope(user, Lead, Action.VIEW)
        .filter(pk__in=LeadPhone.objects.filter(e164=e164).values("lead"))
        .exclude(status=LeadStatus.CONVERTED)
        .select_related("owner")
        .order_by("-id")[:20]
    )
    return [
        callers.Caller(
            id=lead.pk,
            name=lead.full_name,
            url=lead.get_absolute_url(),
            detail=lead.company,
            status=lead.status,
            status_label=lead.get_status_display(),
            owner={"id": lead.owner_id, "name": str(lead.owner)} if lead.owner_id else {},
        )
        for lead in found
    ]
