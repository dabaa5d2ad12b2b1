"""Totals of a document (sencrm/commerce/totals.py): hand-computed cases, the rounding rule, bad input and
properties that hold for any mix of lines."""

from __future__ import annotations

import re
import time
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.test import override_settings
from django.utils import translation
from hypothesis import given, settings
from hypothesis import strategies as st

from sencrm.commerce.totals import DocumentDiscount, LineInput, TotalsError, compute
from sencrm.commerce.vat import NO_VAT, VatRate, rate_sort_key

DECREE_174 = {"start": date(2025, 7, 1), "end": date(2026, 12, 31), "from_rate": "10", "to_rate": "8"}
D = Decimal

QUOTE = [  # the air-conditioner retailer's quote (sencrm/commerce/tests/test_services.py)
    LineInput(quantity=D(2), unit_price=D(12_500_000), vat_rate="10", vat_reducible=True, section="Thiết bị"),
    LineInput(quantity=D(2), unit_price=D(500_000), vat_rate="8", section="Dịch vụ"),
    LineInput(quantity=D("1.5"), unit_price=D(180_000), vat_rate="10", section="Dịch vụ"),
]


@override_settings(VAT_REDUCTION=DECREE_174)
def test_a_quote_after_the_reduction_pays_ten_percent():
    totals = compute(QUOTE, on=date(2027, 3, 1))
    assert [line.net for line in totals.lines] == [25_000_000, 1_000_000, 270_000]
    assert [line.vat for line in totals.lines] == [2_500_000, 80_000, 27_000]
    assert {rate: (g.base, g.vat) for rate, g in totals.vat_by_rate.items()} == {
        "8": (1_000_000, 80_000),
        "10": (25_270_000, 2_527_000),
    }
    assert (totals.subtotal, totals.discount_total, totals.vat_total, totals.total) == (
        26_270_000,
        0,
        2_607_000,
        28_877_000,
    )
    assert [(s.name, s.subtotal) for s in totals.sections] == [
        ("Thiết bị", 25_000_000),
        ("Dịch vụ", 1_270_000),
    ]


@override_settings(VAT_REDUCTION=DECREE_174)
def test_the_same_quote_during_the_reduction_pays_eight_percent_on_the_reducible_line():
    totals = compute(QUOTE, on=date(2026, 12, 31))
    assert [line.vat_rate for line in totals.lines] == ["8", "8", "10"]
    assert {rate: (g.base, g.vat) for rate, g in totals.vat_by_rate.items()} == {
        "8": (26_000_000, 2_080_000),
        "10": (270_000, 27_000),
    }
    assert (totals.vat_total, totals.total) == (2_107_000, 28_377_000)


MIXED = [
    # 5 % off the split units; a non-reducible 10 % line with 100.000 ₫ off; 1.5 × 333.333 = 499.999,5.
    LineInput(
        D(3), D(8_990_000), discount_percent=D(5), vat_rate="10", vat_reducible=True, section="Thiết bị"
    ),
    LineInput(D(2), D(1_250_000), discount_amount=D(100_000), vat_rate="10", section="Thiết bị"),
    LineInput(D("1.5"), D(333_333), vat_rate="8", section="Dịch vụ"),
    LineInput(D(4), D(300_000), vat_rate="KCT", section="Dịch vụ"),  # training: not subject to VAT
]


@override_settings(VAT_REDUCTION=DECREE_174)
def test_a_mix_of_rates_with_line_and_document_discounts_and_sections():
    totals = compute(MIXED, document_discount=DocumentDiscount(amount=D(1_000_000)), on=date(2026, 12, 31))
    lines = totals.lines
    assert [line.gross for line in lines] == [26_970_000, 2_500_000, 500_000, 1_200_000]
    assert [line.discount for line in lines] == [1_348_500, 100_000, 0, 0]
    assert [line.net for line in lines] == [25_621_500, 2_400_000, 500_000, 1_200_000]
    # 1.000.000 shared by the nets (29.721.500): 862.052,72 / 80.749,63 / 16.822,84 / 40.374,81 rounded
    # down, the 3 đồng left go to the largest remainders (lines 3, 4, 1).
    assert [line.document_discount for line in lines] == [862_053, 80_749, 16_823, 40_375]
    assert [line.vat_base for line in lines] == [24_759_447, 2_319_251, 483_177, 1_159_625]
    assert [line.vat_rate for line in lines] == ["8", "10", "8", "KCT"]
    # 8 %: (24.759.447 + 483.177) × 8 % = 2.019.409,92 → 2.019.410; 10 %: 231.925,1 → 231.925.
    assert {rate: (g.base, g.vat) for rate, g in totals.vat_by_rate.items()} == {
        "8": (25_242_624, 2_019_410),
        "10": (2_319_251, 231_925),
        "KCT": (1_159_625, 0),
    }
    assert list(totals.vat_by_rate) == ["8", "10", "KCT"]
    assert [line.vat for line in lines] == [1_980_756, 231_925, 38_654, 0]
    assert totals.subtotal == 31_170_000
    assert (totals.line_discount, totals.document_discount, totals.discount_total) == (
        1_448_500,
        1_000_000,
        2_448_500,
    )
    assert totals.before_vat == 28_721_500
    assert (totals.vat_total, totals.total) == (2_251_335, 30_972_835)
    assert [(s.name, s.gross, s.discount, s.subtotal) for s in totals.sections] == [
        ("Thiết bị", 29_470_000, 1_448_500, 28_021_500),
        ("Dịch vụ", 1_700_000, 0, 1_700_000),
    ]


