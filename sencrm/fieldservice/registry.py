"""What after-sales adds to the lower apps' registries: the wording of its events, the technician's reach
to the customers of their work orders, and its hooks (home page, panels, caller card, periodic jobs:
each module registers itself when imported here)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy

from sencrm.events.formatting import register_type_labels

TYPE_LABELS = {
    "asset.created": gettext_lazy("Installed product recorded"),
    "asset.updated": gettext_lazy("Installed product changed"),
    "asset.deleted": gettext_lazy("Installed product deleted"),
    "asset.restored": gettext_lazy("Installed product restored from the trash"),
    "asset.purged": gettext_lazy("Installed product purged"),
    "asset.warranty_voided": gettext_lazy("Warranty voided"),
    "asset.warranty_expiring": gettext_lazy("Warranty about to end"),
    "maintenance_plan.created": gettext_lazy("Maintenance plan created"),
    "maintenance_plan.updated": gettext_lazy("Maintenance plan changed"),
    "maintenance_plan.deleted": gettext_lazy("Maintenance plan deleted"),
    "maintenance_plan.restored": gettext_lazy("Maintenance plan restored from the trash"),
    "maintenance_plan.purged": gettext_lazy("Maintenance plan purged"),
    "maintenance_plan.ended": gettext_lazy("Maintenance plan ended"),
    "maintenance.due": gettext_lazy("Maintenance visit due"),
    "maintenance.skipped": gettext_lazy("Maintenance visit skipped"),
    "maintenance.rescheduled": gettext_lazy("Maintenance visit rescheduled"),
    "maintenance.reminded": gettext_lazy("Customer reminded of a maintenance visit"),
    "work_order.created": gettext_lazy("Work order created"),
    "work_order.updated": gettext_lazy("Work order changed"),
    "work_order.deleted": gettext_lazy("Work order deleted"),
    "work_order.restored": gettext_lazy("Work order restored from the trash"),
    "work_order.purged": gettext_lazy("Work order purged"),
    "work_order.scheduled": gettext_lazy("Work order scheduled"),
    "work_order.assigned": gettext_lazy("Work order assigned"),
    "work_order.on_the_way": gettext_lazy("Technician on the way"),
    "work_order.started": gettext_lazy("Work started on site"),
    "work_order.done": gettext_lazy("Work order done"),
    "work_order.failed": gettext_lazy("Work order could not be completed"),
    "work_order.cancelled": gettext_lazy("Work order cancelled"),
    "work_order.signed": gettext_lazy("Customer signed the work order"),
    "work_order.photo_added": gettext_lazy("Photo added to a work order"),
    "work_order.part_added": gettext_lazy("Part used on a work order"),
    "work_order.checked": gettext_lazy("Checklist step ticked"),
    "work_order.noted": gettext_lazy("Note on a work order"),
    "work_order.invoiced": gettext_lazy("Work order invoiced"),
    "work_order.part_removed": gettext_lazy("Part removed from a work order"),
    "ticket.work_order_created": gettext_lazy("Work order created for the ticket"),
    "asset.status_changed": gettext_lazy("Installed product's status changed"),
    "fieldservice_skill.created": gettext_lazy("Skill created"),
    "fieldservice_skill.updated": gettext_lazy("Skill changed"),
    "fieldservice_skill.deleted": gettext_lazy("Skill deleted"),
    "fieldservice_technician.created": gettext_lazy("Technician profile created"),
    "fieldservice_technician.updated": gettext_lazy("Technician profile changed"),
    "fieldservice_checklist.created": gettext_lazy("Checklist step created"),
    "fieldservice_checklist.updated": gettext_lazy("Checklist step changed"),
    "fieldservice_checklist.deleted": gettext_lazy("Checklist step deleted"),
}


def register() -> None:
    register_type_labels(TYPE_LABELS)
    from sencrm.customers.models import REACH

    # Each registers its hooks when imported: the home page (dashboard), the customer's panels (panels),
    # the caller card (card_hooks), the worker's jobs (tasks).
    from sencrm.fieldservice import card_hooks, dashboard, panels, tasks  # noqa: F401

    if work_order_customers not in REACH:
        REACH.append(work_order_customers)


def work_order_customers(user: Any, level: str, model: Any) -> Any:
    """A user who may read only their own customers but does field work (a technician) also reads the
    customers of the work orders assigned to them. Only for such users: the others' lists keep their
    plain filter."""
    from django.db.models import Q

    from sencrm.core import access
    from sencrm.core.modules import Action, Module, Scope
    from sencrm.fieldservice.models import WorkOrder

    if level != Scope.OWN or not access.can(user, Module.FIELDSERVICE, Action.VIEW):
        return None
    field = "contact_id" if model._meta.model_name == "contact" else "account_id"
    mine = WorkOrder.objects.filter(technician_id=user.pk).exclude(**{f"{field}__isnull": True}).values(field)
    return Q(pk__in=mine)
