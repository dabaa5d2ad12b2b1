"""The screen pop benchmark (issue 17): the caller's card at CALLCARD_CONTACTS contacts, and a call event's
way to 20 connected agents, on PostgreSQL.

    BENCH=callcard DATABASE_URL=postgresql://postgres@127.0.0.1:5432/sencrm_bench make bench
    BENCH=callcard CALLCARD_CONTACTS=100000 DATABASE_URL=… make bench
    CALLCARD_REUSE=1 BENCH=callcard DATABASE_URL=… make bench     # measure again, no drop, no load

It runs in a process of its own (bench/run.py starts it) on the PostgreSQL database CALLCARD_DATABASE_URL,
by default DATABASE_URL's with "_callcard" added to its name, dropped, created and migrated. The data:
the demo organisation; CALLCARD_CONTACTS (1,000,000) contacts in SQL (INSERT … SELECT generate_series),
each with one mobile number and its "contact.created" event; every 50th contact (20,000) a regular with a
history: three orders, two invoices (one with a balance), an open ticket and five more timeline events.
Then VACUUM and ANALYZE.

Measured in this process (Django's test client: middleware, gate, template — the server's time):
- `ringing`: `POST /api/v1/telephony/events/` — the caller found among the contacts by number, the call
  written, the message queued;
- `card`: `GET /care/calls/{id}/card/` as the care agent — the card of a regular (target p95 ≤ 50 ms);
- `card_unknown`: the card of a number nobody has.
Then end to end through a real server (gunicorn with two uvicorn workers, as scripts/run.sh starts it,
REDIS_URL on Redis database CALLCARD_REDIS_DB, default 12): CALLCARD_AGENTS (20) agents each hold a
server-sent-events connection (plain HTTP clients); CALLCARD_EVENTS (200) ringing events, one at a time,
go to the agents in turn: the time from the post to the message on the agent's stream (`event_to_sse`),
and to the card fetched after it (`event_to_card`, target p95 ≤ 1 s). A message on any other agent's
stream is counted as an error.

Results: a table, and JSON in bench/results/postgresql-<contacts>-callcard-<stamp>.json.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import platform
import random
import shutil
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CARD_TARGET_MS = 50.0
POP_TARGET_MS = 1000.0
REGULAR_EVERY = 50
AGENT_EXTENSIONS = 200  # agents' extensions: 201, 202…


def log(line: str) -> None:
    print(line, flush=True)


def number_of(g: int) -> str:
    """Contact g's mobile number (E.164): +84900000001…"""
    return f"+8490{g:07d}"


def _execute(sql: str, params: list[Any] | None = None) -> float:
    from django.db import connection

    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])
    return time.perf_counter() - started


