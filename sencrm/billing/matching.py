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

Speed, measured once (CPU time on one core; 100,000 invoices with numbers, names and phones; 5,000 rows
of bank-like content naming numbers, names or phones): building takes 0.13–0.24 s; matching all rows
0.3–0.8 s, most of it folding the names of the balances the rows' amounts hit, on first use.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TypeAlias

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


@dataclass(frozen=True)
class OpenInvoice:
    """What matching needs of an invoice with money still owed on it (loaded by the caller)."""

    id: int
    number: str
    balance: Decimal
    customer_name: str
    phones: tuple[str, ...] = ()
    due_date: date | None = None


@dataclass(frozen=True)
class Match:
    """The invoice proposed for a row; `confident` proposals may be pre-ticked, the others need a look."""

    invoice_id: int
    reason: str  # "number", "name_amount" or "phone_amount"
    confident: bool
    explanation: str


# An index entry is one invoice or, rarely, several: no list per key, which keeps building 100,000
# invoices fast (fewer objects for the garbage collector to walk).
_Entry: TypeAlias = OpenInvoice | tuple[OpenInvoice, ...]


def normalise_ref(text: str) -> str:
    """Folded, upper case, letters and digits only: "HDBH-2026-000123" → "HDBH2026000123"."""
    if text.isascii():  # the common case, without the Unicode decomposition
        return _NOT_REF.sub("", text.upper())
    return _NOT_REF.sub("", fold(text).upper())


def _plain_letters() -> dict[int, int | None]:
    """Latin letters with diacritics → their base letter, combining marks → nothing, đ → d."""
    table: dict[int, int | None] = {mark: None for mark in range(0x0300, 0x0370)}
    for code in range(0x00C0, 0x1F00):
        base = unicodedata.normalize("NFD", chr(code))[0]
        if base.isascii() and base.isalpha():
            table[code] = ord(base)
    table.update({ord("đ"): ord("d"), ord("Đ"): ord("D")})
    return table


_PLAIN = _plain_letters()


def _name_key(text: str) -> str:
    """Upper-case words without diacritics, separated by single spaces: "Nguyễn Văn An" → "NGUYEN VAN AN".

    What `fold` gives, through one translation table instead of a loop over characters (100,000 names
    are folded when a Matcher is built); names and transfer contents both go through here.
    """
    if not text.isascii():
        text = text.translate(_PLAIN)  # decomposed text too: its combining marks map to nothing
    return _NOT_WORD.sub(" ", text.upper()).strip()


def _national_phone(phone: str) -> str:
    """A phone's national digits ("0912345678" from "+84 912 345 678"); "" when too short to be one."""
    digits = phone if phone.isdigit() else _NON_DIGIT.sub("", phone)
    if digits.startswith("84") and len(digits) >= 11:
        digits = "0" + digits[2:]
    return digits if len(digits) >= 9 else ""


def _amount_key(amount: Decimal) -> str:
    """The same text for equal amounts ("5500000" for 5500000 and 5500000.00)."""
    return f"{amount.normalize():f}"


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


class _Senders:
    """The invoices with one balance, by their customer's folded name and by phone (national digits)."""

    def __init__(self, invoices: list[OpenInvoice], names: dict[str, str]) -> None:
        self.by_name: dict[str, _Entry] = {}
        self.by_phone: dict[str, _Entry] = {}
        self.lengths = 0  # bit n is set when a name has n words: only those word runs are looked up
        for invoice in invoices:
            name = names.get(invoice.customer_name)
            if name is None:  # customers have several invoices: fold each name once
                name = names[invoice.customer_name] = _name_key(invoice.customer_name)
            words = name.count(" ") + 1
            if name and 2 <= words <= MAX_NAME_WORDS:
                _add(self.by_name, name, invoice)
                self.lengths |= 1 << words
            for phone in invoice.phones:
                national = _national_phone(phone)
                if national:
                    _add(self.by_phone, national, invoice)


class Matcher:
    """Invoices indexed by normalised number and by balance, so that a row costs a few dictionary look-ups
    however many invoices are open. Names and phones are indexed per balance on the first row with that
    amount: a statement's amounts hit few balances, and folding 100,000 names up front would cost more
    than the matching. Not thread-safe (that index fills as rows are matched)."""

    def __init__(self, invoices: Iterable[OpenInvoice]) -> None:
        self._by_number: dict[str, _Entry] = {}  # normalised number -> invoice
        self._by_balance: dict[str, list[OpenInvoice]] = {}  # _amount_key(balance) -> invoices
        self._senders: dict[str, _Senders] = {}  # the same key -> their names and phones, when needed
        self._names: dict[str, str] = {}
        amounts: dict[Decimal, str] = {}
        by_number, by_balance = self._by_number, self._by_balance
        for invoice in invoices:
            key = normalise_ref(invoice.number)
            if len(key) >= MIN_NUMBER_LENGTH and not key.isdigit() and not key.isalpha():
                _add(by_number, key, invoice)
            if invoice.balance <= 0:
                continue
            amount = amounts.get(invoice.balance)
            if amount is None:
                amount = amounts[invoice.balance] = _amount_key(invoice.balance)
                by_balance[amount] = [invoice]
            else:
                by_balance[amount].append(invoice)
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
        senders = self._senders.get(key)
        if senders is None:
            if key not in self._by_balance:
                return None
            senders = self._senders[key] = _Senders(self._by_balance[key], self._names)
        fits: dict[int, tuple[OpenInvoice, str, str]] = {}  # id -> (invoice, reason, the phone)
        if senders.by_phone:
            for phone in _phones_in(text):
                for invoice in _entries(senders.by_phone, phone):
                    fits.setdefault(invoice.id, (invoice, "phone_amount", phone))
        words = _name_key(text).split()
        for n in range(2, MAX_NAME_WORDS + 1):
            if senders.lengths & 1 << n:
                for i in range(len(words) - n + 1):
                    for invoice in _entries(senders.by_name, " ".join(words[i : i + n])):
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
        if char.isascii():
            if char.isalnum():
                positions.append(index)
        else:
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
    """Digit runs as written, and runs split by spaces, dots or dashes joined up ("0912 345 678"), as
    national numbers ("84912345678" → "0912345678")."""
    runs = set(_DIGIT_RUN.findall(text))
    runs.update(_NON_DIGIT.sub("", run) for run in _SPACED_DIGITS.findall(text))
    return {_national_phone(run) for run in runs} - {""}
