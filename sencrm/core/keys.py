"""The keys records derive from their names, phones and emails: name parts, sort key, search key,
primary phone and email. The owning apps' `derive` functions (customers/derived.py, sales/derived.py)
are built from these, and every writer — a form, the API, an import of 100,000 rows — goes through
them, so the single-record services and the bulk path cannot drift apart.

They give exactly what `sencrm.core.text` gives (`split_vietnamese_name`, `name_sort_key`, `fold`), word
by word with the folded words cached: names repeat a lot, and an import needs them at ≈ 1 µs a row.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from functools import lru_cache

from sencrm.core.phones import display, search_digits
from sencrm.core.text import clean_text, fold

# What clean_text would change: whitespace other than single inner spaces, invisible characters.
_UNCLEAN = re.compile("[^\\S ]|  |^ | $|[\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")


def cleaned(value: str) -> str:
    """`sencrm.core.text.clean_text`, skipped for the usual text that it would leave as it is."""
    if unicodedata.is_normalized("NFC", value) and not _UNCLEAN.search(value):
        return value
    return clean_text(value)


@lru_cache(maxsize=65536)
def fold_word(word: str) -> str:
    return fold(word)


def name_keys(full_name: str) -> tuple[str, str, str, str, str]:
    """(family, middle, given, sort key, folded name) of a Vietnamese full name: `split_vietnamese_name`,
    `name_sort_key` and `fold` of the name."""
    words = cleaned(full_name or "").split(" ")
    if words == [""]:
        return "", "", "", "", ""
    folded = [fold_word(w) for w in words]
    if len(words) == 1:
        return "", "", words[0], folded[0], folded[0]
    sort_key = " ".join(p for p in (folded[-1], folded[0], " ".join(folded[1:-1])) if p)
    return words[0], " ".join(words[1:-1]), words[-1], sort_key, " ".join(folded)


def search_fields(
    folded: Sequence[str], e164s: Sequence[str], emails: Sequence[str], *extra: str
) -> dict[str, str]:
    """search_key (the folded texts, every phone as national and international digits, the emails
    lower-cased, then `extra`), and the first phone (displayed) and email, kept on the row for lists."""
    parts = [*folded, *(search_digits(e) for e in e164s), *(a.lower() for a in emails), *extra]
    return {
        "search_key": " ".join(p for p in parts if p),
        "primary_phone": display(e164s[0]) if e164s else "",
        "primary_email": emails[0] if emails else "",
    }
