"""After-sales on other apps' pages without their views knowing it: the ticket page asks
`{% ticket_work_orders ticket as fs %}` for the ticket's work orders and the "Create a work order" link."""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse

from sencrm.core import access
from sencrm.core.modules import Action, Module
from sencrm.fieldservice.models import WorkOrder

register = template.Library()


@register.simple_tag(takes_context=True)
def ticket_work_orders(context: dict[str, Any], ticket: Any) -> dict[str, Any]:
    user = context["request"].user
    if not access.can(user, Module.FIELDSERVICE, Action.VIEW):
        return {}
    rows = (
        access.scope(user, WorkOrder, Action.VIEW)
        .filter(ticket_id=ticket.pk)
        .select_related("technician")
        .order_by("-created_at")[:10]
    )
    can_create = access.can(user, Module.FIELDSERVICE, Action.CREATE)
    return {
        "work_orders": list(rows),
        "create_url": f"{reverse('fieldservice:workorder_create')}?ticket={ticket.pk}" if can_create else "",
    }
