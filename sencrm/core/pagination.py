"""Keyset pagination: pages by (sort key, id), so page 1,000 costs what page 1 costs.

The cursor is signed, so a tampered or forged cursor is refused (400), never trusted into SQL.
Counts are capped: above the cap a list says "10.000+" instead of counting a big table.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core import signing
from django.db import models

COUNT_CAP = 10_000
MAX_PAGE_SIZE = 200
_SALT = "sencrm.keyset"


class BadCursor(ValueError):
    pass


@dataclass
class KeysetPage:
    rows: list[Any]
    next_cursor: str | None
    count: int
    count_capped: bool


def _field_value(obj: Any, field: str) -> Any:
    # attname: a foreign key pages by its id ("owner_id"), not by the related object.
    value = getattr(obj, obj._meta.get_field(field).attname)
    if isinstance(value, Decimal):
        return str(value)  # JSON has no exact decimal; the field's to_python reads it back
    return value.isoformat() if hasattr(value, "isoformat") else value


def keyset_page(
    qs: models.QuerySet[Any],
    *,
    sort: str,
    descending: bool = False,
    cursor: str | None = None,
    size: int = 50,
    count: bool = True,
) -> KeysetPage:
    """One page of `qs` ordered by `sort` (an allowlisted, non-null concrete field) then id."""
    size = max(1, min(size, MAX_PAGE_SIZE))
    total, capped = 0, False
    if count:
        total = qs.order_by()[: COUNT_CAP + 1].count()
        capped = total > COUNT_CAP
        total = min(total, COUNT_CAP)
    if cursor:
        try:
            value, last_id, cursor_sort = signing.loads(cursor, salt=_SALT)
        except signing.BadSignature as exc:
            raise BadCursor(cursor) from exc
        if cursor_sort != f"{'-' if descending else ''}{sort}":
            raise BadCursor(cursor)
        field = qs.model._meta.get_field(sort)
        value = field.to_python(value)
        op = "lt" if descending else "gt"
        qs = qs.filter(models.Q(**{f"{sort}__{op}": value}) | models.Q(**{sort: value, f"id__{op}": last_id}))
    order = [f"-{sort}", "-id"] if descending else [sort, "id"]
    rows = list(qs.order_by(*order)[: size + 1])
    next_cursor = None
    if len(rows) > size:
        rows = rows[:size]
        last = rows[-1]
        next_cursor = signing.dumps(
            [_field_value(last, sort), last.pk, f"{'-' if descending else ''}{sort}"],
            salt=_SALT,
            compress=True,
        )
    return KeysetPage(rows=rows, next_cursor=next_cursor, count=total, count_capped=capped)
