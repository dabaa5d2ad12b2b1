"""The demo company's profile: what its quotes, orders and contracts print as the issuer."""

from __future__ import annotations

import io
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageDraw, ImageFont

from sencrm.documents import fonts, services
from sencrm.documents.selectors import company_profile

COMPANY = {
    "name": "Công ty TNHH Điều hòa Sen",
    "address": "Số 88 đường Trần Duy Hưng, phường Yên Hòa, Hà Nội",
    "tax_code": "0109876543",
    "phone": "024 3999 8888",
    "email": "lienhe@dieuhoasen.vn",
    "website": "https://dieuhoasen.vn",
    "bank_account": "0011004567890",
    "bank_name": "Vietcombank — Chi nhánh Thăng Long",
    "bank_bin": "970436",  # Vietcombank in the NAPAS list
    "representative": "Phạm Quốc Huy",
    "representative_title": "Giám đốc",
}


def _logo() -> SimpleUploadedFile:
    """A drawn logo (a teal badge with "SEN"), so the demo's letterhead shows one."""
    image = Image.new("RGBA", (360, 120), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((0, 0, 119, 119), radius=24, fill=(15, 118, 110, 255))
    draw.ellipse((30, 30, 89, 89), fill=(255, 255, 255, 255))
    bold = ImageFont.truetype(str(fonts.FONT_DIR / "BeVietnamPro-Bold.ttf"), 64)
    draw.text((138, 18), "SEN", font=bold, fill=(15, 118, 110, 255))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return SimpleUploadedFile("logo-sen.png", out.getvalue(), content_type="image/png")


def load_company(users: dict[str, Any]) -> bool:
    """Fill in the profile once; an administrator's later edits are never overwritten."""
    if company_profile().name:
        return False
    services.company_update(actor=users["admin"], changes=COMPANY, version=None, logo=_logo())
    return True
