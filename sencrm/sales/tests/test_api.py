"""/api/v1/leads/, /opportunities/, /pipelines/, /stages/: CRUD, actions, bad input and the access matrix."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone, translation
from rest_framework.test import APIClient

from sencrm.customers.models import Account, Contact, SourceChannel
from sencrm.events.models import Event
from sencrm.sales import services
from sencrm.sales.models import Lead, Opportunity, Pipeline, StageChange
from sencrm.users.models import Team
from sencrm.users.services import api_token_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def bearer(org, pipelines):
    """A client that authenticates with a personal API token of the user (no session, no CSRF)."""

    def make(username: str) -> Client:
        _token, raw = api_token_create(user=org[username], name="test")
        return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")

    return make


def post(client, url, data=None):
    return client.post(url, data or {}, content_type="application/json")


def patch(client, url, data):
    return client.patch(url, data, content_type="application/json")


def ids(response):
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def assert_400(response, field=None):
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == "invalid" and body["message"] and body["errors"]
    if field:
        assert field in body["errors"], body


# Leads: CRUD -----------------------------------------------------------------------------------------


def test_lead_crud_with_a_bearer_token(bearer, org):
    client = bearer("sales1")
    touched = "2026-08-01T09:00:00+07:00"
    created = post(
        client,
        "/api/v1/leads/",
        {
            "full_name": "Võ Thị Hồng Nhung",
            "phones": [{"number": "0903 111 222"}],
            "emails": [{"address": "nhung@anduong.vn"}],
            "company": "Cty Ánh Dương",
            "province": "ha-noi",
            "source": "facebook",
            "campaign": "Fanpage tháng 8",
            "first_touch_at": touched,
            "interest": "2 máy 18.000 BTU",
            "next_action": "Gọi lại",
            "next_action_at": "2026-08-14T15:00:00+07:00",
            "consents": {"zalo": {"granted": True, "source": "Zalo OA"}},
        },
    )
    assert created.status_code == 201, created.content
    data = created.json()
    assert data["full_name"] == "Võ Thị Hồng Nhung" and data["status"] == "new"
    assert data["phones"] == [{"number": "0903 111 222", "e164": "+84903111222"}]
    assert data["emails"] == [{"address": "nhung@anduong.vn"}]
    assert data["province"] == "ha-noi" and data["source"] == "facebook"
    assert data["owner"] == org["sales1"].pk and data["team"] == org["sales1"].teams.get().pk
    assert data["version"] == 1 and data["custom_fields"] == {} and data["utm"] == {}
    assert data["converted_contact"] is None and data["url"].endswith(f"/api/v1/leads/{data['id']}/")
    assert data["consents"]["zalo"]["granted"] is True and data["consents"]["zalo"]["at"]
    assert dt.datetime.fromisoformat(data["first_touch_at"]) == dt.datetime.fromisoformat(touched)
    assert data["duplicates"] == {"contacts": [], "leads": [], "hidden": 0}
    url = f"/api/v1/leads/{data['id']}/"
    assert client.get(url).json()["company"] == "Cty Ánh Dương"
    changed = patch(client, url, {"status": "contacted", "title": "Giám đốc", "version": 1})
    assert changed.status_code == 200, changed.content
    assert changed.json()["status"] == "contacted" and changed.json()["version"] == 2
    assert Event.objects.filter(type="lead.updated", subject_id=data["id"]).exists()
    assert client.delete(url).status_code == 204
    assert Lead.all_objects.get(pk=data["id"]).deleted_at is not None
    assert client.get(url).status_code == 404


def test_lead_crud_with_the_session(client_as, pipelines):
    client = client_as("sales1")
    created = post(
        client, "/api/v1/leads/", {"full_name": "Trần Văn Bình", "phones": [{"number": "0988123456"}]}
    )
    assert created.status_code == 201, created.content
    lead_id = created.json()["id"]
    assert lead_id in ids(client.get("/api/v1/leads/"))
    replaced = client.put(
        f"/api/v1/leads/{lead_id}/",
        {"full_name": "Trần Văn Bình An", "version": 1},
        content_type="application/json",
    )
    assert replaced.status_code == 200 and replaced.json()["full_name"] == "Trần Văn Bình An"
    assert client.delete(f"/api/v1/leads/{lead_id}/").status_code == 204


def test_search_is_accent_insensitive_and_finds_phones_in_any_format(bearer, make_lead):
    nhung = make_lead(full_name="Võ Thị Hồng Nhung", phones=["0903 111 222"], company="Cty Ánh Dương")
    make_lead(full_name="Trần Văn Bình", phones=["0988 000 111"])
    client = bearer("sales1")
    assert ids(client.get("/api/v1/leads/", {"search": "hong nhung"})) == [nhung.pk]
    assert ids(client.get("/api/v1/leads/", {"search": "anh duong"})) == [nhung.pk]
    assert ids(client.get("/api/v1/leads/", {"search": "+84 903 111 222"})) == [nhung.pk]
    assert ids(client.get("/api/v1/leads/", {"search": "84903111222"})) == [nhung.pk]
    assert ids(client.get("/api/v1/leads/", {"search": "' OR 1=1--"})) == []


def test_filters_and_ordering(bearer, make_lead):
    referral = SourceChannel.objects.get(code="referral")
    a = make_lead(
        full_name="An Nguyễn", source=referral, next_action_at=timezone.now() + dt.timedelta(days=2)
    )
    b = make_lead(
        full_name="Bình Lê", phones=["0911 222 333"], next_action_at=timezone.now() + dt.timedelta(days=1)
    )
    c = make_lead(full_name="Cường Phạm", phones=["0911 222 444"], status="qualified")
    Lead.all_objects.filter(pk=a.pk).update(score=40)
    Lead.all_objects.filter(pk=b.pk).update(score=10)
    Lead.all_objects.filter(pk=c.pk).update(score=25)
    client = bearer("sales1")
    assert ids(client.get("/api/v1/leads/", {"source": "referral"})) == [a.pk]
    assert ids(client.get("/api/v1/leads/", {"status": "qualified"})) == [c.pk]
    assert ids(client.get("/api/v1/leads/", {"ordering": "-score"})) == [a.pk, c.pk, b.pk]
    assert ids(client.get("/api/v1/leads/", {"score_min": 20, "ordering": "score"})) == [c.pk, a.pk]
    # No follow-up sorts last, and cursor pages over a nullable column neither repeat nor skip.
    assert walk(client, "/api/v1/leads/?page_size=1&ordering=next_action_at") == [b.pk, a.pk, c.pk]
    assert walk(client, "/api/v1/leads/?page_size=2&ordering=-next_action_at") == [c.pk, a.pk, b.pk]


def walk(client, url):
    """Follow the `next` links; every page's ids in order."""
    seen = []
    while url:
        page = client.get(url)
        seen += ids(page)
        url = page.json()["next"]
    return seen


