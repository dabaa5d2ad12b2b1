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


def to_e164(raw: str | None, region: str = DEFAULT_REGION) -> str | None:
    """The E.164 form of a phone number, or None when it is not a valid number."""
    if not raw:
        return None
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


def display(e164: str | None) -> str:
    """A number for people: national format for Vietnam (0912 345 678), international otherwise."""
    if not e164:
        return ""
    number = phonenumbers.parse(e164, None)
    if number.country_code == 84:
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def looks_like_phone(text: str) -> bool:
    digits = re.sub(r"\D", "", text)
    return len(digits) >= 8 and len(digits) >= len(text.replace(" ", "")) * 0.6


def search_digits(e164: str) -> str:
    """Digit strings a search should find a number by: national (0912345678) and international."""
    national = "0" + e164[3:] if e164.startswith("+84") else e164.lstrip("+")
    return f"{national} {e164.lstrip('+')}"
