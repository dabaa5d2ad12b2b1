"""`/api/v1/promotions/` and `promotion_code` on quotes and orders: the field names integrations rely on,
bad input answered with a 400 on the field (never a 500), and the access gate."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import translation
from django.utils.translation import gettext

from sencrm.promotions.models import Promotion
from sencrm.users.services import api_token_create

FIELDS = (
    "id",
    "code",
    "name",
    "kind",
    "value",
    "valid_from",
    "valid_until",
    "usage_limit",
    "per_customer_limit",
    "uses",
)


def vi(message: str) -> str:
    """A message as the API answers it: in the site's language (Vietnamese), whatever the catalogue holds."""
    with translation.override("vi"):
        return gettext(message)


def bearer(org, username):
    _token, raw = api_token_create(user=org[username], name="script")
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


def post(client, url, body):
    return client.post(url, body, content_type="application/json")


def patch(client, url, body):
    return client.patch(url, body, content_type="application/json")


@pytest.fixture
def body(products, today):
    return {
        "code": "he2026",
        "name": "Khuyến mãi hè 2026",
        "kind": "percent",
        "value": "10",
        "products": [products["split"].pk],
        "valid_from": (today - dt.timedelta(days=1)).isoformat(),
        "valid_until": (today + dt.timedelta(days=30)).isoformat(),
        "usage_limit": 100,
        "per_customer_limit": 2,
        "min_order": "5000000",
    }


def test_a_promotion_has_the_fields_named_by_the_contract(org, body, new_order):
    api = bearer(org, "marketing")
    response = post(api, "/api/v1/promotions/", body)
    assert response.status_code == 201, response.json()
    created = response.json()
    assert set(FIELDS) <= set(created)
    assert (created["code"], created["kind"], created["value"], created["uses"]) == (
        "HE2026",
        "percent",
        "10.00",
        0,
    )
    assert (created["usage_limit"], created["per_customer_limit"]) == (100, 2)
    new_order("HE2026")
    listed = api.get("/api/v1/promotions/").json()["results"]
    assert [(p["code"], p["uses"], p["discount_given"]) for p in listed] == [("HE2026", 1, "2500000")]
    results = api.get(f"/api/v1/promotions/{created['id']}/results/").json()
    assert results["uses"] == 1 and results["new_customers"] == 1 and results["discount_given"] == "2500000"


def test_filters_find_a_code_in_any_case_and_what_runs_on_a_day(org, promo, today):
    promo("HE2026")
    promo("TET2027", valid_from=today + dt.timedelta(days=40), valid_until=today + dt.timedelta(days=50))
    api = bearer(org, "sales1")
    assert [p["code"] for p in api.get("/api/v1/promotions/?code=he2026").json()["results"]] == ["HE2026"]
    running = api.get(f"/api/v1/promotions/?valid_on={today.isoformat()}").json()["results"]
    assert [p["code"] for p in running] == ["HE2026"]
    assert api.get("/api/v1/promotions/?ordering=name;DROP").status_code == 400


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"value": "150"}, "value"),
        ({"value": "-10"}, "value"),
        ({"value": "1" + "0" * 30}, "value"),
        ({"value": "abc"}, "value"),
        ({"kind": "amount", "value": "12.5"}, "value"),
        ({"kind": "free"}, "kind"),
        ({"valid_until": "2020-01-01"}, "valid_until"),
        ({"valid_from": "not a date"}, "valid_from"),
        ({"usage_limit": 0}, "usage_limit"),
        ({"usage_limit": 10**12}, "usage_limit"),
        ({"per_customer_limit": -1}, "per_customer_limit"),
        ({"min_order": "-1"}, "min_order"),
        ({"min_order": "1" + "0" * 20}, "min_order"),
        ({"products": [99_999_999]}, "products"),
        ({"products": "x"}, "products"),
        ({"categories": [99_999_999]}, "categories"),
        ({"customer_groups": [99_999_999]}, "customer_groups"),
        ({"gift_product": 99_999_999}, "gift_product"),
        ({"kind": "gift", "value": "0"}, "gift_product"),
        ({"code": "HÈ 2026 !!"}, "code"),
        ({"code": "X" * 61}, "code"),
        ({"name": ""}, "name"),
    ],
)
def test_bad_input_is_a_400_on_the_field(org, body, change, field):
    response = post(bearer(org, "marketing"), "/api/v1/promotions/", {**body, **change})
    assert response.status_code == 400, response.content
    assert field in response.json()["errors"], response.json()
    assert not Promotion.all_objects.exists()


def test_a_duplicate_code_is_a_400(org, body):
    api = bearer(org, "marketing")
    assert post(api, "/api/v1/promotions/", body).status_code == 201
    response = post(api, "/api/v1/promotions/", {**body, "code": "HE2026"})
    assert response.status_code == 400
    assert response.json()["errors"]["code"] == [vi("Another promotion already uses this code.")]


def test_privileged_fields_cannot_be_set(org, body):
    response = post(
        bearer(org, "marketing"), "/api/v1/promotions/", {**body, "uses": 99, "team": 1, "version": 7}
    )
    assert response.status_code == 201
    created = response.json()
    assert created["uses"] == 0 and created["team"] is None and created["version"] == 1


def test_sales_read_promotions_and_may_not_write_them(org, body, promo):
    promotion = promo("HE2026")
    sales = bearer(org, "sales1")
    assert sales.get(f"/api/v1/promotions/{promotion.pk}/").status_code == 200
    assert post(sales, "/api/v1/promotions/", body).status_code == 403
    assert patch(sales, f"/api/v1/promotions/{promotion.pk}/", {"name": "x"}).status_code == 403
    assert sales.delete(f"/api/v1/promotions/{promotion.pk}/").status_code == 403
    assert Promotion.objects.get(pk=promotion.pk).name == promotion.name


