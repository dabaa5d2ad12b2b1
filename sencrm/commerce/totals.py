"""The totals of a quote, order or contract, computed in one place for the screen, the PDF and the API.

Plain dataclasses in and out, no database. The rounding rule (docs/decisions.md, "Totals and
rounding"), in the currency's smallest unit (the đồng for VND, which has no minor unit):

1. A line's gross amount is quantity × unit price, rounded half-up.
2. Its discount is a percent of the gross (rounded half-up) or an amount; then a promotion's discount
   (an amount, computed by the promotion: sencrm/commerce/promotions.py); net = gross − discount −
   promotion discount. The net is the line's amount (*thành tiền*); a section's subtotal is the sum of
   its lines' nets.
3. The document's discount (a percent of the lines' nets, rounded half-up, or an amount) is shared
   across the lines in proportion to their nets, by largest remainder: whole units that add up to it.
4. VAT is computed per rate, as the e-invoice's per-rate summary does (Circular 78/2021's LTSuat):
   the base of a rate is the sum of its lines' nets less their shares of the document's discount; the
   VAT is base × rate, rounded half-up. A reducible 10 % line counts under 8 % while the reduction
   lasts (sencrm/commerce/vat.py). Each line's VAT is its share of its rate's VAT (largest remainder
   again), so the lines add up to the rate exactly. KCT and KKKNT lines have a base and no VAT.
5. total = subtotal − discount_total + vat_total, where subtotal is the sum of the gross amounts and
   discount_total the line discounts plus the promotion's discounts plus the document's discount.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, localcontext
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext, gettext_lazy

from sencrm.commerce.vat import NO_VAT, VatRateError, effective_code, rate_sort_key
from sencrm.core.money import MINOR_UNITS, format_money

MAX_AMOUNT = Decimal(10) ** 15  # the largest amount a document may reach (and the columns hold)
MAX_QUANTITY = Decimal(10) ** 12
QUANTITY_DECIMALS = 3
PRICE_DECIMALS = 6  # unit prices may have decimals (e-invoices allow them); amounts never do for VND
ZERO = Decimal(0)
QUANTITY, UNIT_PRICE = gettext_lazy("Quantity"), gettext_lazy("Unit price")
DISCOUNT_PERCENT, DISCOUNT = gettext_lazy("Discount (%)"), gettext_lazy("Discount")
DOCUMENT_DISCOUNT = gettext_lazy("Discount on the document")
PROMOTION_DISCOUNT = gettext_lazy("Promotion discount")


class TotalsError(ValueError):
    """Bad input to the totals: the message is in the user's language and names the line, if any."""

    def __init__(self, message: str, *, line: int | None = None) -> None:
        self.line = line
        self.reason = message
        super().__init__(
            gettext("Line %(n)s: %(message)s") % {"n": line, "message": message} if line else message
        )


@dataclass(frozen=True)
class LineInput:
    """One line as the document holds it; amounts in the document's currency."""

    quantity: Decimal
    unit_price: Decimal
    discount_percent: Decimal = ZERO
    discount_amount: Decimal = ZERO
    vat_rate: str = "10"
    vat_reducible: bool = False
    section: str = ""
    promotion_discount: Decimal = ZERO  # an amount, taken after the line's own discount


@dataclass(frozen=True)
class DocumentDiscount:
    """A discount on the whole document: a percent of the lines' nets, or an amount (not both)."""

    percent: Decimal = ZERO
    amount: Decimal = ZERO


@dataclass(frozen=True)
class LineTotals:
    gross: Decimal  # quantity × unit price
    discount: Decimal  # the line's own discount
    net: Decimal  # gross − discount − promotion_discount: the line's amount
    document_discount: Decimal  # the line's share of the document's discount
    vat_base: Decimal  # net − document_discount
    vat_rate: str  # the rate paid on the document's date ("8" for a reduced "10")
    vat: Decimal  # the line's share of its rate's VAT
    section: str
    promotion_discount: Decimal = ZERO  # the promotion's discount on the line


@dataclass(frozen=True)
class Section:
    """A heading of the document and its subtotal (the nets of its lines)."""

    name: str
    gross: Decimal
    discount: Decimal
    subtotal: Decimal
    vat: Decimal


@dataclass(frozen=True)
class VatGroup:
    """One row of the per-rate summary: the base taxed at `rate` and its VAT (0 for KCT, KKKNT)."""

    rate: str
    base: Decimal
    vat: Decimal


