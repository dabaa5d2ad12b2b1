"""Proposing an open invoice for each money-in row of a bank statement.

Pure: no models and no database. The caller loads the open invoices once, builds a `Matcher`, and
asks it about each credit row; a person confirms the proposals.

Rules, strongest first:
1. The transfer content names an invoice number. Numbers are compared normalised (no diacritics,
   upper case, letters and digits only: "hdbh 2026 000123" is "HDBH2026000123"). Only numbers with at
   least one letter and one digit and six characters are looked for: a number of digits alone could be
   part of an account number, a phone or the bank's own reference. For the same reason, a number the
   sender wrote without its prefix ("000123" for "HDBH-2026-000123") is NOT matched.
2. The amount equals an invoice's balance exactly and the content holds its customer's name (two words
   at least, as whole words) or one of the customer's phones (0… or 84…).

Speed (one core, 100,000 invoices with numbers, names and phones, 5,000 rows of realistic content):
building takes about 0.4 s and matching all rows about 0.1 s.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Union

from django.utils.translation import gettext as _

from sencrm.core.money import format_money
from sencrm.core.text import clean_text, fold

MIN_NUMBER_LENGTH = 6  # normalised; shorter "numbers" would be found inside any long reference
MAX_NAME_WORDS = 6
_NOT_REF = re.compile(r"[^A-Z0-9]")
_NOT_WORD = re.compile(r"[^A-Z0-9]+")
_DIGIT_RUN = re.compile(r"\d+")
_SPACED_DIGITS = re.compile(r"\+?\d[\d .\-]{7,}\d")  # "+84 912 345 678", "0912.345.678"
_NON_DIGIT = re.compile(r"\D")


def normalise_ref(text: str) -> str:
    """Folded, upper case, letters and digits only: "HDBH-2026-000123" → "HDBH2026000123"."""
    if text.isascii():  # the common case, without the Unicode decomposition
        return _NOT_REF.sub("", text.upper())
    return _NOT_REF.sub("", fold(text).upper())


def _name_key(name: str) -> str:
    """Folded, upper-case words separated by single spaces: "Nguyễn Văn An" → "NGUYEN VAN AN"."""
    return " ".join(_NOT_WORD.sub(" ", fold(name).upper()).split())


def _national_phone(phone: str) -> str:
    """A phone's national digits ("0912345678" from "+84 912 345 678"); "" when too short to be one."""
    digits = phone if phone.isdigit() else _NON_DIGIT.sub("", phone)
    if digits.startswith("84") and len(digits) >= 11:
        digits = "0" + digits[2:]
    return digits if len(digits) >= 9 else ""


def _amount_key(amount: Decimal) -> str:
    """The same text for equal amounts ("5500000" for 5500000 and 5500000.00)."""
    return f"{amount.normalize():f}"


# An index entry is one invoice or, rarely, several: no list per key, which keeps building 100,000
# invoices fast (fewer objects for the garbage collector to walk).
_Entry = Union["OpenInvoice", tuple["OpenInvoice", ...]]


def _add(index: dict[str, _Entry], key: str, invoice: OpenInvoice) -> None:
    found = index.get(key)
    if found is None:
        index[key] = invoice
    else:
        index[key] = (*found, invoice) if isinstance(found, tuple) else (found, invoice)


def _entries(index: dict[str, _Entry], key: str) -> tuple[OpenInvoice, ...]:
    found = index.get(key)
    if found is None:
        return ()
    return found if isinstance(found, tuple) else (found,)


@dataclass(frozen=True)
class OpenInvoice:
    id: int
    number: str
    balance: Decimal
    customer_name: str
    phones: tuple[str, ...] = ()
    due_date: date | None = None


@dataclass(frozen=True)
class Match:
    invoice_id: int
    reason: str  # "number", "name_amount" or "phone_amount"
    confident: bool
    explanation: str