@override_settings(VAT_REDUCTION=DECREE_174)
def test_the_day_after_the_reduction_the_same_document_pays_ten_percent():
    totals = compute(MIXED, document_discount=DocumentDiscount(amount=D(1_000_000)), on=date(2027, 1, 1))
    # 10 %: (24.759.447 + 2.319.251) × 10 % = 2.707.869,8 → 2.707.870; 8 %: 483.177 × 8 % = 38.654,16.
    assert {rate: (g.base, g.vat) for rate, g in totals.vat_by_rate.items()} == {
        "8": (483_177, 38_654),
        "10": (27_078_698, 2_707_870),
        "KCT": (1_159_625, 0),
    }
    assert (totals.vat_total, totals.total) == (2_746_524, 31_468_024)


def test_a_percent_discount_on_the_document():
    lines = [LineInput(D(1), D(1_000_000), vat_rate="10"), LineInput(D(1), D(333_333), vat_rate="5")]
    totals = compute(lines, document_discount=DocumentDiscount(percent=D("2.5")), on=date(2027, 1, 1))
    # 2,5 % of 1.333.333 = 33.333,325 → 33.333, shared 25.000 / 8.333 (8.333,33).
    assert totals.document_discount == 33_333
    assert [line.document_discount for line in totals.lines] == [25_000, 8_333]
    assert {rate: g.vat for rate, g in totals.vat_by_rate.items()} == {"5": 16_250, "10": 97_500}
    assert totals.total == 1_333_333 - 33_333 + 16_250 + 97_500


def test_amounts_round_half_up_to_the_dong():
    # 0,5 × 333 = 166,5 → 167 (half-even would give 166); 10 % of 1.005 = 100,5 → 101 (not 100).
    assert compute([LineInput(D("0.5"), D(333), vat_rate="0")], on=date(2027, 1, 1)).total == 167
    totals = compute([LineInput(D(1), D(1_005), vat_rate="10")], on=date(2027, 1, 1))
    assert (totals.vat_total, totals.total) == (101, 1_106)
    # 12,5 % of 1.004 = 125,5 → 126.
    assert (
        compute([LineInput(D(1), D(1_004), discount_percent=D("12.5"), vat_rate="0")], on=date(2027, 1, 1))
        .lines[0]
        .discount
        == 126
    )


def test_vat_per_rate_not_per_line():
    # Three lines of 5 đồng at 10 %: per line 0,5 → 1 each would make 3; per rate 15 × 10 % = 1,5 → 2.
    totals = compute([LineInput(D(1), D(5), vat_rate="10")] * 3, on=date(2027, 1, 1))
    assert totals.vat_total == 2 and [line.vat for line in totals.lines] == [1, 1, 0]


def test_kkknt_and_zero_lines_carry_no_vat_but_count_in_the_total():
    lines = [LineInput(D(1), D(700_000), vat_rate="KKKNT"), LineInput(D(1), D(300_000), vat_rate="0")]
    totals = compute(lines, on=date(2026, 6, 1))
    assert {rate: (g.base, g.vat) for rate, g in totals.vat_by_rate.items()} == {
        "0": (300_000, 0),
        "KKKNT": (700_000, 0),
    }
    assert (totals.vat_total, totals.total) == (0, 1_000_000)


def test_an_empty_document_is_zero():
    totals = compute([], on=date(2026, 6, 1))
    assert (totals.subtotal, totals.vat_total, totals.total, totals.vat_by_rate, totals.sections) == (
        0,
        0,
        0,
        {},
        (),
    )


def test_a_free_line_and_a_full_discount():
    lines = [
        LineInput(D(1), D(0), vat_rate="10"),
        LineInput(D(2), D(50_000), discount_percent=D(100), vat_rate="10"),
    ]
    totals = compute(lines, on=date(2026, 6, 1))
    assert (totals.subtotal, totals.discount_total, totals.total) == (100_000, 100_000, 0)


