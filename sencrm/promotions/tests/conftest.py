"""Fixtures for promotions: a catalogue in two categories, two customers (one in a group), helpers that
make promotions and orders through the services."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone


@pytest.fixture(autouse=True)
def _english(request):
    """These tests read messages in English (the services' source text), for pages too (the users'
    language); the catalogue's Vietnamese is checked by core's translation test."""
    from django.utils import translation

    if "db" in request.fixturenames or request.node.get_closest_marker("django_db"):
        request.getfixturevalue("org")
        from sencrm.users.models import User

        User.objects.update(language="en")
    with translation.override("en"):
        yield


@pytest.fixture
def today():
    return timezone.localdate()


@pytest.fixture
def products(org):
    from sencrm.catalog.services import category_ensure_path, product_create

    manager = org["manager"]
    wall = category_ensure_path(actor=manager, path="Điều hòa › Treo tường")
    service = category_ensure_path(actor=manager, path="Dịch vụ")

    def make(code, name, price, category, vat="10", kind="goods"):
        return product_create(
            actor=manager,
            data={
                "code": code,
                "name": name,
                "unit": "bộ",
                "kind": kind,
                "list_price": Decimal(price),
                "vat_rate": vat,
                "category": category,
            },
        )

    return {
        "split": make("DK-12", "Điều hòa Daikin Inverter 12.000 BTU", 12_500_000, wall),
        "small": make("DK-09", "Điều hòa Daikin Inverter 9.000 BTU", 9_000_000, wall),
        "install": make(
            "LD-01", "Công lắp đặt điều hòa treo tường", 500_000, service, vat="8", kind="service"
        ),
        "clean": make("BD-01", "Vệ sinh điều hòa", 250_000, service, vat="8", kind="service"),
    }


@pytest.fixture
def group(db):
    from sencrm.customers.models import CustomerGroup

    return CustomerGroup.objects.get_or_create(name="Khách VIP")[0]


@pytest.fixture
def customer(make_contact):
    return make_contact(full_name="Nguyễn Thị Ánh Tuyết", phones=("0912 345 678",))


@pytest.fixture
def vip(make_contact, group):
    return make_contact(full_name="Trần Văn Bình", phones=("0903 123 456",), customer_group=group)


@pytest.fixture
def promo(org, today):
    """make(code=..., kind=..., value=..., **fields): a promotion made by the marketing user."""
    from sencrm.promotions.services import promotion_create

    def make(code="HE2026", kind="percent", value=10, **fields):
        data = {
            "code": code,
            "name": fields.pop("name", f"Khuyến mãi {code or 'tự động'}"),
            "kind": kind,
            "value": Decimal(value),
            "valid_from": today - dt.timedelta(days=10),
            "valid_until": today + dt.timedelta(days=10),
            **fields,
        }
        return promotion_create(actor=org["marketing"], data=data)

    return make


@pytest.fixture
def lines(products):
    """Two units and their installation: 2 × 12.500.000 (10 %) + 2 × 500.000 (8 %)."""
    return [
        {"product": products["split"], "quantity": 2},
        {"product": products["install"], "quantity": 2},
    ]


@pytest.fixture
def new_order(org, customer, lines):
    from sencrm.commerce.services import order_create

    def make(code="", *, who="sales1", contact=None, with_lines=None, **data):
        return order_create(
            actor=org[who],
            data={"contact": contact or customer, "promotion_code": code, **data},
            lines=with_lines if with_lines is not None else lines,
        )

    return make


@pytest.fixture
def new_quote(org, customer, lines):
    from sencrm.commerce.services import quote_create

    def make(code="", *, who="sales1", contact=None, with_lines=None, **data):
        return quote_create(
            actor=org[who],
            data={"contact": contact or customer, "promotion_code": code, **data},
            lines=with_lines if with_lines is not None else lines,
        )

    return make
