"""The documents' API: the field names integrations rely on, transitions, warnings and the gate."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone

from sencrm.commerce.models import Order, Quote
from sencrm.users.services import api_token_create


def bearer(org, username):
    _token, raw = api_token_create(user=org[username], name="script")
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


@pytest.fixture
def api(org):
    return bearer(org, "sales1")


def new_quote(api, customer, catalogue, deal=None, **extra):
    body = {
        "contact": customer.pk,
        "opportunity": deal.pk if deal else None,
        "valid_until": "2026-12-31",
        "lines": [
            {"product": catalogue["split"].pk, "quantity": "2", "section": "Thiết bị"},
            {
                "description": "Công lắp đặt",
                "quantity": "2",
                "unit_price": "500000",
                "vat_rate": "8",
                "section": "Dịch vụ",
            },
        ],
        **extra,
    }
    return api.post("/api/v1/quotes/", body, content_type="application/json")


def test_the_quote_fields_named_by_the_contract(api, customer, catalogue, deal):
    response = new_quote(api, customer, catalogue, deal)
    assert response.status_code == 201, response.json()
    body = response.json()
    for name in (
        "id",
        "number",
        "contact",
        "account",
        "opportunity",
        "status",
        "version",
        "valid_until",
        "lines",
        "subtotal",
        "discount_total",
        "vat_total",
        "total",
        "total_in_words",
    ):
        assert name in body, name
    assert body["status"] == "draft" and body["version"] == 1 and body["number"].startswith("BG-")
    line = body["lines"][0]
    for name in (
        "product",
        "description",
        "quantity",
        "unit_price",
        "discount_percent",
        "vat_rate",
        "section",
    ):
        assert name in line, name
    assert isinstance(body["total"], str) and body["total"] == str(int(body["total"]))
    assert body["total_in_words"].endswith("đồng")
    assert line["description"] == "Điều hòa Daikin Inverter 12.000 BTU"


def test_accept_answers_the_order_and_wins_the_deal(api, customer, catalogue, deal):
    quote = new_quote(api, customer, catalogue, deal).json()
    response = api.post(f"/api/v1/quotes/{quote['id']}/accept/")
    assert response.status_code == 200
    order_id = response.json()["order"]
    order = api.get(f"/api/v1/orders/{order_id}/").json()
    assert order["quote"] == quote["id"] and order["total"] == quote["total"] and order["status"] == "draft"
    deal.refresh_from_db()
    assert deal.status == "won" and str(deal.amount) == quote["total"]
    assert api.post(f"/api/v1/orders/{order_id}/confirm/").json()["status"] == "confirmed"
    line = order["lines"][0]
    delivered = api.post(
        f"/api/v1/orders/{order_id}/deliveries/",
        {"delivered_on": str(timezone.localdate()), "lines": [{"line": line["id"], "quantity": "1"}]},
        content_type="application/json",
    )
    assert delivered.status_code == 201
    assert delivered.json()["status"] == "partly_delivered"
    assert delivered.json()["lines"][0]["delivered_quantity"] == "1.000"


def test_revising_a_sent_quote_gives_version_2(api, customer, catalogue, org):
    quote = new_quote(api, customer, catalogue).json()
    sent = api.post(
        f"/api/v1/quotes/{quote['id']}/send/", {"to": "tuyet@example.vn"}, content_type="application/json"
    )
    assert sent.status_code == 200 and sent.json()["status"] == "sent"
    stale = api.patch(f"/api/v1/quotes/{quote['id']}/", {"notes": "x"}, content_type="application/json")
    assert stale.status_code == 400
    revised = api.post(f"/api/v1/quotes/{quote['id']}/revise/")
    assert revised.status_code == 201
    assert revised.json()["version"] == 2 and revised.json()["number"] == quote["number"]
    edit = api.patch(
        f"/api/v1/quotes/{revised.json()['id']}/",
        {"edit_version": revised.json()["edit_version"], "discount_percent": "10"},
        content_type="application/json",
    )
    assert edit.status_code == 200 and int(edit.json()["total"]) < int(quote["total"])


def test_an_order_above_its_contract_carries_a_warning(api, customer, catalogue):
    contract = api.post(
        "/api/v1/contracts/",
        {
            "name": "Bảo trì 2026",
            "contact": customer.pk,
            "start_date": "2026-01-01",
            "end_date": "2026-12-31",
            "lines": [{"product": catalogue["install"].pk, "quantity": "1"}],
        },
        content_type="application/json",
    ).json()
    assert contract["total"] == "540000" and contract["ordered_total"] == "0"
    assert api.post(f"/api/v1/contracts/{contract['id']}/sign/").json()["status"] == "signed"
    order = api.post(
        "/api/v1/orders/",
        {
            "contact": customer.pk,
            "contract": contract["id"],
            "lines": [{"product": catalogue["install"].pk, "quantity": "2"}],
        },
        content_type="application/json",
    ).json()
    confirmed = api.post(f"/api/v1/orders/{order['id']}/confirm/").json()
    assert [w["code"] for w in confirmed["warnings"]] == ["contract_overrun"]
    assert confirmed["warnings"][0]["message"]
    assert api.get(f"/api/v1/contracts/{contract['id']}/").json()["ordered_total"] == "1080000"


@pytest.mark.parametrize(
    "line",
    [
        {"description": "X", "quantity": "0", "unit_price": "1"},
        {"description": "X", "quantity": "-2", "unit_price": "1"},
        {"description": "X", "quantity": "1", "unit_price": "1000000000000001"},
        {"description": "X", "quantity": "1", "unit_price": "1", "vat_rate": "7"},
        {"description": "X", "quantity": "abc", "unit_price": "1"},
        {"product": 999999, "quantity": "1"},
    ],
)
def test_bad_lines_answer_400_and_save_nothing(api, customer, line):
    response = api.post(
        "/api/v1/quotes/", {"contact": customer.pk, "lines": [line]}, content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["code"] and response.json()["errors"]
    assert not Quote.objects.exists()


def test_two_hundred_lines(api, customer, catalogue):
    lines = [{"product": catalogue["install"].pk, "quantity": "1"}] * 200
    response = api.post(
        "/api/v1/quotes/", {"contact": customer.pk, "lines": lines}, content_type="application/json"
    )
    assert response.status_code == 201 and len(response.json()["lines"]) == 200


def test_other_peoples_documents_are_missing_and_links_outside_scope_refused(
    org, api, customer, catalogue, make_contact
):
    quote = new_quote(api, customer, catalogue).json()
    other = bearer(org, "sales2")
    missing = other.get("/api/v1/quotes/999999/")
    outside = other.get(f"/api/v1/quotes/{quote['id']}/")
    assert outside.status_code == missing.status_code == 404
    assert outside.json()["message"] == missing.json()["message"]
    assert other.post(f"/api/v1/quotes/{quote['id']}/accept/").status_code == 404
    assert other.get("/api/v1/quotes/").json()["results"] == []
    theirs = make_contact(owner="sales2", full_name="Huỳnh Văn Ướt")
    refused = api.post(
        "/api/v1/quotes/", {"contact": theirs.pk, "lines": []}, content_type="application/json"
    )
    assert refused.status_code == 400 and "contact" in refused.json()["errors"]
    assert bearer(org, "board").get("/api/v1/orders/").status_code == 403


def test_products_api_fields_and_rights(org, catalogue):
    response = bearer(org, "sales1").get("/api/v1/products/?search=daikin")
    assert response.status_code == 200
    product = response.json()["results"][0]
    for name in (
        "id",
        "code",
        "name",
        "unit",
        "kind",
        "list_price",
        "vat_rate",
        "vat_reducible",
        "warranty_months",
        "maintenance_months",
        "supplier",
        "active",
    ):
        assert name in product, name
    assert product["list_price"] == "12500000" and product["vat_rate"] == "10"
    refused = bearer(org, "sales1").post(
        "/api/v1/products/", {"code": "X", "name": "X"}, content_type="application/json"
    )
    assert refused.status_code == 403
    created = bearer(org, "manager").post(
        "/api/v1/products/",
        {
            "code": "bd-09",
            "name": "Bảo dưỡng",
            "unit": "lần",
            "kind": "service",
            "list_price": "250000",
            "vat_rate": "KCT",
        },
        content_type="application/json",
    )
    assert created.status_code == 201 and created.json()["code"] == "BD-09"
    bad = bearer(org, "manager").post(
        "/api/v1/products/", {"code": "BD-10", "name": "X", "vat_rate": "7"}, content_type="application/json"
    )
    assert bad.status_code == 400 and "vat_rate" in bad.json()["errors"]


def test_orders_csv_goes_through_the_export_scope(org, api, customer, catalogue):
    new_quote(api, customer, catalogue)
    assert api.get("/api/v1/quotes/?format=csv").status_code == 200
    assert bearer(org, "care").get("/api/v1/quotes/?format=csv").status_code == 403  # care reads, no export
    assert Order.objects.count() == 0