def test_other_currencies_keep_their_minor_unit():
    lines = [LineInput(D(3), D("19.99"), vat_rate="10"), LineInput(D("0.5"), D("0.05"), vat_rate="10")]
    totals = compute(
        lines, document_discount=DocumentDiscount(amount=D("1.00")), on=date(2027, 1, 1), currency="USD"
    )
    # 59,97 + 0,025 → 0,03; 1,00 off shared in cents 99,95 / 0,05 → 99 / 0 and the cent left to the
    # larger remainder: 1,00 / 0,00; VAT 10 % of 59,00 = 5,90.
    assert [line.gross for line in totals.lines] == [D("59.97"), D("0.03")]
    assert [line.document_discount for line in totals.lines] == [D("1.00"), D("0.00")]
    assert (totals.vat_total, totals.total) == (D("5.90"), D("64.90"))


@pytest.mark.parametrize(
    ("line", "words"),
    [
        (LineInput(D(0), D(1)), "greater than 0"),
        (LineInput(D(-2), D(1)), "greater than 0"),
        (LineInput(D("1.0005"), D(1)), "3 decimals"),
        (LineInput(D(10**12), D(1)), "12 digits"),
        (LineInput(D("NaN"), D(1)), "must be a number"),
        (LineInput(1.5, D(1)), "must be a number"),  # type: ignore[arg-type]
        (LineInput("1", D(1)), "must be a number"),  # type: ignore[arg-type]
        (LineInput(True, D(1)), "must be a number"),  # type: ignore[arg-type]
        (LineInput(D(1), D(-1)), "unit price"),
        (LineInput(D(1), D("Infinity")), "must be a number"),
        (LineInput(D(1), D(10**15 + 1)), "unit price"),
        (LineInput(D(1), D("0.0000001")), "unit price"),
        (LineInput(D(2), D(10**15)), "above 10^15"),
        (LineInput(D(1), D(100), discount_percent=D(101)), "percent from 0 to 100"),
        (LineInput(D(1), D(100), discount_percent=D(-1)), "percent from 0 to 100"),
        (LineInput(D(1), D(100), discount_amount=D(101)), "more than the line's amount"),
        (LineInput(D(1), D(100), discount_amount=D(-1)), "0 or more"),
        (LineInput(D(1), D(100), discount_amount=D("0.5")), "whole units"),
        (LineInput(D(1), D(100), discount_amount=D("1E+40")), "0 or more"),
        (LineInput(D(1), D(100), discount_percent=D(5), discount_amount=D(5)), "not both"),
        (LineInput(D(1), D(100), vat_rate="12"), "unknown VAT rate"),
        (LineInput(D(1), D(100), vat_rate="kct"), "unknown VAT rate"),
    ],
)
def test_bad_lines_are_refused_with_the_line_number(line, words):
    good = LineInput(D(1), D(100))
    with translation.override("en"), pytest.raises(TotalsError) as error:
        compute([good, line], on=date(2026, 6, 1))
    assert error.value.line == 2
    assert str(error.value).startswith("Line 2: ") and words in str(error.value)
    assert isinstance(error.value, ValueError)


@pytest.mark.parametrize(
    ("lines", "discount", "currency", "words"),
    [
        ([LineInput(D(1), D(6 * 10**14))] * 2, None, "VND", "total of the lines is above 10^15"),
        ([LineInput(D(1), D(10**15), vat_rate="10")], None, "VND", "total is above 10^15"),
        ([LineInput(D(1), D(100))], DocumentDiscount(amount=D(101)), "VND", "more than the lines' amount"),
        ([LineInput(D(1), D(100))], DocumentDiscount(percent=D(150)), "VND", "percent from 0 to 100"),
        ([LineInput(D(1), D(100))], DocumentDiscount(percent=D(1), amount=D(1)), "VND", "not both"),
        ([LineInput(D(1), D(100))], DocumentDiscount(amount=D("0.5")), "VND", "whole units"),
        ([], DocumentDiscount(amount=D(1)), "VND", "more than the lines' amount"),
        ([LineInput(D(1), D(100))], None, "XYZ", "Unknown currency"),
    ],
)
def test_bad_documents_are_refused(lines, discount, currency, words):
    with translation.override("en"), pytest.raises(TotalsError, match=re.escape(words)) as error:
        compute(lines, document_discount=discount, on=date(2026, 6, 1), currency=currency)
    assert error.value.line is None


def test_exactly_10_to_the_15_is_allowed():
    totals = compute([LineInput(D(1), D(10**15), vat_rate="KCT")], on=date(2026, 6, 1))
    assert totals.total == 10**15


