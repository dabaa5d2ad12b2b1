"""Jobs around the import: the preview's analysis, saved mappings, the background tasks' housekeeping,
query counts of the pages, and the benchmark harness in miniature."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from sencrm.imports import files, jobs, preview, runner, tasks
from sencrm.imports.models import ImportJob, ImportRowError, ImportStatus
from sencrm.imports.tests.test_import_run import write_csv


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path / "data"
    return tmp_path


def test_the_preview_counts_new_duplicate_and_invalid_rows(org, data_dir, make_contact):
    make_contact(owner="sales2", full_name="Đã Có", phones=["0912 600 001"])
    rows = [
        ["Đã Có Trong CRM", "0912 600 001", "", "", "", ""],
        ["Mới", "0912 600 002", "", "", "", ""],
        ["Mới Lặp", "+84 912 600 002", "", "", "", ""],
        ["Sai", "1", "", "", "", ""],
    ]
    path = write_csv(data_dir / "p.csv", rows)
    job = jobs.job_create(user=org["manager"], target="contacts", file_name="p.csv", path=path)
    counts = runner.analyse(job, org["manager"], path)
    assert {k: counts[k] for k in ("total", "new", "duplicate", "invalid")} == {
        "total": 4, "new": 1, "duplicate": 2, "invalid": 1}  # fmt: skip
    shown = preview.preview_rows(job, org["manager"], path)
    assert [r["status"] for r in shown["rows"]] == ["duplicate", "new", "duplicate", "invalid"]
    # The other team's contact is counted as a duplicate but not linked (the manager may not see it).
    assert shown["rows"][0]["matches"][0][1] == ""
    assert shown["rows"][1]["cells"][:2] == ["Mới", "0912 600 002"]


def test_a_saved_mapping_applies_to_the_next_file(org, data_dir):
    path = write_csv(
        data_dir / "a.csv", [["X", "0912 600 003", "ghi chú"]], header=["Khách", "Liên lạc", "Lưu ý"]
    )
    job = jobs.job_create(user=org["manager"], target="contacts", file_name="a.csv", path=path)
    assert job.header_row == 1 and job.mapping == ["", "", ""]  # nothing recognised: the user maps it
    job.mapping = ["full_name", "phones", "notes"]
    template = jobs.template_save(user=org["manager"], job=job, name="Mẫu cửa hàng")
    job2 = jobs.job_create(
        user=org["manager"], target="contacts", file_name="a.csv", path=path, template=template
    )
    assert job2.mapping == ["full_name", "phones", "notes"]
    with pytest.raises(Exception, match="Another user"):
        jobs.template_save(
            user=org["admin"].__class__.objects.get(username="marketing"), job=job, name="Mẫu cửa hàng"
        )


def test_housekeeping_resumes_once_then_fails_and_drops_abandoned_uploads(org, data_dir, monkeypatch):
    started = []
    monkeypatch.setattr(tasks, "import_run", lambda job_id: started.append(job_id))
    old = timezone.now() - dt.timedelta(hours=2)
    running = ImportJob.objects.create(created_by=org["manager"], target="contacts", file_name="a.csv",
                                       status=ImportStatus.RUNNING, heartbeat_at=old)  # fmt: skip
    tasks.imports_housekeeping.call_local()
    assert started == [running.pk]
    tasks.imports_housekeeping.call_local()
    running.refresh_from_db()
    assert running.status == ImportStatus.FAILED and started == [running.pk]
    stored, _kind = files.store_upload(__import__("io").BytesIO(b"a,b\n1,2\n"), "x.csv", 8)
    abandoned = ImportJob.objects.create(created_by=org["manager"], target="contacts", file_name="x.csv",
                                         stored_name=stored, status=ImportStatus.UPLOADED)  # fmt: skip
    ImportJob.objects.filter(pk=abandoned.pk).update(created_at=timezone.now() - dt.timedelta(days=2))
    tasks.imports_housekeeping.call_local()
    abandoned.refresh_from_db()
    assert abandoned.status == ImportStatus.CANCELLED and abandoned.stored_name == ""
    assert not (data_dir / "data" / "imports" / stored).exists()


def test_pages_do_not_grow_queries_with_rows(client_as, org, data_dir, django_assert_max_num_queries):
    client = client_as("manager")
    job = ImportJob.objects.create(created_by=org["manager"], target="contacts", file_name="r.csv",
                                   status=ImportStatus.DONE, columns=["Họ tên"], mapping=["full_name"],
                                   rows_read=300, rejected=300)  # fmt: skip
    ImportRowError.objects.bulk_create(
        ImportRowError(job=job, line=i, message="Số điện thoại: sai", cells=[f"x{i}"]) for i in range(300)
    )
    for _ in range(30):
        ImportJob.objects.create(created_by=org["manager"], target="contacts", file_name="n.csv")
    with django_assert_max_num_queries(15):
        assert client.get(job.get_absolute_url()).status_code == 200
    with django_assert_max_num_queries(12):
        assert client.get(reverse("imports:import_list")).status_code == 200


def test_the_benchmark_harness_in_miniature(org, tmp_path, settings):
    from bench import imports as bench

    settings.DATA_DIR = tmp_path / "data"
    result = bench.measure(300, tmp_path, seed=7, log=lambda line: None)
    first, again = result["first"], result["again"]
    assert first["rows"] == 300 == first["created"] + first["skipped"] + first["rejected"]
    assert first["created"] > 250 and again["created"] == 0 and first["peak_rss_mb"] > 0
    assert not list(tmp_path.glob("contacts-*"))  # the generated file is removed


def test_the_worker_tells_the_importer_when_the_import_is_over(org, data_dir):
    from sencrm.events.messages import render_notification
    from sencrm.events.models import Notification

    rows = [["Một", "0912 600 101", "", "", "", ""], ["Hai", "1", "", "", "", ""]]
    path = write_csv(data_dir / "xong.csv", rows)
    with path.open("rb") as upload:  # uploaded from the browser: stored under DATA_DIR
        job = jobs.job_create(
            user=org["manager"],
            target="contacts",
            file_name="xong.csv",
            upload=upload,
            size=path.stat().st_size,
        )
    job.status = ImportStatus.QUEUED
    job.save()
    tasks.import_run.call_local(job.pk)
    job.refresh_from_db()
    assert (job.status, job.created, job.rejected) == (ImportStatus.DONE, 1, 1)
    note = Notification.objects.get(recipient=org["manager"], kind="import_done")
    assert note.url == reverse("imports:import_job", args=[job.pk])
    assert render_notification(note) == (
        "Import of “xong.csv” finished: 1 created, 0 updated, 0 skipped, 1 rejected."
    )
