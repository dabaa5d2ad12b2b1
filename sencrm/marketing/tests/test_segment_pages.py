"""The segment pages: create and edit through the rule builder's form (bad or unreadable rules are a 400
with the reason, never a 500; a stale version a clear conflict), the segment's page with its members,
freezing, deleting, the members' CSV, the gate by role, and escaped names."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from sencrm.customers.models import Province
from sencrm.marketing import segments
from sencrm.marketing.models import Segment, SegmentKind

pytestmark = pytest.mark.django_db

NORTH = {"match": "all", "rules": [{"field": "region", "op": "in", "value": ["north"]}]}
XSS = '"><img src=x onerror=alert(1)>'


@pytest.fixture
def people(org, make_contact):
    """Two contacts in Hà Nội (the North), one in TP. Hồ Chí Minh."""
    hcm = Province.objects.get(code="ho-chi-minh")
    return {
        "an": make_contact(full_name="Nguyễn Văn An", phones=("0912 000 001",)),
        "binh": make_contact(
            full_name="Trần Thị Bình", phones=("0912 000 002",), emails=("binh@example.vn",)
        ),
        "cuong": make_contact(full_name="Lê Văn Cường", phones=("0912 000 003",), province=hcm),
    }


def make_segment(org, name="Khách miền Bắc", rules=None, kind=SegmentKind.DYNAMIC):
    data = {"name": name, "kind": kind, "rules": rules if rules is not None else NORTH}
    return segments.segment_create(actor=org["marketing"], data=data)


def post_form(client, url, **fields):
    data = {"name": "Khách miền Bắc", "description": "", "kind": "dynamic", "rules": json.dumps(NORTH)}
    data.update(fields)
    return client.post(url, data)


def test_create_through_the_page_stores_the_rules_and_shows_the_members(org, people, client_as):
    client = client_as("marketing")
    form = client.get(reverse("marketing:segment_create"))
    assert form.status_code == 200
    body = form.content.decode()
    for testid in ("segment-builder", "segment-save", "segment-count", "segment-count-error"):
        assert f'data-testid="{testid}"' in body
    assert (
        'id="segment-catalogue"' in body and 'id="segment-labels"' in body and 'id="segment-options"' in body
    )
    assert "<script>" not in body  # the CSP: data only, as JSON

    answer = post_form(client, reverse("marketing:segment_create"), description="Hà Nội và lân cận")
    segment = Segment.objects.get()
    assert answer.status_code == 302 and answer["Location"] == reverse(
        "marketing:segment_detail", args=[segment.pk]
    )
    assert (
        segment.rules == NORTH and segment.kind == SegmentKind.DYNAMIC and segment.owner == org["marketing"]
    )

    detail = client.get(answer["Location"])
    assert detail.status_code == 200
    page = detail.content.decode()
    assert page.count('data-testid="segment-member"') == 2
    assert "Nguyễn Văn An" in page and "Trần Thị Bình" in page and "Lê Văn Cường" not in page
    assert 'data-count="2"' in page
    assert people["an"].get_absolute_url() in page
    assert 'data-testid="segment-summary-rule"' in page


def test_bad_rules_are_a_400_naming_the_rule_and_nothing_is_stored(org, people, client_as):
    org["marketing"].language = "en"
    org["marketing"].save()
    client = client_as("marketing")
    bad = {"match": "all", "rules": [{"field": "region", "op": "in", "value": ["north"]},
                                     {"field": "no_such_field", "op": "in", "value": []}]}  # fmt: skip
    answer = post_form(client, reverse("marketing:segment_create"), rules=json.dumps(bad))
    assert answer.status_code == 400
    page = answer.content.decode()
    assert 'data-testid="segment-rules-errors"' in page
    assert "Rule 2: unknown field no_such_field." in page
    assert Segment.all_objects.count() == 0


@pytest.mark.parametrize("garbage", ["{not json", "[1, 2]", "null", '"text"'])
def test_unreadable_rules_are_a_400_not_a_500(org, client_as, garbage):
    answer = post_form(client_as("marketing"), reverse("marketing:segment_create"), rules=garbage)
    assert answer.status_code == 400
    assert 'data-testid="segment-rules-errors"' in answer.content.decode()
    assert Segment.all_objects.count() == 0


def test_edit_saves_with_the_version_and_a_stale_one_is_a_clear_conflict(org, people, client_as):
    org["marketing"].language = "en"
    org["marketing"].save()
    segment = make_segment(org)
    client = client_as("marketing")
    url = reverse("marketing:segment_edit", args=[segment.pk])
    form = client.get(url)
    assert form.status_code == 200 and 'name="version"' in form.content.decode()

    south = {"match": "any", "rules": [{"field": "region", "op": "in", "value": ["south"]}]}
    saved = post_form(client, url, name="Khách miền Nam", rules=json.dumps(south), version=segment.version)
    assert saved.status_code == 302
    segment.refresh_from_db()
    assert segment.name == "Khách miền Nam" and segment.rules == south

    stale = post_form(client, url, name="Ghi đè", version=segment.version - 1)
    assert stale.status_code == 409
    page = stale.content.decode()
    assert 'data-testid="form-errors"' in page and "Someone else changed this record" in page
    segment.refresh_from_db()
    assert segment.name == "Khách miền Nam"


def test_freeze_then_take_the_snapshot_again_and_delete(org, people, client_as, make_contact):
    segment = make_segment(org)
    client = client_as("marketing")
    frozen = client.post(reverse("marketing:segment_freeze", args=[segment.pk]))
    assert frozen.status_code == 302
    segment.refresh_from_db()
    assert segment.kind == SegmentKind.FROZEN and segment.frozen_count == 2
    make_contact(full_name="Phạm Thị Dung", phones=("0912 000 004",))
    page = client.get(segment.get_absolute_url()).content.decode()
    assert 'data-testid="segment-frozen"' in page and page.count('data-testid="segment-member"') == 2
    client.post(reverse("marketing:segment_freeze", args=[segment.pk]))
    segment.refresh_from_db()
    assert segment.frozen_count == 3

    deleted = client.post(reverse("marketing:segment_delete", args=[segment.pk]))
    assert deleted.status_code == 302 and deleted["Location"] == reverse("marketing:segment_list")
    assert not Segment.objects.filter(pk=segment.pk).exists()
    assert client.get(segment.get_absolute_url()).status_code == 404


def test_export_csv_needs_the_export_right(org, people, client_as):
    segment = make_segment(org)
    answer = client_as("marketing").get(reverse("marketing:segment_export", args=[segment.pk]))
    assert answer.status_code == 200 and answer["Content-Type"].startswith("text/csv")
    text = b"".join(answer.streaming_content).decode("utf-8-sig")
    lines = text.strip().splitlines()
    assert len(lines) == 3  # the header and the two members
    assert "Trần Thị Bình" in text and "binh@example.vn" in text and "Lê Văn Cường" not in text

    assert client_as("sales1").get(reverse("marketing:segment_export", args=[segment.pk])).status_code == 403


def test_the_gate_by_role(org, people, client_as):
    segment = make_segment(org)
    care = client_as("care")
    assert care.get(reverse("marketing:segment_list")).status_code == 403
    assert care.get(segment.get_absolute_url()).status_code == 404
    assert care.get(reverse("marketing:segment_create")).status_code == 403

    sales = client_as("sales1")
    listed = sales.get(reverse("marketing:segment_list"))
    assert listed.status_code == 200 and "Khách miền Bắc" in listed.content.decode()
    assert 'data-testid="new-segment"' not in listed.content.decode()
    detail = sales.get(segment.get_absolute_url())
    assert detail.status_code == 200
    assert 'data-testid="segment-edit"' not in detail.content.decode()
    assert 'data-testid="segment-export"' not in detail.content.decode()
    assert sales.get(reverse("marketing:segment_create")).status_code == 403
    assert post_form(sales, reverse("marketing:segment_create")).status_code == 403
    assert sales.get(reverse("marketing:segment_edit", args=[segment.pk])).status_code == 403
    assert sales.post(reverse("marketing:segment_freeze", args=[segment.pk])).status_code == 403
    assert sales.post(reverse("marketing:segment_delete", args=[segment.pk])).status_code == 403
    assert Segment.objects.filter(pk=segment.pk).exists()


def test_the_list_counts_each_segment(org, people, client_as):
    make_segment(org)
    south = {"match": "all", "rules": [{"field": "region", "op": "in", "value": ["south"]}]}
    make_segment(org, name="Khách miền Nam", kind=SegmentKind.FROZEN, rules=south)
    answer = client_as("marketing").get(reverse("marketing:segment_list"))
    assert answer.status_code == 200
    page = answer.content.decode()
    assert page.count('data-testid="segment-row"') == 2
    assert 'data-testid="new-segment"' in page


def test_a_name_with_html_is_escaped(org, people, client_as):
    segment = make_segment(org, name=XSS)
    client = client_as("marketing")
    for url in (reverse("marketing:segment_list"), segment.get_absolute_url(),
                reverse("marketing:segment_edit", args=[segment.pk])):  # fmt: skip
        page = client.get(url).content.decode()
        assert XSS not in page
        assert "&lt;img src=x onerror=alert(1)&gt;" in page


def test_the_rules_in_words_cover_every_kind_and_never_fail(org, people, hanoi):
    from django.utils import translation

    from sencrm.customers.models import Tag
    from sencrm.marketing.views.segments import describe

    vip = Tag.objects.create(name="VIP")
    rules = {"match": "any", "rules": [
        {"field": "full_name", "op": "contains", "value": "Nguyễn"},
        {"field": "province", "op": "in", "value": [hanoi.pk, 999_999]},
        {"field": "tags", "op": "any", "value": [vip.pk]},
        {"field": "created_at", "op": "within_last_days", "value": 30},
        {"field": "date_of_birth", "op": "between", "value": ["1990-01-01", "1999-12-31"]},
        {"field": "consent", "op": "granted", "value": {"channel": "zalo", "purpose": "marketing"}},
        {"field": "activity", "op": "none_within_days", "value": {"kind": "call", "days": 90}},
        {"field": "purchase", "op": "bought", "value": {"min_amount": 5_000_000, "within_days": 365}},
        {"field": "birthday", "op": "this_month"},
        {"match": "all", "rules": [{"field": "gender", "op": "in", "value": ["female"]}, "junk"]},
        {"field": "nope", "op": "x"},
    ]}  # fmt: skip
    with translation.override("en"):
        tree = describe(org["marketing"], rules)
    texts = [item["text"] for item in tree["items"] if "text" in item]
    assert tree["match"] == "Any of"
    assert texts[0] == "Full name contains “Nguyễn”"
    assert texts[1] == "Province is one of Hà Nội, #999999"
    assert texts[2] == "Tags has any of VIP"
    assert texts[3] == "Created in the last 30 days"
    assert texts[4] == "Date of birth between 01/01/1990 – 31/12/1999"
    assert "Zalo" in texts[5] and "Marketing" in texts[5]
    assert texts[6] == "Activity (Call) none in the last 90 days"
    assert "5,000,000" in texts[7] and "365" in texts[7]
    assert texts[8] == "Birthday is this month"
    assert "Unknown field" in texts[9]
    nested = next(item["group"] for item in tree["items"] if "group" in item)
    assert nested["match"] == "All of" and nested["items"][0]["text"] == "Gender is one of Female"
    assert describe(org["marketing"], "not rules")["items"] == []


def test_a_segment_whose_rule_no_longer_holds_opens_with_the_reason(org, people, client_as):
    segment = make_segment(org)
    Segment.objects.filter(pk=segment.pk).update(rules={"match": "all", "rules": [{"field": "custom.gone"}]})
    for user in ("marketing", "sales1"):
        answer = client_as(user).get(segment.get_absolute_url())
        assert answer.status_code == 200
        page = answer.content.decode()
        assert 'data-testid="segment-problems"' in page and 'data-testid="segment-member"' not in page
    listed = client_as("marketing").get(reverse("marketing:segment_list"))
    assert listed.status_code == 200
