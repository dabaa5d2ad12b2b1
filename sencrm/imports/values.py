"""Strict value parsers for imported cells: no date rollover, no guessing between dd/mm and mm/dd.

Cells from CSV are strings; cells from XLSX may also be numbers, dates, booleans, an error value or an
uncomputed formula (never evaluated).
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from sencrm.core.keys import cleaned as clean

# Our own exports put an apostrophe before these so that spreadsheets do not run them as formulas;
# a re-import takes it off again (BAD_INPUTS 14).
_ESCAPED_FORMULA = ("'=", "'+", "'-", "'@", "'\t", "'\r")
EXCEL_ERRORS = {"#N/A", "#REF!", "#VALUE!", "#DIV/0!", "#NAME?", "#NUM!", "#NULL!", "#SPILL!", "#CALC!"}
_DMY = re.compile(r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2,4})")
_YMD = re.compile(r"(\d{4})[\-/.](\d{1,2})[\-/.](\d{1,2})")
_TIME = re.compile(r"(\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?")
EXCEL_EPOCH = dt.datetime(1899, 12, 30)  # noqa: DTZ001 - Excel serials count days, without a zone


class Formula(str):
    """An XLSX formula cell saved without its computed value (we never evaluate formulas)."""

    __slots__ = ()


class CellError(ValueError):
    """A cell that cannot be read as the field needs; the message is shown in the report."""


def is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def as_text(value: Any) -> str:
    """A cell as text: what the error file shows and what text fields store (before cleaning)."""
    if value is None:
        return ""
    if isinstance(value, Formula):
        return str(value)
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, dt.datetime):
        if value.hour == value.minute == value.second == 0:
            return value.strftime("%d/%m/%Y")
        return value.strftime("%d/%m/%Y %H:%M")
    if isinstance(value, dt.date):
        return value.strftime("%d/%m/%Y")
    return str(value)


def unescape(text: str) -> str:
    return text[1:] if text.startswith(_ESCAPED_FORMULA) else text


def check_cell(value: Any) -> None:
    """Formula without a value and spreadsheet error values make the row invalid."""
    if type(value) is str:
        if value[:1] == "#" and value.strip().upper() in EXCEL_ERRORS:
            raise CellError(_("the spreadsheet error value %(value)s") % {"value": value.strip()})
        return
    if isinstance(value, Formula):
        raise CellError(_("a formula without a saved value (open and save the file in Excel first)"))
    if isinstance(value, str) and value.strip().upper() in EXCEL_ERRORS:
        raise CellError(_("the spreadsheet error value %(value)s") % {"value": value.strip()})


def text(value: Any, max_length: int | None = None, *, keep_lines: bool = False) -> str:
    check_cell(value)
    raw = unescape(value if type(value) is str else as_text(value))
    if keep_lines:  # notes keep their line breaks (as the services do)
        result = unicodedata.normalize("NFC", raw.replace("\r\n", "\n")).strip()
    else:
        result = clean(raw)
    if max_length is not None and len(result) > max_length:
        raise CellError(
            _("at most %(n)s characters (this one has %(m)s)") % {"n": max_length, "m": len(result)}
        )
    return result


def _date(year: int, month: int, day: int) -> dt.date:
    try:
        return dt.date(year, month, day)
    except ValueError as exc:  # 31/02, 07/30 under dd/mm…: an error, never a rollover
        raise CellError(_("not a valid date (write it as dd/mm/yyyy)")) from exc


def parse_date(value: Any) -> dt.date | None:
    """dd/mm/yyyy (also with - or .), yyyy-mm-dd; from XLSX also a date cell or an Excel serial number."""
    check_cell(value)
    if is_blank(value):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        # Only XLSX cells are numbers: a date typed into a cell not formatted as a date.
        if 1 <= value < 2958466:
            return (EXCEL_EPOCH + dt.timedelta(days=int(value))).date()
        raise CellError(_("not a valid date (write it as dd/mm/yyyy)"))
    raw = unescape(str(value)).strip()
    head, _sep, rest = raw.partition(" ")
    if rest and not re.fullmatch(r"0{1,2}:00(:00)?", rest.strip()):
        raise CellError(_("not a valid date (write it as dd/mm/yyyy)"))
    if match := _YMD.fullmatch(head):
        return _date(int(match[1]), int(match[2]), int(match[3]))
    if match := _DMY.fullmatch(head):
        if len(match[3]) != 4:
            raise CellError(_("write the year with four digits (dd/mm/yyyy)"))
        return _date(int(match[3]), int(match[2]), int(match[1]))
    raise CellError(_("not a valid date (write it as dd/mm/yyyy)"))


def parse_datetime(value: Any, tz: dt.tzinfo) -> dt.datetime | None:
    """A date as above with an optional time (HH:MM[:SS]) in the importer's time zone."""
    check_cell(value)
    if is_blank(value):
        return None
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=tz) if value.tzinfo is None else value
    if isinstance(value, dt.date | int | float) and not isinstance(value, bool):
        return dt.datetime.combine(parse_date(value) or dt.date.min, dt.time(), tzinfo=tz)
    raw = unescape(str(value)).strip().replace("T", " ")
    head, _sep, rest = raw.partition(" ")
    day = parse_date(head) or dt.date.min  # not blank: parse_date returns a date or raises
    moment = dt.time()
    if rest.strip():
        match = _TIME.fullmatch(rest.strip())
        if not match:
            raise CellError(_("not a valid date and time (dd/mm/yyyy HH:MM)"))
        try:
            moment = dt.time(int(match[1]), int(match[2]), int(match[3] or 0))
        except ValueError as exc:
            raise CellError(_("not a valid date and time (dd/mm/yyyy HH:MM)")) from exc
    return dt.datetime.combine(day, moment, tzinfo=tz)


