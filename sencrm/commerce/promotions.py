"""The promotion of a quote or order (chương trình khuyến mãi), decided by the promotions app above commerce.

Commerce may not import that app (the dependency direction: sencrm/core/tests/test_layout.py), so the app
registers its engine here when it starts (PromotionsConfig.ready()). Without it no promotion applies and
a code is refused.

The quote and order services call `prepare` with the cleaned lines before the totals are computed: the
engine answers with an offer (a discount per line, or a gift line at price 0) or refuses the code with
its reason, as a ValidationError on `promotion_code`. After the document is saved, `claim` records the
use in the same transaction (the engine locks the promotion's row and counts its uses there, so the
limits hold under concurrency); `release` gives it back when an order is cancelled or trashed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, Protocol

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from sencrm.commerce import totals

ZERO = Decimal(0)
CODE_LENGTH = 40


@dataclass(frozen=True)
class LineFacts:
    """What the engine reads of a line: its product (None for free text) and its net before the promotion."""

    product: Any
    net: Decimal


@dataclass(frozen=True)
class Request:
    actor: Any
    kind: str  # "quote" or "order"
    document: Any  # the document as it will be saved (not yet saved when it is being created)
    lines: tuple[LineFacts, ...]
    code: str  # upper-case; "" asks for the automatic promotions
    on: date  # the day the promotion must be valid on (the document's date, or its quote's)
    current: Any = None  # the stored document being changed: its own use does not count against limits
    carried_from: Any = None  # the quote an order is made from: its promotion goes with it

    @property
    def lines_net(self) -> Decimal:
        return sum((line.net for line in self.lines), ZERO)


@dataclass(frozen=True)
class Offer:
    """What a promotion gives a document: an amount off each line (aligned with the lines), or a gift."""

    promotion_id: int
    code: str
    name: str
    line_discounts: tuple[Decimal, ...]
    gift_product: Any = None
    gift_quantity: Decimal = ZERO
    gift_value: Decimal = ZERO  # the gift at its list price: part of the saving, not of the totals

    @property
    def discount(self) -> Decimal:
        return sum(self.line_discounts, ZERO)

    @property
    def saving(self) -> Decimal:
        return self.discount + self.gift_value


class Engine(Protocol):
    def offer(self, request: Request) -> Offer | None:
        """The offer for the document, None when no promotion applies; ValidationError({"promotion_code":
        [reason]}) for a code that does not apply (unknown, expired, used up, not for these products…)."""

    def claim(self, *, actor: Any, kind: str, document: Any, offer: Offer | None) -> None:
        """Record (or replace, or remove) the document's use of a promotion, in the caller's transaction."""

    def release(self, *, actor: Any, document: Any) -> None:
        """The order was cancelled or trashed (a quote trashed): its use no longer counts."""

    def reclaim(self, *, actor: Any, document: Any) -> None:
        """An order about to be confirmed holds its promotion's use again (a restored draft gave it back)."""


engine: Engine | None = None


def register(implementation: Engine) -> None:
    global engine
    engine = implementation


def normalise_code(raw: Any) -> str:
    """A code as typed, compared upper-case and without spaces ("he 2026" is "HE2026")."""
    return "".join(str(raw or "").split()).upper()[: CODE_LENGTH + 1]


@dataclass
class Prepared:
    """The lines with the promotion applied, the offer to claim and the document's promotion fields."""

    lines: list[dict[str, Any]]
    offer: Offer | None = None
    fields: dict[str, Any] = field(
        default_factory=lambda: {"promotion_code": "", "promotion_name": "", "promotion_discount": ZERO}
    )


def _nets(lines: Sequence[Mapping[str, Any]], on: date) -> list[Decimal] | None:
    """Each line's net after its own discount (totals.py); None when the lines do not add up (the totals
    computed next report why)."""
    try:
        result = totals.compute(
            [
                totals.LineInput(
                    quantity=line["quantity"],
                    unit_price=line["unit_price"],
                    discount_percent=line["discount_percent"],
                    discount_amount=line["discount_amount"],
                    vat_rate=line["vat_rate"],
                    vat_reducible=line["vat_reducible"],
                )
                for line in lines
            ],
            on=on,
        )
    except totals.TotalsError:
        return None
    return [line.net for line in result.lines]


def _gift_line(offer: Offer) -> dict[str, Any]:
    product = offer.gift_product
    return {
        "section": "",
        "product": product,
        "description": product.name,
        "unit": product.unit,
        "quantity": offer.gift_quantity,
        "unit_price": ZERO,
        "discount_percent": ZERO,
        "discount_amount": ZERO,
        "vat_rate": product.vat_rate,
        "vat_reducible": product.vat_reducible,
        "promotion_discount": ZERO,
        "promotion_gift": True,
    }


def prepare(
    *,
    actor: Any,
    kind: str,
    document: Any,
    lines: list[dict[str, Any]],
    code: Any,
    on: date,
    current: Any = None,
    carried_from: Any = None,
) -> Prepared:
    """Apply the promotion named by `code` (or the automatic ones when it is empty) to cleaned lines."""
    wanted = normalise_code(code)
    base = [{**line, "promotion_discount": ZERO, "promotion_gift": False} for line in lines]
    if engine is None:
        if wanted:
            raise ValidationError({"promotion_code": [_("Promotions are not available.")]})
        return Prepared(lines=base)
    nets = _nets(base, on)
    if nets is None:
        return Prepared(lines=base)
    request = Request(
        actor=actor,
        kind=kind,
        document=document,
        lines=tuple(
            LineFacts(product=line["product"], net=net) for line, net in zip(base, nets, strict=True)
        ),
        code=wanted,
        on=on,
        current=current,
        carried_from=carried_from,
    )
    offer = engine.offer(request)
    if offer is None:
        return Prepared(lines=base)
    for line, discount in zip(base, offer.line_discounts, strict=True):
        line["promotion_discount"] = discount
    if offer.gift_product is not None and offer.gift_quantity > 0:
        base.append(_gift_line(offer))
    return Prepared(
        lines=base,
        offer=offer,
        fields={
            "promotion_code": offer.code if wanted else "",
            "promotion_name": offer.name[:200],
            "promotion_discount": offer.discount,
        },
    )


def claim(*, actor: Any, kind: str, document: Any, offer: Offer | None) -> None:
    if engine is not None:
        engine.claim(actor=actor, kind=kind, document=document, offer=offer)


def release(*, actor: Any, document: Any) -> None:
    if engine is not None:
        engine.release(actor=actor, document=document)


def reclaim(*, actor: Any, document: Any) -> None:
    if engine is not None:
        engine.reclaim(actor=actor, document=document)
