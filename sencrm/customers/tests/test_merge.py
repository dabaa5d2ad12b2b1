"""Merging contacts: nothing lost, nothing left pointing at the loser, on the timeline, through the gate."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from sencrm.activities import services as activity_services
from sencrm.customers import services
from sencrm.customers.merge import contact_merge
from sencrm.customers.models import Contact, Tag
from sencrm.events import selectors as event_selectors
from sencrm.events.models import Event


@pytest.fixture
def pair(org, hanoi):
    vip, zalo = Tag.objects.create(name="VIP"), Tag.objects.create(name="Zalo")
    survivor = services.contact_create(
        actor=org["sales1"],
        data={"full_name": "Nguyễn Thị Ánh Tuyết", "province": hanoi},
        phones=["0912 345 678"],
        emails=["tuyet@example.vn"],
        tags=[vip],
        consents={"email": {"granted": True, "source": "form"}},
    )
    loser = services.contact_create(
        actor=org["sales1"],
        data={
            "full_name": "Nguyen Thi Anh Tuyet",
            "title": "Chủ nhà hàng",
            "first_touch_at": timezone.now() - dt.timedelta(days=40),
        },
        phones=["+84 912 345 678", "0987 000 111"],
        emails=["TUYET@example.vn", "anh.tuyet@gmail.com"],
        tags=[vip, zalo],
        consents={"zalo": {"granted": True, "source": "Zalo"}},
    )
    activity_services.activity_create(
        actor=org["sales1"],
        data={
            "kind": "call",
            "subject": "Cuộc gọi của bản trùng",
            "status": "done",
            "contact": loser,
            "due_at": timezone.now(),
        },
    )
    return survivor, loser


def test_the_survivor_keeps_everything_of_both(org, pair):
    survivor, loser = pair
    merged = contact_merge(actor=org["sales1"], survivor=survivor, loser=loser)
    assert sorted(merged.phones.values_list("e164", flat=True)) == ["+84912345678", "+84987000111"]
    assert sorted(merged.emails.values_list("address_key", flat=True)) == [
        "anh.tuyet@gmail.com",
        "tuyet@example.vn",
    ]
    assert sorted(merged.tags.values_list("name", flat=True)) == ["VIP", "Zalo"]
    assert sorted(merged.consents.values_list("channel", flat=True)) == ["email", "zalo"]
    assert merged.title == "Chủ nhà hàng" and merged.first_touch_at is not None  # filled from the loser
    assert merged.full_name == "Nguyễn Thị Ánh Tuyết"  # never overwritten
    assert merged.activities.get().subject == "Cuộc gọi của bản trùng"
    tomb = Contact.all_objects.get(pk=loser.pk)
    assert tomb.deleted_at is not None and tomb.merged_into_id == merged.pk


def test_no_row_points_at_the_loser_after_a_merge(org, pair):
    survivor, loser = pair
    contact_merge(actor=org["sales1"], survivor=survivor, loser=loser)
    # Every relation, those without a reverse accessor too (invoices, payments…); not `merged_into`.
    for rel in Contact._meta.get_fields(include_hidden=True):
        if not (rel.auto_created and not rel.concrete and rel.is_relation) or rel.many_to_many:
            continue
        if rel.related_model is Contact:
            continue
        assert not rel.related_model._base_manager.filter(**{rel.field.name: loser.pk}).exists(), rel


def test_payments_and_audiences_move_and_the_first_payment_follows(org, pair):
    from sencrm.billing.services import payment_create
    from sencrm.marketing.models import CampaignMember
    from sencrm.marketing.tests import attribution_data as make

    survivor, loser = pair
    receipt = payment_create(actor=org["accountant"], data={"amount": 5_000_000, "contact": loser})
    fair, zalo = (
        make.campaign(org["marketing"], "Hội chợ", "event"),
        make.campaign(org["marketing"], "OA", "zalo"),
    )
    for contact in (survivor, loser):
        CampaignMember.objects.create(campaign=fair, contact=contact)
    CampaignMember.objects.create(campaign=zalo, contact=loser)

    merged = contact_merge(actor=org["sales1"], survivor=survivor, loser=loser)
    receipt.refresh_from_db()
    assert receipt.contact_id == merged.pk
    assert Contact.all_objects.get(pk=merged.pk).first_receipt_id == receipt.pk
    assert Contact.all_objects.get(pk=loser.pk).first_receipt_id is None
    members = CampaignMember.objects.filter(contact=merged).values_list("campaign__name", flat=True)
    assert sorted(members) == ["Hội chợ", "OA"]  # the shared campaign once


def test_the_merge_is_on_the_timeline_with_both_journeys(org, pair):
    survivor, loser = pair
    contact_merge(actor=org["sales1"], survivor=survivor, loser=loser)
    events, _ = event_selectors.customer_timeline(user=org["sales1"], customer=survivor, limit=50)
    types = [e.type for e in events]
    assert "contact.merged" in types and "activity.created" in types
    assert types.count("contact.created") == 2  # the loser's own creation moved over
    merged = Event.objects.get(type="contact.merged")
    assert merged.data["merged"]["id"] == loser.pk and merged.data["phones"] == ["0987 000 111"]


def test_merge_needs_rights_on_both(org, pair, make_contact):
    survivor, _loser = pair
    other_team = make_contact(owner="sales2", full_name="Khác đội", phones=["0966 000 111"])
    with pytest.raises(Http404):
        contact_merge(actor=org["sales1"], survivor=survivor, loser=other_team)
    assert Contact.objects.filter(pk=other_team.pk).exists()
    with pytest.raises(ValidationError):
        contact_merge(actor=org["sales1"], survivor=survivor, loser=survivor)


def test_merge_through_the_pages(client_as, pair):
    survivor, loser = pair
    client = client_as("sales1")
    page = client.get(reverse("customers:contact_merge", args=[survivor.pk])).content.decode()
    assert "Nguyen Thi Anh Tuyet" in page  # suggested as a likely duplicate
    preview = client.get(reverse("customers:contact_merge", args=[survivor.pk]), {"other": loser.pk})
    assert "0987 000 111" in preview.content.decode()
    done = client.post(reverse("customers:contact_merge", args=[survivor.pk]), {"loser": loser.pk})
    assert done.status_code == 302 and not Contact.objects.filter(pk=loser.pk).exists()


def test_merge_through_the_api(client_as, pair, make_contact):
    survivor, loser = pair
    client = client_as("sales1")
    other_team = make_contact(owner="sales2", full_name="Khác đội", phones=["0966 000 111"])
    url = f"/api/v1/contacts/{survivor.pk}/merge/"
    assert client.post(url, {"loser": other_team.pk}, content_type="application/json").status_code == 404
    assert client.post(url, {"loser": "x"}, content_type="application/json").status_code == 400
    response = client.post(url, {"loser": loser.pk}, content_type="application/json")
    assert response.status_code == 200 and len(response.json()["phones"]) == 2
