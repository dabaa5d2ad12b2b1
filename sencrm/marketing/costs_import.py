"""Reading the ad platforms' spend exports: Facebook Ads Manager and Google Ads report downloads.

The file goes through the import engine's checks and readers (sencrm/imports: name and content checks,
encoding detection — Facebook writes UTF-16 with a BOM and tabs —, the CSV dialect, XLSX). The header
row is found among the first lines (Google puts the report's title and date range above it and a
"Total" line below the data) and the three columns are mapped from their names, in English or
Vietnamese, unless the user names them:

- Facebook: "Day" / "Ngày" (else "Reporting starts" / "Bắt đầu báo cáo"), "Campaign name" /
  "Tên chiến dịch", "Amount spent (VND)" / "Số tiền đã chi tiêu (VND)".
- Google Ads: "Day" / "Ngày", "Campaign" / "Chiến dịch", "Cost" / "Chi phí".

Each bad row is reported with its line and the reason; the others are kept.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path
from typing import IO, Any

from django.utils.translation import gettext as _

from sencrm.core.text import clean_text, fold
from sencrm.imports import files
from sencrm.imports.detect import SAMPLE_BYTES, _decode_sample, detect_delimiter, detect_encoding
from sencrm.imports.reader import BadRow, Rows
from sencrm.imports.values import CellError, as_text, check_cell, parse_date
from sencrm.marketing.models import CostOrigin
from sencrm.marketing.services import CostRow, Rejected

HEADER_LINES = 30
MAX_ROWS = 200_000
COLUMNS = ("date", "campaign", "amount")
# Folded header names, best first.
DATE_HEADERS = ["day", "ngay", "date", "reporting starts", "bat dau bao cao", "ngay bat dau"]
CAMPAIGN_HEADERS = ["campaign name", "ten chien dich", "campaign", "chien dich"]
AMOUNT_PREFIXES = ["amount spent", "so tien da chi tieu", "so tien da chi", "cost", "chi phi"]
FACEBOOK_HINTS = ("amount spent", "so tien da chi", "reporting starts", "bat dau bao cao", "campaign name",
                  "ten chien dich")  # fmt: skip
TOTAL_WORDS = ("total", "tong", "tong cong")
_GROUPED = re.compile(r"\d{1,3}([.,])\d{3}(\1\d{3})*")
_SPACE = re.compile(r"[\s\u00a0\u202f]")


class CostFileError(ValueError):
    """The file cannot be read as a spend export; the message says why."""


@dataclass
class CostFile:
    origin: str
    columns: list[str]
    mapping: dict[str, str]  # field → the header it is read from
    header_line: int
    rows: list[CostRow] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)


def _key(text: Any) -> str:
    return " ".join(fold(as_text(text)).replace("\ufeff", "").split())


def parse_amount(value: Any) -> Decimal:
    """A VND amount as the platforms write it: "1234567", "1.234.567", "1,234,567", "1234567.00",
    "1 234 567 ₫". VND has no minor unit: a fraction is rounded half up. Raises CellError."""
    check_cell(value)
    if isinstance(value, bool):
        raise CellError(_("not an amount"))
    if isinstance(value, int | float):
        raw = str(value)
    else:
        raw = _SPACE.sub("", as_text(value)).replace("₫", "").replace("đ", "").replace("VND", "")
        raw = raw.replace("vnd", "").strip()
        if _GROUPED.fullmatch(raw.lstrip("-")):
            raw = raw.replace(".", "").replace(",", "")  # thousands groups (the only kind VND has)
        elif "," in raw and "." in raw:
            decimal_mark = "," if raw.rfind(",") > raw.rfind(".") else "."
            raw = raw.replace("," if decimal_mark == "." else ".", "").replace(decimal_mark, ".")
        else:
            raw = raw.replace(",", ".")
    if not raw:
        raise CellError(_("no amount"))
    try:
        amount = Decimal(raw)
    except InvalidOperation:
        raise CellError(_("not an amount")) from None
    if not amount.is_finite():
        raise CellError(_("not an amount"))
    if amount < 0:
        raise CellError(_("a negative amount"))
    if amount >= Decimal(10) ** 15:
        raise CellError(_("the amount is too large"))
    return amount.quantize(Decimal(1), rounding=ROUND_HALF_UP)


def _find(header: list[Any], wanted: list[str], prefix: bool = False) -> int | None:
    """The first column named exactly as one of `wanted` (best first), else (`prefix`) the first whose
    name starts with one ("Amount spent (VND)"; "Cost" before "Cost / conv.")."""
    keys = [_key(cell) for cell in header]
    for name in wanted:
        if name in keys:
            return keys.index(name)
    for name in wanted if prefix else []:
        for index, key in enumerate(keys):
            if key.startswith(name):
                return index
    return None


def detect_columns(header: list[Any], override: dict[str, str] | None = None) -> dict[str, int]:
    """Column positions of date, campaign and amount: named by the user (header text, any case or
    accents), else found from the platforms' header names."""
    found: dict[str, int] = {}
    keys = [_key(cell) for cell in header]
    for name, given in (override or {}).items():
        if given and _key(given) in keys:
            found[name] = keys.index(_key(given))
    if "date" not in found and (i := _find(header, DATE_HEADERS)) is not None:
        found["date"] = i
    if "campaign" not in found and (i := _find(header, CAMPAIGN_HEADERS)) is not None:
        found["campaign"] = i
    if "amount" not in found and (i := _find(header, AMOUNT_PREFIXES, prefix=True)) is not None:
        found["amount"] = i
    return found


