"""The warranty of an installed product: how long it runs, and whether it covers a given day.

One place decides, for the asset's page, the caller card, tickets, work orders and the API:

- the product's warranty: `Product.warranty_months` from the warranty start (the installation date,
  else the delivery date);
- extended by contract: a contract's `warranty_months`, counted from the same start, when it ends later;
- set by hand: an asset whose `warranty_rule` is MANUAL keeps the `warranty_until` typed in;
- voided by a recorded reason: from `warranty_void_on` (inclusive) the asset is out of warranty.

The last day of warranty counts as in. N months from a start day end the day before the same day N months
later ("12 months from 15/03/2026" runs to 14/03/2027 inclusive); when that day does not exist the period
runs to the end of the shorter month (from 31/01 one month runs to 28/02 or 29/02; from 29/02/2024 twelve
months run to 28/02/2025).
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from sencrm.fieldservice.models import Asset, WarrantyRule


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` later, or the last day of that month when it is shorter."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def period_end(start: dt.date, months: int) -> dt.date | None:
    """The last day (inclusive) of a period of `months` from `start`; None for no period (0 months)."""
    if months <= 0:
        return None
    index = start.month - 1 + months
    year, month = start.year + index // 12, index % 12 + 1
    last = calendar.monthrange(year, month)[1]
    if start.day > last:  # the same day does not exist: the period fills the shorter month
        return dt.date(year, month, last)
    return dt.date(year, month, start.day) - dt.timedelta(days=1)


@dataclass(frozen=True)
class Terms:
    """What an asset's warranty comes to, before any void."""

    start: dt.date | None
    until: dt.date | None
    rule: str


def derive(
    *,
    start: dt.date | None,
    product_months: int,
    contract_months: int = 0,
    manual_until: dt.date | None = None,
) -> Terms:
    """The warranty an asset gets from its product and contract (or typed in by hand)."""
    if manual_until is not None:
        return Terms(start, manual_until, WarrantyRule.MANUAL)
    if start is None:
        return Terms(None, None, WarrantyRule.NONE)
    by_product = period_end(start, product_months)
    by_contract = period_end(start, contract_months)
    if by_contract is not None and (by_product is None or by_contract > by_product):
        return Terms(start, by_contract, WarrantyRule.CONTRACT)
    if by_product is not None:
        return Terms(start, by_product, WarrantyRule.PRODUCT)
    return Terms(start, None, WarrantyRule.NONE)


def terms_for(asset: Asset) -> Terms:
    """The terms of an asset from its product, its contract and its dates (what the services store)."""
    start = asset.warranty_start or asset.installed_on
    if asset.warranty_rule == WarrantyRule.MANUAL and asset.warranty_until is not None:
        return derive(start=start, product_months=0, manual_until=asset.warranty_until)
    product_months = asset.product.warranty_months if asset.product_id else 0
    contract_months = asset.contract.warranty_months if asset.contract_id and asset.contract else 0
    return derive(start=start, product_months=product_months, contract_months=contract_months)


@dataclass(frozen=True)
class Check:
    """The answer of a warranty check: in or out on a day, until when, and the rule that decided it."""

    on: dt.date
    in_warranty: bool
    until: dt.date | None
    rule: str
    reason: str = ""  # the recorded reason of a void

    @property
    def rule_label(self) -> str:
        return str(WarrantyRule(self.rule).label)

    @property
    def days_left(self) -> int | None:
        return (self.until - self.on).days if self.in_warranty and self.until else None

    def as_dict(self) -> dict[str, Any]:
        """The API's answer: {"in_warranty", "until", "rule"} (+ the rule's label and a void's reason)."""
        return {
            "in_warranty": self.in_warranty,
            "until": self.until.isoformat() if self.until else None,
            "rule": self.rule,
            "rule_label": self.rule_label,
            "reason": self.reason,
            "on": self.on.isoformat(),
        }


def check(asset: Asset, on: dt.date | None = None) -> Check:
    """Is the asset in warranty on `on` (today by default)? Reads the stored `warranty_until` and rule."""
    day = on or timezone.localdate()
    if asset.warranty_void_on is not None and day >= asset.warranty_void_on:
        return Check(day, False, asset.warranty_until, WarrantyRule.VOIDED, asset.warranty_void_reason)
    until = asset.warranty_until
    start = asset.warranty_start or asset.installed_on
    if until is None or asset.warranty_rule == WarrantyRule.NONE:
        return Check(day, False, until, WarrantyRule.NONE)
    started = start is None or day >= start
    return Check(day, started and day <= until, until, asset.warranty_rule)


def apply_terms(asset: Asset) -> Asset:
    """Fill the asset's `warranty_start`, `warranty_until` and `warranty_rule` from its terms (in place;
    the caller saves). A void is kept: it is a fact recorded, not a term."""
    terms = terms_for(asset)
    if asset.warranty_start is None and terms.start is not None:
        asset.warranty_start = terms.start
    asset.warranty_until = terms.until
    asset.warranty_rule = terms.rule
    return asset