def test_opportunity_filters_and_ordering(bearer, make_opportunity, make_contact, pipelines):
    contact = make_contact()
    x = make_opportunity(
        name="X", amount=30_000_000, expected_close_date=dt.date(2026, 10, 1), contact=contact
    )
    y = make_opportunity(name="Y", amount=10_000_000)
    z = make_opportunity(name="Z", amount=20_000_000, expected_close_date=dt.date(2026, 9, 1))
    client = bearer("sales1")
    assert walk(client, "/api/v1/opportunities/?page_size=1&ordering=amount") == [y.pk, z.pk, x.pk]
    assert walk(client, "/api/v1/opportunities/?page_size=1&ordering=expected_close_date") == [
        z.pk,
        x.pk,
        y.pk,
    ]
    assert ids(client.get("/api/v1/opportunities/", {"contact": contact.pk})) == [x.pk]
    in_range = {"close_from": "2026-09-15", "close_to": "2026-12-31"}
    assert ids(client.get("/api/v1/opportunities/", in_range)) == [x.pk]
    assert ids(client.get("/api/v1/opportunities/", {"pipeline": pipelines[1].pk})) == []
    assert_400(client.get("/api/v1/opportunities/", {"close_from": "2026-13-45"}), "close_from")
    assert_400(client.get("/api/v1/opportunities/", {"ordering": "name"}), "ordering")


def test_cursor_pages_are_complete(bearer, org, pipelines):
    for i in range(7):
        services.lead_create(actor=org["sales1"], data={"full_name": f"Khách {i % 3}"})
    client = bearer("sales1")
    for ordering in ("sort_key", "-created_at", "full_name", "score"):
        seen, url = [], f"/api/v1/leads/?page_size=3&ordering={ordering}"
        while url:
            page = client.get(url).json()
            seen += [row["id"] for row in page["results"]]
            url = page["next"]
        assert len(seen) == len(set(seen)) == 7, ordering


def test_create_answers_the_likely_duplicates_the_caller_may_see(bearer, make_lead, make_contact):
    mine = make_contact(full_name="Nguyễn Văn Bình", phones=["0912 000 111"])
    make_contact(owner="sales2", full_name="Lê Khác Đội", phones=["0912 000 111"])
    open_lead = make_lead(full_name="Trần Thu Hà", phones=["0988 777 666"], emails=["ha@example.vn"])
    response = post(
        bearer("sales1"),
        "/api/v1/leads/",
        {
            "full_name": "Nguyen Van Binh",
            "phones": [{"number": "+84 912 000 111"}],
            "emails": [{"address": "HA@example.vn"}],
        },
    )
    assert response.status_code == 201, response.content
    assert response.json()["duplicates"] == {"contacts": [mine.pk], "leads": [open_lead.pk], "hidden": 1}
    assert Lead.objects.count() == 2  # the API creates; the duplicates are for the caller to act on


def test_round_robin_team_on_create(bearer, org):
    team = Team.objects.get(name="Kinh doanh Hà Nội")
    members = list(team.members.filter(is_active=True).order_by("id"))
    client = bearer("admin")
    owners = [
        post(client, "/api/v1/leads/", {"full_name": f"Khách {i}", "round_robin_team": team.pk}).json()[
            "owner"
        ]
        for i in range(len(members))
    ]
    assert owners == [m.pk for m in members]
    assert_400(
        post(client, "/api/v1/leads/", {"full_name": "X", "round_robin_team": 99999}), "round_robin_team"
    )
    # A sales user may not hand a lead to another team's members.
    other = Team.objects.get(name="Kinh doanh TP.HCM")
    assert (
        post(bearer("sales1"), "/api/v1/leads/", {"full_name": "Y", "round_robin_team": other.pk}).status_code
        == 403
    )
    assert not Lead.objects.filter(full_name="Y").exists()


