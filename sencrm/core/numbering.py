"""Document numbers: one sequence per kind of document, e.g. BG-2026-00001, restarting each year.

`next_number(kind, on)` takes the next number inside the transaction that creates the document: the
counter row stays locked until that transaction ends, so concurrent documents wait for each other
(no duplicate), and a rolled-back document gives its number back (no gap). One statement does it on
both databases, an upsert that returns the new value (PostgreSQL, SQLite ≥ 3.35).

Each kind has a default format (DEFAULT_FORMATS); `number_format_set` changes it (prefix, digits,
pattern, yearly restart, the next number when moving from another system).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, replace
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.transaction import TransactionManagementError
from django.utils import timezone
from django.utils.translation import gettext as _

from sencrm.core import access
from sencrm.core.models import NumberCounter, NumberSequence
from sencrm.core.modules import Action, Module

NUMBER_MAX_LENGTH = 40  # the documents' number columns
PLACEHOLDER = re.compile(r"\{(\w*)\}")
PLACEHOLDERS = {"prefix", "year", "yy", "number"}
# Letters (with Vietnamese diacritics), digits and a few separators; nothing a file name or URL minds.
PREFIX = re.compile(r"[\w./-]*")
TEXT = re.compile(r"[\w./ -]*")


@dataclass(frozen=True)
class NumberFormat:
    prefix: str
    padding: int = 5
    yearly_reset: bool = True
    pattern: str = "{prefix}-{year}-{number}"


# Vietnamese abbreviations, ASCII so that numbers travel well (file names, e-mails, other systems).
DEFAULT_FORMATS: dict[str, NumberFormat] = {
    "quote": NumberFormat("BG", 5),  # báo giá
    "order": NumberFormat("DH", 6),  # đơn hàng
    "contract": NumberFormat("HD", 5),  # hợp đồng
    "invoice": NumberFormat("HDBH", 6),  # hóa đơn bán hàng (the e-invoice has its own series and number)
    "receipt": NumberFormat("PT", 6),  # phiếu thu
    "payment": NumberFormat("PC", 6),  # phiếu chi
    "return": NumberFormat("TH", 5),  # hàng trả lại
    "data_request": NumberFormat("YCDL", 5),  # yêu cầu về dữ liệu cá nhân (sencrm/privacy)
    "ticket": NumberFormat("SC", 6),  # phiếu sự cố, khiếu nại (sencrm/support)
    "work_order": NumberFormat("CV", 6),  # phiếu công việc (sencrm/fieldservice)
}


def number_format(kind: str) -> NumberFormat:
    """The format of `kind`: the administrator's if saved, else the default. ValueError if unknown."""
    row = NumberSequence.objects.filter(kind=kind).first()
    if row is not None:
        return NumberFormat(row.prefix, row.padding, row.yearly_reset, row.pattern)
    if kind not in DEFAULT_FORMATS:
        raise ValueError(f"unknown kind of document {kind!r}: one of {', '.join(DEFAULT_FORMATS)}")
    return DEFAULT_FORMATS[kind]


def render(fmt: NumberFormat, number: int, year: int) -> str:
    values = {"prefix": fmt.prefix, "year": f"{year:04d}", "yy": f"{year % 100:02d}"}
    values["number"] = f"{number:0{fmt.padding}d}"
    return PLACEHOLDER.sub(lambda match: values[match.group(1)], fmt.pattern)


