"""Invoices, receipts, allocations, corrections and returns through the services."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from sencrm.billing import services
from sencrm.billing.models import Allocation, Invoice, InvoiceKind, InvoiceStatus, Payment, PaymentKind
from sencrm.billing.tests.conftest import receipt
from sencrm.events.models import Event

pytestmark = pytest.mark.django_db


def test_invoice_from_order_copies_the_lines_and_totals(order, accountant):
    invoice = services.invoice_from_order(order, actor=accountant)
    assert invoice.status == InvoiceStatus.DRAFT
    assert invoice.owner == order.owner  # the salesperson sees it among their own
    assert invoice.total == order.total
    assert invoice.subtotal == order.subtotal
    assert invoice.lines.count() == 2
    assert invoice.number.startswith("HDBH-")


def test_invoice_never_for_more_than_ordered(order, accountant):
    line = order.lines.order_by("position").first()
    with pytest.raises(ValidationError, match="more than is left to invoice"):
        services.invoice_from_order(order, actor=accountant, quantities={line.pk: Decimal(3)})
    services.invoice_from_order(order, actor=accountant, quantities={line.pk: Decimal(1)})
    with pytest.raises(ValidationError, match="1 of 2 ordered"):
        services.invoice_from_order(order, actor=accountant, quantities={line.pk: Decimal(2)})
    rest = services.invoice_from_order(order, actor=accountant)
    assert {(li.order_line_id, li.quantity) for li in rest.lines.all()} == {
        (line.pk, Decimal(1)),
        (order.lines.order_by("position").last().pk, Decimal(2)),
    }
    with pytest.raises(ValidationError, match="invoiced already"):
        services.invoice_from_order(order, actor=accountant)


def test_delivered_part_only(order, accountant, org):
    from sencrm.commerce.services import order_record_delivery

    line = order.lines.order_by("position").first()
    order_record_delivery(
        order, actor=org["sales1"], delivered_on=timezone.localdate(), quantities={line.pk: Decimal(1)}
    )
    invoice = services.invoice_from_order(order, actor=accountant, part="delivered")
    assert [(li.order_line_id, li.quantity) for li in invoice.lines.all()] == [(line.pk, Decimal(1))]


def test_a_draft_order_is_not_invoiced(org, catalogue, customer, accountant):
    from sencrm.commerce.services import order_create

    draft = order_create(
        actor=org["sales1"],
        data={"contact": customer},
        lines=[{"product": catalogue["split"], "quantity": 1}],
    )
    with pytest.raises(ValidationError, match="confirmed order"):
        services.invoice_from_order(draft, actor=accountant)


def test_issue_sets_the_due_date_from_the_terms(order, accountant, customer):
    from sencrm.customers.models import Contact

    Contact.objects.filter(pk=customer.pk).update(payment_terms_days=15)
    invoice = services.invoice_from_order(order, actor=accountant)
    issued = services.invoice_issue(
        invoice, actor=accountant, einvoice={"einvoice_form": "1", "einvoice_series": "C26TAA"}
    )
    assert issued.status == InvoiceStatus.ISSUED
    assert issued.due_date == issued.issue_date + timedelta(days=15)
    assert issued.balance == issued.total
    assert issued.einvoice_series == "C26TAA"
    assert Event.objects.filter(type="invoice.issued", subject_id=issued.pk).exists()
    with pytest.raises(ValidationError):
        services.invoice_issue(issued, actor=accountant)


def test_default_terms(order, accountant, settings):
    settings.BILLING_PAYMENT_TERMS_DAYS = 7
    issued = services.invoice_issue(services.invoice_from_order(order, actor=accountant), actor=accountant)
    assert issued.due_date == issued.issue_date + timedelta(days=7)


def test_partial_then_full_payment(issued, accountant):
    first = receipt(accountant, issued, 10_000_000)
    issued.refresh_from_db()
    assert (issued.status, issued.paid_total, issued.balance) == (
        InvoiceStatus.PARTLY_PAID,
        Decimal(10_000_000),
        issued.total - 10_000_000,
    )
    assert first.allocated_total == first.amount
    receipt(accountant, issued, issued.balance)
    issued.refresh_from_db()
    assert issued.status == InvoiceStatus.PAID and issued.balance == 0 and issued.paid_at
    assert Event.objects.filter(type="invoice.paid", subject_id=issued.pk).count() == 1
    assert Event.objects.filter(type="payment.received").count() == 2


def test_allocation_above_the_balance_is_refused_and_nothing_is_written(issued, accountant):
    payments = Payment.objects.count()
    with pytest.raises(ValidationError, match="more than the balance"):
        receipt(accountant, issued, issued.total + 1)
    # The whole write was one transaction: no receipt without its allocation.
    assert Payment.objects.count() == payments


def test_overpayment_stays_as_credit_and_is_allocated_later(issued, accountant, order):
    paid = services.payment_create(
        actor=accountant,
        data={"amount": issued.total + 1_000_000, "contact": issued.contact},
        allocations=[(issued, issued.total)],
    )
    assert paid.unallocated == 1_000_000
    assert services.customer_credit(contact_id=issued.contact_id) == 1_000_000
    # A later invoice of the same customer takes the credit.
    later = services.invoice_create(
        actor=accountant,
        data={"contact": issued.contact},
        lines=[{"description": "Vệ sinh máy", "quantity": 1, "unit_price": 400_000, "vat_rate": "8"}],
    )
    later = services.invoice_issue(later, actor=accountant)
    services.payment_allocate(paid, actor=accountant, allocations=[(later, later.total)])
    later.refresh_from_db()
    assert later.status == InvoiceStatus.PAID
    assert services.customer_credit(contact_id=issued.contact_id) == 1_000_000 - later.total


def test_another_customers_invoice_is_refused(issued, accountant, make_contact):
    other = make_contact(full_name="Trần Văn Bình", phones=("0987 654 321",))
    with pytest.raises(ValidationError, match="another customer"):
        services.payment_create(
            actor=accountant, data={"amount": 1000, "contact": other}, allocations=[(issued, 1000)]
        )


def test_bad_amounts(issued, accountant):
    for bad in (-5, 0, "abc", "1.5", "1e20"):
        with pytest.raises(ValidationError):
            services.payment_create(actor=accountant, data={"amount": bad, "contact": issued.contact})


def test_sales_cannot_record_payments(issued, org):
    with pytest.raises(PermissionDenied):
        receipt(org["sales1"], issued, 1000)


def test_credit_note_from_a_return(issued, accountant, org, order):
    from sencrm.commerce.services import order_record_delivery

    line = order.lines.order_by("position").first()
    order_record_delivery(
        order, actor=org["sales1"], delivered_on=timezone.localdate(), quantities={line.pk: Decimal(2)}
    )
    with pytest.raises(ValidationError, match="delivered and not yet returned"):
        services.return_create(order, actor=accountant, quantities={line.pk: Decimal(3)}, reason="Hỏng")
    returned = services.return_create(
        order, actor=accountant, quantities={line.pk: Decimal(1)}, reason="Máy lỗi khi nhận"
    )
    credit = returned.credit_invoice
    assert credit is not None and credit.is_credit and credit.original_id == issued.pk
    assert credit.total == line.amount / 2 + line.vat_amount / 2 == returned.total
    issued.refresh_from_db()
    assert issued.balance == issued.total - credit.total
    assert Event.objects.filter(type="return.created").count() == 1


def test_refund_voucher_for_a_paid_invoice_returned(issued, accountant, org, order):
    from sencrm.commerce.services import order_record_delivery

    receipt(accountant, issued, issued.total)
    line = order.lines.order_by("position").first()
    order_record_delivery(
        order, actor=org["sales1"], delivered_on=timezone.localdate(), quantities={line.pk: Decimal(2)}
    )
    returned = services.return_create(
        order, actor=accountant, quantities={line.pk: Decimal(1)}, reason="Đổi ý", refund_method="cash"
    )
    assert returned.refund is not None
    assert returned.refund.kind == PaymentKind.VOUCHER and returned.refund.amount == returned.total
    assert services.customer_credit(contact_id=issued.contact_id) == 0


def test_adjustment_and_replacement(issued, accountant):
    with pytest.raises(ValidationError):
        services.invoice_correct(
            issued, actor=accountant, kind="adjustment", lines=[], reason="", agreement_date=None
        )
    extra = services.invoice_correct(
        issued,
        actor=accountant,
        kind=InvoiceKind.ADJUSTMENT,
        lines=[{"description": "Bổ sung ống đồng", "quantity": 1, "unit_price": 1_000_000, "vat_rate": "10"}],
        reason="Thiếu vật tư",
        agreement_date=timezone.localdate(),
    )
    extra = services.invoice_issue(extra, actor=accountant)
    assert extra.balance == 1_100_000 and extra.original_id == issued.pk
    receipt(accountant, issued, 5_000_000)
    replacement = services.invoice_correct(
        issued,
        actor=accountant,
        kind=InvoiceKind.REPLACEMENT,
        lines=[{"description": "Điều hòa", "quantity": 1, "unit_price": 20_000_000, "vat_rate": "10"}],
        reason="Sai đơn giá",
        agreement_date=timezone.localdate(),
    )
    replacement = services.invoice_issue(replacement, actor=accountant)
    issued.refresh_from_db()
    assert issued.status == InvoiceStatus.REPLACED and issued.balance == 0
    assert replacement.paid_total == 5_000_000
    assert replacement.balance == replacement.total - 5_000_000
    assert replacement.status == InvoiceStatus.PARTLY_PAID


def test_an_issued_invoice_is_not_edited_nor_deleted(issued, accountant):
    with pytest.raises(ValidationError):
        services.invoice_update(issued, actor=accountant, data={"notes": "x"})
    with pytest.raises(ValidationError):
        services.invoice_delete(issued, actor=accountant)


def test_recurring_invoices_once_per_period(org, customer, catalogue, accountant):
    from sencrm.commerce.services import contract_create, contract_sign

    contract = contract_create(
        actor=org["sales1"],
        data={
            "name": "Bảo trì định kỳ",
            "contact": customer,
            "start_date": date(2026, 10, 15),
            "billing_schedule": "monthly",
        },
        lines=[{"product": catalogue["install"], "quantity": 1}],
    )
    contract = contract_sign(contract, actor=org["sales1"])
    today = date(2026, 12, 4)
    assert services.contracts_bill(today) == 1
    assert services.contracts_bill(today) == 0
    invoice = Invoice.objects.get(contract=contract)
    assert invoice.billing_period == date(2026, 11, 15) and invoice.status == InvoiceStatus.DRAFT
    assert services.contracts_bill(date(2027, 1, 2)) == 1
    assert Invoice.objects.filter(contract=contract).count() == 2


def test_allocations_sum_is_the_paid_total(issued, accountant):
    receipt(accountant, issued, 1_000_000)
    receipt(accountant, issued, 2_000_000)
    issued.refresh_from_db()
    assert sum(a.amount for a in Allocation.objects.filter(invoice=issued)) == issued.paid_total


def test_a_contract_with_an_end_date_bills_its_total_over_its_periods(org, customer, catalogue, accountant):
    from sencrm.commerce.services import contract_create, contract_sign

    contract = contract_create(
        actor=org["sales1"],
        data={
            "name": "Bảo trì 12 tháng",
            "contact": customer,
            "start_date": date(2026, 1, 10),
            "end_date": date(2027, 1, 9),
            "billing_schedule": "quarterly",
        },
        lines=[
            {"product": catalogue["install"], "quantity": 7, "unit_price": 333_333},
            {"description": "Vật tư", "quantity": 1, "unit_price": 1_000_001, "vat_rate": "10"},
        ],
    )
    contract = contract_sign(contract, actor=org["sales1"])
    periods = services.contract_periods(contract)
    assert periods == [date(2026, 1, 10), date(2026, 4, 10), date(2026, 7, 10), date(2026, 10, 10)]
    made = [services.contract_invoice(contract, p, issue_date=p) for p in periods]
    assert services.contract_invoice(contract, periods[0]) is None  # once
    assert sum(i.subtotal for i in made) == contract.subtotal
    assert all("/4)" in i.lines.first().description for i in made)
