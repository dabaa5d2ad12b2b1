"""Upload checks and storage: allowed names and contents, zip bombs, files kept outside MEDIA_ROOT."""

from __future__ import annotations

import contextlib
import re
import secrets
import unicodedata
import zipfile
from pathlib import Path
from typing import IO

from django.conf import settings
from django.utils.translation import gettext as _

ALLOWED_EXTENSIONS = {"csv": "csv", "txt": "csv", "tsv": "csv", "xlsx": "xlsx"}
# Inner extensions that make a name a disguised executable or page ("x.php.csv").
DANGEROUS = {
    "php", "php3", "php4", "php5", "php7", "phtml", "phar", "pht", "phps", "asp", "aspx", "jsp", "jspx",
    "cgi", "pl", "py", "rb", "sh", "bash", "exe", "dll", "bat", "cmd", "com", "msi", "scr", "js", "mjs",
    "html", "htm", "xhtml", "svg", "shtml", "htaccess", "config", "jar", "war", "vbs", "ps1", "xlsm",
}  # fmt: skip
MAX_XLSX_ENTRIES = 1000
MAX_XLSX_RATIO = 200  # uncompressed / compressed, per entry: real sheets compress 5–30×
MAX_XLSX_PART_BYTES = 512 * 1024 * 1024  # shared strings, styles: parts openpyxl reads into memory
MAGIC_BINARY = (
    b"PK\x03\x04",
    b"\xd0\xcf\x11\xe0",
    b"%PDF",
    b"MZ",
    b"\x89PNG",
    b"GIF8",
    b"\xff\xd8\xff",
    b"\x7fELF",
)


class UploadRefused(ValueError):
    """The file cannot be imported; the message says why (shown to the user)."""


def max_upload_bytes() -> int:
    return int(getattr(settings, "IMPORT_MAX_UPLOAD_MB", 100)) * 1024 * 1024


def max_uncompressed_bytes() -> int:
    return int(getattr(settings, "IMPORT_MAX_XLSX_UNCOMPRESSED_MB", 4096)) * 1024 * 1024


def imports_dir() -> Path:
    path = Path(settings.DATA_DIR) / "imports"
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def display_name(name: str) -> str:
    """The file name to show: no path, no control or bidi characters, at most 200 characters."""
    name = unicodedata.normalize("NFC", str(name or ""))
    name = re.split(r"[\\/]", name)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = name.strip(" .")
    if len(name) > 200:
        stem, dot, ext = name.rpartition(".")
        name = (stem[: 190 - len(ext)] + "…." + ext) if dot and len(ext) <= 5 else name[:200]
    return name or "file"


def kind_from_name(name: str) -> str:
    """csv or xlsx, from the extension; UploadRefused for anything else or a disguised double extension."""
    clean = display_name(name)
    if "\x00" in str(name):
        raise UploadRefused(_("The file name is not valid."))
    parts = clean.lower().split(".")
    if len(parts) < 2 or parts[-1] not in ALLOWED_EXTENSIONS:
        if parts[-1] == "xls":
            raise UploadRefused(_("Old .xls files cannot be read: save the file as .xlsx or .csv."))
        raise UploadRefused(_("Only .csv and .xlsx files can be imported."))
    if any(part in DANGEROUS for part in parts[1:-1]):
        raise UploadRefused(_("The file name has a suspicious double extension."))
    return ALLOWED_EXTENSIONS[parts[-1]]


