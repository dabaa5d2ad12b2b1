"""Fixtures for billing: the commerce catalogue and a confirmed, delivered order of sales1."""

from __future__ import annotations

from decimal import Decimal

import pytest

from sencrm.commerce.tests.conftest import catalogue, customer, deal  # noqa: F401  (shared fixtures)


@pytest.fixture
def order(org, catalogue, customer):  # noqa: F811
    from sencrm.commerce.services import order_confirm, order_create

    sales1 = org["sales1"]
    made = order_create(
        actor=sales1,
        data={"contact": customer},
        lines=[
            {"product": catalogue["split"], "quantity": 2, "unit_price": 12_000_000},
            {"product": catalogue["install"], "quantity": 2, "unit_price": 500_000},
        ],
    )
    return order_confirm(made, actor=sales1)


@pytest.fixture
def accountant(org):
    return org["accountant"]


@pytest.fixture
def issued(order, accountant):
    from sencrm.billing.services import invoice_from_order, invoice_issue

    invoice = invoice_from_order(order, actor=accountant)
    return invoice_issue(invoice, actor=accountant)


def receipt(actor, invoice, amount, **data):
    from sencrm.billing.services import payment_create

    return payment_create(
        actor=actor,
        data={"amount": Decimal(amount), "contact": invoice.contact, **data},
        allocations=[(invoice, Decimal(amount))] if amount else [],
    )


@pytest.fixture(autouse=True)
def _english(request):
    """The billing tests read messages in English (the services' source text): services under
    translation.override, pages as users whose language is English. The Vietnamese pages are checked
    by test_vietnamese_messages and the browser test; the catalogue by core's translation test."""
    from django.utils import translation

    if "vietnamese" in request.node.name:
        yield
        return
    if "db" in request.fixturenames or request.node.get_closest_marker("django_db"):
        request.getfixturevalue("org")
        from sencrm.users.models import User

        User.objects.update(language="en")
    with translation.override("en"):
        yield
