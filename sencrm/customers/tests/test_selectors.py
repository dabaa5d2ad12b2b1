"""Search folds Vietnamese accents and matches phones in any format, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import pytest

from sencrm.customers import selectors


@pytest.fixture
def people(make_contact):
    return {
        "tuyet": make_contact(
            full_name="Nguyễn Thị Ánh Tuyết", phones=["0912 345 678"], emails=["tuyet@gmail.com"]
        ),
        "dang": make_contact(full_name="Đặng Văn Hùng", phones=["0988 111 222"]),
        "nguyen": make_contact(full_name="Nguyen Van An", phones=["0977 000 111"]),
        "nguyen2": make_contact(full_name="Nguyễn Văn An", phones=["0977 000 222"]),
        "other_team": make_contact(owner="sales2", full_name="Nguyễn Thị Lan", phones=["0966 123 456"]),
    }


def names(rows):
    return [r.full_name for r in rows]


def test_search_without_accents_finds_the_accented_name(org, people):
    assert names(selectors.contact_search(user=org["sales1"], query="nguyen thi anh tuyet")) == [
        "Nguyễn Thị Ánh Tuyết"
    ]
    assert names(selectors.contact_search(user=org["sales1"], query="dang")) == ["Đặng Văn Hùng"]
    assert "Nguyễn Thị Ánh Tuyết" in names(selectors.contact_search(user=org["sales1"], query="TUYẾT"))


def test_exact_diacritics_rank_first(org, people):
    found = names(selectors.contact_search(user=org["sales1"], query="Nguyễn Văn An"))
    assert found[0] == "Nguyễn Văn An" and "Nguyen Van An" in found


def test_search_matches_any_phone_format_and_email(org, people):
    for query in ["0912345678", "+84 912 345 678", "84912345678", "(091) 234-5678"]:
        assert names(selectors.contact_search(user=org["sales1"], query=query)) == ["Nguyễn Thị Ánh Tuyết"]
    assert names(selectors.contact_search(user=org["sales1"], query="tuyet@gmail")) == [
        "Nguyễn Thị Ánh Tuyết"
    ]
    assert names(selectors.contact_search(user=org["sales1"], query="345 678")) == ["Nguyễn Thị Ánh Tuyết"]


def test_search_stays_within_the_users_scope(org, people):
    assert selectors.contact_search(user=org["sales1"], query="lan") == []
    assert names(selectors.contact_search(user=org["sales2"], query="lan")) == ["Nguyễn Thị Lan"]
    assert names(selectors.contact_search(user=org["care"], query="lan")) == ["Nguyễn Thị Lan"]  # reads all


@pytest.mark.parametrize("query", ["' OR pg_sleep(5)--", "%", "_", "-", "()", "\\", "a" * 500, "<script>"])
def test_hostile_search_text_is_just_text(org, people, query):
    assert selectors.contact_search(user=org["sales1"], query=query) == []


def test_duplicates_by_phone_email_and_folded_name(org, people, hanoi):
    by_phone = selectors.contact_duplicates(phones_e164=["+84912345678"], emails=[])
    assert names(by_phone) == ["Nguyễn Thị Ánh Tuyết"]
    by_email = selectors.contact_duplicates(phones_e164=[], emails=["TUYET@gmail.com"])
    assert names(by_email) == ["Nguyễn Thị Ánh Tuyết"]
    by_name = selectors.contact_duplicates(
        phones_e164=[], emails=[], full_name="Nguyen Thi Anh Tuyet", province_id=hanoi.pk
    )
    assert names(by_name) == ["Nguyễn Thị Ánh Tuyết"]


def test_a_deleted_contact_is_not_a_duplicate(org, people):
    from sencrm.customers import services

    services.contact_delete(people["dang"], actor=org["sales1"])
    assert selectors.contact_duplicates(phones_e164=["+84988111222"], emails=[]) == []


def test_caller_lookup_respects_scope(org, people):
    assert names(selectors.caller_lookup(user=org["sales1"], phone="0966.123.456")["contacts"]) == []
    assert names(selectors.caller_lookup(user=org["care"], phone="0966.123.456")["contacts"]) == [
        "Nguyễn Thị Lan"
    ]
    assert selectors.caller_lookup(user=org["care"], phone="garbage") == {
        "contacts": [],
        "accounts": [],
        "others": [],
    }
