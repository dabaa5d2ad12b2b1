"""The service report PDF (phiếu công việc) through the documents engine: number, customer, site,
technician, assets with warranty, checklist, parts (chargeable or free), result and the signature."""

from __future__ import annotations

import datetime as dt
import io

import pypdf
import pytest
from django.utils import timezone
from PIL import Image

from sencrm.documents.context import sample_context
from sencrm.documents.pdf import render_pdf
from sencrm.fieldservice import report, services
from sencrm.fieldservice.models import ChecklistItem, WorkKind, WorkStatus
from sencrm.fieldservice.tests.fs_helpers import (  # noqa: F401
    aircon_fixture,
    make_asset_fixture,
    part_fixture,
    tech2_fixture,
)

pytestmark = pytest.mark.django_db


def text_of(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages)


def images_in(pdf: bytes) -> int:
    return sum(len(page.images) for page in pypdf.PdfReader(io.BytesIO(pdf)).pages)


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (120, 40), (255, 255, 255)).save(out, format="PNG")
    return out.getvalue()


def test_the_report_of_a_finished_signed_work_order(org, make_contact, tech2, make_asset, part):
    lan = make_contact(owner="care", full_name="Trần Thị Lan", street="12 Trần Phú")
    asset = make_asset(lan, serial_number="E123456789")
    ChecklistItem.objects.create(kind=WorkKind.WARRANTY_REPAIR, text="Kiểm tra áp suất gas")
    wo = services.work_order_create(
        actor=org["care"],
        data={"title": "Máy lạnh không lạnh", "kind": WorkKind.WARRANTY_REPAIR},
        assets=[asset],
    )
    start = timezone.now() + dt.timedelta(hours=1)
    wo = services.work_order_schedule(wo, actor=org["care"], technician=org["tech"], start=start, end=None)
    tech = org["tech"]
    services.work_order_set_check(wo, actor=tech, check_id=wo.checks.get().pk, done=True, note="120 psi")
    services.work_order_add_part(wo, actor=tech, product=part, quantity=1)
    wo = services.work_order_transition(wo, actor=tech, status=WorkStatus.IN_PROGRESS)
    wo = services.work_order_sign(wo, actor=tech, image=png(), signed_by="Trần Thị Lan")
    wo = services.work_order_finish(wo, actor=tech, result_notes="Đã thay tụ điện, máy chạy ổn định")

    pdf = report.service_report_pdf(wo)
    text = text_of(pdf)
    assert pdf.startswith(b"%PDF")
    for expected in (
        "PHIẾU CÔNG VIỆC",
        wo.number,
        "Trần Thị Lan",
        "12 Trần Phú",
        str(tech),
        "E123456789",
        "Còn bảo hành",
        "Kiểm tra áp suất gas",
        "Tụ điện máy nén",
        "miễn phí",
        "Đã thay tụ điện",
        "Đã ký lúc " + timezone.localtime(wo.signed_at).strftime("%H:%M %d/%m/%Y"),
    ):
        assert expected in text, expected
    assert images_in(pdf) >= 1  # the signature


def test_the_template_preview_has_a_service_report_sample():
    text = text_of(render_pdf("service_report", sample_context("service_report")))
    assert "CV-2026-000042" in text and "Vệ sinh dàn lạnh" in text
