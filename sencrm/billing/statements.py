"""Bank statement exports (CSV or XLSX, as Vietnamese internet banking writes them) read into rows.

Pure: no models and no database. The file is read by the import engine (`sencrm.imports`): the same
encoding and delimiter detection, the same streamed reader and upload checks. What is specific to
statements is here: finding the header below the bank's title lines, the amounts as banks write them
("1.500.000", "+5,000,000 VND", "(200,000)") and the rows to leave out (totals, balances, empty lines).
"""

from __future__ import annotations

import codecs
import datetime as dt
import re
import zipfile
import zlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from itertools import chain, islice
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _

from sencrm.core.text import clean_text, fold
from sencrm.imports.detect import DELIMITERS, SAMPLE_BYTES, detect_delimiter, detect_encoding, field_encodings
from sencrm.imports.files import UploadRefused, check_content
from sencrm.imports.reader import BadRow, Rows, codec
from sencrm.imports.values import as_text, looks_like_mojibake, parse_date

HEAD_ROWS = 30  # the header is looked for among the first rows (title, account and period lines above it)
ROLES = ("date", "credit", "debit", "amount", "content", "reference")
# Header names per role, preferred first (a statement with "Ngày giao dịch" and "Ngày hiệu lực" is dated
# by the transaction date). Compared by `_header_key`: folded, without punctuation or "(VND)".
HEADER_NAMES: dict[str, tuple[str, ...]] = {
    "date": (
        "ngày giao dịch", "ngay giao dich", "ngày gd", "transaction date", "ngày", "date",
        "ngày hạch toán", "posting date", "ngày hiệu lực", "value date",
    ),
    "credit": (
        "số tiền ghi có", "ghi có", "có", "credit", "phát sinh có", "tiền vào", "credit amount",
    ),
    "debit": ("số tiền ghi nợ", "ghi nợ", "nợ", "debit", "phát sinh nợ", "tiền ra", "debit amount"),
    "amount": ("số tiền", "amount", "số tiền giao dịch"),
    "content": (
        "nội dung", "mô tả", "diễn giải", "nội dung giao dịch", "chi tiết giao dịch", "description",
        "transaction details", "remark",
    ),
    "reference": (
        "số tham chiếu", "số bút toán", "mã giao dịch", "số ct", "reference", "ref no", "reference no",
        "transaction id", "số giao dịch",
    ),
}  # fmt: skip
# Rows below the transactions: totals and balances (only looked for in rows without a readable date).
_SUMMARY = re.compile(
    r"^(tong (cong|so|phat sinh|tien|giao dich)|cong( phat sinh)?$|so du|du (dau|cuoi)|total|"
    r"(opening|closing|ending|beginning) balance)"
)
_PARENS = re.compile(r"\([^)]*\)")
_NON_WORD = re.compile(r"[^a-z0-9]+")
_CURRENCY = re.compile(r"(vnd|vnđ|đồng|đ|₫)", re.IGNORECASE)
_DMY = re.compile(r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4}|\d{2})")
_YMD = re.compile(r"(\d{4})[/.\-](\d{1,2})[/.\-](\d{1,2})")
_TIME = re.compile(r"\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?( ?[ap]m)?", re.IGNORECASE)
_WHOLE = Decimal(1)
# What zipfile and openpyxl raise for a workbook that passed the upload checks but is damaged inside: a
# corrupt deflate stream, missing parts, broken XML (SyntaxError covers the XML parsers' errors), an
# encrypted entry or unknown zip version (RuntimeError), a name that is not UTF-8 (ValueError).
_DAMAGED_XLSX = (
    zipfile.BadZipFile, zlib.error, KeyError, IndexError, EOFError, TypeError, ValueError, SyntaxError,
    RuntimeError,
)  # fmt: skip


class StatementError(ValueError):
    """The statement cannot be read at all; the message says why (shown to the user)."""


class MappingError(StatementError):
    """A saved column mapping does not fit this file (a column it names is not in the header)."""


@dataclass(frozen=True)
class StatementRow:
    row: int  # the line number in the file (the row number a spreadsheet shows)
    date: dt.date
    amount: Decimal  # positive: money in (credit); negative: money out (debit); whole đồng
    content: str
    reference: str = ""


@dataclass(frozen=True)
class RowError:
    row: int
    message: str


