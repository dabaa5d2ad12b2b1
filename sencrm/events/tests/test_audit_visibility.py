"""The audit trail and the journey name related records only to readers who may see them: an update
event stores the new account's name beside its id, and a reader outside that account's scope sees
"(not visible to you)" instead, on every page that shows changes, with a constant number of queries."""

from __future__ import annotations

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from sencrm.customers import services
from sencrm.customers.models import Contact
from sencrm.events import selectors

pytestmark = pytest.mark.django_db


@pytest.fixture
def moved(org, make_contact):
    """sales1's contact, which an administrator linked to sales2's account (another team)."""
    contact = make_contact(owner="sales1", full_name="Khách Của Bình", phones=["0912 300 400"])
    secret = services.account_create(actor=org["sales2"], data={"name": "Công ty Bí Mật"})
    mine = services.account_create(actor=org["sales1"], data={"name": "Công ty Của Tôi"})
    contact = services.contact_update(
        contact, actor=org["admin"], changes={"account": mine}, version=contact.version
    )
    services.contact_update(contact, actor=org["admin"], changes={"account": secret}, version=contact.version)
    return Contact.objects.get(pk=contact.pk)


def audit_url(contact):
    return reverse("events:audit", args=[ContentType.objects.get_for_model(Contact).pk, contact.pk])


def test_the_audit_page_hides_the_name_of_an_account_the_reader_may_not_see(client_as, moved):
    html = client_as("sales1").get(audit_url(moved)).content.decode()  # sales1 reads Vietnamese
    with translation.override("vi"):
        assert "Công ty Bí Mật" not in html and str(selectors.NOT_VISIBLE) in html
    assert "Công ty Của Tôi" in html  # the account they may see keeps its name
    assert "Công ty Bí Mật" in client_as("admin").get(audit_url(moved)).content.decode()


def test_the_journey_hides_it_too(org, moved):
    def shown(user) -> list[tuple[str, str]]:
        events, _next = selectors.customer_timeline(user=user, customer=moved)
        return [
            (str(c["old"]), str(c["new"])) for e in events for c in selectors.describe_changes(e, Contact)
        ]

    with translation.override("en"):
        assert ("Công ty Của Tôi", "(not visible to you)") in shown(org["sales1"])
        assert ("Công ty Của Tôi", "Công ty Bí Mật") in shown(org["admin"])


def test_one_query_per_related_model_whatever_the_page(org, moved):
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            events, _next = selectors.audit_trail(user=org["sales1"], obj=moved)
            for event in events:
                selectors.describe_changes(event, Contact)
        return len(queries)

    before = count()
    contact = Contact.objects.get(pk=moved.pk)
    for i in range(5):
        account = services.account_create(actor=org["sales2"], data={"name": f"Công ty {i}"})
        contact = services.contact_update(
            contact, actor=org["admin"], changes={"account": account}, version=contact.version
        )
    assert count() == before