def next_number(kind: str, on: date) -> str:
    """The next number of `kind` for a document dated `on`; call it inside the document's transaction."""
    if not connection.in_atomic_block:
        raise TransactionManagementError(
            "next_number() must run inside the transaction that saves the document"
        )
    fmt = number_format(kind)
    year = on.year if fmt.yearly_reset else 0
    q = connection.ops.quote_name
    table, kind_col, year_col, last = q(NumberCounter._meta.db_table), q("kind"), q("year"), q("last_number")
    # Only column names are interpolated (never input). The row lock taken here is held until the
    # caller's transaction commits or rolls back.
    sql = (
        f"INSERT INTO {table} ({kind_col}, {year_col}, {last}) VALUES (%s, %s, 1) "  # noqa: S608
        f"ON CONFLICT ({kind_col}, {year_col}) DO UPDATE SET {last} = {table}.{last} + 1 RETURNING {last}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [kind, year])
        number = int(cursor.fetchone()[0])
    return render(fmt, number, on.year)


def number_preview(kind: str, on: date) -> str:
    """What the next number of `kind` would be for a document dated `on` (nothing is taken)."""
    fmt = number_format(kind)
    counter = NumberCounter.objects.filter(kind=kind, year=on.year if fmt.yearly_reset else 0).first()
    return render(fmt, (counter.last_number if counter else 0) + 1, on.year)


def number_formats() -> dict[str, NumberFormat]:
    """Every kind's format, for the settings page."""
    saved = {
        row.kind: NumberFormat(row.prefix, row.padding, row.yearly_reset, row.pattern)
        for row in NumberSequence.objects.all()
    }
    return {**DEFAULT_FORMATS, **saved}


def _validate(fmt: NumberFormat) -> None:
    errors: dict[str, str] = {}
    if len(fmt.prefix) > 20 or not PREFIX.fullmatch(fmt.prefix):
        errors["prefix"] = _("A prefix has at most 20 letters, digits, “-”, “_”, “.” or “/”.")
    if not 1 <= fmt.padding <= 12:
        errors["padding"] = _("A number has from 1 to 12 digits.")
    names = PLACEHOLDER.findall(fmt.pattern)
    if (
        not set(names) <= PLACEHOLDERS
        or not TEXT.fullmatch(PLACEHOLDER.sub("", fmt.pattern))
        or len(fmt.pattern) > 60
    ):
        errors["pattern"] = _("A pattern holds text and {prefix}, {year}, {yy} and {number}, nothing else.")
    elif "number" not in names:
        errors["pattern"] = _("A pattern must hold {number}.")
    elif fmt.yearly_reset and not {"year", "yy"} & set(names):
        errors["pattern"] = _("Numbers that restart each year need {year} or {yy} in the pattern.")
    elif len(render(fmt, 10**12 - 1, 2000)) > NUMBER_MAX_LENGTH:
        errors["pattern"] = _("A number would be longer than %(max)s characters.") % {
            "max": NUMBER_MAX_LENGTH
        }
    if errors:
        raise ValidationError(errors)


def _raise_counter(kind: str, year: int, at_least: int) -> None:
    counter, _created = NumberCounter.objects.select_for_update().get_or_create(kind=kind, year=year)
    if counter.last_number < at_least:
        counter.last_number = at_least
        counter.save(update_fields=["last_number"])


@transaction.atomic
def number_format_set(
    *,
    actor: Any,
    kind: str,
    prefix: str | None = None,
    padding: int | None = None,
    yearly_reset: bool | None = None,
    pattern: str | None = None,
    next_number_at_least: int | None = None,
    on: date | None = None,
) -> tuple[NumberSequence, dict[str, list[Any]]]:
    """Change how `kind` is numbered (None: keep) and return the row with its changes {field: [old, new]}.

    Numbers never repeat: switching the yearly restart carries the counter over (into the year of `on`,
    default today), and `next_number_at_least` only moves the sequence forward (e.g. to go on from the
    numbers of the spreadsheet the company used before). Core cannot write events (events sit above
    it): the settings page that calls this records the changes. `actor` None is the set-up.
    """
    if actor is not None:
        access.check_module(actor, Module.ADMIN, Action.EDIT)
    try:
        current = number_format(kind)
    except ValueError:
        raise ValidationError({"kind": _("Unknown kind of document.")}) from None
    new = replace(
        current,
        prefix=current.prefix if prefix is None else prefix.strip(),
        padding=current.padding if padding is None else padding,
        yearly_reset=current.yearly_reset if yearly_reset is None else yearly_reset,
        pattern=current.pattern if pattern is None else pattern.strip(),
    )
    _validate(new)
    year = (on or timezone.localdate()).year
    if new.yearly_reset != current.yearly_reset:
        counters = NumberCounter.objects.select_for_update().filter(kind=kind)
        if new.yearly_reset:
            # From one sequence to one per year: this year goes on after the single sequence.
            carried = counters.filter(year=0).values_list("last_number", flat=True).first() or 0
            _raise_counter(kind, year, carried)
        else:
            carried = max(counters.values_list("last_number", flat=True), default=0)
            _raise_counter(kind, 0, carried)
    if next_number_at_least is not None:
        if not 1 <= next_number_at_least < 10**12:
            raise ValidationError({"next_number": _("The next number is from 1 to 999,999,999,999.")})
        _raise_counter(kind, year if new.yearly_reset else 0, next_number_at_least - 1)
    row, _created = NumberSequence.objects.select_for_update().get_or_create(
        kind=kind, defaults=asdict(current)
    )
    before, after = asdict(current), asdict(new)
    for name, value in after.items():
        setattr(row, name, value)
    row.full_clean()
    row.save()
    changes = {name: [before[name], after[name]] for name in after if before[name] != after[name]}
    return row, changes
