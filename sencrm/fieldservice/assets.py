"""Writes of installed products (assets): by hand, from an import, and from an order's delivery.

Every write goes through the spine (record_create / record_update: the gate, one event, one
transaction). The warranty is derived in one place (warranty.apply_terms) from the product's warranty
months and the contract's terms, unless set by hand (`warranty_until` typed in: rule "manual"); a void
is a recorded fact (reason, from a day), never a term. The site is the customer's address when none is
given. A serial number is unique per product among the assets not in the trash.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils.translation import gettext as _

from sencrm.catalog.models import Product, ProductKind
from sencrm.commerce.models import Contract, Delivery, Order
from sencrm.core import access
from sencrm.core.modules import Action
from sencrm.core.text import clean_text, fold
from sencrm.customers.models import Account, Contact, Province
from sencrm.events.services import record_create, record_delete, record_update
from sencrm.fieldservice import warranty
from sencrm.fieldservice.asset_selectors import asset_history as asset_history
from sencrm.fieldservice.models import OPEN_WORK, Asset, AssetStatus, WarrantyRule, WorkOrderAsset

# Fields a user may set (forms, API, import).
ASSET_FIELDS = (
    "product", "serial_number", "contact", "account", "status", "installed_on", "warranty_start",
    "warranty_until", "order", "contract", "quantity", "notes", "site_street", "site_ward",
    "site_province", "site_contact_name", "site_contact_phone", "owner",
)  # fmt: skip
SITE_FIELDS = ("site_street", "site_ward", "site_province")
# Changes of these recompute the warranty (unless it was set by hand).
TERM_FIELDS = {"product", "contract", "installed_on", "warranty_start"}
MAX_NOTES = 10_000
MAX_QUANTITY = 100_000
DELIVERY_LABEL = "system:delivery"

_TEXT_LIMITS = {
    "serial_number": 80,
    "site_street": 200,
    "site_ward": 100,
    "site_contact_name": 150,
    "site_contact_phone": 40,
}


def _links() -> dict[str, type[models.Model]]:
    from django.contrib.auth import get_user_model

    return {
        "product": Product,
        "contact": Contact,
        "account": Account,
        "order": Order,
        "contract": Contract,
        "site_province": Province,
        "owner": get_user_model(),
    }


def _resolve(model: type[models.Model], value: Any, field: str) -> Any:
    """An instance from an instance or a primary key; a missing one answers like one out of scope."""
    if value is None or value == "":
        return None
    if isinstance(value, model):
        return value
    if isinstance(value, bool | models.Model):
        raise ValidationError({field: str(access.NOT_FOUND)})
    try:
        pk = int(str(value))
    except (TypeError, ValueError):
        raise ValidationError({field: str(access.NOT_FOUND)}) from None
    found = model._default_manager.filter(pk=pk).first()
    if found is None:
        raise ValidationError({field: str(access.NOT_FOUND)})
    return found


def _date(value: Any, field: str) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise ValidationError({field: _("Enter a date as YYYY-MM-DD.")}) from None


def _clean(data: Mapping[str, Any]) -> dict[str, Any]:
    """The asset's fields given in `data`, checked one by one (the rules between fields: `_check`)."""
    unknown = set(data) - set(ASSET_FIELDS)
    if unknown:
        raise ValidationError({name: _("This field cannot be set here.") for name in sorted(unknown)})
    cleaned: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for name, limit in _TEXT_LIMITS.items():
        if name in data:
            text = clean_text(str(data[name] or ""))
            if len(text) > limit:
                errors[name] = _("At most %(max)s characters.") % {"max": limit}
            cleaned[name] = text
    if "notes" in data:
        notes = "\n".join(clean_text(line) for line in str(data["notes"] or "").splitlines()).strip()
        if len(notes) > MAX_NOTES:
            errors["notes"] = _("At most %(max)s characters.") % {"max": f"{MAX_NOTES:,}"}
        cleaned["notes"] = notes
    if "status" in data:
        if data["status"] not in AssetStatus.values:
            errors["status"] = _("Choose one of the values offered.")
        cleaned["status"] = data["status"]
    if "quantity" in data:
        quantity = data["quantity"]
        if isinstance(quantity, bool) or not isinstance(quantity, int) or not 1 <= quantity <= MAX_QUANTITY:
            errors["quantity"] = _("A whole number from 1 to %(max)s.") % {"max": f"{MAX_QUANTITY:,}"}
        cleaned["quantity"] = quantity
    for name in ("installed_on", "warranty_start", "warranty_until"):
        if name in data:
            try:
                cleaned[name] = _date(data[name], name)
            except ValidationError as exc:
                errors[name] = exc.message_dict[name][0]
    for name, model in _links().items():
        if name in data:
            try:
                cleaned[name] = _resolve(model, data[name], name)
            except ValidationError as exc:
                errors[name] = exc.message_dict[name][0]
    if errors:
        raise ValidationError(errors)
    return cleaned