def generate(contacts: int) -> dict[str, float]:
    """The contacts, their phones and events in SQL; the regulars' orders, invoices and tickets in bulk."""
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection, transaction
    from django.utils import timezone

    from sencrm.billing.models import Invoice
    from sencrm.commerce.models import Order
    from sencrm.core.db import analyze
    from sencrm.customers.models import Contact
    from sencrm.demo.organisation import load_organisation
    from sencrm.support.models import Ticket

    timings: dict[str, float] = {}
    users = load_organisation()
    sales1, sales2, manager = users["sales1"], users["sales2"], users["manager"]
    hanoi, hcm = sales1.teams.first(), sales2.teams.first()
    with transaction.atomic():
        timings["customers_contact"] = _execute(
            """
            INSERT INTO customers_contact (owner_id, team_id, created_at, updated_at, version, ward, street,
                lifecycle_stage, notes, custom_field_data, search_key, primary_phone, primary_email,
                full_name, family_name, middle_name, given_name, sort_key, gender, title)
            SELECT CASE g %% 5 WHEN 0 THEN %s WHEN 1 THEN %s WHEN 2 THEN %s WHEN 3 THEN %s ELSE %s END,
                CASE WHEN g %% 5 IN (2, 3) THEN %s ELSE %s END, c.at, c.at, 1, '', '',
                CASE WHEN g %% 2 = 0 THEN 'customer' ELSE 'prospect' END, '', '{}', '',
                '090' || lpad(g::text, 7, '0'), '', 'Khách ' || g, 'Khách', '', g::text, g::text || ' khach',
                '', ''
            FROM generate_series(1::bigint, %s) g,
                LATERAL (SELECT now() - ((g * 104729) %% (1095 * 24)) * interval '1 hour' AS at) c
            """,
            [sales1.pk, sales1.pk, sales2.pk, sales2.pk, manager.pk, hcm.pk, hanoi.pk, contacts],
        )
    with connection.cursor() as cursor:
        cursor.execute("SELECT min(id) FROM customers_contact")
        first = cursor.fetchone()[0]
    contact_type = ContentType.objects.get_for_model(Contact).pk
    with transaction.atomic():
        timings["customers_phone"] = _execute(
            """
            INSERT INTO customers_phone (contact_id, account_id, number, e164, label, position)
            SELECT id, NULL, primary_phone, '+84' || substr(primary_phone, 2), 'mobile', 0
            FROM customers_contact
            """
        )
    with transaction.atomic():
        timings["events_event"] = _execute(
            """
            INSERT INTO events_event (occurred_at, type, actor_id, actor_label, subject_type_id, subject_id,
                subject_repr, customer_type_id, customer_id, data, version)
            SELECT created_at, 'contact.created', owner_id, '', %s, id, full_name, %s, id, '{}'::jsonb, 1
            FROM customers_contact
            UNION ALL
            SELECT c.created_at + k * interval '1 day', 'contact.updated', c.owner_id, '', %s, c.id,
                c.full_name, %s, c.id, '{"changes": {"notes": ["", "Gọi lại"]}}'::jsonb, 1 + k
            FROM customers_contact c, generate_series(1, 5) k
            WHERE (c.id - %s) %% %s = 0
            """,
            [contact_type, contact_type, contact_type, contact_type, first, REGULAR_EVERY],
        )
    started = time.perf_counter()
    today = timezone.localdate()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, owner_id, team_id FROM customers_contact WHERE (id - %s) %% %s = 0 ORDER BY id",
            [first, REGULAR_EVERY],
        )
        regulars = cursor.fetchall()
    care = users["care"]
    orders, invoices, tickets = [], [], []
    for n, (contact_id, owner_id, team_id) in enumerate(regulars):
        common = {"contact_id": contact_id, "owner_id": owner_id, "team_id": team_id}
        for k in range(3):
            orders.append(
                Order(
                    number=f"DH-CC-{n}-{k}",
                    status="delivered",
                    issue_date=today.replace(day=1),
                    total=Decimal(5_000_000 * (k + 1)),
                    **common,
                )
            )
        paid, owed = Decimal(5_000_000), Decimal(4_000_000)
        invoices.append(Invoice(number=f"HD-CC-{n}-1", status="paid", total=paid, paid_total=paid, **common))
        invoices.append(
            Invoice(
                number=f"HD-CC-{n}-2",
                status="issued",
                total=2 * paid,
                balance=owed,
                paid_total=2 * paid - owed,
                **common,
            )
        )
        tickets.append(
            Ticket(
                number=f"SC-CC-{n}",
                subject="Điều hòa không lạnh",
                status="open",
                contact_id=contact_id,
                owner_id=care.pk,
            )
        )
    with transaction.atomic():
        Order.objects.bulk_create(orders, batch_size=5000)
        Invoice.objects.bulk_create(invoices, batch_size=5000)
        Ticket.objects.bulk_create(tickets, batch_size=5000)
    timings["regulars"] = time.perf_counter() - started
    written = [
        "customers_contact", "customers_phone", "events_event", "commerce_order", "billing_invoice",
        "support_ticket",
    ]  # fmt: skip
    timings["vacuum"] = sum(_execute(f"VACUUM {table}") for table in written)
    started = time.perf_counter()
    analyze(written)
    timings["analyze"] = time.perf_counter() - started
    return {key: round(value, 1) for key, value in timings.items()}


def row(
    name: str, label: str, samples: list[float], target: float | None, failures: list[str]
) -> dict[str, Any]:
    p95 = statistics.quantiles(samples, n=20, method="inclusive")[18] if len(samples) > 1 else samples[0]
    found = {
        "name": name,
        "label": label,
        "requests": len(samples),
        "failures": len(failures),
        "failure_examples": failures[:3],
        "p50_ms": round(statistics.median(samples), 1),
        "p95_ms": round(p95, 1),
        "max_ms": round(max(samples), 1),
        "mean_ms": round(statistics.fmean(samples), 1),
        "target_p95_ms": target,
        "passed": None if target is None else p95 <= target,
    }
    log(f"  {label}: p50 {found['p50_ms']:.1f} ms, p95 {found['p95_ms']:.1f} ms, {len(failures)} errors")
    return found


