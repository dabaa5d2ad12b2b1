"""The reports benchmark (issue 19): every canned report over REPORTS_INVOICES invoices (1,000,000) and two
lines each (2,000,000) on PostgreSQL, and the board's dashboard.

    BENCH=reports DATABASE_URL=postgresql://postgres@127.0.0.1:5432/sencrm_bench make bench
    BENCH=reports REPORTS_INVOICES=100000 DATABASE_URL=… make bench        # a smaller run
    REPORTS_REUSE=1 BENCH=reports DATABASE_URL=… make bench                # measure again, no drop, no load

It runs in a process of its own (bench/run.py starts it) on the PostgreSQL database REPORTS_DATABASE_URL,
by default DATABASE_URL's with "_reports" added to its name, dropped, created and migrated. The data are
generated in SQL (INSERT … SELECT generate_series), then the tables written are vacuumed and ANALYZEd
(autovacuum may be off). Columns a statement does not name get a neutral value found from the catalogue
(`fill`), so the generator follows the schema as it grows.

The data, over the last REPORTS_DAYS (1,095) days: the demo organisation; 20 categories and 200 products;
5 customer groups; 30 campaigns; REPORTS_CONTACTS (300,000) contacts, alternately sales1's (team Hà Nội)
and sales2's (team TP.HCM), in every province, 80 % with a date of birth, a group, a source or a first
campaign; REPORTS_INVOICES invoices (95 % paid, 1 % adjustments that take back) of a contact chosen by a
multiplicative hash, issued on a day spread over the span, with two lines (products by hash) whose
amounts add up to the invoice's; a receipt for every paid invoice 0–30 days after it (never in the
future), each contact's first receipt and the attribution facts (what billing and marketing keep with
every receipt); REPORTS_LEADS (200,000) leads, REPORTS_DEALS (100,000) opportunities over the default
pipeline's stages, REPORTS_TICKETS (200,000) tickets with an SLA policy, answer and resolution times,
half of them rated (CSAT, and NPS for a fifth), and REPORTS_WORK_ORDERS (50,000) work orders.

Measured (REPORTS_REQUESTS, default 5, after one warm-up), period = this calendar year with the previous
year and the same period last year (what the report pages show: three computations each): every canned
report through `reports.base.run` as the board (all) — revenue by each of its groupings — and the
heavier ones as the sales manager (team); `GET /api/v1/reports/{name}/` for the issue's eight names; the
board's dashboard (`/reports/dashboard/`) and the board's home page. Targets: p95 ≤ 2 s per report,
≤ 1 s for the dashboard. EXPLAIN (ANALYZE) of the slowest report's queries is saved with the results.

Results: a table, and JSON in bench/results/postgresql-<invoices>-reports-<stamp>.json.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
REPORT_TARGET_MS = 2000.0
DASHBOARD_TARGET_MS = 1000.0
# Neutral values for the NOT NULL columns a statement does not name, by PostgreSQL type.
NEUTRAL = {
    "character varying": "''",
    "text": "''",
    "integer": "0",
    "bigint": "0",
    "smallint": "0",
    "numeric": "0",
    "double precision": "0",
    "boolean": "false",
    "jsonb": "'{}'::jsonb",
    "json": "'{}'::json",
    "date": "current_date",
    "timestamp with time zone": "now()",
    "uuid": "gen_random_uuid()",
    "interval": "interval '0'",
}


def log(line: str) -> None:
    print(line, flush=True)


def _execute(sql: str, params: list[Any] | None = None) -> float:
    from django.db import connection

    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])
    return time.perf_counter() - started


def _unique_columns(table: str) -> set[str]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT a.attname FROM pg_index i
            JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
            WHERE i.indrelid = %s::regclass AND i.indisunique AND i.indnkeyatts = 1 AND i.indpred IS NULL
            """,
            [table],
        )
        return {row[0] for row in cursor.fetchall()}


