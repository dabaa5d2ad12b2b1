"""A completed deletion request leaves no personal data of the person in any table — the event log,
notifications and webhook deliveries included — while revenue, invoice totals and counts stay."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.apps import apps
from django.db import models
from django.db.models import Sum

from sencrm.core.text import fold
from sencrm.privacy.anonymise import Scrubber
from sencrm.privacy.tests.conftest import EMAIL, NAME

pytestmark = pytest.mark.django_db

DIGITS = "912000111"


def _leaves(value):
    if isinstance(value, dict):
        for item in value.values():
            yield from _leaves(item)
    elif isinstance(value, list):
        for item in value:
            yield from _leaves(item)
    elif value is not None:
        yield str(value)


def leaks() -> list[str]:
    """Every text or JSON value of every row of every model that still holds the name (as written or
    folded), the phone number in any format, or the email address."""
    found = []
    for model in apps.get_models():
        fields = [
            f.attname
            for f in model._meta.concrete_fields
            if isinstance(f, models.CharField | models.TextField | models.JSONField)
        ]
        if not fields:
            continue
        for row in model._base_manager.values_list("pk", *fields):
            for name, value in zip(fields, row[1:], strict=True):
                for text in _leaves(value):
                    if (
                        NAME.casefold() in text.casefold()
                        or "nguyen thi an danh" in fold(text)
                        or DIGITS in re.sub(r"\D", "", text)
                        or EMAIL in text.casefold()
                    ):
                        found.append(f"{model._meta.label}#{row[0]}.{name}: {text[:120]}")
    return found


def totals() -> dict[str, object]:
    from sencrm.billing.models import Invoice, Payment

    counts = {m._meta.label: m._base_manager.count() for m in apps.get_models() if m._meta.app_label in {
        "customers", "sales", "activities", "commerce", "billing", "marketing", "privacy"}}  # fmt: skip
    # Rows that are the person's identifiers go; everything that counts for a report stays.
    for label in ("customers.Phone", "customers.Email", "customers.Consent", "sales.LeadPhone",
                  "sales.LeadEmail", "sales.LeadConsent", "customers.ConsentRecord"):  # fmt: skip
        counts.pop(label)
    return {
        "receipts": Payment.objects.aggregate(s=Sum("amount"))["s"],
        "invoiced": Invoice.objects.aggregate(s=Sum("total"))["s"],
        "paid": Invoice.objects.aggregate(s=Sum("paid_total"))["s"],
        **counts,
    }


def test_a_completed_deletion_leaves_no_personal_data_anywhere_and_the_totals_unchanged(org, person):
    from sencrm.customers.models import ConsentRecord, Contact
    from sencrm.events.models import Event
    from sencrm.privacy.services import request_acknowledge, request_complete, request_create

    marketing = org["marketing"]
    request = request_create(
        actor=marketing,
        data={
            "contact": person,
            "kind": "deletion",
            "channel": f"email from {EMAIL}",
            "details": f"{NAME} (0912000111) asks to delete everything",
        },
    )
    request_acknowledge(request, actor=marketing)
    assert len(leaks()) > 20  # the set-up really spread her data (sanity check of the walk)
    before = totals()
    ledger_before = ConsentRecord.objects.filter(contact=person).count()

    done = request_complete(request, actor=marketing, outcome="Deleted as asked.")

    assert done.status == "completed"
    assert leaks() == []
    assert totals() == before
    assert before["receipts"] > Decimal(0)
    contact = Contact.all_objects.get(pk=person.pk)
    assert contact.full_name == f"Đã ẩn danh #{person.pk}"
    assert (contact.street, contact.notes, contact.date_of_birth, contact.primary_phone) == ("", "", None, "")
    assert contact.province_id is not None  # reports by province still count her
    # The ledger keeps its rows and gains the withdrawal of what was still given, naming the request.
    ledger = ConsentRecord.objects.filter(contact=person).order_by("at", "id")
    assert ledger.count() > ledger_before
    latest = {(row.channel, row.purpose): row for row in ledger}
    assert {("email", "marketing"), ("sms", "care")} <= latest.keys()
    assert all(not row.granted and row.evidence == request.number for row in latest.values())
    # The log's entry that the deletion happened.
    anonymised = Event.objects.get(type="contact.anonymised", subject_id=person.pk)
    assert anonymised.data["request"] == request.number
    assert Event.objects.filter(type="lead.anonymised").count() == 1


def test_anonymising_twice_changes_nothing_more(org, person):
    from sencrm.privacy.anonymise import person_anonymise

    admin = org["admin"]
    person_anonymise(actor=admin, contact=person)
    first = totals()
    again = person_anonymise(actor=admin, contact=person)
    assert {k: v for k, v in again.items() if k != "events.event"} == {}
    assert totals() == first
    assert leaks() == []


def test_anonymising_needs_the_privacy_edit_right(org, person):
    from django.core.exceptions import PermissionDenied

    from sencrm.privacy.anonymise import person_anonymise

    for username in ("sales1", "care", "manager"):  # care registers requests, no more; managers none
        with pytest.raises(PermissionDenied):
            person_anonymise(actor=org[username], contact=person)
    assert leaks() != []
    person_anonymise(actor=org["admin"], contact=person)
    assert leaks() == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Gọi 0912 000 111 hoặc +84 912.000.111", "Gọi *** hoặc ***"),
        ("CK NGUYEN THI AN DANH 500000", "CK Đã ẩn danh #1 500000"),
        ("Chị nguyễn  thị ẩn danh.", "Chị Đã ẩn danh #1."),  # any case, a run of spaces
        ("Số 09120001119 khác", "Số 09120001119 khác"),  # a longer number is another number
        ("Mail AN.DANH@example.vn", "Mail Đã ẩn danh #1"),
    ],
)
def test_the_scrubber_finds_the_values_in_any_form(text, expected):
    scrubber = Scrubber(texts=[NAME, EMAIL], phones=["0912000111"], label="Đã ẩn danh #1")
    assert scrubber.text(text) == expected
