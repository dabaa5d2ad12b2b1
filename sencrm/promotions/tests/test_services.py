"""Promotions on quotes and orders: each kind, who and what they apply to, each refusal and its reason,
the limits (released by a cancelled or trashed order), automatic promotions, carrying a quote's promotion
to its order and its next version, and the invoice of an order with a promotion."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from sencrm.commerce import services as commerce
from sencrm.commerce.models import Order, Quote
from sencrm.events.models import Event
from sencrm.promotions import services
from sencrm.promotions.models import Promotion, PromotionUse
from sencrm.promotions.selectors import promotion_results

D = Decimal


def reason(excinfo) -> str:
    return " ".join(excinfo.value.message_dict["promotion_code"])


def consistent(document) -> None:
    assert document.total == document.subtotal - document.discount_total + document.vat_total
    lines = list(document.lines.all())
    assert document.promotion_discount == sum((line.promotion_discount for line in lines), D(0))


# --- what each kind gives ------------------------------------------------------------------------


def test_a_percent_code_takes_its_share_off_every_line_and_the_totals_stay_right(promo, new_order):
    promo("HE2026", "percent", 10)
    order = new_order("he2026")  # any case, the code is compared upper-case
    assert order.promotion_code == "HE2026"
    assert order.promotion_name == "Khuyến mãi HE2026"
    split, install = order.lines.order_by("position")
    assert (split.promotion_discount, install.promotion_discount) == (D(2_500_000), D(100_000))
    assert (split.amount, install.amount) == (D(22_500_000), D(900_000))
    assert order.promotion_discount == D(2_600_000)
    assert order.subtotal == D(26_000_000)
    assert order.discount_total == D(2_600_000)
    assert order.vat_total == D(2_250_000 + 72_000)  # VAT on the amounts after the promotion
    assert order.total == D(23_400_000 + 2_322_000)
    consistent(order)


def test_an_amount_is_shared_across_the_lines_in_whole_dong_and_never_above_them(promo, new_order, products):
    promo("GIAM1TR", "amount", 1_000_000)
    order = new_order("GIAM1TR")
    assert order.promotion_discount == D(1_000_000)
    assert sorted(line.promotion_discount for line in order.lines.all()) == [D(38_462), D(961_538)]
    consistent(order)
    promo("GIAMLON", "amount", 50_000_000, products=[products["install"]])
    big = new_order("GIAMLON")
    assert big.promotion_discount == D(1_000_000)  # the installation lines' whole amount, no more
    consistent(big)


def test_a_gift_adds_a_line_at_price_zero_and_counts_its_value_as_the_saving(promo, new_order, products):
    promo("TET2027", "gift", gift_product=products["clean"], gift_quantity=D(2))
    order = new_order("TET2027")
    gift = order.lines.get(promotion_gift=True)
    assert (gift.product, gift.quantity, gift.unit_price, gift.amount) == (products["clean"], D(2), 0, 0)
    assert order.promotion_discount == 0 and order.total == D(25_000_000 + 2_500_000 + 1_000_000 + 80_000)
    assert PromotionUse.objects.get(order=order).discount == D(500_000)  # 2 × 250.000 given
    consistent(order)


def test_the_promotion_comes_after_the_lines_own_discount_and_before_the_documents(
    promo, new_order, products
):
    promo("HE2026", "percent", 10)
    order = new_order(
        "HE2026",
        with_lines=[{"product": products["split"], "quantity": 2, "discount_percent": D(4)}],
        discount_amount=D(100_000),
    )
    line = order.lines.get()
    assert line.promotion_discount == D(2_400_000)  # 10 % of 25.000.000 − 1.000.000
    assert line.amount == D(21_600_000)
    assert order.discount_total == D(1_000_000 + 2_400_000 + 100_000)
    consistent(order)


# --- what it applies to --------------------------------------------------------------------------


def test_products_and_categories_choose_the_lines_sub_categories_included(promo, new_order, products):
    from sencrm.catalog.models import Category

    promo("MAYLANH", "percent", 10, products=[products["split"]])
    assert [line.promotion_discount for line in new_order("MAYLANH").lines.order_by("position")] == [
        D(2_500_000),
        0,
    ]
    promo("DICHVU", "percent", 10, categories=[Category.objects.get(name="Dịch vụ")])
    assert [line.promotion_discount for line in new_order("DICHVU").lines.order_by("position")] == [
        0,
        D(100_000),
    ]
    promo("DIEUHOA", "percent", 10, categories=[Category.objects.get(name="Điều hòa", parent=None)])
    assert new_order("DIEUHOA").promotion_discount == D(2_500_000)  # "Treo tường" is under "Điều hòa"


def test_a_code_for_other_products_is_refused_with_the_reason(promo, new_order, products):
    promo("NHO", "percent", 10, products=[products["small"]])
    with pytest.raises(ValidationError) as excinfo:
        new_order("NHO")
    assert reason(excinfo) == "The promotion does not apply to these products."
    assert not Order.objects.exists()  # nothing saved


def test_a_customer_group_promotion_is_for_that_group_only(promo, new_order, group, vip):
    promo("VIP", "percent", 5, customer_groups=[group])
    with pytest.raises(ValidationError) as excinfo:
        new_order("VIP")
    assert reason(excinfo) == "The promotion is not for this customer's group."
    assert new_order("VIP", contact=vip).promotion_discount == D(1_300_000)


def test_the_minimum_order_is_the_lines_net_before_vat(promo, new_order, products):
    promo("TU26TR", "amount", 500_000, min_order=D(26_000_000))
    assert new_order("TU26TR").promotion_discount == D(500_000)  # exactly the minimum
    with pytest.raises(ValidationError) as excinfo:
        new_order("TU26TR", with_lines=[{"product": products["split"], "quantity": 2}])
    assert reason(excinfo) == "The order has not reached the promotion's minimum order value (26,000,000 ₫)."


# --- when ----------------------------------------------------------------------------------------


def test_both_ends_of_the_validity_are_included(promo, new_order, today):
    promo("TUNAY", "percent", 10, valid_from=today, valid_until=today)
    assert new_order("TUNAY").promotion_code == "TUNAY"


def test_an_expired_code_is_refused(promo, new_order, today):
    promo(
        "CU",
        "percent",
        10,
        valid_from=today - dt.timedelta(days=30),
        valid_until=today - dt.timedelta(days=1),
    )
    with pytest.raises(ValidationError) as excinfo:
        new_order("CU")
    assert reason(excinfo) == "The promotion code has expired."


def test_a_code_not_started_yet_is_refused_with_its_first_day(promo, new_order, today):
    start = today + dt.timedelta(days=1)
    promo("SAP", "percent", 10, valid_from=start, valid_until=today + dt.timedelta(days=9))
    with pytest.raises(ValidationError) as excinfo:
        new_order("SAP")
    assert reason(excinfo) == f"The promotion code is not valid yet: it starts on {start:%d/%m/%Y}."


def test_validity_is_read_on_the_documents_date(promo, new_order, today):
    promo("HE2026", "percent", 10, valid_from=dt.date(2026, 6, 1), valid_until=dt.date(2026, 8, 31))
    assert new_order("HE2026", issue_date=dt.date(2026, 8, 31)).promotion_code == "HE2026"
    with pytest.raises(ValidationError):
        new_order("HE2026", issue_date=dt.date(2026, 9, 1))


def test_a_paused_or_unknown_code_is_refused(promo, new_order):
    promo("TAMDUNG", "percent", 10, active=False)
    with pytest.raises(ValidationError) as excinfo:
        new_order("TAMDUNG")
    assert reason(excinfo) == "The promotion is not running."
    with pytest.raises(ValidationError) as excinfo:
        new_order("KHONGCO")
    assert reason(excinfo) == "The promotion code does not exist."


def test_a_trashed_promotions_code_no_longer_exists_and_is_free_again(org, promo, new_order):
    first = promo("HE2026", "percent", 10)
    services.promotion_delete(first, actor=org["marketing"])
    with pytest.raises(ValidationError):
        new_order("HE2026")
    promo("HE2026", "amount", 100_000)
    assert new_order("HE2026").promotion_discount == D(100_000)


# --- limits --------------------------------------------------------------------------------------


def test_the_last_use_goes_to_one_order_and_the_next_is_refused(promo, new_order):
    promotion = promo("MOTLAN", "percent", 10, usage_limit=1)
    new_order("MOTLAN")
    with pytest.raises(ValidationError) as excinfo:
        new_order("MOTLAN")
    assert reason(excinfo) == "The promotion code has been used up."
    assert promotion_results([promotion.pk])[promotion.pk].uses == 1


def test_the_per_customer_limit_counts_the_customers_orders(promo, new_order, vip):
    promo("MOTKHACH", "percent", 10, per_customer_limit=1)
    new_order("MOTKHACH")
    with pytest.raises(ValidationError) as excinfo:
        new_order("MOTKHACH")
    assert reason(excinfo) == "This customer has already used the promotion as many times as it allows (1)."
    assert new_order("MOTKHACH", contact=vip).promotion_code == "MOTKHACH"


def test_a_cancelled_or_trashed_order_gives_its_use_back(org, promo, new_order):
    promo("MOTLAN", "percent", 10, usage_limit=1)
    first = new_order("MOTLAN")
    commerce.order_cancel(first, actor=org["sales1"], reason="Khách đổi ý")
    second = new_order("MOTLAN")
    commerce.order_delete(second, actor=org["sales1"])
    third = new_order("MOTLAN")
    assert PromotionUse.objects.filter(released_at__isnull=True, order__isnull=False).get().order == third
    assert Event.objects.filter(type="promotion.released").count() == 2


def test_a_restored_draft_takes_its_use_again_when_confirmed_or_is_refused(org, promo, new_order):
    from sencrm.events.services import record_restore

    sales1 = org["sales1"]
    promo("MOTLAN", "percent", 10, usage_limit=1)
    draft = new_order("MOTLAN")
    commerce.order_delete(draft, actor=sales1)
    restored = record_restore(Order.all_objects.get(pk=draft.pk), actor=sales1)
    assert commerce.order_confirm(restored, actor=sales1).status == "confirmed"
    assert PromotionUse.objects.get(order=draft).released_at is None
    # A draft trashed and restored after another order took the last use: confirming it is refused.
    promo("HAILAN", "percent", 10, usage_limit=1)
    trashed = new_order("HAILAN")
    commerce.order_delete(trashed, actor=sales1)
    new_order("HAILAN")
    back = record_restore(Order.all_objects.get(pk=trashed.pk), actor=sales1)
    with pytest.raises(ValidationError) as excinfo:
        commerce.order_confirm(back, actor=sales1)
    assert reason(excinfo) == "The promotion code has been used up."
    assert Order.objects.get(pk=trashed.pk).status == "draft"


def test_removing_the_code_from_a_draft_frees_its_use(org, promo, new_order):
    promo("MOTLAN", "percent", 10, usage_limit=1)
    order = new_order("MOTLAN")
    updated = commerce.order_update(
        order, actor=org["sales1"], changes={"promotion_code": ""}, version=order.version
    )
    assert (updated.promotion_code, updated.promotion_discount) == ("", 0)
    assert updated.total == order.total + D(2_600_000) + D(250_000 + 8_000)
    assert not updated.lines.filter(promotion_discount__gt=0).exists()
    assert new_order("MOTLAN").promotion_code == "MOTLAN"


def test_an_edited_draft_keeps_the_promotion_it_holds_after_it_expired(org, promo, new_order, products):
    promotion = promo("HE2026", "percent", 10, usage_limit=1)
    order = new_order("HE2026")
    services.promotion_update(
        promotion,
        actor=org["marketing"],
        changes={"valid_until": order.issue_date - dt.timedelta(days=1), "valid_from": None},
        version=promotion.version,
    )
    updated = commerce.order_update(
        order,
        actor=org["sales1"],
        changes={},
        version=order.version,
        lines=[{"product": products["split"], "quantity": 3}],
    )
    assert updated.promotion_discount == D(3_750_000)
    assert PromotionUse.objects.get(order=order).discount == D(3_750_000)


# --- quotes --------------------------------------------------------------------------------------


def test_a_quote_shows_the_saving_without_using_the_promotion_up(promo, new_quote, new_order):
    promotion = promo("MOTLAN", "percent", 10, usage_limit=1)
    quote = new_quote("MOTLAN")
    assert quote.promotion_discount == D(2_600_000)
    new_quote("MOTLAN")  # a second quote too: quotes use nothing
    assert promotion_results([promotion.pk])[promotion.pk].uses == 0
    new_order("MOTLAN")
    with pytest.raises(ValidationError) as excinfo:
        new_quote("MOTLAN")
    assert reason(excinfo) == "The promotion code has been used up."


def test_an_accepted_quote_gives_its_order_the_promotion_even_after_it_ended(org, promo, new_quote):
    promotion = promo("HE2026", "percent", 10, usage_limit=1)
    quote, other = new_quote("HE2026"), new_quote("HE2026")
    services.promotion_update(
        promotion,
        actor=org["marketing"],
        changes={"valid_from": None, "valid_until": quote.issue_date - dt.timedelta(days=1)},
        version=promotion.version,
    )
    order = commerce.quote_accept(Quote.objects.get(pk=quote.pk), actor=org["sales1"])
    assert (order.promotion_code, order.promotion_discount, order.total) == (
        "HE2026",
        quote.promotion_discount,
        quote.total,
    )
    assert PromotionUse.objects.get(order=order).discount == D(2_600_000)
    # The last use is gone: the other quote's acceptance is refused with the reason, nothing changes.
    with pytest.raises(ValidationError) as excinfo:
        commerce.quote_accept(Quote.objects.get(pk=other.pk), actor=org["sales1"])
    assert reason(excinfo) == "The promotion code has been used up."
    assert Quote.objects.get(pk=other.pk).status == "draft"


def test_a_revised_quote_keeps_its_promotion(org, promo, new_quote):
    promo("HE2026", "percent", 10)
    quote = commerce.quote_mark_sent(new_quote("HE2026"), actor=org["sales1"])
    revised = commerce.quote_revise(quote, actor=org["sales1"])
    assert (revised.promotion_code, revised.promotion_discount) == ("HE2026", D(2_600_000))
    assert revised.warnings == []


# --- automatic promotions -------------------------------------------------------------------------


def test_an_automatic_promotion_applies_by_itself_and_the_best_one_wins(promo, new_order, products):
    promo("", "percent", 5, name="Giảm 5 % mọi đơn")
    promo("", "amount", 2_000_000, name="Giảm 2 triệu đơn từ 20 triệu", min_order=D(20_000_000))
    order = new_order()
    assert (order.promotion_code, order.promotion_name) == ("", "Giảm 2 triệu đơn từ 20 triệu")
    assert order.promotion_discount == D(2_000_000)
    small = new_order(with_lines=[{"product": products["install"], "quantity": 1}])
    assert (small.promotion_name, small.promotion_discount) == ("Giảm 5 % mọi đơn", D(25_000))
    assert Event.objects.filter(type="promotion.applied").count() == 2


def test_no_automatic_promotion_fits_and_nothing_is_refused(promo, new_order):
    promo("", "percent", 5, min_order=D(100_000_000))
    order = new_order()
    assert (order.promotion_name, order.promotion_discount) == ("", 0)


def test_a_typed_code_replaces_the_automatic_promotions(promo, new_order):
    promo("", "percent", 50, name="Tự động")
    promo("HE2026", "percent", 10)
    order = new_order("HE2026")
    assert (order.promotion_code, order.promotion_discount) == ("HE2026", D(2_600_000))


# --- what is recorded ----------------------------------------------------------------------------


def test_applying_a_code_records_the_use_and_a_promotion_applied_event(org, promo, new_order, customer):
    promotion = promo("HE2026", "percent", 10)
    order = new_order("HE2026")
    use = PromotionUse.objects.get(promotion=promotion)
    assert (use.order, use.contact, use.discount, use.released_at) == (order, customer, D(2_600_000), None)
    event = Event.objects.get(type="promotion.applied")
    assert event.subject_id == promotion.pk and event.customer_id == customer.pk
    assert event.data["document"] == {"type": "order", "id": order.pk, "number": order.number}
    assert event.data["discount"] == "2600000"
    assert event.data["promotion"]["code"] == "HE2026"


def test_results_count_uses_discounts_revenue_and_first_orders(org, promo, new_order, vip, lines):
    promotion = promo("HE2026", "percent", 10)
    commerce.order_create(actor=org["sales1"], data={"contact": vip}, lines=lines)  # vip bought before
    first = new_order("HE2026")
    again = new_order("HE2026")
    repeat = new_order("HE2026", contact=vip)
    cancelled = new_order("HE2026")
    commerce.order_cancel(cancelled, actor=org["sales1"], reason="x")
    results = promotion_results([promotion.pk])[promotion.pk]
    assert results.uses == 3
    assert results.discount == D(3 * 2_600_000)
    assert results.revenue == first.total + again.total + repeat.total
    assert results.new_customers == 1  # the first order of Ánh Tuyết; Bình had bought before


def test_an_orders_invoice_carries_its_promotion(org, promo, new_order):
    from sencrm.billing.services import invoice_from_order

    promo("HE2026", "percent", 10)
    order = commerce.order_confirm(new_order("HE2026"), actor=org["sales1"])
    invoice = invoice_from_order(order, actor=org["accountant"])
    assert invoice.total == order.total
    assert invoice.discount_total == order.discount_total
    half = commerce.order_confirm(new_order("HE2026"), actor=org["sales1"])
    split = half.lines.order_by("position").first()
    part = invoice_from_order(half, actor=org["accountant"], quantities={split.pk: D(1)})
    assert part.lines.get().amount == D(11_250_000)  # half the line, half its promotion


def test_without_the_promotions_app_a_code_is_refused(monkeypatch, new_order):
    from sencrm.commerce import promotions

    monkeypatch.setattr(promotions, "engine", None)
    with pytest.raises(ValidationError) as excinfo:
        new_order("HE2026")
    assert reason(excinfo) == "Promotions are not available."
    assert new_order().promotion_name == ""


# --- the promotion's own rules -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"kind": "percent", "value": D(101)}, "value"),
        ({"kind": "percent", "value": D(0)}, "value"),
        ({"kind": "percent", "value": D("10.555")}, "value"),
        ({"kind": "amount", "value": D(-5)}, "value"),
        ({"kind": "amount", "value": D("1000.5")}, "value"),
        ({"kind": "amount", "value": D(10) ** 16}, "value"),
        ({"kind": "gift"}, "gift_product"),
        ({"kind": "bogus"}, "kind"),
        ({"kind": "percent", "value": D(10), "code": "HÈ 2026!"}, "code"),
        ({"kind": "percent", "value": D(10), "code": "X" * 41}, "code"),
        ({"kind": "percent", "value": D(10), "usage_limit": 0}, "usage_limit"),
        ({"kind": "percent", "value": D(10), "per_customer_limit": 10**10}, "per_customer_limit"),
        ({"kind": "percent", "value": D(10), "min_order": D(-1)}, "min_order"),
        (
            {
                "kind": "percent",
                "value": D(10),
                "valid_from": dt.date(2026, 6, 2),
                "valid_until": dt.date(2026, 6, 1),
            },
            "valid_until",
        ),
        ({"kind": "percent", "value": D(10), "name": "  "}, "name"),
        ({"kind": "percent", "value": D(10), "is_staff": True}, "is_staff"),
    ],
)
def test_a_promotion_with_bad_values_is_refused_on_the_field(org, data, field):
    with pytest.raises(ValidationError) as excinfo:
        services.promotion_create(actor=org["marketing"], data={"name": "Khuyến mãi", **data})
    assert field in excinfo.value.message_dict
    assert not Promotion.all_objects.exists()


def test_a_code_is_unique_among_live_promotions_whatever_its_case(org, promo):
    promo("HE2026")
    with pytest.raises(ValidationError) as excinfo:
        promo("he2026")
    assert excinfo.value.message_dict["code"] == ["Another promotion already uses this code."]


def test_sales_read_promotions_but_only_marketing_writes_them(org, promo):
    from django.core.exceptions import PermissionDenied

    promotion = promo("HE2026")
    with pytest.raises(PermissionDenied):
        services.promotion_create(actor=org["sales1"], data={"name": "x", "kind": "percent", "value": D(1)})
    with pytest.raises(PermissionDenied):
        services.promotion_update(promotion, actor=org["sales1"], changes={"name": "y"}, version=None)
    assert (
        services.promotion_update(
            promotion, actor=org["marketing"], changes={"name": "Hè rực rỡ"}, version=promotion.version
        ).name
        == "Hè rực rỡ"
    )


def test_a_product_outside_the_writers_view_is_refused_as_missing(org, products):
    from sencrm.catalog.models import Product

    hidden = Product.objects.create(owner=org["admin"], code="AN", name="Ẩn")
    Product.objects.filter(pk=hidden.pk).update(deleted_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    hidden = Product.all_objects.get(pk=hidden.pk)
    with pytest.raises(ValidationError) as excinfo:
        services.promotion_create(
            actor=org["marketing"],
            data={"name": "x", "kind": "percent", "value": D(5), "products": [products["split"], hidden]},
        )
    assert "products" in excinfo.value.message_dict


def test_moving_an_order_to_a_customer_who_used_the_promotion_up_is_refused(org, promo, new_order, vip):
    promo("MOTKHACH", "percent", 10, per_customer_limit=1)
    new_order("MOTKHACH", contact=vip)
    order = new_order("MOTKHACH")
    with pytest.raises(ValidationError) as excinfo:
        commerce.order_update(order, actor=org["sales1"], changes={"contact": vip}, version=order.version)
    assert "as many times as it allows" in reason(excinfo)


def test_a_confirmed_orders_promotion_is_not_changed(org, promo, new_order, vip):
    promo("HE2026", "percent", 10)
    order = commerce.order_confirm(new_order("HE2026"), actor=org["sales1"])
    with pytest.raises(ValidationError) as excinfo:
        commerce.order_update(
            order, actor=org["sales1"], changes={"promotion_code": ""}, version=order.version
        )
    assert reason(excinfo) == "The promotion of a confirmed order is not changed."
    lines = list(order.lines.values_list("pk", flat=True))
    moved = commerce.order_update(order, actor=org["sales1"], changes={"contact": vip}, version=order.version)
    assert list(moved.lines.values_list("pk", flat=True)) == lines  # its lines were not written again
    assert moved.promotion_code == "HE2026"