@dataclass(frozen=True)
class Totals:
    currency: str
    lines: tuple[LineTotals, ...]
    sections: tuple[Section, ...]  # in the order of their first line
    subtotal: Decimal  # sum of the gross amounts
    line_discount: Decimal
    document_discount: Decimal
    discount_total: Decimal  # line_discount + promotion_discount + document_discount
    before_vat: Decimal  # subtotal − discount_total: the sum of the VAT bases
    vat_by_rate: dict[str, VatGroup]  # 0, 5, 8, 10, then KCT, KKKNT; only rates present
    vat_total: Decimal
    total: Decimal  # before_vat + vat_total
    promotion_discount: Decimal = ZERO  # the sum of the lines' promotion discounts


def _number(value: Any, field: Promise, line: int | None) -> Decimal:
    if isinstance(value, Decimal) and value.is_finite():
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return Decimal(value)
    raise TotalsError(gettext("%(field)s must be a number.") % {"field": field}, line=line)


def _decimals(value: Decimal) -> int:
    exponent = value.normalize().as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


def _round(value: Decimal) -> int:
    """Half-up to a whole number of the currency's smallest unit (amounts are kept in those units)."""
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _allocate(amount: int, weights: Sequence[int]) -> list[int]:
    """Split `amount` in proportion to `weights` into whole units that add up to it exactly: each share
    rounded down, then one more unit to the largest remainders (the earlier line first on a tie)."""
    total = sum(weights)
    if amount == 0 or total == 0:
        return [0] * len(weights)
    shares = [amount * weight // total for weight in weights]
    remainders = sorted(range(len(weights)), key=lambda i: (-(amount * weights[i] % total), i))
    for i in remainders[: amount - sum(shares)]:
        shares[i] += 1
    return shares


def _percent(value: Any, field: Promise, line: int | None) -> Decimal:
    percent = _number(value, field, line)
    if not ZERO <= percent <= 100:
        raise TotalsError(gettext("a discount is a percent from 0 to 100."), line=line)
    return percent


@dataclass
class _Line:
    gross: int
    discount: int
    rate: str
    section: str
    promotion: int = 0
    share: int = 0
    vat: int = 0

    @property
    def net(self) -> int:
        return self.gross - self.discount - self.promotion


def _line(n: int, line: LineInput, on: date, unit: Decimal, rates: dict[tuple[str, bool], str]) -> _Line:
    quantity = _number(line.quantity, QUANTITY, n)
    if quantity <= 0:
        raise TotalsError(gettext("the quantity must be greater than 0."), line=n)
    if quantity >= MAX_QUANTITY or _decimals(quantity) > QUANTITY_DECIMALS:
        raise TotalsError(gettext("a quantity has at most 3 decimals and 12 digits."), line=n)
    price = _number(line.unit_price, UNIT_PRICE, n)
    if not ZERO <= price <= MAX_AMOUNT or _decimals(price) > PRICE_DECIMALS:
        raise TotalsError(
            gettext("a unit price is a number from 0 to 10^15 with at most 6 decimals."), line=n
        )
    gross = quantity * price / unit  # in the currency's smallest unit
    if gross > MAX_AMOUNT / unit:
        raise TotalsError(gettext("the line's amount is above 10^15."), line=n)
    rounded = _round(gross)
    percent = _percent(line.discount_percent, DISCOUNT_PERCENT, n)
    amount = _number(line.discount_amount, DISCOUNT, n)
    if percent and amount:
        raise TotalsError(gettext("give the discount as a percent or as an amount, not both."), line=n)
    if not ZERO <= amount <= MAX_AMOUNT or amount % unit:
        raise TotalsError(gettext("a discount amount is 0 or more, in whole units of the currency."), line=n)
    discount = _round(rounded * percent / 100) if percent else int(amount / unit)
    if discount > rounded:
        raise TotalsError(gettext("the discount is more than the line's amount."), line=n)
    promotion = _number(line.promotion_discount, PROMOTION_DISCOUNT, n)
    if not ZERO <= promotion <= MAX_AMOUNT or promotion % unit:
        raise TotalsError(gettext("a discount amount is 0 or more, in whole units of the currency."), line=n)
    if discount + int(promotion / unit) > rounded:
        raise TotalsError(gettext("the discount is more than the line's amount."), line=n)
    key = (str(line.vat_rate), bool(line.vat_reducible))
    if key not in rates:  # the setting is read once per rate in a document, not once per line
        try:
            rates[key] = effective_code(*key, on)
        except VatRateError as error:
            raise TotalsError(str(error), line=n) from None
    rate = rates[key]
    return _Line(
        gross=rounded,
        discount=discount,
        rate=rate,
        section=str(line.section),
        promotion=int(promotion / unit),
    )


def compute(
    lines: Iterable[LineInput],
    *,
    document_discount: DocumentDiscount | None = None,
    on: date,
    currency: str = "VND",
) -> Totals:
    """The totals of a document dated `on` (the date decides the VAT reduction). Raises TotalsError."""
    if currency not in MINOR_UNITS:
        raise TotalsError(gettext("Unknown currency “%(currency)s”.") % {"currency": str(currency)[:10]})
    if isinstance(on, datetime):
        on = on.date()
    unit = Decimal(1).scaleb(-MINOR_UNITS[currency])
    limit = int(MAX_AMOUNT / unit)
    # Enough digits for 10^15 × a 6-decimal price × a 12-digit quantity, so nothing is rounded but
    # what the rule rounds.
    with localcontext() as context:
        context.prec = 60
        items: list[_Line] = []
        rates: dict[tuple[str, bool], str] = {}
        running = 0
        for n, line in enumerate(lines, start=1):
            item = _line(n, line, on, unit, rates)
            running += item.gross
            if running > limit:
                raise TotalsError(gettext("The total of the lines is above 10^15."))
            items.append(item)
        nets = [item.net for item in items]
        discount = _document_discount(document_discount or DocumentDiscount(), sum(nets), unit, currency)
        for item, share in zip(items, _allocate(discount, nets), strict=True):
            item.share = share
        groups = _vat_groups(items)
    subtotal = sum(item.gross for item in items)
    line_discount = sum(item.discount for item in items)
    promotion_discount = sum(item.promotion for item in items)
    vat_total = sum(vat for _base, vat in groups.values())
    total = subtotal - line_discount - promotion_discount - discount + vat_total
    if total > limit:
        raise TotalsError(gettext("The total is above 10^15."))

    def money(units: int) -> Decimal:
        return Decimal(units).scaleb(-MINOR_UNITS[currency])

    sections: dict[str, list[_Line]] = {}
    for item in items:
        sections.setdefault(item.section, []).append(item)
    return Totals(
        currency=currency,
        lines=tuple(
            LineTotals(
                gross=money(item.gross),
                discount=money(item.discount),
                net=money(item.net),
                document_discount=money(item.share),
                vat_base=money(item.net - item.share),
                vat_rate=item.rate,
                vat=money(item.vat),
                section=item.section,
                promotion_discount=money(item.promotion),
            )
            for item in items
        ),
        sections=tuple(
            Section(
                name=name,
                gross=money(sum(i.gross for i in members)),
                discount=money(sum(i.discount + i.promotion for i in members)),
                subtotal=money(sum(i.net for i in members)),
                vat=money(sum(i.vat for i in members)),
            )
            for name, members in sections.items()
        ),
        subtotal=money(subtotal),
        line_discount=money(line_discount),
        document_discount=money(discount),
        discount_total=money(line_discount + promotion_discount + discount),
        before_vat=money(subtotal - line_discount - promotion_discount - discount),
        vat_by_rate={
            rate: VatGroup(rate=rate, base=money(base), vat=money(vat))
            for rate, (base, vat) in groups.items()
        },
        vat_total=money(vat_total),
        total=money(total),
        promotion_discount=money(promotion_discount),
    )


def _document_discount(discount: DocumentDiscount, nets: int, unit: Decimal, currency: str) -> int:
    percent = _number(discount.percent, DOCUMENT_DISCOUNT, None)
    amount = _number(discount.amount, DOCUMENT_DISCOUNT, None)
    if not ZERO <= percent <= 100:
        raise TotalsError(gettext("The discount on the document is a percent from 0 to 100."))
    if percent and amount:
        raise TotalsError(
            gettext("Give the discount on the document as a percent or as an amount, not both.")
        )
    if not ZERO <= amount <= MAX_AMOUNT or amount % unit:
        raise TotalsError(
            gettext("The discount on the document is 0 or more, in whole units of the currency.")
        )
    units = _round(nets * percent / 100) if percent else int(amount / unit)
    if units > nets:
        raise TotalsError(
            gettext(
                "The discount on the document (%(discount)s) is more than the lines' amount (%(amount)s)."
            )
            % {"discount": format_money(amount, currency), "amount": format_money(nets * unit, currency)}
        )
    return units


def _vat_groups(items: list[_Line]) -> dict[str, tuple[int, int]]:
    """{rate: (base, vat)} in the e-invoice's order; sets each line's share of its rate's VAT."""
    groups: dict[str, tuple[int, int]] = {}
    for rate in sorted({item.rate for item in items}, key=rate_sort_key):
        members = [item for item in items if item.rate == rate]
        bases = [item.net - item.share for item in members]
        base = sum(bases)
        vat = 0 if rate in NO_VAT else _round(Decimal(base) * Decimal(rate) / 100)
        for item, share in zip(members, _allocate(vat, bases), strict=True):
            item.vat = share
        groups[rate] = (base, vat)
    return groups
