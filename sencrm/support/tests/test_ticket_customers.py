"""A technician reads only their own customers, plus the customers of the tickets assigned to them (second
line): the names on their tickets are not hidden from them, and nobody else's reach changes."""

from __future__ import annotations

import pytest

from sencrm.core import access
from sencrm.customers.models import Account, Contact
from sencrm.support.models import Ticket

pytestmark = pytest.mark.django_db


def test_the_technician_reads_the_customers_of_their_tickets_only(org, make_contact):
    tech, sales1 = org["tech"], org["sales1"]
    company = Account.objects.create(owner=sales1, name="Công ty TNHH Điện lạnh Bắc Hà")
    theirs = make_contact(full_name="Nguyễn Văn Tuấn", phones=("0912 000 111",))
    Contact.objects.filter(pk=theirs.pk).update(account=company)
    other = make_contact(full_name="Trần Thị Hoa", phones=("0912 000 222",))
    Ticket.objects.create(
        owner=tech, number="SC-T-1", subject="Máy không lạnh", contact=theirs, account=company
    )
    Ticket.objects.create(owner=org["care"], number="SC-T-2", subject="Khác", contact=other)

    assert set(access.scope(tech, Contact).values_list("pk", flat=True)) == {theirs.pk}
    assert list(access.scope(tech, Account).values_list("pk", flat=True)) == [company.pk]
    assert access.in_scope(tech, "view", theirs) and not access.in_scope(tech, "view", other)
    assert not access.in_scope(tech, "edit", theirs)  # reading only: the role grants no edit
    # Salespeople keep their own customers and nothing more.
    assert set(access.scope(sales1, Contact).values_list("pk", flat=True)) == {theirs.pk, other.pk} & set(
        Contact.objects.filter(owner=sales1).values_list("pk", flat=True)
    )
