"""`BENCH=dispatch` in miniature: the after-sales benchmark's data and every measurement, at a tiny size.

The real figures come from `BENCH=dispatch make bench` on PostgreSQL; this keeps the harness working: the
generated week is consistent (no technician double-booked, waiting work orders without a technician) and
every timed request got the answer it expected."""

from __future__ import annotations

import itertools

import pytest

from bench import dispatch as bench
from bench import run as bench_run
from sencrm.fieldservice.models import Asset, Technician, WorkOrder, WorkOrderAsset, WorkStatus

ROW_KEYS = {
    "name", "label", "requests", "failures", "failure_examples", "p50_ms", "p95_ms", "max_ms", "mean_ms",
    "target_p95_ms", "passed",
}  # fmt: skip


@pytest.mark.django_db
def test_dispatch_bench_generation_and_measurements(tmp_path):
    counts = bench.generate(technicians=4, work_orders=40, assets=200, batch=70)

    assert counts["technicians"] == Technician.objects.count() == 4
    assert counts["assets"] == Asset.objects.count() == 200
    week = WorkOrder.objects.exclude(status=WorkStatus.DONE)
    assert week.count() == counts["work_orders_this_week"] == 40
    assert week.filter(technician__isnull=True).count() == counts["waiting"]
    assert WorkOrder.objects.filter(status=WorkStatus.DONE).count() == 4 * bench.PAST_PER_TECHNICIAN
    assert not WorkOrder.objects.filter(asset_links__isnull=True).exists()
    assert WorkOrderAsset.objects.count() >= WorkOrder.objects.count()
    # No technician is booked twice at the same time.
    booked = week.filter(technician__isnull=False).order_by("technician_id", "scheduled_start")
    for _tech, jobs in itertools.groupby(booked, key=lambda wo: wo.technician_id):
        jobs = list(jobs)
        assert all(a.scheduled_end <= b.scheduled_start for a, b in itertools.pairwise(jobs))

    rows, findings = bench.measure_all(requests=3, warmup=1)

    assert {"board_week", "board_day", "board_data", "technician_day"} <= {r["name"] for r in rows}
    for row in rows:
        assert set(row) == ROW_KEYS, row["name"]
        assert row["requests"] == 3, row["name"]
        assert row["failures"] == 0, (row["name"], row["failure_examples"])
        assert 0 < row["p50_ms"] <= row["p95_ms"] <= row["max_ms"]
    assert findings["board_week_cards"] > 0 and findings["board_week_queries"] <= 15

    report = {
        "vendor": "x",
        "size": 40,
        "benchmark": "dispatch",
        "started_at_local": "2026-12-05T10:11:12+07:00",
    }
    path = bench_run.write_results({**report, "results": rows}, tmp_path)
    assert path.name == "x-40-dispatch-20261205-101112.json"
    assert "dispatch board" in bench_run.table(rows)
