"""Consent enforcement on campaign audiences: a contact without a current consent for the campaign's channel
and marketing is a member but is never reached (lists, the CSV export), even when a bulk action added it."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse

from sencrm.customers import ledger, services
from sencrm.customers.models import Contact, Tag
from sencrm.events.models import Event
from sencrm.marketing import audience
from sencrm.marketing.models import CampaignMember

XSS = '"><img src=x onerror=alert(1)>'


@pytest.fixture
def people(org, make_contact):
    """Three of sales1's contacts: one consented to Zalo marketing, one never asked, one who withdrew."""
    yes = make_contact(full_name="Đồng Ý Zalo", phones=["0912 000 001"])
    never = make_contact(full_name=f"Chưa hỏi {XSS}", phones=["0912 000 002"])
    withdrew = make_contact(full_name="Đã rút", phones=["0912 000 003"])
    for person in (yes, withdrew):
        services.contact_update(
            person, actor=org["sales1"], changes={}, version=None, consents={"zalo": {"granted": True}}
        )
    services.contact_update(
        withdrew, actor=org["sales1"], changes={}, version=None, consents={"zalo": {"granted": False}}
    )
    # Consent for another channel or purpose does not count for a Zalo marketing campaign.
    ledger.consent_append(person=never, channel="email", granted=True, source="form")
    ledger.consent_append(person=never, channel="zalo", purpose="care", granted=True, source="call")
    return {"yes": yes, "never": never, "withdrew": withdrew}


@pytest.fixture
def campaign(make_campaign):
    return make_campaign(channel="zalo", contact_channel="zalo")


def exported(response) -> list[list[str]]:
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def test_a_bulk_added_contact_without_consent_is_a_member_but_never_reached(client_as, org, people, campaign):
    ids = Contact.objects.filter(pk__in=[p.pk for p in people.values()])
    result = audience.add_members(actor=org["marketing"], campaign=campaign, contacts_qs=ids)
    assert result == {"added": 3, "already": 0, "skipped": 0}
    assert CampaignMember.objects.filter(campaign=campaign).count() == 3
    reachable = set(audience.reachable_members(campaign).values_list("contact_id", flat=True))
    assert reachable == {people["yes"].pk} and audience.excluded_count(campaign) == 2
    event = Event.objects.get(type="campaign.members_added")
    assert event.subject_id == campaign.pk and event.data["added"] == 3

    client = client_as("marketing")
    page = client.get(reverse("marketing:campaign_audience", args=[campaign.pk])).content.decode()
    assert 'data-testid="audience-reachable">1<' in page and 'data-testid="audience-excluded">2<' in page
    assert XSS not in page and page.count('data-testid="member"') == 3
    rows = exported(client.get(reverse("marketing:campaign_audience_export", args=[campaign.pk])))
    assert [r[1:3] for r in rows[1:]] == [["Đồng Ý Zalo", "84912000001"]]  # only the reachable one

    # A later withdrawal (a newer ledger row) excludes again, at once.
    ledger.consent_append(person=people["yes"], channel="zalo", granted=False, source="message")
    assert not audience.reachable_members(campaign).exists() and audience.excluded_count(campaign) == 3
    rows = exported(client.get(reverse("marketing:campaign_audience_export", args=[campaign.pk])))
    assert rows[1:] == []
    # …and consenting again makes them reachable.
    ledger.consent_append(person=people["never"], channel="zalo", granted=True, source="form")
    assert list(audience.reachable_members(campaign).values_list("contact_id", flat=True)) == [
        people["never"].pk
    ]


def test_the_page_adds_by_tag_or_ids_and_only_contacts_in_view(
    client_as, org, people, campaign, make_campaign
):
    vip = Tag.objects.create(name="VIP")
    for person in (people["yes"], people["never"]):
        person.tags.add(vip)
    theirs = services.contact_create(
        actor=org["sales2"], data={"full_name": "Khách nhóm khác"}, consents={"zalo": {"granted": True}}
    )
    url = reverse("marketing:campaign_audience", args=[campaign.pk])
    client = client_as("marketing")
    assert client.post(url, {"tag": vip.pk}).status_code == 303
    assert set(campaign.members.values_list("contact_id", flat=True)) == {
        people["yes"].pk,
        people["never"].pk,
    }
    ids = f"{people['withdrew'].pk}, {people['yes'].pk} {theirs.pk}"
    assert client.post(url, {"ids": ids}).status_code == 303
    assert campaign.members.count() == 4  # marketing sees every contact
    for bad in ({"ids": "1, x; DROP"}, {"ids": ""}, {"tag": vip.pk, "ids": "1"}, {"tag": "99999"}):
        response = client.post(url, bad)
        assert response.status_code == 400, bad
    assert campaign.members.count() == 4
    # Sales may look at campaigns but not change their audience; another user's campaign: 403.
    assert client_as("sales1").post(url, {"ids": str(people["yes"].pk)}).status_code == 403
    # A manager adds to their own campaign only the contacts they may see (their team's): others skipped.
    theirs_campaign = make_campaign(owner="manager", name="Zalo đội Hà Nội", contact_channel="zalo")
    chosen = Contact.objects.filter(pk__in=[people["yes"].pk, theirs.pk])
    result = audience.add_members(actor=org["manager"], campaign=theirs_campaign, contacts_qs=chosen)
    assert result == {"added": 1, "already": 0, "skipped": 1}
    assert list(theirs_campaign.members.values_list("contact_id", flat=True)) == [people["yes"].pk]


def test_without_a_contact_channel_nobody_is_reachable(org, people, make_campaign):
    campaign = make_campaign(name="Sự kiện showroom", channel="event")
    audience.add_members(actor=org["marketing"], campaign=campaign, contacts_qs=Contact.objects.all())
    assert not audience.reachable_members(campaign).exists() and audience.excluded_count(campaign) == 3


def test_the_export_needs_the_export_right_and_the_list_stays_cheap(
    client_as, org, people, campaign, django_assert_max_num_queries
):
    audience.add_members(actor=org["marketing"], campaign=campaign, contacts_qs=Contact.objects.all())
    url = reverse("marketing:campaign_audience", args=[campaign.pk])
    client = client_as("marketing")
    with django_assert_max_num_queries(25):
        assert client.get(url).status_code == 200
    export = reverse("marketing:campaign_audience_export", args=[campaign.pk])
    assert client_as("sales1").get(export).status_code == 403  # sales: view only, no export
    assert client_as("sales1").get(url).status_code == 200
    assert (
        client_as("marketing").get(reverse("marketing:campaign_audience", args=[999999])).status_code == 404
    )
