"""An import in a real browser: upload a file, check the mapping, preview, import, watch the progress
reach 100 %, and download the rejected rows; htmx polling under the Content-Security-Policy."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from sencrm.core.tests.test_browser import browser, page, sign_in  # noqa: F401  (shared fixtures)
from sencrm.imports.models import ImportJob, ImportStatus

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CSV = (
    "DANH SÁCH KHÁCH HÀNG;;\n"
    "Họ và tên;SĐT;Ghi chú\n"
    "Nguyễn Văn Trình Duyệt;0912 500 001;<script>alert(1)</script>\n"
    "Sai Số;12345;\n"
    "Lê Thị Ổn;01689 500 002;\n"
)


def test_upload_map_preview_import_and_download_the_rejected_rows(page, org, hanoi, settings, tmp_path):  # noqa: F811
    settings.DATA_DIR = tmp_path / "data"
    source = tmp_path / "khach-hang.csv"
    source.write_bytes(CSV.encode("utf-8-sig"))
    sign_in(page, "manager")
    page.locator("[data-nav='customers:contact_list']").click()
    page.get_by_test_id("import-link").click()
    page.set_input_files("#id_file", str(source))
    page.get_by_test_id("import-upload").click()

    # The columns were recognised under the title row; the header is row 2.
    expect(page.get_by_test_id("mapping-table")).to_be_visible()
    expect(page.locator("#id_col_0")).to_have_value("full_name")
    expect(page.locator("#id_col_1")).to_have_value("phones")
    page.select_option("#id_col_2", "notes")
    page.get_by_test_id("to-preview").click()

    expect(page.get_by_test_id("count-new")).to_have_text("2")
    expect(page.get_by_test_id("count-invalid")).to_have_text("1")
    table = page.get_by_test_id("preview-table")
    expect(table).to_contain_text("0389 500 002")  # the old 11-digit number, renumbered
    expect(table).to_contain_text("<script>alert(1)</script>")  # shown as text
    page.get_by_test_id("import-start").click()

    expect(page.get_by_test_id("progress-percent")).to_have_text("100 %")
    expect(page.get_by_test_id("n-created")).to_have_text("2")
    expect(page.get_by_test_id("n-rejected")).to_have_text("1")
    expect(page.get_by_test_id("rejected-table")).to_contain_text("12345")
    with page.expect_download() as info:
        page.get_by_test_id("errors-csv").click()
    download = info.value
    content = tmp_path / "rejected.csv"
    download.save_as(content)
    text = content.read_text(encoding="utf-8-sig")
    assert "Sai Số" in text and "12345" in text and text.splitlines()[0].startswith("Họ và tên")
    assert page.csp_errors == []


def test_the_progress_bar_follows_a_running_import(page, org, settings, tmp_path):  # noqa: F811
    settings.DATA_DIR = tmp_path / "data"
    job = ImportJob.objects.create(
        created_by=org["manager"],
        target="contacts",
        file_name="lon.csv",
        status=ImportStatus.RUNNING,
        rows_total=200,
        rows_read=60,
        columns=["Họ và tên"],
        mapping=["full_name"],
    )
    sign_in(page, "manager")
    page.goto(f"/imports/{job.pk}/")
    expect(page.get_by_test_id("progress-percent")).to_have_text("30 %")
    ImportJob.objects.filter(pk=job.pk).update(rows_read=150, created=150)
    expect(page.get_by_test_id("progress-percent")).to_have_text("75 %", timeout=5000)
    ImportJob.objects.filter(pk=job.pk).update(rows_read=200, created=200, status=ImportStatus.DONE)
    expect(page.get_by_test_id("import-summary")).to_be_visible(timeout=5000)  # the page reloads as a report
    expect(page.get_by_test_id("progress-percent")).to_have_text("100 %")
    expect(page).to_have_url(re.compile(rf"/imports/{job.pk}/$"))
    assert page.csp_errors == []
