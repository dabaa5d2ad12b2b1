"""Amounts in Vietnamese words (sencrm/core/money.py: amount_in_words), as printed on quotes and invoices."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from sencrm.core.money import amount_in_words

LIMIT = 10**15

# Hand-checked against the rules of "đọc số tiền bằng chữ" on Vietnamese invoices (docs/decisions.md).
CASES = [
    (0, "Không đồng"),
    (1, "Một đồng"),
    (4, "Bốn đồng"),
    (5, "Năm đồng"),
    (10, "Mười đồng"),
    (11, "Mười một đồng"),
    (14, "Mười bốn đồng"),
    (15, "Mười lăm đồng"),
    (20, "Hai mươi đồng"),
    (21, "Hai mươi mốt đồng"),
    (24, "Hai mươi tư đồng"),
    (25, "Hai mươi lăm đồng"),
    (55, "Năm mươi lăm đồng"),
    (91, "Chín mươi mốt đồng"),
    (100, "Một trăm đồng"),
    (101, "Một trăm linh một đồng"),
    (104, "Một trăm linh bốn đồng"),
    (105, "Một trăm linh năm đồng"),
    (110, "Một trăm mười đồng"),
    (111, "Một trăm mười một đồng"),
    (115, "Một trăm mười lăm đồng"),
    (121, "Một trăm hai mươi mốt đồng"),
    (999, "Chín trăm chín mươi chín đồng"),
    (1_000, "Một nghìn đồng"),
    (1_001, "Một nghìn không trăm linh một đồng"),
    (1_010, "Một nghìn không trăm mười đồng"),
    (1_015, "Một nghìn không trăm mười lăm đồng"),
    (1_024, "Một nghìn không trăm hai mươi tư đồng"),
    (1_100, "Một nghìn một trăm đồng"),
    (10_000, "Mười nghìn đồng"),
    (15_000, "Mười lăm nghìn đồng"),
    (21_000, "Hai mươi mốt nghìn đồng"),
    (105_000, "Một trăm linh năm nghìn đồng"),
    (250_500, "Hai trăm năm mươi nghìn năm trăm đồng"),
    (1_000_000, "Một triệu đồng"),
    (1_000_005, "Một triệu không trăm linh năm đồng"),
    (1_005_000, "Một triệu không trăm linh năm nghìn đồng"),
    (1_050_000, "Một triệu không trăm năm mươi nghìn đồng"),
    (2_607_000, "Hai triệu sáu trăm linh bảy nghìn đồng"),
    (28_877_000, "Hai mươi tám triệu tám trăm bảy mươi bảy nghìn đồng"),
    (50_000_000, "Năm mươi triệu đồng"),
    (1_000_000_000, "Một tỷ đồng"),
    (1_000_000_001, "Một tỷ không trăm linh một đồng"),
    (1_001_000_000, "Một tỷ không trăm linh một triệu đồng"),
    (2_500_000_000, "Hai tỷ năm trăm triệu đồng"),
    (15_000_000_000, "Mười lăm tỷ đồng"),
    (1_000_000_000_000, "Một nghìn tỷ đồng"),
    (1_200_000_000_000, "Một nghìn hai trăm tỷ đồng"),
    (1_234_005_000_000, "Một nghìn hai trăm ba mươi tư tỷ không trăm linh năm triệu đồng"),
    (100_000_000_000_000, "Một trăm nghìn tỷ đồng"),
    (
        999_999_999_999_999,
        "Chín trăm chín mươi chín nghìn chín trăm chín mươi chín tỷ chín trăm chín mươi chín triệu "
        "chín trăm chín mươi chín nghìn chín trăm chín mươi chín đồng",
    ),
    (10**15, "Một triệu tỷ đồng"),
    (-50_000, "Âm năm mươi nghìn đồng"),
    (-(10**15), "Âm một triệu tỷ đồng"),
    (Decimal("28877000"), "Hai mươi tám triệu tám trăm bảy mươi bảy nghìn đồng"),
    (Decimal("105000.00"), "Một trăm linh năm nghìn đồng"),
]


@pytest.mark.parametrize(("amount", "words"), CASES)
def test_amounts_read_as_on_vietnamese_documents(amount, words):
    assert amount_in_words(amount) == words


def test_the_words_do_not_depend_on_the_users_language():
    with translation.override("en"):
        assert amount_in_words(50_000_000) == "Năm mươi triệu đồng"


# An independent reader of the words back into a number: if every amount reads back to itself, no two
# amounts share their words.
UNITS = {"không": 0, "một": 1, "mốt": 1, "hai": 2, "ba": 3, "bốn": 4, "tư": 4, "năm": 5, "lăm": 5}
UNITS |= {"sáu": 6, "bảy": 7, "tám": 8, "chín": 9}


def read_back(text: str) -> int:
    words = text.lower().split()
    assert words[-1] == "đồng"
    sign = -1 if words[0] == "âm" else 1
    total = section = small = digit = 0
    for word in words[1 if sign < 0 else 0 : -1]:
        if word in UNITS:
            digit = UNITS[word]
        elif word == "mười":
            small += 10
        elif word in {"mươi", "trăm"}:
            small += digit * (10 if word == "mươi" else 100)
            digit = 0
        elif word == "linh":
            pass
        elif word in {"nghìn", "triệu"}:
            section += (small + digit) * (1000 if word == "nghìn" else 10**6)
            small = digit = 0
        elif word == "tỷ":
            total += (section + small + digit) * 10**9
            section = small = digit = 0
        else:
            raise AssertionError(f"unexpected word {word!r} in {text!r}")
    return sign * (total + section + small + digit)


@given(st.integers(min_value=-LIMIT, max_value=LIMIT))
def test_any_amount_reads_back_to_itself(amount):
    assert read_back(amount_in_words(amount)) == amount


@given(st.integers(min_value=-LIMIT, max_value=LIMIT))
def test_the_words_follow_the_spelling_rules(amount):
    text = amount_in_words(amount)
    assert text == amount_in_words(amount)  # deterministic
    assert text[0].isupper() and text[1:] == text[1:].lower() and text.endswith(" đồng")
    assert "  " not in text and text == text.strip()
    body = f" {text.lower()} "
    # 1 after a ten is "mốt", 4 "tư", 5 after any ten "lăm"; "mốt", "tư" and "lăm" nowhere else.
    assert not re.search(r" mươi (một|bốn|năm) ", body)
    assert not re.search(r" mười năm ", body)
    assert not re.search(r" (?<!mươi )(mốt|tư) ", body)
    assert not re.search(r" (?<!mười )(?<!mươi )lăm ", body)
    # "linh" only after "trăm" and before a unit; "không" only as "không trăm" or zero itself.
    assert not re.search(r" linh (?!(một|hai|ba|bốn|năm|sáu|bảy|tám|chín) )", body)
    assert not re.search(r"(?<! trăm) linh ", body)
    assert amount == 0 or not re.search(r" không (?!trăm )", body)
    # "mười" is ten, "mươi" follows a digit: never "một mươi".
    assert " một mươi " not in body


def test_distinct_amounts_have_distinct_words():
    amounts = [
        *range(0, 20_001),
        *range(999_000, 1_011_000, 7),
        *(10**9 + n for n in range(0, 2_000_001, 997)),
    ]
    words = {amount_in_words(n) for n in amounts}
    assert len(words) == len(set(amounts))


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (10**15 + 1, "at most 10^15"),
        (-(10**15) - 1, "at most 10^15"),
        (Decimal("12.5"), "whole number"),
        (Decimal("NaN"), "whole number"),
        (Decimal("Infinity"), "whole number"),
        (12.0, "whole number"),
        ("1000", "whole number"),
        (True, "whole number"),
        (None, "whole number"),
    ],
)
def test_bad_input_is_refused_with_a_clear_message(value, message):
    with translation.override("en"), pytest.raises(ValueError, match=re.escape(message)):
        amount_in_words(value)
