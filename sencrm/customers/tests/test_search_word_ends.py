"""Searches of several words go through the word-ends index on PostgreSQL (migration customers/0012):
the rows they find are exactly those whose search key contains the text, as with LIKE '%…%'."""

from __future__ import annotations

import random

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from sencrm.core import access
from sencrm.core.modules import Action
from sencrm.customers import selectors
from sencrm.customers.models import Account, Contact

PEOPLE = [
    ("Nguyễn Thanh Nhung", ["0832 465 387"], ["nhung.nguyen@example.vn"]),
    ("Nguyễn Thanh Nhungg", ["0832 465 388"], []),
    ("Tnguyễn Thanh Nhung", ["0912 345 678"], []),
    ("Trần Thị Thanh Hà", ["0987 654 321"], ["ha.tran@gmail.com"]),
    ("Lê Văn An", ["0901 111 222"], []),
    ("Lê Văn Anh", ["0901 111 223"], ["levananh@cty.vn"]),
    ("Hoàng Thanh Oanh", ["0355 000 111"], []),
    ("Phan Đức Khoa", [], ["khoa2024@vidu.vn"]),
    ("Đỗ Hà", ["0243 123 4567"], []),
    ("Nguyễn Mai Linh", ["0336 579 578"], ["nguyen.mai.linh.64937@example.vn"]),
]


def test_the_keys_a_text_of_several_words_needs():
    assert selectors.word_end_keys("nguyen thanh nhung") == sorted([">uyen", "<nhun", "<than", ">hanh"])
    assert selectors.word_end_keys("le thi ha") == sorted([">le", "<thi", ">thi", "<ha"])
    assert selectors.word_end_keys("nhung 0832") == ["<0832", ">hung"]
    assert selectors.word_end_keys("van a") == []  # an edge word of one character: the trigram index
    assert selectors.word_end_keys("nguyen") == []  # one word: the trigram index
    assert selectors.word_end_keys("tuyet@gmail com") == []  # not plain words
    assert selectors.word_end_keys("nguyen  van") == []  # a double space


@pytest.fixture
def contacts(make_contact):
    return [make_contact(full_name=n, phones=p, emails=e) for n, p, e in PEOPLE]


def _pieces(keys: list[str], n: int, seed: int = 12) -> list[str]:
    """Pieces of the search keys that hold a space, cut anywhere (inside words too), and a few mixes."""
    rng = random.Random(seed)
    pieces = set()
    while len(pieces) < n:
        key = rng.choice(keys)
        a, b = sorted(rng.sample(range(len(key) + 1), 2))
        piece = key[a:b].strip()
        if " " in piece and not selectors._NUMBERISH.fullmatch(piece):  # digits alone: the phone rules
            pieces.add(piece)
    return sorted(pieces) + ["nguyen thanh", "thanh nhungg", "van an", "van anh", "nguyen mai linh 0336"]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the word-ends index is PostgreSQL's")
def test_the_word_ends_path_finds_exactly_what_like_finds(org, contacts, monkeypatch):
    monkeypatch.setattr(selectors, "WORD_ENDS_MAX", 10**9)  # always take the path, whatever the estimate
    user = org["sales1"]
    scoped = access.scope(user, Contact, Action.VIEW)
    keys = list(Contact.objects.values_list("search_key", flat=True))
    taken = 0
    for piece in _pieces(keys, 150):
        with CaptureQueriesContext(connection) as ctx:
            found = set(selectors.search_filter(Contact, scoped, piece).values_list("pk", flat=True))
        expected = set(scoped.filter(search_key__contains=piece).values_list("pk", flat=True))
        assert found == expected, piece
        taken += any("sencrm_search_ends" in q["sql"] for q in ctx.captured_queries)
    assert taken > 50  # most pieces went through the index, not the fallback


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the word-ends index is PostgreSQL's")
def test_a_common_text_keeps_the_plain_path(org, contacts, monkeypatch):
    """Above WORD_ENDS_MAX estimated matches the primary key walked backwards fills a page sooner."""
    monkeypatch.setattr(selectors, "WORD_ENDS_MAX", -1)
    scoped = access.scope(org["sales1"], Contact, Action.VIEW)
    with CaptureQueriesContext(connection) as ctx:
        found = list(
            selectors.search_filter(Contact, scoped, "nguyen thanh nhung").values_list("pk", flat=True)
        )
    assert len(found) == 3  # Nguyễn Thanh Nhung, Nguyễn Thanh Nhungg, Tnguyễn Thanh Nhung
    assert not any("sencrm_search_ends" in q["sql"] for q in ctx.captured_queries)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the word-ends index is PostgreSQL's")
def test_the_index_holds_each_words_ends_and_serves_accounts(org, make_contact, monkeypatch):
    with connection.cursor() as cursor:
        cursor.execute("SELECT sencrm_search_ends('nguyen ha 0832465387  x@y.vn')::text")
        lexemes = cursor.fetchone()[0]
    for key in (
        "<ng",
        "<ngu",
        "<nguy",
        ">en",
        ">yen",
        ">uyen",
        "<ha",
        ">ha",
        "<0832",
        ">5387",
        "<x@y",
        ">.vn",
    ):
        assert f"'{key}'" in lexemes
    from sencrm.customers import services

    monkeypatch.setattr(selectors, "WORD_ENDS_MAX", 10**9)
    account = services.account_create(actor=org["sales1"], data={"name": "Công ty TNHH Điện lạnh Sen Việt"})
    scoped = access.scope(org["sales1"], Account, Action.VIEW)
    assert list(selectors.search_filter(Account, scoped, "dien lanh sen").values_list("pk", flat=True)) == [
        account.pk
    ]
    assert not selectors.search_filter(Account, scoped, "dien lanh sent").exists()
