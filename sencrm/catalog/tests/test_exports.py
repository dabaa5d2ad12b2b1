"""The product list's export: the list's filters over the gate's export scope, CSV and XLSX, the export
right, formula-safe cells, a flat number of queries."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from sencrm.catalog import services
from sencrm.catalog.models import Product
from sencrm.customers import services as customer_services
from sencrm.users.models import Grant

URL = reverse("catalog:product_export")


def csv_rows(response):
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))


def make(actor, code, name, **data):
    return services.product_create(actor=actor, data={"code": code, "name": name, **data})


@pytest.fixture
def products(org):
    manager = org["manager"]
    category = services.category_ensure_path(actor=manager, path="Điều hòa > Treo tường")
    supplier = customer_services.account_create(  # an account sales1 may open
        actor=org["sales1"], data={"name": "Công ty Daikin Việt Nam", "is_supplier": True}
    )
    return {
        "split": make(
            manager,
            "DH-12",
            "Điều hòa Daikin 12.000 BTU",
            category=category,
            unit="bộ",
            list_price=Decimal(12_500_000),
            vat_reducible=True,
            warranty_months=24,
            maintenance_months=6,
            supplier=supplier,
        ),
        "install": make(
            manager, "LD-01", "Công lắp đặt", kind="service", list_price=Decimal(500_000), vat_rate="8"
        ),
        "old": make(manager, "DH-OLD", "Điều hòa đời cũ", active=False),
    }


def test_the_export_is_the_filtered_list_with_numbers_and_readable_cells(client_as, products):
    client = client_as("sales1")  # sales may view and export the whole catalogue
    rows = csv_rows(client.get(URL, {"format": "csv"}))
    header, body = rows[0], rows[1:]
    assert header[:3] == ["Mã", "Tên", "Danh mục"]
    assert [r[0] for r in body] == ["DH-12", "LD-01"]  # active only, like the list without a filter
    split = dict(zip(header, body[0], strict=True))
    assert split["Danh mục"] == "Điều hòa › Treo tường"
    assert split["Giá niêm yết"] == "12500000"  # a number, not "12.500.000 ₫"
    assert split["Được giảm thuế GTGT"] == "Có"
    assert split["Bảo hành (tháng)"] == "24" and split["Chu kỳ bảo trì (tháng)"] == "6"
    assert split["Nhà cung cấp"] == "Công ty Daikin Việt Nam"
    assert split["Loại"] == "Hàng hóa" and split["Thuế suất GTGT"] == "10%"
    services_only = csv_rows(client.get(URL, {"kind": "service", "format": "csv"}))
    assert [r[0] for r in services_only[1:]] == ["LD-01"]
    inactive = csv_rows(client.get(URL, {"active": "0"}))
    assert [r[0] for r in inactive[1:]] == ["DH-OLD"]
    searched = csv_rows(client.get(URL, {"q": "daikin", "active": ""}))
    assert [r[0] for r in searched[1:]] == ["DH-12"]


def test_xlsx_export_keeps_amounts_as_numbers(client_as, products):
    response = client_as("sales1").get(URL, {"format": "xlsx"})
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="products-')
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True).active
    values = list(sheet.iter_rows(values_only=True))
    assert values[1][0] == "DH-12" and values[1][5] == 12_500_000


def test_the_export_scope_not_the_view_scope(client_as, org, products):
    # Marketing views the whole catalogue; here its role may export only the products it owns.
    Grant.objects.create(role=org["marketing"].role, module="catalog", action="export", scope="own")
    Product.objects.filter(pk=products["install"].pk).update(owner=org["marketing"])
    client = client_as("marketing")
    assert "DH-12" in client.get(reverse("catalog:product_list")).text  # the view scope: everything
    rows = csv_rows(client.get(URL))
    assert [r[0] for r in rows[1:]] == ["LD-01"]


def test_the_export_needs_the_export_right_and_a_known_format(client_as, products):
    assert client_as("care").get(URL).status_code == 403  # views the catalogue, may not export it
    assert client_as("board").get(URL).status_code == 403
    client = client_as("sales1")
    unknown = client.get(URL, {"format": "pdf"})
    assert unknown.status_code == 400 and unknown.text == "Định dạng xuất không hợp lệ."
    bad_filter = client.get(URL, {"kind": "spaceship"})
    assert bad_filter.status_code == 400 and "bộ lọc không hợp lệ" in bad_filter.text


def test_the_list_offers_the_export_only_with_the_right(client_as, products):
    assert 'data-testid="export-csv"' in client_as("sales1").get(reverse("catalog:product_list")).text
    assert 'data-testid="export-xlsx"' in client_as("manager").get(reverse("catalog:product_list")).text
    assert 'data-testid="export-csv"' not in client_as("care").get(reverse("catalog:product_list")).text


def test_formulas_are_neutralised(client_as, org):
    make(org["manager"], "F-01", '=HYPERLINK("http://evil")', unit="+1", description="@SUM(1+1)")
    rows = csv_rows(client_as("sales1").get(URL))
    row = rows[1]
    assert row[1] == '\'=HYPERLINK("http://evil")' and row[3] == "'+1" and row[12] == "'@SUM(1+1)"


def test_a_supplier_the_reader_may_not_open_is_not_named(client_as, org):
    hidden = customer_services.account_create(
        actor=org["sales2"], data={"name": "Nhà cung cấp bí mật", "is_supplier": True}
    )
    make(org["admin"], "NCC-01", "Hàng của nhà cung cấp khác", supplier=hidden)
    rows = csv_rows(client_as("sales1").get(URL))
    assert "Nhà cung cấp bí mật" not in rows[1]


def test_export_query_count_is_flat(client_as, org, django_assert_max_num_queries):
    manager = org["manager"]
    supplier = customer_services.account_create(actor=manager, data={"name": "NCC", "is_supplier": True})
    parent = services.category_ensure_path(actor=manager, path="A > B > C")
    for i in range(40):
        make(manager, f"SP-{i:03d}", f"Sản phẩm {i}", category=parent, supplier=supplier)
    client = client_as("sales1")
    client.get(reverse("catalog:product_list"))  # the session and the user's grants, once
    with django_assert_max_num_queries(10):
        rows = csv_rows(client.get(URL))
    assert len(rows) == 41 and rows[1][2] == "A › B › C"
