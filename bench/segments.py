"""The segments benchmark (issue 16): a segment's live count over SEGMENTS_CONTACTS contacts on PostgreSQL.

    BENCH=segments DATABASE_URL=postgresql://postgres@127.0.0.1:5432/sencrm_bench make bench
    BENCH=segments SEGMENTS_CONTACTS=100000 DATABASE_URL=… make bench
    SEGMENTS_REUSE=1 BENCH=segments DATABASE_URL=… make bench     # measure again, no drop, no load

It runs in a process of its own (bench/run.py starts it) on the PostgreSQL database
SEGMENTS_DATABASE_URL, by default DATABASE_URL's with "_segments" added to its name, dropped, created and
migrated (bench/run.py: module_database_url, prepare_environment). PostgreSQL only: the data are
generated in SQL (INSERT … SELECT generate_series), then the tables written are VACUUMed (the visibility
map a live table kept by autovacuum has) and ANALYZEd (autovacuum may be off).

The data: the demo organisation and the reference lists (34 provinces, source channels); SEGMENTS_CONTACTS
(1,000,000) contacts owned two fifths by sales1 (team Hà Nội), two fifths by sales2 (team TP.HCM) and a
fifth by the manager (team Hà Nội), spread over the 34 provinces, the five lifecycle stages (half
customers), the genders (a sixth blank), born 1950–2006 (10 % unknown), created over the last three
years; three tags on 200,000 contacts (100,000 / 60,000 / 40,000); the consent ledger: 300,000 contacts
asked for email marketing (80 % granted), 100,000 of them asked again later (60 % withdrawn) — 400,000
rows; SEGMENTS_ACTIVITIES (150,000) done calls and meetings over the last two years; the catalogue
"Điều hòa › Treo tường" (12 products) and "Dịch vụ › Bảo trì" (8 services); SEGMENTS_ORDERS (400,000)
orders of 300,000 distinct contacts (a third of them twice), issued over the last three years, 80 %
confirmed, partly delivered or delivered, each with one line (60 % an air conditioner, 40 % a maintenance
service); and ten saved dynamic segments. No accounts: the purchase rule's company branch finds nothing.

Measured (SEGMENTS_REQUESTS, default 10, after one warm-up), all through `sencrm.marketing.segments`:
`count()` of the five-rule segment (region, lifecycle stage, age bands, consent, an air conditioner bought
more than 170 days ago) as marketing (all), the manager (team) and sales1 (own); the maintenance segment
(an air conditioner bought more than 170 days ago, no maintenance within 170 days); an activity segment
(no call in 90 days, tagged); and `counts()` of a page of the ten saved segments. Target: p95 ≤ 2 s for
every `count()`. Saved with the results: EXPLAIN (ANALYZE, BUFFERS) of each operation's query, the
counts' p50 again under `SET LOCAL jit = off`, a "bought anything" count under a 30 s statement timeout
(a set too large to hash: diagnostics), and the server settings the plans depend on.

Results: a table, and JSON in bench/results/postgresql-<contacts>-segments-<stamp>.json.
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
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TARGET_MS = 2000.0
TAGS = ("Bench VIP", "Bench Zalo OA", "Bench hội chợ")
SEGMENT_PREFIX = "Bench · "
# Permutations of the contacts (multipliers prime to 10^n): each picks distinct contacts for its rows.
ORDERS_HASH, CONSENT_HASH, ACTIVITY_HASH = 7919, 104729, 2654435761
TAG_HASHES = (15485863, 32452843, 49979687)
TAG_LINKS = (100_000, 60_000, 40_000)  # per 1,000,000 contacts
AC_PRODUCTS, SERVICE_PRODUCTS = 12, 8


def log(line: str) -> None:
    print(line, flush=True)


def _execute(sql: str, params: list[Any] | None = None) -> float:
    from django.db import connection

    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])
    return time.perf_counter() - started


def _catalogue(admin: Any) -> dict[str, Any]:
    """The category tree and its 20 products, through the catalogue's services (they are few)."""
    from sencrm.catalog.services import category_create, product_create

    cooling = category_create(actor=admin, name="Điều hòa")
    wall = category_create(actor=admin, name="Treo tường", parent=cooling)
    service = category_create(actor=admin, name="Dịch vụ")
    upkeep = category_create(actor=admin, name="Bảo trì", parent=service)
    products = []
    for n in range(1, AC_PRODUCTS + 1):
        products.append(
            product_create(
                actor=admin,
                data={
                    "code": f"BENCH-DH-{n:02d}",
                    "name": f"Điều hòa treo tường {9000 + 3000 * (n % 4)} BTU mẫu {n}",
                    "category": wall,
                    "list_price": Decimal(8_000_000 + 1_000_000 * n),
                    "warranty_months": 24,
                    "maintenance_months": 6,
                },
            )
        )
    for n in range(1, SERVICE_PRODUCTS + 1):
        products.append(
            product_create(
                actor=admin,
                data={
                    "code": f"BENCH-BT-{n:02d}",
                    "name": f"Vệ sinh, bảo dưỡng điều hòa gói {n}",
                    "category": upkeep,
                    "kind": "service",
                    "unit": "lần",
                    "list_price": Decimal(250_000 + 50_000 * n),
                },
            )
        )
    return {"cooling": cooling.pk, "upkeep": upkeep.pk, "products": [p.pk for p in products]}