class Matcher:
    """Indexes built once: invoices by normalised number, and by (balance, name) and (balance, phone),
    so that a row costs a few dictionary look-ups however many invoices are open."""

    def __init__(self, invoices: Iterable[OpenInvoice]) -> None:
        self._by_number: dict[str, _Entry] = {}  # normalised number -> invoice
        self._by_name: dict[str, _Entry] = {}  # "balance|FOLDED NAME" -> invoice
        self._by_phone: dict[str, _Entry] = {}  # "balance|0912345678" and "balance|84912345678"
        self._name_lengths: dict[str, int] = {}  # balance -> bit n set when a name there has n words
        self._phone_balances: set[str] = set()
        names: dict[str, str] = {}  # customers have several invoices: fold each name once
        for invoice in invoices:
            key = normalise_ref(invoice.number)
            if len(key) >= MIN_NUMBER_LENGTH and not key.isdigit() and not key.isalpha():
                _add(self._by_number, key, invoice)
            if invoice.balance <= 0:
                continue
            amount = _amount_key(invoice.balance)
            name = names.get(invoice.customer_name)
            if name is None:
                name = names[invoice.customer_name] = _name_key(invoice.customer_name)
            words = name.count(" ") + 1
            if name and 2 <= words <= MAX_NAME_WORDS:
                _add(self._by_name, f"{amount}|{name}", invoice)
                self._name_lengths[amount] = self._name_lengths.get(amount, 0) | 1 << words
            for phone in invoice.phones:
                national = _national_phone(phone)
                if national:
                    _add(self._by_phone, f"{amount}|{national}", invoice)
                    if national.startswith("0"):
                        _add(self._by_phone, f"{amount}|84{national[1:]}", invoice)
                    self._phone_balances.add(amount)
        self._lengths = sorted({len(k) for k in self._by_number}, reverse=True)
        self._starts = {k[:MIN_NUMBER_LENGTH] for k in self._by_number}

    def match(self, content: str, amount: Decimal, already: set[int] | None = None) -> Match | None:
        """The invoice this money-in row most likely pays, or None. `already` holds the invoices proposed
        for earlier rows of the statement: they are not proposed again by name or phone (a number
        match may repeat: an invoice can be paid in parts)."""
        if not amount.is_finite() or amount <= 0:
            return None
        text = clean_text(content)
        return self._by_number_in(text, amount) or self._by_amount(text, amount, already or set())

    def _by_number_in(self, text: str, amount: Decimal) -> Match | None:
        found = self._numbers_in(text)
        if not found:
            return None
        key = found[0]  # the longest, then the first in the text
        invoices = _entries(self._by_number, key)
        invoice = min(invoices, key=_due_first)
        fits = amount <= invoice.balance
        others = len(found) > 1 or len(invoices) > 1
        values = {
            "number": invoice.number,
            "amount": format_money(amount),
            "balance": format_money(invoice.balance),
        }
        if not fits:
            explanation = (
                _(
                    "The transfer content names invoice %(number)s, but the amount (%(amount)s) is more than "
                    "its balance (%(balance)s)."
                )
                % values
            )
        elif others:
            explanation = _("The transfer content names invoice %(number)s, and other invoices too.") % values
        else:
            explanation = _("The transfer content names invoice %(number)s.") % values
        return Match(invoice.id, "number", fits and not others, explanation)

    def _numbers_in(self, text: str) -> list[str]:
        """Indexed numbers found in the text, longest first, then in reading order."""
        ref = normalise_ref(text)
        hits: dict[str, int] = {}
        for start in range(len(ref) - MIN_NUMBER_LENGTH + 1):
            if ref[start : start + MIN_NUMBER_LENGTH] not in self._starts:
                continue
            for length in self._lengths:
                key = ref[start : start + length]
                if len(key) == length and key in self._by_number and key not in hits:
                    hits[key] = start
        if not hits:
            return []
        positions = _positions(text, ref)
        found: list[str] = []
        spans: list[range] = []
        for key in sorted(hits, key=lambda k: (-len(k), hits[k])):
            span = range(hits[key], hits[key] + len(key))
            # A shorter number inside a longer one found ("BH2026000123" in "HDBH2026000123") is not named.
            if _stands_alone(text, positions, span) and not any(
                span.start < s.stop and s.start < span.stop for s in spans
            ):
                found.append(key)
                spans.append(span)
        return found

    def _by_amount(self, text: str, amount: Decimal, already: set[int]) -> Match | None:
        key = _amount_key(amount)
        lengths = self._name_lengths.get(key, 0)
        if not lengths and key not in self._phone_balances:
            return None
        fits: dict[int, tuple[OpenInvoice, str, str]] = {}  # id -> (invoice, reason, the phone)
        if key in self._phone_balances:
            for phone in _phones_in(text):
                for invoice in _entries(self._by_phone, f"{key}|{phone}"):
                    fits.setdefault(invoice.id, (invoice, "phone_amount", phone))
        words = _NOT_WORD.sub(" ", fold(text).upper()).split()
        for n in range(2, MAX_NAME_WORDS + 1):
            if lengths & 1 << n:  # only the word counts some name at this balance has
                for i in range(len(words) - n + 1):
                    for invoice in _entries(self._by_name, f"{key}|{' '.join(words[i : i + n])}"):
                        fits.setdefault(invoice.id, (invoice, "name_amount", ""))
        candidates = [fit for fit in fits.values() if fit[0].id not in already]
        if not candidates:
            return None
        invoice, reason, phone = min(candidates, key=lambda fit: _due_first(fit[0]))
        values = {"amount": format_money(amount), "phone": phone, "count": len(candidates)}
        if len(candidates) > 1:
            explanation = (
                _(
                    "The amount (%(amount)s) and the sender fit %(count)s open invoices; this one is due "
                    "first."
                )
                % values
            )
        elif reason == "phone_amount":
            explanation = (
                _("The phone number %(phone)s and the amount (%(amount)s) fit this invoice.") % values
            )
        else:
            explanation = _("The sender's name and the amount (%(amount)s) fit this invoice.") % values
        return Match(invoice.id, reason, len(candidates) == 1, explanation)


def _due_first(invoice: OpenInvoice) -> tuple[bool, date, int]:
    return (invoice.due_date is None, invoice.due_date or date.max, invoice.id)


def _positions(text: str, ref: str) -> list[int]:
    """For each character of normalise_ref(text), the index in `text` it comes from."""
    positions: list[int] = []
    for index, char in enumerate(text):
        positions.extend([index] * len(normalise_ref(char)))
    return positions if len(positions) == len(ref) else []


def _stands_alone(text: str, positions: list[int], span: range) -> bool:
    """A number is not a piece of a longer run of digits: "HDBH-2026-000123" is not in "HDBH-2026-0001234"
    (separators are gone from the normalised text, so this looks at the text as written)."""
    if not positions:
        return True
    first, last = positions[span.start], positions[span.stop - 1]
    before = text[first - 1] if first > 0 else ""
    after = text[last + 1] if last + 1 < len(text) else ""
    return not (text[first].isdigit() and before.isdigit()) and not (text[last].isdigit() and after.isdigit())


def _phones_in(text: str) -> set[str]:
    """Digit runs as written, and runs split by spaces, dots or dashes joined up ("0912 345 678")."""
    runs = set(_DIGIT_RUN.findall(text))
    runs.update(_NON_DIGIT.sub("", run) for run in _SPACED_DIGITS.findall(text))
    return runs
