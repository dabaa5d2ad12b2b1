"""Writes of the catalogue: products, categories and price lists, through the spine."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from sencrm.catalog.models import MAX_PRICE, Category, PriceList, PriceListItem, Product
from sencrm.core import access
from sencrm.core.modules import Action, Module
from sencrm.core.text import clean_text, fold
from sencrm.events.services import event_emit, record_create, record_delete, record_update

TEXT_FIELDS = ("code", "name", "unit", "description")


def product_derived(values: dict[str, Any]) -> dict[str, Any]:
    """The product's computed fields, from its code and name (the one place that derives them)."""
    return {"search_key": fold(f"{values.get('code', '')} {values.get('name', '')}")[:300]}


def _prepare_product(data: dict[str, Any]) -> dict[str, Any]:
    data = dict(data)
    for name in TEXT_FIELDS:
        if isinstance(data.get(name), str):
            data[name] = clean_text(data[name])
    if "code" in data:
        data["code"] = data["code"].upper()
    supplier = data.get("supplier")
    if supplier is not None and not getattr(supplier, "is_supplier", False):
        raise ValidationError({"supplier": _("Choose an account marked as a supplier.")})
    return data


def _check_code(code: str, exclude: int | None = None) -> None:
    taken = Product.all_objects.filter(code__iexact=code)
    if exclude is not None:
        taken = taken.exclude(pk=exclude)
    if taken.exists():
        raise ValidationError({"code": _("Another product already has the code %(code)s.") % {"code": code}})


@transaction.atomic
def product_create(*, actor: Any, data: dict[str, Any], actor_label: str = "") -> Product:
    access.check_module(actor, Module.CATALOG, Action.CREATE)
    data = _prepare_product(data)
    _check_code(data.get("code", ""))
    data.update(product_derived(data))
    return record_create(Product, actor=actor, data=data, actor_label=actor_label)


@transaction.atomic
def product_update(
    product: Product, *, actor: Any, changes: dict[str, Any], version: int | None, actor_label: str = ""
) -> Product:
    changes = _prepare_product(changes)
    if "code" in changes:
        _check_code(changes["code"], exclude=product.pk)
    if {"code", "name"} & changes.keys():
        merged = {"code": product.code, "name": product.name, **changes}
        changes.update(product_derived(merged))
    return record_update(product, actor=actor, changes=changes, version=version, actor_label=actor_label)


def product_delete(
    product: Product, *, actor: Any, version: int | None = None, actor_label: str = ""
) -> Product:
    return record_delete(product, actor=actor, version=version, actor_label=actor_label)


@transaction.atomic
def category_create(*, actor: Any, name: str, parent: Category | None = None) -> Category:
    access.check_module(actor, Module.CATALOG, Action.CREATE)
    name = clean_text(name)
    if not name:
        raise ValidationError({"name": _("Enter a name.")})
    if _sibling(parent, name) is not None:
        raise ValidationError({"name": _("This category already exists.")})
    category = Category.objects.create(name=name[:100], parent=parent)
    event_emit(type="category.created", subject=category, actor=actor, data={"name": category.name})
    return category


def _sibling(parent: Category | None, name: str) -> Category | None:
    # Compared in Python: SQLite's case-insensitive match knows only ASCII ("Đ" vs "đ").
    wanted = name.casefold()
    return next((c for c in Category.objects.filter(parent=parent) if c.name.casefold() == wanted), None)


def category_ensure_path(*, actor: Any, path: str) -> Category | None:
    """The category named by "Điều hòa > Treo tường" (or "›", "/"), created where missing (imports)."""
    parent: Category | None = None
    for part in [p for p in clean_text(path).replace("›", ">").replace("/", ">").split(">") if p.strip()]:
        name = clean_text(part)
        parent = _sibling(parent, name) or category_create(actor=actor, name=name, parent=parent)
    return parent


# --- price lists ------------------------------------------------------------------------------------


def _prepare_price_list(data: dict[str, Any]) -> dict[str, Any]:
    data = dict(data)
    for name in ("name", "notes"):
        if isinstance(data.get(name), str):
            data[name] = clean_text(data[name]) if name == "name" else data[name].strip()
    return data


def _items_writer(items: dict[Product, Decimal] | None) -> Any:
    """Writes a price list's items (product → price) and returns what changed for the event."""

    def write(price_list: PriceList) -> dict[str, list[Any]]:
        if items is None:
            return {}
        before = {
            str(code): str(price)
            for code, price in price_list.items.values_list("product__code", "price").order_by(
                "product__code"
            )
        }
        price_list.items.all().delete()
        PriceListItem.objects.bulk_create(
            PriceListItem(price_list=price_list, product=product, price=price)
            for product, price in items.items()
        )
        after = {
            product.code: str(price) for product, price in sorted(items.items(), key=lambda i: i[0].code)
        }
        return {"items": [before, after]} if before != after else {}

    return write


def clean_price(value: Any) -> Decimal:
    """A price typed as "12.500.000", "12500000" or 12500000 → Decimal; a clear error otherwise."""
    text = str(value).strip().replace(" ", "").replace("₫", "").replace("đ", "")
    if text.count(".") > 1 or (text.count(".") == 1 and len(text.rpartition(".")[2]) == 3):
        text = text.replace(".", "")
    text = text.replace(",", "")
    try:
        price = Decimal(text)
    except (InvalidOperation, ValueError):
        raise ValidationError(_("“%(value)s” is not a price.") % {"value": str(value)[:40]}) from None
    if not price.is_finite() or price < 0 or price > MAX_PRICE or price != price.to_integral_value():
        raise ValidationError(_("A price is a whole number of đồng from 0 to 10^15."))
    return price


def _check_items(actor: Any, items: dict[Product, Decimal] | None) -> None:
    for product, price in (items or {}).items():
        access.check(actor, Action.VIEW, product)
        if price < 0 or price > MAX_PRICE:
            raise ValidationError({"items": _("A price is a whole number of đồng from 0 to 10^15.")})


@transaction.atomic
def price_list_create(
    *, actor: Any, data: dict[str, Any], items: dict[Product, Decimal] | None = None
) -> PriceList:
    access.check_module(actor, Module.CATALOG, Action.CREATE)
    _check_items(actor, items)
    return record_create(
        PriceList, actor=actor, data=_prepare_price_list(data), related=_items_writer(items or {})
    )


@transaction.atomic
def price_list_update(
    price_list: PriceList,
    *,
    actor: Any,
    changes: dict[str, Any],
    version: int | None,
    items: dict[Product, Decimal] | None = None,
) -> PriceList:
    _check_items(actor, items)
    return record_update(
        price_list,
        actor=actor,
        changes=_prepare_price_list(changes),
        version=version,
        related=_items_writer(items),
    )


def price_list_delete(price_list: PriceList, *, actor: Any, version: int | None = None) -> PriceList:
    return record_delete(price_list, actor=actor, version=version)


def products_by_code(codes: Iterable[str]) -> dict[str, Product]:
    return {p.code: p for p in Product.objects.filter(code__in={c.upper() for c in codes})}
