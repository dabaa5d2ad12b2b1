"""The HTTP workload: the outside workload of issue 12, through a real server, one request at a time.

    BENCH=http DATABASE_URL=postgresql://postgres@127.0.0.1:5432/sencrm_bench make bench
    BENCH=http HTTP_SIZE=1000000 DATABASE_URL=… make bench         # 1,000,000 contacts
    BENCH=http HTTP_REUSE=1 DATABASE_URL=… make bench              # measure again, no load

What it does, as the outside workload did against `make demo`:
1. a database of its own — the PostgreSQL database HTTP_DATABASE_URL, by default DATABASE_URL's name
   + "_http" (sencrm_bench_http), dropped and created again; without DATABASE_URL, SQLite in a temporary
   DATA_DIR — migrated, with the demo data (`manage.py load_demo`);
2. SIZE generated Vietnamese contacts (bench/imports.py's generator: names with the demo's weights,
   phones typed eight ways, emails, provinces…) written to a CSV file and imported with
   `manage.py import_records contacts FILE --as manager` (the import leaves the tables analysed);
3. an API token for the sales manager (`manage.py create_api_token manager`), and the real server:
   gunicorn with config/gunicorn.py, as scripts/run.sh starts it, on a free port, DEBUG off, the rate
   limit on but high (HTTP_RATE, 100000/min: its cache writes are part of each request);
4. through HTTP, concurrency 1, a new connection per request, WARMUP untimed requests then REQUESTS
   timed ones (default 30 and 300) of each kind: the contact list `GET /api/v1/contacts/`, search
   (`?search=`: names with and without diacritics, whole and in part, phone fragments, whole numbers),
   caller ID `GET /api/v1/caller-id/?phone=`, a contact `GET /api/v1/contacts/<id>/`, and creating a
   contact `POST /api/v1/contacts/`. Every answer is checked (status, and that the contact looked for
   is found).

It prints p50/p95/p99 per kind (search also per kind of query) and writes JSON to
bench/results/<vendor>-<size>-http-<stamp>.json. The machine may be shared: ROUNDS=2 (default) measures
everything twice, on the same server, and reports both rounds.

Other variables: HTTP_REUSE=1 (the database and DATA_DIR a previous run left: HTTP_DATA_DIR must name
the DATA_DIR; no load), HTTP_DATA_DIR (use and keep this DATA_DIR), HTTP_WORKERS (gunicorn workers,
default 2 as scripts/run.sh), SEED (2026), HTTP_KEEP_SERVER=1 (leave the server running and print its
address and token, to profile it).
"""

from __future__ import annotations

import csv
import http.client
import json
import os
import platform
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python")
GUNICORN = str(ROOT / ".venv" / "bin" / "gunicorn")
# p95 targets of issue 12 (ms): one fifth of the competing CRM's on the same workload.
TARGETS: dict[str, float] = {"list": 150, "search": 60, "caller_id": 20, "detail": 40, "create": 45}
LABELS = {
    "list": "list       GET /api/v1/contacts/",
    "search": "search     GET /api/v1/contacts/?search=",
    "caller_id": "caller ID  GET /api/v1/caller-id/?phone=",
    "detail": "detail     GET /api/v1/contacts/<id>/",
    "create": "create     POST /api/v1/contacts/",
}
USER = "manager"  # the sales manager of the demo company: team scope, owns the imported contacts


@dataclass
class Sample:
    id: int
    full_name: str
    number: str  # the national form, 0xxxxxxxxx


# --- setting up: database, data, server -----------------------------------------------------------


def manage(*args: str, env: dict[str, str], check: bool = True) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(  # noqa: S603 - our own manage.py with fixed arguments
        [PYTHON, str(ROOT / "manage.py"), *args], env=env, cwd=ROOT, capture_output=True, text=True
    )
    if check and done.returncode:
        raise SystemExit(
            f"manage.py {' '.join(args)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}"
        )
    return done


def write_csv(path: Path, size: int, seed: int) -> None:
    """SIZE rows from bench/imports.py's generator, every row valid and with a phone of its own."""
    from bench.imports import HEADER, rows

    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows(rows(size, seed=seed, invalid=0, duplicates=0))


