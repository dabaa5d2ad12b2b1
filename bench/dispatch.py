"""The after-sales benchmark (issue 18): the dispatch board for DISPATCH_TECHNICIANS technicians × one week
with DISPATCH_WORK_ORDERS work orders, and the technician's day at DISPATCH_ASSETS installed products, on
PostgreSQL.

    BENCH=dispatch DATABASE_URL=postgresql://postgres@127.0.0.1:5432/sencrm_bench make bench
    BENCH=dispatch DISPATCH_ASSETS=100000 DATABASE_URL=… make bench
    DISPATCH_REUSE=1 BENCH=dispatch DATABASE_URL=… make bench      # measure again, no drop, no load

It runs in a process of its own (bench/run.py starts it) on DISPATCH_DATABASE_URL, by default DATABASE_URL's
database with "_dispatch" added to its name, dropped, created and migrated. The data (bulk_create, then
VACUUM ANALYZE: autovacuum may be off): the demo organisation; 50 technicians (the demo's `tech` among
them) with skills and the provinces they serve; DISPATCH_ASSETS / 4 contacts; DISPATCH_ASSETS air
conditioners installed at their sites; this week's 2,000 work orders (5 % still waiting for a technician,
the others booked without overlaps from 07:00, every day of the week), each on one or two assets; 20 past,
finished work orders per technician on earlier weeks (the assets' history); an absence per 10 technicians.

Measured in this process (the server's time: Django's test client runs middleware, gate and rendering):
- `board_week`: `GET /field-service/dispatch/data/?view=week` as the care agent (target p95 ≤ 300 ms),
  and `board_day` (one day), and `board_data` (dispatch.board_data alone, JSON encoded);
- `field_day`: `GET /field/` as a technician with a full day (target p95 ≤ 100 ms), and `technician_day`
  (field.technician_day alone).
Results: a table, and JSON in bench/results/<vendor>-<work orders>-dispatch-<stamp>.json.
"""

from __future__ import annotations

import datetime as dt
import gc
import json
import os
import platform
import random
import shutil
import sys
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BOARD_TARGET_MS = 300.0
FIELD_TARGET_MS = 100.0
WAITING_SHARE = 0.05
PAST_PER_TECHNICIAN = 20
SKILLS = ("Lắp đặt điều hòa", "Sửa điều hòa", "Điện lạnh công nghiệp", "Máy giặt")
STREETS = ("Nguyễn Trãi", "Lê Lợi", "Trần Hưng Đạo", "Hai Bà Trưng", "Lý Thường Kiệt", "Phạm Văn Đồng")
GIVEN = ("An", "Bình", "Châu", "Dũng", "Hà", "Hùng", "Lan", "Minh", "Nam", "Phương", "Quân", "Trang")
FAMILY = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi")


def log(line: str) -> None:
    print(line, flush=True)


def week_of(day: dt.date) -> list[dt.date]:
    monday = day - dt.timedelta(days=day.weekday())
    return [monday + dt.timedelta(days=n) for n in range(7)]


def _aware(day: dt.date, minutes: int) -> dt.datetime:
    from django.utils import timezone

    return timezone.make_aware(dt.datetime.combine(day, dt.time()) + dt.timedelta(minutes=minutes))


