"""The attribution facts (sencrm/marketing/facts.py) follow every write that changes them, whatever the
door: after each change below, the facts kept by the services equal a rebuild from scratch."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from sencrm.billing.models import Payment, PaymentKind
from sencrm.customers.merge import contact_merge
from sencrm.customers.models import Contact
from sencrm.customers.services import contact_update
from sencrm.events.bulk import Change
from sencrm.events.services import record_bulk_update, record_delete, record_restore, record_update
from sencrm.marketing import facts
from sencrm.marketing.models import ReceiptFact
from sencrm.marketing.tests import attribution_data as make

pytestmark = pytest.mark.django_db

COLUMNS = (
    "payment_id", "owner_id", "team_id", "paid_at", "amount", "first_campaign_id", "latest_campaign_id",
    "source", "touch_at", "customer_created_at", "is_first",
)  # fmt: skip


def kept() -> list[tuple]:
    return list(ReceiptFact.objects.order_by("payment_id").values_list(*COLUMNS))


def assert_same_as_a_rebuild() -> list[tuple]:
    before = kept()
    facts.rebuild()
    assert kept() == before
    return before


def test_every_receipt_has_its_fact_and_vouchers_none(org, book):
    rows = assert_same_as_a_rebuild()
    receipts = Payment.objects.filter(kind=PaymentKind.RECEIPT)
    assert [r[0] for r in rows] == sorted(receipts.values_list("pk", flat=True))
    assert not ReceiptFact.objects.filter(payment__kind=PaymentKind.VOUCHER).exists()
    a = {
        r[0]: r for r in rows if r[0] in set(receipts.filter(contact=book["a"]).values_list("pk", flat=True))
    }
    # Khách A: two receipts, the earlier is the first; the campaign and touch are the contact's.
    assert sorted(r[10] for r in a.values()) == [False, True]
    assert {r[5] for r in a.values()} == {book["fb"].pk}
    assert {r[8] for r in a.values()} == {make.at("2026-03-05")}


def test_a_change_to_the_customers_touch_data_rewrites_its_facts(org, book):
    contact = Contact.objects.get(pk=book["a"].pk)
    contact_update(
        contact,
        actor=org["admin"],
        changes={"first_campaign": book["gg"], "first_touch_at": make.at("2026-01-10")},
        version=contact.version,
    )
    rows = assert_same_as_a_rebuild()
    mine = [r for r in rows if Payment.objects.get(pk=r[0]).contact_id == contact.pk]
    assert {(r[5], r[8]) for r in mine} == {(book["gg"].pk, make.at("2026-01-10"))}


def test_a_bulk_update_rewrites_the_facts_too(org, book):
    contact = Contact.objects.get(pk=book["b"].pk)
    result = record_bulk_update(
        Contact,
        actor=org["admin"],
        changes=[Change(ref=1, record_id=contact.pk, values={"latest_campaign_id": book["fb"].pk})],
    )
    assert [pk for _ref, pk in result.updated] == [contact.pk]
    rows = assert_same_as_a_rebuild()
    assert {r[6] for r in rows if Payment.objects.get(pk=r[0]).contact_id == contact.pk} == {book["fb"].pk}


def test_a_trashed_first_receipt_hands_over_to_the_next_and_comes_back(org, book):
    a = book["a"]
    first, second = Payment.objects.filter(contact=a, kind=PaymentKind.RECEIPT).order_by("paid_at")
    record_delete(first, actor=org["admin"])
    assert not ReceiptFact.objects.filter(payment=first).exists()
    assert Contact.all_objects.get(pk=a.pk).first_receipt_id == second.pk
    assert ReceiptFact.objects.get(payment=second).is_first
    assert_same_as_a_rebuild()

    record_restore(Payment.all_objects.get(pk=first.pk), actor=org["admin"])
    assert Contact.all_objects.get(pk=a.pk).first_receipt_id == first.pk
    assert ReceiptFact.objects.get(payment=first).is_first
    assert not ReceiptFact.objects.get(payment=second).is_first
    assert_same_as_a_rebuild()


def test_a_receipt_moved_to_another_team_moves_in_the_scope(org, book):
    receipt = Payment.objects.filter(contact=book["c"], kind=PaymentKind.RECEIPT).first()
    record_update(
        receipt, actor=org["admin"], changes={"owner": org["sales1"], "team": org["sales1"].teams.first()},
        version=receipt.version,
    )  # fmt: skip
    fact = ReceiptFact.objects.get(payment=receipt)
    assert (fact.owner_id, fact.team_id) == (org["sales1"].pk, org["sales1"].teams.first().pk)
    assert_same_as_a_rebuild()


def test_a_merge_gives_the_survivor_the_losers_earlier_first_receipt(org, book):
    survivor, loser = Contact.objects.get(pk=book["b"].pk), Contact.objects.get(pk=book["a"].pk)
    losers_first = Contact.all_objects.get(pk=loser.pk).first_receipt_id
    contact_merge(actor=org["admin"], survivor=survivor, loser=loser)
    survivor = Contact.all_objects.get(pk=survivor.pk)
    assert survivor.first_receipt_id == losers_first  # 30/03 comes before the survivor's 15/04
    assert Contact.all_objects.get(pk=loser.pk).first_receipt_id is None
    rows = assert_same_as_a_rebuild()
    moved = [r for r in rows if Payment.objects.get(pk=r[0]).contact_id == survivor.pk]
    assert len(moved) == 3 and sum(r[10] for r in moved) == 1
    assert {r[5] for r in moved} == {survivor.first_campaign_id}


def test_the_rebuild_command_writes_every_fact(org, book, capsys):
    ReceiptFact.objects.all().delete()
    call_command("attribution_rebuild")
    assert capsys.readouterr().out.strip() == "7 receipts"
    assert ReceiptFact.objects.count() == 7
