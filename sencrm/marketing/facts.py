"""The attribution facts (marketing.ReceiptFact): every live receipt with its customer's touch data, kept
in the transaction that changes either, so the attribution report reads one narrow table.

What changes a fact, and where it is caught (one receiver on the spine's `records_written` signal, so no
writer has to know about attribution):
- a receipt created, changed (amount, date, customer, owner, team, kind), trashed or restored: its own
  fact, and the first receipt of the customers concerned (recomputed from their live receipts: a trashed
  first receipt, or receipts moved by a merge, give the customer another first receipt);
- a contact's or account's first/latest campaign, source or first touch changed: the facts of its
  receipts.

Rows are written by one INSERT … SELECT (the same statement rebuilds the whole table: `rebuild`), on
SQLite and PostgreSQL alike; a rebuild ANALYZEs what it wrote.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import connection, transaction
from django.db.models import Q
from django.dispatch import receiver

from sencrm.billing.models import Payment, PaymentKind
from sencrm.billing.services import customer_first_receipts_refresh
from sencrm.customers.models import Account, Contact, SourceChannel
from sencrm.events.services import records_written

CHUNK = 500
# The customer fields a fact copies (the first receipt is recomputed here, not written by users).
TOUCH_FIELDS = frozenset({"first_campaign", "latest_campaign", "source", "first_touch_at", "created_at"})

_COLUMNS = (
    "payment_id, owner_id, team_id, paid_at, amount, first_campaign_id, latest_campaign_id, source, "
    "touch_at, customer_created_at, is_first, paid_month, touch_month, created_month, lag_days"
)
# Vietnam time has no daylight saving: a local date is the UTC time plus 7 hours.
ZONE = "Asia/Ho_Chi_Minh"


def _local(vendor: str, column: str, month: bool = False) -> str:
    """SQL for the local (Vietnam) date of a timestamp column, or the first day of its month."""
    if vendor == "postgresql":
        if month:
            return f"CAST(date_trunc('month', {column} AT TIME ZONE '{ZONE}') AS date)"
        return f"CAST({column} AT TIME ZONE '{ZONE}' AS date)"
    start = ", 'start of month'" if month else ""
    return f"date({column}, '+7 hours'{start})"


def _days(vendor: str, later: str, earlier: str) -> str:
    """SQL for the calendar days (Vietnam time) from one timestamp to another."""
    if vendor == "postgresql":
        return f"({_local(vendor, later)} - {_local(vendor, earlier)})"
    return f"CAST(julianday({_local(vendor, later)}) - julianday({_local(vendor, earlier)}) AS INTEGER)"


def _select(where: str, vendor: str) -> str:
    """The facts of the receipts matching `where` (SQL on `p`, the payments), as one SELECT."""

    def of_customer(column: str) -> str:
        return f"CASE WHEN p.contact_id IS NOT NULL THEN c.{column} ELSE a.{column} END"

    touch = (
        "CASE WHEN p.contact_id IS NOT NULL THEN COALESCE(c.first_touch_at, c.created_at) "
        "ELSE COALESCE(a.first_touch_at, a.created_at) END"
    )
    created = of_customer("created_at")
    return f"""
        SELECT p.id, p.owner_id, p.team_id, p.paid_at, p.amount,
            {of_customer("first_campaign_id")}, {of_customer("latest_campaign_id")}, COALESCE(s.code, ''),
            {touch}, {created},
            CASE WHEN {of_customer("first_receipt_id")} = p.id THEN TRUE ELSE FALSE END,
            {_local(vendor, "p.paid_at", month=True)}, {_local(vendor, touch, month=True)},
            {_local(vendor, created, month=True)}, {_days(vendor, "p.paid_at", touch)}
        FROM {Payment._meta.db_table} p
        LEFT JOIN {Contact._meta.db_table} c ON c.id = p.contact_id
        LEFT JOIN {Account._meta.db_table} a ON a.id = p.account_id
        LEFT JOIN {SourceChannel._meta.db_table} s ON s.id = {of_customer("source_id")}
        WHERE p.kind = %s AND p.deleted_at IS NULL AND ({where})
    """  # noqa: S608 - our tables and columns; values are parameters


def _table() -> str:
    from sencrm.marketing.models import ReceiptFact

    return ReceiptFact._meta.db_table


def refresh_payments(ids: Iterable[int]) -> None:
    """Rewrite the facts of these payments (none for a voucher or a trashed receipt)."""
    ordered = sorted(set(ids))
    with connection.cursor() as cursor:
        for start in range(0, len(ordered), CHUNK):
            chunk = ordered[start : start + CHUNK]
            marks = ", ".join(["%s"] * len(chunk))
            cursor.execute(f"DELETE FROM {_table()} WHERE payment_id IN ({marks})", chunk)  # noqa: S608
            cursor.execute(
                f"INSERT INTO {_table()} ({_COLUMNS}) {_select(f'p.id IN ({marks})', connection.vendor)}",
                [PaymentKind.RECEIPT, *chunk],
            )


def _receipts_of(contact_ids: set[int], account_ids: set[int]) -> list[int]:
    q = Q(pk__in=[])
    if contact_ids:
        q |= Q(contact_id__in=contact_ids)
    if account_ids:
        q |= Q(account_id__in=account_ids)
    return list(Payment.all_objects.filter(q, kind=PaymentKind.RECEIPT).values_list("pk", flat=True))


def refresh_customers(contact_ids: Iterable[int] = (), account_ids: Iterable[int] = ()) -> None:
    """Rewrite the facts of every receipt of these contacts and accounts."""
    contacts, accounts = set(contact_ids), set(account_ids)
    if contacts or accounts:
        refresh_payments(_receipts_of(contacts, accounts))


def payments_written(ids: list[int]) -> None:
    """Receipts were written: recompute their customers' first receipts (and those of customers whose
    first receipt one of them was), then rewrite the facts of all those customers' receipts."""
    rows = Payment.all_objects.filter(pk__in=ids).values_list("contact_id", "account_id")
    contacts = {c for c, _a in rows if c is not None}
    accounts = {a for _c, a in rows if a is not None}
    contacts |= set(Contact.all_objects.filter(first_receipt_id__in=ids).values_list("pk", flat=True))
    accounts |= set(Account.all_objects.filter(first_receipt_id__in=ids).values_list("pk", flat=True))
    customer_first_receipts_refresh(contacts, accounts)
    refresh_payments({*ids, *_receipts_of(contacts, accounts)})


@receiver(records_written, dispatch_uid="marketing.facts")
def _on_records_written(sender: Any, ids: list[int], fields: set[str] | None, **_: Any) -> None:
    if sender is Payment:
        payments_written(ids)
    elif sender in (Contact, Account) and fields is not None and fields & TOUCH_FIELDS:
        if sender is Contact:
            refresh_customers(contact_ids=ids)
        else:
            refresh_customers(account_ids=ids)


def rebuild(using: str = "default") -> int:
    """Every fact again from the receipts and customers (after a bulk load, or to check): the number of
    facts written. ANALYZEs the table on PostgreSQL."""
    from django.db import connections

    conn = connections[using]
    with transaction.atomic(using=using), conn.cursor() as cursor:
        cursor.execute(f"DELETE FROM {_table()}")  # noqa: S608 - our table
        select = _select("1 = 1", conn.vendor)
        cursor.execute(f"INSERT INTO {_table()} ({_COLUMNS}) {select}", [PaymentKind.RECEIPT])
        written = cursor.rowcount
    with conn.cursor() as cursor:
        cursor.execute(f"ANALYZE {_table()}")
    return int(written)