def test_list_queries_do_not_grow_with_rows(bearer, make_lead, django_assert_max_num_queries):
    client = bearer("sales1")
    for i in range(3):
        make_lead(full_name=f"Khách {i}", phones=[f"0903 111 22{i}"], emails=[f"k{i}@example.vn"])
    with django_assert_max_num_queries(12) as few:
        client.get("/api/v1/leads/")
    for i in range(3, 12):
        make_lead(full_name=f"Khách {i}", phones=[f"0903 111 2{i:02d}"], emails=[f"k{i}@example.vn"])
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(client.get("/api/v1/leads/").json()["results"]) == 12


def test_opportunity_list_queries_do_not_grow_with_rows(
    bearer, make_opportunity, make_contact, django_assert_max_num_queries
):
    client = bearer("sales1")
    contact = make_contact()
    facebook = SourceChannel.objects.get(code="facebook")
    for i in range(3):
        make_opportunity(name=f"Deal {i}", contact=contact, source=facebook)
    with django_assert_max_num_queries(12) as few:
        client.get("/api/v1/opportunities/")
    for i in range(3, 12):
        make_opportunity(name=f"Deal {i}", contact=contact, source=facebook)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(client.get("/api/v1/opportunities/").json()["results"]) == 12


# Leads: conversion -----------------------------------------------------------------------------------


def test_convert_makes_a_contact_and_an_account_that_keep_source_and_first_touch(bearer, make_lead):
    facebook = SourceChannel.objects.get(code="facebook")
    touched = timezone.now() - dt.timedelta(days=40)
    lead = make_lead(
        full_name="Lê Quang Vinh", company="Công ty TNHH An Phát", source=facebook, first_touch_at=touched
    )
    response = post(bearer("sales1"), f"/api/v1/leads/{lead.pk}/convert/", {})
    assert response.status_code == 200, response.content
    body = response.json()
    contact = Contact.objects.get(pk=body["contact"])
    assert body["account"] == Account.objects.get(name="Công ty TNHH An Phát").pk == contact.account_id
    assert body["opportunity"] is None
    assert contact.source == facebook and contact.first_touch_at == touched
    assert body["lead"]["status"] == "converted" and body["lead"]["converted_contact"] == contact.pk
    assert body["lead"]["converted_account"] == body["account"] and body["lead"]["converted_at"]


def test_convert_with_an_opportunity(bearer, make_lead, pipelines):
    projects = pipelines[1]
    lead = make_lead(full_name="Đỗ Minh Tâm", company="Khách sạn Hoàng Long")
    response = post(
        bearer("sales1"),
        f"/api/v1/leads/{lead.pk}/convert/",
        {
            "create_opportunity": True,
            "opportunity_amount": "150000000",
            "opportunity_name": "Điều hòa trung tâm",
            "expected_close_date": "2026-12-31",
            "pipeline": projects.pk,
        },
    )
    assert response.status_code == 200, response.content
    body = response.json()
    opp = Opportunity.objects.get(pk=body["opportunity"])
    assert opp.amount == 150_000_000 and opp.name == "Điều hòa trung tâm" and opp.pipeline == projects
    assert opp.contact_id == body["contact"] and opp.account_id == body["account"] and opp.lead_id == lead.pk
    assert opp.expected_close_date == dt.date(2026, 12, 31)
    assert body["lead"]["converted_opportunity"] == opp.pk
    # A number works as well as a string, and without a company no account is made.
    other = make_lead(full_name="Phan Thị Thu", phones=["0977 000 111"])
    plain = post(
        bearer("sales1"),
        f"/api/v1/leads/{other.pk}/convert/",
        {"create_opportunity": True, "opportunity_amount": 20000000},
    )
    assert plain.status_code == 200, plain.content
    assert plain.json()["account"] is None
    assert Opportunity.objects.get(pk=plain.json()["opportunity"]).amount == 20_000_000


def test_convert_links_an_existing_contact_and_account(bearer, org, make_lead, make_contact):
    contact = make_contact(full_name="Đỗ Thị Mai", phones=["0912 222 333"])
    account = services_account(org)
    lead = make_lead(full_name="Đỗ Thị Mai", phones=["0977 888 999"], company="Tên khác")
    response = post(
        bearer("sales1"), f"/api/v1/leads/{lead.pk}/convert/", {"contact": contact.pk, "account": account.pk}
    )
    assert response.status_code == 200, response.content
    assert response.json()["contact"] == contact.pk and response.json()["account"] == account.pk
    assert Contact.objects.count() == 1 and Account.objects.count() == 1


def services_account(org):
    from sencrm.customers import services as customer_services

    return customer_services.account_create(actor=org["sales1"], data={"name": "Công ty Sen Việt"})


