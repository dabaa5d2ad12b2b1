import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sencrm.core.text import clean_text, fold


@pytest.mark.parametrize(
    ("raw", "folded"),
    [
        ("Nguyễn Thị Ánh Tuyết", "nguyen thi anh tuyet"),
        ("Đặng", "dang"),
        ("ĐƯỜNG", "duong"),
        ("dương", "duong"),
        ("hoà", "hoa"),
        ("hòa", "hoa"),
        ("  Trần   Văn  An ", "tran van an"),
    ],
)
def test_fold_removes_vietnamese_marks(raw, folded):
    assert fold(raw) == folded


def test_fold_treats_nfc_and_nfd_alike():
    nfc = unicodedata.normalize("NFC", "bệnh viện")
    nfd = unicodedata.normalize("NFD", "bệnh viện")
    assert nfc != nfd
    assert fold(nfc) == fold(nfd) == "benh vien"
    assert clean_text(nfd) == nfc


def test_the_eth_lookalike_does_not_fold_to_d():
    assert fold("Ðặng")[0] != "d"  # U+00D0, not U+0110


def test_clean_text_strips_zero_width_and_bidi_override():
    assert clean_text("An\u200bh\u202e") == "Anh"


def test_clean_text_keeps_case_and_emoji():
    assert clean_text("Nguyễn Quốc Thái 🌸") == "Nguyễn Quốc Thái 🌸"


@given(st.text())
def test_fold_is_idempotent(text):
    assert fold(fold(text)) == fold(text)