def _check(values: Mapping[str, Any], current: Asset | None) -> None:
    """The rules between fields: a customer, a goods product, serial unique per product, dates in order,
    an order or a contract of the same customer."""
    errors: dict[str, str] = {}
    contact, account, product = values.get("contact"), values.get("account"), values.get("product")
    if contact is None and account is None:
        errors["contact"] = _("Choose the customer: a contact or an account.")
    if contact is not None and account is not None and contact.account_id not in (None, account.pk):
        errors["account"] = _("This contact belongs to another account.")
    if product is None:
        errors["product"] = _("Choose the product.")
    elif product.kind != ProductKind.GOODS and (current is None or current.product_id != product.pk):
        errors["product"] = _("A service is not installed: choose a product that is goods.")
    serial = values.get("serial_number") or ""
    if product is not None and serial:
        taken = Asset.objects.filter(product=product, serial_number=serial)
        if current is not None:
            taken = taken.exclude(pk=current.pk)
        if taken.exists():
            errors["serial_number"] = _("Serial number %(serial)s of %(product)s is already recorded.") % {
                "serial": serial,
                "product": product.name,
            }
    installed, start, until = (
        values.get("installed_on"),
        values.get("warranty_start"),
        values.get("warranty_until"),
    )
    if until is not None and (start or installed) is not None and until < (start or installed):
        errors["warranty_until"] = _("The warranty ends before it starts.")
    for name, message in (
        ("order", _("This order is of another customer.")),
        ("contract", _("This contract is of another customer.")),
    ):
        document = values.get(name)
        if document is None:
            continue
        same = (contact is not None and document.contact_id == contact.pk) or (
            account is not None and document.account_id == account.pk
        )
        if not same:
            errors[name] = message
    if errors:
        raise ValidationError(errors)


def _fill_site(values: dict[str, Any]) -> None:
    """No site given: the customer's address (the account's, else the contact's) and the contact on site."""
    customer = values.get("account") or values.get("contact")
    if customer is not None and not any(values.get(name) for name in SITE_FIELDS):
        values["site_street"] = customer.street
        values["site_ward"] = customer.ward
        values["site_province"] = customer.province
    contact = values.get("contact")
    if contact is not None and not values.get("site_contact_name") and not values.get("site_contact_phone"):
        values["site_contact_name"] = contact.full_name[:150]
        values["site_contact_phone"] = contact.primary_phone


def search_key(asset: Asset) -> str:
    """Folded product, serial, customer and site: what the list's search matches."""
    product = asset.product
    customer = asset.customer
    parts = [product.code, product.name, asset.serial_number, str(customer or ""), asset.site_address]
    return fold(" ".join(p for p in parts if p))[:500]


def _terms(values: dict[str, Any], manual: bool) -> None:
    """Fill warranty_start / warranty_until / warranty_rule from the terms (or keep a typed-in end)."""
    probe = Asset(
        product=values["product"],
        contract=values.get("contract"),
        installed_on=values.get("installed_on"),
        warranty_start=values.get("warranty_start"),
        warranty_until=values.get("warranty_until") if manual else None,
        warranty_rule=WarrantyRule.MANUAL if manual else WarrantyRule.NONE,
    )
    warranty.apply_terms(probe)
    values["warranty_start"] = probe.warranty_start
    values["warranty_until"] = probe.warranty_until
    values["warranty_rule"] = probe.warranty_rule