def test_converting_twice_is_a_400(bearer, make_lead):
    lead = make_lead(company="")
    client = bearer("sales1")
    assert post(client, f"/api/v1/leads/{lead.pk}/convert/").status_code == 200
    again = post(client, f"/api/v1/leads/{lead.pk}/convert/")
    assert_400(again)
    with translation.override("vi"):  # API clients read messages in the site's language by default
        expected = translation.gettext("This lead has already been converted.")
    assert expected in again.json()["message"]
    assert Contact.objects.count() == 1
    assert_400(patch(client, f"/api/v1/leads/{lead.pk}/", {"full_name": "Đổi tên"}))


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"opportunity_amount": -1, "create_opportunity": True}, "opportunity_amount"),
        ({"opportunity_amount": "abc", "create_opportunity": True}, "opportunity_amount"),
        ({"opportunity_amount": "1e16", "create_opportunity": True}, "opportunity_amount"),
        ({"opportunity_amount": "1.5", "create_opportunity": True}, "opportunity_amount"),
        ({"create_opportunity": "maybe"}, "create_opportunity"),
        ({"expected_close_date": "31/02/2026", "create_opportunity": True}, "expected_close_date"),
        ({"pipeline": "abc"}, "pipeline"),
        ({"contact": 999999}, "contact"),
    ],
)
def test_convert_bad_input_is_a_400_and_changes_nothing(bearer, make_lead, body, field):
    lead = make_lead()
    assert_400(post(bearer("sales1"), f"/api/v1/leads/{lead.pk}/convert/", body), field)
    assert Lead.objects.get(pk=lead.pk).status == "new" and not Contact.objects.exists()


def test_convert_refuses_a_contact_outside_scope_like_a_missing_one(bearer, make_lead, make_contact):
    theirs = make_contact(owner="sales2", full_name="Người Khác")
    lead = make_lead()
    response = post(bearer("sales1"), f"/api/v1/leads/{lead.pk}/convert/", {"contact": theirs.pk})
    assert_400(response, "contact")
    assert Lead.objects.get(pk=lead.pk).status == "new"


def test_convert_needs_the_customers_create_right(bearer, org, pipelines):
    lead = services.lead_create(actor=org["marketing"], data={"full_name": "Khách Marketing"})
    response = post(bearer("marketing"), f"/api/v1/leads/{lead.pk}/convert/")
    assert response.status_code == 403 and response.json()["code"] == "permission_denied"
    assert Lead.objects.get(pk=lead.pk).status == "new" and not Contact.objects.exists()


# Opportunities -----------------------------------------------------------------------------------------


def test_opportunity_crud_with_a_bearer_token(bearer, org, retail, make_contact):
    contact = make_contact(full_name="Hoàng Văn Tú")
    client = bearer("sales1")
    first = retail.stages.order_by("position").first()
    created = post(
        client,
        "/api/v1/opportunities/",
        {
            "name": "Điều hòa văn phòng",
            "amount": "50000000",
            "contact": contact.pk,
            "expected_close_date": "2026-09-30",
        },
    )
    assert created.status_code == 201, created.content
    data = created.json()
    assert data["amount"] == "50000000" and data["currency"] == "VND"
    assert data["pipeline"] == retail.pk and data["stage"] == first.pk
    assert data["probability"] == first.probability and data["probability_manual"] is False
    assert data["status"] == "open" and data["owner"] == org["sales1"].pk and data["contact"] == contact.pk
    assert data["stage_entered_at"] and data["closed_at"] is None and data["version"] == 1
    url = f"/api/v1/opportunities/{data['id']}/"
    manual = patch(client, url, {"probability": 33, "version": 1})
    assert manual.json()["probability"] == 33 and manual.json()["probability_manual"] is True
    reset = patch(client, url, {"probability": None, "version": 2})
    assert reset.json()["probability"] == first.probability and reset.json()["probability_manual"] is False
    assert data["id"] in ids(client.get("/api/v1/opportunities/", {"pipeline": retail.pk, "status": "open"}))
    assert ids(client.get("/api/v1/opportunities/", {"search": "văn phòng"})) == [data["id"]]
    assert client.delete(url).status_code == 204
    assert Opportunity.all_objects.get(pk=data["id"]).deleted_at is not None


def test_an_opportunity_created_in_a_stage_goes_into_its_pipeline(bearer, pipelines):
    stage = pipelines[1].stages.order_by("position")[1]
    response = post(bearer("sales1"), "/api/v1/opportunities/", {"name": "Dự án", "stage": stage.pk})
    assert response.status_code == 201, response.content
    assert response.json()["pipeline"] == pipelines[1].pk and response.json()["stage"] == stage.pk
    assert response.json()["amount"] == "0"


