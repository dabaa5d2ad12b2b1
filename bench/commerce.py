"""The commerce benchmark (issue 13): order and contract lists at SIZE orders, creating a 50-line quote,
and the PDF of a 200-line order.

    BENCH=commerce make bench                                   # 100,000 orders, SQLite in a temp directory
    BENCH=commerce SIZE=1000000 DATABASE_URL=postgresql://postgres@127.0.0.1:5432/sencrm_bench make bench
    BENCH=commerce SIZE=5000 REQUESTS=20 make bench             # a quick run

It runs in a process of its own (bench/run.py starts it; `make bench` runs it after the imports
benchmark), on a database of its own: a fresh SQLite file in a temporary DATA_DIR, or the PostgreSQL
database COMMERCE_DATABASE_URL, by default DATABASE_URL's database name + "_commerce"
(sencrm_bench_commerce), dropped and created again. SIZE (or COMMERCE_SIZE) is the number of orders.

The data (`generate()`): the demo organisation and five more salespeople (bench/sales.py), SIZE / 20
contacts (bench/customers.py, at least 500, at most 50,000), accounts and the demo catalogue through the
services, 150 more products, then SIZE orders with 1–6 lines each (3.1 on average) and SIZE / 10
contracts with 1–3 lines, written straight into the tables — COPY on PostgreSQL, `executemany` on
SQLite, in transactions of BATCH orders — with every column the services set: numbers in the default
format and sequence per year (the number counters are moved past them, so the services go on from
there), customers (a third of the orders an account's), owners and their teams, statuses by age, line
amounts, VAT and the stored totals (computed as sencrm/commerce/totals.py does for lines without a
document discount), the folded search key. Ids grow with the date, as in a real database. No events
(the lists do not read them). PostgreSQL gets an ANALYZE after the load, SQLite
the importer's `PRAGMA optimize` (sencrm.core.db.analyze).

Measured (`measure_all()`), in-process through `django.test.Client` with the production settings, each
answer checked:
- the order list `GET /orders/` and `GET /api/v1/orders/`, first page, as the manager (team scope),
  sales1 (own) and admin (all); the contract list `GET /contracts/` and `GET /api/v1/contracts/` as the
  manager and admin; an order search `GET /orders/?q=` (a customer's name, no target);
- creating a quote of 50 lines (five sections, catalogue products, a third with a price typed in, the
  rest priced by `catalog.selectors.price_for`) with `services.quote_create` as sales1, and the same
  through `POST /api/v1/quotes/`; `services.order_create` with 50 lines (no target); the queries each
  one runs are counted (untimed) and the repeated ones named;
- the PDF of an order of 200 lines in five sections (created through `services.order_create`),
  `GET /orders/<id>/pdf/` as admin: PDF_REQUESTS timed (default 10, after 2 untimed); its text layer
  is checked with pypdf (first and last line, the total, the total in words).

Timings are wall clock (`time.perf_counter()`) and the CPU this process used (`time.thread_time()`):
on a shared machine the gap between the two is waiting for a core. Results: a table, and JSON in
bench/results/<vendor>-<size>-commerce-<stamp>.json.

Other variables: REQUESTS (200) and WARMUP (10) per operation, PDF_REQUESTS (10), SEED (2026),
COMMERCE_DATA_DIR (use and keep this DATA_DIR), COMMERCE_REUSE=1 (measure again on the database a
previous run left — the PostgreSQL database, or COMMERCE_DATA_DIR — without dropping or loading).
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import platform
import random
import re
import shutil
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BATCH = 50_000
PAGE_SIZE = 50  # the web list's and the API's first page
QUOTE_LINES = 50
PDF_LINES = 200
PDF_MARKER = "bench:order-pdf-200"
TARGETS: dict[str, float | None] = {
    "order_list_manager": 100,
    "order_list_sales1": 100,
    "order_list_admin": 100,
    "order_api_manager": 100,
    "order_api_sales1": 100,
    "order_api_admin": 100,
    "contract_list_manager": 100,
    "contract_list_admin": 100,
    "contract_api_manager": 100,
    "contract_api_admin": 100,
    "order_search": None,
    "quote_create": 100,
    "quote_create_api": 100,
    "order_create": None,
    "order_pdf_200": 1000,
}
LABELS = {
    "order_list_manager": "orders     GET /orders/ (manager, team)",
    "order_list_sales1": "orders     GET /orders/ (sales1, own)",
    "order_list_admin": "orders     GET /orders/ (admin, all)",
    "order_api_manager": "orders     GET /api/v1/orders/ (manager, team)",
    "order_api_sales1": "orders     GET /api/v1/orders/ (sales1, own)",
    "order_api_admin": "orders     GET /api/v1/orders/ (admin, all)",
    "contract_list_manager": "contracts  GET /contracts/ (manager, team)",
    "contract_list_admin": "contracts  GET /contracts/ (admin, all)",
    "contract_api_manager": "contracts  GET /api/v1/contracts/ (manager, team)",
    "contract_api_admin": "contracts  GET /api/v1/contracts/ (admin, all)",
    "order_search": "orders     GET /orders/?q=<customer name> (admin)",
    "quote_create": "quote      quote_create, 50 lines (sales1)",
    "quote_create_api": "quote      POST /api/v1/quotes/, 50 lines (sales1)",
    "order_create": "order      order_create, 50 lines (sales1)",
    "order_pdf_200": "PDF        GET /orders/<id>/pdf/, 200 lines (admin)",
}
SECTIONS = ["Thiết bị", "Vật tư", "Lắp đặt", "Bảo trì", "Dịch vụ khác"]
# Extra products: brand, kind of unit, capacities (BTU), list price per 1,000 BTU.
BRANDS = ["Daikin", "Panasonic", "Mitsubishi Electric", "LG", "Toshiba", "Casper", "Gree", "Nagakawa"]
KINDS_OF_UNIT = ["treo tường 1 chiều", "treo tường 2 chiều", "âm trần cassette", "tủ đứng", "áp trần"]
CAPACITIES = [9_000, 12_000, 18_000, 24_000, 28_000, 36_000]
ACCOUNT_NAMES = [
    "Công ty TNHH Thương mại {}",
    "Công ty Cổ phần Đầu tư {}",
    "Khách sạn {}",
    "Nhà hàng {}",
    "Trường Tiểu học {}",
    "Phòng khám Đa khoa {}",
    "Văn phòng Luật {}",
]
ACCOUNT_WORDS = ["Hoàng Long", "Phú Quý", "Sông Hàn", "Ánh Dương", "Trường Thịnh", "Đại Việt",
                 "Hưng Thịnh", "Bình Minh", "Thành Đạt", "Hòa Phát", "Ngọc Lan", "Kim Ngân", "Phước Lộc",
                 "Tân Tiến"]  # fmt: skip
ORDER_LINE_COUNTS, ORDER_LINE_WEIGHTS = [1, 2, 3, 4, 5, 6], [15, 25, 25, 15, 12, 8]


def log(line: str) -> None:
    print(line, flush=True)


# --- loading -------------------------------------------------------------------------------------


@dataclass
class ProductRow:
    id: int
    code: str
    name: str
    unit: str
    kind: str
    price: int
    vat_rate: str


@dataclass
class CommerceDataset:
    size: int
    vendor: str
    counts: dict[str, int]
    load_seconds: float
    analyze_seconds: float
    setup_seconds: float
    pdf_order_id: int
    products: list[int]
    seed: int
    extra: dict[str, Any] = field(default_factory=dict)

    def load_summary(self) -> dict[str, Any]:
        rows = sum(self.counts.values())
        return {
            "rows": self.counts,
            "rows_total": rows,
            "seconds": round(self.load_seconds, 2),
            "rows_per_s": round(rows / self.load_seconds) if self.load_seconds else None,
            "analyze_seconds": round(self.analyze_seconds, 2),
            "setup_seconds": round(self.setup_seconds, 2),
            **self.extra,
        }


class TableWriter:
    """Rows of one model's table, written as the database takes them fastest: COPY on PostgreSQL,
    `executemany` on SQLite. Values are plain Python (str, int, date, aware datetime, None)."""

    def __init__(self, model: Any) -> None:
        from django.db import connection, models

        self.vendor = connection.vendor
        self.table = model._meta.db_table
        fields = model._meta.concrete_fields
        self.columns = [f.column for f in fields]
        self.defaults: dict[str, Any] = {}
        for f in fields:
            if f.null:
                self.defaults[f.column] = None
            elif not (f.has_default() and callable(f.default)) and f.get_default() is not None:
                self.defaults[f.column] = f.get_default()  # a default, or "" for text columns
        self.datetimes = {f.column for f in fields if isinstance(f, models.DateTimeField)}
        self.dates = {
            f.column
            for f in fields
            if isinstance(f, models.DateField) and not isinstance(f, models.DateTimeField)
        }
        self.rows: list[tuple[Any, ...]] = []

    def next_id(self) -> int:
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute(f"SELECT MAX(id) FROM {connection.ops.quote_name(self.table)}")  # noqa: S608
            return int(cursor.fetchone()[0] or 0) + 1

    def add(self, values: dict[str, Any]) -> None:
        merged = {**self.defaults, **values}
        if self.vendor == "sqlite":
            for column in self.datetimes:
                value = merged[column]
                if value is not None:  # Django's SQLite format: naive UTC
                    merged[column] = str(value.astimezone(dt.UTC).replace(tzinfo=None))
            for column in self.dates:
                if merged[column] is not None:
                    merged[column] = merged[column].isoformat()
        self.rows.append(tuple(merged[c] for c in self.columns))

    def flush(self) -> int:
        from django.db import connection

        if not self.rows:
            return 0
        q = connection.ops.quote_name
        columns = ", ".join(q(c) for c in self.columns)
        if self.vendor == "postgresql":
            sql = f"COPY {q(self.table)} ({columns}) FROM STDIN"
            with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
                for row in self.rows:
                    copy.write_row(row)
        else:
            connection.ensure_connection()
            marks = ", ".join("?" * len(self.columns))
            connection.connection.executemany(
                f"INSERT INTO {q(self.table)} ({columns}) VALUES ({marks})",  # noqa: S608
                self.rows,
            )
        written = len(self.rows)
        self.rows = []
        return written

    def reset_sequence(self) -> None:
        from django.db import connection

        if self.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence(%s, 'id'), "  # noqa: S608
                    f"(SELECT COALESCE(MAX(id), 1) FROM {connection.ops.quote_name(self.table)}))",
                    [self.table],
                )


def _amounts(quantity: int, price: int, percent: int, rate: str) -> tuple[int, int, int, int]:
    """(gross, discount, net, VAT) of a line: totals.py's rules for whole đồng (prices here are
    multiples of 10,000, so every product below is exact and no rounding is needed)."""
    gross = quantity * price
    discount = gross * percent // 100
    net = gross - discount
    vat = net * int(rate) // 100 if rate.isdigit() else 0
    return gross, discount, net, vat


def _catalogue(users: dict[str, Any], rng: random.Random) -> list[ProductRow]:
    """The demo catalogue and 150 more products, through the catalogue's services."""
    from decimal import Decimal

    from sencrm.catalog import services as catalog
    from sencrm.catalog.models import Product
    from sencrm.demo.commerce import load_catalogue

    load_catalogue(users)
    manager = users["manager"]
    category = catalog.category_ensure_path(actor=manager, path="Điều hòa › Các hãng khác")
    made = 0
    for brand in BRANDS:
        for kind in KINDS_OF_UNIT:
            for btu in CAPACITIES:
                if made >= 150:
                    break
                code = f"{brand[:3].upper()}-{kind[:2].upper()}{btu // 1000:02d}-{made:03d}"
                if not Product.all_objects.filter(code=code).exists():
                    catalog.product_create(
                        actor=manager,
                        data={
                            "code": code,
                            "name": f"Điều hòa {brand} {kind} {btu:,} BTU".replace(",", "."),
                            "category": category,
                            "unit": "bộ",
                            "kind": "goods",
                            "list_price": Decimal(btu // 1000 * rng.randint(70, 140) * 10_000),
                            "vat_rate": "10",
                            "vat_reducible": rng.random() < 0.5,
                        },
                    )
                made += 1
    return [
        ProductRow(p.pk, p.code, p.name, p.unit, p.kind, int(p.list_price), p.vat_rate)
        for p in Product.objects.order_by("id")
    ]


def _accounts(people: list[Any], count: int, rng: random.Random) -> None:
    from sencrm.customers.models import Account
    from sencrm.customers.services import account_create

    have = Account.objects.count()
    for i in range(have, count):
        owner = people[i % len(people)]
        name = rng.choice(ACCOUNT_NAMES).format(f"{rng.choice(ACCOUNT_WORDS)} {i + 1}")
        account_create(actor=owner, data={"name": name, "industry": "Dịch vụ"})


def generate(size: int, *, seed: int = 2026, batch: int = BATCH) -> CommerceDataset:
    """The organisation, customers, catalogue, SIZE orders and SIZE / 10 contracts (module docstring)."""
    from django.db import connection, transaction
    from django.utils import timezone

    from bench import customers, sales
    from sencrm.commerce.models import Contract, ContractLine, Order, OrderLine
    from sencrm.core.db import analyze
    from sencrm.core.models import NumberCounter
    from sencrm.core.text import fold
    from sencrm.customers.models import Account, Contact

    setup_started = time.perf_counter()
    contacts_wanted = min(max(size // 20, 500), 50_000)
    customers.generate(contacts_wanted, seed=seed, log=log)
    people = sales._salespeople()  # the demo's three and five more, in two teams
    team_of = {u.pk: u.teams.values_list("id", flat=True).first() for u in people}
    users = {u.username: u for u in people}
    rng = random.Random(seed + 13)
    _accounts(people, min(max(contacts_wanted // 25, 20), 500), rng)
    products = _catalogue(users, rng)
    setup_seconds = time.perf_counter() - setup_started
    log(
        f"organisation, {contacts_wanted:,} contacts, accounts, {len(products)} products: "
        f"{setup_seconds:.1f} s"
    )

    # Customers: (contact id, account id, owner id, folded name for the search key).
    contact_rows = list(Contact.objects.values_list("id", "owner_id", "full_name"))
    account_rows = list(Account.objects.values_list("id", "owner_id", "name"))
    folded: dict[str, str] = {}

    def fold_once(text: str) -> str:
        value = folded.get(text)
        if value is None:
            value = folded[text] = fold(text)
        return value

    goods = [p for p in products if p.kind == "goods"]
    services_ = [p for p in products if p.kind != "goods"]
    owners = [u.pk for u in people]
    now = timezone.now()
    today = timezone.localdate()
    tz = timezone.get_current_timezone()
    span_days = 3 * 365
    started = time.perf_counter()
    counts = {"orders": 0, "order_lines": 0, "contracts": 0, "contract_lines": 0}
    # The 200-line order of the PDF measurement, through the services, first and dated before the
    # generated orders: it is on no list's first page (those measure typical orders, of 1–6 lines).
    pdf_order = make_pdf_order(users["manager"], products, rng, on=today - dt.timedelta(days=span_days + 1))
    # A new session for the load: PostgreSQL caches the plans of its foreign-key checks per session,
    # and those the order above made (against a table of one row) would seq-scan the orders at every
    # check of the load's commits (measured: 220 orders/s instead of 4,500).
    connection.close()
    numbers = {(c.kind, c.year): c.last_number for c in NumberCounter.objects.all()}

    def customer() -> tuple[int | None, int | None, int, str]:
        if rng.random() < 0.33:
            account_id, owner_id, name = rng.choice(account_rows)
            return None, account_id, owner_id, name
        contact_id, owner_id, name = rng.choice(contact_rows)
        return contact_id, None, owner_id, name

    def number(kind: str, prefix: str, padding: int, on: dt.date) -> str:
        key = (kind, on.year)
        numbers[key] = numbers.get(key, 0) + 1
        return f"{prefix}-{on.year:04d}-{numbers[key]:0{padding}d}"

    def lines_for(
        writer: TableWriter, parent: str, parent_id: int, first_id: int, k: int, delivered: str
    ) -> tuple[int, int, int]:
        subtotal = discounts = vat_total = 0
        for position in range(1, k + 1):
            product = rng.choice(goods) if position == 1 or rng.random() < 0.5 else rng.choice(services_)
            quantity = rng.randint(1, 4) if product.kind == "goods" else rng.randint(1, 12)
            percent = 5 if rng.random() < 0.2 else 0
            gross, discount, net, vat = _amounts(quantity, product.price, percent, product.vat_rate)
            subtotal, discounts, vat_total = subtotal + gross, discounts + discount, vat_total + vat
            values = {
                "id": first_id + position - 1,
                "position": position,
                "section": SECTIONS[0] if product.kind == "goods" else SECTIONS[2],
                "product_id": product.id,
                "description": product.name,
                "unit": product.unit,
                "quantity": quantity,
                "unit_price": product.price,
                "discount_percent": percent,
                "discount_amount": 0,
                "vat_rate": product.vat_rate,
                "vat_reducible": False,
                "amount": net,
                "vat_amount": vat,
                f"{parent}_id": parent_id,
            }
            if parent == "order":
                done = delivered == "all" or (delivered == "first" and position == 1)
                values["delivered_quantity"] = quantity if done else 0
            writer.add(values)
        return subtotal, discounts, vat_total

    def document_common(on: dt.date, owner_id: int) -> dict[str, Any]:
        created = dt.datetime.combine(on, dt.time(8), tzinfo=tz) + dt.timedelta(minutes=rng.randint(0, 600))
        created = min(created, now)
        return {
            "owner_id": owner_id,
            "team_id": team_of.get(owner_id),
            "created_at": created,
            "updated_at": created,
            "created_by_id": owner_id,
            "updated_by_id": owner_id,
            "issue_date": on,
            "currency": "VND",
        }

    # Orders: ids and numbers in date order, oldest first.
    order_writer, line_writer = TableWriter(Order), TableWriter(OrderLine)
    order_id, line_id = order_writer.next_id(), line_writer.next_id()
    for first in range(0, size, batch):
        k = min(batch, size - first)
        for j in range(k):
            i = first + j
            on = today - dt.timedelta(days=span_days - span_days * i // max(size, 1))
            age = (today - on).days
            roll = rng.random()
            if age < 3:
                status = "draft" if roll < 0.4 else "confirmed" if roll < 0.8 else "partly_delivered"
            elif age < 14:
                status = ("draft" if roll < 0.1 else "confirmed" if roll < 0.4 else "partly_delivered"
                          if roll < 0.6 else "delivered" if roll < 0.95 else "cancelled")  # fmt: skip
            else:
                status = ("draft" if roll < 0.01 else "confirmed" if roll < 0.03 else "partly_delivered"
                          if roll < 0.05 else "delivered" if roll < 0.94 else "cancelled")  # fmt: skip
            contact_id, account_id, owner_id, name = customer()
            if rng.random() < 0.3:
                owner_id = rng.choice(owners)
            lines = rng.choices(ORDER_LINE_COUNTS, weights=ORDER_LINE_WEIGHTS)[0]
            delivered = {"delivered": "all", "partly_delivered": "first"}.get(status, "none")
            subtotal, discounts, vat = lines_for(line_writer, "order", order_id, line_id, lines, delivered)
            line_id += lines
            doc_number = number("order", "DH", 6, on)
            values = document_common(on, owner_id)
            confirmed = status not in ("draft", "cancelled")
            values.update(
                {
                    "id": order_id,
                    "version": 1 if status == "draft" else 3 if status == "delivered" else 2,
                    "number": doc_number,
                    "contact_id": contact_id,
                    "account_id": account_id,
                    "subtotal": subtotal,
                    "discount_total": discounts,
                    "vat_total": vat,
                    "total": subtotal - discounts + vat,
                    "search_key": fold(f"{doc_number} {fold_once(name)}")[:400],
                    "status": status,
                    "delivery_date": on + dt.timedelta(days=rng.randint(2, 10)),
                    "delivery_address": "",
                    "confirmed_at": values["created_at"] + dt.timedelta(hours=rng.randint(1, 48))
                    if confirmed
                    else None,
                    "cancelled_reason": "Khách hàng đổi ý" if status == "cancelled" else "",
                }
            )
            if status != "draft":
                values["updated_at"] = min(values["created_at"] + dt.timedelta(days=rng.randint(1, 12)), now)
            order_writer.add(values)
            order_id += 1
        with transaction.atomic():
            counts["orders"] += order_writer.flush()
            counts["order_lines"] += line_writer.flush()
        done = first + k
        elapsed = time.perf_counter() - started
        log(
            f"  {done:>9,} orders, {counts['order_lines']:,} lines  {elapsed:7.1f} s  "
            f"({done / elapsed:,.0f} orders/s)"
        )

    # Contracts: yearly maintenance, a tenth as many as orders.
    contract_count = max(size // 10, 100)
    contract_writer, cline_writer = TableWriter(Contract), TableWriter(ContractLine)
    contract_id, cline_id = contract_writer.next_id(), cline_writer.next_id()
    maintenance = [p for p in services_ if p.code.startswith("BD-")] or services_
    for first in range(0, contract_count, batch):
        k = min(batch, contract_count - first)
        for j in range(k):
            i = first + j
            on = today - dt.timedelta(days=span_days - span_days * i // contract_count)
            contact_id, account_id, owner_id, name = customer()
            end = on + dt.timedelta(days=364)
            roll = rng.random()
            status = (
                "draft" if (today - on).days < 7 and roll < 0.5
                else "terminated" if roll < 0.03
                else "signed" if end >= today
                else "expired"
            )  # fmt: skip
            lines = rng.randint(1, 3)
            subtotal = discounts = vat = 0
            for position in range(1, lines + 1):
                product = rng.choice(maintenance)
                quantity = rng.randint(1, 20)
                gross, discount, net, line_vat = _amounts(quantity, product.price, 0, product.vat_rate)
                subtotal, vat = subtotal + gross, vat + line_vat
                cline_writer.add(
                    {
                        "id": cline_id,
                        "position": position,
                        "section": SECTIONS[3],
                        "product_id": product.id,
                        "description": product.name,
                        "unit": product.unit,
                        "quantity": quantity,
                        "unit_price": product.price,
                        "discount_percent": 0,
                        "discount_amount": 0,
                        "vat_rate": product.vat_rate,
                        "vat_reducible": False,
                        "amount": net,
                        "vat_amount": line_vat,
                        "contract_id": contract_id,
                    }
                )
                cline_id += 1
            doc_number = number("contract", "HD", 5, on)
            title = f"Bảo trì điều hòa {on.year} — {name}"[:200]
            values = document_common(on, owner_id)
            signed = status != "draft"
            values.update(
                {
                    "id": contract_id,
                    "version": 2 if signed else 1,
                    "number": doc_number,
                    "contact_id": contact_id,
                    "account_id": account_id,
                    "subtotal": subtotal,
                    "discount_total": discounts,
                    "vat_total": vat,
                    "total": subtotal + vat,
                    "search_key": fold(f"{doc_number} {name} {title}")[:400],
                    "name": title,
                    "status": status,
                    "start_date": on,
                    "end_date": end,
                    "signed_at": values["created_at"] + dt.timedelta(days=1) if signed else None,
                    "terminated_reason": "Khách hàng chuyển địa điểm" if status == "terminated" else "",
                    "billing_schedule": "",
                    "signed_file": "",
                    "signed_file_name": "",
                    "ordered_total": 0,
                }
            )
            contract_writer.add(values)
            contract_id += 1
        with transaction.atomic():
            counts["contracts"] += contract_writer.flush()
            counts["contract_lines"] += cline_writer.flush()
    for writer in (order_writer, line_writer, contract_writer, cline_writer):
        writer.reset_sequence()
    # The services number on from the generated documents.
    for (kind, year), last in numbers.items():
        NumberCounter.objects.update_or_create(kind=kind, year=year, defaults={"last_number": last})
    load_seconds = time.perf_counter() - started
    analyze_started = time.perf_counter()
    # PostgreSQL: ANALYZE (autovacuum may be off); SQLite: PRAGMA optimize, as the importer does.
    analyze([m._meta.db_table for m in (Order, OrderLine, Contract, ContractLine)])
    analyze_seconds = time.perf_counter() - analyze_started
    rows = sum(counts.values())
    log(
        f"loaded {rows:,} rows ({', '.join(f'{v:,} {k}' for k, v in counts.items())}) "
        f"in {load_seconds:.1f} s: "
        f"{rows / load_seconds:,.0f} rows/s"
        + (f", ANALYZE {analyze_seconds:.1f} s" if analyze_seconds > 0.05 else "")
    )
    return CommerceDataset(
        size=size,
        vendor=connection.vendor,
        counts={**counts, "contacts": len(contact_rows), "accounts": len(account_rows)},
        load_seconds=load_seconds,
        analyze_seconds=analyze_seconds,
        setup_seconds=setup_seconds,
        pdf_order_id=pdf_order.pk,
        products=[p.id for p in products],
        seed=seed,
    )


def make_pdf_order(manager: Any, products: list[ProductRow], rng: random.Random, *, on: dt.date) -> Any:
    """An order of PDF_LINES lines in five sections, through services.order_create (the manager's)."""
    from decimal import Decimal

    from sencrm.catalog.models import Product
    from sencrm.commerce import services
    from sencrm.customers.models import Contact

    contact = Contact.objects.filter(owner=manager).order_by("id").first()
    catalogue = Product.objects.in_bulk([p.id for p in products])
    lines = []
    for i in range(1, PDF_LINES + 1):
        product = catalogue[products[(i * 7) % len(products)].id]
        lines.append(
            {
                "section": SECTIONS[(i - 1) * len(SECTIONS) // PDF_LINES],
                "product": product,
                "description": f"{product.name} — lắp cho phòng số {i:03d}, tầng {i % 9 + 1}",
                "quantity": Decimal(rng.randint(1, 6)),
                "unit_price": product.list_price,
                "discount_percent": Decimal(5) if i % 4 == 0 else Decimal(0),
                "vat_rate": "8",
            }
        )
    return services.order_create(
        actor=manager,
        data={
            "contact": contact,
            "issue_date": on,
            "delivery_date": on + dt.timedelta(days=7),
            "delivery_address": "Số 18 đường Phước Long, phường Phước Long, TP. Nha Trang, Khánh Hòa",
            "notes": f"Giao hàng trong giờ hành chính. {PDF_MARKER}",
        },
        lines=lines,
    )


def dataset_from_database(size: int, seed: int) -> CommerceDataset:
    """What a previous run loaded (COMMERCE_REUSE=1)."""
    from django.db import connection

    from sencrm.catalog.models import Product
    from sencrm.commerce.models import Contract, ContractLine, Order, OrderLine

    pdf_order = Order.objects.filter(notes__endswith=PDF_MARKER).order_by("-id").first()
    orders = Order.objects.count()
    if pdf_order is None or orders < size:
        raise SystemExit(
            f"COMMERCE_REUSE: {orders:,} orders and no PDF order: was the load run at SIZE={size:,}?"
        )
    counts = {
        "orders": orders,
        "order_lines": OrderLine.objects.count(),
        "contracts": Contract.objects.count(),
        "contract_lines": ContractLine.objects.count(),
    }
    return CommerceDataset(
        size=size,
        vendor=connection.vendor,
        counts=counts,
        load_seconds=0.0,
        analyze_seconds=0.0,
        setup_seconds=0.0,
        pdf_order_id=pdf_order.pk,
        products=list(Product.objects.order_by("id").values_list("id", flat=True)),
        seed=seed,
    )


# --- measuring -----------------------------------------------------------------------------------


def run_operation(
    name: str,
    call: Callable[[Any], Any],
    inputs: list[Any],
    check: Callable[[Any, Any], str | None],
    *,
    warmup: int,
) -> dict[str, Any]:
    """Time `call(input)` after `warmup` untimed calls: wall clock and this thread's CPU."""
    from bench.customers import percentiles

    for item in inputs[:warmup]:
        call(item)
    wall: list[float] = []
    cpu: list[float] = []
    failures: list[str] = []
    for item in inputs[warmup:]:
        start, start_cpu = time.perf_counter(), time.thread_time()
        response = call(item)
        wall.append((time.perf_counter() - start) * 1000)
        cpu.append((time.thread_time() - start_cpu) * 1000)
        problem = check(response, item)
        if problem:
            failures.append(problem)
    p50, p95 = percentiles(wall)
    cpu50, cpu95 = percentiles(cpu)
    target = TARGETS.get(name)
    return {
        "name": name,
        "label": LABELS.get(name, name),
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


def count_queries(call: Callable[[], Any]) -> dict[str, Any]:
    """The queries one call runs: how many, and the statements run more than once (numbers masked)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        call()
    shapes = Counter(
        re.sub(r"\b\d+\b", "N", re.sub(r"'[^']*'", "'…'", q["sql"]))[:160] for q in captured.captured_queries
    )
    return {
        "queries": len(captured.captured_queries),
        # Django's debug cursor rounds each query's time to the millisecond.
        "database_ms": round(sum(float(q["time"]) for q in captured.captured_queries) * 1000),
        "repeated": [{"count": n, "sql": sql} for sql, n in shapes.most_common() if n > 1][:8],
    }


def pdf_text(pdf: bytes) -> tuple[str, int]:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(pdf))
    return "\n".join(page.extract_text() or "" for page in reader.pages), len(reader.pages)


def quote_lines(rng: random.Random, products: list[Any], n: int = QUOTE_LINES) -> list[dict[str, Any]]:
    """n lines in five sections: catalogue products, a third with a typed price, some discounted."""
    from decimal import Decimal

    lines = []
    for i in range(n):
        product = rng.choice(products)
        line: dict[str, Any] = {
            "section": SECTIONS[i * len(SECTIONS) // n],
            "product": product,
            "quantity": Decimal(rng.randint(1, 8)),
        }
        if i % 3 == 0:
            line["unit_price"] = Decimal(int(product.list_price * Decimal("0.95") / 10_000) * 10_000)
        if i % 5 == 0:
            line["discount_percent"] = Decimal(3)
        if i % 2 == 0:
            line["description"] = f"{product.name} — phòng {i + 1}"
        lines.append(line)
    return lines


def measure_all(
    dataset: CommerceDataset, *, requests: int = 200, warmup: int = 10, pdf_requests: int = 10
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Every commerce measurement; returns one row per operation and the untimed findings."""
    import logging

    request_logger = logging.getLogger("django.request")
    level = request_logger.level
    request_logger.setLevel(logging.CRITICAL)
    try:
        return _measure_all(dataset, requests=requests, warmup=warmup, pdf_requests=pdf_requests)
    finally:
        request_logger.setLevel(level)


def _measure_all(
    dataset: CommerceDataset, *, requests: int, warmup: int, pdf_requests: int
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    from decimal import Decimal

    from django.test import Client
    from django.utils import timezone, translation

    from bench.customers import _http_error
    from sencrm.catalog.models import Product
    from sencrm.commerce import services
    from sencrm.commerce.models import Order, Quote
    from sencrm.core.money import amount_in_words
    from sencrm.customers.models import Contact
    from sencrm.documents.filters import money_filter
    from sencrm.users.models import User

    rng = random.Random(dataset.seed + 17)
    n = requests + warmup
    backend = "django.contrib.auth.backends.ModelBackend"
    rows: list[dict[str, Any]] = []
    findings: dict[str, Any] = {}

    def done(row: dict[str, Any], user: str) -> None:
        row["user"] = user
        rows.append(row)
        log(
            f"  {row['name']:<22} p50 {row['p50_ms']:8.2f} ms  p95 {row['p95_ms']:8.2f} ms  "
            f"(CPU p50 {row['cpu_p50_ms']:.2f}, p95 {row['cpu_p95_ms']:.2f})"
            + (f"  {row['failures']} errors: {row['failure_examples'][0]}" if row["failures"] else "")
        )

    def client_for(username: str) -> Any:
        client = Client(HTTP_HOST="127.0.0.1", raise_request_exception=False)
        client.force_login(User.objects.get(username=username), backend=backend)
        return client

    clients = {name: client_for(name) for name in ("manager", "sales1", "admin")}

    # Lists: the first page, as each kind of user.
    def web_check(response: Any, url: str) -> str | None:
        if response.status_code != 200:
            return _http_error(response, url)
        shown = response.content.decode().count('<td class="text-nowrap"><a href=')
        return None if shown == PAGE_SIZE else f"{url}: {shown} rows, {PAGE_SIZE} expected"

    def api_check(response: Any, url: str) -> str | None:
        if response.status_code != 200:
            return _http_error(response, url)
        shown = len(response.json()["results"])
        return None if shown == PAGE_SIZE else f"{url}: {shown} rows, {PAGE_SIZE} expected"

    plan = [
        ("order_list", "/orders/", web_check, ("manager", "sales1", "admin")),
        ("order_api", "/api/v1/orders/", api_check, ("manager", "sales1", "admin")),
        ("contract_list", "/contracts/", web_check, ("manager", "admin")),
        ("contract_api", "/api/v1/contracts/", api_check, ("manager", "admin")),
    ]
    findings["list_queries"] = {}
    for prefix, url, check, users in plan:
        for username in users:
            client = clients[username]
            done(
                run_operation(f"{prefix}_{username}", client.get, [url] * n, check, warmup=warmup),
                username,
            )
            found = findings["list_queries"][f"{prefix}_{username}"] = count_queries(
                lambda: client.get(url)  # noqa: B023
            )
            log(f"    {found['queries']} queries, {found['database_ms']} ms in the database")

    # Search: a customer's name, folded words (no target; the list's search is a LIKE '%…%').
    names = list(
        Order.objects.filter(contact__isnull=False)
        .order_by("-id")
        .values_list("contact__full_name", flat=True)[:n]
    )

    def search_check(response: Any, query: str) -> str | None:
        if response.status_code != 200:
            return _http_error(response, query)
        return (
            None if '<td class="text-nowrap"><a href=' in response.content.decode() else f"{query!r}: nothing"
        )

    done(
        run_operation(
            "order_search",
            lambda q: clients["admin"].get("/orders/", {"q": q}),
            [" ".join(name.split()[-2:]) for name in names],
            search_check,
            warmup=warmup,
        ),
        "admin",
    )

    # Creating a 50-line quote (and order) as sales1, for sales1's customers.
    sales1 = User.objects.get(username="sales1")
    products = list(Product.objects.filter(active=True).order_by("id"))
    contacts = list(Contact.objects.filter(owner=sales1).order_by("-id")[: 3 * n])
    if len(contacts) < n:
        contacts = (contacts * (n // max(len(contacts), 1) + 1))[: 3 * n]
    valid_until = timezone.localdate() + dt.timedelta(days=15)

    created: list[Any] = []  # soft-deleted afterwards: a later run (COMMERCE_REUSE) lists the same orders

    def create_quote(item: tuple[Any, list[dict[str, Any]]]) -> Any:
        contact, lines = item
        quote = services.quote_create(
            actor=sales1, data={"contact": contact, "valid_until": valid_until}, lines=lines
        )
        created.append(quote)
        return quote

    def created_check(document: Any, item: Any) -> str | None:
        return None if document.pk and document.total > 0 else f"{item[0]}: not created"

    quote_inputs = [(contacts[i], quote_lines(rng, products)) for i in range(n)]
    findings["quote_create_queries"] = count_queries(
        lambda: create_quote((contacts[-1], quote_lines(rng, products)))
    )
    done(run_operation("quote_create", create_quote, quote_inputs, created_check, warmup=warmup), "sales1")
    # One untimed check: 50 lines stored, adding up to the quote's totals.
    sample = create_quote((contacts[0], quote_lines(rng, products)))
    stored = list(sample.lines.all())
    if (
        len(stored) != QUOTE_LINES
        or sum(line.amount for line in stored) != sample.subtotal - sample.discount_total
    ):
        rows[-1]["failures"] += 1
        rows[-1]["failure_examples"].append("a 50-line quote's lines do not add up to its totals")
        rows[-1]["passed"] = False

    def api_body(item: tuple[Any, list[dict[str, Any]]]) -> dict[str, Any]:
        contact, lines = item
        return {
            "contact": contact.pk,
            "valid_until": valid_until.isoformat(),
            "lines": [
                {**{k: str(v) for k, v in line.items() if k != "product"}, "product": line["product"].pk}
                for line in lines
            ],
        }

    api_inputs = [api_body((contacts[(n + i) % len(contacts)], quote_lines(rng, products))) for i in range(n)]
    api = clients["sales1"]

    def post_quote(body: dict[str, Any]) -> Any:
        response = api.post("/api/v1/quotes/", body, content_type="application/json")
        if response.status_code == 201:
            created.append(Quote.objects.get(pk=response.json()["id"]))
        return response

    def api_created(response: Any, body: dict[str, Any]) -> str | None:
        if response.status_code != 201:
            return _http_error(response, f"contact {body['contact']}")
        lines = len(response.json()["lines"])
        return None if lines == QUOTE_LINES else f"{lines} lines in the answer"

    findings["quote_create_api_queries"] = count_queries(lambda: post_quote(api_inputs[0]))
    done(run_operation("quote_create_api", post_quote, api_inputs, api_created, warmup=warmup), "sales1")

    def create_order(item: tuple[Any, list[dict[str, Any]]]) -> Any:
        contact, lines = item
        order = services.order_create(actor=sales1, data={"contact": contact}, lines=lines)
        created.append(order)
        return order

    order_inputs = [(contacts[(2 * n + i) % len(contacts)], quote_lines(rng, products)) for i in range(n)]
    findings["order_create_queries"] = count_queries(lambda: create_order(order_inputs[0]))
    done(run_operation("order_create", create_order, order_inputs, created_check, warmup=warmup), "sales1")
    for document in created:  # untimed
        delete = services.quote_delete if isinstance(document, Quote) else services.order_delete
        delete(document, actor=sales1)
    for name in ("quote_create_queries", "quote_create_api_queries", "order_create_queries"):
        found = findings[name]
        log(f"  {name}: {found['queries']} queries; repeated: "
            + "; ".join(f"{r['count']}× {r['sql'][:90]}" for r in found["repeated"][:4]))  # fmt: skip

    # The PDF of the 200-line order, through the page's URL.
    order = Order.objects.get(pk=dataset.pdf_order_id)
    url = f"/orders/{order.pk}/pdf/"
    admin = clients["admin"]
    first = admin.get(url)
    text, pages = pdf_text(first.content) if first.status_code == 200 else ("", 0)
    flat = " ".join(text.split())
    line_one = order.lines.order_by("position").first()
    line_last = order.lines.order_by("position").last()
    with translation.override("vi"):
        total_text = money_filter(order.total)
    expected = [
        line_one.description,
        line_last.description,
        total_text,
        amount_in_words(Decimal(order.total)),
    ]
    missing = [e for e in expected if " ".join(e.split()) not in flat]
    findings["pdf"] = {
        "lines": order.lines.count(),
        "pages": pages,
        "bytes": len(first.content),
        "kib": round(len(first.content) / 1024, 1),
        "text_missing": missing,
    }
    log(f"  PDF: {pages} pages, {len(first.content) / 1024:.1f} KiB, text check: "
        + ("all found" if not missing else f"MISSING {missing}"))  # fmt: skip

    def pdf_check(response: Any, item: str) -> str | None:
        if response.status_code != 200 or not response.content.startswith(b"%PDF"):
            return _http_error(response, item)
        return None

    row = run_operation("order_pdf_200", admin.get, [url] * (pdf_requests + 2), pdf_check, warmup=2)
    if missing:
        row["failures"] += 1
        row["failure_examples"].append(f"text not found in the PDF: {missing}")
        row["passed"] = False
    done(row, "admin")
    return rows, findings


# --- running -------------------------------------------------------------------------------------


def explain_lists() -> dict[str, str]:
    """PostgreSQL's plans of the first pages as the manager (team scope): which index each list uses."""
    from django.db import connection

    from sencrm.commerce.models import Contract, Order
    from sencrm.core import access
    from sencrm.core.modules import Action
    from sencrm.users.models import User

    if connection.vendor != "postgresql":
        return {}
    plans = {}
    for username in ("manager", "admin"):
        user = User.objects.get(username=username)
        for model in (Order, Contract):
            qs = access.scope(user, model, Action.VIEW)
            for name, ordered in (
                ("web", qs.order_by("-issue_date", "-id")),
                ("api", qs.order_by("-id")),
            ):
                plans[f"{model.__name__.lower()}_{name}_{username}"] = ordered[: PAGE_SIZE + 1].explain(
                    analyze=True
                )
    return plans


def main() -> None:
    size = int(os.environ.get("COMMERCE_SIZE") or os.environ.get("SIZE") or 100_000)
    requests = int(os.environ.get("REQUESTS") or 200)
    warmup = int(os.environ.get("WARMUP") or 10)
    pdf_requests = int(os.environ.get("PDF_REQUESTS") or 10)
    seed = int(os.environ.get("SEED") or 2026)
    reuse = os.environ.get("COMMERCE_REUSE") == "1"
    if requests < 2 or pdf_requests < 2:
        raise SystemExit("REQUESTS and PDF_REQUESTS must be at least 2.")
    sys.path.insert(0, str(ROOT))
    from bench.run import database_version, module_database_url, prepare_environment, table

    url = module_database_url("commerce")
    keep_data = bool(os.environ.get("COMMERCE_DATA_DIR"))
    data_dir = prepare_environment("commerce", url, reuse=reuse)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.urls import get_resolver
    from django.utils import timezone

    try:
        started = timezone.localtime()
        get_resolver().url_patterns  # noqa: B018 - import every view now
        call_command("migrate", verbosity=0)
        log(
            f"Sen CRM commerce benchmark: {size:,} orders, {requests} requests per operation, "
            f"{database_version()}"
        )
        if reuse:
            dataset = dataset_from_database(size, seed)
            log(f"reusing the database of an earlier run: {dataset.counts}")
        else:
            dataset = generate(size, seed=seed)
        load_before = os.getloadavg()
        rows, findings = measure_all(dataset, requests=requests, warmup=warmup, pdf_requests=pdf_requests)
        load_after = os.getloadavg()
        findings["plans"] = explain_lists()
        import weasyprint

        report = {
            "benchmark": "commerce",
            "vendor": connection.vendor,
            "database": database_version(),
            "size": size,
            "requests": requests,
            "warmup": warmup,
            "pdf_requests": pdf_requests,
            "seed": seed,
            "started_at_local": started.isoformat(timespec="seconds"),
            "machine": {
                "cores": os.cpu_count(),
                "python": platform.python_version(),
                "django": django.get_version(),
                "weasyprint": weasyprint.__version__,
                "platform": platform.platform(),
                "load_average_before": round(load_before[0], 2),
                "load_average_after": round(load_after[0], 2),
            },
            "reused_database": reuse,
            "load": None if reuse else dataset.load_summary(),
            "counts": dataset.counts,
            "results": rows,
            "findings": findings,
        }
        print()
        print(table(rows))
        print()
        results = ROOT / "bench" / "results"
        results.mkdir(parents=True, exist_ok=True)
        path = results / f"{connection.vendor}-{size}-commerce-{started.strftime('%Y%m%d-%H%M%S')}.json"
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