def timed(
    call: Callable[[], Any], rounds: int, check: Callable[[Any], str | None]
) -> tuple[list[float], list[str]]:
    samples, failures = [], []
    for _ in range(rounds):
        started = time.perf_counter()
        try:
            problem = check(call())
        except Exception as exc:  # noqa: BLE001 - recorded, the run goes on
            problem = repr(exc)
        samples.append((time.perf_counter() - started) * 1000)
        if problem:
            failures.append(problem[:200])
    return samples, failures


def in_process(contacts: int, requests: int, run_id: str) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The ringing event and the card through Django's test client (the server's own time)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from sencrm.support.models import AgentExtension, Call
    from sencrm.users.models import User
    from sencrm.users.services import api_token_create

    care = User.objects.get(username="care")
    AgentExtension.objects.get_or_create(user=care, defaults={"extension": "101"})
    _token, raw = api_token_create(user=User.objects.get(username="admin"), name=f"bench {run_id}")
    rng = random.Random(2026)
    regulars = [g for g in range(1, contacts + 1, REGULAR_EVERY)]
    client = Client(
        HTTP_HOST="127.0.0.1", raise_request_exception=False, headers={"Authorization": f"Bearer {raw}"}
    )
    counter = itertools.count()

    def ring(number: str) -> Any:
        body = {
            "event": "ringing",
            "call_id": f"bench-{run_id}-{next(counter)}",
            "from": number,
            "extension": "101",
        }
        return client.post(
            "/api/v1/telephony/events/", data=json.dumps(body), content_type="application/json"
        )

    def ok(response: Any) -> str | None:
        return None if response.status_code == 200 else f"{response.status_code} {response.content[:120]!r}"

    for _ in range(5):
        ring(number_of(rng.choice(regulars)))  # warm-up
    ring_samples, ring_failures = timed(lambda: ring(number_of(rng.choice(regulars))), requests, ok)
    calls = list(
        Call.objects.filter(call_id__startswith=f"bench-{run_id}-", contact__isnull=False).values_list(
            "pk", flat=True
        )
    )
    agent = Client(HTTP_HOST="127.0.0.1", raise_request_exception=False)
    agent.force_login(care)

    def card(pk: int) -> Any:
        return agent.get(f"/care/calls/{pk}/card/")

    def known(response: Any) -> str | None:
        html = response.content.decode()
        if response.status_code != 200 or 'data-testid="caller-name"' not in html or "DH-CC-" not in html:
            return f"{response.status_code}: not the regular's card"
        return None

    for pk in calls[:5]:
        card(pk)
    card_samples, card_failures = timed(lambda: card(rng.choice(calls)), requests, known)
    unknown = ring("+84399999999")
    unknown_pk = unknown.json()["call"]
    unknown_samples, unknown_failures = timed(
        lambda: card(unknown_pk),
        requests,
        lambda r: (
            None
            if r.status_code == 200 and "caller-unknown" in r.content.decode()
            else "not the unknown card"
        ),
    )
    with CaptureQueriesContext(connection) as captured:
        card(calls[0])
    findings = {
        "card_queries": len(captured.captured_queries),
        "card_sql": [q["sql"] for q in captured.captured_queries],
    }
    rows = [
        row(
            "ringing",
            "ringing event: caller found, call written",
            ring_samples,
            None,
            ring_failures,
        ),
        row("card", "caller card of a regular customer", card_samples, CARD_TARGET_MS, card_failures),
        row(
            "card_unknown",
            "caller card of an unknown number",
            unknown_samples,
            CARD_TARGET_MS,
            unknown_failures,
        ),
    ]
    return rows, findings


# --- end to end through a real server -----------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def http(
    port: int, method: str, path: str, headers: dict[str, str], body: bytes = b""
) -> tuple[int, bytes]:
    """One request on its own connection (Connection: close): the status and the whole answer."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    lines = [
        f"{method} {path} HTTP/1.1",
        f"Host: 127.0.0.1:{port}",
        "Connection: close",
        f"Content-Length: {len(body)}",
    ]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
    await writer.drain()
    answer = await reader.read()
    writer.close()
    return int(answer.split(b" ", 2)[1]), answer


async def listen(
    port: int, session: str, inbox: asyncio.Queue[tuple[float, dict[str, Any]]], ready: asyncio.Event
) -> None:
    """An agent's browser tab: the server-sent events of /live/events/, each message put in `inbox`."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    request = (
        f"GET /live/events/ HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nCookie: sessionid={session}\r\n"
        "Accept: text/event-stream\r\n\r\n"
    )
    writer.write(request.encode())
    await writer.drain()
    try:
        while line := await reader.readline():
            if line.startswith(b": connected"):
                ready.set()
            elif line.startswith(b"data: "):
                inbox.put_nowait((time.perf_counter(), json.loads(line[6:])))
    finally:
        writer.close()


