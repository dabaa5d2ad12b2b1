"""The billing benchmark (issue 14): reconciling a bank statement against the open invoices, and the
invoice list and receivables page at BILLING_INVOICES invoices.

    BENCH=billing DATABASE_URL=postgresql://postgres@127.0.0.1:5432/sencrm_bench_billing make bench
    BENCH=billing BILLING_INVOICES=20000 BILLING_OPEN=2000 BILLING_LINES=500 make bench   # a quick run
    BILLING_REUSE=1 BENCH=billing DATABASE_URL=… make bench     # the pages again, on the database left

It runs in a process of its own (bench/run.py starts it) on a database of its own: the PostgreSQL
database BILLING_DATABASE_URL, by default DATABASE_URL's with "_billing" added to its name unless it
already ends so (sencrm_bench_billing), dropped and created again and migrated; without either, SQLite
in a temporary DATA_DIR.

The data (`generate()`): the demo organisation (`load_organisation()`: the accountant, sales1, sales2
and the manager own what is generated), BILLING_CONTACTS contacts (bench/customers.py: Vietnamese
names, mobile numbers) and BILLING_ACCOUNTS companies with a phone (through the services), the demo
catalogue, then BILLING_INVOICES invoices of 1–3 catalogue lines over the last 365 days, written
straight into the tables (COPY on PostgreSQL, `executemany` on SQLite) in transactions of BATCH, with
every column the services set: numbers HDBH-<year>-<6 digits> in date order (ids too; the number
counters are moved past them), customer (a seventh companies'), owner (the customer's, a tenth
someone else's) and team, totals and VAT, due date (30 days; 30/45/60 for companies), status, paid
total and balance, e-invoice series and number, the folded search key. Statuses: a few drafts in the
last days; not yet due: 92 % unpaid (8 % of those partly paid); past due by d days: unpaid with
probability 0.5·e^(−d/30) + 0.01 — about 87 % paid, 8 % open and not due, 5 % overdue. A partly paid
invoice has its receipt and allocation rows (balances.refresh recomputes from them); paid invoices
have none, and nothing has events (neither the lists nor the matching read them).

Two steps, so that the reconciliation sees BILLING_OPEN open invoices: the first writes every invoice
except enough open ones (chosen at random) to leave BILLING_OPEN open, with their ids and numbers kept
for them; the reconciliation is measured; the second writes the ones kept back. Each step ends with
ANALYZE (PostgreSQL, where autovacuum may be off; `PRAGMA optimize` on SQLite), or with BILLING_VACUUM=1
VACUUM (ANALYZE), as autovacuum would on a server where it is on: it also sets the visibility map,
without which PostgreSQL reads the table's rows even for a query an index covers (index-only scans).

Measured:
1. Reconciliation, as the accountant: a Vietcombank-like CSV of BILLING_LINES lines (title lines,
   "STT, Ngày giao dịch, Số tham chiếu, Số tiền ghi nợ, Số tiền ghi có, Số dư, Mô tả", totals and
   closing balance) over the last 30 days: about half the credits name an open invoice's number in the
   forms people write it (CT DEN…, IBFT…, MBVCB…, without dashes, with spaces, HĐBH), mostly for its
   balance, some in part or for more; others give the customer's name or phone and the exact balance;
   others match nothing (deposits, interest, digits only, strangers); a tenth are debits and fees.
   Timed: `reconcile.statement_upload` end to end (parse, match, store; target ≤ 10 s), then
   `statement_confirm` of the confident matches (a receipt and allocation each; per line), then the
   same file uploaded again (every line skipped). Untimed: where the upload's time goes (parsing,
   loading the open invoices, building the matcher, matching: the same steps run apart, before the
   upload), and how the proposals compare with what each line was made to pay.
2. After the second step: `GET /invoices/` and `GET /api/v1/invoices/`, first page (50), as the
   accountant (all) and sales1 (own); `GET /receivables/` as the accountant and sales1;
   `selectors.receivables()` + `receivables_totals()` as the accountant. BILLING_REQUESTS (50) after
   BILLING_WARMUP (5), every answer checked; queries counted once; on PostgreSQL, the plan (EXPLAIN
   ANALYZE) of each query of one request that takes 5 ms or more.

Timings are wall clock and this thread's CPU (`time.thread_time()`): on a shared machine the gap is
waiting for a core (the database's own CPU is in neither). Results: a table, and JSON in
bench/results/<vendor>-<invoices>-billing-<stamp>.json.

Other variables: BILLING_INVOICES (1,000,000), BILLING_OPEN (100,000), BILLING_LINES (5,000),
BILLING_CONTACTS (3,000), BILLING_ACCOUNTS (500), SEED (2026), BILLING_DATA_DIR (use and keep this
DATA_DIR), BILLING_REUSE=1 (measure the pages again on the database a previous run left, after any new
migration: no drop, no load, no reconciliation; with BILLING_VACUUM=1, VACUUM (ANALYZE) billing_invoice
first), BILLING_VACUUM=1 (above), BILLING_REQUESTS (50) and BILLING_WARMUP (5).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
import os
import platform
import random
import re
import shutil
import statistics
import sys
import tempfile
import time
from array import array
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BATCH = 50_000
PAGE_SIZE = 50
SPAN_DAYS = 365
CONTACT_TERMS = 30
ACCOUNT_TERMS = (30, 45, 60)
EXPLAIN_MIN_MS = 5.0
TARGETS: dict[str, float | None] = {
    "statement_upload": 10_000,
    "statement_confirm": None,
    "statement_reupload": None,
    "invoice_list_accountant": 100,
    "invoice_list_sales1": 100,
    "invoice_totals_accountant": 100,
    "invoice_totals_sales1": 100,
    "invoice_api_accountant": 100,
    "invoice_api_sales1": 100,
    "receivables_accountant": 500,
    "receivables_sales1": None,
    "receivables_selectors": None,
}
LABELS = {
    "statement_upload": "statement  statement_upload, {lines} lines (accountant)",
    "statement_confirm": "statement  statement_confirm, {confirmed} confident lines",
    "statement_reupload": "statement  the same file again (all lines skipped)",
    "invoice_list_accountant": "invoices   GET /invoices/ (accountant, all)",
    "invoice_list_sales1": "invoices   GET /invoices/ (sales1, own)",
    "invoice_totals_accountant": "invoices   GET /invoices/totals/ (accountant, all)",
    "invoice_totals_sales1": "invoices   GET /invoices/totals/ (sales1, own)",
    "invoice_api_accountant": "invoices   GET /api/v1/invoices/ (accountant, all)",
    "invoice_api_sales1": "invoices   GET /api/v1/invoices/ (sales1, own)",
    "receivables_accountant": "receivable GET /receivables/ (accountant, all)",
    "receivables_sales1": "receivable GET /receivables/ (sales1, own)",
    "receivables_selectors": "receivable selectors: receivables() + totals (accountant)",
}
ACCOUNT_NAMES = [
    "Công ty TNHH {}",
    "Công ty Cổ phần {}",
    "Khách sạn {}",
    "Nhà hàng {}",
    "Phòng khám {}",
    "Trường Mầm non {}",
]
ACCOUNT_WORDS = ["Hoàng Long", "Phú Quý", "Sông Hàn", "Ánh Dương", "Trường Thịnh", "Đại Việt",
                 "Hưng Thịnh", "Bình Minh", "Thành Đạt", "Ngọc Lan", "Kim Ngân", "Phước Lộc", "Tân Tiến",
                 "Hải Âu"]  # fmt: skip
LINE_COUNTS, LINE_WEIGHTS = [1, 2, 3], [45, 35, 20]
DRAFT, ISSUED, PARTLY_PAID, PAID = 0, 1, 2, 3
STATUS_NAMES = {DRAFT: "draft", ISSUED: "issued", PARTLY_PAID: "partly_paid", PAID: "paid"}


def log(line: str) -> None:
    print(line, flush=True)


# --- loading -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Customer:
    contact_id: int | None
    account_id: int | None
    owner_id: int
    name: str
    phone: str  # national digits, "" when none
    terms: int
    folded: str


@dataclass(frozen=True)
class OpenRow:
    """An open invoice of the first step: what the statement's lines are made from."""

    id: int
    number: str
    balance: int
    customer: int  # index in BillingDataset.customers
    issued: dt.date


