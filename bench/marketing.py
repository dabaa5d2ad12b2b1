"""The marketing benchmark (issue 15): the dual-view attribution report over MARKETING_CONTACTS contacts
and MARKETING_PAYMENTS receipts on PostgreSQL.

    BENCH=marketing DATABASE_URL=postgresql://postgres@127.0.0.1:5432/sencrm_bench make bench
    BENCH=marketing MARKETING_CONTACTS=100000 MARKETING_PAYMENTS=200000 DATABASE_URL=… make bench
    MARKETING_REUSE=1 BENCH=marketing DATABASE_URL=… make bench     # measure again, no drop, no load

It runs in a process of its own (bench/run.py starts it) on the PostgreSQL database
MARKETING_DATABASE_URL, by default DATABASE_URL's with "_marketing" added to its name, dropped, created
and migrated (bench/run.py: module_database_url, prepare_environment). PostgreSQL only: the data are
generated in SQL (INSERT … SELECT generate_series), then the tables written are ANALYZEd (autovacuum
may be off).

The data: the demo organisation; MARKETING_CAMPAIGNS (60) campaigns over the seven channels, owned by
marketing, with a daily cost each over the last 730 days; MARKETING_CONTACTS (1,000,000) contacts,
alternately sales1's (team Hà Nội) and sales2's (team TP.HCM), first touched over the last 730 days,
created 0–20 days later, 80 % with a first campaign (a quarter of those with a different latest one),
the others with a source channel; MARKETING_LEADS (500,000) leads the same way; MARKETING_PAYMENTS
(2,000,000) receipts, each of a contact chosen by a multiplicative hash (so most contacts pay twice and
some never), paid 0–180 days after the contact's first touch (never in the future), owned as the
contact is (contacts only: the account branch of the customer rule is the same join, on a NULL); then
each contact's `first_receipt`/`first_receipt_at` (what billing keeps with every receipt) in one UPDATE.

Measured (MARKETING_REQUESTS, default 10, after one warm-up), over the last 12 months, first-touch model
by campaign unless named: `attribution.report()` in the cash and the lead view as marketing (all) and as
the manager (team); the linear model by channel (cash); `GET /api/v1/reports/attribution/` (cash and
lead) as marketing through the Django test client; and the report page (both views side by side).
Target: p95 ≤ 2 s for the selector and the API in both views. On PostgreSQL, EXPLAIN (ANALYZE) of the
report's queries is saved with the results.

Results: a table, and JSON in bench/results/postgresql-<payments>-marketing-<stamp>.json.
"""

from __future__ import annotations

import datetime as dt
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
TARGET_MS = 2000.0
SPAN_DAYS = 730


def log(line: str) -> None:
    print(line, flush=True)


def _execute(sql: str, params: list[Any] | None = None) -> float:
    from django.db import connection

    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])
    return time.perf_counter() - started


