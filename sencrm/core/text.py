"""Vietnamese-aware text handling: NFC on the way in, one folding function for search keys."""

from __future__ import annotations

import re
import unicodedata

# Invisible characters that only ever hide or reorder text (zero-width, bidi overrides).
_INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
_SPACES = re.compile(r"\s+")


def clean_text(value: str | None) -> str:
    """NFC-normalise, drop invisible/bidi-override characters and collapse runs of whitespace."""
    if not value:
        return ""
    value = unicodedata.normalize("NFC", value)
    value = _INVISIBLE.sub("", value)
    return _SPACES.sub(" ", value).strip()


def text_lines(value: str | None) -> list[str]:
    """The non-empty lines of a text box (one phone or address a line), each cleaned like `clean_text`."""
    return [line for line in (clean_text(raw) for raw in (value or "").splitlines()) if line]


def fold(value: str | None) -> str:
    """The search key: NFD, combining marks removed, đ/Đ → d, casefolded.

    "Nguyễn Thị Ánh Tuyết" → "nguyen thi anh tuyet"; "Đặng" → "dang". Only U+0111/U+0110 fold to d:
    the lookalike Ð (U+00D0, Icelandic eth) does not.
    """
    if not value:
        return ""
    decomposed = unicodedata.normalize("NFD", clean_text(value))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return stripped.replace("đ", "d").replace("Đ", "D").casefold()


def split_vietnamese_name(full_name: str) -> tuple[str, str, str]:
    """(family, middle, given) of a Vietnamese full name.

    "Nguyễn Thị Ánh Tuyết" → ("Nguyễn", "Thị Ánh", "Tuyết").

    Names are kept exactly as written (never re-capitalised); one word is a given name.
    """
    parts = clean_text(full_name).split(" ")
    if not parts or parts == [""]:
        return "", "", ""
    if len(parts) == 1:
        return "", "", parts[0]
    return parts[0], " ".join(parts[1:-1]), parts[-1]


def name_sort_key(full_name: str) -> str:
    """Sort key for Vietnamese lists: given name, then family name, then middle name, folded."""
    family, middle, given = split_vietnamese_name(full_name)
    return " ".join(p for p in (fold(given), fold(family), fold(middle)) if p)
