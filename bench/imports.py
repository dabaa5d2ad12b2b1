"""The imports benchmark: a generated CSV (or XLSX) of realistic contacts, imported the way the worker
and the command line do it (sencrm.imports), timed, with the process's peak memory.

    BENCH=imports make bench                                  # 100,000 rows, SQLite in a temp directory
    BENCH=imports IMPORT_SIZE=1000000 make bench              # 1,000,000 rows: the memory target
    BENCH=imports DATABASE_URL=postgresql://postgres@127.0.0.1:5432/sencrm_bench make bench

It runs in a process of its own (bench/run.py starts it; `make bench` runs it after the others), on a
database of its own: a fresh SQLite file in a temporary DATA_DIR, or the PostgreSQL database
IMPORT_DATABASE_URL, by default DATABASE_URL's database name + "_import" (sencrm_bench_import), dropped
and created again. Other variables: IMPORT_KIND (csv or xlsx), IMPORT_AGAIN (1: import the same file a
second time with "update"; default for sizes up to 200,000), SEED.

`make_file()` writes SIZE rows streaming (any size in flat memory): Vietnamese names, phone numbers typed
in eight formats (also the pre-2018 11-digit form), an email for half of them, provinces by name (some
with their pre-2025 names), dates of birth as dd/mm/yyyy, gender, a customer group, notes; `INVALID`
share of rows with a bad phone or date and `DUPLICATES` share repeating an earlier row's phone.
`measure()` imports it as the manager (team scope) with duplicates skipped, then again with "update"
(every row matches: nothing changes), and reports rows/s and peak RSS.

Django must be set up first (bench/run.py with BENCH=imports, or the smoke test).
"""

from __future__ import annotations

import csv
import json
import os
import platform
import random
import resource
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HEADER = [
    "Họ và tên",
    "Số điện thoại",
    "Email",
    "Địa chỉ",
    "Tỉnh/Thành phố",
    "Ngày sinh",
    "Giới tính",
    "Nhóm khách hàng",
    "Ghi chú",
]
# Names from before the 2025 map, as customers' files hold them (old provinces, cities, districts).
OLD_NAMES = ["Bình Dương", "Hà Tây", "Vĩnh Phúc", "Nam Định", "Quảng Nam", "Nha Trang", "Thủ Đức",
             "TP. Buôn Ma Thuột", "tinh binh dinh", "Q.1, TP.HCM"]  # fmt: skip
TARGET_ROWS_PER_S = 5000
TARGET_PEAK_MB = 500


def peak_rss_mb() -> float:
    """The process's peak resident memory so far (Linux reports kilobytes, macOS bytes)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(peak / (1024 * 1024 if sys.platform == "darwin" else 1024), 1)


def rows(size: int, *, seed: int = 2026, invalid: float = 0.01, duplicates: float = 0.01) -> Any:
    from bench.customers import _Names, national_number, typed
    from sencrm.customers.choices import PROVINCES

    rng = random.Random(seed)
    names = _Names()
    provinces = [name for _code, name in PROVINCES] + OLD_NAMES
    groups = ["Khách lẻ", "Đại lý", "VIP", "Dự án"]
    start = 10_000_000  # phone indexes far from the customers benchmark's
    for i in range(size):
        gender, full_name = names.pick(rng, 1)[0]
        number = national_number(start + i)
        if i and rng.random() < duplicates:
            number = national_number(start + rng.randrange(i))  # repeats an earlier row's phone
        phone = typed(number, rng.randrange(8))
        if rng.random() < invalid / 2:
            phone = "012345"  # too short: rejected
        folded = names.derived(full_name)[4]
        email = f"{folded.replace(' ', '.')}.{i}@example.vn" if rng.random() < 0.5 else ""
        born = (
            f"{rng.randint(1, 28):02d}/{rng.randint(1, 12):02d}/{rng.randint(1960, 2004)}"
            if rng.random() < 0.4
            else ""
        )
        if rng.random() < invalid / 2:
            born = "07/30/2023"  # month 30 under dd/mm: never rolled over (imported with a warning)
        province = rng.choice(provinces)
        yield [
            full_name,
            phone,
            email,
            f"{rng.randint(1, 500)} Nguyễn Trãi",
            province,
            born,
            "Nữ" if gender == "female" else "Nam",
            rng.choice(groups),
            "Khách cũ" if rng.random() < 0.1 else "",
        ]


def make_file(path: Path, size: int, *, seed: int = 2026, kind: str = "csv") -> Path:
    if kind == "xlsx":
        from openpyxl import Workbook

        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet("Khách hàng")
        sheet.append(HEADER)
        for row in rows(size, seed=seed):
            sheet.append(row)
        workbook.save(path)
        return path
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows(rows(size, seed=seed))
    return path


def import_file(path: Path, *, username: str = "manager", mode: str = "skip") -> dict[str, Any]:
    """Import as the command line does; returns the job's counts, the time and the rate."""
    from sencrm.imports import jobs, runner
    from sencrm.users.models import User

    user = User.objects.get(username=username)
    started, cpu = time.perf_counter(), time.process_time()
    job = jobs.job_create(user=user, target="contacts", file_name=path.name, path=path)
    job.dedupe_mode = mode
    job.save()
    job = runner.run(job, user, path)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    return {
        "job": job.pk,
        "mode": mode,
        "rows": job.rows_read,
        "created": job.created,
        "updated": job.updated,
        "skipped": job.skipped,
        "rejected": job.rejected,
        "warned": job.warned,
        "seconds": round(seconds, 2),
        "cpu_seconds": round(cpu, 2),
        "rows_per_s": round(job.rows_read / seconds) if seconds else None,
        "peak_rss_mb": peak_rss_mb(),
    }