def fill(table: str, values: dict[str, str], source: str, params: list[Any] | None = None) -> float:
    """INSERT INTO table (…) SELECT … `source` (which names the series `g`): the columns in `values` as
    given, every other NOT NULL column without a default a neutral value of its type (a text column
    with a unique index: 'bench-' || g)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT column_name, data_type FROM information_schema.columns
            WHERE table_name = %s AND is_nullable = 'NO' AND column_default IS NULL AND is_identity = 'NO'
            """,
            [table],
        )
        required = cursor.fetchall()
    unique = _unique_columns(table)
    row = dict(values)
    for name, data_type in required:
        if name in row:
            continue
        if name in unique and data_type in ("character varying", "text"):
            row[name] = f"'bench-{table}-' || g"
        else:
            row[name] = NEUTRAL[data_type]
    sql = f"INSERT INTO {table} ({', '.join(row)}) SELECT {', '.join(row.values())} {source}"  # noqa: S608
    return _execute(sql, params)


def _ids(sql: str, params: list[Any] | None = None) -> list[int]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])
        return [int(row[0]) for row in cursor.fetchall()]


def generate(
    *, contacts: int, invoices: int, leads: int, deals: int, tickets: int, work_orders: int, days: int
) -> dict[str, Any]:
    from django.db import transaction

    from sencrm.core.db import analyze
    from sencrm.demo.organisation import load_organisation

    users = load_organisation()
    s1, s2 = users["sales1"], users["sales2"]
    t1, t2 = s1.teams.first(), s2.teams.first()
    owners = [s1.pk, s2.pk, t1.pk, t2.pk]
    timings: dict[str, float] = {}
    g_series = "FROM generate_series(1::bigint, %s) g"
    with transaction.atomic():
        timings["catalogue"] = fill(
            "catalog_category",
            {"name": "'Nhóm hàng ' || g", "position": "g"},
            g_series,
            [20],
        )
        categories = _ids("SELECT id FROM catalog_category ORDER BY id")
        fill(
            "catalog_product",
            {
                "owner_id": str(users["admin"].pk),
                "created_at": "now()",
                "updated_at": "now()",
                "version": "1",
                "code": "'SP-B-' || g",
                "name": "'Sản phẩm ' || g",
                "category_id": "(%s::bigint[])[(1 + g %% %s)::int]",
                "list_price": "1000000 * (1 + g %% 40)",
                "unit": "'cái'",
                "kind": "'goods'",
                "active": "true",
            },
            g_series,
            [categories, len(categories), 200],
        )
        fill("customers_customergroup", {"name": "'Nhóm khách ' || g"}, g_series, [5])
        fill(
            "marketing_campaign",
            {
                "owner_id": str(users["marketing"].pk),
                "created_at": "now()",
                "updated_at": "now()",
                "version": "1",
                "name": "'Chiến dịch ' || g",
                "channel": "(ARRAY['facebook_ads','google_ads','zalo','tiktok','email','event'])[1 + g %% 6]",
                "start_date": "current_date - (g * 30)::int",
                "budget": "100000000",
                "utm_campaign": "'c' || g",
            },
            g_series,
            [30],
        )
    products = _ids("SELECT id FROM catalog_product ORDER BY id")
    groups = _ids("SELECT id FROM customers_customergroup ORDER BY id")
    campaigns = _ids("SELECT id FROM marketing_campaign ORDER BY id")
    provinces = _ids("SELECT id FROM customers_province ORDER BY id")
    sources = _ids("SELECT id FROM customers_sourcechannel ORDER BY id")
    with transaction.atomic():
        timings["contacts"] = fill(
            "customers_contact",
            {
                "owner_id": "CASE WHEN g %% 2 = 0 THEN %s ELSE %s END",
                "team_id": "CASE WHEN g %% 2 = 0 THEN %s ELSE %s END",
                "created_at": "now() - ((g * 7919) %% (%s * 24)) * interval '1 hour'",
                "updated_at": "now()",
                "version": "1",
                "lifecycle_stage": "'customer'",
                "custom_field_data": "'{}'::jsonb",
                "full_name": "'Khách ' || g",
                "family_name": "'Khách'",
                "given_name": "g::text",
                "sort_key": "'khach ' || g",
                "province_id": "(%s::bigint[])[(1 + (g * 13) %% %s)::int]",
                "date_of_birth": (
                    "CASE WHEN g %% 5 <> 0 THEN date '1950-01-01' + ((g * 104729) %% 20000)::int END"
                ),
                "customer_group_id": "CASE WHEN g %% 5 <> 1 THEN (%s::bigint[])[(1 + g %% %s)::int] END",
                "source_id": "CASE WHEN g %% 5 <> 2 THEN (%s::bigint[])[(1 + g %% %s)::int] END",
                "first_campaign_id": (
                    "CASE WHEN g %% 5 <> 3 THEN (%s::bigint[])[(1 + (g * 31) %% %s)::int] END"
                ),
                "first_touch_at": "now() - ((g * 7919) %% (%s * 24)) * interval '1 hour'",
            },
            g_series,
            [
                *owners[:2],
                *owners[2:],
                days,
                provinces,
                len(provinces),
                groups,
                len(groups),
                sources,
                len(sources),
                campaigns,
                len(campaigns),
                days,
                contacts,
            ],
        )
    first_contact = _ids("SELECT min(id) FROM customers_contact")[0]
    count = _ids("SELECT count(*) FROM customers_contact")[0]
    # Invoice g: of contact hash(g), issued `day` days ago; net 2–60 million, VAT 8 %; 1 in 100 takes back.
    with transaction.atomic():
        timings["invoices"] = fill(
            "billing_invoice",
            {
                "owner_id": "c.owner_id",
                "team_id": "c.team_id",
                "created_at": "d.day",
                "updated_at": "d.day",
                "version": "1",
                "number": "'HD-B-' || g",
                "contact_id": "c.id",
                "issue_date": "d.day::date",
                "currency": "'VND'",
                "subtotal": "m.net",
                "vat_total": "m.net * 0.08",
                "total": "m.net * 1.08",
                "paid_total": "CASE WHEN g %% 20 <> 0 THEN m.net * 1.08 ELSE 0 END",
                "status": "CASE WHEN g %% 20 <> 0 THEN 'paid' ELSE 'issued' END",
                "kind": "CASE WHEN g %% 100 = 0 THEN 'adjustment' ELSE 'standard' END",
                "is_credit": "g %% 100 = 0",
                "issued_at": "d.day",
                "paid_at": (
                    "CASE WHEN g %% 20 <> 0 THEN LEAST(now(), d.day + (g %% 31) * interval '1 day') END"
                ),
            },
            f"""{g_series}
            JOIN customers_contact c ON c.id = %s + (g * 2654435761) %% %s
            CROSS JOIN LATERAL (SELECT (2 + (g * 13) %% 59) * 1000000::numeric AS net) m
            CROSS JOIN LATERAL (SELECT date_trunc('day', now()) + interval '9 hour'
                - ((g * 104729) %% %s) * interval '1 day' AS day) d""",
            [invoices, first_contact, count, days],
        )
    with transaction.atomic():
        timings["lines"] = fill(
            "billing_invoiceline",
            {
                "invoice_id": "i.id",
                "position": "l.n",
                "product_id": "p.id",
                "description": "p.name",
                "unit": "'cái'",
                "quantity": "1 + (i.id + l.n) %% 3",
                "unit_price": "round(a.amount / (1 + (i.id + l.n) %% 3))",
                "vat_rate": "'8'",
                "amount": "a.amount",
                "vat_amount": "a.amount * 0.08",
            },
            """FROM billing_invoice i CROSS JOIN generate_series(0, 1) l(n)
            CROSS JOIN LATERAL (SELECT i.id AS g) gg
            JOIN catalog_product p ON p.id = (%s::bigint[])[(1 + (i.id * 7 + l.n * 31) %% %s)::int]
            CROSS JOIN LATERAL (SELECT CASE WHEN l.n = 0 THEN round(i.subtotal * 0.6)
                ELSE i.subtotal - round(i.subtotal * 0.6) END AS amount) a""",
            [products, len(products)],
        )
    with transaction.atomic():
        timings["receipts"] = fill(
            "billing_payment",
            {
                "owner_id": "i.owner_id",
                "team_id": "i.team_id",
                "created_at": "i.paid_at",
                "updated_at": "i.paid_at",
                "version": "1",
                "number": "'PT-B-' || i.id",
                "kind": "'receipt'",
                "method": "'bank_transfer'",
                "amount": "i.total",
                "paid_at": "i.paid_at",
                "allocated_total": "i.total",
                "contact_id": "i.contact_id",
            },
            "FROM billing_invoice i CROSS JOIN LATERAL (SELECT i.id AS g) gg WHERE i.paid_at IS NOT NULL",
        )
    with transaction.atomic():
        timings["first_receipts"] = _execute(
            """
            UPDATE customers_contact c SET first_receipt_id = f.id, first_receipt_at = f.paid_at
            FROM (
                SELECT DISTINCT ON (contact_id) contact_id, id, paid_at FROM billing_payment
                WHERE kind = 'receipt' AND deleted_at IS NULL AND contact_id IS NOT NULL
                ORDER BY contact_id, paid_at, id
            ) f
            WHERE c.id = f.contact_id
            """
        )
    timings["vacuum_contacts"] = _execute("VACUUM FULL customers_contact")
    from sencrm.marketing.facts import rebuild

    started = time.perf_counter()
    rebuild()
    timings["facts"] = time.perf_counter() - started
    timings["events"] = _events()
    timings.update(
        _sales_and_service(users, owners, first_contact, count, leads, deals, tickets, work_orders, days)
    )
    written = [
        "catalog_category",
        "catalog_product",
        "customers_customergroup",
        "marketing_campaign",
        "customers_contact",
        "billing_invoice",
        "billing_invoiceline",
        "billing_payment",
        "marketing_receiptfact",
        "events_event",
        "sales_lead",
        "sales_opportunity",
        "support_ticketcategory",
        "support_ticket",
        "support_review",
        "fieldservice_workorder",
    ]
    timings["vacuum"] = sum(_execute(f"VACUUM {table}") for table in written)
    started = time.perf_counter()
    analyze(written)
    timings["analyze"] = time.perf_counter() - started
    return {key: round(value, 1) for key, value in timings.items()}


