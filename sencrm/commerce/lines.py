"""The lines of a document: cleaned from any door, priced from the catalogue, totalled in one place.

`clean_lines` turns what a form, the API or the demo hands in into validated line values;
`apply_totals` runs sencrm/commerce/totals.py over them and writes the amounts onto the document and
its lines; `lines_writer` replaces a document's lines inside the service's transaction and tells the
event what changed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext as _

from sencrm.catalog.models import Product
from sencrm.catalog.selectors import price_for
from sencrm.commerce import totals
from sencrm.commerce.models import MAX_AMOUNT, MAX_LINES, Document, Line
from sencrm.core import access
from sencrm.core.modules import Action
from sencrm.core.text import clean_text
from sencrm.core.vat import VatRate

LINE_FIELDS = (
    "section",
    "product",
    "description",
    "unit",
    "quantity",
    "unit_price",
    "discount_percent",
    "discount_amount",
    "vat_rate",
    "vat_reducible",
)
QUANTITY_STEP = Decimal("0.001")


def _decimal(value: Any, *, field: str, line: int) -> Decimal:
    if isinstance(value, Decimal):
        number = value
    else:
        try:
            number = Decimal(str(value).strip().replace(" ", ""))
        except (InvalidOperation, ValueError):
            raise _line_error(
                line, _("%(field)s “%(value)s” is not a number.") % {"field": field, "value": str(value)[:30]}
            ) from None
    if not number.is_finite():
        raise _line_error(line, _("%(field)s must be a number.") % {"field": field})
    return number


def _line_error(line: int, message: str) -> ValidationError:
    return ValidationError({"lines": [_("Line %(n)s: %(message)s") % {"n": line, "message": message}]})


def clean_lines(
    actor: Any, raw: Iterable[Mapping[str, Any]], *, customer: Any = None, on: date
) -> list[dict[str, Any]]:
    """Validated line values from what a door handed in; a product fills in what was left out.

    A product line takes the product's name, unit, VAT rate and the best price for the customer on
    the document's date (sencrm/catalog/selectors.price_for) unless the line says otherwise.
    """
    rows = list(raw)
    if len(rows) > MAX_LINES:
        raise ValidationError({"lines": [_("A document has at most %(max)s lines.") % {"max": MAX_LINES}]})
    cleaned = []
    for n, row in enumerate(rows, start=1):
        if not isinstance(row, Mapping):
            raise _line_error(n, _("a line is an object with a description, quantity and unit price."))
        product = row.get("product")
        if product is not None and not isinstance(product, Product):
            raise _line_error(n, _("unknown product."))
        if product is not None and not access.in_scope(actor, Action.VIEW, product):
            raise _line_error(n, str(access.NOT_FOUND))
        description = clean_text(str(row.get("description") or ""))[:500] or (product.name if product else "")
        if not description:
            raise _line_error(n, _("enter a description or choose a product."))
        quantity = _decimal(row.get("quantity", 1), field=_("Quantity"), line=n)
        if quantity <= 0:
            raise _line_error(n, _("the quantity must be greater than 0."))
        if quantity != quantity.quantize(QUANTITY_STEP) or quantity >= Decimal(10) ** 12:
            raise _line_error(n, _("a quantity has at most 3 decimals and 12 digits."))
        if row.get("unit_price") in (None, ""):
            if product is None:
                raise _line_error(n, _("enter a unit price."))
            unit_price = price_for(product, customer=customer, on=on)
        else:
            unit_price = _decimal(row["unit_price"], field=_("Unit price"), line=n)
        if unit_price < 0 or unit_price > MAX_AMOUNT or unit_price != unit_price.to_integral_value():
            raise _line_error(n, _("a unit price is a whole number of đồng from 0 to 10^15."))
        discount_percent = _decimal(row.get("discount_percent") or 0, field=_("Discount (%)"), line=n)
        if not 0 <= discount_percent <= 100 or discount_percent != discount_percent.quantize(Decimal("0.01")):
            raise _line_error(n, _("a discount is a percent from 0 to 100."))
        discount_amount = _decimal(row.get("discount_amount") or 0, field=_("Discount"), line=n)
        if discount_amount < 0 or discount_amount != discount_amount.to_integral_value():
            raise _line_error(n, _("a discount amount is a whole number of đồng, 0 or more."))
        vat_rate = str(row.get("vat_rate") or (product.vat_rate if product else VatRate.TEN))
        if vat_rate not in VatRate.values:
            raise _line_error(
                n, _("unknown VAT rate “%(rate)s”: use 0, 5, 8, 10, KCT or KKKNT.") % {"rate": vat_rate[:10]}
            )
        reducible = row.get("vat_reducible")
        cleaned.append(
            {
                "section": clean_text(str(row.get("section") or ""))[:120],
                "product": product,
                "description": description,
                "unit": clean_text(str(row.get("unit") or ""))[:20] or (product.unit if product else ""),
                "quantity": quantity,
                "unit_price": unit_price,
                "discount_percent": discount_percent,
                "discount_amount": discount_amount,
                "vat_rate": vat_rate,
                "vat_reducible": bool(product.vat_reducible if product and reducible is None else reducible),
            }
        )
    return cleaned


def apply_totals(document: Document, lines: list[dict[str, Any]], *, on: date) -> list[dict[str, Any]]:
    """Compute the totals (sencrm/commerce/totals.py, the one place) onto the document and the lines."""
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
                    section=line["section"],
                    promotion_discount=line.get("promotion_discount") or Decimal(0),
                )
                for line in lines
            ],
            document_discount=totals.DocumentDiscount(
                percent=document.discount_percent, amount=document.discount_amount
            ),
            on=on,
        )
    except totals.TotalsError as error:
        raise ValidationError({"lines": [str(error)]}) from None
    document.subtotal = result.subtotal
    document.discount_total = result.discount_total
    document.vat_total = result.vat_total
    document.total = result.total
    return [
        {**line, "amount": computed.net, "vat_amount": computed.vat}
        for line, computed in zip(lines, result.lines, strict=True)
    ]


def line_summary(line: Mapping[str, Any] | Line) -> str:
    """ "2 × Điều hòa Daikin @ 12500000 (10%)": how a line reads in the document's history."""
    get: Callable[[str], Any] = line.get if isinstance(line, Mapping) else lambda name: getattr(line, name)
    return f"{get('quantity').normalize():f} × {get('description')} @ {get('unit_price')} ({get('vat_rate')})"