def test_lead_consents_keep_their_date_until_the_answer_changes(bearer, make_lead):
    client = bearer("sales1")
    lead = make_lead()
    url = f"/api/v1/leads/{lead.pk}/"
    first = patch(client, url, {"consents": {"sms": {"granted": True, "source": "Gọi điện"}}}).json()
    at = first["consents"]["sms"]["at"]
    same = patch(client, url, {"consents": {"sms": {"granted": True}}}).json()
    assert same["consents"]["sms"] == {"granted": True, "at": at, "source": "Gọi điện"}
    changed = patch(client, url, {"consents": {"sms": {"granted": False, "source": "Từ chối"}}}).json()
    assert (
        changed["consents"]["sms"]["granted"] is False and changed["consents"]["sms"]["source"] == "Từ chối"
    )


def test_opportunity_with_the_session(client_as, retail):
    client = client_as("sales1")
    created = post(client, "/api/v1/opportunities/", {"name": "Bảo trì", "amount": 1500000.0})
    assert created.status_code == 201, created.content
    assert created.json()["amount"] == "1500000"


def test_moving_the_stage_with_the_current_version(bearer, make_opportunity, retail):
    stages = list(retail.stages.order_by("position"))
    opp = make_opportunity()
    response = patch(
        bearer("sales1"), f"/api/v1/opportunities/{opp.pk}/", {"stage": stages[2].pk, "version": 1}
    )
    assert response.status_code == 200, response.content
    assert (
        response.json()["stage"] == stages[2].pk and response.json()["probability"] == stages[2].probability
    )
    assert response.json()["version"] == 2
    event = Event.objects.get(type="opportunity.stage_changed", subject_id=opp.pk)
    assert event.data["to"]["id"] == stages[2].pk


def test_moving_the_stage_with_a_stale_version_is_a_409_and_changes_nothing(
    bearer, org, make_opportunity, retail
):
    stages = list(retail.stages.order_by("position"))
    opp = make_opportunity()
    services.opportunity_update(opp, actor=org["sales1"], changes={"amount": 60_000_000}, version=1)
    response = patch(
        bearer("sales1"), f"/api/v1/opportunities/{opp.pk}/", {"stage": stages[3].pk, "version": 1}
    )
    assert response.status_code == 409
    assert response.json()["code"] == "conflict" and response.json()["current_version"] == 2
    opp.refresh_from_db()
    assert opp.stage == stages[0] and opp.version == 2
    assert StageChange.objects.filter(opportunity=opp).count() == 1
    assert not Event.objects.filter(type="opportunity.stage_changed").exists()


def test_a_stage_of_another_pipeline_needs_that_pipeline(bearer, make_opportunity, pipelines):
    projects = pipelines[1]
    other_stage = projects.stages.order_by("position")[1]
    opp = make_opportunity()
    client = bearer("sales1")
    url = f"/api/v1/opportunities/{opp.pk}/"
    assert_400(patch(client, url, {"stage": other_stage.pk, "version": 1}), "stage")
    assert Opportunity.objects.get(pk=opp.pk).pipeline == pipelines[0]
    moved = patch(client, url, {"stage": other_stage.pk, "pipeline": projects.pk, "version": 1})
    assert moved.status_code == 200, moved.content
    assert moved.json()["pipeline"] == projects.pk and moved.json()["stage"] == other_stage.pk


def test_won_and_lost(bearer, make_opportunity, make_contact, retail):
    contact = make_contact(full_name="Hoàng Văn Tú")
    client = bearer("sales1")
    won_opp = make_opportunity(contact=contact)
    stale = post(client, f"/api/v1/opportunities/{won_opp.pk}/won/", {"version": 7})
    assert stale.status_code == 409
    won = post(client, f"/api/v1/opportunities/{won_opp.pk}/won/", {"version": 1, "reason": "Giá tốt"})
    assert won.status_code == 200, won.content
    assert (
        won.json()["status"] == "won" and won.json()["closed_at"] and won.json()["close_reason"] == "Giá tốt"
    )
    assert won.json()["probability"] == 100
    contact.refresh_from_db()
    assert contact.lifecycle_stage == "customer"
    lost_opp = make_opportunity(name="Thua")
    assert_400(post(client, f"/api/v1/opportunities/{lost_opp.pk}/lost/", {"version": 1}), "reason")
    assert_400(
        post(client, f"/api/v1/opportunities/{lost_opp.pk}/lost/", {"version": 1, "reason": "  "}), "reason"
    )
    assert Opportunity.objects.get(pk=lost_opp.pk).status == "open"
    lost = post(
        client, f"/api/v1/opportunities/{lost_opp.pk}/lost/", {"version": 1, "reason": "Chọn hãng khác"}
    )
    assert lost.status_code == 200 and lost.json()["status"] == "lost" and lost.json()["probability"] == 0


@pytest.mark.parametrize(
    "amount",
    [
        -1,
        "-5",
        10**16,
        "10000000000000001",
        "abc",
        "1.5",
        "",
        None,
        True,
        "NaN",
        "Infinity",
        [1],
        "1e999999999",
    ],
)
def test_bad_amounts_are_a_400(bearer, retail, amount):
    response = post(bearer("sales1"), "/api/v1/opportunities/", {"name": "X", "amount": amount})
    assert_400(response, "amount")
    assert not Opportunity.all_objects.exists()


def test_the_largest_amount_fits(bearer, retail):
    response = post(bearer("sales1"), "/api/v1/opportunities/", {"name": "X", "amount": 10**15})
    assert response.status_code == 201 and response.json()["amount"] == str(10**15)


