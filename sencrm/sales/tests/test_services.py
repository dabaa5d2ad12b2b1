"""Sales services: lead capture, duplicates, assignment, conversion (nothing lost), kanban moves."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone

from sencrm.activities.services import activity_create
from sencrm.core.exceptions import StaleRecord
from sencrm.customers.models import Account, Contact, SourceChannel
from sencrm.events import consumers
from sencrm.events import selectors as event_selectors
from sencrm.events.models import Event, Notification
from sencrm.sales import selectors, services
from sencrm.sales.models import Lead, Opportunity, StageChange

pytestmark = pytest.mark.django_db


def test_a_lead_keeps_its_phones_in_e164_and_is_searchable_without_accents(make_lead):
    lead = make_lead(
        full_name="Võ Thị Hồng Nhung", phones=["0903 111 222", "+84 903111222"], company="Cty Ánh Dương"
    )
    assert list(lead.phones.values_list("e164", flat=True)) == ["+84903111222"]
    found = selectors.lead_search_filter(Lead.objects.all(), "hong nhung")
    assert list(found) == [lead]
    assert list(selectors.lead_search_filter(Lead.objects.all(), "anh duong")) == [lead]
    assert list(selectors.lead_search_filter(Lead.objects.all(), "84 903 111 222")) == [lead]


def test_a_lead_cannot_be_marked_converted_by_its_status(make_lead, org):
    lead = make_lead()
    with pytest.raises(ValidationError):
        services.lead_update(lead, actor=org["sales1"], changes={"status": "converted"}, version=lead.version)


def test_duplicates_are_found_by_phone_in_any_format_email_and_folded_name(org, make_lead, make_contact):
    contact = make_contact(full_name="Nguyễn Văn Bình", phones=["0912 000 111"], emails=["binh@example.vn"])
    lead = make_lead(full_name="Trần Thu Hà", phones=["0988 777 666"], emails=["HA@example.vn"])
    by_phone = selectors.lead_duplicates(user=org["sales1"], phones_e164=["+84912000111"], emails=[])
    assert by_phone.contacts == [contact]
    by_email = selectors.lead_duplicates(user=org["sales1"], phones_e164=[], emails=["ha@EXAMPLE.vn"])
    assert by_email.leads == [lead]
    by_name = selectors.lead_duplicates(
        user=org["sales1"], phones_e164=[], emails=[], full_name="Nguyen Van Binh"
    )
    assert by_name.contacts == [contact]
    # Another team's sales user learns that a match exists, never whose it is.
    other = selectors.lead_duplicates(user=org["sales2"], phones_e164=["+84912000111"], emails=[])
    assert other.contacts == [] and other.hidden == 1


def test_round_robin_gives_leads_to_team_members_in_turn_and_notifies_them(org, pipelines):
    from sencrm.users.models import Team

    team = Team.objects.get(name="Kinh doanh Hà Nội")
    members = list(team.members.filter(is_active=True).order_by("id"))
    owners = [
        services.lead_create(
            actor=org["admin"], data={"full_name": f"Khách {i}"}, round_robin_team=team
        ).owner
        for i in range(len(members) + 1)
    ]
    assert owners[: len(members)] == members
    assert owners[-1] == members[0]
    consumers.run_consumer("notifications")
    notified = set(Notification.objects.filter(kind="assigned").values_list("recipient_id", flat=True))
    assert {m.pk for m in members if m != org["admin"]} <= notified


def test_conversion_carries_everything_over_and_keeps_the_lead(org, make_lead, retail):
    facebook = SourceChannel.objects.get(code="facebook")
    touched = timezone.now() - dt.timedelta(days=40)
    lead = make_lead(
        full_name="Lê Quang Vinh",
        phones=["0905 123 456"],
        emails=["vinh@anphat.vn"],
        company="Công ty TNHH An Phát",
        source=facebook,
        campaign="Fanpage tháng 8 - điều hòa",
        first_touch_at=touched,
        interest="2 máy điều hòa 18.000 BTU",
        consents={"email": {"granted": True, "at": touched.isoformat(), "source": "web form"}},
    )
    call = activity_create(
        actor=org["sales1"],
        data={"kind": "call", "subject": "Gọi tư vấn lần đầu", "lead": lead, "status": "done"},
    )
    result = services.lead_convert(
        lead, actor=org["sales1"], create_opportunity=True, opportunity_amount=Decimal(50_000_000)
    )
    contact, account, opp = result.contact, result.account, result.opportunity
    assert isinstance(contact, Contact) and isinstance(account, Account)
    assert contact.full_name == "Lê Quang Vinh" and contact.account == account
    assert account.name == "Công ty TNHH An Phát"
    assert contact.source == facebook and contact.first_touch_at == touched
    assert [p.e164 for p in contact.phones.all()] == ["+84905123456"]
    assert [e.address for e in contact.emails.all()] == ["vinh@anphat.vn"]
    assert contact.consents.get(channel="email").granted is True
    assert contact.owner == lead.owner and contact.lifecycle_stage == "prospect"
    assert opp.amount == 50_000_000 and opp.contact == contact and opp.account == account
    assert opp.campaign == "Fanpage tháng 8 - điều hòa" and opp.source == facebook and opp.lead_id == lead.pk
    lead.refresh_from_db()
    assert lead.status == "converted" and lead.converted_contact == contact
    assert lead.converted_account == account and lead.converted_opportunity == opp
    # History kept: the lead's events and activities are on the contact's journey now.
    call.refresh_from_db()
    assert call.contact == contact and call.lead == lead
    events, _more = event_selectors.customer_timeline(user=org["sales1"], customer=contact, limit=100)
    journey = {e.type for e in events}
    assert {
        "lead.created",
        "activity.created",
        "activity.updated",  # the call gained the contact, on its history
        "lead.converted",
        "contact.created",
        "opportunity.created",
    } <= journey
    # …read through the conversion: the lead's own events were not rewritten.
    lead_created = Event.objects.get(type="lead.created", subject_id=lead.pk)
    assert lead_created.customer_type == ContentType.objects.get_for_model(Lead)
    assert lead_created.customer_id == lead.pk
    with pytest.raises(ValidationError):
        services.lead_convert(lead, actor=org["sales1"])


def test_conversion_can_link_an_existing_contact_instead_of_creating_one(org, make_lead, make_contact):
    contact = make_contact(full_name="Đỗ Thị Mai", phones=["0912 222 333"])
    lead = make_lead(
        full_name="Đỗ Thị Mai", phones=["0977 888 999"], source=SourceChannel.objects.get(code="zalo")
    )
    result = services.lead_convert(lead, actor=org["sales1"], contact=contact)
    assert result.contact.pk == contact.pk and Contact.objects.count() == 1
    assert sorted(p.e164 for p in result.contact.phones.all()) == ["+84912222333", "+84977888999"]
    assert result.contact.source.code == "zalo"


def test_another_teams_user_cannot_convert_a_lead(org, make_lead):
    lead = make_lead(owner="sales1")
    with pytest.raises(Http404):
        services.lead_convert(lead, actor=org["sales2"])
    with pytest.raises(PermissionDenied):
        services.lead_convert(lead, actor=org["marketing"])
    assert Lead.objects.get(pk=lead.pk).status == "new"


def test_a_kanban_move_writes_history_and_refuses_a_stale_version(org, make_opportunity, retail):
    stages = list(retail.stages.all())
    opp = make_opportunity()
    assert opp.stage == stages[0] and opp.probability == stages[0].probability
    moved = services.opportunity_move(opp, actor=org["sales1"], stage=stages[2], version=opp.version)
    assert moved.stage == stages[2] and moved.probability == stages[2].probability
    with pytest.raises(StaleRecord):
        services.opportunity_move(opp, actor=org["sales1"], stage=stages[3], version=opp.version)
    assert Opportunity.objects.get(pk=opp.pk).stage == stages[2]
    history = list(StageChange.objects.filter(opportunity=opp).order_by("id"))
    assert [(h.from_stage_id, h.to_stage_id) for h in history] == [
        (None, stages[0].pk),
        (stages[0].pk, stages[2].pk),
    ]
    assert history[0].left_at is not None and history[1].left_at is None
    event = Event.objects.filter(type="opportunity.stage_changed").get()
    assert event.data["from"]["name"] == stages[0].name and event.data["to"]["name"] == stages[2].name
    assert event.data["seconds_in_previous_stage"] >= 0


def test_a_probability_set_by_hand_survives_a_stage_move(org, make_opportunity, retail):
    stages = list(retail.stages.all())
    opp = make_opportunity(probability=33)
    assert opp.probability == 33 and opp.probability_manual
    moved = services.opportunity_move(opp, actor=org["sales1"], stage=stages[1], version=opp.version)
    assert moved.probability == 33


def test_winning_makes_the_contact_and_account_customers(org, make_opportunity, make_contact, retail):
    contact = make_contact(full_name="Hoàng Văn Tú")
    opp = make_opportunity(contact=contact)
    won = services.opportunity_mark_won(opp, actor=org["sales1"], version=opp.version, reason="Giá tốt")
    assert won.status == "won" and won.closed_at is not None and won.probability == 100
    contact.refresh_from_db()
    assert contact.lifecycle_stage == "customer"
    types = list(
        Event.objects.filter(customer_id=contact.pk, customer_type=ContentType.objects.get_for_model(Contact))
        .order_by("id")
        .values_list("type", flat=True)
    )
    assert types[-3:] == ["opportunity.stage_changed", "contact.updated", "opportunity.won"]


def test_losing_needs_a_reason(org, make_opportunity):
    opp = make_opportunity()
    with pytest.raises(ValidationError):
        services.opportunity_mark_lost(opp, actor=org["sales1"], version=opp.version, reason=" ")
    lost = services.opportunity_mark_lost(
        opp, actor=org["sales1"], version=opp.version, reason="Chọn hãng khác"
    )
    assert lost.status == "lost" and lost.close_reason == "Chọn hãng khác" and lost.probability == 0


def test_a_stage_of_another_pipeline_is_refused(org, make_opportunity, pipelines):
    opp = make_opportunity()
    other = pipelines[1].stages.first()
    with pytest.raises(ValidationError):
        services.opportunity_move(opp, actor=org["sales1"], stage=other, version=opp.version)


def test_forecast_sums_match_hand_computed_values(org, make_opportunity, retail):
    stages = list(retail.stages.all())
    today = dt.date(2026, 11, 23)
    nov, dec = dt.date(2026, 11, 28), dt.date(2026, 12, 15)
    make_opportunity(owner="sales1", amount=50_000_000, expected_close_date=nov)  # 10 %
    a = make_opportunity(owner="sales1", amount=120_000_000, expected_close_date=dec)
    services.opportunity_move(a, actor=org["sales1"], stage=stages[3], version=a.version)  # 75 %
    make_opportunity(owner="sales2", amount=30_000_000, expected_close_date=dec, probability=40)
    won = make_opportunity(owner="sales1", amount=999_000_000, expected_close_date=nov)
    services.opportunity_mark_won(won, actor=org["sales1"], version=won.version)  # closed: not forecast
    rows = selectors.forecast(org["admin"], months=3, start=today)
    assert [(r["key"], r["count"], r["amount"], r["weighted"]) for r in rows] == [
        ("2026-11-01", 1, Decimal(50_000_000), Decimal(5_000_000)),
        ("2026-12-01", 2, Decimal(150_000_000), Decimal(90_000_000 + 12_000_000)),
        ("2027-01-01", 0, Decimal(0), Decimal(0)),
    ]
    # Only over what the viewer may see: sales1 does not see sales2's deal.
    mine = selectors.forecast(org["sales1"], months=3, start=today)
    assert [r["amount"] for r in mine] == [Decimal(50_000_000), Decimal(120_000_000), Decimal(0)]
    by_owner = {
        r["label"]: r["weighted"] for r in selectors.forecast(org["admin"], months=3, start=today, by="owner")
    }
    assert by_owner == {str(org["sales1"]): Decimal(95_000_000), str(org["sales2"]): Decimal(12_000_000)}


def test_scores_follow_rules_and_activities(org, make_lead):
    lead = make_lead(phones=["0903 111 222"], emails=["x@gmail.com"], company="", source=None)
    consumers.run_consumer("lead_scoring")
    lead.refresh_from_db()
    names = {name for _id, name, _points in lead.score_details}
    assert {"Có số điện thoại", "Có email", "Email miễn phí", "Liên hệ trong 7 ngày qua"} == names
    assert lead.score == 15 + 5 - 5 + 15
    for i in range(2):
        activity_create(actor=org["sales1"], data={"kind": "note", "subject": f"Ghi chú {i}", "lead": lead})
    consumers.run_consumer("lead_scoring")
    lead.refresh_from_db()
    assert lead.score == 30 + 15
