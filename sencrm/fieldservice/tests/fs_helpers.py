"""Shared fixtures of the after-sales tests: technicians, an air conditioner product (serialised, 24 months'
warranty, cleaning every 6 months), assets and work orders written straight to the database (the tests of
the services write through the services).

A test module imports the `*_fixture` functions it needs (`from sencrm.fieldservice.tests.fs_helpers import
tech2_fixture, ...`) and asks for the names (`tech2`, `aircon`, `make_asset`, `make_work_order`)."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

import pytest
from django.utils import timezone

_numbers = itertools.count(1)


@pytest.fixture(name="tech2")
def tech2_fixture(org):
    """A second technician (the demo's `tech` is the first), with a Technician profile."""
    from sencrm.fieldservice.models import Technician
    from sencrm.users.models import Role, User

    user = User.objects.create_user(
        username="tech2", password="x", full_name="Lê Văn Hùng", role=Role.objects.get(code="technician")
    )
    Technician.objects.create(user=user)
    Technician.objects.get_or_create(user=org["tech"])
    return user


@pytest.fixture(name="aircon")
def aircon_fixture(org):
    """An air conditioner: goods, serialised, 24 months' warranty, cleaning every 6 months."""
    from sencrm.catalog.models import Product

    return Product.objects.create(
        code=f"DH-{next(_numbers):04d}",
        name="Điều hòa Daikin Inverter 1 HP",
        unit="bộ",
        list_price=Decimal("11500000"),
        warranty_months=24,
        maintenance_months=6,
        serialised=True,
        owner=org["admin"],
    )


@pytest.fixture(name="part")
def part_fixture(org):
    """A spare part: a capacitor at 350.000 ₫."""
    from sencrm.catalog.models import Product

    return Product.objects.create(
        code=f"VT-{next(_numbers):04d}",
        name="Tụ điện máy nén",
        unit="cái",
        list_price=Decimal("350000"),
        owner=org["admin"],
    )


@pytest.fixture(name="make_asset")
def make_asset_fixture(org, aircon):
    from sencrm.fieldservice import warranty
    from sencrm.fieldservice.models import Asset

    def make(contact=None, *, installed_on: dt.date | None = None, owner="care", **fields):
        n = next(_numbers)
        asset = Asset(
            product=fields.pop("product", aircon),
            serial_number=fields.pop("serial_number", f"SN{n:06d}"),
            contact=contact,
            installed_on=installed_on or timezone.localdate() - dt.timedelta(days=100),
            owner=org[owner] if isinstance(owner, str) else owner,
            **fields,
        )
        warranty.apply_terms(asset)
        asset.save()
        return asset

    return make


@pytest.fixture(name="make_work_order")
def make_work_order_fixture(org):
    from sencrm.fieldservice.models import WorkOrder, WorkOrderAsset

    def make(
        contact=None, *, technician="tech", start: dt.datetime | None = None, minutes=60, assets=(), **fields
    ):
        n = next(_numbers)
        tech = org[technician] if isinstance(technician, str) else technician
        begin = start if start is not None else None
        wo = WorkOrder.objects.create(
            number=f"CV-TEST-{n:05d}",
            title=fields.pop("title", f"Sửa điều hòa #{n}"),
            contact=contact,
            owner=fields.pop("owner", org["care"]),
            technician=tech,
            scheduled_start=begin,
            scheduled_end=begin + dt.timedelta(minutes=minutes) if begin else None,
            **fields,
        )
        for asset in assets:
            WorkOrderAsset.objects.create(work_order=wo, asset=asset)
        return wo

    return make