def test_opportunity_bad_input(bearer, make_opportunity, make_contact, retail):
    theirs = make_contact(owner="sales2", full_name="Người Khác")
    client = bearer("sales1")
    for body, field in [
        ({"amount": 1}, "name"),
        ({"name": "X", "probability": 101}, "probability"),
        ({"name": "X", "stage": 999999}, "stage"),
        ({"name": "X", "contact": theirs.pk}, "contact"),
        ({"name": "X", "expected_close_date": "2026-02-30"}, "expected_close_date"),
        ({"name": "X", "custom_fields": [1]}, "custom_fields"),
    ]:
        assert_400(post(client, "/api/v1/opportunities/", body), field)
    assert not Opportunity.all_objects.exists()


# Pipelines and stages --------------------------------------------------------------------------------


def test_pipelines_and_stages(bearer, pipelines):
    client = bearer("sales1")
    listed = client.get("/api/v1/pipelines/")
    assert listed.status_code == 200
    rows = listed.json()["results"]
    assert [p["name"] for p in rows] == ["Bán lẻ", "Dự án"]
    retail = rows[0]
    assert set(retail) == {"id", "name", "is_default", "is_active", "position", "stages"}
    assert retail["is_default"] is True and retail["is_active"] is True
    assert [s["probability"] for s in retail["stages"]] == [10, 25, 50, 75, 100, 0]
    assert [s["is_won"] for s in retail["stages"]] == [False] * 4 + [True, False]
    assert [s["is_lost"] for s in retail["stages"]] == [False] * 5 + [True]
    assert set(retail["stages"][0]) == {"id", "name", "position", "probability", "is_won", "is_lost"}
    assert client.get(f"/api/v1/pipelines/{retail['id']}/").json()["name"] == "Bán lẻ"
    projects = pipelines[1]
    stages = client.get("/api/v1/stages/", {"pipeline": projects.pk}).json()["results"]
    assert [s["name"] for s in stages] == [s.name for s in projects.stages.order_by("position")]
    assert {s["pipeline"] for s in stages} == {projects.pk}
    assert set(stages[0]) == {"id", "pipeline", "name", "position", "probability", "is_won", "is_lost"}
    assert stages[-1]["is_lost"] is True and stages[-2]["is_won"] is True
    assert len(client.get("/api/v1/stages/").json()["results"]) == 12
    for bad in ("abc", "999999", "-1", "1;DROP TABLE"):
        assert_400(client.get("/api/v1/stages/", {"pipeline": bad}), "pipeline")
    assert client.get("/api/v1/pipelines/999999/").status_code == 404
    assert (
        client.post("/api/v1/pipelines/", {"name": "X"}, content_type="application/json").status_code == 405
    )
    assert Pipeline.objects.count() == 2


# Bad input -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/api/v1/leads/", "/api/v1/opportunities/", "/api/v1/stages/"])
@pytest.mark.parametrize(
    "params",
    [
        {"page_size": "0"},
        {"page_size": "501"},
        {"page_size": "-1"},
        {"page_size": "1000000"},
        {"page_size": "abc"},
        {"cursor": "forged"},
        {"cursor": "cD0yMDI2LTAxLTAx"},
        {"ordering": "name;DROP TABLE sales_lead"},
        {"ordering": "(SELECT 1)"},
        {"ordering": "password"},
        {"owner": "abc"},
        {"owner": "999999"},
        {"status": "nope"},
        {"team": "x"},
    ],
)
def test_bad_list_parameters_answer_400(bearer, make_lead, make_opportunity, url, params):
    make_lead()
    make_opportunity()
    if url == "/api/v1/stages/" and set(params) & {"owner", "status", "team", "ordering"}:
        params = {"pipeline": "nope"}
    assert_400(bearer("sales1").get(url, params))


def test_page_size_bounds_are_accepted(bearer, make_lead):
    make_lead()
    client = bearer("sales1")
    assert client.get("/api/v1/leads/", {"page_size": 1}).status_code == 200
    assert client.get("/api/v1/leads/", {"page_size": 500}).status_code == 200


def test_lead_bad_input(bearer, make_lead):
    client = bearer("sales1")
    for body, field in [
        ({"full_name": ""}, "full_name"),
        ({}, "full_name"),
        ({"full_name": "A", "phones": [{"number": "123"}]}, "phones"),
        ({"full_name": "A", "emails": [{"address": "nope"}]}, "emails"),
        ({"full_name": "A", "province": "atlantis"}, "province"),
        ({"full_name": "A", "source": "nowhere"}, "source"),
        ({"full_name": "A", "status": "converted"}, "status"),
        ({"full_name": "A", "status": "bogus"}, "status"),
        ({"full_name": "A", "custom_fields": [1, 2]}, "custom_fields"),
        ({"full_name": "A", "consents": {"fax": {"granted": True}}}, "consents"),
        ({"full_name": "A", "consents": {"zalo": {"granted": "yes"}}}, "consents"),
        ({"full_name": "A", "first_touch_at": "hôm qua"}, "first_touch_at"),
        ({"full_name": "A", "owner": 999999}, "owner"),
        ({"full_name": "A" * 151}, "full_name"),
    ]:
        assert_400(post(client, "/api/v1/leads/", body), field)
    assert not Lead.all_objects.exists()
    lead = make_lead()
    assert_400(patch(client, f"/api/v1/leads/{lead.pk}/", {"status": "converted", "version": 1}), "status")
    assert Lead.objects.get(pk=lead.pk).status == "new"
    broken = client.post("/api/v1/leads/", "{not json", content_type="application/json")
    assert broken.status_code == 400 and broken.json()["code"] == "parse_error"


