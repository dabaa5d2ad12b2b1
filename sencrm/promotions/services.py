"""Writes of promotions — through the spine (gate, validation, one event per write, one transaction).

The rules that apply a promotion to a quote or an order are in engine.py; its uses are written there.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from sencrm.core import access
from sencrm.core.modules import Action, Module
from sencrm.core.text import clean_text, fold
from sencrm.events.services import record_create, record_delete, record_update
from sencrm.promotions.choices import PromotionKind
from sencrm.promotions.models import MAX_AMOUNT, MAX_LIMIT, Promotion

FIELDS = {
    "code", "name", "kind", "value", "gift_product", "gift_quantity", "min_order", "valid_from",
    "valid_until", "usage_limit", "per_customer_limit", "active", "campaign", "description", "owner",
}  # fmt: skip
LINKS = ("products", "categories", "customer_groups")
CODE = re.compile(r"^[A-Z0-9][A-Z0-9_-]{0,39}$")
MAX_GIFT = Decimal(1_000_000)


def normalise_code(raw: Any) -> str:
    """ "he 2026" → "HE2026": codes are compared upper-case, without spaces."""
    return "".join(str(raw or "").split()).upper()


def _decimal(value: Any) -> Decimal | None:
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def _check_value(kind: str, raw: Any, errors: dict[str, str]) -> Decimal:
    if kind == PromotionKind.GIFT:
        return Decimal(0)
    value = _decimal(raw)
    if kind == PromotionKind.PERCENT:
        if value is None or not Decimal(0) < value <= 100 or value != value.quantize(Decimal("0.01")):
            errors["value"] = _("A percentage is more than 0 and at most 100, with at most two decimals.")
            return Decimal(0)
        return value
    if value is None or not Decimal(0) < value <= MAX_AMOUNT or value != value.to_integral_value():
        errors["value"] = _("An amount is a whole number of đồng, more than 0 and at most 10^15.")
        return Decimal(0)
    return value


def _check_limit(name: str, raw: Any, errors: dict[str, str]) -> int | None:
    if raw is None or raw == "":
        return None
    if isinstance(raw, bool) or not isinstance(raw, int) or not 1 <= raw <= MAX_LIMIT:
        errors[name] = _("A limit is a whole number from 1 to 1,000,000,000 (empty: no limit).")
        return None
    return raw


def _clean(data: Mapping[str, Any], current: Promotion | None = None) -> dict[str, Any]:
    """The promotion's fields, checked as a whole (the kind decides what `value` means)."""
    unknown = set(data) - FIELDS - set(LINKS)
    if unknown:
        raise ValidationError({name: _("This field cannot be set here.") for name in sorted(unknown)})
    cleaned = {name: value for name, value in data.items() if name in FIELDS}

    def now(name: str) -> Any:
        return cleaned[name] if name in cleaned else getattr(current, name, None)

    errors: dict[str, str] = {}
    if "code" in cleaned:
        cleaned["code"] = normalise_code(cleaned["code"])
        if cleaned["code"] and not CODE.match(cleaned["code"]):
            errors["code"] = _(
                "A code is 1 to 40 letters A–Z, digits, “-” or “_” (empty: the promotion applies by itself)."
            )
        elif cleaned["code"]:
            taken = Promotion.objects.filter(code=cleaned["code"])
            if current is not None:
                taken = taken.exclude(pk=current.pk)
            if taken.exists():
                errors["code"] = _("Another promotion already uses this code.")
    if "name" in cleaned:
        cleaned["name"] = clean_text(str(cleaned["name"] or ""))[:200]
        if not cleaned["name"]:
            errors["name"] = _("Give the promotion a name.")
    if "description" in cleaned:
        cleaned["description"] = str(cleaned["description"] or "").strip()
    kind = now("kind")
    if kind not in PromotionKind.values:
        errors["kind"] = _("Choose percentage off, amount off or gift.")
    elif {"kind", "value"} & cleaned.keys() or current is None:
        cleaned["value"] = _check_value(kind, now("value"), errors)
    if kind == PromotionKind.GIFT:
        if now("gift_product") is None:
            errors["gift_product"] = _("Choose the product given as a gift.")
        quantity = _decimal(now("gift_quantity") if now("gift_quantity") is not None else 1)
        if (
            quantity is None
            or not 0 < quantity <= MAX_GIFT
            or quantity != quantity.quantize(Decimal("0.001"))
        ):
            errors["gift_quantity"] = _("A gift quantity is more than 0, with at most 3 decimals.")
        else:
            cleaned["gift_quantity"] = quantity
    elif kind in PromotionKind.values:
        cleaned["gift_product"] = None
    if "min_order" in cleaned:
        minimum = _decimal(cleaned["min_order"] if cleaned["min_order"] is not None else 0)
        if minimum is None or not 0 <= minimum <= MAX_AMOUNT or minimum != minimum.to_integral_value():
            errors["min_order"] = _("A minimum order is a whole number of đồng from 0 to 10^15.")
        else:
            cleaned["min_order"] = minimum
    for name in ("usage_limit", "per_customer_limit"):
        if name in cleaned:
            cleaned[name] = _check_limit(name, cleaned[name], errors)
    start, end = now("valid_from"), now("valid_until")
    if start is not None and end is not None and end < start:
        errors["valid_until"] = _("The promotion cannot end before it starts.")
    if errors:
        raise ValidationError(errors)
    if {"code", "name"} & cleaned.keys():
        cleaned["search_key"] = fold(f"{now('code') or ''} {now('name') or ''}")[:300]
    return cleaned


