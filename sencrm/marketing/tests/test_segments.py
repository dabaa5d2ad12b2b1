"""Segment rules against hand-computed member sets (each kind of field and operator, AND/OR, custom fields,
purchases), the gate, frozen snapshots, clear errors, and the API."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from sencrm.marketing import segments
from sencrm.marketing.models import Segment

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


def ago(days: int) -> dt.date:
    return TODAY - dt.timedelta(days=days)


def born(years: int, months_away: int) -> dt.date:
    """A birthday `years` ago in a month `months_away` from this one (never this month)."""
    return dt.date(TODAY.year - years, (TODAY.month - 1 + months_away) % 12 + 1, 10)


@pytest.fixture
def people(org, hanoi, make_contact):
    """Four contacts whose segment memberships are computed by hand in each test."""
    from sencrm.activities.services import activity_create
    from sencrm.catalog.models import Category
    from sencrm.catalog.services import product_create
    from sencrm.commerce.services import order_confirm, order_create
    from sencrm.customers.ledger import consent_append
    from sencrm.customers.models import CustomerGroup, Province, Tag
    from sencrm.customers.services import account_create
    from sencrm.customfields.services import custom_field_save
    from sencrm.marketing.models import CampaignMember
    from sencrm.marketing.tests import attribution_data as make

    admin, sales1, manager = org["admin"], org["sales1"], org["manager"]
    custom_field_save(actor=admin, content_type=_ct("customers", "contact"), key="so_may", label="Số máy",
                      type="number")  # fmt: skip
    custom_field_save(actor=admin, content_type=_ct("customers", "contact"), key="kenh", label="Kênh",
                      type="choice", options=["Zalo", "Facebook"])  # fmt: skip
    vip, zalo = Tag.objects.create(name="VIP"), Tag.objects.create(name="Zalo")
    retail = CustomerGroup.objects.create(name="Khách lẻ")
    hcm, danang = Province.objects.get(code="ho-chi-minh"), Province.objects.get(code="da-nang")
    cooling = Category.objects.create(name="Điều hòa")
    wall = Category.objects.create(name="Điều hòa treo tường", parent=cooling)
    services_cat = Category.objects.create(name="Dịch vụ")
    split = product_create(actor=manager, data={
        "code": "DH-9", "name": "Điều hòa 9.000 BTU", "unit": "bộ", "list_price": Decimal(9_000_000),
        "category": wall,
    })  # fmt: skip
    clean = product_create(actor=manager, data={
        "code": "BD-1", "name": "Bảo dưỡng điều hòa", "unit": "lần", "kind": "service",
        "list_price": Decimal(300_000), "category": services_cat,
    })  # fmt: skip
    company = account_create(actor=sales1, data={"name": "Công ty Sen Vàng", "province": hanoi})

    a = make_contact(full_name="Nguyễn Văn An", phones=("0912 000 001",), gender="male",
                     date_of_birth=born(36, 3), lifecycle_stage="customer", customer_group=retail,
                     custom_field_data={"so_may": 3, "kenh": "Zalo"})  # fmt: skip
    a.tags.add(vip)
    b = make_contact(full_name="Trần Thị Bình", phones=("0912 000 002",), gender="female",
                     date_of_birth=born(22, 6), province=hcm, lifecycle_stage="lead",
                     custom_field_data={"so_may": 1})  # fmt: skip
    b.tags.add(zalo, vip)
    c = make_contact(full_name="Lê Văn Cường", phones=("0912 000 003",), province=danang, account=company,
                     title="Giám đốc")  # fmt: skip
    d = make_contact(owner="sales2", full_name="Phạm Thị Dung", phones=("0912 000 004",),
                     lifecycle_stage="customer", date_of_birth=dt.date(1960, TODAY.month, 1))  # fmt: skip

    def bought(contact, product, days_ago, price):
        order = order_create(actor=sales1 if contact.owner_id == sales1.pk else org["sales2"],
                             data={"contact": contact, "issue_date": ago(days_ago)},
                             lines=[{"product": product, "quantity": 1, "unit_price": price}])  # fmt: skip
        return order_confirm(order, actor=sales1 if contact.owner_id == sales1.pk else org["sales2"])

    bought(a, split, 200, 9_000_000)  # an air conditioner 200 days ago, no cleaning since
    bought(b, split, 400, 9_000_000)
    bought(b, clean, 20, 300_000)  # cleaned 20 days ago
    bought(d, split, 300, 12_000_000)
    activity_create(actor=sales1, data={
        "kind": "call", "subject": "Gọi chăm sóc", "status": "done", "contact": b,
        "due_at": timezone.now() - dt.timedelta(days=10),
    })  # fmt: skip
    consent_append(person=a, channel="email", purpose="marketing", granted=True, source="form", actor=sales1)
    consent_append(person=b, channel="email", purpose="marketing", granted=True, source="form", actor=sales1)
    consent_append(person=b, channel="email", purpose="marketing", granted=False, source="form", actor=sales1)
    fair = make.campaign(org["marketing"], "Hội chợ điện máy", "event")
    CampaignMember.objects.create(campaign=fair, contact=c)
    return {
        "a": a, "b": b, "c": c, "d": d, "vip": vip, "zalo": zalo, "retail": retail, "split": split,
        "clean": clean, "cooling": cooling, "services": services_cat, "fair": fair, "company": company,
    }  # fmt: skip


def _ct(app, model):
    from django.contrib.contenttypes.models import ContentType

    return ContentType.objects.get(app_label=app, model=model)


def names(user, *rules, match="all"):
    found = segments.contacts_matching(user, {"match": match, "rules": list(rules)})
    return sorted(c.full_name.split()[-1] for c in found)


def rule(field, op, value=None):
    return {"field": field, "op": op, "value": value}


def test_columns_choices_and_references(org, people):
    admin = org["admin"]
    assert names(admin, rule("full_name", "contains", "văn")) == ["An", "Cường"]
    assert names(admin, rule("title", "is_empty")) == ["An", "Bình", "Dung"]
    assert names(admin, rule("gender", "in", ["female"])) == ["Bình"]
    assert names(admin, rule("gender", "not_in", ["female"])) == ["An", "Cường", "Dung"]
    # Bình was a lead: her confirmed orders made her a customer (commerce's rule).
    assert names(admin, rule("lifecycle_stage", "in", ["customer"])) == ["An", "Bình", "Dung"]
    assert names(admin, rule("customer_group", "in", [people["retail"].pk])) == ["An"]
    assert names(admin, rule("region", "in", ["north"])) == ["An", "Dung"]
    assert names(admin, rule("region", "in", ["central", "south"])) == ["Bình", "Cường"]
    assert names(admin, rule("account.name", "contains", "sen vàng")) == ["Cường"]
    assert names(admin, rule("account.region", "in", ["north"])) == ["Cường"]
    assert names(admin, rule("owner", "in", [org["sales2"].pk])) == ["Dung"]


def test_ages_birthdays_and_dates(org, people):
    admin = org["admin"]
    assert names(admin, rule("age_band", "in", ["35_44"])) == ["An"]
    assert names(admin, rule("age_band", "in", ["under_25"])) == ["Bình"]
    assert names(admin, rule("age_band", "in", ["55_plus", "unknown"])) == ["Cường", "Dung"]
    assert names(admin, rule("birthday", "this_month")) == ["Dung"]
    assert names(admin, rule("birthday", "in_month", TODAY.month)) == ["Dung"]
    assert names(admin, rule("date_of_birth", "before", "1970-01-01")) == ["Dung"]
    assert names(admin, rule("created_at", "within_last_days", 1)) == ["An", "Bình", "Cường", "Dung"]
    assert names(admin, rule("created_at", "more_than_days_ago", 1)) == []


def test_tags_consent_activity_campaign(org, people):
    admin, vip, zalo = org["admin"], people["vip"].pk, people["zalo"].pk
    assert names(admin, rule("tags", "any", [vip])) == ["An", "Bình"]
    assert names(admin, rule("tags", "all", [vip, zalo])) == ["Bình"]
    assert names(admin, rule("tags", "none", [zalo])) == ["An", "Cường", "Dung"]
    # B withdrew after agreeing: the latest row of the ledger decides.
    assert names(admin, rule("consent", "granted", {"channel": "email"})) == ["An"]
    assert names(admin, rule("consent", "not_granted", {"channel": "email"})) == ["Bình", "Cường", "Dung"]
    assert names(admin, rule("activity", "none_within_days", {"kind": "call", "days": 90})) == [
        "An", "Cường", "Dung",
    ]  # fmt: skip
    assert names(admin, rule("activity", "any_within_days", {"days": 30})) == ["Bình"]
    assert names(admin, rule("campaign", "member_of", [people["fair"].pk])) == ["Cường"]


def test_custom_fields(org, people):
    admin = org["admin"]
    assert names(admin, rule("custom.so_may", "gte", 2)) == ["An"]
    assert names(admin, rule("custom.so_may", "between", [1, 3])) == ["An", "Bình"]
    assert names(admin, rule("custom.so_may", "is_empty")) == ["Cường", "Dung"]
    assert names(admin, rule("custom.kenh", "in", ["Zalo"])) == ["An"]


def test_purchases_and_the_seeds_maintenance_segment(org, people):
    admin, cooling, services_cat = org["admin"], people["cooling"].pk, people["services"].pk
    # Bought from the "Điều hòa" tree (the sub-category counts) more than 170 days ago…
    assert names(admin, rule("purchase", "bought", {"category": [cooling], "more_than_days_ago": 170})) == [
        "An", "Bình", "Dung",
    ]  # fmt: skip
    # …and no maintenance in the last 170 days: "Khách mua điều hòa > 6 tháng chưa bảo dưỡng".
    segment = {"match": "all", "rules": [
        rule("purchase", "bought", {"category": [cooling], "more_than_days_ago": 170}),
        rule("purchase", "not_bought", {"category": [services_cat], "within_days": 170}),
    ]}  # fmt: skip
    assert sorted(c.full_name for c in segments.contacts_matching(admin, segment)) == [
        "Nguyễn Văn An", "Phạm Thị Dung",
    ]  # fmt: skip
    assert names(admin, rule("purchase", "bought", {"product": [people["clean"].pk]})) == ["Bình"]
    assert names(admin, rule("purchase", "bought", {"min_amount": 10_000_000})) == ["Dung"]
    assert names(admin, rule("purchase", "not_bought", {})) == ["Cường"]


def test_and_or_groups(org, people):
    admin = org["admin"]
    tree = {"match": "any", "rules": [
        rule("region", "in", ["central"]),
        {"match": "all", "rules": [
            rule("lifecycle_stage", "in", ["customer"]), rule("tags", "any", [people["vip"].pk]),
        ]},
    ]}  # fmt: skip
    assert sorted(c.full_name for c in segments.contacts_matching(admin, tree)) == [
        "Lê Văn Cường",
        "Nguyễn Văn An",
        "Trần Thị Bình",
    ]
    assert names(admin, match="any") == []  # an empty "any" group selects nobody
    assert names(admin) == ["An", "Bình", "Cường", "Dung"]  # an empty "all" group: everybody


def test_a_users_count_covers_only_what_they_may_see(org, people):
    everyone = {"match": "all", "rules": [rule("lifecycle_stage", "in", ["customer"])]}
    assert segments.count(org["admin"], everyone) == 3
    assert segments.count(org["sales1"], everyone) == 2  # Dung is sales2's


@pytest.mark.parametrize(
    ("rules", "words"),
    [
        ({"match": "all", "rules": [rule("salary", "gt", 1)]}, "salary"),
        ({"match": "all", "rules": [rule("gender", "gt", 1)]}, "gt"),
        ({"match": "all", "rules": [rule("gender", "in", ["robot"])]}, "robot"),
        ({"match": "all", "rules": [rule("customer_group", "in", [999999])]}, "999999"),
        ({"match": "all", "rules": [rule("created_at", "before", "31/02/2026")]}, "Rule 1"),
        ({"match": "all", "rules": [rule("activity", "none_within_days", {"days": -3})]}, "Rule 1"),
        ({"match": "all", "rules": [rule("purchase", "bought", {"colour": "red"})]}, "colour"),
        ({"match": "maybe", "rules": []}, "match"),
        ({"match": "all", "rules": "everyone"}, "list"),
        ("DROP TABLE customers_contact", "group"),
        (
            {
                "match": "all",
                "rules": [
                    {
                        "match": "all",
                        "rules": [
                            {
                                "match": "all",
                                "rules": [{"match": "all", "rules": [{"match": "all", "rules": []}]}],
                            }
                        ],
                    }
                ],
            },
            "deep",
        ),  # fmt: skip
        ({"match": "all", "rules": [rule("full_name", "contains", "a")] * 51}, "50"),
    ],
)
def test_bad_rules_are_clear_errors(org, people, rules, words):
    from django.utils import translation

    with translation.override("en"), pytest.raises(ValidationError) as caught:
        segments.count(org["admin"], rules)
    assert words in " ".join(caught.value.message_dict["rules"])


def test_a_frozen_segment_keeps_its_snapshot(org, people):
    marketing = org["marketing"]
    frozen = segments.segment_create(
        actor=marketing,
        data={
            "name": "Khách VIP (chốt)",
            "kind": "frozen",
            "rules": {"match": "all", "rules": [rule("tags", "any", [people["vip"].pk])]},
        },  # fmt: skip
    )
    dynamic = segments.segment_create(
        actor=marketing,
        data={
            "name": "Khách VIP",
            "rules": {"match": "all", "rules": [rule("tags", "any", [people["vip"].pk])]},
        },
    )
    people["c"].tags.add(people["vip"])
    assert segments.members(marketing, frozen).count() == 2 and frozen.frozen_count == 2
    assert segments.members(marketing, dynamic).count() == 3
    assert segments.counts(marketing, [frozen, dynamic]) == {frozen.pk: 2, dynamic.pk: 3}
    segments.segment_freeze(Segment.objects.get(pk=frozen.pk), actor=marketing)
    assert segments.members(marketing, frozen).count() == 3


def test_the_api(org, people, client_as, django_assert_max_num_queries):
    api = client_as("marketing")
    body = {"name": "Khách miền Bắc", "rules": {"match": "all", "rules": [rule("region", "in", ["north"])]}}
    made = api.post("/api/v1/segments/", body, content_type="application/json")
    assert made.status_code == 201, made.content
    data = made.json()
    assert (data["kind"], data["count"]) == ("dynamic", 2)
    for n in range(5):
        api.post("/api/v1/segments/", {**body, "name": f"Tệp {n}"}, content_type="application/json")
    with django_assert_max_num_queries(12):
        listed = api.get("/api/v1/segments/")  # counts of the whole page in two queries
    assert listed.status_code == 200 and len(listed.json()["results"]) == 6
    members = api.get(f"/api/v1/segments/{data['id']}/members/?page_size=1")
    assert members.status_code == 200 and len(members.json()["results"]) == 1 and members.json()["next"]
    counted = api.post("/api/v1/segments/count/", {"rules": body["rules"]}, content_type="application/json")
    assert counted.json() == {"count": 2}
    bad = api.post("/api/v1/segments/count/", {"rules": {"match": "all", "rules": [rule("x", "in", [])]}},
                   content_type="application/json")  # fmt: skip
    assert bad.status_code == 400 and "rules" in bad.json()["errors"]
    bad_create = api.post("/api/v1/segments/", {**body, "rules": [1, 2]}, content_type="application/json")
    assert bad_create.status_code == 400
    fields = api.get("/api/v1/segments/fields/").json()
    assert {"region", "purchase", "custom.so_may", "account.name"} <= {f["key"] for f in fields}
    # Outside the gate: a role without marketing sees no segment, the same as a missing one.
    care = client_as("care")
    assert care.get(f"/api/v1/segments/{data['id']}/").status_code in (403, 404)


def test_contacts_lists_filter_by_segment(org, people, client_as):
    segment = segments.segment_create(
        actor=org["marketing"],
        data={"name": "Miền Bắc", "rules": {"match": "all", "rules": [rule("region", "in", ["north"])]}},
    )
    api = client_as("marketing")
    listed = api.get(f"/api/v1/contacts/?segment={segment.pk}")
    assert listed.status_code == 200
    assert sorted(r["full_name"] for r in listed.json()["results"]) == ["Nguyễn Văn An", "Phạm Thị Dung"]
    page = api.get(f"/contacts/?segment={segment.pk}")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Nguyễn Văn An" in html and "Trần Thị Bình" not in html
    # A segment that does not exist answers like one outside the scope: not an available choice.
    missing = api.get("/api/v1/contacts/?segment=999999")
    assert missing.status_code == 400
    hidden = client_as("care").get(f"/api/v1/contacts/?segment={segment.pk}")
    assert hidden.status_code == 400
    said = hidden.json()["errors"]["segment"][0].replace(str(segment.pk), "N")
    assert said == missing.json()["errors"]["segment"][0].replace("999999", "N")


def test_a_segment_fills_a_campaign_audience(org, people, client_as):
    from django.urls import reverse

    from sencrm.marketing.models import CampaignMember

    segment = segments.segment_create(
        actor=org["marketing"],
        data={
            "name": "Khách VIP",
            "rules": {"match": "all", "rules": [rule("tags", "any", [people["vip"].pk])]},
        },
    )
    answer = client_as("marketing").post(
        reverse("marketing:campaign_audience", args=[people["fair"].pk]), {"segment": segment.pk}
    )
    assert answer.status_code == 303
    members = CampaignMember.objects.filter(campaign=people["fair"]).values_list(
        "contact__full_name", flat=True
    )
    assert sorted(members) == ["Lê Văn Cường", "Nguyễn Văn An", "Trần Thị Bình"]  # Cường was there already
