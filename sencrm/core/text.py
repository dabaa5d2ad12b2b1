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