def generate(*, contacts: int, payments: int, leads: int, campaigns: int) -> dict[str, Any]:
    """Everything in SQL, in one transaction per table; then ANALYZE."""
    from django.db import connection, transaction

    from sencrm.core.db import analyze
    from sencrm.customers.models import SourceChannel
    from sencrm.demo.organisation import load_organisation

    users = load_organisation()
    sales1, sales2, marketing = users["sales1"], users["sales2"], users["marketing"]
    team1, team2 = sales1.teams.first(), sales2.teams.first()
    sources = list(SourceChannel.objects.order_by("id").values_list("id", flat=True))
    today = dt.datetime.now(tz=dt.UTC).date()
    timings: dict[str, float] = {}
    with transaction.atomic():
        timings["campaigns"] = _execute(
            """
            INSERT INTO marketing_campaign (owner_id, team_id, created_at, updated_at, version, name, channel,
                start_date, budget, utm_source, utm_medium, utm_campaign, description, contact_channel,
                cost_total, search_key)
            SELECT %s, NULL, now(), now(), 1, 'Chiến dịch ' || g,
                (ARRAY['facebook_ads','google_ads','zalo','tiktok','email','event','other'])[1 + g %% 7],
                %s::date - (g %% 24) * 30, 100000000, '', '', 'c' || g, '', '', 0, ''
            FROM generate_series(1, %s) g
            """,
            [marketing.pk, today, campaigns],
        )
        low = _first_campaign_id()
        timings["costs"] = _execute(
            """
            INSERT INTO marketing_campaigncost (campaign_id, date, amount, origin, source_file, created_at)
            SELECT %s + c, %s::date - d, 200000 + ((c * 7919 + d * 104729) %% 50) * 100000, 'manual',
                '', now()
            FROM generate_series(0, %s - 1) c, generate_series(0, %s) d
            """,
            [low, today, campaigns, SPAN_DAYS],
        )
    # A contact g: touched `touch` days ago (hours too), created 0–20 days later, campaign by g.
    with transaction.atomic():
        timings["contacts"] = _execute(
            """
            INSERT INTO customers_contact (owner_id, team_id, created_at, updated_at, version, ward, street,
                lifecycle_stage, notes, custom_field_data, search_key, primary_phone, primary_email,
                full_name, family_name, middle_name, given_name, sort_key, gender, title,
                first_campaign_id, latest_campaign_id, first_touch_at, source_id)
            SELECT CASE WHEN g %% 2 = 0 THEN %s ELSE %s END, CASE WHEN g %% 2 = 0 THEN %s ELSE %s END,
                LEAST(now(), t.touch + (g %% 21) * interval '1 day'), now(), 1, '', '', 'customer', '', '{}',
                '', '', '',
                'Khách ' || g, 'Khách', '', g::text, 'khach ' || g, '', '',
                CASE WHEN g %% 5 <> 0 THEN %s + (g * 31) %% %s END,
                CASE WHEN g %% 5 <> 0
                    THEN %s + (CASE WHEN g %% 4 = 0 THEN (g * 37) ELSE (g * 31) END) %% %s END,
                CASE WHEN g %% 9 <> 0 THEN t.touch END,
                CASE WHEN g %% 5 = 0 THEN (%s::int[])[(1 + g %% %s)::int] END
            FROM generate_series(1::bigint, %s) g,
                LATERAL (SELECT now() - ((g * 7919) %% (%s * 24)) * interval '1 hour' AS touch) t
            """,
            [
                sales1.pk,
                sales2.pk,
                team1.pk,
                team2.pk,
                low,
                campaigns,
                low,
                campaigns,
                sources,
                len(sources),
                contacts,
                SPAN_DAYS,
            ],
        )
    with transaction.atomic():
        timings["leads"] = _execute(
            """
            INSERT INTO sales_lead (owner_id, team_id, created_at, updated_at, version, full_name, sort_key,
                company, title, campaign, interest, status, unqualified_reason, next_action, utm, referrer,
                score, score_details, custom_field_data, search_key, primary_phone, primary_email,
                first_campaign_id, latest_campaign_id, first_touch_at, source_id)
            SELECT CASE WHEN g %% 2 = 0 THEN %s ELSE %s END, CASE WHEN g %% 2 = 0 THEN %s ELSE %s END,
                LEAST(now(), t.touch + (g %% 11) * interval '1 day'), now(), 1, 'Lead ' || g, 'lead ' || g,
                '', '', '', '',
                'new', '', '', '{}', '', 0, '[]', '{}', '', '', '',
                CASE WHEN g %% 5 <> 0 THEN %s + (g * 31) %% %s END,
                CASE WHEN g %% 5 <> 0 THEN %s + (g * 31) %% %s END,
                t.touch, CASE WHEN g %% 5 = 0 THEN (%s::int[])[(1 + g %% %s)::int] END
            FROM generate_series(1::bigint, %s) g,
                LATERAL (SELECT now() - ((g * 104729) %% (%s * 24)) * interval '1 hour' AS touch) t
            """,
            [
                sales1.pk,
                sales2.pk,
                team1.pk,
                team2.pk,
                low,
                campaigns,
                low,
                campaigns,
                sources,
                len(sources),
                leads,
                SPAN_DAYS,
            ],
        )
    with connection.cursor() as cursor:
        cursor.execute("SELECT min(id), max(id) FROM customers_contact")
        first_contact, last_contact = cursor.fetchone()
    count = last_contact - first_contact + 1
    with transaction.atomic():
        timings["payments"] = _execute(
            """
            INSERT INTO billing_payment (owner_id, team_id, created_at, updated_at, version, number, kind,
                method, amount, paid_at, reference, notes, allocated_total, search_key, contact_id)
            SELECT c.owner_id, c.team_id, now(), now(), 1, 'PT-BENCH-' || g, 'receipt', 'bank_transfer',
                1000000 * (1 + (g * 13) %% 60), p.paid_at, '', '', 0, '', c.id
            FROM generate_series(1, %s) g
            JOIN customers_contact c ON c.id = %s + (g::bigint * 2654435761) %% %s
            CROSS JOIN LATERAL (
                SELECT LEAST(now() - interval '1 hour',
                    COALESCE(c.first_touch_at, c.created_at) + ((g * 7) %% 180) * interval '1 day'
                    + (g %% 10) * interval '1 hour') AS paid_at
            ) p
            """,
            [payments, first_contact, count],
        )
    # What the services keep with every receipt (billing.services.customer_first_receipts_refresh,
    # called by sencrm/marketing/facts.py; migration customers 0009 back-fills it): each customer's
    # earliest receipt, the lower id on a tie.
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
    # Rewriting every contact leaves the table twice its size (autovacuum may be off): compact it, as a
    # live table kept by autovacuum would be, before ANALYZE.
    timings["vacuum"] = _execute("VACUUM FULL customers_contact")
    # The attribution facts, as the services keep them (and `manage.py attribution_rebuild` rewrites them):
    # one INSERT … SELECT over every receipt, then ANALYZE.
    from sencrm.marketing.facts import rebuild

    started = time.perf_counter()
    rebuild()
    timings["facts"] = time.perf_counter() - started
    started = time.perf_counter()
    analyze(
        ["marketing_campaign", "marketing_campaigncost", "customers_contact", "sales_lead", "billing_payment"]
    )
    timings["analyze"] = time.perf_counter() - started
    return {key: round(value, 1) for key, value in timings.items()}


