"""What customer care adds to the lower apps' registries: the wording of its events, its panels,
the caller ID lookups, and its periodic jobs (imported so that Huey registers them)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy

from sencrm.events.formatting import register_type_labels

TYPE_LABELS = {
    "ticket.created": gettext_lazy("Ticket opened"),
    "ticket.updated": gettext_lazy("Ticket changed"),
    "ticket.status_changed": gettext_lazy("Ticket status changed"),
    "ticket.assigned": gettext_lazy("Ticket assigned"),
    "ticket.escalated": gettext_lazy("Ticket escalated to second line"),
    "ticket.sla_warning": gettext_lazy("Ticket close to its SLA deadline"),
    "ticket.sla_breached": gettext_lazy("Ticket missed its SLA deadline"),
    "ticket.resolved": gettext_lazy("Ticket resolved"),
    "ticket.closed": gettext_lazy("Ticket closed"),
    "ticket.reopened": gettext_lazy("Ticket reopened"),
    "ticket.replied": gettext_lazy("Reply sent to the customer"),
    "ticket.noted": gettext_lazy("Internal note on a ticket"),
    "ticket.customer_replied": gettext_lazy("The customer wrote on a ticket"),
    "ticket.merged": gettext_lazy("Ticket merged into another"),
    "ticket.deleted": gettext_lazy("Ticket deleted"),
    "call.started": gettext_lazy("Call started"),
    "call.ended": gettext_lazy("Call ended"),
    "call.created": gettext_lazy("Call logged"),
    "call.updated": gettext_lazy("Call changed"),
    "carecall.created": gettext_lazy("Care call planned"),
    "carecall.updated": gettext_lazy("Care call changed"),
    "carecall.done": gettext_lazy("Care call made"),
    "review.requested": gettext_lazy("Rating asked of the customer"),
    "review.received": gettext_lazy("Customer's rating received"),
    "survey.created": gettext_lazy("NPS survey created"),
    "survey.sent": gettext_lazy("NPS survey sent"),
    "ticket.restored": gettext_lazy("Ticket restored from the trash"),
    "ticket.purged": gettext_lazy("Ticket purged"),
    "call.deleted": gettext_lazy("Call deleted"),
    "call.restored": gettext_lazy("Call restored from the trash"),
    "call.purged": gettext_lazy("Call purged"),
    "carecall.deleted": gettext_lazy("Care call deleted"),
    "carecall.restored": gettext_lazy("Care call restored from the trash"),
    "carecall.purged": gettext_lazy("Care call purged"),
    "review.created": gettext_lazy("Rating asked"),
    "review.updated": gettext_lazy("Rating changed"),
    "review.deleted": gettext_lazy("Rating deleted"),
    "review.restored": gettext_lazy("Rating restored from the trash"),
    "review.purged": gettext_lazy("Rating purged"),
    "survey.updated": gettext_lazy("NPS survey changed"),
    "survey.deleted": gettext_lazy("NPS survey deleted"),
    "survey.restored": gettext_lazy("NPS survey restored from the trash"),
    "survey.purged": gettext_lazy("NPS survey purged"),
    "support_category.created": gettext_lazy("Ticket category created"),
    "support_category.updated": gettext_lazy("Ticket category changed"),
    "support_category.deleted": gettext_lazy("Ticket category deleted"),
    "support_calendar.created": gettext_lazy("Business calendar created"),
    "support_calendar.updated": gettext_lazy("Business calendar changed"),
    "support_queue.created": gettext_lazy("Care queue created"),
    "support_queue.updated": gettext_lazy("Care queue changed"),
    "support_routing_rule.created": gettext_lazy("Routing rule created"),
    "support_routing_rule.updated": gettext_lazy("Routing rule changed"),
    "support_sla_policy.created": gettext_lazy("SLA policy created"),
    "support_sla_policy.updated": gettext_lazy("SLA policy changed"),
    "support_carecall_rule.created": gettext_lazy("Care call rule created"),
    "support_carecall_rule.updated": gettext_lazy("Care call rule changed"),
    "support_absence.created": gettext_lazy("Absence created"),
    "support_absence.deleted": gettext_lazy("Absence deleted"),
    "support_extension.created": gettext_lazy("Phone extension created"),
    "support_extension.updated": gettext_lazy("Phone extension changed"),
    "support_extension.deleted": gettext_lazy("Phone extension deleted"),
}


def register() -> None:
    register_type_labels(TYPE_LABELS)
    # Each part registers its hooks when imported: the care home page and My day (dashboard), caller ID
    # (callers), the worker's jobs (tasks).
    from sencrm.customers.models import REACH
    from sencrm.support import callers, dashboard, tasks  # noqa: F401

    if ticket_customers not in REACH:
        REACH.append(ticket_customers)


def ticket_customers(user: Any, level: str, model: Any) -> Any:
    """A user who may read only their own customers but works tickets (a technician on second line)
    also reads the customers of the tickets assigned to them. Only for such users: the others' lists
    keep their plain filter."""
    from django.db.models import Q

    from sencrm.core import access
    from sencrm.core.modules import Action, Module, Scope
    from sencrm.support.models import Ticket

    if level != Scope.OWN or not access.can(user, Module.SUPPORT, Action.VIEW):
        return None
    field = "contact_id" if model._meta.model_name == "contact" else "account_id"
    mine = Ticket.objects.filter(owner_id=user.pk).exclude(**{f"{field}__isnull": True}).values(field)
    return Q(pk__in=mine)