def _create(values: dict[str, Any], *, actor: Any, system: bool, actor_label: str) -> Asset:
    owner = values.pop("owner", None)
    if system and owner is None:
        raise ValidationError({"owner": _("Choose who looks after this installed product.")})
    asset = record_create(
        Asset, actor=actor, data=values, owner=owner, system=system, actor_label=actor_label
    )
    key = search_key(asset)
    Asset.all_objects.filter(pk=asset.pk).update(search_key=key)
    asset.search_key = key
    return asset


# --- services ----------------------------------------------------------------------------------------


@transaction.atomic
def asset_create(
    *, actor: Any, data: Mapping[str, Any], system: bool = False, actor_label: str = ""
) -> Asset:
    """Record an installed product (event asset.created). The warranty comes from the product and the
    contract unless `warranty_until` is given (then it is "set by hand"); the site from the customer
    when empty; the account from the contact when only the contact is given."""
    values = _clean(data)
    contact = values.get("contact")
    if (
        contact is not None
        and values.get("account") is None
        and contact.account_id
        and (system or access.in_scope(actor, Action.VIEW, contact.account))
    ):
        values["account"] = contact.account
    if values.get("contract") is None and values.get("order") is not None:
        values["contract"] = values["order"].contract
    _check(values, None)
    _fill_site(values)
    _terms(values, manual=values.get("warranty_until") is not None)
    if not values.get("status"):
        values["status"] = AssetStatus.INSTALLED
    return _create(values, actor=actor, system=system, actor_label=actor_label)


@transaction.atomic
def asset_update(asset: Asset, *, actor: Any, changes: Mapping[str, Any], version: int | None) -> Asset:
    """Change an asset (event asset.updated). Typing an end of warranty sets it by hand; clearing it
    (None) goes back to the product's and contract's terms; a new product, contract or installation
    date recomputes the terms of a warranty not set by hand."""
    access.check(actor, Action.EDIT, asset)
    current: Asset = Asset.objects.select_related("product", "contract", "contact", "account").get(
        pk=asset.pk
    )
    values = _clean(changes)
    merged = {name: getattr(current, name) for name in ASSET_FIELDS} | values
    _check(merged, current)
    if "warranty_until" in values:
        manual = values["warranty_until"] is not None
    else:
        manual = current.warranty_rule == WarrantyRule.MANUAL
    if "warranty_until" in values or TERM_FIELDS & {k for k in values if values[k] != getattr(current, k)}:
        if not manual:
            merged["warranty_until"] = None
            if "warranty_start" not in values and "installed_on" in values:
                merged["warranty_start"] = None  # the start follows the new installation date
        _terms(merged, manual=manual)
        for name in ("warranty_start", "warranty_until", "warranty_rule"):
            values[name] = merged[name]
    updated = record_update(current, actor=actor, changes=values, version=version)
    key = search_key(updated)
    if key != updated.search_key:
        Asset.all_objects.filter(pk=updated.pk).update(search_key=key)
        updated.search_key = key
    return updated


@transaction.atomic
def asset_void_warranty(asset: Asset, *, actor: Any, reason: str, on: dt.date) -> Asset:
    """Void the warranty from `on` (inclusive) for a recorded reason (event asset.warranty_voided)."""
    access.check(actor, Action.EDIT, asset)
    text = clean_text(reason or "")
    errors: dict[str, str] = {}
    if not text:
        errors["reason"] = _("Say why the warranty is void.")
    elif len(text) > 300:
        errors["reason"] = _("At most %(max)s characters.") % {"max": 300}
    if not isinstance(on, dt.date):
        errors["on"] = _("Enter a date as YYYY-MM-DD.")
    if errors:
        raise ValidationError(errors)
    return record_update(
        asset,
        actor=actor,
        changes={"warranty_void_reason": text, "warranty_void_on": on},
        version=None,
        event_type="warranty_voided",
        extra_data={"reason": text, "on": on.isoformat()},
    )