def _events() -> float:
    """The event log the funnel reads, at a realistic size: each contact's creation (at the stage it was
    created in: target, prospect or customer), a change to prospect for a third of them, and an
    `invoice.created` for every invoice (what the spine writes; the funnel must not read those)."""
    from django.contrib.contenttypes.models import ContentType
    from django.db import transaction

    from sencrm.billing.models import Invoice
    from sencrm.customers.models import Contact

    contact_type = ContentType.objects.get_for_model(Contact).pk
    invoice_type = ContentType.objects.get_for_model(Invoice).pk
    common = {"actor_label": "''", "subject_repr": "''", "customer_type_id": str(contact_type)}
    with transaction.atomic():
        took = fill(
            "events_event",
            {
                **common,
                "type": "'contact.created'",
                "subject_type_id": str(contact_type),
                "subject_id": "c.id",
                "customer_id": "c.id",
                "occurred_at": "c.created_at",
                "data": """jsonb_build_object('record', jsonb_build_object('lifecycle_stage',
                    (ARRAY['target','prospect','customer'])[1 + c.id %% 3]))""",
            },
            "FROM customers_contact c CROSS JOIN LATERAL (SELECT c.id AS g) gg",
        )
        took += fill(
            "events_event",
            {
                **common,
                "type": "'contact.updated'",
                "subject_type_id": str(contact_type),
                "subject_id": "c.id",
                "customer_id": "c.id",
                "occurred_at": "c.created_at + interval '10 day'",
                "data": """'{"changes": {"lifecycle_stage": ["target", "prospect"]}}'::jsonb""",
            },
            "FROM customers_contact c CROSS JOIN LATERAL (SELECT c.id AS g) gg WHERE c.id %% 3 = 0",
        )
        took += fill(
            "events_event",
            {
                **common,
                "type": "'invoice.created'",
                "subject_type_id": str(invoice_type),
                "subject_id": "i.id",
                "customer_id": "i.contact_id",
                "occurred_at": "i.created_at",
                "data": "'{}'::jsonb",
            },
            "FROM billing_invoice i CROSS JOIN LATERAL (SELECT i.id AS g) gg",
        )
    return took


