"""Balances under any sequence of payments, allocations, credits and returns; and under concurrency."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sencrm.billing import balances, services
from sencrm.billing.models import Allocation, Invoice, InvoiceKind, InvoiceStatus, Payment


def _check(invoice: Invoice) -> None:
    """The one definition, checked against the stored copy: balance = total − allocations ≥ 0,
    never a negative allocation, paid iff nothing is owed."""
    invoice.refresh_from_db()
    allocated = Allocation.objects.filter(invoice=invoice).aggregate(s=Sum("amount"))["s"] or Decimal(0)
    assert not Allocation.objects.filter(amount__lte=0).exists()
    assert invoice.paid_total == allocated
    if invoice.status != InvoiceStatus.REPLACED:
        assert invoice.balance == invoice.total - allocated >= 0
        assert (invoice.status == InvoiceStatus.PAID) == (invoice.balance == 0)
    for payment in Payment.objects.all():
        assert payment.allocated_total == sum(a.amount for a in payment.allocations.all()) <= payment.amount


STEPS = st.lists(
    st.tuples(
        st.sampled_from(["pay", "overpay", "credit", "allocate_credit", "too_much"]),
        st.integers(min_value=1, max_value=30_000_000),
    ),
    min_size=1,
    max_size=8,
)


@pytest.mark.django_db
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=STEPS)
def test_balance_is_total_minus_allocations_whatever_happens(steps, order, accountant):
    from django.db import transaction

    with transaction.atomic():
        invoice = services.invoice_issue(
            services.invoice_from_order(order, actor=accountant), actor=accountant
        )
        credit_payment = None
        for kind, amount in steps:
            invoice.refresh_from_db()
            balance = invoice.balance
            try:
                if kind == "pay" and balance:
                    part = min(amount, balance)
                    services.payment_create(
                        actor=accountant,
                        data={"amount": part, "contact": invoice.contact},
                        allocations=[(invoice, part)],
                    )
                elif kind == "overpay":
                    credit_payment = services.payment_create(
                        actor=accountant,
                        data={"amount": amount, "contact": invoice.contact},
                        allocations=[(invoice, min(amount, balance))] if balance else [],
                    )
                elif kind == "credit":
                    note = services.invoice_correct(
                        invoice,
                        actor=accountant,
                        kind=InvoiceKind.ADJUSTMENT,
                        decrease=True,
                        lines=[
                            {"description": "Giảm giá", "quantity": 1, "unit_price": amount, "vat_rate": "0"}
                        ],
                        reason="Giảm giá sau bán",
                        agreement_date=invoice.issue_date,
                    )
                    services.invoice_issue(note, actor=accountant)
                elif kind == "allocate_credit" and credit_payment is not None:
                    credit_payment.refresh_from_db()
                    part = min(credit_payment.unallocated, balance)
                    if part:
                        services.payment_allocate(
                            credit_payment, actor=accountant, allocations=[(invoice, part)]
                        )
                elif kind == "too_much":
                    with pytest.raises(ValidationError), transaction.atomic():
                        services.payment_create(
                            actor=accountant,
                            data={"amount": balance + amount, "contact": invoice.contact},
                            allocations=[(invoice, balance + amount)],
                        )
            except ValidationError:
                if kind != "too_much":
                    raise
            _check(invoice)
        transaction.set_rollback(True)


@pytest.mark.django_db(transaction=True)
def test_two_receipts_at_once_never_over_allocate(order, accountant):
    invoice = services.invoice_issue(services.invoice_from_order(order, actor=accountant), actor=accountant)
    part = invoice.total // 2 + 1  # two of them are more than the balance
    barrier = threading.Barrier(2)
    results: list[str] = []

    def pay() -> None:
        try:
            barrier.wait(timeout=10)
            services.payment_create(
                actor=accountant,
                data={"amount": part, "contact": invoice.contact},
                allocations=[(invoice, part)],
            )
            results.append("ok")
        except ValidationError:
            results.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=pay) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(results) == ["ok", "refused"]
    invoice.refresh_from_db()
    assert invoice.paid_total == part and invoice.balance == invoice.total - part
    assert balances.allocated_to(invoice.pk) == part
    assert Payment.objects.count() == 1  # the refused receipt rolled back whole
