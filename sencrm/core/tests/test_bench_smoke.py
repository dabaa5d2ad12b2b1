"""`make bench` in miniature: the harness's data generation and every measurement, at 300 contacts.

The real figures come from `make bench` (docs/benchmarks.md); this only keeps the harness working:
the generated rows are consistent with what the services would write, and every timed request got
the answer it expected.
"""

from __future__ import annotations

import json

import pytest

from bench import customers as bench
from bench import run as bench_run
from sencrm.core.phones import display, search_digits, to_e164
from sencrm.core.text import fold, name_sort_key, split_vietnamese_name
from sencrm.customers.models import Contact, Phone
from sencrm.events.models import Event

ROW_KEYS = {
    "name",
    "label",
    "user",
    "requests",
    "failures",
    "failure_examples",
    "p50_ms",
    "p95_ms",
    "max_ms",
    "mean_ms",
    "target_p95_ms",
    "passed",
}


@pytest.mark.django_db
def test_bench_generation_and_measurements(tmp_path):
    dataset = bench.generate(300, seed=7, batch=120)

    assert dataset.counts["contacts"] == Contact.objects.count() == 300
    assert dataset.counts["phones"] == Phone.objects.count() >= 300
    assert dataset.counts["events"] == Event.objects.filter(type__startswith="contact.").count() >= 300
    assert set(dataset.load_summary()) >= {"rows", "rows_total", "seconds", "rows_per_s", "contacts_per_s"}
    # Derived fields as the services compute them; phone numbers valid and unique.
    e164s = list(Phone.objects.values_list("e164", flat=True))
    assert len(set(e164s)) == len(e164s)
    for contact in Contact.objects.prefetch_related("phones", "emails")[:50]:
        phones = [p.e164 for p in contact.phones.all()]
        assert all(to_e164(p.number) == p.e164 for p in contact.phones.all())
        assert (contact.family_name, contact.middle_name, contact.given_name) == split_vietnamese_name(
            contact.full_name
        )
        assert contact.sort_key == name_sort_key(contact.full_name)
        assert contact.primary_phone == display(phones[0])
        key = [fold(contact.full_name), *(search_digits(e) for e in phones)]
        key += [e.address_key for e in contact.emails.all()]
        assert contact.search_key == " ".join(key)
        events = Event.objects.filter(customer_id=contact.pk).order_by("id")
        assert events[0].type == "contact.created"
        assert contact.version == events.count()

    rows = bench.measure_all(dataset, requests=5, warmup=1)
    rows.append(bench_run.bench_access_gate(rounds=5))

    assert [r["name"] for r in rows] == [*bench.TARGETS, "access_gate"]
    for row in rows:
        assert set(row) == ROW_KEYS, row["name"]
        assert row["requests"] == 5, row["name"]
        assert row["failures"] == 0, (row["name"], row["failure_examples"])
        assert 0 < row["p50_ms"] <= row["p95_ms"] <= row["max_ms"]
    assert Contact.objects.count() == 300 + 6  # one warm-up and five timed creates

    report = {"vendor": dataset.vendor, "size": 300, "started_at_local": "2026-11-23T10:11:12+07:00"}
    path = bench_run.write_results({**report, "load": dataset.load_summary(), "results": rows}, tmp_path)
    assert path.name == f"{dataset.vendor}-300-20261123-101112.json"
    assert json.loads(path.read_text(encoding="utf-8"))["results"][0]["name"] == "caller_id"
    assert "caller ID" in bench_run.table(rows)


@pytest.mark.django_db
def test_sales_bench_generation_and_measurements(tmp_path):
    from bench import sales as sales_bench
    from sencrm.sales.models import Lead, Opportunity, StageChange

    dataset = bench.generate(300, seed=7, batch=120)
    sales = sales_bench.generate(dataset, open_deals=150, closed_deals=20, other_deals=10, batch=70)

    assert sales.counts == {"opportunities": 180, "stage_changes": 180}
    assert Opportunity.objects.filter(pipeline_id=sales.pipeline_id, status="open").count() == 150
    assert StageChange.objects.count() == Opportunity.objects.count() == 180
    # Fields as the services set them: probability from the stage, team from the owner, closing.
    for opp in Opportunity.objects.select_related("stage", "owner")[:60]:
        assert opp.probability == opp.stage.probability
        assert opp.team_id == opp.owner.teams.values_list("id", flat=True).first()
        assert opp.status == ("won" if opp.stage.is_won else "lost" if opp.stage.is_lost else "open")
        assert (opp.closed_at is not None) == opp.stage.is_closed
        assert opp.stage.is_lost == bool(opp.close_reason)
    assert set(Opportunity.objects.values_list("owner__username", flat=True)) >= {
        "sales1",
        "sales2",
        "manager",
    }

    rows = sales_bench.measure_all(dataset, sales, requests=6, warmup=1)

    assert [r["name"] for r in rows] == list(sales_bench.TARGETS)
    for row in rows:
        assert set(row) == ROW_KEYS | {"cpu_p50_ms", "cpu_p95_ms"}, row["name"]
        assert row["requests"] == 6, row["name"]
        assert row["failures"] == 0, (row["name"], row["failure_examples"])
        assert 0 < row["p50_ms"] <= row["p95_ms"] <= row["max_ms"]
    assert Lead.objects.count() == 2 * 7  # warm-up and timed creates, by the service and by the API
    inputs = sales_bench.lead_inputs(dataset, 6, __import__("random").Random(1))
    assert [i.kind for i in inputs] == ["phone", "email", "new"] * 2

    report = {"vendor": dataset.vendor, "size": 300, "started_at_local": "2026-11-23T10:11:12+07:00"}
    path = bench_run.write_results({**report, "benchmark": "sales", "results": rows}, tmp_path)
    assert path.name == f"{dataset.vendor}-300-sales-20261123-101112.json"
    assert "kanban" in bench_run.table(rows)