def measure(
    size: int,
    workdir: Path,
    *,
    seed: int = 2026,
    kind: str = "csv",
    again: bool = True,
    log: Callable[[str], None] = print,
) -> dict[str, Any]:
    from sencrm.customers.choices import sync_reference_data
    from sencrm.customers.models import Province, SourceChannel
    from sencrm.demo.organisation import load_organisation

    load_organisation()
    sync_reference_data(Province, SourceChannel)
    t0 = time.perf_counter()
    path = make_file(workdir / f"contacts-{size}.{kind}", size, seed=seed, kind=kind)
    file_seconds = time.perf_counter() - t0
    log(f"file: {path.stat().st_size / 2**20:.1f} MB, {size:,} rows, written in {file_seconds:.1f} s")
    baseline = peak_rss_mb()
    first = import_file(path, mode="skip")
    log(f"import (skip duplicates): {first}")
    result = {
        "size": size,
        "kind": kind,
        "file_mb": round(path.stat().st_size / 2**20, 1),
        "baseline_rss_mb": baseline,
        "first": first,
    }
    if again:
        second = import_file(path, mode="update")
        log(f"same file again (update, nothing changes): {second}")
        result["again"] = second
    result["passed"] = {
        "rate": first["rows_per_s"] >= TARGET_ROWS_PER_S,
        "memory": max(first["peak_rss_mb"], result.get("again", first)["peak_rss_mb"]) < TARGET_PEAK_MB,
    }
    path.unlink()
    return result


def import_database_url() -> str:
    from urllib.parse import urlsplit, urlunsplit

    url = os.environ.get("IMPORT_DATABASE_URL", "")
    if url or not os.environ.get("DATABASE_URL"):
        return url
    parts = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(parts._replace(path=parts.path.rstrip("/") + "_import"))


def main() -> None:
    size = int(os.environ.get("IMPORT_SIZE") or 100_000)
    kind = os.environ.get("IMPORT_KIND") or "csv"
    seed = int(os.environ.get("SEED") or 2026)
    again = os.environ.get("IMPORT_AGAIN", "1" if size <= 200_000 else "0") == "1"
    root = Path(__file__).resolve().parent.parent
    sys.path.insert(0, str(root))
    from bench.run import database_version, recreate_postgres_database

    data_dir = tempfile.mkdtemp(prefix="sencrm-bench-import-")
    os.environ["DATA_DIR"] = data_dir
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    url = import_database_url()
    if url:
        os.environ["DATABASE_URL"] = url
        recreate_postgres_database(url)
    else:
        os.environ.pop("DATABASE_URL", None)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    try:
        started = timezone.localtime()
        call_command("migrate", verbosity=0)
        print(f"Sen CRM imports benchmark: {size:,} rows ({kind}), {database_version()}", flush=True)
        load_before = os.getloadavg()[0]
        result = measure(size, Path(data_dir), seed=seed, kind=kind, again=again)
        report = {
            "benchmark": "imports",
            "vendor": connection.vendor,
            "database": database_version(),
            "started_at_local": started.isoformat(timespec="seconds"),
            "machine": {"cores": os.cpu_count(), "python": platform.python_version(),
                        "django": django.get_version(), "platform": platform.platform(),
                        "load_average_before": round(load_before, 2),
                        "load_average_after": round(os.getloadavg()[0], 2)},
            **result,
        }  # fmt: skip
        results = root / "bench" / "results"
        results.mkdir(parents=True, exist_ok=True)
        stamp = started.strftime("%Y%m%d-%H%M%S")
        path = results / f"{connection.vendor}-{size}-imports-{kind}-{stamp}.json"
        path.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        first = result["first"]
        print(
            f"\n{size:,} rows: {first['rows_per_s']:,} rows/s (target ≥ {TARGET_ROWS_PER_S:,}), "
            f"peak RSS {first['peak_rss_mb']} MB (target < {TARGET_PEAK_MB}); {path.relative_to(root)}"
        )
        if not all(result["passed"].values()):
            print(f"targets missed: {[k for k, ok in result['passed'].items() if not ok]}")
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