def _origin(header: list[Any]) -> str:
    keys = " | ".join(_key(cell) for cell in header)
    return CostOrigin.FACEBOOK if any(hint in keys for hint in FACEBOOK_HINTS) else CostOrigin.GOOGLE


def _rows(path: Path, kind: str) -> Rows:
    if kind == "xlsx":
        return Rows(path, kind)
    with path.open("rb") as handle:
        data = handle.read(SAMPLE_BYTES)
    encoding = detect_encoding(data)
    return Rows(path, kind, encoding, detect_delimiter(_decode_sample(data, encoding)))


def _is_total(cells: list[Any]) -> bool:
    """The first filled cell says "Total…" / "Tổng…" (an empty list of cells says yes)."""
    first = next((_key(c) for c in cells if _key(c)), "")
    if not first:
        return True
    return any(
        first == word or first.startswith(word + ":") or first.startswith(word + " ") for word in TOTAL_WORDS
    )


def read_costs(
    path: Path, kind: str, *, override: dict[str, str] | None = None, origin: str = ""
) -> CostFile:
    """The rows of a spend export (CostFileError when its columns cannot be found)."""
    rows = iter(_rows(path, kind))
    result: CostFile | None = None
    scanned: list[list[str]] = []
    try:
        for line, cells in rows:
            if result is None:
                if isinstance(cells, BadRow):
                    continue
                columns = detect_columns(cells, override)
                if len(columns) == len(COLUMNS):
                    header = [clean_text(as_text(c)) for c in cells]
                    result = CostFile(
                        origin=origin or _origin(cells),
                        columns=header,
                        mapping={name: header[i] for name, i in columns.items()},
                        header_line=line,
                    )
                    positions = columns
                    continue
                scanned.append([clean_text(as_text(c)) for c in cells if not isinstance(c, BadRow)])
                if line >= HEADER_LINES:
                    break
                continue
            if len(result.rows) + len(result.rejected) >= MAX_ROWS:
                raise CostFileError(_("The file has more than %(n)s rows: split it.") % {"n": MAX_ROWS})
            _read_row(result, positions, line, cells)
    finally:
        close = getattr(rows, "close", None)
        if close is not None:
            close()
    if result is None:
        raise CostFileError(
            _(
                "The columns for the day, the campaign and the amount spent were not found in the first "
                "%(n)s lines. Export the report broken down by day, or name the columns below."
            )
            % {"n": HEADER_LINES}
        )
    return result


def _read_row(result: CostFile, positions: dict[str, int], line: int, cells: list[Any] | BadRow) -> None:
    if isinstance(cells, BadRow):
        result.rejected.append(Rejected(line, cells.message))
        return
    values = {name: cells[i] if i < len(cells) else None for name, i in positions.items()}
    if not any(as_text(c).strip() for c in cells) or (_is_total(cells) and _is_total([values["date"]])):
        return  # blank lines, and the report's "Total" lines (no date: a total, not a day)
    campaign = clean_text(as_text(values["campaign"]))[:200]
    try:
        day = parse_date(values["date"])
        if day is None:
            raise CellError(_("no date"))
    except CellError as exc:
        result.rejected.append(
            Rejected(line, _("date: %(reason)s") % {"reason": exc}, as_text(values["date"]))
        )
        return
    if not campaign:
        result.rejected.append(Rejected(line, _("no campaign name")))
        return
    try:
        amount = parse_amount(values["amount"])
    except CellError as exc:
        result.rejected.append(
            Rejected(line, _("amount: %(reason)s") % {"reason": exc}, as_text(values["amount"]))
        )
        return
    result.rows.append(CostRow(line=line, date=day, campaign=campaign, amount=amount))


def import_upload(
    upload: IO[bytes],
    *,
    actor: Any,
    name: str,
    size: int,
    override: dict[str, str] | None = None,
    origin: str = "",
) -> tuple[CostFile, Any]:
    """Check and read an uploaded export, then store its costs (services.costs_import). The upload is
    kept only while it is read. Raises files.UploadRefused / CostFileError with the reason."""
    from sencrm.marketing import services

    stored, kind = files.store_upload(upload, name, size)
    try:
        parsed = read_costs(files.stored_path(stored), kind, override=override, origin=origin)
    finally:
        files.delete_stored(stored)
    result = services.costs_import(
        actor=actor,
        rows=parsed.rows,
        origin=parsed.origin,
        file_name=files.display_name(name),
        rejected=parsed.rejected,
    )
    return parsed, result