@dataclass
class ParsedStatement:
    columns: list[str]
    header_row: int  # the header's line number (its lower line when it has two); data starts below it
    mapping: dict[str, str]  # role -> column header text
    rows: list[StatementRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    encoding: str = ""
    delimiter: str = ""


def parse_statement(
    path: Path,
    kind: str,
    *,
    mapping: Mapping[str, str] | None = None,
    encoding: str = "",
    delimiter: str = "",
) -> ParsedStatement:
    """Read a statement file ("csv" or "xlsx", as `kind_from_name` tells).

    `mapping` (role -> header text, saved per bank by the caller) replaces the detection entirely.
    Raises StatementError when the file or its header cannot be read, MappingError (also a ValueError)
    when the mapping names a column the header does not have.
    """
    if kind not in ("csv", "xlsx"):
        raise StatementError(_("Only .csv and .xlsx files can be imported."))
    try:
        kind = check_content(path, kind)
    except UploadRefused as exc:
        raise StatementError(str(exc)) from exc
    except _DAMAGED_XLSX as exc:  # zipfile errors check_xlsx lets by: unknown versions, encryption, bad names
        raise StatementError(_("The Excel file is damaged or not an Excel file.")) from exc
    warnings: list[str] = []
    if kind == "xlsx":
        encoding = delimiter = ""
        rows = Rows(path, kind)
    else:
        encoding, delimiter = _csv_layout(path, encoding, delimiter, warnings)
        rows = Rows(path, kind, encoding, delimiter)
    iterator = iter(rows)
    try:
        first = list(islice(iterator, HEAD_ROWS))
        texts = [
            (line, [clean_text(as_text(c)) for c in cells])
            for line, cells in first
            if isinstance(cells, list)
        ]
        header_at, columns, roles = _header(texts, mapping)
        statement = ParsedStatement(
            columns=columns,
            header_row=texts[header_at][0],
            mapping={role: columns[index] for role, index in roles.items()},
            warnings=warnings,
            encoding=encoding,
            delimiter=delimiter,
        )
        below = (item for item in first if item[0] > statement.header_row)
        replaced = any("\ufffd" in c for _line, cells in texts for c in cells)
        _read_rows(chain(below, iterator), roles, statement, replaced=replaced)
    except StatementError:
        raise
    except (OSError, *_DAMAGED_XLSX) as exc:
        if kind != "xlsx":
            raise
        raise StatementError(_("The Excel file is damaged or not an Excel file.")) from exc
    finally:
        iterator.close()  # type: ignore[attr-defined]
    if not statement.rows and not statement.errors:
        statement.warnings.append(_("The statement has no transactions below its header."))
    return statement


def _csv_layout(path: Path, encoding: str, delimiter: str, warnings: list[str]) -> tuple[str, str]:
    """The encoding (given or detected) and delimiter of a CSV; warns about text that will not read well."""
    with path.open("rb") as handle:
        data = handle.read(SAMPLE_BYTES)
    if encoding not in field_encodings():
        encoding = detect_encoding(data)
    sample = codecs.getincrementaldecoder(codec(encoding))(errors="replace").decode(data, final=False)
    if encoding.startswith("utf-8") and looks_like_mojibake(sample):
        warnings.append(
            _(
                "Some text looks garbled (like “Ã” or “á»” instead of Vietnamese letters): the file was "
                "probably converted twice. Choose the encoding “UTF-8, repair double-encoded text”."
            )
        )
    if delimiter not in DELIMITERS:
        delimiter = detect_delimiter(sample)
    return encoding, delimiter


def _header_key(text: str) -> str:
    return _NON_WORD.sub(" ", _PARENS.sub(" ", fold(text))).removesuffix(" vnd").strip()


_NAMES = {
    _header_key(name): (role, rank) for role, names in HEADER_NAMES.items() for rank, name in enumerate(names)
}


def _roles_in(cells: list[str]) -> dict[str, int]:
    """Role -> column index for the header names in a row. A bilingual cell ("Ghi có/Credit") matches
    through any of its parts; a cell whose parts name two roles ("Nợ/Có") matches none."""
    best: dict[str, tuple[int, int]] = {}
    for index, cell in enumerate(cells):
        parts = [cell, *re.split(r"[/\n|]", cell)] if cell else []
        hits = [_NAMES[key] for key in map(_header_key, parts) if key in _NAMES]
        if not hits or len({role for role, _rank in hits}) > 1:
            continue
        role, rank = min(hits, key=lambda hit: hit[1])
        if role not in best or rank < best[role][0]:
            best[role] = (rank, index)
    return {role: index for role, (_rank, index) in best.items()}


def _complete(roles: Mapping[str, object]) -> bool:
    return "date" in roles and ("credit" in roles or "amount" in roles) and "content" in roles


def _header(
    texts: list[tuple[int, list[str]]], mapping: Mapping[str, str] | None
) -> tuple[int, list[str], dict[str, int]]:
    """(position in `texts`, header cells, role -> column index)."""
    if not any(any(cells) for _line, cells in texts):
        raise StatementError(_("The file has no rows."))
    if mapping is not None:
        return _mapped_header(texts, mapping)
    best: tuple[tuple[bool, int], int, list[str], dict[str, int]] | None = None
    for position, (_line, cells) in enumerate(texts):
        roles = _roles_in(cells)
        if not roles:
            continue
        if position + 1 < len(texts):
            # A two-line header: "Số tiền" merged over a "Ghi nợ | Ghi có" line below it.
            combined = [below or above for above, below in _zip_cells(cells, texts[position + 1][1])]
            more = _roles_in(combined)
            if len(more) > len(roles):
                cells, roles, position = combined, more, position + 1
        score = (_complete(roles), len(roles))
        if best is None or score > best[0]:
            best = (score, position, cells, roles)
    if best is None or not best[0][0]:
        raise StatementError(
            _(
                "The statement's header row was not found: it needs a transaction date column, a credit (or "
                "amount) column and a description column. Choose the columns yourself."
            )
        )
    return best[1], best[2], best[3]


def _zip_cells(above: list[str], below: list[str]) -> Iterator[tuple[str, str]]:
    width = max(len(above), len(below))
    return zip([*above, *[""] * (width - len(above))], [*below, *[""] * (width - len(below))], strict=True)


def _mapped_header(
    texts: list[tuple[int, list[str]]], mapping: Mapping[str, str]
) -> tuple[int, list[str], dict[str, int]]:
    wanted = {role: clean_text(name) for role, name in mapping.items() if clean_text(name)}
    unknown = sorted(set(wanted) - set(ROLES))
    if unknown:
        raise MappingError(
            _("Unknown column roles in the mapping: %(roles)s.") % {"roles": ", ".join(unknown)}
        )
    if not _complete(wanted):
        raise MappingError(
            _("The column mapping needs a date column, a credit (or amount) column and a content column.")
        )
    keys = {role: _header_key(name) for role, name in wanted.items()}
    best: tuple[int, int, dict[str, int]] = (-1, 0, {})
    for position, (_line, cells) in enumerate(texts):
        columns: dict[str, int] = {}
        for index, cell in enumerate(cells):
            if cell:
                columns.setdefault(_header_key(cell), index)  # a repeated header: its first column
        found = {role: columns[key] for role, key in keys.items() if key in columns}
        if len(found) > best[0]:
            best = (len(found), position, found)
    found, position = best[2], best[1]
    missing = [wanted[role] for role in wanted if role not in found]
    if missing:
        raise MappingError(
            _("The saved column mapping does not fit this file: no column named %(columns)s in its header.")
            % {"columns": ", ".join(f"“{name}”" for name in missing)}
        )
    return position, texts[position][1], found


def _read_rows(
    items: Iterator[tuple[int, list[Any] | BadRow]],
    roles: Mapping[str, int],
    statement: ParsedStatement,
    *,
    replaced: bool,
) -> None:
    for line, cells in items:
        if isinstance(cells, BadRow):
            statement.errors.append(
                RowError(line, _("This line cannot be read: %(reason)s") % {"reason": cells.message})
            )
            continue
        if not any(c not in (None, "") and (not isinstance(c, str) or c.strip()) for c in cells):
            continue
        replaced = replaced or any(isinstance(c, str) and "\ufffd" in c for c in cells)
        row = _read_row(line, cells, roles)
        if isinstance(row, StatementRow):
            statement.rows.append(row)
        elif row:
            statement.errors.append(RowError(line, row))
    if replaced:
        statement.warnings.append(
            _("Some characters could not be read and are shown as “�”: check the file's encoding.")
        )


def _read_row(line: int, cells: list[Any], roles: Mapping[str, int]) -> StatementRow | str:
    """The row, an error message, or "" for a row left out silently (totals, balances, no amount)."""

    def cell(role: str) -> Any:
        index = roles.get(role)
        return cells[index] if index is not None and index < len(cells) else None

    try:
        date = parse_bank_date(cell("date"))
    except ValueError:
        date = None
    if date is None:
        if any(_SUMMARY.match(_header_key(as_text(c))) for c in cells):
            return ""
        raw = clean_text(as_text(cell("date")))
        if not raw:
            return _("The date is missing.") if _has_amount(cells, roles) else ""
        return _("The date “%(value)s” cannot be read (expected dd/mm/yyyy).") % {"value": raw[:40]}
    try:
        if "credit" in roles or "debit" in roles:
            credit, debit = parse_amount(cell("credit")) or 0, parse_amount(cell("debit")) or 0
            if credit and debit:
                return _("The row has both a credit and a debit amount.")
            amount = Decimal(credit) if credit else -abs(Decimal(debit))
        else:
            amount = parse_amount(cell("amount")) or Decimal(0)
    except ValueError as exc:
        return str(exc)
    if not amount:
        return ""
    return StatementRow(
        row=line,
        date=date,
        amount=amount,
        content=clean_text(as_text(cell("content"))),
        reference=clean_text(as_text(cell("reference"))),
    )


def _has_amount(cells: list[Any], roles: Mapping[str, int]) -> bool:
    for role in ("credit", "debit", "amount"):
        index = roles.get(role)
        if index is not None and index < len(cells) and clean_text(as_text(cells[index])):
            return True
    return False


def parse_bank_date(value: Any) -> dt.date | None:
    """dd/mm/yyyy (or with - or .; also yy), yyyy-mm-dd, either with a time after it; from XLSX a date or
    datetime cell or an Excel serial. None when blank; ValueError when it is not a date."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return parse_date(value)  # an Excel serial number (CellError, a ValueError, when out of range)
    text = clean_text(as_text(value))
    if not text:
        return None
    day, _sep, rest = text.replace("T", " ").partition(" ")
    if rest and not _TIME.fullmatch(rest.strip()):
        raise ValueError(text)
    if match := _YMD.fullmatch(day):
        return dt.date(int(match[1]), int(match[2]), int(match[3]))
    if match := _DMY.fullmatch(day):
        year = int(match[3]) + (2000 if len(match[3]) == 2 else 0)
        return dt.date(year, int(match[2]), int(match[1]))  # ValueError for 31/02: never a rollover
    raise ValueError(text)


def parse_amount(value: Any) -> Decimal | None:
    """An amount as banks write it, rounded half-up to whole đồng (VND has no minor unit): "1.500.000",
    "1,500,000", "1500000.00", "1.500.000,00", "+5,000,000 VND", "5 000 000", "(200,000)" (negative);
    XLSX numbers as they are. None when blank; ValueError (with the message to show) otherwise."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError(_("The amount “%(value)s” cannot be read.") % {"value": value})
    if isinstance(value, int | float | Decimal):
        number: Decimal | None = Decimal(str(value))
    else:
        number = _amount_text(clean_text(as_text(value)))
    if number is None:
        return None
    if not number.is_finite():
        raise ValueError(_("The amount “%(value)s” cannot be read.") % {"value": value})
    return number.quantize(_WHOLE, rounding=ROUND_HALF_UP)


def _amount_text(raw: str) -> Decimal | None:
    text = _CURRENCY.sub("", raw).replace(" ", "").replace("\u00a0", "")
    if text in ("", "-"):
        return None
    negative = text.startswith("(") and text.endswith(")")
    text = text.strip("()")
    if text[:1] in "+-":
        negative, text = negative or text[0] == "-", text[1:]
    elif text.endswith("-"):  # "200,000-": a trailing minus
        negative, text = True, text[:-1]
    if "," in text and "." in text:
        point = "," if text.rfind(",") > text.rfind(".") else "."
        text = text.replace("." if point == "," else ",", "").replace(point, ".")
    elif re.fullmatch(r"\d{1,3}([.,]\d{3})+", text):
        text = re.sub(r"[.,]", "", text)  # thousands grouped with dots or commas (no VND decimals)
    else:
        text = text.replace(",", ".")  # "1500000,5"
    if not re.fullmatch(r"\d+(\.\d+)?", text):
        raise ValueError(_("The amount “%(value)s” cannot be read.") % {"value": raw[:40]})
    try:
        number = Decimal(text)
    except InvalidOperation as exc:
        raise ValueError(_("The amount “%(value)s” cannot be read.") % {"value": raw[:40]}) from exc
    return -number if negative else number
