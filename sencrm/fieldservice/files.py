"""Photos taken on site and the customer's signature: checked by their content, re-encoded, stored
outside the web root (DATA_DIR/fieldservice) under a random name, mode 0600, and only read back by that
name (never a path from a request).

Photos: JPEG, PNG or WebP by content (Pillow opens and verifies the file; SVG, HTML or a script renamed
.jpg is refused), at most settings.FIELDSERVICE_PHOTO_MAX_MB, at most MAX_PIXELS before decoding (a
decompression bomb is refused), re-encoded to JPEG at most MAX_SIDE px (EXIF and anything else dropped).
Signatures: a PNG (bytes or a `data:image/png;base64,` URL), at most 1 MB, re-encoded to PNG.
"""

from __future__ import annotations

import base64
import binascii
import io
import os
import secrets
import warnings
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from sencrm.core import access

PHOTO_FORMATS = ("JPEG", "PNG", "WEBP")
MAX_PIXELS = 50_000_000  # ~ 8000 × 6000: phones' photos; more is a decompression bomb
MAX_SIDE = 2000
MAX_SIGNATURE_BYTES = 1024 * 1024
MAX_SIGNATURE_PIXELS = 4000 * 2000
DATA_URL_PREFIX = "data:image/png;base64,"


def storage_dir() -> Path:
    path = Path(settings.DATA_DIR) / "fieldservice"
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def stored_path(name: str) -> Path | None:
    """The stored file for a name, or None (a name with a path in it never leaves the folder)."""
    if not name or Path(name).name != name or name.startswith("."):
        return None
    path = storage_dir() / name
    return path if path.is_file() else None


def _write(data: bytes, suffix: str) -> str:
    name = f"{secrets.token_hex(16)}.{suffix}"
    fd = os.open(storage_dir() / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    return name


def remove(name: str) -> None:
    path = stored_path(name)
    if path is not None:
        path.unlink(missing_ok=True)


def _open(data: bytes, formats: tuple[str, ...], max_pixels: int, message: str) -> Image.Image:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            probe = Image.open(io.BytesIO(data), formats=list(formats))
            if probe.format not in formats:
                raise ValidationError(message)
            if probe.width * probe.height > max_pixels:
                raise ValidationError(_("The image has too many pixels."))
            probe.verify()
            image = Image.open(io.BytesIO(data), formats=list(formats))
            image.load()
    except ValidationError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ValidationError(_("The image has too many pixels.")) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
        raise ValidationError(message) from None
    return image


def _read_upload(upload: Any, limit: int) -> bytes:
    size = getattr(upload, "size", None)
    if size is not None and size > limit:
        raise ValidationError(
            _("The photo is larger than %(mb)s MB.") % {"mb": settings.FIELDSERVICE_PHOTO_MAX_MB}
        )
    if hasattr(upload, "seek"):
        upload.seek(0)
    data = upload.read(limit + 1) if hasattr(upload, "read") else bytes(upload)
    if len(data) > limit:
        raise ValidationError(
            _("The photo is larger than %(mb)s MB.") % {"mb": settings.FIELDSERVICE_PHOTO_MAX_MB}
        )
    if not data:
        raise ValidationError(_("The photo file is empty."))
    return bytes(data)


def store_photo(upload: Any) -> tuple[str, int, int, int]:
    """Check and re-encode an uploaded photo, store it; (name, width, height, size in bytes).
    ValidationError when it is not a JPEG/PNG/WebP image within the limits."""
    limit = int(settings.FIELDSERVICE_PHOTO_MAX_MB) * 1024 * 1024
    data = _read_upload(upload, limit)
    image = _open(data, PHOTO_FORMATS, MAX_PIXELS, _("The photo must be a JPEG, PNG or WebP image."))
    image = ImageOps.exif_transpose(image) or image
    image.thumbnail((MAX_SIDE, MAX_SIDE))
    if image.mode in ("RGBA", "LA", "P"):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.split()[-1])
        image = background
    out = io.BytesIO()
    image.convert("RGB").save(out, format="JPEG", quality=85, optimize=True)
    encoded = out.getvalue()
    name = _write(encoded, "jpg")
    return name, image.width, image.height, len(encoded)


def signature_bytes(data: bytes | str) -> bytes:
    """The PNG bytes of a signature given as bytes or as a data: URL; ValidationError otherwise."""
    bad = ValidationError(_("The signature is not an image."))
    if isinstance(data, str):
        text = data.strip()
        if not text.startswith(DATA_URL_PREFIX):
            raise bad
        body = text[len(DATA_URL_PREFIX) :]
        if len(body) > MAX_SIGNATURE_BYTES * 4 // 3 + 8:
            raise ValidationError(_("The signature is too large."))
        try:
            raw = base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError):
            raise bad from None
    elif isinstance(data, bytes | bytearray | memoryview):
        raw = bytes(data)
    else:
        raise bad
    if len(raw) > MAX_SIGNATURE_BYTES:
        raise ValidationError(_("The signature is too large."))
    if not raw:
        raise bad
    return raw


def store_signature(data: bytes | str) -> str:
    """Check a signature (a PNG, ≤ 1 MB), re-encode and store it; the stored name."""
    raw = signature_bytes(data)
    image = _open(raw, ("PNG",), MAX_SIGNATURE_PIXELS, _("The signature is not an image."))
    if image.mode not in ("RGB", "RGBA", "L", "LA"):
        image = image.convert("RGBA")
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return _write(out.getvalue(), "png")


def data_url(name: str, content_type: str) -> str:
    """A stored image as a data: URL (how the PDF template gets images: no file access)."""
    path = stored_path(name)
    if path is None:
        return ""
    return f"data:{content_type};base64,{base64.b64encode(path.read_bytes()).decode('ascii')}"


def _stream(name: str, content_type: str, filename: str) -> FileResponse:
    path = stored_path(name)
    if path is None:
        raise Http404(str(access.NOT_FOUND))
    response = FileResponse(path.open("rb"), content_type=content_type, filename=filename)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=3600"
    return response


def photo_response(photo: Any) -> FileResponse:
    """The photo's file (the caller has checked the gate on its work order)."""
    return _stream(photo.file, "image/jpeg", f"photo-{photo.pk}.jpg")


def signature_response(wo: Any) -> FileResponse:
    """The work order's signature (the caller has checked the gate)."""
    return _stream(wo.signature_file, "image/png", f"signature-{wo.number}.png")