def test_a_stale_lead_version_on_the_same_field_is_a_409(bearer, org, make_lead):
    lead = make_lead()
    services.lead_update(lead, actor=org["sales1"], changes={"company": "Cty A"}, version=1)
    response = patch(bearer("sales1"), f"/api/v1/leads/{lead.pk}/", {"company": "Cty B", "version": 1})
    assert response.status_code == 409 and response.json()["current_version"] == 2
    assert Lead.objects.get(pk=lead.pk).company == "Cty A"


def test_privileged_lead_fields_cannot_be_mass_assigned(bearer, org, make_lead, make_contact):
    lead = make_lead()
    contact = make_contact()
    client = bearer("sales1")
    response = patch(
        client,
        f"/api/v1/leads/{lead.pk}/",
        {
            "title": "Kế toán",
            "score": 999,
            "score_details": [[1, "x", 999]],
            "team": Team.objects.get(name="Kinh doanh TP.HCM").pk,
            "version": 50,
            "converted_contact": contact.pk,
            "converted_at": "2020-01-01T00:00:00Z",
            "created_by": org["admin"].pk,
            "created_at": "2000-01-01T00:00:00Z",
            "deleted_at": "2020-01-01T00:00:00Z",
            "utm": {"utm_source": "x"},
            "is_superuser": True,
        },
    )
    assert response.status_code == 200, response.content
    lead.refresh_from_db()
    assert lead.title == "Kế toán" and lead.version == 2 and lead.score != 999
    assert (
        lead.team.name == "Kinh doanh Hà Nội" and lead.converted_contact is None and lead.converted_at is None
    )
    assert lead.created_by == org["sales1"] and lead.created_at.year > 2000 and lead.deleted_at is None
    assert lead.utm == {} and lead.status == "new"
    handed = patch(client, f"/api/v1/leads/{lead.pk}/", {"owner": org["sales2"].pk})
    assert handed.status_code == 403
    assert Lead.objects.get(pk=lead.pk).owner == org["sales1"]


def test_privileged_opportunity_fields_cannot_be_mass_assigned(bearer, org, make_opportunity):
    opp = make_opportunity()
    response = patch(
        bearer("sales1"),
        f"/api/v1/opportunities/{opp.pk}/",
        {
            "description": "ghi chú",
            "status": "won",
            "closed_at": "2020-01-01T00:00:00Z",
            "probability_manual": True,
            "currency": "USD",
            "team": 999,
            "created_by": org["admin"].pk,
            "deleted_at": "2020-01-01T00:00:00Z",
            "lead": 1,
            "version": 40,
        },
    )
    assert response.status_code == 200, response.content
    opp.refresh_from_db()
    assert opp.description == "ghi chú" and opp.status == "open" and opp.closed_at is None
    assert opp.probability_manual is False and opp.currency == "VND" and opp.version == 2
    assert opp.team.name == "Kinh doanh Hà Nội" and opp.created_by == org["sales1"] and opp.deleted_at is None


# The access matrix -----------------------------------------------------------------------------------


def test_another_teams_token_cannot_touch_a_lead(bearer, make_lead):
    lead = make_lead(full_name="Khách Của Nam", phones=["0903 555 666"])
    client = bearer("sales2")
    url = f"/api/v1/leads/{lead.pk}/"
    before = Event.objects.count()
    assert client.get(url).status_code == 404
    assert lead.pk not in ids(client.get("/api/v1/leads/"))
    assert ids(client.get("/api/v1/leads/", {"search": "khach cua nam"})) == []
    assert ids(client.get("/api/v1/leads/", {"search": "0903555666"})) == []
    assert patch(client, url, {"title": "hacked"}).status_code == 404
    assert client.put(url, {"full_name": "hacked"}, content_type="application/json").status_code == 404
    assert client.delete(url).status_code == 404
    assert post(client, f"{url}convert/", {"create_opportunity": True}).status_code == 404
    lead.refresh_from_db()
    assert lead.title == "" and lead.deleted_at is None and lead.status == "new" and lead.version == 1
    assert Event.objects.count() == before and not Contact.objects.exists()