@override_settings(VAT_REDUCTION=DECREE_174)
def test_a_200_line_document_is_exact_and_fast():
    rates = ["10", "8", "5", "0", "KCT"]
    lines = [
        LineInput(
            D("1.001"), D(99_999), vat_rate=rates[n % 5], vat_reducible=n % 2 == 0, section=f"Phần {n // 50}"
        )
        for n in range(200)
    ]
    started = time.perf_counter()
    totals = compute(lines, document_discount=DocumentDiscount(percent=D(3)), on=date(2026, 6, 1))
    elapsed = time.perf_counter() - started
    # 1,001 × 99.999 = 100.098,999 → 100.099 per line; 200 lines = 20.019.800; 3 % = 600.594.
    assert totals.subtotal == 20_019_800 and totals.document_discount == 600_594
    assert totals.before_vat == 19_419_206
    assert len(totals.sections) == 4 and all(s.subtotal == 5_004_950 for s in totals.sections)
    assert (
        sum(g.vat for g in totals.vat_by_rate.values())
        == totals.vat_total
        == sum(x.vat for x in totals.lines)
    )
    assert elapsed < 0.25, elapsed


# Any mix of lines: the properties of the rule.
quantities = st.integers(min_value=1, max_value=10**7).map(lambda n: Decimal(n).scaleb(-3))
prices = st.integers(min_value=0, max_value=10**8).map(Decimal)
percents = st.integers(min_value=0, max_value=10_000).map(lambda n: Decimal(n).scaleb(-2))


def half_up(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


@st.composite
def line_inputs(draw: st.DrawFn) -> LineInput:
    quantity, price = draw(quantities), draw(prices)
    gross = half_up(quantity * price)
    kind = draw(st.sampled_from(["none", "percent", "amount"]))
    return LineInput(
        quantity=quantity,
        unit_price=price,
        discount_percent=draw(percents) if kind == "percent" else D(0),
        discount_amount=D(draw(st.integers(0, gross))) if kind == "amount" else D(0),
        vat_rate=draw(st.sampled_from(VatRate.values)),
        vat_reducible=draw(st.booleans()),
        section=draw(st.sampled_from(["", "Thiết bị", "Dịch vụ"])),
    )


@st.composite
def documents(draw: st.DrawFn) -> tuple[list[LineInput], DocumentDiscount]:
    lines = draw(st.lists(line_inputs(), max_size=25))
    nets = compute(lines, on=date(2027, 1, 1)).before_vat
    kind = draw(st.sampled_from(["none", "percent", "amount"]))
    if kind == "percent":
        return lines, DocumentDiscount(percent=draw(percents))
    if kind == "amount":
        return lines, DocumentDiscount(amount=D(draw(st.integers(0, int(nets)))))
    return lines, DocumentDiscount()


def whole(value: Decimal) -> bool:
    return value == value.to_integral_value() and value.as_tuple().exponent == 0


@settings(max_examples=300, deadline=None)
@given(documents(), st.dates(min_value=date(2025, 1, 1), max_value=date(2027, 12, 31)))
@override_settings(VAT_REDUCTION=DECREE_174)
def test_any_mix_of_lines_adds_up(document, on):
    lines, discount = document
    totals = compute(lines, document_discount=discount, on=on)
    assert totals == compute(lines, document_discount=discount, on=on)  # deterministic
    assert totals.total == totals.subtotal - totals.discount_total + totals.vat_total
    assert totals.discount_total == totals.line_discount + totals.document_discount
    assert totals.before_vat == sum(g.base for g in totals.vat_by_rate.values())
    assert (
        totals.vat_total
        == sum(g.vat for g in totals.vat_by_rate.values())
        == sum(x.vat for x in totals.lines)
    )
    assert totals.document_discount == sum(x.document_discount for x in totals.lines)
    assert totals.subtotal == sum(s.gross for s in totals.sections) == sum(x.gross for x in totals.lines)
    assert sum(s.subtotal for s in totals.sections) == sum(x.net for x in totals.lines)
    assert list(totals.vat_by_rate) == sorted(totals.vat_by_rate, key=rate_sort_key)
    reduced = DECREE_174["start"] <= on <= DECREE_174["end"]
    for given_line, line in zip(lines, totals.lines, strict=True):
        assert line.net == line.gross - line.discount and line.vat_base == line.net - line.document_discount
        assert 0 <= line.document_discount <= line.net
        expected = (
            "8"
            if reduced and given_line.vat_reducible and given_line.vat_rate == "10"
            else given_line.vat_rate
        )
        assert line.vat_rate == expected
    for rate, group in totals.vat_by_rate.items():
        members = [x for x in totals.lines if x.vat_rate == rate]
        assert group.base == sum(x.vat_base for x in members) and group.vat == sum(x.vat for x in members)
        assert group.vat == (0 if rate in NO_VAT else half_up(group.base * Decimal(rate) / 100))
    amounts = [totals.subtotal, totals.discount_total, totals.before_vat, totals.vat_total, totals.total]
    amounts += [
        a for x in totals.lines for a in (x.gross, x.discount, x.net, x.document_discount, x.vat_base, x.vat)
    ]
    assert all(whole(a) and a >= 0 for a in amounts)
