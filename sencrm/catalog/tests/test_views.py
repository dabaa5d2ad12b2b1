"""The catalogue's pages: who sees and edits what, forms that save through the services, bad input."""

from __future__ import annotations

from decimal import Decimal

import pytest

from sencrm.catalog import services
from sencrm.catalog.models import PriceList, Product


@pytest.fixture
def product(org):
    return services.product_create(
        actor=org["manager"],
        data={
            "code": "DH-09",
            "name": "Điều hòa Panasonic 9.000 BTU",
            "unit": "bộ",
            "list_price": Decimal(8_900_000),
            "warranty_months": 12,
        },
    )


def test_sales_browse_the_catalogue_without_editing_it(client_as, product):
    client = client_as("sales1")
    page = client.get("/products/")
    assert page.status_code == 200
    assert "Điều hòa Panasonic 9.000 BTU" in page.text and "8.900.000 ₫" in page.text
    assert client.get("/products/?q=panasonic").status_code == 200
    assert client.get(f"/products/{product.pk}/").status_code == 200
    assert client.get("/products/new/").status_code == 403
    assert client.get(f"/products/{product.pk}/edit/").status_code == 403
    assert client.get("/products/").text.count('data-testid="new-product"') == 0


def test_the_board_does_not_see_the_catalogue(client_as, product):
    client = client_as("board")
    assert client.get("/products/").status_code == 403
    assert client.get(f"/products/{product.pk}/").status_code == 404


def test_a_manager_creates_a_product_typed_the_vietnamese_way(client_as, org):
    client = client_as("manager")
    response = client.post(
        "/products/new/",
        {
            "code": "ml-01",
            "name": "Máy lọc không khí Sharp",
            "unit": "cái",
            "kind": "goods",
            "list_price": "4.590.000",
            "vat_rate": "10",
            "warranty_months": "12",
            "maintenance_months": "0",
            "active": "on",
        },
    )
    assert response.status_code == 302
    product = Product.objects.get(code="ML-01")
    assert product.list_price == 4_590_000 and product.owner == org["manager"]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("list_price", "-5"),
        ("list_price", "abc"),
        ("vat_rate", "12"),
        ("code", ""),
        ("warranty_months", "9999"),
    ],
)
def test_bad_input_answers_400_in_vietnamese_and_saves_nothing(client_as, field, value):
    data = {
        "code": "X-1",
        "name": "Thử",
        "unit": "cái",
        "kind": "goods",
        "list_price": "1000",
        "vat_rate": "10",
        "warranty_months": "0",
        "maintenance_months": "0",
        field: value,
    }
    response = client_as("manager").post("/products/new/", data)
    assert response.status_code == 400
    assert not Product.objects.exists()


def test_a_duplicate_code_is_a_form_error(client_as, product):
    data = {
        "code": "dh-09",
        "name": "Trùng",
        "unit": "cái",
        "kind": "goods",
        "list_price": "1",
        "vat_rate": "10",
        "warranty_months": "0",
        "maintenance_months": "0",
    }
    response = client_as("manager").post("/products/new/", data)
    assert response.status_code == 400 and "DH-09" in response.text


def test_a_price_list_with_its_prices(client_as, product):
    client = client_as("manager")
    response = client.post(
        "/price-lists/new/",
        {
            "name": "Giá dự án",
            "valid_from": "01/01/2026",
            "active": "on",
            "items-TOTAL_FORMS": "2",
            "items-INITIAL_FORMS": "0",
            "items-MIN_NUM_FORMS": "0",
            "items-MAX_NUM_FORMS": "2000",
            "items-0-product": str(product.pk),
            "items-0-price": "8.500.000",
            "items-1-product": "",
            "items-1-price": "",
        },
    )
    assert response.status_code == 302, response.content
    price_list = PriceList.objects.get()
    assert price_list.items.get().price == 8_500_000
    page = client.get(price_list.get_absolute_url())
    assert "8.500.000 ₫" in page.text
    # The same product twice is refused.
    twice = client.post(
        f"/price-lists/{price_list.pk}/edit/",
        {
            "name": "Giá dự án",
            "valid_from": "01/01/2026",
            "active": "on",
            "version": "1",
            "items-TOTAL_FORMS": "2",
            "items-INITIAL_FORMS": "0",
            "items-MIN_NUM_FORMS": "0",
            "items-MAX_NUM_FORMS": "2000",
            "items-0-product": str(product.pk),
            "items-0-price": "1",
            "items-1-product": str(product.pk),
            "items-1-price": "2",
        },
    )
    assert twice.status_code == 400


def test_products_are_found_by_the_global_search(client_as, product):
    response = client_as("sales1").get("/search/?q=panasonic")
    assert response.status_code == 200 and "DH-09" in response.text
