"""`make bench`: the customers and sales benchmarks at SIZE contacts; figures go into docs/benchmarks.md.

    make bench                                    # 100,000 contacts, SQLite in a fresh temp directory
    SIZE=1000000 DATABASE_URL=postgresql://postgres@127.0.0.1:5432/sencrm_bench make bench
    BENCH=sales make bench                        # one benchmark only: customers or sales
    BENCH=imports make bench                      # 100,000-row file import (bench/imports.py)
    BENCH=http DATABASE_URL=… make bench          # the API through a real server (bench/workload.py)
    BENCH=commerce make bench                     # SIZE orders, quotes, a 200-line PDF (bench/commerce.py)
    BENCH=marketing DATABASE_URL=… make bench     # attribution, 1M contacts, 2M receipts (bench/marketing.py)
    BENCH=segments DATABASE_URL=… make bench      # segment counts over 1M contacts (bench/segments.py)
    BENCH=callcard DATABASE_URL=… make bench      # caller card at 1M contacts, screen pop (bench/callcard.py)
    BENCH=dispatch DATABASE_URL=… make bench      # dispatch board, technician's day (bench/dispatch.py)
    BENCH=reports DATABASE_URL=… make bench       # canned reports, 1M invoices, 2M lines (bench/reports.py)

The harness runs on a database of its own: a fresh SQLite file in a temporary DATA_DIR, or the
PostgreSQL database named by DATABASE_URL, dropped and created again so that runs are repeatable
(its name must contain "bench", unless BENCH_ALLOW_DROP=1). It migrates, loads the demo
organisation and SIZE generated contacts (bench/customers.py), then times REQUESTS requests
(default 200, after WARMUP untimed ones) of each operation and the access gate; the sales benchmark
(bench/sales.py) then adds 13,000 opportunities and times the kanban board and lead creation with
its duplicate check against those contacts. It prints a table and writes JSON to
bench/results/<vendor>-<size>[-<bench>]-<YYYYmmdd-HHMMSS>.json.

Other variables: BENCH (all, customers or sales; the sales benchmark still loads the contacts),
SEED (2026), BENCH_DATA_DIR (use and keep this DATA_DIR instead of a temporary one), BENCH_REUSE=1
(measure again on the database a previous run left — the PostgreSQL database, or BENCH_DATA_DIR —
without dropping or loading anything: for a second measurement after a fix, or on a quieter machine).
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = ROOT / "bench" / "results"
BENCHMARKS = ("customers", "sales")


def p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20, method="inclusive")[18]


def measure(
    name: str,
    label: str,
    call: Callable[[], Any],
    *,
    check: Callable[[Any], str | None],
    requests: int,
    warmup: int,
    target: float | None,
) -> dict[str, Any]:
    """Time `call()` `requests` times after `warmup` untimed calls: a result row (the keys every benchmark
    writes). `check` names what is wrong with an answer (None: right); an exception counts as a failure."""
    for _ in range(warmup):
        call()
    samples: list[float] = []
    failures: list[str] = []
    for _ in range(requests):
        start = time.perf_counter()
        try:
            problem = check(call())
        except Exception as exc:  # noqa: BLE001 - recorded, the run goes on
            problem = repr(exc)
        samples.append((time.perf_counter() - start) * 1000)
        if problem:
            failures.append(problem[:300])
    found = p95(samples) if len(samples) > 1 else samples[0]
    return {
        "name": name,
        "label": label,
        "requests": len(samples),
        "failures": len(failures),
        "failure_examples": failures[:5],
        "p50_ms": round(statistics.median(samples), 2),
        "p95_ms": round(found, 2),
        "max_ms": round(max(samples), 2),
        "mean_ms": round(statistics.fmean(samples), 2),
        "target_p95_ms": target,
        "passed": None if target is None else (found <= target and not failures),
    }


def bench_access_gate(rounds: int = 2000) -> dict[str, Any]:
    """The access gate: a cold user's grants + team ids (3 queries), paid by every list and page."""
    from sencrm.core import access
    from sencrm.demo.organisation import load_organisation
    from sencrm.users.models import User

    load_organisation()
    samples = []
    for _ in range(rounds):
        manager = User.objects.get(username="manager")  # a fresh user: no cached grants
        start = time.perf_counter()
        access.scope_level(manager, "customers", "view")
        manager.team_ids()
        manager.teammate_ids()
        samples.append((time.perf_counter() - start) * 1000)
    return {
        "name": "access_gate",
        "label": "access gate: a cold user's grants + team ids (3 queries)",
        "user": "manager",
        "requests": rounds,
        "failures": 0,
        "failure_examples": [],
        "p50_ms": round(statistics.median(samples), 3),
        "p95_ms": round(p95(samples), 3),
        "max_ms": round(max(samples), 3),
        "mean_ms": round(statistics.fmean(samples), 3),
        "target_p95_ms": None,
        "passed": None,
    }


