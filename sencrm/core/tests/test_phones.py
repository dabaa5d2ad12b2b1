import pytest
from hypothesis import given
from hypothesis import strategies as st

from sencrm.core.phones import display, looks_like_phone, to_e164


@pytest.mark.parametrize(
    "raw",
    [
        "0912 345 678",
        "+84 912 345 678",
        "84912345678",
        "(091) 234-5678",
        "0912.345.678",
        "+84-912-345-678",
        "0084912345678",
        "912345678",
    ],
)
def test_every_way_of_writing_a_mobile_gives_one_number(raw):
    assert to_e164(raw) == "+84912345678"


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("01689 123 456", "+84389123456"),
        ("0168 9123 456", "+84389123456"),
        ("+84 1689 123 456", "+84389123456"),
        ("01219876543", "+84799876543"),
        ("01234567890", "+84834567890"),
        ("01868123456", "+84568123456"),
    ],
)
def test_old_eleven_digit_mobiles_are_renumbered(old, new):
    assert to_e164(old) == new


def test_landlines_and_foreign_numbers():
    assert to_e164("024 3825 1234") == "+842438251234"
    assert to_e164("+1 650 253 0000") == "+16502530000"


@pytest.mark.parametrize(
    "raw", ["", None, "abc", "123", "0912", "+84 000 000 000", "9" * 40, "=cmd|' /C calc'!A0"]
)
def test_invalid_numbers_give_none(raw):
    assert to_e164(raw) is None


def test_display_uses_the_national_format():
    assert display("+84912345678") == "0912 345 678"
    assert display("+16502530000").startswith("+1 650")


def test_looks_like_phone():
    assert looks_like_phone("0912 345 678")
    assert not looks_like_phone("Nguyễn Văn An")


@given(st.text(max_size=30))
def test_to_e164_never_raises(text):
    result = to_e164(text)
    assert result is None or result.startswith("+")