@dataclass
class BillingDataset:
    invoices: int
    vendor: str
    seed: int
    counts: dict[str, int]
    statuses: dict[str, int]
    setup_seconds: float
    load_seconds: float
    analyze_seconds: float
    customers: list[Customer] = field(default_factory=list)
    open_rows: list[OpenRow] = field(default_factory=list)
    held_back: Any = None  # the second step's writers
    extra: dict[str, Any] = field(default_factory=dict)

    def load_summary(self) -> dict[str, Any]:
        rows = sum(self.counts.values())
        return {
            "rows": self.counts,
            "rows_total": rows,
            "invoice_statuses": self.statuses,
            "seconds": round(self.load_seconds, 2),
            "rows_per_s": round(rows / self.load_seconds) if self.load_seconds else None,
            "analyze_seconds": round(self.analyze_seconds, 2),
            "setup_seconds": round(self.setup_seconds, 2),
            **self.extra,
        }


def set_sequence(table: str, value: int) -> None:
    """The table's id sequence moved to `value` (the ids kept for the second step are never given)."""
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT setval(pg_get_serial_sequence(%s, 'id'), %s)", [table, max(value, 1)])
        else:
            cursor.execute("UPDATE sqlite_sequence SET seq = MAX(seq, %s) WHERE name = %s", [value, table])
            if cursor.rowcount == 0:
                cursor.execute("INSERT INTO sqlite_sequence (name, seq) VALUES (%s, %s)", [table, value])


def refresh_statistics(tables: list[str], *, vacuum: bool = False) -> None:
    """ANALYZE what was written (autovacuum may be off); with `vacuum`, VACUUM (ANALYZE) on PostgreSQL, as
    autovacuum does on a server where it is on: it also fills the visibility map index-only scans need."""
    from django.db import connection

    from sencrm.core.db import analyze

    if not (vacuum and connection.vendor == "postgresql"):
        analyze(tables)
        return
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM (ANALYZE) {', '.join(connection.ops.quote_name(t) for t in tables)}")


def _accounts(people: list[Any], count: int, first_phone: int, rng: random.Random) -> None:
    """Companies with a phone, through the customers service (owners: the sales users)."""
    from bench.customers import national_number, typed
    from sencrm.customers.models import Account
    from sencrm.customers.services import account_create

    have = Account.objects.count()
    for i in range(have, count):
        name = rng.choice(ACCOUNT_NAMES).format(f"{rng.choice(ACCOUNT_WORDS)} {i + 1}")
        account_create(
            actor=people[i % len(people)],
            data={"name": name, "industry": "Dịch vụ"},
            phones=[typed(national_number(first_phone + i), i)],
        )


def _customers(contacts: int, accounts: int, seed: int) -> tuple[dict[str, Any], list[Customer]]:
    from bench import customers
    from sencrm.core.text import fold
    from sencrm.customers.models import Account, Contact
    from sencrm.demo.organisation import load_organisation

    customers.generate(contacts, seed=seed, log=log)
    users = load_organisation()  # done by customers.generate: the users, again
    people = [users["sales1"], users["sales2"], users["manager"]]
    _accounts(people, accounts, 2 * contacts + 10, random.Random(seed + 29))
    result = []
    for pk, owner, name, phone in Contact.objects.order_by("id").values_list(
        "id", "owner_id", "full_name", "primary_phone"
    ):
        result.append(Customer(pk, None, owner, name, _national(phone), CONTACT_TERMS, fold(name)))
    for pk, owner, name, phone in Account.objects.order_by("id").values_list(
        "id", "owner_id", "name", "primary_phone"
    ):
        result.append(Customer(None, pk, owner, name, _national(phone), ACCOUNT_TERMS[pk % 3], fold(name)))
    return users, result


def _national(phone: str | None) -> str:
    digits = re.sub(r"\D", "", phone or "")
    return "0" + digits[2:] if digits.startswith("84") and len(digits) >= 11 else digits


def _products(users: dict[str, Any]) -> tuple[list[Any], list[Any], list[Any]]:
    """The demo catalogue: (air conditioners, services, materials)."""
    from sencrm.catalog.models import Product
    from sencrm.demo.commerce import load_catalogue

    load_catalogue(users)
    products = list(Product.objects.filter(active=True).order_by("id"))
    units = [p for p in products if p.kind == "goods" and 3_000_000 <= p.list_price <= 60_000_000]
    services = [p for p in products if p.kind != "goods"]
    materials = [p for p in products if p.kind == "goods" and p.list_price < 3_000_000]
    return units, services, materials