def _links(actor: Any, data: Mapping[str, Any]) -> dict[str, list[Any] | None]:
    """The products, categories and customer groups to set (None: leave them); a product outside the
    actor's view is refused as if it did not exist."""
    links: dict[str, list[Any] | None] = {name: None for name in LINKS}
    for name in LINKS:
        if name in data:
            values = list(data[name] or [])
            links[name] = list({getattr(v, "pk", v): v for v in values}.values())
    products = links["products"] or []
    visible = access.visible_pks(actor, type(products[0]), [p.pk for p in products]) if products else set()
    if any(p.pk not in visible for p in products):
        raise ValidationError({"products": [str(access.NOT_FOUND)]})
    return links


def _links_writer(links: Mapping[str, Iterable[Any] | None]) -> Callable[[Promotion], dict[str, list[Any]]]:
    """Set the many-to-many links given, inside the write's transaction; returns what changed by name."""

    def write(promotion: Promotion) -> dict[str, list[Any]]:
        changed: dict[str, list[Any]] = {}
        for name, values in links.items():
            if values is None:
                continue
            wanted = list(values)
            manager = getattr(promotion, name)
            before = list(manager.all())
            if {o.pk for o in before} != {o.pk for o in wanted}:
                manager.set(wanted)
                changed[name] = [sorted(str(o) for o in before), sorted(str(o) for o in wanted)]
        return changed

    return write


@contextmanager
def _code_taken() -> Iterator[None]:
    """Two writers giving two promotions the same code at once: the database's unique index stops the
    second, which gets the same answer as when the code was already taken."""
    try:
        with transaction.atomic():
            yield
    except IntegrityError:
        raise ValidationError({"code": _("Another promotion already uses this code.")}) from None


@transaction.atomic
def promotion_create(
    *, actor: Any, data: Mapping[str, Any], owner: Any = None, actor_label: str = ""
) -> Promotion:
    access.check_module(actor, Module.MARKETING, Action.CREATE)
    links = _links(actor, data)
    cleaned = _clean({"code": "", **data})
    owner = cleaned.pop("owner", None) or owner
    with _code_taken():
        return record_create(
            Promotion,
            actor=actor,
            data=cleaned,
            owner=owner,
            actor_label=actor_label,
            related=_links_writer(links),
        )


@transaction.atomic
def promotion_update(
    promotion: Promotion,
    *,
    actor: Any,
    changes: Mapping[str, Any],
    version: int | None,
    actor_label: str = "",
) -> Promotion:
    access.check(actor, Action.EDIT, promotion)
    links = _links(actor, changes)
    cleaned = _clean(changes, current=promotion)
    if cleaned.get("owner", promotion.owner) is None:
        cleaned.pop("owner", None)
    with _code_taken():
        return record_update(
            promotion,
            actor=actor,
            changes=cleaned,
            version=version,
            actor_label=actor_label,
            related=_links_writer(links),
        )


def promotion_delete(promotion: Promotion, *, actor: Any, version: int | None = None) -> Promotion:
    """To the trash: its code is free for another promotion; documents that took it keep their discount."""
    return record_delete(promotion, actor=actor, version=version)
