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


@register.filter
def verbose_name(obj: Any) -> str:
    """{{ record|verbose_name }} → "Báo giá": what kind of record it is, in the reader's language."""
    meta = getattr(obj, "_meta", None)
    return str(meta.verbose_name).capitalize() if meta is not None else ""


@register.filter
def quantity(value: Decimal | int | float | str | None) -> str:
    """{{ line.quantity|quantity }} → "1,5" (Vietnamese) or "1.5": up to 3 decimals, no trailing zeros."""
    from django.utils import translation

    if value is None or value == "":
        return ""
    number = Decimal(str(value)).quantize(Decimal("0.001")).normalize()
    text = f"{number:f}"
    whole, _, fraction = text.partition(".")
    vietnamese = (translation.get_language() or "vi").startswith("vi")
    grouped = f"{int(whole):,}".replace(",", "." if vietnamese else ",") if whole not in ("", "-") else whole
    if whole.startswith("-") and not grouped.startswith("-"):
        grouped = "-" + grouped
    return f"{grouped}{',' if vietnamese else '.'}{fraction}" if fraction else grouped


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


# Parameters of a list's query string that are not filters (the search box stays outside the panel).
_NOT_FILTERS = frozenset({"q", "sort", "cursor", "format", "page"})


@register.simple_tag(takes_context=True)
def active_filter_count(context: dict[str, Any]) -> int:
    """How many filters of the list are set: the badge on the folded "Filters" button."""
    request = context.get("request")
    if request is None:
        return 0
    return sum(
        1 for key, values in request.GET.lists() if key not in _NOT_FILTERS and any(v.strip() for v in values)
    )


@register.filter
def tel_uri(number: str | None) -> str:
    """A `tel:` address for a phone as typed (E.164 when it parses, else its digits)."""
    from sencrm.core.phones import to_e164

    if not number:
        return ""
    e164 = to_e164(number)
    if e164:
        return f"tel:{e164}"
    digits = "".join(ch for ch in number if ch.isdigit() or ch == "+")
    return f"tel:{digits}" if digits else ""


@register.simple_tag
def form_sections(form: Any) -> list[dict[str, Any]]:
    """The form's visible fields grouped by its `sections` ((key, heading, [names]) tuples).

    Fields no section names (custom fields, fields added later) are kept in a last "More" section,
    so grouping never hides a field.
    """
    from django.utils.translation import gettext as _

    visible = {f.name: f for f in form.visible_fields()}
    groups: list[dict[str, Any]] = []
    for key, heading, names in getattr(form, "sections", ()):
        fields = [visible.pop(n) for n in names if n in visible]
        if fields:
            groups.append({"key": key, "heading": heading, "fields": fields})
    if visible:
        groups.append({"key": "more", "heading": _("More"), "fields": list(visible.values())})
    return groups


@register.simple_tag(takes_context=True)
def related_link(context: dict[str, Any], related: Any) -> str:
    """{% related_link object.first_campaign %}: a link to the related record when the reader may open it,
    else its name as `access.related_label` gives it ("(not visible to you)"); "" for none."""
    from django.utils.html import format_html

    from sencrm.core import access

    if related is None:
        return ""
    request = context.get("request")
    user = getattr(request, "user", None) or context.get("user")
    label = access.related_label(user, related)
    if label == str(related) and hasattr(related, "get_absolute_url"):
        return format_html('<a href="{}">{}</a>', related.get_absolute_url(), label)
    return format_html('<span class="text-muted">{}</span>', label)
