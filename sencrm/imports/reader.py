"""The rows of an uploaded file, streamed: a csv reader over a decoded text stream, or openpyxl's
read-only XLSX parser (cached formula values only: formulas are never evaluated).

Each row comes as (line, cells): the line is the row number a spreadsheet shows (1-based).
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sencrm.imports.values import Formula, repair_mojibake

csv.field_size_limit(16 * 1024 * 1024)

REPAIR = "utf-8-repair"  # UTF-8 text saved twice through Windows-1252: decoded, then repaired per cell
ENCODINGS = ["utf-8", "utf-16", "cp1258", "cp1252", "latin-1", REPAIR]
_MERGE = re.compile(rb'<(?:\w+:)?mergeCell\s+ref="([A-Z]{1,3})(\d+):([A-Z]{1,3})(\d+)"')


class BadRow:
    """A CSV record the csv module could not parse (shown as a rejected row)."""

    def __init__(self, message: str) -> None:
        self.message = message


def codec(encoding: str) -> str:
    if encoding in ("utf-8", REPAIR):
        return "utf-8-sig"  # a BOM, when there is one, is not part of the first header
    return encoding


@contextmanager
def open_text(path: Path, encoding: str) -> Iterator[tuple[io.TextIOWrapper, Any]]:
    """The file as text; undecodable bytes become U+FFFD (the row is then rejected, not the file)."""
    raw = path.open("rb")
    try:
        yield io.TextIOWrapper(raw, encoding=codec(encoding), errors="replace", newline=""), raw
    finally:
        raw.close()


class Rows:
    """Iterate a file's rows; `progress()` tells how far (0–1) the reading is."""

    def __init__(self, path: Path, kind: str, encoding: str = "utf-8", delimiter: str = ",", sheet: str = ""):
        self.path, self.kind, self.encoding, self.delimiter, self.sheet = (
            path,
            kind,
            encoding,
            delimiter,
            sheet,
        )
        self.size = max(path.stat().st_size, 1)
        self._raw: Any = None
        self.total_rows: int | None = None

    def progress(self) -> float:
        if self._raw is not None and not self._raw.closed:
            read: float = self._raw.tell() / self.size
            return min(1.0, read)
        return 0.0

    def __iter__(self) -> Iterator[tuple[int, list[Any] | BadRow]]:
        if self.kind == "xlsx":
            yield from self._xlsx()
        else:
            yield from self._csv()

    def _csv(self) -> Iterator[tuple[int, list[Any] | BadRow]]:
        repair = self.encoding == REPAIR
        with open_text(self.path, self.encoding) as (stream, raw):
            self._raw = raw
            reader = csv.reader(stream, delimiter=self.delimiter or ",")
            line = 0
            while True:
                try:
                    cells: list[Any] = next(reader)
                except StopIteration:
                    return
                except csv.Error as exc:
                    line += 1
                    yield line, BadRow(str(exc))
                    continue
                line += 1
                if repair:
                    cells = [repair_mojibake(c) for c in cells]
                yield line, cells

    def _xlsx(self) -> Iterator[tuple[int, list[Any] | BadRow]]:
        workbook, worksheet = open_workbook(self.path, self.sheet)
        try:
            self.total_rows = worksheet.max_row
            source = workbook._archive.open(worksheet._worksheet_path)
            self._raw = _Position(source, workbook._archive.getinfo(worksheet._worksheet_path).file_size)
            self.size = 1
            with source:
                parser = _parser_class()(
                    source,
                    worksheet._shared_strings,
                    data_only=True,
                    epoch=workbook.epoch,
                    date_formats=workbook._date_formats,
                    timedelta_formats=workbook._timedelta_formats,
                )
                for line, row in parser.parse():
                    cells: list[Any] = []
                    for cell in row:
                        column = cell["column"]
                        if column > 16384:
                            break
                        cells.extend([None] * (column - 1 - len(cells)))
                        cells.append(cell["value"])
                    yield line, cells
        finally:
            workbook.close()


class _Position:
    """How far the XLSX sheet's XML has been read, as a fraction (for the progress bar)."""

    def __init__(self, source: Any, total: int) -> None:
        self.source, self.total = source, max(total, 1)

    @property
    def closed(self) -> bool:
        return bool(self.source.closed)

    def tell(self) -> float:
        position: float = self.source.tell() / self.total
        return position


def _parser_class() -> type:
    from openpyxl.worksheet._reader import FORMULA_TAG, WorkSheetParser

    class CachedValueParser(WorkSheetParser):  # type: ignore[misc]
        """openpyxl's sheet parser with data_only=True, except that a formula saved without its computed
        value is reported as such instead of reading as an empty cell."""

        def parse_cell(self, element: Any) -> dict[str, Any]:
            cell: dict[str, Any] = super().parse_cell(element)
            if cell["value"] is None:
                formula = element.find(FORMULA_TAG)
                if formula is not None:
                    cell["value"] = Formula("=" + (formula.text or ""))
            return cell

    return CachedValueParser


def open_workbook(path: Path, sheet: str = "") -> tuple[Any, Any]:
    from openpyxl import load_workbook

    workbook = load_workbook(path, read_only=True, data_only=True)
    if sheet and sheet in workbook.sheetnames:
        return workbook, workbook[sheet]
    return workbook, workbook[workbook.sheetnames[0]] if workbook.active is None else workbook.active


def sheet_names(path: Path) -> list[str]:
    workbook, _sheet = open_workbook(path)
    try:
        return list(workbook.sheetnames)
    finally:
        workbook.close()


def _column_number(letters: bytes) -> int:
    number = 0
    for ch in letters:
        number = number * 26 + (ch - 64)
    return number


def xlsx_merges(path: Path, sheet: str, max_row: int) -> list[tuple[int, int, int, int]]:
    """Merged ranges (min_col, min_row, max_col, max_row) that start in the first `max_row` rows.

    openpyxl's read-only mode does not report merged cells, and they sit after the data in the sheet's
    XML, so the XML is scanned once (streamed) for them; only headers need them.
    """
    workbook, worksheet = open_workbook(path, sheet)
    member = worksheet._worksheet_path
    workbook.close()
    found: set[tuple[int, int, int, int]] = set()
    with zipfile.ZipFile(path) as archive, archive.open(member) as source:
        tail = b""
        for chunk in iter(lambda: source.read(1 << 20), b""):
            buffer = tail + chunk
            if b"mergeCell" in buffer:
                for m in _MERGE.finditer(buffer):
                    top = int(m[2])
                    if top <= max_row:
                        found.add((_column_number(m[1]), top, _column_number(m[3]), int(m[4])))
            tail = buffer[-120:]
    return sorted(found)


def head(rows: Rows, limit: int) -> list[tuple[int, list[Any] | BadRow]]:
    """The first `limit` rows; the file is closed right after."""
    result: list[tuple[int, list[Any] | BadRow]] = []
    iterator = iter(rows)
    try:
        for item in iterator:
            result.append(item)
            if len(result) >= limit:
                break
    finally:
        iterator.close()  # type: ignore[attr-defined]
    return result
