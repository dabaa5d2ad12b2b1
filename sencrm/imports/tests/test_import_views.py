"""The import wizard over HTTP: the gate (403 without the import right, 404 for another user's job and
its rejected-rows file), upload → mapping → preview → import → report, escaping, file downloads."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from sencrm.customers.models import Contact
from sencrm.imports.models import ImportJob, ImportStatus

XSS = '"><img src=x onerror=alert(1)>'


def to_csv(rows: list[list[str]]) -> str:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue()


CSV = to_csv(
    [
        ["Họ và tên", "Số điện thoại", "Ghi chú"],
        ["Nguyễn Văn Web", "0912 300 001", XSS],
        ["Sai Số", "12345", "=cmd|' /C calc'!A0"],
        ["-2+3", "0912 300 003", ""],
        ["Số Độc", "<img src=x onerror=alert(1)>", ""],
    ]
)


@pytest.fixture
def data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path / "data"
    return tmp_path


def upload(client, target="contacts", content=CSV, name="khách.csv", **extra):
    data = content.encode() if isinstance(content, str) else content
    return client.post(
        reverse("imports:import_new", args=[target]), {"file": SimpleUploadedFile(name, data), **extra}
    )


def run_wizard(client, captured, content=CSV, mode="skip"):
    """Upload, keep the proposed mapping, preview, import (tasks run when their transaction commits)."""
    with captured(execute=True):
        response = upload(client, content=content)
    assert response.status_code == 302, response.content.decode()[:2000]
    job = ImportJob.objects.latest("pk")
    form = {f"col_{i}": key for i, key in enumerate(job.mapping)}
    with captured(execute=True):
        response = client.post(
            reverse("imports:import_mapping", args=[job.pk]),
            {**form, "dedupe_mode": mode, "match_keys": ["phone"]},
        )
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.status == ImportStatus.READY
    with captured(execute=True):
        client.post(reverse("imports:import_start", args=[job.pk]))
    job.refresh_from_db()
    return job


def test_the_import_right_is_required(client_as, data_dir):
    for user, target, status in [
        ("sales1", "contacts", 403),
        ("care", "contacts", 403),
        ("marketing", "contacts", 403),
        ("marketing", "leads", 200),
        ("manager", "contacts", 200),
        ("admin", "accounts", 200),
        ("sales1", "leads", 403),
    ]:
        assert client_as(user).get(reverse("imports:import_new", args=[target])).status_code == status, (
            user,
            target,
        )
    assert upload(client_as("sales1")).status_code == 403
    assert ImportJob.objects.count() == 0
    assert client_as("admin").get(reverse("imports:import_new", args=["gadgets"])).status_code == 404


def test_import_buttons_only_for_those_who_may(client_as, org):
    assert (
        'data-testid="import-link"'
        in client_as("manager").get(reverse("customers:contact_list")).content.decode()
    )
    assert (
        'data-testid="import-link"'
        not in client_as("sales1").get(reverse("customers:contact_list")).content.decode()
    )


def test_the_whole_wizard(client_as, data_dir, django_capture_on_commit_callbacks):
    client = client_as("manager")
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(client)
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == job.get_absolute_url()
    page = client.get(job.get_absolute_url()).content.decode()
    assert 'data-testid="mapping-table"' in page and "0912 300 001" in page
    assert XSS not in page and "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;" in page  # escaped sample
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("imports:import_mapping", args=[job.pk]),
            {
                "col_0": "full_name",
                "col_1": "phones",
                "col_2": "notes",
                "dedupe_mode": "skip",
                "match_keys": ["phone", "email"],
                "template_name": "Mẫu KiotViet",
            },
        )
    job.refresh_from_db()
    assert job.status == ImportStatus.READY and job.preview["new"] == 2 and job.preview["invalid"] == 2
    page = client.get(job.get_absolute_url()).content.decode()
    assert 'data-testid="preview-table"' in page and "0912 300 001" in page and XSS not in page
    assert "Nguyễn · Văn · Web" in page  # parsed name parts
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("imports:import_start", args=[job.pk]))
    job.refresh_from_db()
    assert (job.status, job.created, job.rejected) == (ImportStatus.DONE, 2, 2)
    assert job.stored_name == ""  # the upload is deleted once imported
    assert list((data_dir / "data" / "imports").iterdir()) == []
    page = client.get(job.get_absolute_url()).content.decode()
    assert 'data-testid="import-summary"' in page and "12345" in page
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page  # the reason, escaped
    progress = client.get(reverse("imports:import_progress", args=[job.pk]), {"was": "running"})
    assert progress["HX-Refresh"] == "true" and 'value="100"' in progress.content.decode()
    assert Contact.objects.get(full_name="-2+3")  # a value starting with "-" is kept as it is
    # The saved mapping applies to the next file.
    from sencrm.imports.models import ImportMapping

    assert ImportMapping.objects.get(name="Mẫu KiotViet").columns["ghi chu"] == "notes"


def test_the_rejected_rows_file_is_formula_safe_and_imports_again(
    client_as, data_dir, django_capture_on_commit_callbacks
):
    client = client_as("manager")
    job = run_wizard(client, django_capture_on_commit_callbacks)
    response = client.get(reverse("imports:import_errors", args=[job.pk]), {"format": "csv"})
    body = b"".join(response.streaming_content).decode()
    rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))
    assert rows[0] == ["Họ và tên", "Số điện thoại", "Ghi chú", "Lỗi"] or rows[0][-1] == "Error"
    assert rows[1][:3] == ["Sai Số", "12345", "'=cmd|' /C calc'!A0"]  # escaped for spreadsheets
    assert "3" in rows[1][3] and "12345" in rows[1][3]  # row number and reason
    response = client.get(reverse("imports:import_errors", args=[job.pk]), {"format": "xlsx"})
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    assert sheet["C2"].value == "'=cmd|' /C calc'!A0"
    # Fixed and uploaded again: the escaping is undone and the row goes in.
    rows[1][1] = "0912 300 002"
    rows[2][1] = "0912 300 004"
    fixed = to_csv(rows)
    job2 = run_wizard(client, django_capture_on_commit_callbacks, content=fixed)
    assert (job2.created, job2.rejected) == (2, 0)
    assert Contact.objects.get(full_name="Sai Số").notes == "=cmd|' /C calc'!A0"


def test_jobs_are_private(client_as, org, data_dir, django_capture_on_commit_callbacks):
    job = run_wizard(client_as("manager"), django_capture_on_commit_callbacks)
    urls = [
        reverse(name, args=[job.pk])
        for name in ("imports:import_job", "imports:import_progress", "imports:import_errors")
    ]
    for username in ("sales2", "marketing", "care"):
        client = client_as(username)
        for url in urls:
            assert client.get(url).status_code == 404, (username, url)
        for name in (
            "imports:import_undo",
            "imports:import_cancel",
            "imports:import_start",
            "imports:import_mapping",
        ):
            assert client.post(reverse(name, args=[job.pk])).status_code == 404
    job.refresh_from_db()
    assert job.status == ImportStatus.DONE and Contact.objects.count() == 2  # nothing undone
    assert client_as("admin").get(urls[2]).status_code == 200  # administrators may look
    assert job.file_name not in client_as("sales2").get(reverse("imports:import_list")).content.decode()
    assert (
        client_as("admin").post(reverse("imports:import_undo", args=[job.pk])).status_code == 403
    )  # not theirs


def test_undo_from_the_report(client_as, data_dir, django_capture_on_commit_callbacks):
    client = client_as("manager")
    job = run_wizard(client, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("imports:import_undo", args=[job.pk]))
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.status == ImportStatus.UNDONE and job.undo_result["removed"] == 2
    assert Contact.objects.count() == 0
    assert 'data-testid="undo-result"' in client.get(job.get_absolute_url()).content.decode()


def test_bad_uploads_answer_400_with_a_message(client_as, data_dir, settings):
    client = client_as("manager")
    for name, content in [
        ("shell.php", b"<?php system($_GET['c']); ?>"),
        ("x.php.csv", b"a,b\n"),
        ("anh.csv", b"\x89PNG\r\n\x1a\n\x00\x00"),
        ("a.xlsx", b"PK\x03\x04broken"),
    ]:
        response = upload(client, name=name, content=content)
        assert response.status_code == 400 and 'data-testid="import-error"' in response.content.decode(), name
    settings.IMPORT_MAX_UPLOAD_MB = 1
    response = upload(client, content=b"a,b\n" * 400_000)
    assert response.status_code in (400, 413) and "MB" in response.content.decode()
    assert ImportJob.objects.count() == 0


def test_mapping_errors_are_explained(client_as, data_dir, django_capture_on_commit_callbacks):
    client = client_as("manager")
    upload(client)
    job = ImportJob.objects.get()
    response = client.post(
        reverse("imports:import_mapping", args=[job.pk]),
        {"col_0": "", "col_1": "phones", "col_2": "notes", "dedupe_mode": "skip"},
    )
    assert response.status_code == 400 and 'data-testid="mapping-error"' in response.content.decode()
    response = client.post(
        reverse("imports:import_mapping", args=[job.pk]),
        {"col_0": "full_name", "col_1": "full_name", "col_2": "notes", "dedupe_mode": "skip"},
    )
    assert response.status_code == 400
    job.refresh_from_db()
    assert job.status == ImportStatus.UPLOADED


def test_a_50_mb_file(client_as, data_dir, django_capture_on_commit_callbacks, settings):
    """SLOW-ish (~10 s): a 50 MB CSV (5,000 rows with long notes) passes the upload limit and imports."""
    settings.IMPORT_MAX_UPLOAD_MB = 100
    note = "Khách hàng cần tư vấn lắp đặt điều hòa. " * 250  # ~10 KB
    lines = ["Họ và tên,Số điện thoại,Ghi chú"] + [f"Khách {i},09{i:08d},{note}" for i in range(5000)]
    content = "\n".join(lines).encode()
    assert len(content) > 50 * 1024 * 1024
    job = run_wizard(client_as("manager"), django_capture_on_commit_callbacks, content=content)
    assert (job.status, job.created, job.rejected) == (ImportStatus.DONE, 5000, 0)


def test_state_changing_posts_need_the_csrf_token(org, data_dir):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(org["manager"])
    assert upload(client).status_code == 403
    job = ImportJob.objects.create(created_by=org["manager"], target="contacts", file_name="x.csv")
    for name in (
        "imports:import_start",
        "imports:import_cancel",
        "imports:import_undo",
        "imports:import_mapping",
    ):
        assert client.post(reverse(name, args=[job.pk])).status_code == 403
    assert ImportJob.objects.count() == 1 and ImportJob.objects.get().status == ImportStatus.UPLOADED
