"""The exports of the quote, order and contract lists: the list's filters over the gate's export scope,
CSV and XLSX, the export right, numbers and ISO dates, formula-safe cells, a flat number of queries."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from sencrm.commerce import services
from sencrm.commerce.models import Contract, Order, Quote
from sencrm.users.models import Grant


def csv_rows(response):
    assert response.status_code == 200, response.content[:500]
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))


def as_dicts(rows):
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


@pytest.fixture
def orders(org, customer, catalogue):
    sales1 = org["sales1"]
    draft = services.order_create(
        actor=sales1, data={"contact": customer}, lines=[{"product": catalogue["install"], "quantity": 1}]
    )
    confirmed = services.order_create(
        actor=sales1,
        data={"contact": customer, "delivery_date": dt.date(2026, 7, 1)},
        lines=[{"product": catalogue["split"], "quantity": 2}],
    )
    confirmed = services.order_confirm(confirmed, actor=sales1)
    return {"draft": draft, "confirmed": confirmed}


def test_orders_export_is_the_filtered_list_with_numbers_and_iso_dates(client_as, orders, customer):
    client = client_as("sales1")
    url = reverse("commerce:order_export")
    everything = as_dicts(csv_rows(client.get(url)))
    assert {r["Số"] for r in everything} == {orders["draft"].number, orders["confirmed"].number}
    rows = as_dicts(csv_rows(client.get(url, {"status": "confirmed", "format": "csv"})))
    assert len(rows) == 1
    row, order = rows[0], Order.objects.get(pk=orders["confirmed"].pk)
    assert row["Số"] == order.number
    assert row["Khách hàng"] == customer.full_name
    assert row["Trạng thái"] == "Đã xác nhận"
    assert row["Ngày"] == order.issue_date.isoformat()
    assert row["Ngày hẹn giao hàng"] == "2026-07-01"
    assert row["Tổng cộng"] == str(order.total) and order.total > 0  # a plain number
    assert row["Cộng tiền hàng"] == str(order.subtotal) and row["Thuế GTGT"] == str(order.vat_total)
    assert row["Người phụ trách"] == "Nguyễn Văn Nam"
    searched = as_dicts(csv_rows(client.get(url, {"q": orders["draft"].number})))
    assert [r["Số"] for r in searched] == [orders["draft"].number]


def test_quote_and_contract_exports_have_their_own_columns(client_as, org, customer, catalogue):
    sales1 = org["sales1"]
    quote = services.quote_create(
        actor=sales1,
        data={"contact": customer, "valid_until": dt.date(2026, 12, 31)},
        lines=[{"product": catalogue["split"], "quantity": 1}],
    )
    services.contract_create(
        actor=sales1,
        data={
            "contact": customer,
            "name": "Bảo trì năm 2026",
            "start_date": dt.date(2026, 1, 1),
            "end_date": dt.date(2026, 12, 31),
        },
        lines=[{"product": catalogue["install"], "quantity": 4}],
    )
    client = client_as("sales1")
    quotes = as_dicts(csv_rows(client.get(reverse("commerce:quote_export"))))
    assert quotes[0]["Số"] == quote.number and quotes[0]["Phiên bản"] == "1"
    assert quotes[0]["Hiệu lực đến"] == "2026-12-31" and quotes[0]["Trạng thái"] == "Nháp"
    contracts = as_dicts(csv_rows(client.get(reverse("commerce:contract_export"))))
    assert contracts[0]["Tên"] == "Bảo trì năm 2026"
    assert (contracts[0]["Ngày bắt đầu"], contracts[0]["Ngày kết thúc"]) == ("2026-01-01", "2026-12-31")
    response = client.get(reverse("commerce:contract_export"), {"format": "xlsx"})
    assert response["Content-Disposition"].startswith('attachment; filename="contracts-')
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True).active
    values = list(sheet.iter_rows(values_only=True))
    header = values[0]
    total = values[1][header.index("Tổng cộng")]
    assert isinstance(total, int | float) and total == Contract.objects.get().total
    assert values[1][header.index("Ngày bắt đầu")].date() == dt.date(2026, 1, 1)  # a date cell


def test_the_export_scope_not_the_view_scope(client_as, org, orders):
    # Customer care views every order; here its role may export only the orders it owns.
    Grant.objects.create(role=org["care"].role, module="commerce", action="export", scope="own")
    Order.objects.filter(pk=orders["draft"].pk).update(owner=org["care"])
    client = client_as("care")
    page = client.get(reverse("commerce:order_list"))
    assert orders["confirmed"].number in page.text and orders["draft"].number in page.text
    rows = as_dicts(csv_rows(client.get(reverse("commerce:order_export"))))
    assert [r["Số"] for r in rows] == [orders["draft"].number]


def test_the_export_needs_the_export_right_and_a_known_format(client_as, orders):
    for name in ("quote", "order", "contract"):
        url = reverse(f"commerce:{name}_export")
        assert client_as("care").get(url).status_code == 403  # reads documents, may not export them
        assert client_as("board").get(url).status_code == 403
    client = client_as("sales1")
    url = reverse("commerce:order_export")
    unknown = client.get(url, {"format": "pdf"})
    assert unknown.status_code == 400 and unknown.text == "Định dạng xuất không hợp lệ."
    bad_status = client.get(url, {"status": "sent"})  # a quote's status, not an order's
    assert bad_status.status_code == 400 and "bộ lọc không hợp lệ" in bad_status.text


def test_the_lists_offer_the_export_only_with_the_right(client_as, orders):
    page = client_as("sales1").get(reverse("commerce:order_list")).text
    assert f'href="{reverse("commerce:order_export")}?format=csv"' in page
    assert 'data-testid="export-xlsx"' in client_as("sales1").get(reverse("commerce:quote_list")).text
    assert 'data-testid="export-csv"' not in client_as("care").get(reverse("commerce:order_list")).text


def test_formulas_are_neutralised(client_as, org, make_contact, catalogue):
    evil = make_contact(full_name="@SUM(1+1)", phones=("0912 000 777",))
    services.contract_create(
        actor=org["sales1"],
        data={"contact": evil, "name": '=HYPERLINK("http://evil")', "start_date": dt.date(2026, 1, 1)},
    )
    rows = as_dicts(csv_rows(client_as("sales1").get(reverse("commerce:contract_export"))))
    assert rows[0]["Tên"] == '\'=HYPERLINK("http://evil")' and rows[0]["Khách hàng"] == "'@SUM(1+1)"


def test_export_query_count_is_flat(client_as, org, customer, catalogue, django_assert_max_num_queries):
    for _i in range(30):
        services.quote_create(
            actor=org["sales1"],
            data={"contact": customer},
            lines=[{"product": catalogue["install"], "quantity": 1}],
        )
    client = client_as("sales1")
    client.get(reverse("commerce:quote_list"))  # the session and the user's grants, once
    with django_assert_max_num_queries(10):
        rows = csv_rows(client.get(reverse("commerce:quote_export")))
    assert len(rows) == 31 and Quote.objects.count() == 30
