"""The service report (phiếu công việc / biên bản hoàn thành) of a work order as a PDF, through the
documents engine (kind "service_report": the administrator's template, or the default one in
sencrm/documents/templates_default/service_report.html.j2). The caller has checked the gate."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.utils import timezone

from sencrm.documents.pdf import render_pdf
from sencrm.fieldservice import files
from sencrm.fieldservice.models import WorkKind, WorkOrder, WorkStatus

MAX_PHOTOS = 6
KIND_LABELS = {
    WorkKind.INSTALL: "Lắp đặt",
    WorkKind.REPAIR: "Sửa chữa",
    WorkKind.WARRANTY_REPAIR: "Sửa chữa bảo hành",
    WorkKind.MAINTENANCE: "Bảo dưỡng",
}
STATUS_LABELS = {
    WorkStatus.SCHEDULED: "Đã lên lịch",
    WorkStatus.ON_THE_WAY: "Đang di chuyển",
    WorkStatus.IN_PROGRESS: "Đang thực hiện",
    WorkStatus.DONE: "Hoàn thành",
    WorkStatus.FAILED: "Không hoàn thành",
    WorkStatus.CANCELLED: "Đã hủy",
}
WARRANTY_LABELS = {
    "none": "Không bảo hành",
    "product": "Bảo hành sản phẩm",
    "contract": "Bảo hành theo hợp đồng",
    "manual": "Bảo hành (nhập tay)",
    "voided": "Mất bảo hành",
}


def _when(value: dt.datetime | None, fmt: str = "%d/%m/%Y %H:%M") -> str:
    return timezone.localtime(value).strftime(fmt) if value else ""


def report_context(wo: WorkOrder) -> dict[str, Any]:
    """The documents context of the work order's report (see sencrm/documents/context.py)."""
    customer = wo.account or wo.contact
    links = list(wo.asset_links.select_related("asset", "asset__product").order_by("id"))
    parts = list(wo.parts.select_related("product").order_by("id"))
    part_rows = []
    parts_total = Decimal(0)
    for part in parts:
        amount = (part.quantity * part.unit_price).quantize(Decimal(1)) if part.chargeable else Decimal(0)
        parts_total += amount
        part_rows.append(
            {
                "description": part.product.name,
                "unit": part.product.unit,
                "quantity": part.quantity,
                "unit_price": part.unit_price,
                "amount": amount,
                "chargeable": part.chargeable,
            }
        )
    photos = []
    for photo in wo.photos.order_by("taken_at", "id")[:MAX_PHOTOS]:
        src = files.data_url(photo.file, "image/jpeg")
        if src:
            photos.append({"src": src, "caption": photo.caption})
    site_contact = " · ".join(p for p in (wo.site_contact_name, wo.site_contact_phone) if p)
    same_day = (
        wo.scheduled_start
        and wo.scheduled_end
        and timezone.localtime(wo.scheduled_start).date() == timezone.localtime(wo.scheduled_end).date()
    )
    document = {
        "number": wo.number,
        "date": timezone.localtime(wo.finished_at or wo.scheduled_start or wo.created_at).date(),
        "title": wo.title,
        "kind_label": KIND_LABELS.get(WorkKind(wo.kind), wo.kind),
        "status_label": STATUS_LABELS.get(WorkStatus(wo.status), wo.status),
        "description": wo.description,
        "site": wo.site_address,
        "site_contact": site_contact,
        "technician": str(wo.technician) if wo.technician_id else "",
        "scheduled_start": _when(wo.scheduled_start),
        "scheduled_end": _when(wo.scheduled_end, "%H:%M" if same_day else "%d/%m/%Y %H:%M"),
        "started_at": _when(wo.started_at),
        "finished_at": _when(wo.finished_at),
        "minutes_spent": wo.minutes_spent or "",
        "result_notes": wo.result_notes or wo.failure_reason or wo.cancel_reason,
        "ticket": wo.ticket.number if wo.ticket_id and wo.ticket else "",
        "assets": [
            {
                "product": link.asset.product.name,
                "serial_number": link.asset.serial_number,
                "in_warranty": link.in_warranty,
                "warranty_until": link.asset.warranty_until,
                "warranty_label": WARRANTY_LABELS.get(link.warranty_rule, ""),
            }
            for link in links
        ],
        "checks": [
            {"text": c.text, "done": c.done, "note": c.note} for c in wo.checks.order_by("position", "id")
        ],
        "parts": part_rows,
        "parts_total": parts_total,
        "labour_price": wo.labour_price if wo.chargeable else Decimal(0),
        "chargeable": wo.chargeable,
        "invoice": wo.invoice.number if wo.invoice_id and wo.invoice else "",
        "photos": photos,
        "signature": files.data_url(wo.signature_file, "image/png") if wo.signature_file else "",
        "signed_by": wo.signed_by,
        "signed_at": _when(wo.signed_at, "%H:%M %d/%m/%Y"),
    }
    customer_data = {
        "name": str(customer) if customer is not None else "",
        "address": getattr(customer, "address", "") if customer is not None else "",
        "phone": getattr(customer, "primary_phone", "") if customer is not None else "",
        "email": getattr(customer, "primary_email", "") if customer is not None else "",
        "tax_code": getattr(customer, "tax_code", "") if customer is not None else "",
    }
    if wo.contact_id and wo.account_id and wo.contact:
        customer_data["representative"] = str(wo.contact)
    return {"document": document, "customer": customer_data, "totals": {"total": parts_total}}


def service_report_pdf(wo: WorkOrder) -> bytes:
    """The PDF of the work order's service report."""
    return render_pdf("service_report", report_context(wo))