def check_xlsx(path: Path) -> None:
    """An XLSX is a zip: refuse zip bombs and anything that is not a workbook before openpyxl opens it."""
    try:
        with zipfile.ZipFile(path) as archive:
            entries = archive.infolist()
            if len(entries) > MAX_XLSX_ENTRIES:
                raise UploadRefused(_("The Excel file has too many parts."))
            names = {e.filename for e in entries}
            if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
                raise UploadRefused(_("This is not an Excel workbook (.xlsx)."))
            total = 0
            for entry in entries:
                total += entry.file_size
                ratio = entry.file_size / max(entry.compress_size, 1)
                if entry.file_size > 1024 * 1024 and ratio > MAX_XLSX_RATIO:
                    raise UploadRefused(_("The Excel file expands to an unreasonable size (zip bomb?)."))
                in_memory = not entry.filename.startswith("xl/worksheets/")
                if in_memory and entry.file_size > MAX_XLSX_PART_BYTES:
                    raise UploadRefused(_("The Excel file expands to an unreasonable size (zip bomb?)."))
            if total > max_uncompressed_bytes():
                raise UploadRefused(_("The Excel file expands to an unreasonable size (zip bomb?)."))
    # Damaged zips also raise RuntimeError (encrypted parts), NotImplementedError (unknown compression)
    # and UnicodeDecodeError (file names that are not UTF-8).
    except (
        zipfile.BadZipFile,
        OSError,
        EOFError,
        RuntimeError,
        NotImplementedError,
        UnicodeDecodeError,
    ) as exc:
        raise UploadRefused(_("The Excel file is damaged or not an Excel file.")) from exc


def check_content(path: Path, kind: str) -> str:
    """Check that the content matches the kind; returns the kind to read it as."""
    with path.open("rb") as handle:
        head = handle.read(65536)
    if not head:
        raise UploadRefused(_("The file is empty."))
    if kind == "csv" and head.startswith(b"PK\x03\x04"):
        kind = "xlsx"  # an Excel file saved with a .csv name: read it as what it is
    if kind == "xlsx":
        if not head.startswith(b"PK\x03\x04"):
            raise UploadRefused(_("This is not an Excel workbook (.xlsx)."))
        check_xlsx(path)
        return kind
    if head.startswith(MAGIC_BINARY):
        raise UploadRefused(_("This is not a text (CSV) file."))
    utf16 = head.startswith((b"\xff\xfe", b"\xfe\xff")) or looks_utf16(head)
    if b"\x00" in head and not utf16:
        raise UploadRefused(_("This is not a text (CSV) file."))
    return kind


def looks_utf16(head: bytes) -> bool:
    """UTF-16 without a BOM: every other byte is NUL in Latin-script text."""
    sample = head[:4096]
    if len(sample) < 4:
        return False
    zeros_odd = sample[1::2].count(0) / max(len(sample[1::2]), 1)
    zeros_even = sample[0::2].count(0) / max(len(sample[0::2]), 1)
    return zeros_odd > 0.4 or zeros_even > 0.4


def store_upload(upload: IO[bytes], name: str, size: int) -> tuple[str, str]:
    """Write an uploaded file under DATA_DIR/imports with a random name; returns (stored name, kind).

    The name and size are checked before anything is written, the content right after; a refused file
    is deleted at once.
    """
    if size > max_upload_bytes():
        raise UploadRefused(
            _("The file is too large (at most %(mb)s MB).") % {"mb": max_upload_bytes() // (1024 * 1024)}
        )
    kind = kind_from_name(name)
    stored = f"{secrets.token_hex(16)}.upload"
    path = imports_dir() / stored
    with path.open("xb") as out:
        path.chmod(0o600)
        for chunk in iter(lambda: upload.read(1024 * 1024), b""):
            out.write(chunk)
    try:
        kind = check_content(path, kind)
    except UploadRefused:
        path.unlink(missing_ok=True)
        raise
    return stored, kind


def stored_path(stored_name: str) -> Path:
    """The path of a stored upload; the name is ours (random hex), but never trust it blindly."""
    if not re.fullmatch(r"[0-9a-f]{32}\.upload", stored_name or ""):
        raise FileNotFoundError(stored_name)
    return imports_dir() / stored_name


def delete_stored(stored_name: str) -> None:
    if stored_name:
        with contextlib.suppress(FileNotFoundError):
            stored_path(stored_name).unlink(missing_ok=True)
