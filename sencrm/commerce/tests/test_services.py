"""Quotes, orders and contracts: totals, numbers, versions, transitions, lifecycle and the gate."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils import timezone

from sencrm.commerce import services
from sencrm.commerce.models import Contract, Order, OrderStatus, Quote, QuoteStatus
from sencrm.core.exceptions import StaleRecord
from sencrm.events.models import Event, Notification

YEAR = timezone.localdate().year


def quote_for(org, customer, catalogue, deal=None, **data):
    return services.quote_create(
        actor=org["sales1"],
        data={"contact": customer, "opportunity": deal, "valid_until": date(YEAR, 12, 31), **data},
        lines=[
            {"section": "Thiết bị", "product": catalogue["split"], "quantity": "2"},
            {"section": "Dịch vụ", "product": catalogue["install"], "quantity": 2},
            {
                "section": "Dịch vụ",
                "description": "Vật tư phụ (ống đồng, dây điện)",
                "quantity": "1.5",
                "unit": "m",
                "unit_price": 180_000,
                "vat_rate": "10",
            },
        ],
    )


def test_a_quote_takes_prices_from_the_catalogue_and_totals_in_one_place(org, customer, catalogue):
    quote = quote_for(org, customer, catalogue, issue_date=date(2027, 3, 1))
    assert quote.number == "BG-2027-00001" and quote.revision == 1 and quote.status == QuoteStatus.DRAFT
    lines = list(quote.lines.order_by("position"))
    assert [line.description for line in lines][:2] == [
        "Điều hòa Daikin Inverter 12.000 BTU",
        "Công lắp đặt điều hòa treo tường",
    ]
    assert [line.unit for line in lines] == ["bộ", "lần", "m"]
    assert [line.amount for line in lines] == [25_000_000, 1_000_000, 270_000]
    # 2027: no VAT reduction any more, the split unit pays 10 %.
    assert [line.vat_amount for line in lines] == [2_500_000, 80_000, 27_000]
    assert quote.subtotal == 26_270_000 and quote.vat_total == 2_607_000 and quote.total == 28_877_000
    assert Event.objects.get(type="quote.created", subject_id=quote.pk).customer_id == customer.pk


def test_numbers_follow_each_other_per_document_type(org, customer, catalogue):
    first = quote_for(org, customer, catalogue)
    second = quote_for(org, customer, catalogue)
    assert first.number == f"BG-{YEAR}-00001" and second.number == f"BG-{YEAR}-00002"


def test_a_sent_quote_is_revised_into_a_new_version_and_stays_as_it_was(org, customer, catalogue):
    quote = quote_for(org, customer, catalogue)
    services.quote_mark_sent(quote, actor=org["sales1"], to="tuyet@example.vn")
    quote.refresh_from_db()
    with pytest.raises(ValidationError):
        services.quote_update(quote, actor=org["sales1"], changes={"notes": "sửa"}, version=quote.version)
    v2 = services.quote_revise(quote, actor=org["sales1"])
    assert (v2.number, v2.revision, v2.status, v2.previous) == (quote.number, 2, QuoteStatus.DRAFT, quote)
    assert v2.total == quote.total and v2.lines.count() == 3
    services.quote_update(
        v2, actor=org["sales1"], changes={"discount_percent": Decimal(5)}, version=v2.version
    )
    v2.refresh_from_db()
    quote.refresh_from_db()
    assert v2.total < quote.total and quote.status == QuoteStatus.SENT
    with pytest.raises(ValidationError):
        services.quote_revise(quote, actor=org["sales1"])  # a newer version exists
    with pytest.raises(ValidationError):
        services.quote_accept(quote, actor=org["sales1"])  # accept the newest one


def test_accepting_a_quote_makes_an_order_and_wins_the_deal_with_its_total(org, customer, catalogue, deal):
    quote = quote_for(org, customer, catalogue, deal=deal)
    services.quote_mark_sent(quote, actor=org["sales1"])
    order = services.quote_accept(Quote.objects.get(pk=quote.pk), actor=org["sales1"])
    quote.refresh_from_db()
    deal.refresh_from_db()
    assert quote.status == QuoteStatus.ACCEPTED
    assert order.quote == quote and order.opportunity == deal and order.status == OrderStatus.DRAFT
    assert order.number == f"DH-{YEAR}-000001" and order.total == quote.total
    assert order.lines.count() == 3
    assert deal.status == "won" and deal.amount == order.total
    assert Event.objects.filter(type="quote.accepted", subject_id=quote.pk).exists()


def test_a_confirmed_order_makes_the_customer_a_customer_and_never_back(org, customer, catalogue):
    order = services.order_create(
        actor=org["sales1"],
        data={"contact": customer},
        lines=[{"product": catalogue["split"], "quantity": 1}],
    )
    customer.refresh_from_db()
    assert customer.lifecycle_stage == "prospect"  # a draft order changes nothing yet
    services.order_confirm(order, actor=org["sales1"])
    customer.refresh_from_db()
    assert customer.lifecycle_stage == "customer"
    why = Event.objects.filter(type="contact.updated", subject_id=customer.pk).latest("id")
    assert why.actor_label == f"order#{order.pk}" and why.data["changes"]["lifecycle_stage"][1] == "customer"
    inactive = services.order_create(
        actor=org["sales1"],
        data={"contact": customer},
        lines=[{"product": catalogue["split"], "quantity": 1}],
    )
    from sencrm.customers.services import contact_update

    contact_update(customer, actor=org["sales1"], changes={"lifecycle_stage": "inactive"}, version=None)
    services.order_confirm(inactive, actor=org["sales1"])
    customer.refresh_from_db()
    assert customer.lifecycle_stage == "inactive"  # only target, lead and prospect move forward


def test_deliveries_partly_then_fully(org, customer, catalogue):
    order = services.order_create(
        actor=org["sales1"],
        data={"contact": customer, "delivery_date": timezone.localdate()},
        lines=[
            {"product": catalogue["split"], "quantity": 3},
            {"product": catalogue["install"], "quantity": 3},
        ],
    )
    order = services.order_confirm(order, actor=org["sales1"])
    split, install = order.lines.order_by("position")
    today = timezone.localdate()
    services.order_record_delivery(
        order, actor=org["sales1"], delivered_on=today, quantities={split.pk: Decimal(2)}
    )
    order.refresh_from_db()
    assert order.status == OrderStatus.PARTLY_DELIVERED
    with pytest.raises(ValidationError):  # more than what is left
        services.order_record_delivery(
            order, actor=org["sales1"], delivered_on=today, quantities={split.pk: Decimal(2)}
        )
    services.order_record_delivery(
        order,
        actor=org["sales1"],
        delivered_on=today,
        quantities={split.pk: Decimal(1), install.pk: Decimal(3)},
    )
    order.refresh_from_db()
    assert order.status == OrderStatus.DELIVERED and order.deliveries.count() == 2
    assert Event.objects.filter(type="order.delivered", subject_id=order.pk).count() == 1


def test_cancelling_needs_a_reason(org, customer, catalogue):
    order = services.order_create(
        actor=org["sales1"],
        data={"contact": customer},
        lines=[{"product": catalogue["split"], "quantity": 1}],
    )
    with pytest.raises(ValidationError):
        services.order_cancel(order, actor=org["sales1"], reason="  ")
    cancelled = services.order_cancel(order, actor=org["sales1"], reason="Khách đổi ý")
    assert cancelled.status == OrderStatus.CANCELLED and cancelled.cancelled_reason == "Khách đổi ý"


def test_orders_above_the_contracts_total_go_through_with_a_warning(org, customer, catalogue):
    contract = services.contract_create(
        actor=org["sales1"],
        data={
            "name": "Bảo trì điều hòa 2027",
            "contact": customer,
            "start_date": date(2027, 1, 1),
            "end_date": date(2027, 12, 31),
            "issue_date": date(2027, 1, 1),
        },
        lines=[{"product": catalogue["install"], "quantity": 4}],
    )
    assert contract.number == "HĐ-2027-00001" or contract.number.startswith("HD")
    assert contract.total == 2_160_000  # 4 × 500.000 + 8 % VAT
    services.contract_sign(contract, actor=org["sales1"])
    first = services.order_create(
        actor=org["sales1"],
        data={"contact": customer, "contract": contract, "issue_date": date(2027, 2, 1)},
        lines=[{"product": catalogue["install"], "quantity": 3}],
    )
    assert services.order_confirm(first, actor=org["sales1"]).warnings == []
    second = services.order_create(
        actor=org["sales1"],
        data={"contact": customer, "contract": contract, "issue_date": date(2027, 3, 1)},
        lines=[{"product": catalogue["install"], "quantity": 2}],
    )
    confirmed = services.order_confirm(second, actor=org["sales1"])
    assert [w.code for w in confirmed.warnings] == ["contract_overrun"]
    assert confirmed.status == OrderStatus.CONFIRMED  # the save went through
    contract.refresh_from_db()
    assert contract.ordered_total == 2_700_000
    assert Event.objects.filter(type="contract.overrun", subject_id=contract.pk).count() == 1


def test_a_signed_contract_promotes_and_reminds_its_owner_once(org, customer, catalogue):
    from sencrm.commerce.tasks import expire_contracts, remind_contract_renewals

    today = timezone.localdate()
    contract = services.contract_create(
        actor=org["sales1"],
        data={
            "name": "Bảo trì",
            "contact": customer,
            "start_date": today - timedelta(days=300),
            "end_date": today + timedelta(days=10),
        },
        lines=[{"product": catalogue["install"], "quantity": 1}],
    )
    services.contract_sign(contract, actor=org["sales1"])
    customer.refresh_from_db()
    assert customer.lifecycle_stage == "customer"
    assert remind_contract_renewals(today) == 1
    assert remind_contract_renewals(today) == 0
    note = Notification.objects.get(recipient=org["sales1"], kind="contract_expiring")
    assert contract.number in note.params["record"]
    assert Event.objects.filter(type="contract.expiring", subject_id=contract.pk).count() == 1
    assert expire_contracts(today + timedelta(days=11)) == 1
    assert Contract.objects.get(pk=contract.pk).status == "expired"


def test_sent_quotes_past_their_date_expire(org, customer, catalogue):
    quote = quote_for(org, customer, catalogue, valid_until=timezone.localdate())
    services.quote_mark_sent(quote, actor=org["sales1"])
    assert services.quotes_expire(timezone.localdate()) == 0
    assert services.quotes_expire(timezone.localdate() + timedelta(days=1)) == 1
    assert Quote.objects.get(pk=quote.pk).status == QuoteStatus.EXPIRED


@pytest.mark.parametrize(
    ("line", "words"),
    [
        ({"description": "X", "quantity": 0, "unit_price": 1}, "greater than 0"),
        ({"description": "X", "quantity": -1, "unit_price": 1}, "greater than 0"),
        ({"description": "X", "quantity": "1.0001", "unit_price": 1}, "3 decimals"),
        ({"description": "X", "quantity": "abc", "unit_price": 1}, "not a number"),
        ({"description": "X", "quantity": 1, "unit_price": 10**15 + 1}, "10^15"),
        ({"description": "X", "quantity": 1, "unit_price": 1, "vat_rate": "12"}, "VAT"),
        ({"description": "X", "quantity": 1, "unit_price": 1, "discount_percent": 101}, "percent"),
        ({"quantity": 1, "unit_price": 1}, "description"),
        ({"description": "X", "quantity": 1}, "unit price"),
    ],
)
def test_bad_lines_are_refused_with_the_line_number(org, customer, line, words):
    from django.utils import translation

    with translation.override("en"), pytest.raises(ValidationError) as error:
        services.quote_create(actor=org["sales1"], data={"contact": customer}, lines=[line])
    message = " ".join(error.value.message_dict["lines"])
    assert "Line 1" in message and words in message
    assert not Quote.objects.exists()


def test_a_total_above_10_to_the_15_is_refused(org, customer):
    with pytest.raises(ValidationError):
        services.quote_create(
            actor=org["sales1"],
            data={"contact": customer},
            lines=[{"description": "Dự án", "quantity": 2, "unit_price": 10**15}],
        )


def test_two_hundred_lines_and_no_more_than_the_limit(org, customer, catalogue):
    quote = services.quote_create(
        actor=org["sales1"],
        data={"contact": customer},
        lines=[{"product": catalogue["install"], "quantity": 1}] * 200,
    )
    assert quote.lines.count() == 200 and quote.subtotal == 100_000_000
    with pytest.raises(ValidationError):
        services.quote_create(
            actor=org["sales1"],
            data={"contact": customer},
            lines=[{"product": catalogue["install"], "quantity": 1}] * 501,
        )


def test_a_document_needs_a_customer_the_actor_may_see(org, catalogue, make_contact):
    with pytest.raises(ValidationError):
        services.quote_create(actor=org["sales1"], data={}, lines=[{"product": catalogue["split"]}])
    theirs = make_contact(owner="sales2", full_name="Đặng Văn Lâm")
    with pytest.raises(ValidationError) as error:
        services.quote_create(actor=org["sales1"], data={"contact": theirs}, lines=[])
    assert "contact" in error.value.message_dict
    assert not Quote.objects.exists()


def test_another_sales_persons_quote_is_out_of_reach(org, customer, catalogue):
    quote = quote_for(org, customer, catalogue)
    with pytest.raises(Http404):
        services.quote_update(quote, actor=org["sales2"], changes={"notes": "x"}, version=1)
    with pytest.raises(Http404):
        services.quote_accept(quote, actor=org["sales2"])


def test_a_stale_edit_of_the_same_field_is_refused(org, customer, catalogue):
    quote = quote_for(org, customer, catalogue)
    services.quote_update(quote, actor=org["sales1"], changes={"notes": "một"}, version=1)
    with pytest.raises(StaleRecord):
        services.quote_update(quote, actor=org["sales1"], changes={"notes": "hai"}, version=1)


def test_orders_list_per_owner_through_the_gate(org, customer, catalogue):
    from sencrm.core import access
    from sencrm.core.modules import Action

    services.order_create(
        actor=org["sales1"],
        data={"contact": customer},
        lines=[{"product": catalogue["split"], "quantity": 1}],
    )
    assert access.scope(org["sales1"], Order, Action.VIEW).count() == 1
    assert access.scope(org["sales2"], Order, Action.VIEW).count() == 0
    assert access.scope(org["care"], Order, Action.VIEW).count() == 1  # care reads
    assert access.scope(org["board"], Order, Action.VIEW).count() == 0
