"""The VAT rate a line pays on the document's date: the temporary reduction 10 % → 8 % and its setting."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings
from django.utils import translation

from config.settings import _vat_reduction
from sencrm.commerce.vat import VatRate, VatRateError, effective_code, effective_rate, rate_sort_key

DECREE_174 = {"start": date(2025, 7, 1), "end": date(2026, 12, 31), "from_rate": "10", "to_rate": "8"}
NEXT = {"start": "2027-01-01", "end": "2027-06-30", "from_rate": "10", "to_rate": "5"}
BAD_ENV = [
    "2025-07-01,2026-12-31,10",
    "01/07/2025,31/12/2026,10,8",
    "2027-01-01,2026-01-01,10,8",
    "2025-07-01,2026-12-31,10,KCT",
    "2025-07-01,2026-12-31,12,8",
]


def test_the_default_setting_is_decree_174():
    assert _vat_reduction() == DECREE_174


@pytest.mark.parametrize(
    ("on", "rate"),
    [
        (date(2025, 6, 30), Decimal(10)),  # the day before Decree 174 (Decree 180/2024 is not configured)
        (date(2025, 7, 1), Decimal(8)),
        (date(2026, 3, 15), Decimal(8)),
        (date(2026, 12, 31), Decimal(8)),
        (date(2027, 1, 1), Decimal(10)),
        (datetime(2026, 12, 31, 23, 59), Decimal(8)),  # noqa: DTZ001 - a date-time is read as its date
    ],
)
@override_settings(VAT_REDUCTION=DECREE_174)
def test_a_reducible_ten_percent_line_pays_eight_percent_within_the_dates(on, rate):
    assert effective_rate("10", True, on) == rate


@override_settings(VAT_REDUCTION=DECREE_174)
def test_only_reducible_ten_percent_lines_are_reduced():
    on = date(2026, 6, 1)
    assert effective_rate("10", False, on) == Decimal(10)  # telecoms, finance, real estate…
    assert effective_code("10", True, on) == "8"
    assert [effective_rate(rate, True, on) for rate in ("0", "5", "8")] == [
        Decimal(0),
        Decimal(5),
        Decimal(8),
    ]


@pytest.mark.parametrize("rate", ["KCT", "KKKNT"])
@pytest.mark.parametrize("reducible", [True, False])
@override_settings(VAT_REDUCTION=DECREE_174)
def test_kct_and_kkknt_carry_no_vat(rate, reducible):
    assert effective_rate(rate, reducible, date(2026, 6, 1)) is None
    assert effective_code(rate, reducible, date(2026, 6, 1)) == rate


@override_settings(
    VAT_REDUCTION={"start": "2027-01-01", "end": "2027-06-30", "from_rate": "10", "to_rate": "5"}
)
def test_the_next_decree_is_a_settings_change():
    assert effective_rate("10", True, date(2026, 12, 31)) == Decimal(10)
    assert effective_rate("10", True, date(2027, 1, 1)) == Decimal(5)
    assert effective_rate("10", True, date(2027, 6, 30)) == Decimal(5)
    assert effective_rate("10", True, date(2027, 7, 1)) == Decimal(10)


@override_settings(VAT_REDUCTION=None)
def test_no_reduction_when_switched_off():
    assert effective_rate("10", True, date(2026, 6, 1)) == Decimal(10)


@pytest.mark.parametrize("rate", ["12", "", "10%", "kct", None, "8.0"])
def test_an_unknown_rate_is_refused(rate):
    with translation.override("en"), pytest.raises(VatRateError, match="unknown VAT rate"):
        effective_rate(rate, False, date(2026, 6, 1))
    assert issubclass(VatRateError, ValueError)


@override_settings(VAT_REDUCTION={"start": "2025-07-01", "from_rate": "10", "to_rate": "8"})
def test_a_broken_setting_fails_loudly():
    with pytest.raises(ImproperlyConfigured, match="VAT_REDUCTION"):
        effective_rate("10", True, date(2026, 6, 1))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2027-01-01,2027-06-30,10,5", {**NEXT, "start": date(2027, 1, 1), "end": date(2027, 6, 30)}),
        ("off", None),
        (" OFF ", None),
    ],
)  # fmt: skip
def test_the_environment_sets_the_reduction(monkeypatch, value, expected):
    monkeypatch.setenv("VAT_REDUCTION", value)
    assert _vat_reduction() == expected


@pytest.mark.parametrize("value", BAD_ENV)
def test_a_bad_environment_value_stops_the_start(monkeypatch, value):
    monkeypatch.setenv("VAT_REDUCTION", value)
    with pytest.raises(ImproperlyConfigured, match="VAT_REDUCTION"):
        _vat_reduction()


def test_rates_sort_as_on_the_e_invoice():
    assert VatRate.values == ["0", "5", "8", "10", "KCT", "KKKNT"]
    assert sorted(["KKKNT", "10", "KCT", "0", "8", "5"], key=rate_sort_key) == VatRate.values
