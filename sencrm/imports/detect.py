"""Reading a file's layout: its encoding, delimiter, sheet and header row, and the columns it has."""

from __future__ import annotations

import codecs
import csv
import io
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _

from sencrm.core.text import clean_text
from sencrm.imports import fields as field_defs
from sencrm.imports.files import looks_utf16
from sencrm.imports.reader import REPAIR, BadRow, Rows, head, sheet_names, xlsx_merges
from sencrm.imports.values import as_text, looks_like_mojibake

SAMPLE_BYTES = 256 * 1024
HEAD_ROWS = 30
DELIMITERS = [",", ";", "\t", "|"]
# Windows-1258 writes most tone marks as combining characters after the vowel (0xCC grave, 0xEC acute,
# 0xD2 hook, 0xDE tilde, 0xF2 dot below); Windows-1252 reads those bytes as Ì ì Ò Þ ò, which Western
# text rarely puts right after a vowel.
_CP1258_MARKS = {0xCC, 0xEC, 0xD2, 0xDE, 0xF2}
_VOWELS = set(b"aeiouyAEIOUY") | {0xC2, 0xE2, 0xC3, 0xE3, 0xCA, 0xEA, 0xD4, 0xF4, 0xD5, 0xF5, 0xDD, 0xFD}
_CP1258_LETTERS = {0xD0, 0xF0, 0xD5, 0xF5, 0xDD, 0xFD, 0xC3, 0xE3}  # Đ đ Ơ ơ Ư ư Ă ă


@dataclass
class Layout:
    kind: str
    encoding: str = ""
    delimiter: str = ""
    sheet: str = ""
    sheets: list[str] = field(default_factory=list)
    header_row: int = 1  # the header's line number (1-based); data starts below it
    columns: list[str] = field(default_factory=list)
    sample: list[list[str]] = field(default_factory=list)  # the first data rows, as text
    warnings: list[str] = field(default_factory=list)
    rows_estimate: int | None = None


def detect_encoding(data: bytes) -> str:
    """UTF-8 (with or without BOM), UTF-16 (BOM, or the NUL pattern), else Windows-1258 when the bytes
    look Vietnamese, Windows-1252, or Latin-1 (bytes Windows-1252 leaves undefined)."""
    if data.startswith(codecs.BOM_UTF8):
        return "utf-8"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if looks_utf16(data):
        return "utf-16-le" if data[1::2].count(0) > data[0::2].count(0) else "utf-16-be"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(data, final=False)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    marks = sum(1 for a, b in zip(data, data[1:], strict=False) if b in _CP1258_MARKS and a in _VOWELS)
    letters = sum(1 for b in data if b in _CP1258_LETTERS)
    if marks >= 2 or (marks and letters):
        return "cp1258"
    try:
        data.decode("cp1252")
        return "cp1252"
    except UnicodeDecodeError:
        return "latin-1"


def _decode_sample(data: bytes, encoding: str) -> str:
    name = "utf-8-sig" if encoding in ("utf-8", REPAIR) else encoding
    text = codecs.getincrementaldecoder(name)(errors="replace").decode(data, final=False)
    return unicodedata.normalize("NFC", text)