def sessions_for(agents: int) -> list[tuple[Any, str, str]]:
    """(user, extension, session key) for each agent: care users signed in, as a browser would be."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    from sencrm.support.models import AgentExtension
    from sencrm.users import services
    from sencrm.users.models import Role, User

    out = []
    for n in range(1, agents + 1):
        username = f"bench-agent-{n:02d}"
        user = User.objects.filter(username=username).first() or services.user_create(
            actor=None, username=username, password="bench-password-2026",  # noqa: S106  (bench users) full_name=f"Điện thoại viên {n}",
            email=f"{username}@dieuhoasen.vn", role=Role.objects.get(code="care"), validate=False,
        )  # fmt: skip
        extension = str(AGENT_EXTENSIONS + n)
        AgentExtension.objects.update_or_create(user=user, defaults={"extension": extension})
        store = SessionStore()
        store[SESSION_KEY] = str(user.pk)
        store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        store[HASH_SESSION_KEY] = user.get_session_auth_hash()
        store.create()
        out.append((user, extension, store.session_key))
    return out


def start_server(port: int, data_dir: str, redis_db: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DATA_DIR": data_dir,
        "HTTPS": "false",
        "API_RATE_LIMIT": "off",
        "LOG_LEVEL": "ERROR",
    }
    env["REDIS_URL"] = f"redis://127.0.0.1:6379/{redis_db}"
    env["DJANGO_SETTINGS_MODULE"] = "config.settings"
    command = [
        str(ROOT / ".venv" / "bin" / "gunicorn"), "config.asgi:application", "--config", "config/gunicorn.py",
        "--worker-class", "uvicorn_worker.UvicornWorker", "--workers", "2", "--bind", f"127.0.0.1:{port}",
        "--graceful-timeout", "2", "--log-level", "warning",
    ]  # fmt: skip
    return subprocess.Popen(command, cwd=ROOT, env=env)  # noqa: S603


async def end_to_end(
    port: int, agents: list[tuple[Any, str, str]], token: str, numbers: list[str], events: int, run_id: str
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    inboxes: list[asyncio.Queue[tuple[float, dict[str, Any]]]] = [asyncio.Queue() for _ in agents]
    readies = [asyncio.Event() for _ in agents]
    listeners = [
        asyncio.create_task(listen(port, session, inbox, ready))
        for (_user, _ext, session), inbox, ready in zip(agents, inboxes, readies, strict=True)
    ]
    await asyncio.wait_for(asyncio.gather(*(ready.wait() for ready in readies)), 30)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    to_sse, to_card, failures, crosstalk = [], [], [], 0
    rng = random.Random(17)
    total = events + 10  # the first ten warm both workers up, untimed
    for i in range(total):
        n = i % len(agents)
        _user, extension, session = agents[n]
        call = {
            "event": "ringing",
            "call_id": f"pop-{run_id}-{i}",
            "from": rng.choice(numbers),
            "extension": extension,
        }
        body = json.dumps(call).encode()
        started = time.perf_counter()
        status, answer = await http(port, "POST", "/api/v1/telephony/events/", headers, body)
        if status != 200:
            failures.append(f"post {status}: {answer[-200:]!r}")
            continue
        try:
            received, message = await asyncio.wait_for(inboxes[n].get(), 5)
        except TimeoutError:
            failures.append(f"event {i}: no message on agent {n}'s stream within 5 s")
            continue
        status, _card = await http(port, "GET", message["card"], {"Cookie": f"sessionid={session}"})
        shown = time.perf_counter()
        if status != 200:
            failures.append(f"card {status}")
        if i >= 10:
            to_sse.append((received - started) * 1000)
            to_card.append((shown - started) * 1000)
        await asyncio.sleep(0.05)
        for m, inbox in enumerate(inboxes):
            while m != n and not inbox.empty():
                inbox.get_nowait()
                crosstalk += 1
    for task in listeners:
        task.cancel()
    failures += [f"{crosstalk} messages on another agent's stream"] if crosstalk else []
    label = f"({len(agents)} agents, 2 processes, Redis)"
    rows = [
        row("event_to_sse", f"event → message on the agent's stream {label}", to_sse, None, failures),
        row("event_to_card", f"event → card fetched {label}", to_card, POP_TARGET_MS, failures),
    ]
    return rows, {"crosstalk": crosstalk}


def main() -> None:
    contacts = int(os.environ.get("CALLCARD_CONTACTS") or 1_000_000)
    requests = int(os.environ.get("CALLCARD_REQUESTS") or 200)
    events = int(os.environ.get("CALLCARD_EVENTS") or 200)
    agents_count = int(os.environ.get("CALLCARD_AGENTS") or 20)
    redis_db = int(os.environ.get("CALLCARD_REDIS_DB") or 12)
    reuse = os.environ.get("CALLCARD_REUSE") == "1"
    if requests < 2 or events < 2:
        raise SystemExit("CALLCARD_REQUESTS and CALLCARD_EVENTS must be at least 2.")
    sys.path.insert(0, str(ROOT))
    from bench.run import database_version, module_database_url, prepare_environment, table

    url = module_database_url("callcard")
    if not url:
        raise SystemExit(
            "The callcard benchmark runs on PostgreSQL: set DATABASE_URL or CALLCARD_DATABASE_URL."
        )
    keep_data = bool(os.environ.get("CALLCARD_DATA_DIR"))
    data_dir = prepare_environment("callcard", url, reuse=reuse)
    os.environ.pop("REDIS_URL", None)  # this process: the in-process broker (the server gets Redis)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, connections
    from django.utils import timezone

    from sencrm.users.models import User
    from sencrm.users.services import api_token_create

    server = None
    try:
        started = timezone.localtime()
        run_id = started.strftime("%Y%m%d%H%M%S")
        call_command("migrate", verbosity=0)
        log(
            f"Sen CRM screen pop benchmark: {contacts:,} contacts, {requests} requests, {events} events, "
            f"{database_version()}"
        )
        load = None
        if not reuse:
            load_started = time.perf_counter()
            load = generate(contacts)
            load["total"] = round(time.perf_counter() - load_started, 1)
            log(f"generated in {load['total']:.0f} s: {load}")
        load_before = os.getloadavg()
        log("in process…")
        rows, findings = in_process(contacts, requests, run_id)
        log(f"end to end ({agents_count} agents, 2 uvicorn workers, Redis db {redis_db})…")
        agents = sessions_for(agents_count)
        _token, raw = api_token_create(user=User.objects.get(username="admin"), name=f"bench pop {run_id}")
        numbers = [number_of(g) for g in range(1, contacts + 1, REGULAR_EVERY)][:5000]
        connections.close_all()
        port = free_port()
        server = start_server(port, data_dir, redis_db)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                time.sleep(0.3)
        time.sleep(2)  # both workers up
        e2e_rows, e2e_findings = asyncio.run(end_to_end(port, agents, raw, numbers, events, run_id))
        rows += e2e_rows
        findings.update(e2e_findings)
        load_after = os.getloadavg()
        report = {
            "benchmark": "callcard",
            "vendor": connection.vendor,
            "database": database_version(),
            "contacts": contacts,
            "requests": requests,
            "events": events,
            "agents": agents_count,
            "started_at_local": started.isoformat(timespec="seconds"),
            "machine": {
                "cores": os.cpu_count(),
                "python": platform.python_version(),
                "django": django.get_version(),
                "platform": platform.platform(),
                "load_average_before": round(load_before[0], 2),
                "load_average_after": round(load_after[0], 2),
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
        path = results / f"{connection.vendor}-{contacts}-callcard-{started.strftime('%Y%m%d-%H%M%S')}.json"
        path.write_text(
            json.dumps(report, ensure_ascii=False, indent=2, default=str) + "\n", encoding="utf-8"
        )
        log(f"results: {path.relative_to(ROOT)} (load average {load_before[0]:.2f} → {load_after[0]:.2f})")
        failed = [r["name"] for r in rows if r["failures"] or r["passed"] is False]
        if failed:
            log(f"targets missed or errors: {', '.join(failed)}")
    finally:
        if server is not None:
            server.terminate()
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
        if not keep_data:
            shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