def parse_number(value: Any) -> Decimal | None:
    """A number as Vietnamese write it ("1.234.567,5", "1,12") or plainly ("1234.5"); XLSX numbers as is."""
    check_cell(value)
    if is_blank(value):
        return None
    if isinstance(value, bool):
        raise CellError(_("not a number"))
    if isinstance(value, int | float):
        return Decimal(str(value))
    raw = unescape(str(value)).strip().replace(" ", "").replace("\u00a0", "")
    if "," in raw and "." in raw:
        decimal_sep = "," if raw.rfind(",") > raw.rfind(".") else "."
        thousands = "." if decimal_sep == "," else ","
        raw = raw.replace(thousands, "").replace(decimal_sep, ".")
    elif "," in raw:
        raw = raw.replace(",", "") if re.fullmatch(r"-?\d{1,3}(,\d{3}){2,}", raw) else raw.replace(",", ".")
    elif re.fullmatch(r"-?\d{1,3}(\.\d{3})+", raw):
        raw = raw.replace(".", "")  # vi-VN groups thousands with dots: "1.234.567"
    try:
        number = Decimal(raw)
    except InvalidOperation as exc:
        raise CellError(_("not a number")) from exc
    if not number.is_finite():
        raise CellError(_("not a number"))
    return number


def split_list(value: Any) -> list[str]:
    """Several values in one cell ("0912…; 0987…", one per line, or comma-separated)."""
    check_cell(value)
    raw = unescape(as_text(value))
    return [part.strip() for part in re.split(r"[;\n\r,|]+", raw) if part.strip()]


_MOJIBAKE = re.compile(
    "[ÃÂÄÅÆáºâ»][\u0080-\u00bf\u2018-\u201e\u2020-\u2022\u2026\u2030\u2039\u203a\u20ac\u2122]"
)


def looks_like_mojibake(sample: str) -> bool:
    """UTF-8 text that was decoded as Windows-1252 and saved again ("Nguyá»…n" for "Nguyễn")."""
    return len(_MOJIBAKE.findall(sample)) >= 3


def repair_mojibake(value: str) -> str:
    """Undo one round of UTF-8 → Windows-1252 → UTF-8; leaves the text as it was when that fails."""
    try:
        raw = bytearray()
        for ch in value:
            code = ord(ch)
            raw += bytes([code]) if code < 256 else ch.encode("cp1252")
        return raw.decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return value


def validation_message(exc: ValidationError) -> str:
    return " ".join(str(m) for m in exc.messages)