def generate(
    *,
    technicians: int = 50,
    work_orders: int = 2000,
    assets: int = 1_000_000,
    seed: int = 2026,
    batch: int = 5000,
) -> dict[str, Any]:
    """Write the data set (see the module's docstring); answers the counts and the seconds spent."""
    from django.db import connection, transaction
    from django.utils import timezone

    from sencrm.catalog.models import Product
    from sencrm.core.db import analyze
    from sencrm.customers.models import Contact, Province
    from sencrm.demo.organisation import load_organisation
    from sencrm.fieldservice.models import (
        Asset,
        Skill,
        Technician,
        WarrantyRule,
        WorkKind,
        WorkOrder,
        WorkOrderAsset,
        WorkStatus,
    )
    from sencrm.support.models import Absence
    from sencrm.users.models import Role, User

    rng = random.Random(seed)
    started = time.perf_counter()
    users = load_organisation()
    admin, care = users["admin"], users["care"]
    provinces = list(Province.objects.order_by("position"))
    skills = [Skill.objects.get_or_create(name=name)[0] for name in SKILLS]
    role = Role.objects.get(code="technician")
    with transaction.atomic():
        people = [users["tech"]]
        fresh = [
            User(username=f"kt{n:03d}", full_name=f"{rng.choice(FAMILY)} Văn {rng.choice(GIVEN)}", role=role)
            for n in range(1, technicians)
        ]
        for user in fresh:
            user.set_unusable_password()
        people += User.objects.bulk_create(fresh)
        has_profile = set(Technician.objects.values_list("user_id", flat=True))
        Technician.objects.bulk_create(
            [
                Technician(user=u, color=f"#{rng.randrange(0x1000000):06x}")
                for u in people
                if u.pk not in has_profile
            ]
        )
        profiles = list(Technician.objects.filter(user__in=people).order_by("user_id"))
        for n, profile in enumerate(profiles):
            profile.skills.add(*rng.sample(skills, 2))
            profile.provinces.add(*provinces[(n * 3) % len(provinces) : (n * 3) % len(provinces) + 3])
    product = Product.objects.create(
        code="DH-BENCH-1", name="Điều hòa Daikin Inverter 1 HP", unit="bộ", list_price=Decimal(11_500_000),
        warranty_months=24, maintenance_months=6, serialised=True, owner=admin,
    )  # fmt: skip
    contacts_count = max(assets // 4, 10)
    today = timezone.localdate()
    contact_ids: list[int] = []
    for first in range(0, contacts_count, batch):
        rows = []
        for g in range(first, min(first + batch, contacts_count)):
            name = f"{FAMILY[g % len(FAMILY)]} Thị {GIVEN[g % len(GIVEN)]} {g}"
            rows.append(Contact(full_name=name, given_name=GIVEN[g % len(GIVEN)], owner=care, sort_key=name))
        with transaction.atomic():
            contact_ids += [c.pk for c in Contact.objects.bulk_create(rows)]
    asset_ids: list[int] = []
    for first in range(0, assets, batch):
        rows_a = []
        for g in range(first, min(first + batch, assets)):
            installed = today - dt.timedelta(days=(g * 7919) % 1500)
            until = installed + dt.timedelta(days=730)
            rows_a.append(
                Asset(
                    product=product,
                    serial_number=f"SN{g:08d}",
                    contact_id=contact_ids[g % len(contact_ids)],
                    owner=care,
                    installed_on=installed,
                    warranty_start=installed,
                    warranty_until=until,
                    warranty_rule=WarrantyRule.PRODUCT,
                    site_street=f"{g % 300 + 1} {STREETS[g % len(STREETS)]}",
                    site_ward="Phường Bến Nghé",
                    site_province=provinces[g % len(provinces)],
                )  # fmt: skip
            )
        with transaction.atomic():
            asset_ids += [a.pk for a in Asset.objects.bulk_create(rows_a)]
    days = week_of(today)
    kinds = list(WorkKind.values)
    orders: list[WorkOrder] = []
    booked = {p.user_id: 0 for p in profiles}  # jobs per technician this week
    tech_ids = [p.user_id for p in profiles]
    for n in range(work_orders):
        asset_index = rng.randrange(assets)
        common = {
            "number": f"CV-B-{n:06d}", "title": f"Công việc {n}", "kind": kinds[n % len(kinds)],
            "owner": care, "contact_id": contact_ids[asset_index % len(contact_ids)],
            "site_province": provinces[n % len(provinces)],
            "site_street": f"{n % 300 + 1} {STREETS[n % len(STREETS)]}", "skill": skills[n % len(skills)],
        }  # fmt: skip
        if rng.random() < WAITING_SHARE:
            orders.append(WorkOrder(**common))
            continue
        tech = tech_ids[n % len(tech_ids)]
        k = booked[tech]
        booked[tech] += 1
        day = days[k % 7]
        start = _aware(day, 7 * 60 + (k // 7) * 90)  # 90 minutes apart: an hour's job and the travel
        orders.append(
            WorkOrder(
                technician_id=tech,
                scheduled_start=start,
                scheduled_end=start + dt.timedelta(hours=1),
                **common,
            )
        )
    past: list[WorkOrder] = []
    for m, tech in enumerate(tech_ids):
        for k in range(PAST_PER_TECHNICIAN):
            start = _aware(days[0] - dt.timedelta(days=7 + k * 3), 8 * 60)
            past.append(
                WorkOrder(
                    number=f"CV-BP-{m:03d}-{k:03d}",
                    title="Bảo dưỡng định kỳ",
                    kind=WorkKind.MAINTENANCE,
                    status=WorkStatus.DONE,
                    owner=care,
                    technician_id=tech,
                    scheduled_start=start,
                    scheduled_end=start + dt.timedelta(hours=1),
                    finished_at=start + dt.timedelta(hours=1),
                    started_at=start,
                    result_notes="Đã vệ sinh dàn lạnh.",
                    contact_id=contact_ids[rng.randrange(len(contact_ids))],
                )  # fmt: skip
            )
    with transaction.atomic():
        created = WorkOrder.objects.bulk_create(orders + past, batch_size=batch)
        links = []
        for wo in created:
            first = rng.randrange(assets)
            links.append(WorkOrderAsset(work_order=wo, asset_id=asset_ids[first], in_warranty=True))
            if wo.pk % 3 == 0:
                links.append(WorkOrderAsset(work_order=wo, asset_id=asset_ids[(first + 1) % assets]))
        WorkOrderAsset.objects.bulk_create(links, batch_size=batch, ignore_conflicts=True)
        Absence.objects.bulk_create(
            [
                Absence(
                    user_id=tech, starts_at=_aware(days[2], 0), ends_at=_aware(days[3], 0), note="Nghỉ phép"
                )
                for tech in tech_ids[::10]
            ]
        )
    load_seconds = time.perf_counter() - started
    started = time.perf_counter()
    written = [
        "users_user", "fieldservice_technician", "fieldservice_technician_skills",
        "fieldservice_technician_provinces", "customers_contact", "fieldservice_asset",
        "fieldservice_workorder", "fieldservice_workorderasset", "support_absence",
    ]  # fmt: skip
    if connection.vendor == "postgresql" and not connection.in_atomic_block:  # (the smoke test's is)
        with connection.cursor() as cursor:
            for table in written:
                cursor.execute(f"VACUUM {connection.ops.quote_name(table)}")
    analyze(written)
    return {
        "technicians": len(profiles),
        "contacts": len(contact_ids),
        "assets": len(asset_ids),
        "work_orders_this_week": len(orders),
        "waiting": sum(1 for o in orders if o.technician_id is None),
        "past_work_orders": len(past),
        "load_seconds": round(load_seconds, 1),
        "vacuum_analyze_seconds": round(time.perf_counter() - started, 1),
    }


def _count_queries(call: Any) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        call()
    return len(captured.captured_queries)


def measure_all(
    *, requests: int = 200, warmup: int = 10, seed: int = 2026
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Time the board and the technician's day; answers the rows and what was found on the way (query
    counts, how many cards a board held)."""
    # The server's workers freeze what start-up left alive (config/gunicorn.py, post_worker_init) so that
    # a full collection does not walk it in the middle of a request; measured here the same way.
    gc.collect()
    gc.freeze()
    try:
        return _measure_all(requests=requests, warmup=warmup, seed=seed)
    finally:
        gc.unfreeze()


def _measure_all(*, requests: int, warmup: int, seed: int) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    from django.db.models import Count
    from django.test import Client
    from django.urls import NoReverseMatch, reverse
    from django.utils import timezone

    from bench.run import measure
    from sencrm.fieldservice import dispatch, field
    from sencrm.fieldservice.models import WorkOrder
    from sencrm.users.models import User

    rng = random.Random(seed)
    care = User.objects.get(username="care")
    today = timezone.localdate()
    days = week_of(today)
    board = Client(HTTP_HOST="127.0.0.1", raise_request_exception=False)
    board.force_login(care)
    data_url = reverse("fieldservice:dispatch_data")

    def expect_board(response: Any) -> str | None:
        if response.status_code != 200:
            return f"HTTP {response.status_code}"
        body = response.json()
        return None if body["items"] and body["technicians"] else "an empty board"

    def week() -> Any:
        return board.get(data_url, {"view": "week", "start": rng.choice(days).isoformat()})

    def day() -> Any:
        return board.get(data_url, {"view": "day", "start": rng.choice(days).isoformat()})

    def data_only() -> Any:
        filters = dispatch.BoardFilters(start=rng.choice(days), view="week")
        return json.dumps(dispatch.board_data(care, filters), ensure_ascii=False)

    rows = [
        measure("board_week", "dispatch board: 50 technicians × a week (HTTP)", week, check=expect_board,
                requests=requests, warmup=warmup, target=BOARD_TARGET_MS),
        measure("board_day", "dispatch board: one day (HTTP)", day, check=expect_board, requests=requests,
                warmup=warmup, target=BOARD_TARGET_MS),
        measure("board_data", "dispatch board: week data + JSON (no HTTP)", data_only, check=lambda s: None,
                requests=requests, warmup=warmup, target=None),
    ]  # fmt: skip
    sample = dispatch.board_data(care, dispatch.BoardFilters(start=days[0], view="week"))
    findings: dict[str, Any] = {
        "gc": "frozen after start-up, as the server's workers do (config/gunicorn.py)",
        "board_week_cards": len(sample["items"]),
        "board_week_waiting": sample["unassigned_count"],
        "board_week_queries": _count_queries(lambda: week()),
    }
    # Technicians with a full day today: the phone screen's day.
    busy = list(
        WorkOrder.objects.filter(
            scheduled_start__gte=_aware(today, 0), scheduled_start__lt=_aware(today, 24 * 60)
        )
        .values("technician_id")
        .annotate(n=Count("id"))
        .filter(n__gte=1)
        .values_list("technician_id", flat=True)
    )
    technicians = list(User.objects.filter(pk__in=busy))
    clients = []
    for user in technicians[:20]:
        client = Client(HTTP_HOST="127.0.0.1", raise_request_exception=False)
        client.force_login(user)
        clients.append((user, client))

    def day_of() -> Any:
        user, _client = rng.choice(clients)
        return field.technician_day(user, today)

    rows.append(
        measure("technician_day", "technician's day: field.technician_day (no HTTP)", day_of,
                check=lambda jobs: None if jobs else "no job", requests=requests, warmup=warmup, target=None)
    )  # fmt: skip
    try:
        field_url = reverse("fieldservice:field_day")
    except NoReverseMatch:
        field_url = ""
        findings["field_page"] = "fieldservice:field_day is not installed: only the function was measured"
    if field_url:

        def page() -> Any:
            _user, client = rng.choice(clients)
            return client.get(field_url)

        rows.append(
            measure("field_day", "technician's day page /field/ at 1M assets (HTTP)", page,
                    check=lambda r: None if r.status_code == 200 else f"HTTP {r.status_code}",
                    requests=requests, warmup=warmup, target=FIELD_TARGET_MS)
        )  # fmt: skip
        findings["field_day_queries"] = _count_queries(page)
    findings["technician_day_jobs"] = len(field.technician_day(clients[0][0], today)) if clients else 0
    return rows, findings


def main() -> None:
    technicians = int(os.environ.get("DISPATCH_TECHNICIANS") or 50)
    work_orders = int(os.environ.get("DISPATCH_WORK_ORDERS") or 2000)
    assets = int(os.environ.get("DISPATCH_ASSETS") or 1_000_000)
    requests = int(os.environ.get("DISPATCH_REQUESTS") or 200)
    warmup = int(os.environ.get("DISPATCH_WARMUP") or 10)
    reuse = os.environ.get("DISPATCH_REUSE") == "1"
    if requests < 2:
        raise SystemExit("DISPATCH_REQUESTS must be at least 2.")
    sys.path.insert(0, str(ROOT))
    from bench.run import database_version, module_database_url, prepare_environment, table, write_results

    url = module_database_url("dispatch")
    if not url:
        raise SystemExit(
            "The dispatch benchmark runs on PostgreSQL: set DATABASE_URL or DISPATCH_DATABASE_URL."
        )
    keep_data = bool(os.environ.get("DISPATCH_DATA_DIR"))
    data_dir = prepare_environment("dispatch", url, reuse=reuse)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    try:
        started = timezone.localtime()
        call_command("migrate", verbosity=0)
        log(
            f"Sen CRM after-sales benchmark: {technicians} technicians, {work_orders:,} work orders this "
            f"week, {assets:,} assets, {requests} requests, {database_version()}"
        )
        load = None
        if not reuse:
            load = generate(technicians=technicians, work_orders=work_orders, assets=assets)
            log(f"generated: {load}")
        load_before = os.getloadavg()
        rows, findings = measure_all(requests=requests, warmup=warmup)
        load_after = os.getloadavg()
        report = {
            "benchmark": "dispatch",
            "vendor": connection.vendor,
            "database": database_version(),
            "size": work_orders,
            "technicians": technicians,
            "assets": assets,
            "requests": requests,
            "warmup": warmup,
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
            "load": load,
            "results": rows,
            "findings": findings,
        }
        print()
        print(table(rows))
        print()
        log(f"findings: {findings}")
        path = write_results(report)
        log(f"results: {path.relative_to(ROOT)} (load average {load_before[0]:.2f} → {load_after[0]:.2f})")
        failed = [r["name"] for r in rows if r["failures"] or r["passed"] is False]
        if failed:
            log(f"targets missed or errors: {', '.join(failed)}")
    finally:
        if not keep_data:
            shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
