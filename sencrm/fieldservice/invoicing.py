"""The invoice of a finished work order: its chargeable parts (at their unit price) and its labour.

Made once per work order (idempotent: `wo.invoice` set, and a second call returns it), as a draft through
the billing writer with the rule's rights (`system`: the technician who finishes the job does not need
the billing right); event `work_order.invoiced`. Parts under warranty (chargeable=False) are not on it;
a work order that is not chargeable (warranty work) gets no labour line. Nothing to charge: no invoice.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from sencrm.core.vat import VatRate
from sencrm.events.services import event_emit
from sencrm.fieldservice.models import WorkOrder, WorkOrderPart

LABEL = "system:fieldservice"


def invoice_lines(wo: WorkOrder) -> list[dict[str, Any]]:
    """The lines the invoice would carry (cleaned form of sencrm/commerce/lines.clean_lines)."""
    lines: list[dict[str, Any]] = []
    parts = WorkOrderPart.objects.filter(work_order=wo, chargeable=True).select_related("product")
    for part in parts.order_by("id"):
        product = part.product
        lines.append(
            {
                "section": "",
                "product": product,
                "description": product.name[:500],
                "unit": product.unit[:20],
                "quantity": part.quantity,
                "unit_price": part.unit_price,
                "discount_percent": Decimal(0),
                "discount_amount": Decimal(0),
                "vat_rate": product.vat_rate or VatRate.TEN,
                "vat_reducible": bool(product.vat_reducible),
            }
        )
    if wo.chargeable and wo.labour_price > 0:
        lines.append(
            {
                "section": "",
                "product": None,
                "description": (_("Labour – work order %(number)s") % {"number": wo.number})[:500],
                "unit": _("job")[:20],
                "quantity": Decimal(1),
                "unit_price": wo.labour_price,
                "discount_percent": Decimal(0),
                "discount_amount": Decimal(0),
                "vat_rate": VatRate.TEN,
                "vat_reducible": True,
            }
        )
    return lines


@transaction.atomic
def invoice_for_work_order(wo: WorkOrder, *, actor: Any = None) -> Any:
    """The work order's invoice (made now when there is something to charge and none yet), or None."""
    from sencrm.billing import services as billing

    current = WorkOrder.all_objects.select_for_update().get(pk=wo.pk)
    if current.invoice_id is not None:
        return current.invoice
    lines = invoice_lines(current)
    if not lines:
        return None
    account = current.account or (
        current.contact.account if current.contact and current.contact.account_id else None
    )
    data = {
        "contact": current.contact,
        "account": account,
        "issue_date": timezone.localdate(),
        "notes": _("Work order %(number)s") % {"number": current.number},
    }
    invoice = billing._write_invoice(
        actor=actor if getattr(actor, "pk", None) else None,
        data=data,
        lines=lines,
        owner=current.owner,
        system=True,
        actor_label="" if getattr(actor, "pk", None) else LABEL,
        priced=True,
    )
    WorkOrder.all_objects.filter(pk=current.pk).update(invoice=invoice)
    current.invoice = invoice
    event_emit(
        type="work_order.invoiced",
        subject=current,
        actor=actor,
        actor_label="" if getattr(actor, "pk", None) else LABEL,
        data={"invoice": invoice.pk, "number": invoice.number, "total": str(invoice.total)},
    )
    return invoice
