"""Bank statement reconciliation: upload → lines with proposed matches → confirmed receipts.

Each credit line is matched against the open invoices the user may see (sencrm/billing/matching.py:
the invoice number in the transfer content, else the customer's name or phone plus the exact
amount). Confirming a line creates a receipt allocated to its invoice (up to the balance; the rest
stays as the customer's credit) in one transaction. A line already uploaded — the same bank
reference, or the same date + amount + content — is skipped, so a statement uploaded twice or an
overlapping one creates no second receipt.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from datetime import datetime, time
from decimal import Decimal
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from sencrm.billing import services
from sencrm.billing.matching import Matcher, OpenInvoice, normalise_ref
from sencrm.billing.models import (
    OPEN_STATUSES,
    BankLine,
    BankLineStatus,
    BankStatement,
    Invoice,
    Payment,
    PaymentMethod,
    StatementMapping,
)
from sencrm.billing.statements import StatementError, parse_statement
from sencrm.core import access
from sencrm.core.background import db_task
from sencrm.core.modules import Action, Module
from sencrm.core.text import clean_text
from sencrm.events.services import event_emit, record_create
from sencrm.imports.files import UploadRefused, delete_stored, display_name, store_upload, stored_path

ROLES = ("date", "credit", "debit", "amount", "content", "reference")


def fingerprint(*, reference: str, date: Any, amount: Decimal, content: str, occurrence: int = 0) -> str:
    """The line's identity across uploads: the bank's reference when it gives one, else the date, the
    amount and the content (normalised, so a re-export with other spacing is the same line) and, for
    identical lines of one day (two equal transfers), which of them it is."""
    key = (
        f"ref:{normalise_ref(reference)}"
        if normalise_ref(reference)
        else f"{date}|{amount}|{normalise_ref(content)}|{occurrence}"
    )
    return hashlib.sha256(key.encode()).hexdigest()


def _fingerprints(rows: list[Any]) -> dict[str, Any]:
    seen: dict[str, int] = {}
    prints: dict[str, Any] = {}
    for row in rows:
        base = fingerprint(reference=row.reference, date=row.date, amount=row.amount, content=row.content)
        occurrence = seen.get(base, 0)
        seen[base] = occurrence + 1
        key = (
            base
            if occurrence == 0 or normalise_ref(row.reference)
            else fingerprint(
                reference="", date=row.date, amount=row.amount, content=row.content, occurrence=occurrence
            )
        )
        prints.setdefault(key, row)
    return prints


def open_invoices(user: Any) -> Iterable[OpenInvoice]:
    """The open invoices the user may see, as the matcher reads them (one query, streamed)."""
    qs = (
        access.scope(user, Invoice, Action.VIEW)
        .filter(status__in=OPEN_STATUSES, is_credit=False, balance__gt=0)
        .values_list(
            "pk",
            "number",
            "balance",
            "account__name",
            "contact__full_name",
            "contact__primary_phone",
            "account__primary_phone",
            "due_date",
        )
    )
    for pk, number, balance, account, contact, phone, account_phone, due_date in qs.iterator(chunk_size=5000):
        phones = tuple(p for p in {_digits(phone), _digits(account_phone)} if p)
        yield OpenInvoice(
            id=pk,
            number=number,
            balance=balance,
            customer_name=account or contact or "",
            phones=phones,
            due_date=due_date,
        )
        if account and contact:
            # A company's invoice is often paid by its contact person, under their own name: the same
            # invoice once more under that name (no number: the number is indexed once).
            yield OpenInvoice(
                id=pk, number="", balance=balance, customer_name=contact, phones=(), due_date=due_date
            )


def _digits(phone: str | None) -> str:
    digits = "".join(ch for ch in phone or "" if ch.isdigit())
    if digits.startswith("84") and len(digits) >= 11:
        digits = "0" + digits[2:]
    return digits


def _clean_mapping(raw: Any) -> dict[str, str] | None:
    if raw in (None, "", {}):
        return None
    if not isinstance(raw, Mapping) or not all(isinstance(v, str) for v in raw.values()):
        raise ValidationError(
            {"mapping": _('Give the columns as {"date": "…", "credit": "…", "content": "…"}.')}
        )
    unknown = set(raw) - set(ROLES)
    if unknown:
        raise ValidationError(
            {"mapping": _("Unknown column roles: %(roles)s.") % {"roles": ", ".join(sorted(unknown))[:200]}}
        )
    return {str(k): clean_text(str(v))[:120] for k, v in raw.items() if v}


@transaction.atomic
def statement_upload(
    *,
    actor: Any,
    upload: IO[bytes],
    name: str,
    size: int,
    mapping: Any = None,
    bank: str = "",
    save_mapping: bool = False,
) -> BankStatement:
    """Read a bank statement export, keep its new lines and propose a match for each credit line."""
    access.check_module(actor, Module.BILLING, Action.IMPORT)
    given = _clean_mapping(mapping)
    bank = clean_text(bank)[:80]
    if given is None and bank:
        saved = StatementMapping.objects.filter(name=bank).first()
        given = dict(saved.mapping) if saved else None
    try:
        stored, kind = store_upload(upload, name, size)
    except UploadRefused as error:
        raise ValidationError({"file": str(error)}) from None
    try:
        parsed = parse_statement(stored_path(stored), kind, mapping=given)
    except (StatementError, ValueError) as error:
        raise ValidationError({"file": str(error)}) from None
    finally:
        delete_stored(stored)
    if save_mapping and bank:
        StatementMapping.objects.update_or_create(name=bank, defaults={"mapping": parsed.mapping})
    statement = record_create(
        BankStatement,
        actor=actor,
        data={
            "name": display_name(name),
            "bank": bank,
            "mapping": parsed.mapping,
            "error_count": len(parsed.errors),
            "errors": [{"row": e.row, "message": str(e.message)} for e in parsed.errors][:500],
        },
    )
    prints = _fingerprints(parsed.rows)
    known = set(BankLine.objects.filter(fingerprint__in=list(prints)).values_list("fingerprint", flat=True))
    fresh = [(key, row) for key, row in prints.items() if key not in known]
    skipped = len(parsed.rows) - len(fresh)
    matcher = Matcher(open_invoices(actor)) if any(row.amount > 0 for _k, row in fresh) else None
    taken: set[int] = set()
    lines = []
    for key, row in fresh:
        found = matcher.match(row.content, row.amount, taken) if matcher and row.amount > 0 else None
        if found is not None:
            taken.add(found.invoice_id)
        lines.append(
            BankLine(
                statement=statement,
                row=row.row,
                date=row.date,
                amount=row.amount,
                content=row.content[:500],
                reference=row.reference[:100],
                fingerprint=key,
                status=BankLineStatus.OPEN if row.amount > 0 else BankLineStatus.IGNORED,
                match_invoice_id=found.invoice_id if found else None,
                match_reason=found.reason if found else "",
                match_confident=bool(found and found.confident),
                match_explanation=str(found.explanation)[:300] if found else "",
            )
        )
    BankLine.objects.bulk_create(lines, batch_size=1000)
    dates = [row.date for _k, row in fresh]
    BankStatement.all_objects.filter(pk=statement.pk).update(
        line_count=len(lines),
        skipped_count=skipped,
        first_date=min(dates) if dates else None,
        last_date=max(dates) if dates else None,
    )
    statement.refresh_from_db()
    return statement


def _paid_at(line: BankLine) -> datetime:
    moment = datetime.combine(line.date, time(12, 0))
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


@transaction.atomic
def line_confirm(line: BankLine, *, actor: Any, invoice: Invoice | None = None) -> Payment:
    """Turn a credit line into a receipt allocated to `invoice` (default: its proposed match), up to
    the invoice's balance; what is left stays as the customer's credit."""
    access.check(actor, Action.EDIT, line.statement)
    current = BankLine.objects.select_for_update().get(pk=line.pk)
    if current.status != BankLineStatus.OPEN or current.payment_id:
        raise ValidationError(_("This line is already reconciled."))
    if current.amount <= 0:
        raise ValidationError(_("Only money received is reconciled with invoices."))
    target = invoice or current.match_invoice
    if target is None:
        raise ValidationError(_("Choose the invoice this transfer pays."))
    target = access.scope(actor, Invoice, Action.EDIT).filter(pk=target.pk).first()
    if target is None:
        raise ValidationError({"invoice": str(access.NOT_FOUND)})
    allocated = min(current.amount, target.balance)
    payment = services.payment_create(
        actor=actor,
        data={
            "amount": current.amount,
            "method": PaymentMethod.BANK_TRANSFER,
            "paid_at": _paid_at(current),
            "contact": target.contact,
            "account": target.account,
            "reference": current.reference or f"{current.date:%d/%m/%Y}",
            "notes": current.content,
        },
        allocations=[(target, allocated)] if allocated > 0 else [],
        actor_label=f"bankstatement#{current.statement_id}",
    )
    current.payment = payment
    current.status = BankLineStatus.CONFIRMED
    current.match_invoice = target
    current.save(update_fields=["payment", "status", "match_invoice"])
    return payment


def statement_confirm(
    statement: BankStatement, *, actor: Any, choices: Mapping[int, int | None] | None = None
) -> list[Payment]:
    """Confirm the confident matches (no `choices`), or the listed lines (line id → invoice id, None
    for the proposed match). Each line is its own transaction: one that fails leaves the others."""
    access.check(actor, Action.EDIT, statement)
    lines = BankLine.objects.filter(statement=statement, status=BankLineStatus.OPEN, amount__gt=0)
    if choices is None:
        lines = lines.filter(match_confident=True, match_invoice__isnull=False)
    else:
        lines = lines.filter(pk__in=list(choices))
    made = []
    errors: dict[str, list[str]] = {}
    for line in lines.select_related("match_invoice").order_by("row"):
        chosen = (choices or {}).get(line.pk)
        invoice = Invoice.objects.filter(pk=chosen).first() if chosen else None
        if chosen and invoice is None:
            errors.setdefault("lines", []).append(
                _("Row %(row)s: %(message)s") % {"row": line.row, "message": access.NOT_FOUND}
            )
            continue
        try:
            made.append(line_confirm(line, actor=actor, invoice=invoice))
        except ValidationError as error:
            errors.setdefault("lines", []).append(
                _("Row %(row)s: %(message)s") % {"row": line.row, "message": " ".join(error.messages)}
            )
    if made:
        event_emit(
            type="bankstatement.reconciled",
            subject=statement,
            actor=actor,
            data={"receipts": [p.number for p in made]},
        )
    if errors and not made:
        raise ValidationError(errors)
    return made


def line_ignore(line: BankLine, *, actor: Any) -> None:
    access.check(actor, Action.EDIT, line.statement)
    BankLine.objects.filter(pk=line.pk, status=BankLineStatus.OPEN).update(status=BankLineStatus.IGNORED)


CONFIRM_INLINE = 100  # more confident lines than this are confirmed by the worker


def confident_lines(statement: BankStatement) -> int:
    return BankLine.objects.filter(
        statement=statement,
        status=BankLineStatus.OPEN,
        amount__gt=0,
        match_confident=True,
        match_invoice__isnull=False,
    ).count()


@db_task(retries=0)
def confirm_in_background(statement_id: int, user_id: int) -> None:
    """ "Confirm all" of a long statement, in the worker and as the user who asked (the gate applies):
    each line is its own transaction, so the page shows them reconciled as they are done."""
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.get(pk=user_id)
    statement = BankStatement.objects.get(pk=statement_id)
    statement_confirm(statement, actor=user)
