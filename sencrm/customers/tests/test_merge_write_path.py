"""A merge goes through the write path: each moved record and the loser's deletion are events, old events are
never rewritten, the survivor's timeline reads the loser's past through the merge, and nothing is lost."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from sencrm.activities import services as activity_services
from sencrm.customers import services
from sencrm.customers.merge import contact_merge
from sencrm.customers.models import Contact, Tag
from sencrm.customfields.models import CustomField
from sencrm.events import selectors as event_selectors
from sencrm.events.models import Event
from sencrm.events.tests.log import log_rows
from sencrm.sales import services as sales_services


def _timeline_types(user, customer) -> list[str]:
    events, _more = event_selectors.customer_timeline(user=user, customer=customer, limit=200)
    return [e.type for e in events]


@pytest.fixture
def brand(db):
    ct = ContentType.objects.get_for_model(Contact)
    CustomField.objects.create(
        content_type=ct, key="brand", label="Hãng", type="choice", options=["Daikin", "LG"]
    )
    CustomField.objects.create(content_type=ct, key="btu", label="Công suất (BTU)", type="number")


@pytest.fixture
def story(org, hanoi, brand):
    """A survivor and a duplicate that has a history: a lead converted into it, a call, a deal, consents
    answered at different times, tags and custom field values."""
    sales1 = org["sales1"]
    vip, zalo = Tag.objects.create(name="VIP"), Tag.objects.create(name="Zalo")
    long_ago = timezone.now() - dt.timedelta(days=90)
    survivor = services.contact_create(
        actor=sales1,
        data={"full_name": "Nguyễn Thị Ánh Tuyết", "province": hanoi, "custom_field_data": {"btu": 12000}},
        phones=["0912 345 678"],
        emails=["tuyet@example.vn"],
        tags=[vip],
        consents={
            "email": {"granted": True, "source": "Phiếu showroom", "at": long_ago},
            "sms": {"granted": True, "source": "Phiếu showroom", "at": long_ago},
        },
    )
    lead = sales_services.lead_create(
        actor=sales1,
        data={"full_name": "Nguyen Thi Anh Tuyet", "company": ""},
        phones=["0987 000 111"],
        consents={"zalo": {"granted": True, "source": "Zalo OA"}},
    )
    lead_call = activity_services.activity_create(
        actor=sales1, data={"kind": "call", "subject": "Gọi lần đầu", "lead": lead, "status": "done"}
    )
    loser = sales_services.lead_convert(lead, actor=sales1, create_account=False).contact
    loser = services.contact_update(
        loser,
        actor=sales1,
        changes={"title": "Chủ nhà hàng", "custom_field_data": {"brand": "Daikin", "btu": 9000}},
        version=None,
        emails=["anh.tuyet@gmail.com", "TUYET@example.vn"],
        tags=[vip, zalo],
        # A later answer than the survivor's (a refusal by SMS), and one the survivor never gave.
        consents={"sms": {"granted": False, "source": "Gọi điện từ chối"}},
    )
    call = activity_services.activity_create(
        actor=org["manager"],
        data={"kind": "call", "subject": "Cuộc gọi của bản trùng", "contact": loser, "status": "done"},
    )
    deal = sales_services.opportunity_create(
        actor=sales1, data={"name": "Điều hòa nhà hàng", "contact": loser}
    )
    return {
        "survivor": survivor,
        "loser": loser,
        "lead": lead,
        "lead_call": lead_call,
        "call": call,
        "deal": deal,
    }


def test_no_event_is_rewritten_and_the_survivor_reads_the_losers_past(org, story):
    survivor, loser = story["survivor"], story["loser"]
    before = log_rows()
    loser_past = _timeline_types(org["sales1"], loser)
    assert {"lead.created", "activity.created", "contact.created", "opportunity.created"} <= set(loser_past)

    contact_merge(actor=org["sales1"], survivor=survivor, loser=loser)

    after = log_rows()
    assert {pk: after[pk] for pk in before} == before  # the log only grew
    journey = _timeline_types(org["sales1"], survivor)
    # The loser's whole past (its own creation, the lead it came from and that lead's call) is there…
    for event_type in set(loser_past):
        assert journey.count(event_type) >= loser_past.count(event_type), event_type
    assert journey.count("contact.created") == 2 and "lead.created" in journey
    assert {"contact.merged", "contact.merged_away", "contact.deleted"} <= set(journey)
    # …once each, newest first by when it happened.
    events, _more = event_selectors.customer_timeline(user=org["sales1"], customer=survivor, limit=200)
    assert len({e.pk for e in events}) == len(events)
    assert [e.occurred_at for e in events] == sorted((e.occurred_at for e in events), reverse=True)


def test_every_move_and_the_deletion_are_events(org, story):
    survivor, loser = story["survivor"], story["loser"]
    contact_merge(actor=org["sales1"], survivor=survivor, loser=loser)

    def moves(obj, field):
        return [
            e.data["changes"][field]
            for e in Event.objects.filter(
                type=f"{obj._meta.model_name}.updated",
                subject_type=ContentType.objects.get_for_model(obj),
                subject_id=obj.pk,
                data__changes__has_key=field,
            )
        ]

    assert moves(story["deal"], "contact") == [[loser.pk, survivor.pk]]
    assert moves(story["lead"], "converted_contact") == [[loser.pk, survivor.pk]]
    call_moves = Event.objects.filter(type="activity.updated", subject_id=story["call"].pk)
    assert [e.data["changes"]["contact"] for e in call_moves] == [[loser.pk, survivor.pk]]
    assert call_moves.get().customer_id == survivor.pk  # on the survivor's journey
    # The loser hands its rows over on its own history, then goes to the trash through record_delete.
    handed = Event.objects.get(
        type="contact.updated", subject_id=loser.pk, data__changes__has_key="merged_into"
    )
    assert handed.data["changes"]["merged_into"] == [None, survivor.pk]
    assert handed.data["changes"]["phones"] == [["0987 000 111"], []]
    deleted = Event.objects.get(type="contact.deleted", subject_id=loser.pk)
    assert deleted.data["record"]["merged_into"] == survivor.pk
    merged = Event.objects.get(type="contact.merged")
    assert merged.subject_id == survivor.pk and merged.data["merged"]["id"] == loser.pk
    calls = sorted([story["lead_call"].pk, story["call"].pk])
    assert merged.data["moved"]["activities.Activity"] == {"count": 2, "ids": calls}
    assert merged.data["moved"]["sales.Opportunity"] == {"count": 1, "ids": [story["deal"].pk]}
    assert merged.data["moved"]["sales.Lead"] == {"count": 1, "ids": [story["lead"].pk]}
    assert merged.data["emails"] == ["anh.tuyet@gmail.com"] and merged.data["phones"] == ["0987 000 111"]
    assert merged.data["consents"] == ["sms", "zalo"] and merged.data["tags"] == ["Zalo"]
    assert merged.data["custom_fields"] == ["brand"]


def test_nothing_is_lost(org, story):
    survivor, loser = story["survivor"], story["loser"]
    merged = contact_merge(actor=org["sales1"], survivor=survivor, loser=loser)
    merged = Contact.objects.get(pk=merged.pk)
    assert sorted(merged.phones.values_list("e164", flat=True)) == ["+84912345678", "+84987000111"]
    assert sorted(merged.emails.values_list("address_key", flat=True)) == [
        "anh.tuyet@gmail.com",
        "tuyet@example.vn",
    ]
    assert sorted(merged.tags.values_list("name", flat=True)) == ["VIP", "Zalo"]
    consents = {c.channel: c for c in merged.consents.all()}
    assert sorted(consents) == ["email", "sms", "zalo"]
    assert consents["email"].granted and consents["email"].source == "Phiếu showroom"  # its own stays
    assert (
        not consents["sms"].granted and consents["sms"].source == "Gọi điện từ chối"
    )  # the newer answer wins
    assert consents["zalo"].granted and consents["zalo"].source == "Zalo OA"  # the lead's, with its date
    assert consents["zalo"].recorded_at == story["lead"].consents.get().recorded_at
    # Custom values: the survivor's own are kept, the ones it lacked are taken.
    assert merged.custom_field_data == {"btu": "12000", "brand": "Daikin"}
    assert merged.title == "Chủ nhà hàng"
    assert set(merged.activities.values_list("pk", flat=True)) == {story["call"].pk, story["lead_call"].pk}
    assert list(merged.opportunities.values_list("pk", flat=True)) == [story["deal"].pk]
    assert list(merged.source_leads.values_list("pk", flat=True)) == [story["lead"].pk]
    tomb = Contact.all_objects.get(pk=loser.pk)
    assert tomb.is_deleted and tomb.merged_into_id == merged.pk
    assert tomb.custom_field_data == {"brand": "Daikin", "btu": "9000"}  # the tombstone keeps its own fields
    for rel in Contact._meta.related_objects:
        if not rel.many_to_many:
            assert not rel.related_model._base_manager.filter(**{rel.field.name: loser.pk}).exists(), rel


def test_a_chain_of_merges_keeps_every_journey(org, make_contact):
    first = make_contact(full_name="Lê Văn Một", phones=["0901 000 001"])
    second = make_contact(full_name="Lê Văn Hai", phones=["0901 000 002"])
    third = make_contact(full_name="Lê Văn Ba", phones=["0901 000 003"])
    contact_merge(actor=org["sales1"], survivor=second, loser=first)
    contact_merge(actor=org["sales1"], survivor=third, loser=second)
    events, _more = event_selectors.customer_timeline(user=org["sales1"], customer=third, limit=200)
    created = {e.subject_id for e in events if e.type == "contact.created"}
    assert created == {first.pk, second.pk, third.pk}
    assert sorted(Contact.objects.get(pk=third.pk).phones.values_list("e164", flat=True)) == [
        "+84901000001",
        "+84901000002",
        "+84901000003",
    ]


def test_a_colleagues_record_on_the_duplicate_moves_too(org, make_contact):
    """The merge re-points every record as a rule of the merge, whoever owns it (the actor may not edit a
    manager's call), and the survivor's owner does not change."""
    survivor = make_contact(full_name="Phan Thị Hoa", phones=["0902 000 001"])
    loser = make_contact(full_name="Phan Thi Hoa", phones=["0902 000 002"])
    call = activity_services.activity_create(
        actor=org["manager"],
        data={"kind": "call", "subject": "Gọi chăm sóc", "contact": loser, "status": "done"},
    )
    merged = contact_merge(actor=org["sales1"], survivor=survivor, loser=loser)
    call.refresh_from_db()
    assert call.contact_id == merged.pk and call.owner == org["manager"]
    assert merged.owner == org["sales1"]