def detect_delimiter(sample: str) -> str:
    """csv.Sniffer first; kept only if the rows then agree on a column count, else the candidate whose
    modal column count (above 1) the most rows share."""
    lines = sample.splitlines()[:200]
    text = "\n".join(lines[:-1] if len(lines) > 1 else lines)

    def agreement(delimiter: str) -> tuple[float, int]:
        rows = [r for r in csv.reader(io.StringIO(text), delimiter=delimiter) if any(c.strip() for c in r)]
        if not rows:
            return 0.0, 0
        counts: dict[int, int] = {}
        for r in rows[:100]:
            counts[len(r)] = counts.get(len(r), 0) + 1
        width, share = max(counts.items(), key=lambda kv: (kv[1], kv[0]))
        return (share / min(len(rows), 100) if width > 1 else 0.0), width

    try:
        sniffed = csv.Sniffer().sniff(text, delimiters="".join(DELIMITERS)).delimiter
    except csv.Error:
        sniffed = ""
    scores = {d: agreement(d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: (scores[d][0] >= 0.6, scores[d][0], scores[d][1]))
    if sniffed in scores and scores[sniffed][0] >= 0.6 and scores[sniffed][0] >= scores[best][0] - 0.05:
        return sniffed
    return best if scores[best][0] > 0 else ","


def _letter(index: int) -> str:
    name = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        name = chr(65 + rest) + name
    return name


def column_label(columns: list[str], index: int) -> str:
    name = columns[index] if index < len(columns) else ""
    return name or _("Column %(letter)s") % {"letter": _letter(index)}


def _fill_merges(rows: list[tuple[int, list[Any]]], merges: list[tuple[int, int, int, int]]) -> None:
    """Give every cell of a merged range the value of its top-left cell (merged header cells)."""
    by_line = {line: cells for line, cells in rows}
    for min_col, min_row, max_col, max_row in merges:
        top = by_line.get(min_row)
        value = top[min_col - 1] if top is not None and len(top) >= min_col else None
        if value in (None, ""):
            continue
        for line in range(min_row, max_row + 1):
            cells = by_line.get(line)
            if cells is None:
                continue
            cells.extend([None] * (max_col - len(cells)))
            for col in range(min_col, max_col + 1):
                if cells[col - 1] in (None, ""):
                    cells[col - 1] = value


def detect_layout(
    path: Path,
    kind: str,
    target: str,
    *,
    encoding: str = "",
    delimiter: str = "",
    sheet: str = "",
    header_row: int | None = None,
) -> Layout:
    layout = Layout(kind=kind)
    if kind == "xlsx":
        layout.sheets = sheet_names(path)
        layout.sheet = sheet if sheet in layout.sheets else layout.sheets[0]
        rows = Rows(path, kind, sheet=layout.sheet)
    else:
        with path.open("rb") as handle:
            data = handle.read(SAMPLE_BYTES)
        layout.encoding = encoding if encoding in field_encodings() else detect_encoding(data)
        sample = _decode_sample(data, layout.encoding)
        if layout.encoding.startswith("utf-8") and looks_like_mojibake(sample):
            layout.warnings.append(
                _(
                    "Some text looks garbled (like “Ã” or “á»” instead of Vietnamese letters): the file "
                    "was probably converted twice. Choose the encoding “UTF-8, repair double-encoded text”."
                )
            )
        if "\ufffd" in sample and encoding == "":
            layout.warnings.append(_("Some characters could not be read: check the encoding."))
        layout.delimiter = delimiter if delimiter in DELIMITERS else detect_delimiter(sample)
        rows = Rows(path, kind, layout.encoding, layout.delimiter)
    first = [(line, cells) for line, cells in head(rows, HEAD_ROWS) if not isinstance(cells, BadRow)]
    if kind == "xlsx":
        layout.rows_estimate = rows.total_rows
        if any(c in (None, "") for _l, cells in first[:HEAD_ROWS] for c in cells):
            _fill_merges(first, xlsx_merges(path, layout.sheet, HEAD_ROWS))
    texts = [(line, [clean_text(as_text(c)) for c in cells]) for line, cells in first]
    non_empty = [(line, cells) for line, cells in texts if any(cells)]
    specs = field_defs.field_specs(target)
    if header_row and any(line == header_row for line, _c in non_empty):
        position = next(i for i, (line, _c) in enumerate(non_empty) if line == header_row)
    else:
        position = field_defs.find_header([cells for _l, cells in non_empty], specs) if non_empty else 0
    if non_empty:
        layout.header_row, header = non_empty[position]
        data_rows = [cells for _l, cells in non_empty[position + 1 :]]
        width = max([len(header), *(len(r) for r in data_rows[:20])])
        while width > len(header) and not any(len(r) >= width and r[width - 1] for r in data_rows[:20]):
            width -= 1  # trailing columns that are empty everywhere
        layout.columns = [*header, *[""] * (width - len(header))][:width]
        layout.sample = [(r + [""] * width)[:width] for r in data_rows[:5]]
    return layout


def field_encodings() -> list[str]:
    from sencrm.imports.reader import ENCODINGS

    return [*ENCODINGS, "utf-16-le", "utf-16-be"]