@transaction.atomic
def asset_set_status(asset: Asset, *, actor: Any, status: str, replaced_by: Asset | None = None) -> Asset:
    """Installed, under repair, replaced (by another asset of the same customer) or removed."""
    access.check(actor, Action.EDIT, asset)
    if status not in AssetStatus.values:
        raise ValidationError({"status": _("Choose one of the values offered.")})
    changes: dict[str, Any] = {"status": status}
    if status == AssetStatus.REPLACED:
        if replaced_by is not None:
            if replaced_by.pk == asset.pk or not access.in_scope(actor, Action.VIEW, replaced_by):
                raise ValidationError({"replaced_by": str(access.NOT_FOUND)})
            if (replaced_by.contact_id, replaced_by.account_id) != (asset.contact_id, asset.account_id):
                raise ValidationError({"replaced_by": _("The new product is another customer's.")})
        changes["replaced_by"] = replaced_by
    elif replaced_by is not None:
        raise ValidationError({"replaced_by": _("Only a replaced product is replaced by another.")})
    else:
        changes["replaced_by"] = None
    return record_update(asset, actor=actor, changes=changes, version=None)


@transaction.atomic
def asset_delete(asset: Asset, *, actor: Any, version: int | None = None) -> Asset:
    """To the trash; refused while a work order still open is about it."""
    access.check(actor, Action.DELETE, asset)
    if WorkOrderAsset.objects.filter(asset_id=asset.pk, work_order__status__in=OPEN_WORK).exists():
        raise ValidationError(_("An open work order is about this product: finish or cancel it first."))
    return record_delete(asset, actor=actor, version=version)


def _whole(quantity: Decimal) -> int | None:
    return int(quantity) if quantity == quantity.to_integral_value() else None


@transaction.atomic
def assets_from_delivery(delivery: Delivery, *, actor: Any = None) -> list[Asset]:
    """The assets of a recorded delivery: for each delivered line of goods with a warranty or a serial
    number, one asset per unit when the product is serialised, else one asset with the quantity.

    Idempotent by (delivered line, unit): running it again adds nothing, and a second delivery of the
    same order line makes only its own units. Installed on the delivery date, under the order's
    contract, looked after by the order's owner; a system write (the delivery already passed the gate)."""
    order = delivery.order
    made: list[Asset] = []
    lines = delivery.lines.select_related("order_line__product").order_by("id")
    for line in lines:
        product = line.order_line.product
        if product is None or product.kind != ProductKind.GOODS:
            continue
        if not product.serialised and product.warranty_months <= 0:
            continue
        existing = set(Asset.all_objects.filter(delivery_line=line).values_list("unit", flat=True))
        if product.serialised:
            count = _whole(line.quantity)
            if count is None:
                raise ValidationError(
                    {
                        "lines": [
                            _("%(product)s is tracked by serial number: deliver whole units.")
                            % {"product": product.name}
                        ]
                    }
                )
            units = [(unit, 1) for unit in range(1, count + 1)]
        else:
            quantity = int(line.quantity.to_integral_value(rounding=ROUND_HALF_UP))
            units = [(1, max(1, min(quantity, MAX_QUANTITY)))]
        for unit, quantity in units:
            if unit in existing:
                continue
            values: dict[str, Any] = {
                "product": product,
                "contact": order.contact,
                "account": order.account,
                "order": order,
                "contract": order.contract,
                "installed_on": delivery.delivered_on,
                "quantity": quantity,
                "status": AssetStatus.INSTALLED,
                "delivery_line": line,
                "unit": unit,
                "owner": order.owner,
            }
            _fill_site(values)
            _terms(values, manual=False)
            made.append(_create(values, actor=actor, system=True, actor_label=DELIVERY_LABEL))
    return made


def delivery_hook(delivery: Delivery, actor: Any) -> None:
    """Registered in sencrm.commerce.services.DELIVERY_HOOKS (card_hooks.py registers it)."""
    assets_from_delivery(delivery, actor=actor)