def _first_campaign_id() -> int:
    from sencrm.marketing.models import Campaign

    return int(Campaign.all_objects.order_by("id").values_list("id", flat=True).first() or 0)


def measure(name: str, label: str, call: Callable[[], Any], requests: int) -> dict[str, Any]:
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
    target = TARGET_MS if not name.startswith("page") else None
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
    }
    log(f"  {label}: p50 {row['p50_ms']:.0f} ms, p95 {row['p95_ms']:.0f} ms")
    return row


def explain(user: Any, params: Any) -> list[dict[str, Any]]:
    """EXPLAIN (ANALYZE) of each query one report runs."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from sencrm.marketing import attribution

    with CaptureQueriesContext(connection) as captured:
        attribution.report(user, params)
    plans = []
    with connection.cursor() as cursor:
        for query in captured.captured_queries:
            sql = query["sql"]
            if not sql.lstrip().upper().startswith("SELECT") or float(query["time"]) < 0.05:
                continue
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
            plans.append(
                {"seconds": float(query["time"]), "sql": sql, "plan": [r[0] for r in cursor.fetchall()]}
            )
    return plans


def run(requests: int) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    from django.test import Client

    from sencrm.marketing import attribution
    from sencrm.users.models import User

    marketing = User.objects.get(username="marketing")
    manager = User.objects.get(username="manager")
    date_from, date_to = attribution.default_period(months=12)
    base = attribution.Params(date_from=date_from, date_to=date_to)

    def params(**changes: Any) -> Any:
        return attribution.Params(**{**base.__dict__, **changes})

    def selector(user: Any, p: Any) -> Callable[[], str | None]:
        def call() -> str | None:
            result = attribution.report(user, p)
            return None if result.rows else "no rows"

        return call

    client = Client(SERVER_NAME="localhost")
    client.force_login(marketing)

    def api(view: str) -> Callable[[], str | None]:
        query = {
            "view": view,
            "by": "campaign",
            "date_from": date_from.isoformat(),
            "date_to": date_to.isoformat(),
        }

        def call() -> str | None:
            response = client.get("/api/v1/reports/attribution/", query)
            if response.status_code != 200:
                return f"HTTP {response.status_code}"
            return None if response.json()["rows"] else "no rows"

        return call

    def page() -> str | None:
        response = client.get("/marketing/attribution/", base.query())
        return None if response.status_code == 200 else f"HTTP {response.status_code}"

    rows = [
        measure(
            "selector_cash_all",
            "attribution.report cash, by campaign (marketing, all)",
            selector(marketing, params(view="cash")),
            requests,
        ),
        measure(
            "selector_lead_all",
            "attribution.report lead, by campaign (marketing, all)",
            selector(marketing, params(view="lead")),
            requests,
        ),
        measure(
            "selector_cash_team",
            "attribution.report cash, by campaign (manager, team)",
            selector(manager, params(view="cash")),
            requests,
        ),
        measure(
            "selector_lead_team",
            "attribution.report lead, by campaign (manager, team)",
            selector(manager, params(view="lead")),
            requests,
        ),
        measure(
            "selector_linear_channel",
            "attribution.report cash, linear, by channel (marketing)",
            selector(marketing, params(view="cash", model="linear", by="channel")),
            requests,
        ),
        measure("api_cash", "GET /api/v1/reports/attribution/?view=cash (marketing)", api("cash"), requests),
        measure("api_lead", "GET /api/v1/reports/attribution/?view=lead (marketing)", api("lead"), requests),
        measure(
            "page_both", "GET /marketing/attribution/ (both views, marketing)", page, max(2, requests // 2)
        ),
    ]
    findings = {
        "explain_cash": explain(marketing, params(view="cash")),
        "explain_lead": explain(marketing, params(view="lead")),
    }
    return rows, findings


def main() -> None:
    contacts = int(os.environ.get("MARKETING_CONTACTS") or 1_000_000)
    payments = int(os.environ.get("MARKETING_PAYMENTS") or 2_000_000)
    leads = int(os.environ.get("MARKETING_LEADS") or 500_000)
    campaigns = int(os.environ.get("MARKETING_CAMPAIGNS") or 60)
    requests = int(os.environ.get("MARKETING_REQUESTS") or 10)
    reuse = os.environ.get("MARKETING_REUSE") == "1"
    if requests < 2:
        raise SystemExit("MARKETING_REQUESTS must be at least 2.")
    sys.path.insert(0, str(ROOT))
    from bench.run import database_version, module_database_url, prepare_environment, table

    url = module_database_url("marketing")
    if not url:
        raise SystemExit(
            "The marketing benchmark runs on PostgreSQL: set DATABASE_URL or MARKETING_DATABASE_URL."
        )
    keep_data = bool(os.environ.get("MARKETING_DATA_DIR"))
    data_dir = prepare_environment("marketing", url, reuse=reuse)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    try:
        started = timezone.localtime()
        call_command("migrate", verbosity=0)
        log(
            f"Sen CRM marketing benchmark: {contacts:,} contacts, {payments:,} receipts, {leads:,} leads, "
            f"{campaigns} campaigns, {requests} requests each, {database_version()}"
        )
        load: dict[str, Any] | None = None
        if not reuse:
            load_started = time.perf_counter()
            load = generate(contacts=contacts, payments=payments, leads=leads, campaigns=campaigns)
            load["total"] = round(time.perf_counter() - load_started, 1)
            log(f"generated in {load['total']:.0f} s: {load}")
        rows, findings = run(requests)
        report = {
            "benchmark": "marketing",
            "vendor": connection.vendor,
            "database": database_version(),
            "contacts": contacts,
            "payments": payments,
            "leads": leads,
            "campaigns": campaigns,
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
        path = results / f"{connection.vendor}-{payments}-marketing-{started.strftime('%Y%m%d-%H%M%S')}.json"
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
