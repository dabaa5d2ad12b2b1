"""The signed copy of a contract: a PDF checked by its content, stored outside the web root."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.utils.translation import gettext as _

from sencrm.core import access

MAX_BYTES_DEFAULT = 20 * 1024 * 1024


def max_bytes() -> int:
    return int(getattr(settings, "CONTRACT_MAX_UPLOAD_MB", 20)) * 1024 * 1024


def files_dir() -> Path:
    path = Path(settings.DATA_DIR) / "contracts"
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def _is_pdf(head: bytes, tail: bytes) -> bool:
    # A PDF starts with "%PDF-1.x" (within the first KiB) and ends with "%%EOF" (within the last KiB).
    return b"%PDF-" in head[:1024] and b"%%EOF" in tail


def store_signed_pdf(upload: Any) -> str:
    """Check and store an uploaded file; the stored name (random) is returned. Refuses anything that is
    not a PDF by its content, whatever its name says, and anything above the size limit."""
    if upload.size is None or upload.size > max_bytes():
        raise ValidationError(_("The file is larger than %(mb)s MB.") % {"mb": max_bytes() // (1024 * 1024)})
    if upload.size == 0:
        raise ValidationError(_("The file is empty."))
    upload.seek(0)
    head = upload.read(1024)
    upload.seek(max(0, upload.size - 1024))
    tail = upload.read(1024)
    if not _is_pdf(head, tail):
        raise ValidationError(_("This file is not a PDF. Upload the signed contract as a PDF."))
    upload.seek(0)
    name = f"{secrets.token_hex(16)}.pdf"
    with (files_dir() / name).open("wb") as out:
        for chunk in upload.chunks():
            out.write(chunk)
    return name


def signed_pdf_response(contract: Any) -> FileResponse:
    path = files_dir() / Path(contract.signed_file).name  # never a path from outside the folder
    if not path.is_file():
        raise Http404(str(access.NOT_FOUND))
    filename = contract.signed_file_name or f"{contract.number}.pdf"
    return FileResponse(path.open("rb"), content_type="application/pdf", filename=filename)
