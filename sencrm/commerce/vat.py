"""Which VAT rate a line pays on a document's date: Vietnam's temporary reduction from 10 % to 8 %.

The rates themselves (`VatRate`: "0", "5", "8", "10", "KCT", "KKKNT") live in sencrm/core/vat.py,
where the catalogue's products use them too. The reduction (Decree 174/2025/NĐ-CP: 10 % → 8 % for
most goods and services on documents dated 01/07/2025–31/12/2026) is the `VAT_REDUCTION` setting, so
the next decree is a settings change: the document's date decides the rate, never today's date.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext

from sencrm.core.vat import VatRate

__all__ = ["NO_VAT", "VatRate", "VatRateError", "effective_code", "effective_rate", "rate_sort_key"]

# Rates that carry no VAT amount: not subject to VAT (KCT), not declared and not paid (KKKNT).
NO_VAT = frozenset({VatRate.EXEMPT.value, VatRate.NOT_DECLARED.value})
RATES = frozenset(VatRate.values)


class VatRateError(ValueError):
    """An unknown VAT rate; the message is in the user's language."""


def _reduction() -> tuple[date, date, str, str] | None:
    value: Any = getattr(settings, "VAT_REDUCTION", None)
    if not value:
        return None
    try:
        start, end = date.fromisoformat(str(value["start"])), date.fromisoformat(str(value["end"]))
        from_rate, to_rate = str(value["from_rate"]), str(value["to_rate"])
    except (KeyError, TypeError, ValueError) as exc:
        raise ImproperlyConfigured(
            f"VAT_REDUCTION must hold start, end, from_rate and to_rate: {exc}"
        ) from exc
    if {from_rate, to_rate} & NO_VAT or not {from_rate, to_rate} <= RATES:
        raise ImproperlyConfigured(
            f"VAT_REDUCTION rates must be among 0, 5, 8, 10, not {from_rate}, {to_rate}"
        )
    return start, end, from_rate, to_rate


def effective_code(rate: str, reducible: bool, on: date) -> str:
    """The rate a line pays on a document dated `on`: "8" for a reducible "10" line during the reduction
    (both dates included), otherwise the rate itself. Raises VatRateError for an unknown rate."""
    code = str(rate)
    if code not in RATES:
        raise VatRateError(
            gettext("unknown VAT rate “%(rate)s”: use 0, 5, 8, 10, KCT or KKKNT.") % {"rate": code[:10]}
        )
    reduction = _reduction()
    if reducible and reduction is not None:
        start, end, from_rate, to_rate = reduction
        if isinstance(on, datetime):
            on = on.date()  # a date-time counts by its own date (pass the local date, not UTC)
        if code == from_rate and start <= on <= end:
            return to_rate
    return code


def effective_rate(rate: str, reducible: bool, on: date) -> Decimal | None:
    """The percentage a line pays on a document dated `on` (Decimal("8") for 8 %), or None for KCT and
    KKKNT, which carry no VAT amount."""
    code = effective_code(rate, reducible, on)
    return None if code in NO_VAT else Decimal(code)


def rate_sort_key(code: str) -> tuple[int, Decimal]:
    """Order of a per-rate breakdown: 0 %, 5 %, 8 %, 10 %, then KCT and KKKNT (as on the e-invoice)."""
    if code in NO_VAT:
        return (1, Decimal(sorted(NO_VAT).index(code)))
    return (0, Decimal(code))
