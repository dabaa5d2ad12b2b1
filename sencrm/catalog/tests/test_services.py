"""The catalogue's writes and the price a customer gets: through the spine and the gate."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from sencrm.catalog import services
from sencrm.catalog.models import PriceList, Product
from sencrm.catalog.selectors import price_for, product_search_filter
from sencrm.customers.models import CustomerGroup
from sencrm.events.models import Event


@pytest.fixture
def split_ac(org):
    return services.product_create(
        actor=org["manager"],
        data={
            "code": "dh-ptt-12",
            "name": "Điều hòa Daikin Inverter 12.000 BTU",
            "unit": "bộ",
            "list_price": Decimal(12_500_000),
            "vat_rate": "10",
            "vat_reducible": True,
            "warranty_months": 24,
            "maintenance_months": 6,
        },
    )


def test_a_product_is_created_through_the_spine_with_its_search_key(org, split_ac):
    assert split_ac.code == "DH-PTT-12"  # codes are kept upper-case: "dh-ptt-12" and "DH-PTT-12" are one
    assert split_ac.search_key == "dh-ptt-12 dieu hoa daikin inverter 12.000 btu"
    event = Event.objects.get(type="product.created", subject_id=split_ac.pk)
    assert event.actor == org["manager"] and event.data["record"]["list_price"] == "12500000"
    found = product_search_filter(Product.objects.all(), "điều hòa 12.000")
    assert list(found) == [split_ac]
    assert not product_search_filter(Product.objects.all(), "tủ lạnh").exists()


def test_codes_are_unique_whatever_the_case(org, split_ac):
    with pytest.raises(ValidationError) as error:
        services.product_create(actor=org["manager"], data={"code": "DH-ptt-12", "name": "Khác"})
    assert "code" in error.value.message_dict


def test_update_rederives_the_search_key_and_records_the_change(org, split_ac):
    updated = services.product_update(
        split_ac, actor=org["manager"], changes={"name": "Điều hòa Daikin 1 chiều"}, version=1
    )
    assert updated.search_key == "dh-ptt-12 dieu hoa daikin 1 chieu"
    event = Event.objects.get(type="product.updated", subject_id=split_ac.pk)
    assert event.data["changes"]["name"] == ["Điều hòa Daikin Inverter 12.000 BTU", "Điều hòa Daikin 1 chiều"]


def test_sales_read_the_catalogue_but_do_not_write_it(org, split_ac):
    from sencrm.core import access
    from sencrm.core.modules import Action

    assert access.scope(org["sales1"], Product, Action.VIEW).filter(pk=split_ac.pk).exists()
    assert access.scope(org["care"], Product, Action.VIEW).filter(pk=split_ac.pk).exists()
    assert not access.scope(org["board"], Product, Action.VIEW).exists()
    with pytest.raises(PermissionDenied):
        services.product_create(actor=org["sales1"], data={"code": "X1", "name": "X"})
    with pytest.raises(PermissionDenied):
        services.product_update(split_ac, actor=org["sales1"], changes={"name": "X"}, version=1)


def test_the_supplier_must_be_an_account_marked_as_supplier(org, make_contact):
    from sencrm.customers.services import account_create

    plain = account_create(actor=org["manager"], data={"name": "Công ty TNHH Điện lạnh Hòa Bình"})
    with pytest.raises(ValidationError) as error:
        services.product_create(
            actor=org["manager"], data={"code": "ML-1", "name": "Máy lọc", "supplier": plain}
        )
    assert "supplier" in error.value.message_dict
    supplier = account_create(actor=org["manager"], data={"name": "Daikin Việt Nam", "is_supplier": True})
    product = services.product_create(
        actor=org["manager"], data={"code": "ML-2", "name": "Máy lọc", "supplier": supplier}
    )
    assert product.supplier == supplier


@pytest.mark.parametrize("price", [Decimal(-1), Decimal(10) ** 15 + 1])
def test_a_price_outside_the_range_is_refused(org, price):
    with pytest.raises(ValidationError) as error:
        services.product_create(actor=org["manager"], data={"code": "P1", "name": "P", "list_price": price})
    assert "list_price" in error.value.message_dict
    assert not Product.objects.exists()


@pytest.mark.parametrize(
    ("typed", "price"),
    [("12.500.000", 12_500_000), ("12500000", 12_500_000), ("12,500,000 ₫", 12_500_000), (" 0 ", 0)],
)
def test_clean_price_reads_vietnamese_and_plain_amounts(typed, price):
    assert services.clean_price(typed) == Decimal(price)


@pytest.mark.parametrize("typed", ["abc", "-5", "1.5", "1e20", "NaN", "Infinity", ""])
def test_clean_price_refuses_what_is_not_a_price(typed):
    with pytest.raises(ValidationError):
        services.clean_price(typed)


def test_the_best_price_that_applies_on_the_documents_date(org, split_ac, make_contact):
    projects = CustomerGroup.objects.create(name="Khách hàng dự án")
    dealers = CustomerGroup.objects.create(name="Đại lý")
    project_list = services.price_list_create(
        actor=org["manager"],
        data={
            "name": "Giá dự án 2026",
            "customer_group": projects,
            "valid_from": date(2026, 1, 1),
            "valid_until": date(2026, 12, 31),
        },
        items={split_ac: Decimal(11_000_000)},
    )
    services.price_list_create(
        actor=org["manager"],
        data={"name": "Giá đại lý", "customer_group": dealers, "valid_from": date(2026, 1, 1)},
        items={split_ac: Decimal(10_000_000)},
    )
    services.price_list_create(
        actor=org["manager"],
        data={"name": "Khuyến mãi tháng 6", "valid_from": date(2026, 6, 1), "valid_until": date(2026, 6, 30)},
        items={split_ac: Decimal(11_500_000)},
    )
    project_customer = make_contact(full_name="Trần Văn Hùng", customer_group=projects)
    walk_in = make_contact(full_name="Lê Thị Hoa")
    assert price_for(split_ac, customer=project_customer, on=date(2026, 3, 1)) == 11_000_000
    assert price_for(split_ac, customer=walk_in, on=date(2026, 3, 1)) == 12_500_000
    assert price_for(split_ac, customer=walk_in, on=date(2026, 6, 15)) == 11_500_000
    assert price_for(split_ac, customer=None, on=date(2026, 6, 30)) == 11_500_000
    assert price_for(split_ac, customer=project_customer, on=date(2027, 1, 1)) == 12_500_000  # list expired
    # An inactive or deleted price list no longer applies.
    services.price_list_update(project_list, actor=org["manager"], changes={"active": False}, version=1)
    assert price_for(split_ac, customer=project_customer, on=date(2026, 3, 1)) == 12_500_000


def test_price_list_items_are_recorded_in_the_event(org, split_ac):
    price_list = services.price_list_create(
        actor=org["manager"], data={"name": "Giá 2026", "valid_from": date(2026, 1, 1)}, items={}
    )
    services.price_list_update(
        price_list, actor=org["manager"], changes={}, version=1, items={split_ac: Decimal(12_000_000)}
    )
    event = Event.objects.get(type="pricelist.updated", subject_id=price_list.pk)
    assert event.data["changes"]["items"] == [{}, {"DH-PTT-12": "12000000"}]
    assert PriceList.objects.get().items.get().price == 12_000_000


def test_a_period_that_ends_before_it_starts_is_refused(org):
    with pytest.raises(ValidationError):
        services.price_list_create(
            actor=org["manager"],
            data={"name": "Sai", "valid_from": date(2026, 5, 1), "valid_until": date(2026, 4, 1)},
        )


def test_categories_form_a_tree_created_from_a_path(org):
    leaf = services.category_ensure_path(actor=org["manager"], path="Điều hòa > Treo tường")
    assert leaf is not None and leaf.path == "Điều hòa › Treo tường"
    again = services.category_ensure_path(actor=org["manager"], path="điều hòa › treo tường")
    assert again == leaf
    assert Event.objects.filter(type="category.created").count() == 2
