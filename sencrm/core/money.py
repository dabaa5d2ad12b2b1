"""Money: Decimal amounts, VND by default (no minor units), formatted the Vietnamese way."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.utils import translation
from django.utils.translation import gettext

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


# Amounts in words, as Vietnamese commercial documents and e-invoices print them ("Số tiền viết bằng
# chữ", TgTTTBChu): the Northern forms "linh" and "nghìn", "tỷ" spelled with y (docs/decisions.md).
MAX_AMOUNT_IN_WORDS = 10**15
_DIGITS = ("không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín")
_THOUSANDS = ("", "nghìn", "triệu")  # powers of 1,000 below a billion; "tỷ" takes the rest


def _hundreds(n: int, *, inner: bool) -> list[str]:
    """Words for 0 < n < 1000; an inner group (one with a higher group before it) reads every place."""
    hundreds, tens, units = n // 100, n // 10 % 10, n % 10
    words: list[str] = []
    if hundreds or inner:
        words += [_DIGITS[hundreds], "trăm"]  # 1.005.000: "một triệu không trăm linh năm nghìn"
    if tens == 0:
        if units and words:
            words.append("linh")  # 105: "một trăm linh năm"
    elif tens == 1:
        words.append("mười")  # 10–19: "mười", never "một mươi"
    else:
        words += [_DIGITS[tens], "mươi"]
    if units == 1 and tens >= 2:
        words.append("mốt")  # 21: "hai mươi mốt" (but 11 "mười một", 101 "một trăm linh một")
    elif units == 4 and tens >= 2:
        words.append("tư")  # 24: "hai mươi tư" (but 14 "mười bốn", 104 "một trăm linh bốn")
    elif units == 5 and tens >= 1:
        words.append("lăm")  # 15, 25: "mười lăm", "hai mươi lăm" (but 105 "một trăm linh năm")
    elif units:
        words.append(_DIGITS[units])
    return words


def _below_billion(n: int, *, inner: bool) -> list[str]:
    """Words for 0 < n < 10^9, groups of three digits named nghìn and triệu; empty groups are skipped."""
    words: list[str] = []
    for power in (2, 1, 0):
        group = n // 1000**power % 1000
        if group:
            words += _hundreds(group, inner=inner or bool(words))
            if _THOUSANDS[power]:
                words.append(_THOUSANDS[power])
    return words


def _number_words(n: int, *, inner: bool = False) -> list[str]:
    """Words for 0 < n: the billions are themselves read as a number before "tỷ", so 10^12 is "một
    nghìn tỷ" and 10^15 "một triệu tỷ" (never "một nghìn tỷ hai trăm tỷ" for 1.200.000.000.000)."""
    billions, rest = divmod(n, 10**9)
    words: list[str] = []
    if billions:
        words += [*_number_words(billions, inner=inner), "tỷ"]
    if rest:
        words += _below_billion(rest, inner=inner or bool(billions))
    return words


def amount_in_words(amount: Decimal | int) -> str:
    """A whole amount of đồng in Vietnamese words: 105000 → "Một trăm linh năm nghìn đồng".

    Accepts integers and integral Decimals from -10^15 to 10^15 ("Âm …" below zero); anything else
    raises ValueError with a message in the user's language.
    """
    whole = isinstance(amount, int) and not isinstance(amount, bool)
    if isinstance(amount, Decimal):
        whole = amount.is_finite() and amount == amount.to_integral_value()
    if not whole:
        raise ValueError(
            gettext("An amount in words needs a whole number of đồng, not “%(value)s”.")
            % {"value": str(amount)[:40]}
        )
    n = int(amount)
    if abs(n) > MAX_AMOUNT_IN_WORDS:
        raise ValueError(gettext("An amount in words is at most 10^15 đồng (one million billion)."))
    words = ["âm"] if n < 0 else []
    words += _number_words(abs(n)) if n else ["không"]
    text = " ".join([*words, "đồng"])
    return text[0].upper() + text[1:]
