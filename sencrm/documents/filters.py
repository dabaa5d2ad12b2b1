"""The filters document templates format values with: the Vietnamese way, the same on every document."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.utils import timezone

from sencrm.core.money import amount_in_words, format_money


def _decimal(value: Any) -> Decimal | None:
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def money_filter(value: Any, currency: str = "VND") -> str:
    """50000000 → "50.000.000 ₫" (an empty string for a missing amount)."""
    return format_money(_decimal(value), str(currency))


def date_filter(value: Any) -> str:
    """A date, a datetime (shown in the local time zone) or an ISO string → dd/mm/yyyy."""
    if isinstance(value, str) and value:
        try:
            value = dt.date.fromisoformat(value[:10])
        except ValueError:
            return str(value)
    if isinstance(value, dt.datetime):
        value = timezone.localtime(value) if timezone.is_aware(value) else value
        return str(value.strftime("%d/%m/%Y"))
    if isinstance(value, dt.date):
        return str(value.strftime("%d/%m/%Y"))
    return ""


def quantity_filter(value: Any) -> str:
    """Up to three decimals, the Vietnamese way: 1234.5 → "1.234,5"; 2.000 → "2"."""
    number = _decimal(value)
    if number is None:
        return ""
    number = number.quantize(Decimal("0.001"), rounding=ROUND_HALF_UP).normalize()
    sign = "-" if number < 0 else ""
    whole, _dot, fraction = f"{abs(number):f}".partition(".")
    grouped = f"{int(whole):,}".replace(",", ".")
    return f"{sign}{grouped},{fraction}" if fraction else f"{sign}{grouped}"


def words_filter(value: Any) -> str:
    """A whole amount of đồng in words ("Năm mươi triệu đồng"); empty when it cannot be read."""
    number = _decimal(value)
    if number is None:
        return ""
    try:
        return amount_in_words(number)
    except ValueError:
        return ""


def vat_filter(value: Any) -> str:
    """A VAT rate code as printed: "10" → "10%", "KCT" and "KKKNT" as they are."""
    text = str(value if value is not None else "")
    return f"{text}%" if text.isdigit() else text


FILTERS: dict[str, Callable[..., str]] = {
    "money": money_filter,
    "date": date_filter,
    "quantity": quantity_filter,
    "words": words_filter,
    "vat": vat_filter,
}
