"""Each role's home page: the accountant's day, a salesperson's overdue invoices, the board's totals."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from sencrm.billing.models import Invoice
from sencrm.billing.tests.conftest import receipt

pytestmark = pytest.mark.django_db


def test_the_accountants_day(client_as, issued, accountant):
    Invoice.objects.filter(pk=issued.pk).update(due_date=timezone.localdate() + timedelta(days=3))
    page = client_as("accountant").get("/")
    assert page.status_code == 200
    text = page.content.decode()
    assert 'data-testid="accountant-day"' in text and issued.number in text
    assert 'data-testid="due-this-week"' in text


def test_overdue_on_the_salespersons_home_only_their_own(client_as, issued):
    Invoice.objects.filter(pk=issued.pk).update(due_date=timezone.localdate() - timedelta(days=10))
    assert issued.number in client_as("sales1").get("/").content.decode()
    assert issued.number not in client_as("sales2").get("/").content.decode()


def test_the_board_sees_totals_not_invoices(client_as, issued, accountant):
    receipt(accountant, issued, 1_000_000)
    text = client_as("board").get("/").content.decode()
    assert 'data-testid="board-money"' in text
    assert issued.number not in text
    assert "1,000,000" in text or "1.000.000" in text  # received this month


def test_the_customers_page_shows_their_balance_and_credit(client_as, issued, accountant):
    from decimal import Decimal

    from sencrm.billing import services

    services.payment_create(
        actor=accountant,
        data={"amount": issued.total + 500_000, "contact": issued.contact},
        allocations=[(issued, Decimal(1_000_000))],
    )
    text = client_as("sales1").get(issued.contact.get_absolute_url()).content.decode()
    assert 'data-testid="customer-money"' in text and issued.number in text
    assert 'data-testid="customer-credit"' in text
    # A role without billing sees no money panel on the same page.
    assert (
        'data-testid="customer-money"'
        not in client_as("care").get(issued.contact.get_absolute_url()).content.decode()
    )