def lines_writer(
    line_model: type[Any], parent_field: str, lines: list[dict[str, Any]] | None
) -> Callable[[models.Model], dict[str, list[Any]]]:
    """Replace the document's lines (None: leave them) and return {"lines": [before, after]} if changed."""

    def write(document: models.Model) -> dict[str, list[Any]]:
        if lines is None:
            return {}
        existing = line_model.objects.filter(**{parent_field: document}).order_by("position", "id")
        before = [line_summary(line) for line in existing]
        existing.delete()
        line_model.objects.bulk_create(
            line_model(**{parent_field: document}, position=n, **line)
            for n, line in enumerate(lines, start=1)
        )
        after = [line_summary(line) for line in lines]
        return {"lines": [before, after]} if before != after else {}

    return write


def copy_lines(lines: Iterable[Line], *, extra: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
    """The values of existing lines, to start another document from them (quote → order)."""
    return [{**{name: getattr(line, name) for name in LINE_FIELDS}, **(extra or {})} for line in lines]


def own_lines(lines: Iterable[Line]) -> list[dict[str, Any]]:
    """The values of a quote's or order's lines without what its promotion added (the gift line, the
    lines' promotion discounts): what the promotion is applied to again (sencrm/commerce/promotions.py)."""
    return copy_lines(line for line in lines if not getattr(line, "promotion_gift", False))


def billed_copy(line: Line, quantity: Decimal) -> dict[str, Any]:
    """An order line's values for an invoice (or a credit note) of `quantity` of it.

    An invoice knows no promotion: the promotion's discount on the line, its share for `quantity`
    (rounded half-up), joins the line's own discount as one amount (a percent becomes its amount on
    that quantity, as totals.py computes it)."""
    values = copy_lines([line])[0]
    promotion = Decimal(getattr(line, "promotion_discount", 0) or 0)
    if not promotion:
        return values
    share = (promotion * quantity / line.quantity).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    own = Decimal(values["discount_amount"] or 0)
    if values["discount_percent"]:
        gross = (quantity * values["unit_price"]).quantize(Decimal(1), rounding=ROUND_HALF_UP)
        own = (gross * values["discount_percent"] / 100).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    values.update({"discount_percent": Decimal(0), "discount_amount": own + share})
    return values
