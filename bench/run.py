"""`make bench`: benchmarks at the sizes the issues name; figures go into docs/benchmarks.md.

The foundation measures the access gate: the time to build a scoped queryset and check one record,
which every list, detail page and API call pays.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DATA_DIR", tempfile.mkdtemp(prefix="sencrm-bench-"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402


def p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20)[18]


def bench_access_gate(rounds: int = 2000) -> dict[str, float]:
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
    return {"p50_ms": statistics.median(samples), "p95_ms": p95(samples)}


def main() -> None:
    call_command("migrate", verbosity=0)
    result = bench_access_gate()
    p50, p95_ = result["p50_ms"], result["p95_ms"]
    print(f"access gate (grants + team ids, cold user): p50 {p50:.2f} ms, p95 {p95_:.2f} ms")


if __name__ == "__main__":
    main()
