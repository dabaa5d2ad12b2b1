"""The promotion pages (list with results, page, form), the code on the quote and order forms, the saving
on the document's page and in its PDF, the Marketing menu entry."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.urls import reverse

from sencrm.commerce.models import Order
from sencrm.promotions.models import Promotion

XSS = '"><img src=x onerror=alert(1)>'


def test_the_list_shows_each_promotions_results(client_as, promo, new_order, django_assert_max_num_queries):
    promo("HE2026", "percent", 10, usage_limit=50)
    promo("", "amount", 100_000, name="Giảm 100 nghìn", min_order=Decimal(10**9))
    for _ in range(3):
        new_order("HE2026")
    client = client_as("marketing")
    with django_assert_max_num_queries(20):
        response = client.get(reverse("promotions:promotion_list"))
    html = response.content.decode()
    assert response.status_code == 200
    assert html.count('data-testid="promotion-row"') == 2
    assert 'data-testid="uses">3<span class="text-muted">/50</span>' in html
    assert "7,800,000" in html or "7.800.000" in html  # the discount given
    assert 'data-testid="new-customers">1<' in html
    assert 'data-testid="new-promotion"' in html


def test_the_list_filters_and_a_bad_filter_is_a_400(client_as, promo):
    promo("HE2026")
    promo("", "amount", 100_000, name="Tự động")
    client = client_as("sales1")
    automatic = client.get(reverse("promotions:promotion_list"), {"state": "automatic"}).content.decode()
    assert "Tự động" in automatic and "HE2026" not in automatic
    assert client.get(reverse("promotions:promotion_list"), {"kind": "bogus"}).status_code == 400
    assert client.get(reverse("promotions:promotion_list"), {"cursor": "forged"}).status_code == 400
    assert 'data-testid="new-promotion"' not in automatic  # sales read, marketing writes


def test_the_page_shows_results_uses_and_the_campaigns_attribution(org, client_as, promo, new_order):
    from sencrm.marketing.services import campaign_create

    campaign = campaign_create(
        actor=org["marketing"],
        data={"name": "Hè 2026", "channel": "facebook_ads", "start_date": dt.date(2026, 6, 1)},
    )
    promotion = promo("HE2026", "percent", 10, campaign=campaign)
    order = new_order("HE2026")
    html = client_as("marketing").get(promotion.get_absolute_url()).content.decode()
    assert 'data-testid="uses">1<' in html
    assert reverse("marketing:attribution") + "?by=campaign" in html
    assert campaign.get_absolute_url() in html
    assert order.number not in html  # marketing reads no orders: the figures, not the documents
    assert order.number in client_as("sales1").get(promotion.get_absolute_url()).content.decode()
    # Another sales user sees the figures, not the order they may not open.
    other = client_as("sales2").get(promotion.get_absolute_url()).content.decode()
    assert order.number not in other and 'data-testid="uses">1<' in other
    assert 'data-testid="attribution"' not in other  # no reports right


def test_a_page_outside_the_scope_is_a_404_and_care_gets_a_403(client_as, promo):
    promotion = promo("HE2026")
    assert client_as("manager").get(promotion.get_absolute_url()).status_code == 404
    assert client_as("care").get(reverse("promotions:promotion_list")).status_code == 403


def test_the_form_creates_a_promotion(client_as, products, org):
    client = client_as("marketing")
    assert client.get(reverse("promotions:promotion_create")).status_code == 200
    response = client.post(
        reverse("promotions:promotion_create"),
        {
            "code": "he2026",
            "name": "Khuyến mãi hè 2026",
            "kind": "percent",
            "value": "10",
            "products": [products["split"].pk],
            "valid_from": "01/06/2026",
            "valid_until": "31/08/2026",
            "usage_limit": "500",
            "min_order": "5.000.000",
            "active": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    promotion = Promotion.objects.get()
    assert (promotion.code, promotion.min_order, promotion.valid_until) == (
        "HE2026",
        5_000_000,
        dt.date(2026, 8, 31),
    )
    assert list(promotion.products.all()) == [products["split"]]
    assert promotion.owner == org["marketing"]


def test_the_form_shows_each_mistake_on_its_field(client_as):
    response = client_as("marketing").post(
        reverse("promotions:promotion_create"),
        {"code": "HE 2026!", "name": XSS, "kind": "percent", "value": "120", "valid_from": "02/06/2026",
         "valid_until": "01/06/2026"},
    )  # fmt: skip
    html = response.content.decode()
    assert response.status_code == 400
    for field in ("code", "value", "valid_until"):
        assert f'data-testid="error-{field}"' in html
    assert XSS not in html
    assert not Promotion.objects.exists()


def test_the_edit_form_changes_the_promotion_and_sales_may_not_open_it(client_as, promo):
    promotion = promo("HE2026")
    assert (
        client_as("sales1").get(reverse("promotions:promotion_edit", args=[promotion.pk])).status_code == 403
    )
    client = client_as("marketing")
    page = client.get(reverse("promotions:promotion_edit", args=[promotion.pk]))
    assert page.status_code == 200
    response = client.post(
        reverse("promotions:promotion_edit", args=[promotion.pk]),
        {
            "code": "HE2026",
            "name": "Hè rực rỡ",
            "kind": "amount",
            "value": "300000",
            "version": 1,
            "active": "on",
        },
    )
    assert response.status_code == 302
    promotion.refresh_from_db()
    assert (promotion.name, promotion.kind, promotion.value) == ("Hè rực rỡ", "amount", 300_000)


def test_marketing_deletes_to_the_trash(client_as, promo):
    promotion = promo("HE2026")
    assert (
        client_as("marketing").post(reverse("promotions:promotion_delete", args=[promotion.pk])).status_code
        == 302
    )
    assert Promotion.all_objects.get(pk=promotion.pk).is_deleted


def test_the_menu_has_promotions_under_marketing(client_as):
    html = client_as("marketing").get("/").content.decode()
    assert 'data-nav="promotions:promotion_list"' in html
    assert 'data-nav="promotions:promotion_list"' not in client_as("care").get("/").content.decode()


# --- on the documents ----------------------------------------------------------------------------


def order_form(customer, products, code):
    return {
        "contact": customer.pk,
        "promotion_code": code,
        "discount_percent": "0",
        "lines-TOTAL_FORMS": "2",
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "500",
        "lines-0-product": products["split"].pk,
        "lines-0-quantity": "2",
        "lines-1-product": products["install"].pk,
        "lines-1-quantity": "2",
    }


def test_the_order_form_takes_a_code_and_refuses_one_that_does_not_apply(
    client_as, promo, customer, products, today
):
    promo("HE2026", "percent", 10)
    promo("CU", valid_from=today - dt.timedelta(days=5), valid_until=today - dt.timedelta(days=1))
    client = client_as("sales1")
    refused = client.post(reverse("commerce:order_create"), order_form(customer, products, "cu"))
    assert refused.status_code == 400
    assert "The promotion code has expired." in refused.content.decode()
    assert 'data-testid="error-promotion_code"' in refused.content.decode()
    assert not Order.objects.exists()
    response = client.post(reverse("commerce:order_create"), order_form(customer, products, "he2026"))
    assert response.status_code == 302
    order = Order.objects.get()
    assert order.promotion_discount == Decimal(2_600_000)
    page = client.get(order.get_absolute_url()).content.decode()
    assert 'data-testid="document-promotion"' in page
    assert page.count('data-testid="line-promotion"') == 2
    assert (
        'data-testid="promotion-discount">−2,600,000' in page
        or 'data-testid="promotion-discount">−2.600.000' in page
    )


def test_editing_a_draft_with_a_gift_keeps_one_gift_line(client_as, promo, customer, products):
    promo("QUA", "gift", gift_product=products["clean"])
    client = client_as("sales1")
    client.post(reverse("commerce:order_create"), order_form(customer, products, "QUA"))
    order = Order.objects.get()
    edit = client.get(reverse("commerce:order_edit", args=[order.pk])).content.decode()
    assert 'name="lines-INITIAL_FORMS" value="2"' in edit  # the gift line is the promotion's, not a row
    form = {**order_form(customer, products, "QUA"), "version": order.version}
    assert client.post(reverse("commerce:order_edit", args=[order.pk]), form).status_code == 302
    assert order.lines.filter(promotion_gift=True).count() == 1
    assert order.lines.count() == 3
    assert 'data-testid="gift-line"' in client.get(order.get_absolute_url()).content.decode()


@pytest.mark.parametrize("kind", ["quote", "order"])
def test_the_pdf_shows_the_saving(client_as, promo, new_order, new_quote, kind):
    from pypdf import PdfReader

    promo("HE2026", "percent", 10, name="Khuyến mãi hè 2026")
    document = (new_quote if kind == "quote" else new_order)("HE2026")
    body = client_as("sales1").get(reverse(f"commerce:{kind}_pdf", args=[document.pk])).content
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(body)).pages)
    assert "Khuyến mãi HE2026" in text
    assert "−2.600.000" in text.replace("\u00a0", " ")
    assert "Khuyến mãi: −2.500.000" in text.replace("\u00a0", " ")
    assert "Chương trình khuyến mãi: Khuyến mãi hè 2026 (mã HE2026)" in " ".join(text.split())


def test_a_trashed_promotion_whose_code_was_given_again_is_not_restored(org, client_as, promo):
    from django.contrib.contenttypes.models import ContentType

    from sencrm.promotions.services import promotion_delete

    old = promo("HE2026")
    promotion_delete(old, actor=org["marketing"])
    promo("HE2026", "amount", 100_000)
    ct = ContentType.objects.get_for_model(Promotion).pk
    client = client_as("marketing")
    response = client.post(reverse("events:trash_restore", args=[ct, old.pk]), follow=True)
    assert response.status_code == 200
    assert "cannot be restored" in response.content.decode()
    assert Promotion.all_objects.get(pk=old.pk).is_deleted