def test_a_role_without_marketing_gets_403_and_one_outside_the_scope_404(org, promo):
    promotion = promo("HE2026")
    assert bearer(org, "care").get("/api/v1/promotions/").status_code == 403
    manager = bearer(org, "manager")  # marketing rights over their team; marketing's user is in none
    assert manager.get(f"/api/v1/promotions/{promotion.pk}/").status_code == 404
    assert manager.get("/api/v1/promotions/").json()["results"] == []
    assert patch(manager, f"/api/v1/promotions/{promotion.pk}/", {"name": "x"}).status_code == 404


def test_a_campaign_outside_the_scope_looks_like_one_that_does_not_exist(org, body):
    from sencrm.marketing.services import campaign_create

    campaign = campaign_create(
        actor=org["marketing"], data={"name": "Hè", "channel": "zalo", "start_date": dt.date(2026, 6, 1)}
    )
    manager = bearer(org, "manager")
    hidden = post(manager, "/api/v1/promotions/", {**body, "campaign": campaign.pk})
    missing = post(manager, "/api/v1/promotions/", {**body, "campaign": 99_999_999})
    assert hidden.status_code == missing.status_code == 400
    assert hidden.json()["errors"]["campaign"] == [
        m.replace("99999999", str(campaign.pk)) for m in missing.json()["errors"]["campaign"]
    ]
    mine = post(bearer(org, "marketing"), "/api/v1/promotions/", {**body, "campaign": campaign.pk})
    assert mine.status_code == 201 and mine.json()["campaign"] == campaign.pk


def test_an_update_sends_its_version_and_a_stale_one_is_a_409(org, promo):
    promotion = promo("HE2026")
    api = bearer(org, "marketing")
    url = f"/api/v1/promotions/{promotion.pk}/"
    assert patch(api, url, {"name": "Hè rực rỡ", "version": 1}).status_code == 200
    assert patch(api, url, {"name": "Hè sôi động", "version": 1}).status_code == 409


# --- quotes and orders ----------------------------------------------------------------------------


def order_body(customer, products, **extra):
    return {
        "contact": customer.pk,
        "lines": [
            {"product": products["split"].pk, "quantity": "2"},
            {"product": products["install"].pk, "quantity": "2"},
        ],
        **extra,
    }


@pytest.mark.parametrize("path", ["/api/v1/quotes/", "/api/v1/orders/"])
def test_quotes_and_orders_accept_a_promotion_code(org, promo, customer, products, path):
    promo("HE2026", "percent", 10)
    response = post(bearer(org, "sales1"), path, order_body(customer, products, promotion_code="he2026"))
    assert response.status_code == 201, response.json()
    document = response.json()
    assert (document["promotion_code"], document["promotion_name"], document["promotion_discount"]) == (
        "HE2026",
        "Khuyến mãi HE2026",
        "2600000",
    )
    assert [line["promotion_discount"] for line in document["lines"]] == ["2500000", "100000"]
    assert document["discount_total"] == "2600000"


@pytest.mark.parametrize("path", ["/api/v1/quotes/", "/api/v1/orders/"])
def test_a_code_that_does_not_apply_is_a_400_with_the_reason(org, promo, customer, products, today, path):
    promo("CU", valid_from=today - dt.timedelta(days=9), valid_until=today - dt.timedelta(days=1))
    promo("NHO", products=[products["small"]])
    api = bearer(org, "sales1")
    expired = post(api, path, order_body(customer, products, promotion_code="CU"))
    assert expired.status_code == 400
    assert expired.json()["errors"] == {"promotion_code": [vi("The promotion code has expired.")]}
    other = post(api, path, order_body(customer, products, promotion_code="NHO"))
    assert other.json()["errors"] == {
        "promotion_code": [vi("The promotion does not apply to these products.")]
    }
    unknown = post(api, path, order_body(customer, products, promotion_code="X" * 200))
    assert unknown.status_code == 400 and "promotion_code" in unknown.json()["errors"]


def test_a_gift_line_sent_back_is_not_doubled(org, promo, customer, products):
    promo("QUA", "gift", gift_product=products["clean"])
    api = bearer(org, "sales1")
    order = post(api, "/api/v1/orders/", order_body(customer, products, promotion_code="QUA")).json()
    gifts = [line for line in order["lines"] if line["promotion_gift"]]
    assert [(g["description"], g["unit_price"], g["amount"]) for g in gifts] == [
        ("Vệ sinh điều hòa", "0", "0")
    ]
    lines = [
        {k: v for k, v in line.items() if k not in ("id", "amount", "vat_amount")} for line in order["lines"]
    ]
    changed = patch(api, f"/api/v1/orders/{order['id']}/", {"lines": lines, "version": order["version"]})
    assert changed.status_code == 200, changed.json()
    assert sum(1 for line in changed.json()["lines"] if line["promotion_gift"]) == 1
    assert len(changed.json()["lines"]) == 3


def test_a_code_removed_through_the_api_gives_the_discount_back(org, promo, customer, products):
    promo("HE2026", "amount", 1_000_000)
    api = bearer(org, "sales1")
    order = post(api, "/api/v1/orders/", order_body(customer, products, promotion_code="HE2026")).json()
    changed = patch(
        api, f"/api/v1/orders/{order['id']}/", {"promotion_code": "", "version": order["version"]}
    )
    assert changed.status_code == 200
    assert Decimal(changed.json()["total"]) > Decimal(order["total"])
    assert changed.json()["promotion_discount"] == "0"