def _sales_and_service(
    users: dict[str, Any],
    owners: list[int],
    first_contact: int,
    count: int,
    leads: int,
    deals: int,
    tickets: int,
    work_orders: int,
    days: int,
) -> dict[str, float]:
    from django.db import transaction

    from sencrm.support.models import SlaPolicy

    timings: dict[str, float] = {}
    g_series = "FROM generate_series(1::bigint, %s) g"
    sources = _ids("SELECT id FROM customers_sourcechannel ORDER BY id")
    campaigns = _ids("SELECT id FROM marketing_campaign ORDER BY id")
    with transaction.atomic():
        timings["leads"] = fill(
            "sales_lead",
            {
                "owner_id": "CASE WHEN g %% 2 = 0 THEN %s ELSE %s END",
                "team_id": "CASE WHEN g %% 2 = 0 THEN %s ELSE %s END",
                "created_at": "now() - ((g * 104729) %% (%s * 24)) * interval '1 hour'",
                "updated_at": "now()",
                "version": "1",
                "full_name": "'Lead ' || g",
                "sort_key": "'lead ' || g",
                "status": "(ARRAY['new','working','qualified','unqualified','converted'])[1 + g %% 5]",
                "converted_at": (
                    "CASE WHEN g %% 5 = 4 THEN now() - ((g * 104729) %% (%s * 24)) * interval '1 hour' END"
                ),
                "score_details": "'[]'::jsonb",
                "custom_field_data": "'{}'::jsonb",
                "utm": "'{}'::jsonb",
                "source_id": "(%s::bigint[])[(1 + g %% %s)::int]",
                "first_campaign_id": "CASE WHEN g %% 3 <> 0 THEN (%s::bigint[])[(1 + g %% %s)::int] END",
                "first_touch_at": "now() - ((g * 104729) %% (%s * 24)) * interval '1 hour'",
            },
            g_series,
            [
                *owners[:2],
                *owners[2:],
                days,
                days,
                sources,
                len(sources),
                campaigns,
                len(campaigns),
                days,
                leads,
            ],
        )
    stages = _ids(
        "SELECT s.id FROM sales_stage s JOIN sales_pipeline p ON p.id = s.pipeline_id "
        "WHERE p.id = (SELECT min(id) FROM sales_pipeline) ORDER BY s.position, s.id"
    )
    pipeline = _ids("SELECT min(id) FROM sales_pipeline")[0]
    with transaction.atomic():
        timings["opportunities"] = fill(
            "sales_opportunity",
            {
                "owner_id": "CASE WHEN g %% 2 = 0 THEN %s ELSE %s END",
                "team_id": "CASE WHEN g %% 2 = 0 THEN %s ELSE %s END",
                "created_at": "d.day",
                "updated_at": "d.day",
                "version": "1",
                "name": "'Cơ hội ' || g",
                "pipeline_id": str(pipeline),
                "stage_id": "(%s::bigint[])[(1 + g %% %s)::int]",
                "status": "(ARRAY['open','won','lost'])[1 + g %% 3]",
                "amount": "(5 + g %% 50) * 1000000",
                "probability": "(g %% 10) * 10",
                "expected_close_date": "(d.day + interval '45 day')::date",
                "closed_at": (
                    "CASE WHEN g %% 3 <> 0 THEN LEAST(now(), d.day + (g %% 60) * interval '1 day') END"
                ),
                "contact_id": "%s + (g * 2654435761) %% %s",
                "custom_field_data": "'{}'::jsonb",
            },
            f"""{g_series}
            CROSS JOIN LATERAL (SELECT now() - ((g * 7919) %% %s) * interval '1 day' AS day) d""",
            [*owners[:2], *owners[2:], stages, len(stages), first_contact, count, deals, days],
        )
    fill(
        "support_ticketcategory",
        {"name": "'Loại sự cố ' || g", "position": "g", "active": "true"},
        g_series,
        [8],
    )
    categories = _ids("SELECT id FROM support_ticketcategory ORDER BY id")
    policy = SlaPolicy.objects.create(
        name="Bench", priority="normal", first_response_minutes=240, resolution_minutes=1440
    )
    with transaction.atomic():
        timings["tickets"] = fill(
            "support_ticket",
            {
                "owner_id": str(users["care"].pk),
                "created_at": "d.day",
                "updated_at": "d.day",
                "version": "1",
                "number": "'TK-B-' || g",
                "subject": "'Sự cố ' || g",
                "contact_id": "%s + (g * 2654435761) %% %s",
                "priority": "'normal'",
                "category_id": "(%s::bigint[])[(1 + g %% %s)::int]",
                "channel": "(ARRAY['phone','email','zalo','facebook','walk_in','web'])[1 + g %% 6]",
                "status": "CASE WHEN g %% 10 = 0 THEN 'open' ELSE 'resolved' END",
                "line": "CASE WHEN g %% 7 = 0 THEN 'second' ELSE 'first' END",
                "sla_policy_id": str(policy.pk),
                "breached": "g %% 9 = 0",
                "first_responded_at": "d.day + (g %% 300) * interval '1 minute'",
                "first_response_business_minutes": "g %% 300",
                "resolved_at": "CASE WHEN g %% 10 <> 0 THEN d.day + (g %% 3000) * interval '1 minute' END",
                "resolution_business_minutes": "CASE WHEN g %% 10 <> 0 THEN g %% 3000 END",
            },
            f"""{g_series} CROSS JOIN LATERAL (SELECT now() - ((g * 7919) %% (%s * 24)) * interval '1 hour'
                AS day) d""",
            [first_contact, count, categories, len(categories), tickets, days],
        )
    with transaction.atomic():
        timings["reviews"] = fill(
            "support_review",
            {
                "owner_id": str(users["care"].pk),
                "created_at": "t.resolved_at",
                "updated_at": "t.resolved_at",
                "version": "1",
                "contact_id": "t.contact_id",
                "ticket_id": "t.id",
                "kind": "CASE WHEN t.id %% 5 = 0 THEN 'nps' ELSE 'csat' END",
                "score": "CASE WHEN t.id %% 5 = 0 THEN t.id %% 11 ELSE 1 + t.id %% 5 END",
                "answered_at": "t.resolved_at + interval '1 day'",
            },
            "FROM support_ticket t CROSS JOIN LATERAL (SELECT t.id AS g) gg "
            "WHERE t.resolved_at IS NOT NULL AND t.id %% 2 = 0 AND t.resolved_at < now() - interval '1 day'",
        )
    technician = users.get("tech")
    with transaction.atomic():
        timings["work_orders"] = fill(
            "fieldservice_workorder",
            {
                "owner_id": str(users["care"].pk),
                "created_at": "d.day",
                "updated_at": "d.day",
                "version": "1",
                "number": "'CV-B-' || g",
                "contact_id": "%s + (g * 2654435761) %% %s",
                "kind": "(ARRAY['install','repair','warranty_repair','maintenance'])[1 + g %% 4]",
                "status": "CASE WHEN g %% 10 = 0 THEN 'failed' ELSE 'done' END",
                "technician_id": "%s" if technician else "NULL",
                "chargeable": "g %% 4 = 1",
                "minutes_spent": "30 + g %% 120",
                "finished_at": "d.day + interval '2 hour'",
            },
            f"""{g_series} CROSS JOIN LATERAL (SELECT now() - interval '3 hour'
                - ((g * 7919) %% (%s * 24)) * interval '1 hour' AS day) d""",
            [first_contact, count, *([_technician_id(technician)] if technician else []), work_orders, days],
        )
    return timings


