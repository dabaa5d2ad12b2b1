"""Installed products: the services (warranty terms, serial uniqueness, void, status) and the assets a
recorded delivery makes (partial deliveries, idempotent)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from sencrm.fieldservice.tests.fs_helpers import aircon_fixture, make_asset_fixture, part_fixture  # noqa: F401

TODAY = timezone.localdate()


@pytest.fixture
def customer(make_contact):
    return make_contact(
        owner="sales1", full_name="Trần Văn Bình", street="12 Lý Thường Kiệt", ward="Hàng Bài"
    )


def _order(org, customer, lines, contract=None):
    from sencrm.commerce import services

    order = services.order_create(
        actor=org["sales1"], data={"contact": customer, "contract": contract}, lines=lines
    )
    return services.order_confirm(order, actor=org["sales1"])


def _deliver(org, order, quantities, on=TODAY):
    from sencrm.commerce import services

    return services.order_record_delivery(
        order, actor=org["sales1"], delivered_on=on, quantities={k: Decimal(v) for k, v in quantities.items()}
    )


def test_two_partial_deliveries_of_a_serialised_line_make_one_asset_per_unit_once(org, customer, aircon):
    from sencrm.fieldservice.assets import assets_from_delivery
    from sencrm.fieldservice.models import Asset

    order = _order(org, customer, [{"product": aircon, "quantity": 3}])
    line = order.lines.get()
    first = _deliver(org, order, {line.pk: 2}, on=TODAY - dt.timedelta(days=3))
    assert Asset.objects.filter(order=order).count() == 2
    second = _deliver(org, order, {line.pk: 1})
    assets = list(Asset.objects.filter(order=order).order_by("id"))
    assert len(assets) == 3
    assert [a.installed_on for a in assets] == [first.delivered_on] * 2 + [second.delivered_on]
    assert {a.owner_id for a in assets} == {org["sales1"].pk}  # the order's owner
    assert all(a.quantity == 1 and a.contact_id == customer.pk for a in assets)
    assert {a.warranty_rule for a in assets} == {"product"}
    assert assets[0].site_street == "12 Lý Thường Kiệt"  # the customer's address
    # Running the hook again adds nothing.
    assert assets_from_delivery(first) == [] and assets_from_delivery(second) == []
    assert Asset.objects.filter(order=order).count() == 3


def test_a_non_serialised_line_with_a_warranty_makes_one_asset_with_its_quantity(org, customer, aircon, part):
    from sencrm.catalog.models import Product
    from sencrm.fieldservice.models import Asset

    Product.objects.filter(pk=aircon.pk).update(serialised=False)
    Product.objects.filter(pk=part.pk).update(warranty_months=0)  # no warranty, no serial: no asset
    order = _order(org, customer, [{"product": aircon, "quantity": 4}, {"product": part, "quantity": 2}])
    ac_line, part_line = order.lines.order_by("position")
    _deliver(org, order, {ac_line.pk: 4, part_line.pk: 2})
    asset = Asset.objects.get(order=order)
    assert asset.product_id == aircon.pk and asset.quantity == 4


def test_the_delivery_event_names_the_system_door(org, customer, aircon):
    from sencrm.events.models import Event

    order = _order(org, customer, [{"product": aircon, "quantity": 1}])
    _deliver(org, order, {order.lines.get().pk: 1})
    event = Event.objects.filter(type="asset.created").get()
    assert event.actor_label == "system:delivery" and event.customer_id == customer.pk


def test_a_contract_extends_the_warranty_of_delivered_assets(org, customer, aircon):
    from sencrm.commerce.models import Contract
    from sencrm.fieldservice.models import Asset

    contract = Contract.objects.create(
        number="HD-1", name="Bảo hành mở rộng", owner=org["sales1"], status="signed", start_date=TODAY,
        contact=customer, warranty_months=36,
    )  # fmt: skip
    order = _order(org, customer, [{"product": aircon, "quantity": 1}], contract=contract)
    _deliver(org, order, {order.lines.get().pk: 1}, on=dt.date(2026, 3, 15))
    asset = Asset.objects.get(order=order)
    assert asset.contract_id == contract.pk
    assert (asset.warranty_until, asset.warranty_rule) == (dt.date(2029, 3, 14), "contract")


def test_create_fills_the_warranty_site_and_search_key(org, customer, aircon):
    from sencrm.fieldservice.assets import asset_create

    asset = asset_create(
        actor=org["care"],
        data={
            "product": aircon,
            "serial_number": "DK-001",
            "contact": customer,
            "installed_on": dt.date(2024, 2, 29),
        },
    )
    assert (asset.warranty_start, asset.warranty_until, asset.warranty_rule) == (
        dt.date(2024, 2, 29), dt.date(2026, 2, 28), "product",
    )  # fmt: skip
    assert asset.site_street == "12 Lý Thường Kiệt" and asset.site_contact_name == "Trần Văn Bình"
    assert "tran van binh" in asset.search_key and "dk-001" in asset.search_key


def test_a_serial_number_is_unique_per_product_with_a_clear_message(org, customer, aircon, part):
    from sencrm.fieldservice.assets import asset_create

    data = {"product": aircon, "serial_number": "DK-777", "contact": customer, "installed_on": TODAY}
    asset_create(actor=org["care"], data=data)
    with translation.override("en"), pytest.raises(ValidationError) as error:
        asset_create(actor=org["care"], data=data)
    assert "DK-777" in error.value.message_dict["serial_number"][0]
    assert "already recorded" in error.value.message_dict["serial_number"][0]
    asset_create(actor=org["care"], data={**data, "product": part})  # another product: fine


def test_a_typed_in_end_is_manual_and_clearing_it_goes_back_to_the_terms(org, customer, aircon):
    from sencrm.fieldservice.assets import asset_create, asset_update

    asset = asset_create(
        actor=org["care"],
        data={"product": aircon, "contact": customer, "installed_on": dt.date(2026, 1, 10),
              "warranty_until": dt.date(2030, 1, 1)},
    )  # fmt: skip
    assert (asset.warranty_until, asset.warranty_rule) == (dt.date(2030, 1, 1), "manual")
    asset = asset_update(asset, actor=org["care"], changes={"warranty_until": None}, version=asset.version)
    assert (asset.warranty_until, asset.warranty_rule) == (dt.date(2028, 1, 9), "product")
    asset = asset_update(
        asset, actor=org["care"], changes={"installed_on": dt.date(2026, 2, 1)}, version=None
    )
    assert asset.warranty_until == dt.date(2028, 1, 31)


def test_void_records_the_reason_and_emits_its_event(org, customer, aircon):
    from sencrm.events.models import Event
    from sencrm.fieldservice import warranty
    from sencrm.fieldservice.assets import asset_create, asset_void_warranty

    asset = asset_create(
        actor=org["care"],
        data={"product": aircon, "contact": customer, "installed_on": TODAY - dt.timedelta(days=7)},
    )
    with translation.override("en"), pytest.raises(ValidationError) as error:
        asset_void_warranty(asset, actor=org["care"], reason="  ", on=TODAY)
    assert "why" in error.value.message_dict["reason"][0]
    asset = asset_void_warranty(asset, actor=org["care"], reason="Khách tự tháo máy", on=TODAY)
    check = warranty.check(asset, TODAY)
    assert (check.in_warranty, check.rule, check.reason) == (False, "voided", "Khách tự tháo máy")
    assert warranty.check(asset, TODAY - dt.timedelta(days=1)).in_warranty
    assert Event.objects.filter(type="asset.warranty_voided", subject_id=asset.pk).count() == 1


def test_status_replaced_by_another_asset_of_the_customer(org, customer, aircon, make_contact):
    from sencrm.fieldservice.assets import asset_create, asset_set_status

    old = asset_create(
        actor=org["care"], data={"product": aircon, "contact": customer, "installed_on": TODAY}
    )
    new = asset_create(
        actor=org["care"], data={"product": aircon, "contact": customer, "installed_on": TODAY}
    )
    other = asset_create(
        actor=org["care"],
        data={"product": aircon, "contact": make_contact(owner="care"), "installed_on": TODAY},
    )
    with pytest.raises(ValidationError):
        asset_set_status(old, actor=org["care"], status="replaced", replaced_by=other)
    with pytest.raises(ValidationError):
        asset_set_status(old, actor=org["care"], status="gone")
    old = asset_set_status(old, actor=org["care"], status="replaced", replaced_by=new)
    assert (old.status, old.replaced_by_id) == ("replaced", new.pk)


def test_a_technician_cannot_create_and_sales_cannot_touch_assets(org, customer, aircon, make_asset):
    from django.core.exceptions import PermissionDenied
    from django.http import Http404

    from sencrm.fieldservice.assets import asset_create, asset_update

    data = {"product": aircon, "contact": customer, "installed_on": TODAY}
    with pytest.raises(PermissionDenied):
        asset_create(actor=org["sales1"], data=data)
    asset = make_asset(customer)
    with pytest.raises(Http404):
        asset_update(asset, actor=org["sales1"], changes={"notes": "x"}, version=None)
    with pytest.raises(Http404):
        asset_update(
            asset, actor=org["tech"], changes={"notes": "x"}, version=None
        )  # not on their work order