def dataset_from_database(size: int, seed: int) -> Any:
    """The measurements' inputs from the contacts a previous run loaded (BENCH_REUSE=1)."""
    import random

    from django.db import connection
    from django.db.models import Max, Min

    from bench.customers import Dataset, Sample
    from sencrm.customers.models import Contact, Phone

    bounds = Contact.objects.aggregate(low=Min("id"), high=Max("id"))
    count = Contact.objects.count()
    if count < size:
        raise SystemExit(f"BENCH_REUSE: the database holds {count:,} contacts, fewer than SIZE={size:,}.")
    rng = random.Random(seed)
    ids = {rng.randint(bounds["low"], bounds["high"]) for _ in range(min(20_000, count))}
    rows = Phone.objects.filter(contact_id__in=ids, position=0, contact__deleted_at__isnull=True).values_list(
        "contact_id", "e164", "contact__full_name"
    )
    samples = [Sample(contact_id, e164, name) for contact_id, e164, name in rows]
    return Dataset(
        size=size,
        vendor=connection.vendor,
        counts={"contacts": count},
        load_seconds=0.0,
        analyze_seconds=0.0,
        samples=samples,
        seed=seed,
        # New numbers for the creates, away from those of earlier runs on this database.
        next_phone_index=3 * size + (int(time.time()) % 100_000) * 1000,
    )


