"""Fixtures for sales documents: a small catalogue, a customer and an open deal of sales1."""

from __future__ import annotations

from decimal import Decimal

import pytest


@pytest.fixture
def catalogue(org):
    from sencrm.catalog.services import product_create

    manager = org["manager"]
    return {
        "split": product_create(
            actor=manager,
            data={
                "code": "DH-12",
                "name": "Điều hòa Daikin Inverter 12.000 BTU",
                "unit": "bộ",
                "list_price": Decimal(12_500_000),
                "vat_rate": "10",
                "vat_reducible": True,
                "warranty_months": 24,
                "maintenance_months": 6,
            },
        ),
        "install": product_create(
            actor=manager,
            data={
                "code": "LD-01",
                "name": "Công lắp đặt điều hòa treo tường",
                "unit": "lần",
                "kind": "service",
                "list_price": Decimal(500_000),
                "vat_rate": "8",
            },
        ),
        "training": product_create(
            actor=manager,
            data={
                "code": "DT-01",
                "name": "Đào tạo vận hành",
                "unit": "giờ",
                "kind": "service",
                "list_price": Decimal(300_000),
                "vat_rate": "KCT",
            },
        ),
    }


@pytest.fixture
def customer(make_contact):
    return make_contact(full_name="Nguyễn Thị Ánh Tuyết", lifecycle_stage="prospect")


@pytest.fixture
def deal(org, customer):
    from sencrm.sales.services import opportunity_create

    return opportunity_create(
        actor=org["sales1"],
        data={"name": "Điều hòa cho nhà chị Tuyết", "contact": customer, "amount": Decimal(20_000_000)},
    )
