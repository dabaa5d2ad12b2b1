"""The warranty rule: periods in months (month ends, leap years), the last day in, extension by contract,
a void with its reason, a warranty set by hand."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import translation

from sencrm.fieldservice import warranty
from sencrm.fieldservice.models import Asset, WarrantyRule
from sencrm.fieldservice.tests.fs_helpers import aircon_fixture, make_asset_fixture  # noqa: F401

D = dt.date


@pytest.mark.parametrize(
    ("start", "months", "end"),
    [
        (D(2026, 3, 15), 12, D(2027, 3, 14)),
        (D(2026, 1, 1), 24, D(2027, 12, 31)),
        (D(2026, 1, 31), 1, D(2026, 2, 28)),  # 31/02 does not exist: to the end of February
        (D(2028, 1, 31), 1, D(2028, 2, 29)),  # a leap February
        (D(2024, 2, 29), 12, D(2025, 2, 28)),  # from a leap day: one year is to 28/02
        (D(2024, 2, 29), 48, D(2028, 2, 28)),  # four years on, 29/02 exists again: the day before
        (D(2026, 8, 31), 6, D(2027, 2, 28)),
        (D(2026, 12, 1), 1, D(2026, 12, 31)),
    ],
)
def test_period_end(start, months, end):
    assert warranty.period_end(start, months) == end


def test_no_months_is_no_period():
    assert warranty.period_end(D(2026, 1, 1), 0) is None


def test_derive_picks_the_longer_of_product_and_contract():
    product = warranty.derive(start=D(2026, 1, 10), product_months=24, contract_months=12)
    assert (product.until, product.rule) == (D(2028, 1, 9), WarrantyRule.PRODUCT)
    contract = warranty.derive(start=D(2026, 1, 10), product_months=24, contract_months=36)
    assert (contract.until, contract.rule) == (D(2029, 1, 9), WarrantyRule.CONTRACT)
    nothing = warranty.derive(start=D(2026, 1, 10), product_months=0)
    assert (nothing.until, nothing.rule) == (None, WarrantyRule.NONE)
    by_hand = warranty.derive(start=None, product_months=24, manual_until=D(2030, 5, 1))
    assert (by_hand.until, by_hand.rule) == (D(2030, 5, 1), WarrantyRule.MANUAL)


@pytest.mark.django_db
def test_the_last_day_counts_as_in(make_asset):
    asset = make_asset(installed_on=D(2025, 3, 15))  # the product's 24 months
    assert asset.warranty_until == D(2027, 3, 14)
    last = warranty.check(asset, D(2027, 3, 14))
    assert (last.in_warranty, last.rule, last.days_left) == (True, WarrantyRule.PRODUCT, 0)
    after = warranty.check(asset, D(2027, 3, 15))
    assert (after.in_warranty, after.until, after.rule) == (False, D(2027, 3, 14), WarrantyRule.PRODUCT)
    before = warranty.check(asset, D(2025, 3, 14))  # before installation: not covered yet
    assert before.in_warranty is False


@pytest.mark.django_db
def test_a_contract_extends_and_a_void_ends(org, make_asset, make_contact):
    from sencrm.commerce.models import Contract

    contact = make_contact()
    contract = Contract.objects.create(
        number="HD-W-1",
        name="Bảo hành mở rộng",
        contact=contact,
        owner=org["sales1"],
        start_date=D(2025, 1, 1),
        warranty_months=60,
    )
    asset = make_asset(contact, installed_on=D(2025, 3, 15), contract=contract)
    assert (asset.warranty_until, asset.warranty_rule) == (D(2030, 3, 14), WarrantyRule.CONTRACT)
    assert warranty.check(asset, D(2029, 6, 1)).as_dict()["in_warranty"] is True

    Asset.objects.filter(pk=asset.pk).update(
        warranty_void_on=D(2026, 5, 2), warranty_void_reason="Khách tự tháo máy, tem bảo hành bị rách"
    )
    asset.refresh_from_db()
    assert warranty.check(asset, D(2026, 5, 1)).in_warranty is True
    void = warranty.check(asset, D(2026, 5, 2))
    assert (void.in_warranty, void.rule) == (False, WarrantyRule.VOIDED)
    with translation.override("en"):
        answer = void.as_dict()
    assert answer == {
        "in_warranty": False,
        "until": "2030-03-14",
        "rule": "voided",
        "rule_label": "Warranty voided",
        "reason": "Khách tự tháo máy, tem bảo hành bị rách",
        "on": "2026-05-02",
    }
