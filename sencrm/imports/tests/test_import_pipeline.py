"""The import run as the worker and the command line run it, outside any transaction of the caller's: on
PostgreSQL each batch is written on a second connection while the next one is looked up (runner.Pipeline).
These tests are transactional so that the second connection sees what the first wrote; on SQLite the same
runs go through the one-connection path and must give the same results."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from sencrm.customers.models import Contact
from sencrm.imports import runner
from sencrm.imports.models import ImportChunk, ImportJob, ImportStatus
from sencrm.imports.tests.test_import_run import do_import, write_csv

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def threads(monkeypatch):
    """The names of the threads that committed the batches."""
    names: list[str] = []
    original = runner.Writer.commit

    def commit(self, plan):
        names.append(threading.current_thread().name)
        return original(self, plan)

    monkeypatch.setattr(runner.Writer, "commit", commit)
    monkeypatch.setattr(runner, "BATCH", 10)
    return names


def expect_pipeline(names: list[str]) -> None:
    if connection.vendor == "postgresql":
        assert names and all(n.startswith("import-writer") for n in names), names
    else:
        assert names and all(n == threading.main_thread().name for n in names), names


def test_skip_finds_duplicates_of_the_batch_being_written(org, hanoi, data_dir, make_contact, threads):
    make_contact(owner="manager", full_name="Đã Có", phones=["0912 000 999"])
    rows = [[f"Khách {i}", f"09{i:08d}", "", "", "", ""] for i in range(30)]
    rows[12][1] = "0900000003"  # batch 2 repeats a row of batch 1 (in flight on PostgreSQL)
    rows[15][1] = "0900000014"  # batch 2 repeats a row of its own batch
    rows[25][1] = "+84 900 000 005"  # batch 3 repeats batch 1, in another format
    rows[27][1] = "0912.000.999"  # batch 3 matches a contact already in the CRM
    job = do_import(org["manager"], write_csv(data_dir / "p.csv", rows))
    expect_pipeline(threads)
    assert (job.status, job.created, job.skipped, job.rejected) == (ImportStatus.DONE, 26, 4, 0)
    assert job.skip_reasons == {"duplicate_in_file": 3, "duplicate": 1}
    assert Contact.objects.count() == 27
    assert ImportChunk.objects.filter(job=job).count() == 3
    assert job.last_line == 31  # the header is line 1


def test_update_waits_for_the_batch_that_creates_the_record(org, hanoi, data_dir, threads):
    rows = [[f"Khách {i}", f"09{i:08d}", "", "", "", ""] for i in range(20)]
    rows[11] = ["Khách 3 (sửa)", "0900000003", "k3@example.vn", "", "", "Ghi chú mới"]
    job = do_import(org["manager"], write_csv(data_dir / "u.csv", rows), mode="update")
    expect_pipeline(threads)
    assert (job.created, job.updated, job.skipped, job.rejected) == (19, 1, 0, 0)
    contact = Contact.objects.get(phones__e164="+84900000003")
    assert (contact.full_name, contact.notes, contact.version) == ("Khách 3 (sửa)", "Ghi chú mới", 2)
    assert [e.address for e in contact.emails.all()] == ["k3@example.vn"]
    assert Contact.objects.count() == 19


def test_a_failing_batch_stops_the_run_and_keeps_the_batches_before_it(
    org, hanoi, data_dir, threads, monkeypatch
):
    rows = [[f"Khách {i}", f"09{i:08d}", "", "", "", ""] for i in range(30)]
    path = write_csv(data_dir / "f.csv", rows)
    calls = []
    original = runner.Writer.commit

    def commit(self, plan):
        calls.append(plan.batch[0].line)
        if len(calls) == 2:
            raise RuntimeError("the database went away")
        return original(self, plan)

    monkeypatch.setattr(runner.Writer, "commit", commit)
    from sencrm.imports import jobs

    job = jobs.job_create(user=org["manager"], target="contacts", file_name="f.csv", path=path)
    with pytest.raises(RuntimeError, match="went away"):
        runner.run(job, org["manager"], path)
    job = ImportJob.objects.get(pk=job.pk)
    assert (job.created, job.rows_read, job.last_line) == (10, 10, 11)
    assert Contact.objects.count() == 10
    monkeypatch.setattr(runner.Writer, "commit", original)  # the worker runs it again: it resumes
    job = runner.run(job, org["manager"], path)
    assert (job.status, job.created, job.rows_read) == (ImportStatus.DONE, 30, 30)
    assert Contact.objects.count() == 30


def test_an_import_leaves_the_tables_analysed(org, hanoi, data_dir):
    """After an import the planner has statistics for the rows it wrote (issue 12: without them, a list
    right after a 100,000-row import was planned as if the tables were empty, 15× slower)."""
    rows = [[f"Khách {i}", f"09{i:08d}", f"k{i}@example.vn", "Hà Nội", "", ""] for i in range(300)]
    job = do_import(org["manager"], write_csv(data_dir / "stats.csv", rows))
    assert job.created == 300
    if connection.vendor != "postgresql":
        pytest.skip("statistics are a PostgreSQL matter (SQLite gets PRAGMA optimize)")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, reltuples FROM pg_class WHERE relname IN"
            " ('customers_contact', 'customers_phone', 'customers_email', 'events_event')"
        )
        tuples = dict(cursor.fetchall())
        cursor.execute(
            "SELECT relname, last_analyze FROM pg_stat_user_tables WHERE relname IN"
            " ('customers_contact', 'customers_phone')"
        )
        analysed = dict(cursor.fetchall())
    assert tuples["customers_contact"] >= 300 and tuples["customers_phone"] >= 300
    assert tuples["customers_email"] >= 300 and tuples["events_event"] >= 300
    assert all(analysed[name] is not None for name in ("customers_contact", "customers_phone"))
