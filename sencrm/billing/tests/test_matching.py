"""Matching bank transfers to open invoices: pure, no database."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import translation

from sencrm.billing.matching import Match, Matcher, OpenInvoice, normalise_ref

AN, BICH, NAM, CHAU_1, CHAU_2, SHORT, LONG, MINH = 1, 2, 3, 4, 5, 6, 7, 8
INVOICES = [
    OpenInvoice(
        AN, "HDBH-2026-000123", Decimal(5_500_000), "Nguyễn Văn An", ("0912345678",), dt.date(2026, 3, 10)
    ),
    OpenInvoice(BICH, "HDBH-2026-000124", Decimal("3000000.00"), "Trần Thị Bích", (), dt.date(2026, 3, 15)),
    OpenInvoice(NAM, "HDBH-2026-000125", Decimal(2_000_000), "Lê Hoàng Nam", ("+84 987 654 321",), None),
    OpenInvoice(CHAU_1, "HDBH-2026-000126", Decimal(1_200_000), "Phạm Minh Châu", (), dt.date(2026, 4, 30)),
    OpenInvoice(CHAU_2, "HDBH-2026-000127", Decimal(1_200_000), "Phạm Minh Châu", (), dt.date(2026, 4, 1)),
    OpenInvoice(SHORT, "KH-ABC12", Decimal(800_000), "Đỗ Thu Hà", (), None),
    OpenInvoice(LONG, "KH-ABC12X", Decimal(900_000), "Đỗ Thu Hà", (), None),
    OpenInvoice(MINH, "HDBH-2026-000128", Decimal(700_000), "Minh", (), None),
]


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    return Matcher(INVOICES)


@pytest.mark.parametrize(
    "text", ["HDBH-2026-000123", "hdbh 2026 000123", "HDBH.2026.000123", "HDBH2026000123"]
)
def test_references_normalise_to_letters_and_digits(text):
    assert normalise_ref(text) == "HDBH2026000123"


def test_normalising_folds_vietnamese_letters():
    assert normalise_ref("Hóa đơn số: ĐH-01/2026") == "HOADONSODH012026"


@pytest.mark.parametrize(
    "content",
    [
        "CT DEN:0123 NGUYEN VAN AN CK TT HD HDBH-2026-000123",
        "IBFT NGUYEN VAN AN chuyen tien HDBH2026000123",
        "MBVCB.1234567.NGUYEN VAN AN chuyen tien thanh toan hoa don hdbh 2026 000123.CT tu 0011001234567",
        "thanh toan HĐBH-2026-000123",
    ],
)
def test_an_invoice_number_in_the_content_is_a_confident_match(matcher, content):
    match = matcher.match(content, Decimal(5_500_000))

    assert match is not None
    assert (match.invoice_id, match.reason, match.confident) == (AN, "number", True)
    assert "HDBH-2026-000123" in match.explanation


def test_a_partial_payment_naming_the_number_is_confident(matcher):
    match = matcher.match("TT HDBH-2026-000123 dot 1", Decimal(2_000_000))

    assert match is not None and (match.invoice_id, match.confident) == (AN, True)


def test_an_amount_above_the_balance_is_matched_but_not_confident(matcher):
    with translation.override("vi"):
        match = matcher.match("CK TT HD HDBH-2026-000123", Decimal(6_000_000))

    assert match is not None
    assert (match.invoice_id, match.reason, match.confident) == (AN, "number", False)
    assert "6.000.000 ₫" in match.explanation and "5.500.000 ₫" in match.explanation


def test_a_number_match_repeats_for_a_second_partial_payment(matcher):
    match = matcher.match("HDBH2026000123 dot 2", Decimal(1_000_000), already={AN})

    assert match is not None and match.invoice_id == AN


def test_the_name_and_the_exact_amount_match_without_a_number(matcher):
    with translation.override("vi"):
        match = matcher.match("TRAN THI BICH chuyen khoan", Decimal(3_000_000))

    assert match == Match(
        BICH, "name_amount", True, "Tên người chuyển và số tiền (3.000.000 ₫) khớp với hóa đơn này."
    )


def test_the_name_matches_with_vietnamese_letters_and_punctuation(matcher):
    match = matcher.match("CK.Trần Thị Bích-chuyển khoản", Decimal(3_000_000))

    assert match is not None and (match.invoice_id, match.reason) == (BICH, "name_amount")


@pytest.mark.parametrize(
    ("content", "amount"),
    [
        ("TRAN THI BICH chuyen khoan", Decimal(2_999_000)),  # the amount must be the balance exactly
        ("NGUYEN VAN ANH chuyen tien", Decimal(5_500_000)),  # "AN" is not "ANH": whole words only
        ("MINH chuyen tien", Decimal(700_000)),  # a one-word name is not enough
        ("chuyen tien an trua", Decimal(450_000)),
        ("TT 000123", Decimal(5_500_000)),  # digits without the prefix: too risky, not matched
        ("TT HDBH-2026-0001234", Decimal(5_500_000)),  # a longer number is not invoice 000123
    ],
)
def test_no_match(matcher, content, amount):
    assert matcher.match(content, amount) is None


@pytest.mark.parametrize(
    "content", ["0912345678 thanh toan", "chuyen tien tu 84912345678", "SDT 0912 345 678 ck"]
)
def test_a_phone_and_the_exact_amount_match(matcher, content):
    match = matcher.match(content, Decimal(5_500_000))

    assert match is not None
    assert (match.invoice_id, match.reason, match.confident) == (AN, "phone_amount", True)


def test_a_phone_stored_with_the_country_code_matches_the_national_form(matcher):
    match = matcher.match("0987654321 thanh toan", Decimal(2_000_000))

    assert match is not None and (match.invoice_id, match.reason) == (NAM, "phone_amount")


def test_several_invoices_fitting_the_name_and_amount_give_the_earliest_due_not_confidently(matcher):
    match = matcher.match("PHAM MINH CHAU chuyen tien", Decimal(1_200_000))

    assert match is not None
    assert (match.invoice_id, match.reason, match.confident) == (CHAU_2, "name_amount", False)


def test_invoices_already_proposed_are_not_proposed_again_by_name(matcher):
    second = matcher.match("PHAM MINH CHAU chuyen tien", Decimal(1_200_000), already={CHAU_2})
    third = matcher.match("PHAM MINH CHAU chuyen tien", Decimal(1_200_000), already={CHAU_1, CHAU_2})

    assert second is not None and (second.invoice_id, second.confident) == (CHAU_1, True)
    assert third is None


def test_the_longest_number_is_preferred(matcher):
    match = matcher.match("TT KH-ABC12X", Decimal(900_000))

    assert match is not None and (match.invoice_id, match.confident) == (LONG, True)


def test_two_numbers_in_the_content_match_the_first_but_not_confidently(matcher):
    match = matcher.match("TT HDBH-2026-000124 va HDBH-2026-000125", Decimal(5_000_000))

    assert match is not None and (match.invoice_id, match.confident) == (BICH, False)


@pytest.mark.parametrize("amount", [Decimal(-5_500_000), Decimal(0)])
def test_money_out_is_never_matched(matcher, amount):
    assert matcher.match("CK TT HD HDBH-2026-000123 NGUYEN VAN AN 0912345678", amount) is None


def test_a_matcher_without_invoices_matches_nothing():
    assert Matcher([]).match("HDBH-2026-000123", Decimal(5_500_000)) is None
