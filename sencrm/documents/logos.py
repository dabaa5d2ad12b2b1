"""The company logo: a PNG or JPEG checked by its content, re-encoded, stored outside the web root.

Re-encoding with Pillow keeps only the pixels, so a file that is also a script or an HTML page (a
polyglot) or carries metadata loses that. The file gets a random name in DATA_DIR/company and is only
ever read back by that name, never by a path from a request.
"""

from __future__ import annotations

import base64
import io
import secrets
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

from sencrm.documents.choices import LogoType

MAX_LOGO_BYTES = 2 * 1024 * 1024
MAX_LOGO_PIXELS = 4096 * 4096  # before decoding: a small file that unpacks to gigabytes is refused
MAX_LOGO_SIDE = 1200  # what a letterhead needs at 300 dpi; larger logos are scaled down
FORMATS: dict[str, str] = {"PNG": LogoType.PNG, "JPEG": LogoType.JPEG}
CONTENT_TYPES: dict[str, str] = {LogoType.PNG: "image/png", LogoType.JPEG: "image/jpeg"}


def logos_dir() -> Path:
    path = Path(settings.DATA_DIR) / "company"
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def logo_path(name: str) -> Path | None:
    """The stored file for a logo name, or None (a name with a path in it never leaves the folder)."""
    if not name:
        return None
    path = logos_dir() / Path(name).name
    return path if path.is_file() else None


def _open(data: bytes) -> Image.Image:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            probe = Image.open(io.BytesIO(data))
            if probe.format not in FORMATS:
                raise ValidationError(_("The logo must be a PNG or JPEG image."))
            if probe.width * probe.height > MAX_LOGO_PIXELS:
                raise ValidationError(_("The logo is too large: at most 4096 × 4096 pixels."))
            probe.verify()  # checks the file's structure; the image must be opened again after
            image = Image.open(io.BytesIO(data))
            image.load()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError,
            Image.DecompressionBombWarning):  # fmt: skip
        raise ValidationError(_("The logo must be a PNG or JPEG image.")) from None
    return image


@dataclass(frozen=True)
class CleanLogo:
    """A checked, re-encoded logo not yet written: `write()` it once the change is committed."""

    name: str
    kind: str
    data: bytes

    def write(self) -> None:
        (logos_dir() / self.name).write_bytes(self.data)


def prepare(upload: Any) -> CleanLogo:
    """Check an uploaded logo and re-encode it (the random name it will be stored under included);
    ValidationError when it is not a PNG or JPEG within the limits."""
    size = getattr(upload, "size", None)
    if size is None or size > MAX_LOGO_BYTES:
        raise ValidationError(
            _("The logo is larger than %(mb)s MB.") % {"mb": MAX_LOGO_BYTES // (1024 * 1024)}
        )
    if size == 0:
        raise ValidationError(_("The logo file is empty."))
    upload.seek(0)
    image = _open(upload.read(MAX_LOGO_BYTES + 1))
    kind = FORMATS[str(image.format)]
    image.thumbnail((MAX_LOGO_SIDE, MAX_LOGO_SIDE))
    out = io.BytesIO()
    if kind == LogoType.JPEG:
        image.convert("RGB").save(out, format="JPEG", quality=90)
    else:
        if image.mode not in ("RGB", "RGBA", "L", "LA", "P"):
            image = image.convert("RGBA")
        image.save(out, format="PNG", optimize=True)
    name = f"{secrets.token_hex(16)}.{'jpg' if kind == LogoType.JPEG else 'png'}"
    return CleanLogo(name=name, kind=kind, data=out.getvalue())


def remove(name: str) -> None:
    path = logo_path(name)
    if path is not None:
        path.unlink(missing_ok=True)


def data_url(name: str, kind: str) -> str:
    """The logo as a data: URL, the only way a document template gets an image (no file access)."""
    path = logo_path(name)
    if path is None or kind not in CONTENT_TYPES:
        return ""
    return f"data:{CONTENT_TYPES[kind]};base64,{base64.b64encode(path.read_bytes()).decode('ascii')}"