def _technician_id(user: Any) -> int:
    from sencrm.fieldservice.models import Technician

    technician, _created = Technician.objects.get_or_create(user=user)
    return int(technician.pk)


def measure(name: str, label: str, call: Callable[[], Any], requests: int, target: float) -> dict[str, Any]:
    call()  # warm-up: plans, caches
    wall: list[float] = []
    failures: list[str] = []
    for _ in range(requests):
        started = time.perf_counter()
        try:
            problem = call()
        except Exception as exc:  # noqa: BLE001 - recorded, the run goes on
            problem = repr(exc)
        wall.append((time.perf_counter() - started) * 1000)
        if problem:
            failures.append(str(problem)[:200])
    p95 = statistics.quantiles(wall, n=20, method="inclusive")[18] if len(wall) > 1 else wall[0]
    row = {
        "name": name,
        "label": label,
        "requests": requests,
        "failures": len(failures),
        "failure_examples": failures[:3],
        "p50_ms": round(statistics.median(wall), 1),
        "p95_ms": round(p95, 1),
        "max_ms": round(max(wall), 1),
        "mean_ms": round(statistics.fmean(wall), 1),
        "target_p95_ms": target,
        "passed": p95 <= target,
    }
    mark = "" if row["passed"] and not failures else "  <-- " + ("errors" if failures else "slow")
    log(f"  {label}: p50 {row['p50_ms']:.0f} ms, p95 {row['p95_ms']:.0f} ms{mark}")
    return row