def generate(*, contacts: int, orders: int, activities: int) -> dict[str, Any]:
    """Everything in SQL, one transaction per table; the few catalogue rows and segments through the
    services; then VACUUM and ANALYZE."""
    from django.db import connection, transaction

    from sencrm.core.db import analyze
    from sencrm.customers.choices import Gender, LifecycleStage
    from sencrm.customers.models import Province, SourceChannel, Tag
    from sencrm.demo.organisation import load_organisation

    timings: dict[str, float] = {}
    started = time.perf_counter()
    users = load_organisation()
    sales1, sales2, manager, admin = users["sales1"], users["sales2"], users["manager"], users["admin"]
    hanoi, hcm = sales1.teams.first(), sales2.teams.first()
    provinces = list(Province.objects.order_by("id").values_list("id", flat=True))
    sources = list(SourceChannel.objects.order_by("id").values_list("id", flat=True))
    tags = [Tag.objects.get_or_create(name=name)[0].pk for name in TAGS]
    with transaction.atomic():
        catalogue = _catalogue(admin)
    timings["organisation_catalogue"] = time.perf_counter() - started
    # Half the contacts customers; the other stages share the rest.
    stages = [LifecycleStage.CUSTOMER] * 5 + [
        LifecycleStage.LEAD,
        LifecycleStage.LEAD,
        LifecycleStage.PROSPECT,
        LifecycleStage.TARGET,
        LifecycleStage.INACTIVE,
    ]
    genders = [Gender.FEMALE, Gender.MALE, Gender.FEMALE, Gender.MALE, Gender.OTHER, ""]
    # Contact g (1…N): owner by g % 5, the attributes by other hashes of g so that they are independent.
    with transaction.atomic():
        timings["customers_contact"] = _execute(
            """
            INSERT INTO customers_contact (owner_id, team_id, created_at, updated_at, version, ward, street,
                lifecycle_stage, notes, custom_field_data, search_key, primary_phone, primary_email,
                full_name, family_name, middle_name, given_name, sort_key, gender, title, date_of_birth,
                province_id, source_id)
            SELECT o.owner_id, o.team_id, c.created, c.created, 1, '', '',
                (%s::text[])[(1 + (g * 31) %% 10)::int], '', '{}', '', '', '',
                'Khách ' || g, 'Khách', '', g::text, g::text || ' khach',
                (%s::text[])[(1 + (g * 17) %% 6)::int], '',
                CASE WHEN (g * 13) %% 10 <> 3 THEN DATE '1950-01-01' + ((g * 7919) %% 20818)::int END,
                (%s::bigint[])[(1 + (g * 7) %% %s)::int], (%s::bigint[])[(1 + (g * 11) %% %s)::int]
            FROM generate_series(1::bigint, %s) g,
                LATERAL (SELECT CASE g %% 5 WHEN 0 THEN %s WHEN 1 THEN %s WHEN 2 THEN %s WHEN 3 THEN %s
                    ELSE %s END AS owner_id,
                    CASE WHEN g %% 5 IN (2, 3) THEN %s ELSE %s END AS team_id) o,
                LATERAL (SELECT now() - ((g * 104729) %% (1095 * 24)) * interval '1 hour' AS created) c
            """,
            [
                [str(s) for s in stages],
                [str(x) for x in genders],
                provinces,
                len(provinces),
                sources,
                len(sources),
                contacts,
                sales1.pk,
                sales1.pk,
                sales2.pk,
                sales2.pk,
                manager.pk,
                hcm.pk,
                hanoi.pk,
            ],
        )
    with connection.cursor() as cursor:
        cursor.execute("SELECT min(id), max(id) FROM customers_contact")
        first, last = cursor.fetchone()
    count = last - first + 1
    # Each tag on its own permutation of the contacts: no (contact, tag) twice.
    with transaction.atomic():
        timings["customers_contact_tags"] = sum(
            _execute(
                """
                INSERT INTO customers_contact_tags (contact_id, tag_id)
                SELECT %s::bigint + (k * %s::bigint) %% %s, %s FROM generate_series(0::bigint, %s - 1) k
                """,
                [first, factor, count, tag, min(links * contacts // 1_000_000, count)],
            )
            for tag, factor, links in zip(tags, TAG_HASHES, TAG_LINKS, strict=True)
        )
    # Row k < 300,000 (scaled): the first answer of contact perm(k), 80 % granted, 1–23 months ago; rows
    # beyond: a later answer of the first third of them, 1–30 days after the first, 60 % withdrawals.
    asked = min(contacts * 3 // 10, count)
    again = asked // 3
    with transaction.atomic():
        timings["customers_consentrecord"] = _execute(
            """
            INSERT INTO customers_consentrecord (contact_id, lead_id, channel, purpose, granted, at, source,
                evidence, recorded_at, recorded_by_id)
            SELECT %s::bigint + (k * %s::bigint) %% %s, NULL, 'email', 'marketing',
                CASE WHEN g < %s THEN (k * 7) %% 5 <> 0 ELSE k %% 5 < 2 END,
                f.at + CASE WHEN g < %s THEN interval '0' ELSE (1 + k %% 30) * interval '1 day' END,
                CASE WHEN g < %s THEN 'web_form' ELSE 'unsubscribe' END, '', now(), NULL
            FROM generate_series(0::bigint, %s - 1) g,
                LATERAL (SELECT g %% %s AS k) kk,
                LATERAL (SELECT now() - ((k * 7919) %% 700 + 31) * interval '1 day'
                    - (k %% 24) * interval '1 hour' AS at) f
            """,
            [first, CONSENT_HASH, count, asked, asked, asked, asked + again, asked],
        )
    with transaction.atomic():
        timings["activities_activity"] = _execute(
            """
            INSERT INTO activities_activity (owner_id, team_id, created_at, updated_at, version, kind,
                subject, description, status, contact_id, due_at, completed_at, direction, outcome,
                recording_url, place, duration_seconds)
            SELECT c.owner_id, c.team_id, t.at, t.at, 1, CASE WHEN g %% 2 = 0 THEN 'call' ELSE 'meeting' END,
                CASE WHEN g %% 2 = 0 THEN 'Gọi chăm sóc khách ' ELSE 'Gặp khách ' END || g, '', 'done', c.id,
                t.at, t.at, CASE WHEN g %% 2 = 0 THEN 'outbound' ELSE '' END,
                CASE WHEN g %% 2 = 0 THEN 'answered' ELSE '' END, '', '',
                CASE WHEN g %% 2 = 0 THEN 60 + g %% 600 END
            FROM generate_series(1::bigint, %s) g
            JOIN customers_contact c ON c.id = %s::bigint + (g * %s::bigint) %% %s
            CROSS JOIN LATERAL (SELECT now() - ((g * 7919) %% (730 * 24)) * interval '1 hour' AS at) t
            """,
            [activities, first, ACTIVITY_HASH, count],
        )
    # Order g: of contact perm((g - 1) % buyers), so `buyers` distinct contacts, some more than once.
    buyers = min(orders * 3 // 4, count)
    statuses = (
        ["draft", "cancelled"] + ["partly_delivered"] * 2 + ["confirmed"] * 7 + ["delivered"] * 9
    )  # 20: 80 % confirmed, partly delivered or delivered
    with transaction.atomic():
        timings["commerce_order"] = _execute(
            """
            INSERT INTO commerce_order (owner_id, team_id, created_at, updated_at, version, number,
                contact_id, issue_date, currency, discount_percent, discount_amount, subtotal, discount_total,
                vat_total, total, notes, search_key, status, delivery_address, cancelled_reason, confirmed_at,
                promotion_code, promotion_name, promotion_discount)
            SELECT c.owner_id, c.team_id, d.day, d.day, 1, 'DH-B' || g, c.id, d.day::date, 'VND', 0, 0,
                round(m.total / 1.1), 0, m.total - round(m.total / 1.1), m.total, '', '', s.status, '', '',
                CASE WHEN s.status NOT IN ('draft', 'cancelled') THEN d.day END, '', '', 0
            FROM generate_series(1::bigint, %s) g
            JOIN customers_contact c ON c.id = %s::bigint + ((g - 1) %% %s * %s::bigint) %% %s
            CROSS JOIN LATERAL (SELECT (%s::text[])[(1 + (g * 7) %% 20)::int] AS status) s
            CROSS JOIN LATERAL (SELECT (5 + (g * 13) %% 40) * 1000000::numeric AS total) m
            CROSS JOIN LATERAL (SELECT date_trunc('day', now()) - ((g * 104729) %% 1095) * interval '1 day'
                AS day) d
            """,
            [orders, first, buyers, ORDERS_HASH, count, statuses],
        )
    # One line each: 12 of 20 an air conditioner, 8 of 20 a maintenance service.
    with transaction.atomic():
        timings["commerce_orderline"] = _execute(
            """
            INSERT INTO commerce_orderline (order_id, position, section, product_id, description, unit,
                quantity, unit_price, discount_percent, discount_amount, vat_rate, vat_reducible, amount,
                vat_amount, delivered_quantity, promotion_discount, promotion_gift)
            SELECT o.id, 0, '', p.id, p.name, p.unit, 1, o.subtotal, 0, 0, '10', false, o.subtotal,
                o.vat_total, CASE WHEN o.status = 'delivered' THEN 1 ELSE 0 END, 0, false
            FROM commerce_order o
            JOIN catalog_product p ON p.id = (%s::bigint[])[(1 + (o.id * 7) %% %s)::int]
            WHERE o.number LIKE 'DH-B%%'
            """,
            [catalogue["products"], len(catalogue["products"])],
        )
    started = time.perf_counter()
    with transaction.atomic():
        _saved_segments(users["marketing"], _ids())
    timings["marketing_segment"] = time.perf_counter() - started
    written = [
        "customers_tag",
        "customers_contact",
        "customers_contact_tags",
        "customers_consentrecord",
        "activities_activity",
        "catalog_category",
        "catalog_product",
        "commerce_order",
        "commerce_orderline",
        "marketing_segment",
    ]
    # What autovacuum does to a table after inserts (the visibility map: index-only scans), off here.
    timings["vacuum"] = sum(_execute(f"VACUUM {table}") for table in written)
    started = time.perf_counter()
    analyze(written)
    timings["analyze"] = time.perf_counter() - started
    return {key: round(value, 1) for key, value in timings.items()}


def _ids() -> dict[str, Any]:
    """The tags and categories the rules name (also on a reused database)."""
    from sencrm.catalog.models import Category
    from sencrm.customers.models import Tag

    tags = dict(Tag.objects.filter(name__in=TAGS).values_list("name", "pk"))
    cooling = Category.objects.filter(name="Điều hòa", parent=None).values_list("pk", flat=True).first()
    upkeep = (
        Category.objects.filter(name="Bảo trì", parent__name="Dịch vụ").values_list("pk", flat=True).first()
    )
    if len(tags) < len(TAGS) or cooling is None or upkeep is None:
        raise SystemExit("The database lacks the benchmark's tags or categories: run without SEGMENTS_REUSE.")
    return {"tags": [tags[name] for name in TAGS], "cooling": cooling, "upkeep": upkeep}


def rule(field: str, op: str, value: Any = None) -> dict[str, Any]:
    return {"field": field, "op": op, "value": value}


def five_rules(ids: dict[str, Any]) -> dict[str, Any]:
    """Issue 16's segment: five rules, one of them a purchase."""
    return {
        "match": "all",
        "rules": [
            rule("region", "in", ["north"]),
            rule("lifecycle_stage", "in", ["customer"]),
            rule("age_band", "in", ["25_34", "35_44"]),
            rule("consent", "granted", {"channel": "email", "purpose": "marketing"}),
            rule("purchase", "bought", {"category": [ids["cooling"]], "more_than_days_ago": 170}),
        ],
    }


def maintenance_rules(ids: dict[str, Any]) -> dict[str, Any]:
    """The seeds' maintenance segment (demo: 180 days; here 170): an air conditioner bought long ago, no
    maintenance since."""
    return {
        "match": "all",
        "rules": [
            rule("purchase", "bought", {"category": [ids["cooling"]], "more_than_days_ago": 170}),
            rule("purchase", "not_bought", {"category": [ids["upkeep"]], "within_days": 170}),
        ],
    }


def activity_rules(ids: dict[str, Any]) -> dict[str, Any]:
    return {
        "match": "all",
        "rules": [
            rule("activity", "none_within_days", {"kind": "call", "days": 90}),
            rule("tags", "any", [ids["tags"][0]]),
        ],
    }


def saved_rules(ids: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """A page of ten saved dynamic segments: the measured three and seven others a marketer keeps."""

    def every(*rules: dict[str, Any]) -> dict[str, Any]:
        return {"match": "all", "rules": list(rules)}

    return [
        ("Năm điều kiện, có mua hàng", five_rules(ids)),
        ("Mua điều hòa > 170 ngày chưa bảo trì", maintenance_rules(ids)),
        ("Không gọi 90 ngày, khách VIP", activity_rules(ids)),
        (
            "Khách hàng miền Nam",
            every(rule("region", "in", ["south"]), rule("lifecycle_stage", "in", ["customer"])),
        ),
        ("Sinh nhật tháng này", every(rule("birthday", "this_month"))),
        ("VIP và Zalo OA", every(rule("tags", "all", ids["tags"][:2]))),
        (
            "Chưa đồng ý nhận email, đang tiếp cận",
            every(
                rule("consent", "not_granted", {"channel": "email", "purpose": "marketing"}),
                rule("lifecycle_stage", "in", ["lead", "prospect"]),
            ),
        ),
        ("Nữ dưới 25 tuổi", every(rule("age_band", "in", ["under_25"]), rule("gender", "in", ["female"]))),
        (
            "Hà Nội, tạo trong năm",
            every(rule("region", "in", ["north"]), rule("created_at", "within_last_days", 365)),
        ),
        (
            "Đơn từ 30 triệu trong năm",
            every(rule("purchase", "bought", {"min_amount": 30_000_000, "within_days": 365})),
        ),
    ]


def _saved_segments(marketing: Any, ids: dict[str, Any]) -> list[Any]:
    """The ten saved segments (created through `segment_create` when missing), in page order."""
    from sencrm.marketing.models import Segment
    from sencrm.marketing.segments import segment_create

    out = []
    for name, rules in saved_rules(ids):
        full = SEGMENT_PREFIX + name
        segment = Segment.objects.filter(name=full).first()
        if segment is None:
            segment = segment_create(actor=marketing, data={"name": full, "kind": "dynamic", "rules": rules})
        out.append(segment)
    return out


def measure(
    name: str,
    label: str,
    call: Callable[[], Any],
    requests: int,
    *,
    target: float | None = TARGET_MS,
    check: Callable[[Any], str | None] = lambda value: None,
) -> dict[str, Any]:
    call()  # warm-up: plans, caches
    wall: list[float] = []
    failures: list[str] = []
    value: Any = None
    for _ in range(requests):
        started = time.perf_counter()
        try:
            value = call()
            problem = check(value)
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
        "passed": None if target is None else p95 <= target,
        "result": value,
    }
    log(f"  {label}: p50 {row['p50_ms']:.0f} ms, p95 {row['p95_ms']:.0f} ms → {value}")
    return row


def explain(call: Callable[[], Any]) -> dict[str, Any] | None:
    """EXPLAIN (ANALYZE, BUFFERS) of the slowest SELECT the call runs (the count)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        call()
    queries = [q for q in captured.captured_queries if q["sql"].lstrip().upper().startswith("SELECT")]
    if not queries:
        return None
    slowest = max(queries, key=lambda q: float(q["time"]))
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + slowest["sql"])
        plan = [r[0] for r in cursor.fetchall()]
    return {"seconds": float(slowest["time"]), "queries": len(queries), "sql": slowest["sql"], "plan": plan}


def run(requests: int) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    from sencrm.marketing import segments
    from sencrm.users.models import User

    users = {name: User.objects.get(username=name) for name in ("marketing", "manager", "sales1")}
    ids = _ids()
    saved = _saved_segments(users["marketing"], ids)

    def count(user: Any, rules: dict[str, Any]) -> Callable[[], int]:
        return lambda: segments.count(user, rules)

    def nonzero(value: Any) -> str | None:
        return None if value else "no contact matched"

    def page() -> dict[str, int | None]:
        return {str(k): v for k, v in segments.counts(users["marketing"], saved).items()}

    def all_counted(value: Any) -> str | None:
        missing = [k for k, v in value.items() if v is None]
        return f"segments that did not compile: {missing}" if missing or len(value) != len(saved) else None

    operations: list[tuple[str, str, Callable[[], Any], float | None, Callable[[Any], str | None]]] = [
        ("five_rule_all", "count: five rules with a purchase (marketing, all)",
         count(users["marketing"], five_rules(ids)), TARGET_MS, nonzero),
        ("maintenance_all", "count: AC > 170 days, no maintenance (marketing, all)",
         count(users["marketing"], maintenance_rules(ids)), TARGET_MS, nonzero),
        ("five_rule_team", "count: five rules with a purchase (manager, team)",
         count(users["manager"], five_rules(ids)), TARGET_MS, nonzero),
        ("five_rule_own", "count: five rules with a purchase (sales1, own)",
         count(users["sales1"], five_rules(ids)), TARGET_MS, nonzero),
        ("counts_page", "counts: a page of 10 saved segments (marketing)", page, None, all_counted),
        ("activity_tag", "count: no call in 90 days, tag VIP (marketing, all)",
         count(users["marketing"], activity_rules(ids)), TARGET_MS, nonzero),
    ]  # fmt: skip
    rows = [
        measure(name, label, call, requests, target=target, check=check)
        for name, label, call, target, check in operations
    ]
    log("EXPLAIN (ANALYZE, BUFFERS)…")
    findings: dict[str, Any] = {f"explain_{name}": explain(call) for name, _label, call, _t, _c in operations}
    findings["saved_segments"] = {str(s.pk): s.name for s in saved}
    # The same counts with PostgreSQL's JIT off (diagnostic: these queries' estimated costs pass
    # jit_above_cost, and compiling them can take a large part of their time).
    log("the counts again with jit = off…")
    findings["jit_off_p50_ms"] = {
        name: without_jit(call) for name, _label, call, target, _c in operations if target is not None
    }
    log("a purchase rule over every order (a large set), under a statement timeout…")
    findings["large_set"] = large_set(users["marketing"])
    return rows, findings


LARGE_SET_TIMEOUT_S = 30


def large_set(user: Any) -> dict[str, Any]:
    """Diagnostic: "bought anything" — the purchase rule's set is every confirmed order's contact. A set
    PostgreSQL does not expect to fit in hash_mem (work_mem × hash_mem_multiplier) is not hashed but
    rescanned for every contact: timed once under a statement timeout, with the plan's subplan kinds."""
    from django.db import connection, transaction

    from sencrm.core.db import analytic_query
    from sencrm.marketing import segments

    rules = {"match": "all", "rules": [rule("purchase", "bought", {})]}
    qs = segments.contacts_matching(user, rules)
    sql, params = qs.query.sql_with_params()
    with transaction.atomic():
        _execute(f"SET LOCAL statement_timeout = '{LARGE_SET_TIMEOUT_S}s'")
        with analytic_query(), connection.cursor() as cursor:  # the settings segments.count() runs with
            cursor.execute("EXPLAIN " + sql, params)
            plan = [r[0] for r in cursor.fetchall()]
        started = time.perf_counter()
        try:
            with transaction.atomic():
                value: Any = segments.count(user, rules)
        except Exception as exc:  # noqa: BLE001 - the timeout is the finding
            value = f"{type(exc).__name__}: {str(exc).strip()[:100]}"
        seconds = round(time.perf_counter() - started, 2)
    text = "\n".join(plan)
    hashed = text.count("hashed SubPlan")
    found = {
        "rules": rules,
        "seconds": seconds,
        "result": value,
        "timeout_s": LARGE_SET_TIMEOUT_S,
        "subplans_hashed": hashed,
        "subplans_rescanned": (text.count("SubPlan") - 2 * hashed) // 2,  # each named twice
        "plan": plan,
    }
    log(f"  bought anything: {value} in {seconds} s ({found['subplans_rescanned']} subplans not hashed)")
    return found


def without_jit(call: Callable[[], Any], rounds: int = 3) -> float:
    """p50 of a few calls under SET LOCAL jit = off (after one warm-up)."""
    from django.db import transaction

    wall = []
    with transaction.atomic():
        _execute("SET LOCAL jit = off")
        call()
        for _ in range(rounds):
            started = time.perf_counter()
            call()
            wall.append((time.perf_counter() - started) * 1000)
    return round(statistics.median(wall), 1)


def server_settings() -> dict[str, str]:
    """The PostgreSQL settings the plans depend on."""
    from django.db import connection

    names = [
        "jit", "jit_above_cost", "work_mem", "shared_buffers", "effective_cache_size", "random_page_cost",
        "max_parallel_workers_per_gather", "autovacuum",
    ]  # fmt: skip
    out = {}
    with connection.cursor() as cursor:
        for name in names:
            cursor.execute(f"SHOW {name}")
            out[name] = cursor.fetchone()[0]
    return out


def summary(found: dict[str, Any] | None, lines: int = 30) -> str:
    """The plan's first lines and its tail (planning, JIT, execution time); the whole plan is in the JSON."""
    if not found:
        return "(no query)"
    plan = found["plan"]
    tail = next((n for n, line in enumerate(plan) if line.startswith("Planning")), len(plan))
    head = plan[: min(lines, tail)]
    return "\n".join([*head, *(["  …"] if tail > len(head) else []), *plan[tail:]])


def main() -> None:
    contacts = int(os.environ.get("SEGMENTS_CONTACTS") or 1_000_000)
    orders = int(os.environ.get("SEGMENTS_ORDERS") or contacts * 2 // 5)
    activities = int(os.environ.get("SEGMENTS_ACTIVITIES") or contacts * 3 // 20)
    requests = int(os.environ.get("SEGMENTS_REQUESTS") or 10)
    reuse = os.environ.get("SEGMENTS_REUSE") == "1"
    if requests < 2:
        raise SystemExit("SEGMENTS_REQUESTS must be at least 2.")
    sys.path.insert(0, str(ROOT))
    from bench.run import database_version, module_database_url, prepare_environment, table

    url = module_database_url("segments")
    if not url:
        raise SystemExit(
            "The segments benchmark runs on PostgreSQL: set DATABASE_URL or SEGMENTS_DATABASE_URL."
        )
    keep_data = bool(os.environ.get("SEGMENTS_DATA_DIR"))
    data_dir = prepare_environment("segments", url, reuse=reuse)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    try:
        started = timezone.localtime()
        call_command("migrate", verbosity=0)
        log(
            f"Sen CRM segments benchmark: {contacts:,} contacts, {orders:,} orders, "
            f"{activities:,} activities, {requests} requests each, {database_version()}"
        )
        load: dict[str, Any] | None = None
        if not reuse:
            load_started = time.perf_counter()
            load = generate(contacts=contacts, orders=orders, activities=activities)
            load["total"] = round(time.perf_counter() - load_started, 1)
            log(f"generated in {load['total']:.0f} s: {load}")
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM customers_contact")
            found = cursor.fetchone()[0]
        if found < contacts:
            raise SystemExit(
                f"The database holds {found:,} contacts, fewer than SEGMENTS_CONTACTS={contacts:,}."
            )
        load_before = os.getloadavg()
        rows, findings = run(requests)
        load_after = os.getloadavg()
        slowest = max(rows, key=lambda r: r["p95_ms"])
        missed = [r for r in rows if r["passed"] is False]
        shown = [slowest] + ([max(missed, key=lambda r: r["p95_ms"])] if missed else [])
        report = {
            "benchmark": "segments",
            "vendor": connection.vendor,
            "database": database_version(),
            "contacts": contacts,
            "orders": orders,
            "activities": activities,
            "requests": requests,
            "started_at_local": started.isoformat(timespec="seconds"),
            "machine": {
                "cores": os.cpu_count(),
                "python": platform.python_version(),
                "django": django.get_version(),
                "platform": platform.platform(),
                # Other work on the machine skews the figures: the 1-minute load average around the run.
                "load_average_before": round(load_before[0], 2),
                "load_average_after": round(load_after[0], 2),
            },
            "settings": server_settings(),
            "reused_database": reuse,
            "load_seconds": load,
            "results": rows,
            "findings": findings,
        }
        print()
        print(table(rows))
        print()
        for row in {r["name"]: r for r in shown}.values():
            log(f"{row['name']} (p95 {row['p95_ms']:.0f} ms), EXPLAIN (ANALYZE, BUFFERS):")
            print(summary(findings.get(f"explain_{row['name']}")))
            print()
        results = ROOT / "bench" / "results"
        results.mkdir(parents=True, exist_ok=True)
        path = results / f"{connection.vendor}-{contacts}-segments-{started.strftime('%Y%m%d-%H%M%S')}.json"
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
