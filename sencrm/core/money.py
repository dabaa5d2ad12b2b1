"""Money: Decimal amounts, VND by default (no minor units), formatted the Vietnamese way."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.utils import translation

CURRENCY_SYMBOLS = {"VND": "₫", "USD": "$", "EUR": "€"}
MINOR_UNITS = {"VND": 0, "USD": 2, "EUR": 2}


def format_money(amount: Decimal | int | float | str | None, currency: str = "VND") -> str:
    """`50000000` → "50.000.000 ₫" in Vietnamese, "50,000,000 ₫" in English."""
    if amount is None or amount == "":
        return ""
    try:
        value = Decimal(str(amount))
    except (InvalidOperation, ValueError):
        return ""
    places = MINOR_UNITS.get(currency, 2)
    value = value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    vietnamese = (translation.get_language() or "vi").startswith("vi")
    group, point = (".", ",") if vietnamese else (",", ".")
    sign = "-" if value < 0 else ""
    whole, _, fraction = f"{abs(value):f}".partition(".")
    grouped = f"{int(whole):,}".replace(",", group)
    number = f"{grouped}{point}{fraction}" if fraction else grouped
    return f"{sign}{number} {CURRENCY_SYMBOLS.get(currency, currency)}"