def explain(call: Callable[[], Any]) -> list[dict[str, Any]]:
    """EXPLAIN (ANALYZE) of the queries over 100 ms that a call runs."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        call()
    plans = []
    with connection.cursor() as cursor:
        for query in captured.captured_queries:
            sql = query["sql"]
            if not sql.lstrip().upper().startswith("SELECT") or float(query["time"]) < 0.1:
                continue
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
            plans.append(
                {"seconds": float(query["time"]), "sql": sql, "plan": [r[0] for r in cursor.fetchall()]}
            )
    return plans


REVENUE_GROUPS = (
    "employee",
    "team",
    "product",
    "category",
    "region",
    "province",
    "customer_group",
    "age_band",
    "channel",
    "campaign",
    "month",
)


def run(requests: int) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    from django.test import Client
    from django.utils import timezone

    from sencrm.reports import base
    from sencrm.users.models import User

    board = User.objects.get(username="board")
    manager = User.objects.get(username="manager")
    today = timezone.localdate()
    year = {"period": "year", "date": today.isoformat()}

    def report(user: Any, name: str, **query: str) -> Callable[[], str | None]:
        def call() -> str | None:
            params = base.parse_params(base.get_report(name), {**year, **query})
            result = base.run(user, name, params)
            return None if result.rows else "no rows"

        return call

    rows: list[dict[str, Any]] = []
    timed: dict[str, Callable[[], Any]] = {}

    def add(name: str, label: str, call: Callable[[], Any], target: float = REPORT_TARGET_MS) -> None:
        timed[name] = call
        rows.append(measure(name, label, call, requests, target))

    for group in REVENUE_GROUPS:
        add(f"revenue_{group}", f"revenue by {group} (board)", report(board, "revenue", group_by=group))
    add("best_sellers", "best-sellers (board)", report(board, "best-sellers"))
    add("funnel", "funnel by source (board)", report(board, "funnel"))
    add("sales", "sales by employee (board)", report(board, "sales"))
    add("retention", "retention by month (board)", report(board, "retention"))
    add("retention_year", "retention by year (board)", report(board, "retention", group_by="year"))
    add("cohorts", "cohorts (board)", report(board, "cohorts"))
    add("rfm", "rfm (board)", report(board, "rfm"))
    add("sla", "sla by category (board)", report(board, "sla"))
    add("csat", "csat (board)", report(board, "csat"))
    add("service", "service (board)", report(board, "service"))
    add("revenue_employee_team", "revenue by employee (manager, team)", report(manager, "revenue"))
    add("retention_team", "retention by month (manager, team)", report(manager, "retention"))
    add("rfm_team", "rfm (manager, team)", report(manager, "rfm"))

    client = Client(SERVER_NAME="localhost")
    client.force_login(board)

    def api(name: str) -> Callable[[], str | None]:
        def call() -> str | None:
            response = client.get(f"/api/v1/reports/{name}/", year)
            if response.status_code != 200:
                return f"HTTP {response.status_code}"
            return None if "totals" in response.json() else "no totals"

        return call

    for name in ("revenue", "best-sellers", "funnel", "retention", "cohorts", "rfm", "sla", "csat"):
        add(f"api_{name}", f"GET /api/v1/reports/{name}/?period=year", api(name))

    def page(url: str) -> Callable[[], str | None]:
        def call() -> str | None:
            response = client.get(url)
            return None if response.status_code == 200 else f"HTTP {response.status_code}"

        return call

    add("dashboard", "GET /reports/dashboard/ (board)", page("/reports/dashboard/"), DASHBOARD_TARGET_MS)
    add("home", "GET / (board's home: the dashboard)", page("/"), DASHBOARD_TARGET_MS)
    add("revenue_page", "GET /reports/revenue/?period=year (page)", page("/reports/revenue/?period=year"))
    slowest = max((r for r in rows if r["name"] in timed), key=lambda r: r["p95_ms"])
    findings = {"slowest": slowest["name"], "explain_slowest": explain(timed[slowest["name"]])}
    return rows, findings


def main() -> None:
    invoices = int(os.environ.get("REPORTS_INVOICES") or 1_000_000)
    contacts = int(os.environ.get("REPORTS_CONTACTS") or 300_000)
    leads = int(os.environ.get("REPORTS_LEADS") or 200_000)
    deals = int(os.environ.get("REPORTS_DEALS") or 100_000)
    tickets = int(os.environ.get("REPORTS_TICKETS") or 200_000)
    work_orders = int(os.environ.get("REPORTS_WORK_ORDERS") or 50_000)
    days = int(os.environ.get("REPORTS_DAYS") or 1095)
    requests = int(os.environ.get("REPORTS_REQUESTS") or 5)
    reuse = os.environ.get("REPORTS_REUSE") == "1"
    if requests < 2:
        raise SystemExit("REPORTS_REQUESTS must be at least 2.")
    sys.path.insert(0, str(ROOT))
    from bench.run import database_version, module_database_url, prepare_environment, table

    url = module_database_url("reports")
    if not url:
        raise SystemExit(
            "The reports benchmark runs on PostgreSQL: set DATABASE_URL or REPORTS_DATABASE_URL."
        )
    keep_data = bool(os.environ.get("REPORTS_DATA_DIR"))
    data_dir = prepare_environment("reports", url, reuse=reuse)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    try:
        started = timezone.localtime()
        call_command("migrate", verbosity=0)
        log(
            f"Sen CRM reports benchmark: {invoices:,} invoices, {2 * invoices:,} lines, "
            f"{contacts:,} contacts, {requests} requests each, {database_version()}"
        )
        load: dict[str, Any] | None = None
        if not reuse:
            load_started = time.perf_counter()
            load = generate(
                contacts=contacts,
                invoices=invoices,
                leads=leads,
                deals=deals,
                tickets=tickets,
                work_orders=work_orders,
                days=days,
            )
            load["total"] = round(time.perf_counter() - load_started, 1)
            log(f"generated in {load['total']:.0f} s: {load}")
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM billing_invoice")
            counted_invoices = cursor.fetchone()[0]
            cursor.execute("SELECT count(*) FROM billing_invoiceline")
            counted_lines = cursor.fetchone()[0]
        log(f"{counted_invoices:,} invoices, {counted_lines:,} lines")
        rows, findings = run(requests)
        report = {
            "benchmark": "reports",
            "vendor": connection.vendor,
            "database": database_version(),
            "invoices": counted_invoices,
            "lines": counted_lines,
            "contacts": contacts,
            "requests": requests,
            "started_at_local": started.isoformat(timespec="seconds"),
            "machine": {
                "cores": os.cpu_count(),
                "python": platform.python_version(),
                "django": django.get_version(),
                "platform": platform.platform(),
                "load_average": round(os.getloadavg()[0], 2),
            },
            "reused_database": reuse,
            "load_seconds": load,
            "results": rows,
            "findings": findings,
        }
        print()
        print(table(rows))
        print()
        results = ROOT / "bench" / "results"
        results.mkdir(parents=True, exist_ok=True)
        path = results / f"{connection.vendor}-{invoices}-reports-{started.strftime('%Y%m%d-%H%M%S')}.json"
        path.write_text(
            json.dumps(report, ensure_ascii=False, indent=2, default=str) + "\n", encoding="utf-8"
        )
        log(f"results: {path.relative_to(ROOT)}")
        failed = [r["name"] for r in rows if r["failures"] or r["passed"] is False]
        if failed:
            log(f"targets missed or errors: {', '.join(failed)}")
    finally:
        if not keep_data:
            shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
