"""Exports that stream (flat memory whatever the size) and cannot be executed by a spreadsheet."""

from __future__ import annotations

import csv
import tempfile
from collections.abc import Iterable, Iterator
from typing import Any

from django.http import FileResponse, StreamingHttpResponse

# A cell starting with one of these is a formula to Excel/LibreOffice (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """Prefix a formula-looking text with an apostrophe; numbers and dates pass unchanged."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_response(filename: str, header: list[str], rows: Iterable[list[Any]]) -> StreamingHttpResponse:
    """UTF-8 with BOM (Excel opens Vietnamese text correctly), streamed row by row."""
    writer = csv.writer(_Echo())

    def stream() -> Iterator[str]:
        yield "\ufeff" + writer.writerow(header)
        for row in rows:
            yield writer.writerow([safe_cell("" if v is None else v) for v in row])

    response = StreamingHttpResponse(stream(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    return response


def xlsx_response(filename: str, header: list[str], rows: Iterable[list[Any]]) -> FileResponse:
    """A write-only workbook spooled to a temporary file (rows never all in memory)."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append(header)
    for row in rows:
        sheet.append([safe_cell(v) for v in row])
    spool = tempfile.TemporaryFile()  # noqa: SIM115 - handed to FileResponse, which closes it
    workbook.save(spool)
    spool.seek(0)
    return FileResponse(
        spool,
        as_attachment=True,
        filename=f"{filename}.xlsx",
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
