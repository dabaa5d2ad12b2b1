from decimal import Decimal

import pytest
from django.template import Context, Template
from django.utils import translation

from sencrm.core.money import format_money


@pytest.mark.parametrize(
    ("amount", "vi", "en"),
    [
        (50000000, "50.000.000 ₫", "50,000,000 ₫"),
        (Decimal("1234567.5"), "1.234.568 ₫", "1,234,568 ₫"),
        (0, "0 ₫", "0 ₫"),
        (-2500, "-2.500 ₫", "-2,500 ₫"),
        (10**15, "1.000.000.000.000.000 ₫", "1,000,000,000,000,000 ₫"),
    ],
)
def test_vnd_has_no_decimals_and_groups_by_language(amount, vi, en):
    with translation.override("vi"):
        assert format_money(amount) == vi
    with translation.override("en"):
        assert format_money(amount) == en


def test_usd_keeps_cents():
    with translation.override("en"):
        assert format_money(Decimal("1234.5"), "USD") == "1,234.50 $"


def test_bad_amounts_render_empty():
    assert format_money(None) == ""
    assert format_money("not a number") == ""


def test_template_filter():
    with translation.override("vi"):
        rendered = Template("{% load sen %}{{ amount|vnd }}").render(Context({"amount": 50000000}))
    assert rendered == "50.000.000 ₫"