def test_another_teams_token_cannot_touch_an_opportunity(bearer, make_opportunity, retail):
    opp = make_opportunity(name="Dự án của Nam")
    later = retail.stages.order_by("position")[2]
    client = bearer("sales2")
    url = f"/api/v1/opportunities/{opp.pk}/"
    before = Event.objects.count()
    assert client.get(url).status_code == 404
    assert opp.pk not in ids(client.get("/api/v1/opportunities/"))
    assert ids(client.get("/api/v1/opportunities/", {"search": "Nam"})) == []
    assert patch(client, url, {"stage": later.pk, "version": 1}).status_code == 404
    assert client.delete(url).status_code == 404
    assert post(client, f"{url}won/", {"version": 1}).status_code == 404
    assert post(client, f"{url}lost/", {"version": 1, "reason": "x"}).status_code == 404
    opp.refresh_from_db()
    assert opp.stage != later and opp.status == "open" and opp.deleted_at is None and opp.version == 1
    assert Event.objects.count() == before


def test_the_manager_sees_and_moves_the_teams_deals(bearer, make_opportunity, retail):
    opp = make_opportunity()
    later = retail.stages.order_by("position")[1]
    client = bearer("manager")
    assert opp.pk in ids(client.get("/api/v1/opportunities/"))
    assert (
        patch(client, f"/api/v1/opportunities/{opp.pk}/", {"stage": later.pk, "version": 1}).status_code
        == 200
    )


@pytest.mark.parametrize("username", ["care", "tech", "board"])
def test_roles_without_sales_rights_get_403(bearer, make_lead, make_opportunity, username):
    lead = make_lead()
    opp = make_opportunity()
    client = bearer(username)
    for url in ("/api/v1/leads/", "/api/v1/opportunities/", "/api/v1/pipelines/", "/api/v1/stages/"):
        response = client.get(url)
        assert response.status_code == 403 and response.json()["code"] == "permission_denied", url
    assert post(client, "/api/v1/leads/", {"full_name": "X"}).status_code == 403
    assert post(client, "/api/v1/opportunities/", {"name": "X"}).status_code == 403
    assert client.get(f"/api/v1/leads/{lead.pk}/").status_code == 403
    assert patch(client, f"/api/v1/opportunities/{opp.pk}/", {"name": "x"}).status_code == 403
    assert post(client, f"/api/v1/leads/{lead.pk}/convert/").status_code == 403
    assert Lead.objects.count() == 1 and Opportunity.objects.count() == 1 and not Contact.objects.exists()


def test_marketing_reads_all_leads_creates_its_own_and_sees_no_opportunities(
    bearer, org, make_lead, make_opportunity
):
    nam = make_lead(owner="sales1", full_name="Khách Nam")
    anh = make_lead(owner="sales2", full_name="Khách Anh", phones=["0911 000 999"])
    make_opportunity()
    client = bearer("marketing")
    assert set(ids(client.get("/api/v1/leads/"))) == {nam.pk, anh.pk}
    assert client.get(f"/api/v1/leads/{nam.pk}/").status_code == 200
    created = post(client, "/api/v1/leads/", {"full_name": "Khách Hội Chợ", "source": "walk_in"})
    assert created.status_code == 201 and created.json()["owner"] == org["marketing"].pk
    mine = f"/api/v1/leads/{created.json()['id']}/"
    assert patch(client, mine, {"interest": "Máy lọc không khí", "version": 1}).status_code == 200
    refused = patch(client, f"/api/v1/leads/{nam.pk}/", {"title": "x", "version": 1})
    assert refused.status_code == 403 and refused.json()["code"] == "permission_denied"
    assert client.delete(f"/api/v1/leads/{nam.pk}/").status_code == 403
    assert Lead.objects.get(pk=nam.pk).title == "" and Lead.objects.get(pk=nam.pk).version == 1
    assert client.get("/api/v1/opportunities/").status_code == 403
    assert post(client, "/api/v1/opportunities/", {"name": "X"}).status_code == 403
    assert client.get("/api/v1/pipelines/").status_code == 403


def test_anonymous_and_bad_tokens_are_refused(pipelines):
    assert Client().get("/api/v1/leads/").status_code == 401
    assert Client(HTTP_AUTHORIZATION="Bearer sen_wrong").get("/api/v1/opportunities/").status_code == 401
    assert Client().get("/api/v1/pipelines/").status_code == 401


def test_session_writes_need_csrf(org, pipelines, make_lead):
    lead = make_lead()
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(org["sales1"])
    assert client.get("/api/v1/leads/").status_code == 200
    assert client.post("/api/v1/leads/", {"full_name": "X"}, format="json").status_code == 403
    assert client.patch(f"/api/v1/leads/{lead.pk}/", {"title": "x"}, format="json").status_code == 403
    assert client.post(f"/api/v1/leads/{lead.pk}/convert/", {}, format="json").status_code == 403
    assert client.post("/api/v1/opportunities/", {"name": "X"}, format="json").status_code == 403
    assert Lead.objects.count() == 1 and not Opportunity.objects.exists() and not Contact.objects.exists()


def test_schema_describes_the_sales_endpoints(bearer):
    response = bearer("sales1").get("/api/v1/schema/")
    assert response.status_code == 200
    for path in (
        b"/api/v1/leads/",
        b"/api/v1/leads/{id}/convert/",
        b"/api/v1/opportunities/{id}/won/",
        b"/api/v1/opportunities/{id}/lost/",
        b"/api/v1/pipelines/",
        b"/api/v1/stages/",
    ):
        assert path in response.content