def _status(rng: random.Random, on: dt.date, due: dt.date, today: dt.date) -> int:
    if (today - on).days < 3 and rng.random() < 0.05:
        return DRAFT
    if due >= today:
        if rng.random() < 0.92:
            return PARTLY_PAID if rng.random() < 0.08 else ISSUED
        return PAID
    days = (today - due).days
    if rng.random() < 0.5 * math.exp(-days / 30) + 0.01:
        return PARTLY_PAID if rng.random() < 0.2 else ISSUED
    return PAID


def generate(
    size: int,
    open_wanted: int,
    *,
    contacts: int,
    accounts: int,
    seed: int = 2026,
    batch: int = BATCH,
    vacuum: bool = False,
) -> BillingDataset:
    """The first step of the load (module docstring); the second is `load_held_back()`."""
    from django.db import connection, transaction
    from django.utils import timezone

    from bench.commerce import TableWriter, _amounts
    from sencrm.billing.models import Allocation, Invoice, InvoiceLine, Payment
    from sencrm.core.models import NumberCounter
    from sencrm.core.text import fold

    setup_started = time.perf_counter()
    users, customers = _customers(contacts, accounts, seed)
    units, services_, materials = _products(users)
    accountant = users["accountant"]
    others = [users[name].pk for name in ("accountant", "manager", "sales1", "sales2")]
    team_of = {u.pk: u.teams.values_list("id", flat=True).first() for u in users.values()}
    setup_seconds = time.perf_counter() - setup_started
    log(
        f"organisation, {contacts:,} contacts, {accounts:,} companies, "
        f"{len(units) + len(services_) + len(materials)} products: {setup_seconds:.1f} s"
    )

    today = timezone.localdate()
    now = timezone.now()
    tz = timezone.get_current_timezone()
    start = today - dt.timedelta(days=SPAN_DAYS - 1)
    # First pass: customer and status of every invoice (the second step's invoices are chosen from them).
    rng = random.Random(seed + 31)
    company_share = 1 / 7
    n_contacts = sum(1 for c in customers if c.contact_id)
    customer_of = array("i", bytes(4 * size))
    status_of = bytearray(size)
    for i in range(size):
        on = start + dt.timedelta(days=SPAN_DAYS * i // size)
        c = (
            n_contacts + rng.randrange(len(customers) - n_contacts)
            if rng.random() < company_share and len(customers) > n_contacts
            else rng.randrange(n_contacts)
        )
        customer_of[i] = c
        status_of[i] = _status(rng, on, on + dt.timedelta(days=customers[c].terms), today)
    open_all = [i for i in range(size) if status_of[i] in (ISSUED, PARTLY_PAID)]
    held = set(random.Random(seed + 37).sample(open_all, max(len(open_all) - open_wanted, 0)))
    statuses = Counter(STATUS_NAMES[s] for s in status_of)
    overdue = sum(
        1
        for i in open_all
        if start + dt.timedelta(days=SPAN_DAYS * i // size + customers[customer_of[i]].terms) < today
    )
    log(
        f"plan: {size:,} invoices ({', '.join(f'{v:,} {k}' for k, v in statuses.items())}; "
        f"{len(open_all):,} with a balance, {overdue:,} of them overdue); "
        f"{len(held):,} open ones held back for the second step"
    )

    # A new session for the load (bench/commerce.py: foreign-key check plans are cached per session).
    connection.close()
    writers = {m: TableWriter(m) for m in (Invoice, InvoiceLine, Payment, Allocation)}
    held_writers = {m: TableWriter(m) for m in (Invoice, InvoiceLine, Payment, Allocation)}
    ids = {m: w.next_id() for m, w in writers.items()}
    numbers = {(c.kind, c.year): c.last_number for c in NumberCounter.objects.all()}
    counts = {"invoices": 0, "invoice_lines": 0, "payments": 0, "allocations": 0}
    open_rows: list[OpenRow] = []
    rng = random.Random(seed + 41)
    folded: dict[str, str] = {}

    def number(kind: str, prefix: str, on: dt.date) -> tuple[str, int]:
        key = (kind, on.year)
        numbers[key] = numbers.get(key, 0) + 1
        return f"{prefix}-{on.year:04d}-{numbers[key]:06d}", numbers[key]

    def lines_for(writer: TableWriter, invoice_id: int) -> tuple[int, int, int]:
        count = rng.choices(LINE_COUNTS, weights=LINE_WEIGHTS)[0]
        first = rng.choice(units) if rng.random() < 0.7 else rng.choice(services_)
        quantity = rng.choice((1, 1, 1, 2, 2, 3, 4)) if first in units else rng.randint(1, 6)
        picks = [(first, quantity)]
        if count >= 2:
            install = [p for p in services_ if p.code.startswith("LD-")] or services_
            picks.append((rng.choice(install), quantity) if first in units else (rng.choice(services_), 1))
        if count >= 3 and materials:
            picks.append((rng.choice(materials), rng.randint(2, 15)))
        subtotal = discounts = vat_total = 0
        for position, (product, qty) in enumerate(picks, start=1):
            percent = 5 if rng.random() < 0.15 else 0
            price = int(product.list_price)
            gross, discount, net, vat = _amounts(qty, price, percent, product.vat_rate)
            subtotal, discounts, vat_total = subtotal + gross, discounts + discount, vat_total + vat
            line_id = ids[InvoiceLine]
            ids[InvoiceLine] += 1
            writer.add(
                {
                    "id": line_id,
                    "position": position,
                    "section": "",
                    "product_id": product.pk,
                    "description": product.name,
                    "unit": product.unit,
                    "quantity": qty,
                    "unit_price": price,
                    "discount_percent": percent,
                    "discount_amount": 0,
                    "vat_rate": product.vat_rate,
                    "vat_reducible": False,
                    "amount": net,
                    "vat_amount": vat,
                    "invoice_id": invoice_id,
                    "order_line_id": None,
                }
            )
        return subtotal, discounts, vat_total

    started = time.perf_counter()
    for first in range(0, size, batch):
        for i in range(first, min(first + batch, size)):
            out = held_writers if i in held else writers
            on = start + dt.timedelta(days=SPAN_DAYS * i // size)
            customer = customers[customer_of[i]]
            status = status_of[i]
            owner_id = customer.owner_id if rng.random() < 0.9 else rng.choice(others)
            invoice_id = ids[Invoice]
            ids[Invoice] += 1
            subtotal, discounts, vat = lines_for(out[InvoiceLine], invoice_id)
            total = subtotal - discounts + vat
            doc_number, seq = number("invoice", "HDBH", on)
            created = min(
                dt.datetime.combine(on, dt.time(8), tzinfo=tz) + dt.timedelta(minutes=rng.randint(0, 600)),
                now,
            )
            due = on + dt.timedelta(days=customer.terms)
            issued = status != DRAFT
            paid_total = 0
            paid_at = None
            if status == PAID:
                paid_total = total
                paid_on = min(on + dt.timedelta(days=rng.randint(0, customer.terms + 20)), today)
                paid_at = min(dt.datetime.combine(paid_on, dt.time(12), tzinfo=tz), now)
            elif status == PARTLY_PAID:
                paid_total = min(
                    max(int(total * rng.uniform(0.3, 0.7)) // 100_000 * 100_000, 100_000), total - 1
                )
            balance = total - paid_total if issued else 0
            name = customer.name
            key = folded.get(name)
            if key is None:
                key = folded[name] = fold(name)
            series = f"C{on.year % 100:02d}TSE"
            parts = [doc_number, key] + ([f"{series} {seq}"] if issued else [])
            out[Invoice].add(
                {
                    "id": invoice_id,
                    "owner_id": owner_id,
                    "team_id": team_of.get(owner_id),
                    "created_at": created,
                    "updated_at": max(created, paid_at) if paid_at else created,
                    "created_by_id": owner_id,
                    "updated_by_id": accountant.pk if issued else owner_id,
                    "version": 1 if not issued else 2 if status == ISSUED else 3,
                    "number": doc_number,
                    "contact_id": customer.contact_id,
                    "account_id": customer.account_id,
                    "issue_date": on,
                    "currency": "VND",
                    "subtotal": subtotal,
                    "discount_total": discounts,
                    "vat_total": vat,
                    "total": total,
                    "search_key": fold(" ".join(parts))[:400],
                    "status": STATUS_NAMES[status],
                    "due_date": due if issued else None,
                    "issued_at": created + dt.timedelta(minutes=30) if issued else None,
                    "paid_at": paid_at,
                    "paid_total": paid_total,
                    "balance": balance,
                    "einvoice_form": "1" if issued else "",
                    "einvoice_series": series if issued else "",
                    "einvoice_number": str(seq) if issued else "",
                    "einvoice_provider": "VNPT Invoice" if issued else "",
                }
            )
            if status == PARTLY_PAID:
                pay_on = min(on + dt.timedelta(days=rng.randint(0, 20)), today)
                pay_at = min(dt.datetime.combine(pay_on, dt.time(10), tzinfo=tz), now)
                receipt, _seq = number("receipt", "PT", pay_on)
                payment_id, allocation_id = ids[Payment], ids[Allocation]
                ids[Payment] += 1
                ids[Allocation] += 1
                out[Payment].add(
                    {
                        "id": payment_id,
                        "owner_id": owner_id,
                        "team_id": team_of.get(owner_id),
                        "created_at": pay_at,
                        "updated_at": pay_at,
                        "created_by_id": accountant.pk,
                        "updated_by_id": accountant.pk,
                        "number": receipt,
                        "kind": "receipt",
                        "method": "bank_transfer",
                        "amount": paid_total,
                        "paid_at": pay_at,
                        "contact_id": customer.contact_id,
                        "account_id": customer.account_id,
                        "reference": f"{pay_on:%d/%m/%Y}",
                        "notes": f"Trả trước một phần {doc_number}",
                        "allocated_total": paid_total,
                        "search_key": fold(f"{receipt} {key}")[:400],
                    }
                )
                out[Allocation].add(
                    {
                        "id": allocation_id,
                        "invoice_id": invoice_id,
                        "payment_id": payment_id,
                        "credit_id": None,
                        "amount": paid_total,
                        "created_at": pay_at,
                        "created_by_id": accountant.pk,
                    }
                )
            if status in (ISSUED, PARTLY_PAID) and i not in held:
                open_rows.append(OpenRow(invoice_id, doc_number, balance, customer_of[i], on))
        with transaction.atomic():
            for model, name in ((Invoice, "invoices"), (InvoiceLine, "invoice_lines"), (Payment, "payments"),
                                (Allocation, "allocations")):  # fmt: skip
                counts[name] += writers[model].flush()
        done = min(first + batch, size)
        elapsed = time.perf_counter() - started
        log(
            f"  {done:>9,} invoices planned, {counts['invoices']:,} written  {elapsed:7.1f} s  "
            f"({done / elapsed:,.0f}/s)"
        )
    # The services go on after every id and number, the held-back ones' included.
    for model in writers:
        set_sequence(model._meta.db_table, ids[model] - 1)
    for (kind, year), last in numbers.items():
        NumberCounter.objects.update_or_create(kind=kind, year=year, defaults={"last_number": last})
    load_seconds = time.perf_counter() - started
    analyze_started = time.perf_counter()
    refresh_statistics(
        [m._meta.db_table for m in writers] + ["customers_account", "customers_contact"], vacuum=vacuum
    )
    analyze_seconds = time.perf_counter() - analyze_started
    rows = sum(counts.values())
    log(
        f"first step: {rows:,} rows ({', '.join(f'{v:,} {k}' for k, v in counts.items())}) "
        f"in {load_seconds:.1f} s ({rows / load_seconds:,.0f} rows/s), "
        f"{'VACUUM (ANALYZE)' if vacuum else 'ANALYZE'} {analyze_seconds:.1f} s; "
        f"{len(open_rows):,} open invoices"
    )
    return BillingDataset(
        invoices=size,
        vendor=connection.vendor,
        seed=seed,
        counts=counts,
        statuses=dict(statuses),
        setup_seconds=setup_seconds,
        load_seconds=load_seconds,
        analyze_seconds=analyze_seconds,
        customers=customers,
        open_rows=open_rows,
        held_back=held_writers,
        extra={
            "contacts": contacts,
            "accounts": accounts,
            "with_balance": len(open_all),
            "overdue": overdue,
            "held_back": len(held),
        },
    )


def load_held_back(dataset: BillingDataset, *, vacuum: bool = False) -> dict[str, Any]:
    """The second step: the open invoices kept back, with their lines, receipts and allocations."""
    from django.db import connection, transaction

    from sencrm.billing.models import Allocation, Invoice, InvoiceLine, Payment

    connection.close()
    started = time.perf_counter()
    written = {}
    with transaction.atomic():
        for model in (Invoice, InvoiceLine, Payment, Allocation):
            written[model._meta.db_table] = dataset.held_back[model].flush()
    seconds = time.perf_counter() - started
    analyze_started = time.perf_counter()
    refresh_statistics([m._meta.db_table for m in (Invoice, InvoiceLine, Payment, Allocation)], vacuum=vacuum)
    analyze_seconds = time.perf_counter() - analyze_started
    dataset.held_back = None
    log(
        f"second step: {', '.join(f'{v:,} {k}' for k, v in written.items())} in {seconds:.1f} s, "
        f"{'VACUUM (ANALYZE)' if vacuum else 'ANALYZE'} {analyze_seconds:.1f} s"
    )
    return {"rows": written, "seconds": round(seconds, 2), "analyze_seconds": round(analyze_seconds, 2)}


# --- the statement -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Transfer:
    reference: str
    at: dt.datetime
    amount: int  # negative: money out
    content: str
    kind: str  # what the line was made as (see make_statement)
    invoice_id: int | None  # the invoice it was made to pay


def _bank_name(name: str) -> str:
    """A name as banks print it: no diacritics, upper case."""
    from sencrm.core.text import fold

    return fold(name).upper()


def _spaced(phone: str) -> str:
    return f"{phone[:4]} {phone[4:7]} {phone[7:]}"


def make_statement(dataset: BillingDataset, lines: int, rng: random.Random) -> tuple[bytes, list[Transfer]]:
    """A Vietcombank-like CSV export of `lines` transactions over the last 30 days (module docstring)."""
    from django.utils import timezone

    from bench.customers import _Names

    today = timezone.localdate()
    tz = timezone.get_current_timezone()
    customers = dataset.customers
    targets = rng.sample(dataset.open_rows, min(len(dataset.open_rows), lines))
    strangers = _Names().pick(rng, 200)
    transfers: list[Transfer] = []
    kinds = [
        ("number", 48), ("number_part", 6), ("number_over", 2), ("name_amount", 12), ("phone_amount", 8),
        ("no_match", 14), ("debit", 10),
    ]  # fmt: skip
    picks = rng.choices([k for k, _w in kinds], weights=[w for _k, w in kinds], k=lines)
    for index, kind in enumerate(picks):
        target = targets[index % len(targets)]
        # Paid on or after the invoice's date, within the statement's 30 days.
        earliest = max((today - target.issued).days, 0) if kind not in ("no_match", "debit") else 29
        day = today - dt.timedelta(days=rng.randint(0, min(earliest, 29)))
        at = dt.datetime.combine(day, dt.time(7), tzinfo=tz) + dt.timedelta(seconds=rng.randint(0, 14 * 3600))
        reference = f"{rng.randint(5000, 5999)} - {10000 + index:05d}"
        ref4 = f"{rng.randint(0, 9999):04d}"
        customer = customers[target.customer]
        sender = _bank_name(customer.name)
        number = target.number
        amount = target.balance
        invoice_id: int | None = target.id
        if kind.startswith("number"):
            if kind == "number_part":
                amount = max(target.balance // 2 // 100_000 * 100_000, 100_000)
                amount = min(amount, target.balance)
            elif kind == "number_over":
                amount = target.balance + rng.choice((10_000, 50_000, 100_000, 1_000_000))
            compact = number.replace("-", "")
            form = rng.randrange(7)
            content = [
                f"CT DEN:{ref4} {sender} CK TT HD {number}",
                f"IBFT {sender} chuyen tien {compact}",
                f"MBVCB.{rng.randint(1_000_000, 9_999_999)}.{sender} chuyen tien thanh toan hoa don "
                f"{number.lower().replace('-', ' ')}.CT tu 00{rng.randint(10**10, 10**11 - 1)}",
                f"{customer.name} thanh toán {number.replace('HDBH', 'HĐBH')}",
                f"TT {number.replace('-', '.')} {sender}",
                f"REM Tfr Ac: {rng.randint(10**12, 10**13 - 1)} {sender} TT HD {number} dot 1",
                f"{sender} CK TIEN DIEU HOA THEO HD SO {compact} NGAY {at:%d/%m}",
            ][form]
        elif kind == "name_amount":
            content = rng.choice(
                [
                    f"{sender} chuyen khoan",
                    f"CT DEN:{ref4} {sender} chuyen tien lap dieu hoa",
                    f"{customer.name} chuyển khoản tiền máy lạnh",
                    f"IBFT {sender} CK",
                ]
            )
        elif kind == "phone_amount":
            phone = customer.phone or "0900000000"
            content = rng.choice(
                [
                    f"{phone} thanh toan",
                    f"SDT {_spaced(phone)} ck tien may lanh",
                    f"chuyen tien tu 84{phone[1:]}",
                    f"KH {phone} TT tien lap dat",
                ]
            )
        elif kind == "no_match":
            invoice_id = None
            stranger = _bank_name(rng.choice(strangers)[1])
            roll = rng.randrange(6)
            amount = rng.randint(5, 300) * 100_000
            content = [
                f"TT {number[-6:]}",  # the number without its prefix: not looked for
                "Nop tien mat tai quay",
                f"Lai nhap von thang {at:%m/%Y}",
                f"{stranger} chuyen tien",
                f"{sender} chuyen tien dat coc",  # a customer, but no balance is this amount
                f"TT HD HDBH-{today.year - 2}-{rng.randint(1, 99_999):06d}",  # dated before the data: none
            ][roll]
            if roll == 2:
                amount = rng.randint(50_000, 900_000)
        else:  # debit
            invoice_id = None
            roll = rng.randrange(5)
            content, amount = [
                ("Phí dịch vụ SMS Banking", -11_000),
                ("Thu phi quan ly tai khoan", -22_000),
                ("Phi chuyen tien lien ngan hang", -rng.choice((3_300, 5_500, 7_700))),
                (f"CT DI:{ref4} CONG TY TNHH DAIKIN AIR CONDITIONING VIET NAM thanh toan tien hang PO"
                 f"{rng.randint(1000, 9999)}", -rng.randint(50, 900) * 1_000_000),
                (f"Nop thue GTGT thang {(today.replace(day=1) - dt.timedelta(days=1)):%m/%Y}",
                 -rng.randint(20, 400) * 1_000_000),
            ][roll]  # fmt: skip
        transfers.append(Transfer(reference, at, amount, content, kind, invoice_id))
    transfers.sort(key=lambda t: t.at)

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    first_day, last_day = today - dt.timedelta(days=29), today
    opening = 2_345_678_900
    for title in (
        ["NGÂN HÀNG TMCP NGOẠI THƯƠNG VIỆT NAM - VIETCOMBANK"],
        ["SAO KÊ TÀI KHOẢN / ACCOUNT STATEMENT"],
        ["Số tài khoản / Account number: 0071001234567 - CONG TY TNHH DIEU HOA SEN"],
        ["Loại tiền / Currency: VND"],
        [f"Từ ngày {first_day:%d/%m/%Y} đến ngày {last_day:%d/%m/%Y}"],
        ["Số dư đầu kỳ / Opening balance", f"{opening:,}"],
        [],
        ["STT", "Ngày giao dịch", "Số tham chiếu", "Số tiền ghi nợ", "Số tiền ghi có", "Số dư", "Mô tả"],
    ):
        writer.writerow(title)
    balance = opening
    debits = credits = 0
    for stt, t in enumerate(transfers, start=1):
        balance += t.amount
        debit, credit = (f"{-t.amount:,}", "") if t.amount < 0 else ("", f"{t.amount:,}")
        debits += max(-t.amount, 0)
        credits += max(t.amount, 0)
        writer.writerow(
            [stt, f"{t.at:%d/%m/%Y %H:%M:%S}", t.reference, debit, credit, f"{balance:,}", t.content]
        )
    writer.writerow(["Tổng cộng", "", "", f"{debits:,}", f"{credits:,}", "", ""])
    writer.writerow(["Số dư cuối kỳ", "", "", "", "", f"{balance:,}", ""])
    return b"\xef\xbb\xbf" + out.getvalue().encode("utf-8"), transfers


# --- measuring -----------------------------------------------------------------------------------


def _row(name: str, wall: list[float], cpu: list[float], failures: list[str], **fmt: Any) -> dict[str, Any]:
    from bench.customers import percentiles

    p50, p95 = percentiles(wall)
    cpu50, cpu95 = percentiles(cpu)
    target = TARGETS.get(name)
    return {
        "name": name,
        "label": LABELS.get(name, name).format(**fmt),
        "requests": len(wall),
        "failures": len(failures),
        "failure_examples": failures[:5],
        "p50_ms": round(p50, 2),
        "p95_ms": round(p95, 2),
        "max_ms": round(max(wall), 2),
        "mean_ms": round(statistics.fmean(wall), 2),
        "cpu_p50_ms": round(cpu50, 2),
        "cpu_p95_ms": round(cpu95, 2),
        "target_p95_ms": target,
        "passed": None if target is None else (p95 <= target and not failures),
    }


def run_operation(
    name: str, call: Callable[[], Any], check: Callable[[Any], str | None], *, requests: int, warmup: int
) -> dict[str, Any]:
    """Time `call()` `requests` times after `warmup` untimed calls: wall clock and this thread's CPU."""
    for _ in range(warmup):
        call()
    wall: list[float] = []
    cpu: list[float] = []
    failures: list[str] = []
    for _ in range(requests):
        start, start_cpu = time.perf_counter(), time.thread_time()
        response = call()
        wall.append((time.perf_counter() - start) * 1000)
        cpu.append((time.thread_time() - start_cpu) * 1000)
        problem = check(response)
        if problem:
            failures.append(problem)
    return _row(name, wall, cpu, failures)


def _timed(call: Callable[[], Any]) -> tuple[Any, float, float]:
    start, start_cpu = time.perf_counter(), time.thread_time()
    result = call()
    return result, (time.perf_counter() - start) * 1000, (time.thread_time() - start_cpu) * 1000


def upload_breakdown(data: bytes, user: Any) -> dict[str, float]:
    """The upload's steps run apart (nothing written): parsing, the open invoices, the matcher, matching."""
    from sencrm.billing.matching import Matcher
    from sencrm.billing.reconcile import open_invoices
    from sencrm.billing.statements import parse_statement

    folder = Path(tempfile.mkdtemp(prefix="sencrm-bench-statement-"))
    try:
        path = folder / "statement.csv"
        path.write_bytes(data)
        parsed, parse_ms, parse_cpu = _timed(lambda: parse_statement(path, "csv"))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    invoices, load_ms, load_cpu = _timed(lambda: list(open_invoices(user)))
    matcher, build_ms, build_cpu = _timed(lambda: Matcher(invoices))
    taken: set[int] = set()

    def match_all() -> int:
        found = 0
        for row in parsed.rows:
            if row.amount > 0:
                hit = matcher.match(row.content, row.amount, taken)
                if hit is not None:
                    taken.add(hit.invoice_id)
                    found += 1
        return found

    matched, match_ms, match_cpu = _timed(match_all)
    return {
        "rows": len(parsed.rows),
        "errors": len(parsed.errors),
        "open_invoices": len(invoices),
        "matched": matched,
        "parse_ms": round(parse_ms, 1),
        "parse_cpu_ms": round(parse_cpu, 1),
        "open_invoices_ms": round(load_ms, 1),
        "open_invoices_cpu_ms": round(load_cpu, 1),
        "matcher_build_ms": round(build_ms, 1),
        "matcher_build_cpu_ms": round(build_cpu, 1),
        "match_ms": round(match_ms, 1),
        "match_cpu_ms": round(match_cpu, 1),
    }


def measure_reconcile(dataset: BillingDataset, lines: int) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Upload, confirm, upload again (module docstring, 1)."""
    from django.utils import timezone

    from bench.commerce import count_queries
    from sencrm.billing import reconcile
    from sencrm.billing.models import BankLine
    from sencrm.users.models import User

    accountant = User.objects.get(username="accountant")
    rng = random.Random(dataset.seed + 43)
    data, transfers = make_statement(dataset, lines, rng)
    name = f"saoke-vcb-{timezone.localdate():%Y%m%d}.csv"
    findings: dict[str, Any] = {
        "statement_bytes": len(data),
        "statement_kinds": Counter(t.kind for t in transfers),
    }
    log(f"statement: {len(transfers):,} lines, {len(data) / 1024:.0f} KiB; the upload's steps apart:")
    breakdown = upload_breakdown(data, accountant)
    findings["upload_breakdown"] = breakdown
    log("  " + ", ".join(f"{k} {v}" for k, v in breakdown.items()))
    rows: list[dict[str, Any]] = []

    def upload() -> Any:
        return reconcile.statement_upload(
            actor=accountant, upload=io.BytesIO(data), name=name, size=len(data), bank="Vietcombank"
        )

    statement, wall, cpu = _timed(upload)
    problems = []
    if statement.line_count != len(transfers) or statement.error_count:
        problems.append(
            f"{statement.line_count} lines stored, {statement.error_count} errors, {len(transfers)} made"
        )
    rows.append(_row("statement_upload", [wall], [cpu], problems, lines=f"{len(transfers):,}"))
    log(f"  statement_upload: {wall:,.0f} ms (CPU {cpu:,.0f} ms), {statement.line_count:,} lines stored")

    # How the proposals compare with what each line was made to pay.
    made = {t.reference: t for t in transfers}
    quality: dict[str, Counter[str]] = {}
    for reference, invoice_id, confident in BankLine.objects.filter(statement=statement).values_list(
        "reference", "match_invoice_id", "match_confident"
    ):
        t = made[reference]
        if invoice_id is None:
            outcome = "none"
        elif invoice_id == t.invoice_id:
            outcome = "right, confident" if confident else "right, to check"
        else:
            outcome = "other invoice, confident" if confident else "other invoice, to check"
        quality.setdefault(t.kind, Counter())[outcome] += 1
    findings["matches"] = {k: dict(v) for k, v in quality.items()}
    for kind, outcomes in quality.items():
        log(f"    {kind:<13} " + ", ".join(f"{v:,} {k}" for k, v in outcomes.most_common()))

    to_confirm = list(
        BankLine.objects.filter(statement=statement, match_confident=True, status="open", amount__gt=0)
        .order_by("row")
        .values_list("pk", flat=True)
    )
    # One line first, its queries counted; then the rest, timed.
    first_queries = count_queries(
        lambda: reconcile.statement_confirm(statement, actor=accountant, choices={to_confirm[0]: None})
    )
    findings["confirm_one_line_queries"] = first_queries
    log(
        f"  confirming one line: {first_queries['queries']} queries, "
        f"{first_queries['database_ms']} ms in the database"
    )
    payments, wall, cpu = _timed(lambda: reconcile.statement_confirm(statement, actor=accountant))
    confirmed = len(payments)
    problems = [] if confirmed == len(to_confirm) - 1 else [f"{confirmed} confirmed of {len(to_confirm) - 1}"]
    row = _row("statement_confirm", [wall], [cpu], problems, confirmed=f"{confirmed:,}")
    row["per_line_ms"] = round(wall / max(confirmed, 1), 2)
    row["per_line_cpu_ms"] = round(cpu / max(confirmed, 1), 2)
    rows.append(row)
    log(
        f"  statement_confirm: {confirmed:,} lines in {wall:,.0f} ms (CPU {cpu:,.0f} ms): "
        f"{row['per_line_ms']} ms a line"
    )

    again, wall, cpu = _timed(upload)
    problems = (
        []
        if again.line_count == 0 and again.skipped_count == len(transfers)
        else [f"{again.line_count} lines stored again, {again.skipped_count} skipped"]
    )
    rows.append(_row("statement_reupload", [wall], [cpu], problems))
    log(f"  the same file again: {wall:,.0f} ms (CPU {cpu:,.0f} ms), {again.skipped_count:,} lines skipped")
    return rows, findings


def explain_slow_queries(call: Callable[[], Any]) -> list[dict[str, Any]]:
    """PostgreSQL: the SELECTs of one call whose EXPLAIN ANALYZE takes EXPLAIN_MIN_MS or more, with plans."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    if connection.vendor != "postgresql":
        return []
    with CaptureQueriesContext(connection) as captured:
        call()
    found = []
    for query in captured.captured_queries:
        if not query["sql"].lstrip().upper().startswith("SELECT"):
            continue
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + query["sql"])
            plan = [r[0] for r in cursor.fetchall()]
        timing = re.search(r"Execution Time: ([\d.]+) ms", plan[-1])
        ms = float(timing[1]) if timing else 0.0
        if ms >= EXPLAIN_MIN_MS:
            found.append({"ms": round(ms, 1), "sql": query["sql"][:3000], "plan": "\n".join(plan)})
    return found


def measure_pages(requests: int, warmup: int) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The lists and the receivables (module docstring, 2)."""
    import logging

    request_logger = logging.getLogger("django.request")
    level = request_logger.level
    request_logger.setLevel(logging.CRITICAL)
    try:
        return _measure_pages(requests, warmup)
    finally:
        request_logger.setLevel(level)


def _measure_pages(requests: int, warmup: int) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    from django.test import Client

    from bench.commerce import count_queries
    from bench.customers import _http_error
    from sencrm.billing import selectors
    from sencrm.billing.models import Invoice
    from sencrm.users.models import User

    backend = "django.contrib.auth.backends.ModelBackend"
    users = {name: User.objects.get(username=name) for name in ("accountant", "sales1")}
    clients = {}
    for name, user in users.items():
        client = Client(HTTP_HOST="127.0.0.1", raise_request_exception=False)
        client.force_login(user, backend=backend)
        clients[name] = client
    findings: dict[str, Any] = {
        "invoices_visible": {
            "accountant": Invoice.objects.count(),
            "sales1": Invoice.objects.filter(owner=users["sales1"]).count(),
        },
        "queries": {},
        "slow_queries": {},
    }
    expected_rows = {name: len(selectors.receivables(user)) for name, user in users.items()}
    rows: list[dict[str, Any]] = []

    def web_list(response: Any) -> str | None:
        if response.status_code != 200:
            return _http_error(response, "/invoices/")
        shown = response.content.decode().count('data-testid="invoice-row"')
        return None if shown == PAGE_SIZE else f"/invoices/: {shown} rows, {PAGE_SIZE} expected"

    def totals(response: Any) -> str | None:
        if response.status_code != 200:
            return _http_error(response, "/invoices/totals/")
        return (
            None
            if 'data-testid="total-balance"' in response.content.decode()
            else "no total on /invoices/totals/"
        )

    def api_list(response: Any) -> str | None:
        if response.status_code != 200:
            return _http_error(response, "/api/v1/invoices/")
        shown = len(response.json()["results"])
        return None if shown == PAGE_SIZE else f"/api/v1/invoices/: {shown} rows, {PAGE_SIZE} expected"

    def receivables_page(username: str) -> Callable[[Any], str | None]:
        def check(response: Any) -> str | None:
            if response.status_code != 200:
                return _http_error(response, "/receivables/")
            shown = response.content.decode().count('data-testid="receivable-row"')
            wanted = expected_rows[username]
            return None if shown == wanted else f"/receivables/: {shown} rows, {wanted} expected"

        return check

    plan: list[tuple[str, str, str, Callable[[Any], str | None]]] = [
        ("invoice_list_accountant", "accountant", "/invoices/", web_list),
        ("invoice_list_sales1", "sales1", "/invoices/", web_list),
        ("invoice_totals_accountant", "accountant", "/invoices/totals/", totals),
        ("invoice_totals_sales1", "sales1", "/invoices/totals/", totals),
        ("invoice_api_accountant", "accountant", "/api/v1/invoices/", api_list),
        ("invoice_api_sales1", "sales1", "/api/v1/invoices/", api_list),
        ("receivables_accountant", "accountant", "/receivables/", receivables_page("accountant")),
        ("receivables_sales1", "sales1", "/receivables/", receivables_page("sales1")),
    ]
    for name, username, url, check in plan:
        client = clients[username]
        row = run_operation(name, lambda: client.get(url), check, requests=requests, warmup=warmup)  # noqa: B023
        row["user"] = username
        rows.append(row)
        found = findings["queries"][name] = count_queries(lambda: client.get(url))  # noqa: B023
        findings["slow_queries"][name] = explain_slow_queries(lambda: client.get(url))  # noqa: B023
        log(
            f"  {name:<26} p50 {row['p50_ms']:8.2f} ms  p95 {row['p95_ms']:8.2f} ms  "
            f"(CPU p50 {row['cpu_p50_ms']:.2f}, p95 {row['cpu_p95_ms']:.2f}); "
            f"{found['queries']} queries, {found['database_ms']} ms in the database"
            + (f"  {row['failures']} errors: {row['failure_examples'][0]}" if row["failures"] else "")
        )
        for slow in findings["slow_queries"][name]:
            jit = re.search(r"Timing: Generation [^\n]*Total ([\d.]+) ms", slow["plan"])
            log(
                f"      {slow['ms']:7.1f} ms (EXPLAIN ANALYZE{f', JIT {jit[1]} ms' if jit else ''})  "
                f"{slow['sql'][:100]}"
            )
            log(f"                 {slow['plan'].splitlines()[0][:130]}")

    accountant = users["accountant"]

    def selectors_only() -> Any:
        return selectors.receivables(accountant), selectors.receivables_totals(accountant)

    row = run_operation(
        "receivables_selectors",
        selectors_only,
        lambda result: None if result[0] else "no rows",
        requests=requests,
        warmup=warmup,
    )
    row["user"] = "accountant"
    rows.append(row)
    log(f"  {'receivables_selectors':<26} p50 {row['p50_ms']:8.2f} ms  p95 {row['p95_ms']:8.2f} ms")
    findings["receivables_rows"] = expected_rows
    return rows, findings


# --- running -------------------------------------------------------------------------------------


def main() -> None:
    size = int(os.environ.get("BILLING_INVOICES") or 1_000_000)
    open_wanted = int(os.environ.get("BILLING_OPEN") or 100_000)
    lines = int(os.environ.get("BILLING_LINES") or 5_000)
    contacts = int(os.environ.get("BILLING_CONTACTS") or 3_000)
    accounts = int(os.environ.get("BILLING_ACCOUNTS") or 500)
    requests = int(os.environ.get("BILLING_REQUESTS") or 50)
    warmup = int(os.environ.get("BILLING_WARMUP") or 5)
    seed = int(os.environ.get("SEED") or 2026)
    reuse = os.environ.get("BILLING_REUSE") == "1"
    vacuum = os.environ.get("BILLING_VACUUM") == "1"
    if requests < 2:
        raise SystemExit("BILLING_REQUESTS must be at least 2.")
    sys.path.insert(0, str(ROOT))
    from bench.run import database_version, module_database_url, prepare_environment, table

    url = module_database_url("billing")
    keep_data = bool(os.environ.get("BILLING_DATA_DIR"))
    data_dir = prepare_environment("billing", url, reuse=reuse)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.urls import get_resolver
    from django.utils import timezone

    try:
        started = timezone.localtime()
        get_resolver().url_patterns  # noqa: B018 - import every view now
        migrate_started = time.perf_counter()
        call_command("migrate", verbosity=0)
        migrate_seconds = time.perf_counter() - migrate_started
        log(
            f"Sen CRM billing benchmark: {size:,} invoices, {open_wanted:,} open for the reconciliation, "
            f"{lines:,} statement lines, {requests} requests per page, {database_version()}"
        )
        rows: list[dict[str, Any]] = []
        findings: dict[str, Any] = {}
        load: dict[str, Any] | None = None
        load_before = os.getloadavg()
        if not reuse:
            dataset = generate(
                size, open_wanted, contacts=contacts, accounts=accounts, seed=seed, vacuum=vacuum
            )
            load = dataset.load_summary()
            log("measuring the reconciliation…")
            reconcile_rows, findings["reconcile"] = measure_reconcile(dataset, lines)
            rows += reconcile_rows
            load["second_step"] = load_held_back(dataset, vacuum=vacuum)
        else:
            log(f"reusing the database of an earlier run (migrate: {migrate_seconds:.1f} s)")
            if vacuum:
                vacuum_started = time.perf_counter()
                refresh_statistics(["billing_invoice"], vacuum=True)
                log(f"VACUUM (ANALYZE) billing_invoice: {time.perf_counter() - vacuum_started:.1f} s")
        log("measuring the pages…")
        page_rows, findings["pages"] = measure_pages(requests, warmup)
        rows += page_rows
        load_after = os.getloadavg()
        report = {
            "benchmark": "billing",
            "vendor": connection.vendor,
            "database": database_version(),
            "size": size,
            "open_invoices": open_wanted,
            "statement_lines": lines,
            "requests": requests,
            "warmup": warmup,
            "seed": seed,
            "started_at_local": started.isoformat(timespec="seconds"),
            "machine": {
                "cores": os.cpu_count(),
                "python": platform.python_version(),
                "django": django.get_version(),
                "platform": platform.platform(),
                "load_average_before": round(load_before[0], 2),
                "load_average_after": round(load_after[0], 2),
            },
            "migrate_seconds": round(migrate_seconds, 2),
            "reused_database": reuse,
            "vacuum": vacuum,
            "load": load,
            "results": rows,
            "findings": findings,
        }
        print()
        print(table(rows))
        print()
        results = ROOT / "bench" / "results"
        results.mkdir(parents=True, exist_ok=True)
        path = results / f"{connection.vendor}-{size}-billing-{started.strftime('%Y%m%d-%H%M%S')}.json"
        path.write_text(
            json.dumps(report, ensure_ascii=False, indent=2, default=str) + "\n", encoding="utf-8"
        )
        log(f"results: {path.relative_to(ROOT)} (load average {load_before[0]:.2f} → {load_after[0]:.2f})")
        failed = [r["name"] for r in rows if r["failures"] or r["passed"] is False]
        if failed:
            log(f"targets missed or errors: {', '.join(failed)}")
    finally:
        if not keep_data:
            shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