def recreate_postgres_database(url: str) -> None:
    """Drop and create the database named in `url`, through the `postgres` maintenance database."""
    from urllib.parse import urlsplit, urlunsplit

    import psycopg
    from psycopg import sql

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if not name:
        raise SystemExit("DATABASE_URL names no database.")
    if "bench" not in name and os.environ.get("BENCH_ALLOW_DROP") != "1":
        raise SystemExit(
            f"The benchmark drops and recreates {name!r}: use a database whose name contains "
            "'bench' (e.g. sencrm_bench), or set BENCH_ALLOW_DROP=1."
        )
    maintenance = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(maintenance, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def module_database_url(name: str) -> str:
    """A module benchmark's own database: `<NAME>_DATABASE_URL`, else DATABASE_URL's name with
    `_<name>` added (unless it already ends so); "" for SQLite."""
    from urllib.parse import urlsplit, urlunsplit

    url = os.environ.get(f"{name.upper()}_DATABASE_URL", "")
    if url or not os.environ.get("DATABASE_URL"):
        return url
    parts = urlsplit(os.environ["DATABASE_URL"])
    path = parts.path.rstrip("/")
    return urlunsplit(parts._replace(path=path if path.endswith(f"_{name}") else f"{path}_{name}"))


def prepare_environment(name: str, url: str, *, reuse: bool) -> str:
    """DATA_DIR and the database of a module benchmark run in its own process: `<NAME>_DATA_DIR` or a
    temporary directory; the PostgreSQL database dropped and created again unless reused (SQLite: an
    empty DATA_DIR). Answers the DATA_DIR."""
    env = name.upper()
    if reuse and not (url or os.environ.get(f"{env}_DATA_DIR")):
        raise SystemExit(
            f"{env}_REUSE=1 measures a database a previous run left: set {env}_DATA_DIR or DATABASE_URL."
        )
    data_dir = os.environ.get(f"{env}_DATA_DIR") or tempfile.mkdtemp(prefix=f"sencrm-bench-{name}-")
    Path(data_dir).mkdir(parents=True, exist_ok=True)
    os.environ["DATA_DIR"] = data_dir
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    os.environ.setdefault("API_RATE_LIMIT", "off")
    if url:
        os.environ["DATABASE_URL"] = url
        if not reuse:
            recreate_postgres_database(url)
    else:
        os.environ.pop("DATABASE_URL", None)
        if not reuse and (Path(data_dir) / "sencrm.sqlite3").exists():
            raise SystemExit(f"{data_dir}/sencrm.sqlite3 exists: the benchmark needs an empty DATA_DIR.")
    return data_dir


def database_version() -> str:
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            return f"PostgreSQL {cursor.fetchone()[0]}"
    import sqlite3

    return f"SQLite {sqlite3.sqlite_version}"


def fmt_target(row: dict[str, Any]) -> str:
    return "—" if row["target_p95_ms"] is None else f"≤ {row['target_p95_ms']:g}"


def fmt_result(row: dict[str, Any]) -> str:
    if row["failures"]:
        return f"FAIL ({row['failures']} errors)"
    if row["passed"] is None:
        return "—"
    return "pass" if row["passed"] else "FAIL"


def table(rows: list[dict[str, Any]]) -> str:
    header = f"{'operation':<58} {'requests':>8} {'p50 ms':>9} {'p95 ms':>9} {'target':>8}  result"
    lines = [header, "-" * len(header)]
    for row in rows:
        lines.append(
            f"{row['label']:<58} {row['requests']:>8} {row['p50_ms']:>9.2f} {row['p95_ms']:>9.2f} "
            f"{fmt_target(row):>8}  {fmt_result(row)}"
        )
    return "\n".join(lines)


def write_results(report: dict[str, Any], directory: Path = RESULTS_DIR) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    stamp = report["started_at_local"].replace("-", "").replace(":", "").replace("T", "-")[:15]
    only = report.get("benchmark")
    name = f"{report['vendor']}-{report['size']}" + (f"-{only}" if only and only != "all" else "")
    path = directory / f"{name}-{stamp}.json"
    path.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return path


def run_imports_benchmark() -> None:
    """BENCH=imports, and the last part of `make bench`: its own database, file and peak memory."""
    import subprocess

    subprocess.run([sys.executable, str(ROOT / "bench" / "imports.py")], check=True)  # noqa: S603


def run_commerce_benchmark() -> None:
    """BENCH=commerce, and part of `make bench` (before the HTTP workload): SIZE orders, own database."""
    import subprocess

    subprocess.run([sys.executable, str(ROOT / "bench" / "commerce.py")], check=True)  # noqa: S603


def run_billing_benchmark() -> None:
    """BENCH=billing: statement reconciliation and the invoice pages (bench/billing.py), own database."""
    import subprocess

    subprocess.run([sys.executable, str(ROOT / "bench" / "billing.py")], check=True)  # noqa: S603


def run_marketing_benchmark() -> None:
    """BENCH=marketing: the attribution report over 1,000,000 contacts and 2,000,000 receipts
    (bench/marketing.py), own PostgreSQL database."""
    import subprocess

    subprocess.run([sys.executable, str(ROOT / "bench" / "marketing.py")], check=True)  # noqa: S603


def run_segments_benchmark() -> None:
    """BENCH=segments: segment counts over 1,000,000 contacts with their orders, consent and activities
    (bench/segments.py), own PostgreSQL database."""
    import subprocess

    subprocess.run([sys.executable, str(ROOT / "bench" / "segments.py")], check=True)  # noqa: S603


def run_callcard_benchmark() -> None:
    """BENCH=callcard: the caller's card over 1,000,000 contacts and a call event's way to 20 connected
    agents through two server processes and Redis (bench/callcard.py), own PostgreSQL database."""
    import subprocess

    subprocess.run([sys.executable, str(ROOT / "bench" / "callcard.py")], check=True)  # noqa: S603


def run_reports_benchmark() -> None:
    """BENCH=reports: every canned report and the board's dashboard over 1,000,000 invoices and 2,000,000
    lines (bench/reports.py), own PostgreSQL database."""
    import subprocess

    subprocess.run([sys.executable, str(ROOT / "bench" / "reports.py")], check=True)  # noqa: S603


def run_dispatch_benchmark() -> None:
    """BENCH=dispatch: the dispatch board (50 technicians × a week, 2,000 work orders) and the technician's
    day at 1,000,000 installed products (bench/dispatch.py), own PostgreSQL database."""
    import subprocess

    subprocess.run([sys.executable, str(ROOT / "bench" / "dispatch.py")], check=True)  # noqa: S603


def run_email_benchmark() -> None:
    """BENCH=email: an email campaign to EMAIL_RECIPIENTS people through a local SMTP sink (bench/mailing.py),
    own database."""
    import subprocess

    subprocess.run([sys.executable, str(ROOT / "bench" / "mailing.py")], check=True)  # noqa: S603


def run_http_benchmark() -> None:
    """BENCH=http, and the very last part of `make bench`: import_records, gunicorn, the API over HTTP."""
    import subprocess

    subprocess.run([sys.executable, str(ROOT / "bench" / "workload.py")], check=True)  # noqa: S603


def main() -> None:
    size = int(os.environ.get("SIZE") or 100_000)
    requests = int(os.environ.get("REQUESTS") or 200)
    warmup = int(os.environ.get("WARMUP") or 10)
    seed = int(os.environ.get("SEED") or 2026)
    only = os.environ.get("BENCH") or "all"
    if only == "imports":  # bench/imports.py: a generated file imported, in a process of its own
        run_imports_benchmark()
        return
    if only == "http":  # bench/workload.py: its own database and a real server
        run_http_benchmark()
        return
    if only == "commerce":  # bench/commerce.py: its own database, SIZE orders
        run_commerce_benchmark()
        return
    if only == "billing":  # bench/billing.py: its own database, BILLING_INVOICES invoices
        run_billing_benchmark()
        return
    if only == "marketing":  # bench/marketing.py: its own PostgreSQL database, generated in SQL
        run_marketing_benchmark()
        return
    if only == "segments":  # bench/segments.py: its own PostgreSQL database, generated in SQL
        run_segments_benchmark()
        return
    if only == "email":  # bench/mailing.py: its own database, a local SMTP sink
        run_email_benchmark()
        return
    if only == "callcard":  # bench/callcard.py: its own PostgreSQL database, a server and Redis
        run_callcard_benchmark()
        return
    if only == "dispatch":  # bench/dispatch.py: its own PostgreSQL database, 1M assets
        run_dispatch_benchmark()
        return
    if only == "reports":  # bench/reports.py: its own PostgreSQL database, 1M invoices
        run_reports_benchmark()
        return
    if requests < 2:
        raise SystemExit("REQUESTS must be at least 2.")
    if only not in ("all", *BENCHMARKS):
        raise SystemExit(
            f"BENCH must be all, {', '.join(BENCHMARKS)}, imports, http, commerce, billing, marketing, "
            "segments, email, callcard, dispatch or reports."
        )
    selected = BENCHMARKS if only == "all" else (only,)

    reuse = os.environ.get("BENCH_REUSE") == "1"
    # A database of its own: never the demo's (the Makefile exports DATA_DIR=./var).
    keep_data = bool(os.environ.get("BENCH_DATA_DIR"))
    if reuse and not (keep_data or os.environ.get("DATABASE_URL")):
        raise SystemExit(
            "BENCH_REUSE=1 measures a database a previous run left: set BENCH_DATA_DIR or DATABASE_URL."
        )
    data_dir = os.environ.get("BENCH_DATA_DIR") or tempfile.mkdtemp(prefix="sencrm-bench-")
    os.environ["DATA_DIR"] = data_dir
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    # Latency is measured, not the API's rate limit (120 requests a minute per user by default).
    os.environ.setdefault("API_RATE_LIMIT", "off")
    database_url = os.environ.get("DATABASE_URL", "")
    if database_url and not database_url.startswith(("postgres://", "postgresql://")):
        raise SystemExit("DATABASE_URL must name a PostgreSQL database (unset it for SQLite).")
    if not reuse and not database_url and (Path(data_dir) / "sencrm.sqlite3").exists():
        raise SystemExit(f"{data_dir}/sencrm.sqlite3 exists: the benchmark needs an empty DATA_DIR.")
    if database_url and not reuse:
        recreate_postgres_database(database_url)

    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command
    from django.urls import get_resolver
    from django.utils import timezone

    from bench import customers, sales

    def log(line: str) -> None:
        print(line, flush=True)

    started_at = timezone.localtime()
    try:
        # Import every view now: a run measures the code as it was when it started.
        get_resolver().url_patterns  # noqa: B018
        t0 = time.perf_counter()
        call_command("migrate", verbosity=0)
        migrate_seconds = time.perf_counter() - t0
        log(
            f"Sen CRM benchmark ({', '.join(selected)}): {size:,} contacts, "
            f"{requests} requests per operation, {database_version()}"
        )
        load: dict[str, Any] | None = None
        if reuse:
            dataset = dataset_from_database(size, seed)
            log(f"reusing the database of an earlier run: {dataset.counts['contacts']:,} contacts")
        else:
            log(f"migrate: {migrate_seconds:.1f} s; loading…")
            dataset = customers.generate(size, seed=seed, log=log)
            load = dataset.load_summary()
            counts = ", ".join(f"{v:,} {k}" for k, v in load["rows"].items())
            log(
                f"loaded {load['rows_total']:,} rows ({counts}) in {load['seconds']:.1f} s: "
                f"{load['rows_per_s']:,} rows/s, {load['contacts_per_s']:,} contacts/s "
                f"(organisation {load['organisation_seconds']:.1f} s"
                + (f", ANALYZE {load['analyze_seconds']:.1f} s)" if dataset.vendor == "postgresql" else ")")
            )
        load_before = os.getloadavg()
        rows: list[dict[str, Any]] = []
        if "customers" in selected:
            log("measuring customers…")
            rows += customers.measure_all(dataset, requests=requests, warmup=warmup, log=log)
            rows.append(bench_access_gate())
        sales_load = None
        if "sales" in selected:
            sales_data = (reuse and sales.dataset_from_database()) or sales.generate(dataset, log=log)
            sales_load = sales_data.load_summary()
            log("measuring sales…")
            rows += sales.measure_all(dataset, sales_data, requests=requests, warmup=warmup, log=log)
        load_after = os.getloadavg()
        report = {
            "benchmark": only,
            "vendor": dataset.vendor,
            "database": database_version(),
            "size": size,
            "requests": requests,
            "warmup": warmup,
            "seed": seed,
            "started_at_local": started_at.isoformat(timespec="seconds"),
            "machine": {
                "cores": os.cpu_count(),
                "python": platform.python_version(),
                "django": django.get_version(),
                "platform": platform.platform(),
                # Other work on the machine skews the figures: the 1-minute load average around the run.
                "load_average_before": round(load_before[0], 2),
                "load_average_after": round(load_after[0], 2),
            },
            "migrate_seconds": round(migrate_seconds, 2),
            "reused_database": reuse,
            "load": load,
            "sales_load": sales_load,
            "results": rows,
        }
        print()
        print(table(rows))
        print()
        path = write_results(report)
        log(f"results: {path.relative_to(ROOT)} (load average {load_before[0]:.2f} → {load_after[0]:.2f})")
        for row in rows:
            for example in row["failure_examples"][:2]:
                log(f"error in {row['name']}: {example}")
        failed = [r["name"] for r in rows if r["failures"] or r["passed"] is False]
        if failed:
            log(f"targets missed or errors: {', '.join(failed)}")
    finally:
        if not keep_data:
            shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
    if (os.environ.get("BENCH") or "all") == "all":
        run_imports_benchmark()
        run_commerce_benchmark()
        run_http_benchmark()
