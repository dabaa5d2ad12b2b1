from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template

from sencrm.core.money import format_money

register = template.Library()


@register.filter
def vnd(amount: Decimal | int | float | str | None) -> str:
    """{{ amount|vnd }} → "50.000.000 ₫" (Vietnamese) or "50,000,000 ₫" (English)."""
    return format_money(amount, "VND")


@register.filter
def money(amount: Decimal | int | float | str | None, currency: str = "VND") -> str:
    return format_money(amount, currency)


@register.simple_tag(takes_context=True)
def query_replace(context: dict[str, Any], **kwargs: Any) -> str:
    """The current query string with some parameters replaced (pagination links keep the filters)."""
    query = context["request"].GET.copy()
    for key, value in kwargs.items():
        if value in (None, ""):
            query.pop(key, None)
        else:
            query[key] = value
    encoded: str = query.urlencode()
    return encoded
