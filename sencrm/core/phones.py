"""Phone numbers: every way people write a Vietnamese number resolves to one E.164 value.

`0912 345 678`, `+84 912 345 678`, `84912345678`, `(091) 234-5678` and the pre-2018 11-digit mobile
numbers (`01689 123 456`, renumbered to `0389 123 456` in 2018) all give `+84912345678`-style keys.
"""

from __future__ import annotations

import re

import phonenumbers

DEFAULT_REGION = "VN"

# The 2018 renumbering of 11-digit mobile numbers: old prefix → new prefix (Viettel, MobiFone,
# VinaPhone, Vietnamobile, Gmobile).
OLD_MOBILE_PREFIXES = {
    "0162": "032", "0163": "033", "0164": "034", "0165": "035", "0166": "036", "0167": "037",
    "0168": "038", "0169": "039",
    "0120": "070", "0121": "079", "0122": "077", "0126": "076", "0128": "078",
    "0123": "083", "0124": "084", "0125": "085", "0127": "081", "0129": "082",
    "0186": "056", "0188": "058",
    "0199": "059",
}  # fmt: skip

_KEEP = re.compile(r"[^\d+]")


def _vietnamese_national(digits: str) -> str:
    """Bring a digits-only Vietnamese number to its national form (leading 0), renumbering old mobiles."""
    if digits.startswith("84") and len(digits) in (11, 12):
        digits = "0" + digits[2:]
    elif not digits.startswith("0") and len(digits) in (9, 10):
        digits = "0" + digits  # "912345678": the leading 0 was dropped (often by a spreadsheet)
    if len(digits) == 11 and digits[:4] in OLD_MOBILE_PREFIXES:
        digits = OLD_MOBILE_PREFIXES[digits[:4]] + digits[4:]
    return digits


def _parsed_e164(raw: str, region: str) -> str | None:
    """libphonenumber's answer (≈ 40 µs a call): the reference that the cache below reuses."""
    text = _KEEP.sub("", raw.strip())
    if text.startswith("00"):
        text = "+" + text[2:]
    if not text or len(text) > 20:
        return None
    if text.startswith("+84"):
        text = _vietnamese_national("84" + text[3:])
    elif not text.startswith("+") and region == "VN":
        text = _vietnamese_national(text)
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


# libphonenumber costs ≈ 40 µs a call, too much for an import of 5,000 rows/s. Whether a Vietnamese number
# is valid, and how it is displayed, depends only on its length and leading digits (libphonenumber's
# patterns for VN look at most at the first four digits after the 0), so the full check runs once per
# (first five digits, length) and its answer is reused; anything unusual takes the full path.
# (Plain dicts: bounded by the number of prefixes, and safe to share between threads under the GIL.)
_VALID: dict[tuple[str, int], bool | None] = {}
_SHAPES: dict[tuple[str, int], str | None] = {}


def to_e164(raw: str | None, region: str = DEFAULT_REGION) -> str | None:
    """The E.164 form of a phone number, or None when it is not a valid number."""
    if not raw:
        return None
    if region != "VN":
        return _parsed_e164(raw, region)
    stripped = _KEEP.sub("", raw.strip())
    if stripped.startswith("00") or not stripped or len(stripped) > 20:
        return _parsed_e164(raw, region)
    if stripped.startswith("+84"):
        national = _vietnamese_national("84" + stripped[3:])
    elif stripped.startswith("+"):
        return _parsed_e164(raw, region)
    else:
        national = _vietnamese_national(stripped)
    if not (national.isdigit() and national.startswith("0") and len(national) in (10, 11)):
        return _parsed_e164(raw, region)
    key = (national[:5], len(national))
    candidate = "+84" + national[1:]
    known = _VALID.get(key, "unknown")
    if known == "unknown":
        result = _parsed_e164(raw, region)
        # None: numbers of this shape are not simply "+84" + the national digits: always ask.
        _VALID[key] = None if result not in (None, candidate) else result is not None
        return result
    if known is None:
        return _parsed_e164(raw, region)
    return candidate if known else None


def _formatted(e164: str) -> str:
    number = phonenumbers.parse(e164, None)
    if number.country_code == 84:
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def display(e164: str | None) -> str:
    """A number for people: national format for Vietnam (0912 345 678), international otherwise.

    Vietnamese numbers reuse the digit grouping of the first number of the same shape seen."""
    if not e164:
        return ""
    if not e164.startswith("+84"):
        return _formatted(e164)
    national = "0" + e164[3:]
    key = (national[:5], len(national))
    shape = _SHAPES.get(key, "unknown")
    if shape == "unknown":
        shown = _formatted(e164)
        digits = "".join(ch for ch in shown if ch.isdigit())
        plain = "{" not in shown and "}" not in shown
        # "0912 345 678" → "{}{}{}{} {}{}{} {}{}{}": one str.format call fills in the next number.
        _SHAPES[key] = re.sub(r"\d", "{}", shown) if digits == national and plain else None
        return shown
    if shape is None:
        return _formatted(e164)
    return shape.format(*national)


def looks_like_phone(text: str) -> bool:
    digits = re.sub(r"\D", "", text)
    return len(digits) >= 8 and len(digits) >= len(text.replace(" ", "")) * 0.6


def search_digits(e164: str) -> str:
    """Digit strings a search should find a number by: national (0912345678) and international."""
    national = "0" + e164[3:] if e164.startswith("+84") else e164.lstrip("+")
    return f"{national} {e164.lstrip('+')}"
