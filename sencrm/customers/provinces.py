"""Province input as people write it: the 34 provinces of 2025, the 63 from before, cities, towns and
former districts ("Nha Trang" → Khánh Hòa, "Thủ Đức" → TP. Hồ Chí Minh), with or without diacritics
and the prefixes "Tỉnh", "TP.", "Thành phố"…

The names are data (`data/province_aliases.csv`, with its source); this module only folds text and
looks it up in a dictionary built once per process, so an import of 100,000 rows costs no query.
Used by the import, the forms, the API, the list filters and the web-to-lead form.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from sencrm.core.text import fold

DATA_FILE = Path(__file__).resolve().parent / "data" / "province_aliases.csv"
KINDS = ("province", "short", "city", "district", "historic")
# What people put before a name: tỉnh / thành phố / thị xã / thị trấn / quận / huyện, in full or short.
_PREFIX = re.compile(r"^(?:tinh|thanh pho|tp|t p|t|thi xa|tx|thi tran|tt|quan|q|huyen|h)\s+")
_SUFFIX = re.compile(r"\s+(?:city|province|viet nam|vietnam|vn)$")
_NUMBERED = re.compile(r"^(?:quan|q|district|d)\s*(\d{1,2})$")  # "Q.1", "Quận 1", "District 1"
_PARTS = re.compile(r"[,;/|()\[\]]+")
MAX_INPUT = 200


@dataclass(frozen=True, slots=True)
class Alias:
    name: str
    code: str
    kind: str
    line: int


def key(text: Any) -> str:
    """Folded (no diacritics, no case), punctuation as spaces, single-spaced."""
    return re.sub(r"[^0-9a-z]+", " ", fold(str(text or ""))).strip()


def _candidates(folded: str) -> list[str]:
    """The text as written, then without its suffix and prefixes one by one ("tinh binh dinh" →
    "binh dinh"): a name that starts like a prefix ("Tịnh Biên") is found before it is stripped."""
    found: list[str] = []
    current = folded
    while current:
        numbered = _NUMBERED.match(current)
        found.append(f"quan {int(numbered.group(1))}" if numbered else current)
        shorter = _SUFFIX.sub("", current)
        if shorter == current:
            shorter = _PREFIX.sub("", current, count=1)
        if shorter == current:
            break
        current = shorter
    return found


def read_aliases(path: Path = DATA_FILE) -> list[Alias]:
    """The rows of the data file (comment lines start with #)."""
    with path.open(encoding="utf-8", newline="") as handle:
        lines = [
            (n, line) for n, line in enumerate(handle, start=1) if line.strip() and not line.startswith("#")
        ]
    reader = csv.DictReader(line for _n, line in lines)
    return [
        Alias(row["name"].strip(), row["code"].strip(), row["kind"].strip(), number)
        for (number, _line), row in zip(lines[1:], reader, strict=True)
    ]


@dataclass(frozen=True)
class Table:
    """Folded name → 2025 province code; `conflicts` lists names that would point at two provinces
    (left out of the table, and a test keeps the list empty)."""

    codes: dict[str, str]
    compact: dict[str, str]  # the same without spaces: "danang", "tphcm", "hochiminh"
    conflicts: dict[str, set[str]]


@lru_cache(maxsize=1)
def table() -> Table:
    from sencrm.customers.choices import PROVINCES

    entries: list[tuple[str, str]] = []
    for code, name in PROVINCES:
        # The 2025 name as listed, without its "TP." too, and the code ("ho-chi-minh" → "ho chi minh").
        entries += [(key(name), code), (_candidates(key(name))[-1], code), (key(code), code)]
    entries += [(key(a.name), a.code) for a in read_aliases()]
    codes: dict[str, str] = {}
    compact: dict[str, str] = {}
    conflicts: dict[str, set[str]] = {}
    for k, code in entries:
        if k:
            for target, index in ((codes, k), (compact, k.replace(" ", ""))):
                if target.get(index, code) != code:
                    conflicts.setdefault(index, {target[index]}).add(code)
                target.setdefault(index, code)
    for index in conflicts:
        codes.pop(index, None)
        compact.pop(index, None)
    return Table(codes, compact, conflicts)


def _lookup(folded: str) -> str | None:
    t = table()
    for candidate in _candidates(folded):
        code = t.codes.get(candidate) or t.compact.get(candidate.replace(" ", ""))
        if code:
            return code
    return None


@lru_cache(maxsize=8192)
def province_code(text: str) -> str | None:
    """The code of the 2025 province a typed name stands for, or None.

    "tinh binh dinh" → "gia-lai", "TP. Nha Trang" → "khanh-hoa", "Thủ Đức, TP.HCM" → "ho-chi-minh".
    A cell that lists more than the province ("Nha Trang, Khánh Hòa", "Hà Nội (Việt Nam)") is tried
    whole, then part by part from the right (the province usually comes last).
    """
    text = str(text or "")[:MAX_INPUT]
    folded = key(text)
    if not folded:
        return None
    code = _lookup(folded)
    if code is None and _PARTS.search(text):
        for part in reversed(_PARTS.split(text)):
            code = _lookup(key(part)) if key(part) else None
            if code:
                break
    return code


def province_resolve(text: Any) -> Any:
    """The Province (model instance) for a typed name or code, or None when it cannot be placed."""
    from sencrm.customers.models import Province

    if isinstance(text, Province):
        return text
    raw = str(text or "").strip()
    if not raw:
        return None
    found = Province.objects.filter(code=raw[:40]).first()
    if found is not None:
        return found
    code = province_code(raw)
    if code is not None:
        return Province.objects.filter(code=code).first()
    # A province an administrator added to the list, by its name.
    for province in Province.objects.all():
        if key(province.name) and key(province.name) == key(raw):
            return province
    return None


def unknown_message(value: Any) -> str:
    return str(
        _(
            "Unknown province: “%(value)s”. Write a province of 2025 (its name or code, e.g. "
            "“Khánh Hòa” or khanh-hoa), a province from before 2025 (e.g. “Bình Định”) or a city "
            "(e.g. “Nha Trang”)."
        )
        % {"value": str(value)[:60]}
    )


class ProvinceChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    """A province chosen from the list (by id or code) or typed: an old name or a city also works.

    With `keep_unknown=True` a name that cannot be placed is returned as the cleaned text (the caller
    keeps it somewhere the user sees) instead of being refused.
    """

    def __init__(self, *args: Any, keep_unknown: bool = False, **kwargs: Any) -> None:
        self.keep_unknown = keep_unknown
        super().__init__(*args, **kwargs)

    def to_python(self, value: Any) -> Any:
        try:
            return super().to_python(value)
        except ValidationError:
            province = province_resolve(value)
            if province is not None:
                return province
            if self.keep_unknown:
                return " ".join(str(value).split())[:MAX_INPUT]
            raise ValidationError(unknown_message(value), code="invalid_choice") from None

    def validate(self, value: Any) -> None:
        if isinstance(value, str):  # kept as typed (keep_unknown): nothing to check against the list
            if self.required and not value:
                raise ValidationError(self.error_messages["required"], code="required")
            return
        super().validate(value)