def database_url() -> str:
    from urllib.parse import urlsplit, urlunsplit

    url = os.environ.get("HTTP_DATABASE_URL", "")
    if url or not os.environ.get("DATABASE_URL"):
        return url
    parts = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(parts._replace(path=parts.path.rstrip("/") + "_http"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def load(
    size: int, seed: int, env: dict[str, str], data_dir: Path, log: Callable[[str], None]
) -> dict[str, Any]:
    """migrate, load_demo, the CSV, import_records; returns the timings."""
    timings: dict[str, Any] = {}
    t0 = time.perf_counter()
    manage("migrate", "--noinput", env=env)
    manage("load_demo", env=env)
    timings["migrate_and_demo_seconds"] = round(time.perf_counter() - t0, 1)
    path = data_dir / f"contacts-{size}.csv"
    t0 = time.perf_counter()
    write_csv(path, size, seed)
    timings["file_seconds"] = round(time.perf_counter() - t0, 1)
    log(
        f"demo data {timings['migrate_and_demo_seconds']} s; file of {size:,} rows {timings['file_seconds']} s"  # noqa: E501
    )
    t0 = time.perf_counter()
    done = manage(
        "import_records", "contacts", str(path), "--as", USER, "--dedupe", "skip", env=env, check=False
    )
    seconds = time.perf_counter() - t0
    if done.returncode not in (0, 1):  # 1: some rows rejected, reported below
        raise SystemExit(f"import_records failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    report = [line for line in done.stdout.splitlines() if line.strip()]
    timings.update(
        import_seconds=round(seconds, 1), import_rows_per_s=round(size / seconds), import_report=report[:3]
    )
    log(
        f"import_records: {seconds:.1f} s ({size / seconds:,.0f} rows/s); {report[1] if len(report) > 1 else ''}"  # noqa: E501
    )
    path.unlink()
    return timings


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    port: int
    log_path: Path

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_server(env: dict[str, str], data_dir: Path, workers: int) -> Server:
    port = free_port()
    log_path = data_dir / "gunicorn.log"
    args = [GUNICORN, "config.wsgi", "--config", str(ROOT / "config" / "gunicorn.py")]
    args += ["--bind", f"127.0.0.1:{port}", "--workers", str(workers), "--access-logfile", "-"]
    with log_path.open("ab") as out:
        process = subprocess.Popen(args, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)  # noqa: S603
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"gunicorn stopped:\n{log_path.read_text(errors='replace')[-3000:]}")
        try:
            status, _body, _ms = request(port, "GET", "/api/v1/", token="")
            if status:
                return Server(process, port, log_path)
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit("gunicorn did not answer within 60 s")


def request(
    port: int, method: str, path: str, *, token: str, body: dict[str, Any] | None = None
) -> tuple[int, bytes, float]:
    """One request on a new connection (gunicorn's sync workers close it after each answer)."""
    headers = {"Accept": "application/json", "Host": "127.0.0.1"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    start = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request(method, path, body=data, headers=headers)
        response = conn.getresponse()
        payload = response.read()
    finally:
        conn.close()
    return response.status, payload, (time.perf_counter() - start) * 1000


# --- the requests ---------------------------------------------------------------------------------


@dataclass
class Call:
    kind: str  # list, search, caller_id, detail, create
    method: str
    path: str
    body: dict[str, Any] | None = None
    group: str = ""  # the kind of search query
    expect_id: int | None = None  # the contact the answer must contain
    status: int = 200


def samples_from_database(seed: int, limit: int = 5000) -> list[Sample]:
    """Random imported contacts (id, name, first phone): the manager's own (the import ran as them), so
    each one is in the scope of the token the requests use (a demo contact of another team is not)."""
    from django.db import connections
    from django.db.models import Max, Min

    from sencrm.customers.models import Contact, Phone

    bounds = Contact.objects.aggregate(lo=Min("id"), hi=Max("id"))
    rng = random.Random(seed)
    ids = {rng.randint(bounds["lo"], bounds["hi"]) for _ in range(limit * 2)}
    rows = Phone.objects.filter(
        contact_id__in=ids, position=0, contact__deleted_at__isnull=True, contact__owner__username="manager"
    ).values_list("contact_id", "contact__full_name", "e164")
    samples = [Sample(pk, name, "0" + e164[3:]) for pk, name, e164 in sorted(rows)][:limit]
    connections.close_all()  # no connection of the benchmark's own left open during the measurements
    return samples


def search_queries(rng: random.Random, samples: list[Sample], n: int) -> list[tuple[str, str]]:
    """(group, query): the issue's examples, then names and fragments with and without diacritics,
    and phone fragments and whole numbers, in a fixed mix."""
    from bench.customers import typed
    from sencrm.core.text import fold

    fixed = [
        ("fragment, diacritics", "Nguyễn Văn"),
        ("fragment, folded", "nguyen van"),
        ("fragment, diacritics", "Tuyết"),
        ("fragment, folded", "tuyet"),
        ("fragment, diacritics", "Trần Thị"),
        ("fragment, folded", "tran thi"),
        ("fragment, diacritics", "Hùng"),
        ("fragment, folded", "hung"),
    ]
    queries: list[tuple[str, str]] = []
    while len(queries) < n:
        queries += fixed
        for _ in range(12):
            s = rng.choice(samples)
            words = s.full_name.split()
            roll = rng.randrange(6)
            if roll == 0:
                queries.append(("full name, diacritics", s.full_name))
            elif roll == 1:
                queries.append(("full name, folded", fold(s.full_name)))
            elif roll == 2:
                piece = " ".join(words[-2:]) if rng.random() < 0.5 else words[-1]
                queries.append(("fragment, diacritics", piece))
            elif roll == 3:
                piece = " ".join(words[-2:]) if rng.random() < 0.5 else " ".join(words[:2])
                queries.append(("fragment, folded", fold(piece)))
            elif roll == 4:
                digits = s.number[rng.randrange(1, 5) :][: rng.randint(5, 7)]
                queries.append(("phone fragment", digits))
            else:
                queries.append(("whole phone number", typed(s.number, rng.randrange(8))))
    rng.shuffle(queries)
    return queries[:n]


def plan(samples: list[Sample], *, n: int, seed: int, phone_base: int) -> dict[str, list[Call]]:
    from bench.customers import _Names, national_number, typed

    rng = random.Random(seed + 12)
    calls: dict[str, list[Call]] = {"list": [Call("list", "GET", "/api/v1/contacts/") for _ in range(n)]}
    calls["search"] = [
        Call("search", "GET", "/api/v1/contacts/?" + urlencode({"search": q}), group=group)
        for group, q in search_queries(rng, samples, n)
    ]
    picked = [rng.choice(samples) for _ in range(n)]
    calls["caller_id"] = [
        Call(
            "caller_id",
            "GET",
            "/api/v1/caller-id/?" + urlencode({"phone": typed(s.number, rng.randrange(8))}),
            expect_id=s.id,
        )
        for s in picked
    ]
    calls["detail"] = [
        Call("detail", "GET", f"/api/v1/contacts/{s.id}/", expect_id=s.id) for s in rng.sample(samples, n)
    ]
    names = _Names()
    calls["create"] = [
        Call(
            "create",
            "POST",
            "/api/v1/contacts/",
            body={"full_name": full_name, "phones": [{"number": typed(national_number(phone_base + j), j)}]},
            status=201,
        )
        for j, (_gender, full_name) in enumerate(names.pick(rng, n))
    ]
    return calls


def problem(call: Call, status: int, payload: bytes) -> str | None:
    if status != call.status:
        return f"{call.method} {call.path}: HTTP {status} {payload[:200]!r}"
    if call.kind in ("list", "search") or call.expect_id is not None:
        data = json.loads(payload)
        if call.kind == "list" and not data["results"]:
            return f"{call.path}: empty list"
        if call.kind == "search" and call.group != "phone fragment" and not data["results"]:
            return f"{call.path}: no results"
        if call.kind == "caller_id" and call.expect_id not in {c["id"] for c in data["contacts"]}:
            return f"{call.path}: contact {call.expect_id} not found"
        if call.kind == "detail" and data.get("id") != call.expect_id:
            return f"{call.path}: another contact"
    return None


def quantiles(samples: list[float]) -> dict[str, float]:
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    return {
        "p50_ms": round(cuts[49], 2),
        "p95_ms": round(cuts[94], 2),
        "p99_ms": round(cuts[98], 2),
        "max_ms": round(max(samples), 2),
        "mean_ms": round(statistics.fmean(samples), 2),
    }


def measure(port: int, token: str, calls: list[Call], warmup: int) -> dict[str, Any]:
    for call in calls[:warmup]:
        request(port, call.method, call.path, token=token, body=call.body)
    timings: list[float] = []
    by_group: dict[str, list[float]] = {}
    failures: list[str] = []
    for call in calls[warmup:]:
        status, payload, ms = request(port, call.method, call.path, token=token, body=call.body)
        timings.append(ms)
        if call.group:
            by_group.setdefault(call.group, []).append(ms)
        error = problem(call, status, payload)
        if error:
            failures.append(error[:300])
    kind = calls[0].kind
    row: dict[str, Any] = {
        "name": kind,
        "label": LABELS[kind],
        "requests": len(timings),
        **quantiles(timings),
        "failures": len(failures),
        "failure_examples": failures[:5],
        "target_p95_ms": TARGETS[kind],
    }
    row["passed"] = row["p95_ms"] <= TARGETS[kind] and not failures
    if by_group:
        row["groups"] = {
            g: {"requests": len(t), **quantiles(t)} for g, t in sorted(by_group.items()) if len(t) > 1
        }
    return row


def table(rows: list[dict[str, Any]]) -> str:
    header = f"{'request':<44} {'n':>5} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'max ms':>8} {'target':>7}  result"  # noqa: E501
    lines = [header, "-" * len(header)]
    for row in rows:
        result = (
            f"FAIL ({row['failures']} errors)" if row["failures"] else "pass" if row["passed"] else "FAIL"
        )
        lines.append(
            f"{row['label']:<44} {row['requests']:>5} {row['p50_ms']:>8.1f} {row['p95_ms']:>8.1f} "
            f"{row['p99_ms']:>8.1f} {row['max_ms']:>8.1f} {'≤ ' + format(row['target_p95_ms'], 'g'):>7}  {result}"  # noqa: E501
        )
        for group, g in row.get("groups", {}).items():
            lines.append(
                f"    {group:<40} {g['requests']:>5} {g['p50_ms']:>8.1f} {g['p95_ms']:>8.1f} "
                f"{g['p99_ms']:>8.1f} {g['max_ms']:>8.1f}"
            )
    return "\n".join(lines)


def main() -> None:
    size = int(os.environ.get("HTTP_SIZE") or os.environ.get("SIZE") or 100_000)
    requests = int(os.environ.get("REQUESTS") or 300)
    warmup = int(os.environ.get("WARMUP") or 30)
    rounds = int(os.environ.get("ROUNDS") or 2)
    seed = int(os.environ.get("SEED") or 2026)
    workers = int(os.environ.get("HTTP_WORKERS") or 2)
    reuse = os.environ.get("HTTP_REUSE") == "1"
    if requests < 20:
        raise SystemExit("REQUESTS must be at least 20.")
    sys.path.insert(0, str(ROOT))
    from bench.run import recreate_postgres_database

    keep_data = bool(os.environ.get("HTTP_DATA_DIR"))
    if reuse and not keep_data:
        raise SystemExit("HTTP_REUSE=1 measures what a previous run left: set HTTP_DATA_DIR to its DATA_DIR.")
    data_dir = Path(os.environ.get("HTTP_DATA_DIR") or tempfile.mkdtemp(prefix="sencrm-bench-http-"))
    data_dir.mkdir(parents=True, exist_ok=True)
    url = database_url()
    env = {
        **os.environ,
        "DATA_DIR": str(data_dir),
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "false",
        "HTTPS": "false",
        "API_RATE_LIMIT": os.environ.get("HTTP_RATE") or "100000/min",
        "PYTHONPATH": str(ROOT),
    }
    if url:
        env["DATABASE_URL"] = url
    else:
        env.pop("DATABASE_URL", None)
        if not reuse and (data_dir / "sencrm.sqlite3").exists():
            raise SystemExit(f"{data_dir}/sencrm.sqlite3 exists: the benchmark needs an empty DATA_DIR.")
    vendor = "postgresql" if url else "sqlite"
    os.environ.update(env)  # this process reads the same database (the CSV's reference data, samples)
    if not url:
        os.environ.pop("DATABASE_URL", None)
    import django

    django.setup()

    def log(line: str) -> None:
        print(line, flush=True)

    server: Server | None = None
    started = time.strftime("%Y-%m-%dT%H:%M:%S")
    try:
        loaded: dict[str, Any] | None = None
        if not reuse:
            if url:
                recreate_postgres_database(url)
            log(f"Sen CRM HTTP workload: {size:,} contacts imported with import_records, {vendor}")
            loaded = load(size, seed, env, data_dir, log)
        token = (
            manage("create_api_token", USER, "--name", "bench-http", env=env).stdout.strip().splitlines()[-1]
        )
        samples = samples_from_database(seed)
        if len(samples) < 100:
            raise SystemExit(f"only {len(samples)} contacts with a phone found: was the import run?")
        server = start_server(env, data_dir, workers)
        log(f"gunicorn on 127.0.0.1:{server.port} ({workers} workers); {len(samples):,} sample contacts")
        if os.environ.get("HTTP_KEEP_SERVER") == "1":
            log(f"HTTP_KEEP_SERVER=1: token {token}; pid {server.process.pid}; Ctrl-C to stop")
            server.process.wait()
            return
        phone_base = 60_000_000 + (int(time.time()) % 100_000) * 1000  # new numbers on every run
        results: list[dict[str, Any]] = []
        for round_no in range(1, rounds + 1):
            load_before = os.getloadavg()[0]
            calls = plan(samples, n=requests + warmup, seed=seed + round_no, phone_base=phone_base)
            phone_base += requests + warmup
            rows = []
            for kind in ("list", "search", "caller_id", "detail", "create"):
                row = measure(server.port, token, calls[kind], warmup)
                rows.append(row)
                log(f"  round {round_no} {kind:<10} p50 {row['p50_ms']:7.1f}  p95 {row['p95_ms']:7.1f}  "
                    f"p99 {row['p99_ms']:7.1f} ms" + (f"  {row['failures']} errors" if row["failures"] else ""))  # fmt: skip  # noqa: E501
            load_after = os.getloadavg()[0]
            results.append(
                {
                    "round": round_no,
                    "load_average": [round(load_before, 2), round(load_after, 2)],
                    "rows": rows,
                }
            )
            print(f"\nround {round_no} (load average {load_before:.2f} → {load_after:.2f})")
            print(table(rows) + "\n")
        report = {
            "benchmark": "http",
            "vendor": vendor,
            "size": size,
            "requests": requests,
            "warmup": warmup,
            "workers": workers,
            "seed": seed,
            "started_at_local": started,
            "reused_database": reuse,
            "machine": {
                "cores": os.cpu_count(),
                "python": platform.python_version(),
                "platform": platform.platform(),
            },
            "load": loaded,
            "rounds": results,
        }
        out = ROOT / "bench" / "results"
        out.mkdir(parents=True, exist_ok=True)
        path = (
            out / f"{vendor}-{size}-http-{started.replace('-', '').replace(':', '').replace('T', '-')}.json"
        )
        path.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        log(f"results: {path.relative_to(ROOT)}")
        for result in results:
            for row in result["rows"]:
                for example in row["failure_examples"][:2]:
                    log(f"error in {row['name']}: {example}")
    finally:
        if server is not None:
            server.stop()
        if not keep_data:
            shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
