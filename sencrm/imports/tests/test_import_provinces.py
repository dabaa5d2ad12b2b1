"""Issue 11: customers' spreadsheets use the map before 2025. Old province names and cities import into
their 2025 province; a value that cannot be placed (province, source, date of birth…) no longer
rejects the row: it is imported with a warning, the value kept as typed, and listed in its own file."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse
from django.utils import translation

from sencrm.customers.models import Account, Contact
from sencrm.imports.tests.test_import_run import do_import, errors, write_csv
from sencrm.imports.tests.test_import_views import run_wizard, to_csv
from sencrm.sales.models import Lead

HEADER = ["Họ và tên", "Điện thoại", "Email", "Tỉnh/Thành phố", "Chức vụ"]
OLD_MAP = [
    ["Nguyễn Văn An", "0912 000 101", "an@example.vn", "Nha Trang", "Giám đốc"],
    ["Trần Thị Bình", "0912 000 102", "", "Thủ Đức", "Kế toán"],
    ["Lê Văn Cường", "0912 000 103", "", "Tỉnh Bình Định", ""],
    ["Phạm Thị Dung", "0912 000 104", "", "quang nam", ""],
    ["Hoàng Văn Em", "0912 000 105", "", "Bà Rịa - Vũng Tàu", ""],
    ["Vũ Thị Phương", "0912 000 106", "", "TP. Buôn Ma Thuột", ""],
    ["Đỗ Văn Giang", "0912 000 107", "", "Hà Giang", ""],
    ["Bùi Thị Hoa", "0912 000 108", "", "Q.1, TP.HCM", ""],
    ["Ngô Văn Ích", "0912 000 109", "", "TP. Hồ Chí Minh", ""],
    ["Đặng Thị Kim", "0912 000 110", "", "Đà Lạt", ""],
]
EXPECTED = ["khanh-hoa", "ho-chi-minh", "gia-lai", "da-nang", "ho-chi-minh", "dak-lak", "tuyen-quang",
            "ho-chi-minh", "ho-chi-minh", "lam-dong"]  # fmt: skip


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path / "data"
    return tmp_path


def test_old_provinces_and_cities_import_into_their_2025_province(org, data_dir):
    job = do_import(org["manager"], write_csv(data_dir / "cu.csv", OLD_MAP, header=HEADER))
    assert (job.created, job.rejected, job.warned) == (10, 0, 0), errors(job)
    by_name = {c.full_name: c.province.code for c in Contact.objects.select_related("province")}
    assert [by_name[row[0]] for row in OLD_MAP] == EXPECTED
    assert Contact.objects.get(full_name="Nguyễn Văn An").street == ""  # placed: nothing kept aside


def test_an_unknown_province_is_a_warning_and_kept_in_the_address(org, data_dir):
    rows = [
        ["Khách Lạ", "0912 000 201", "", "Gotham", ""],
        ["Khách Quen", "0912 000 202", "", "Nha Trang", ""],
    ]
    job = do_import(org["manager"], write_csv(data_dir / "la.csv", rows, header=HEADER))
    assert (job.created, job.rejected, job.warned) == (2, 0, 1)
    odd = Contact.objects.get(full_name="Khách Lạ")
    assert odd.province is None and odd.street == "Gotham"  # where the user sees it: the address
    warning = job.row_errors.get(warning=True)
    assert warning.line == 2 and "Gotham" in warning.message and "Tỉnh/Thành phố" in warning.message
    assert warning.cells == ["Khách Lạ", "0912 000 201", "", "Gotham", ""]


def test_reject_rows_with_warnings_keeps_the_strict_behaviour(org, data_dir):
    rows = [["Khách Lạ", "0912 000 201", "", "Gotham", ""], ["Khách Quen", "0912 000 202", "", "Huế", ""]]
    job = do_import(org["manager"], write_csv(data_dir / "la.csv", rows, header=HEADER), reject_warnings=True)
    assert (job.created, job.rejected, job.warned) == (1, 1, 0)
    assert "Gotham" in errors(job)[2]
    assert not Contact.objects.filter(full_name="Khách Lạ").exists()


def test_an_unknown_source_and_a_bad_date_go_to_the_notes(org, data_dir):
    header = ["Họ và tên", "Điện thoại", "Nguồn", "Ngày sinh", "Giới tính", "Ghi chú"]
    rows = [["Khách Nhiều Lỗi", "0912 000 301", "Hội chợ 2019", "31/02/1990", "?", "Khách cũ"]]
    job = do_import(org["manager"], write_csv(data_dir / "notes.csv", rows, header=header))
    assert (job.created, job.rejected, job.warned) == (1, 0, 1)
    contact = Contact.objects.get()
    assert contact.source is None and contact.date_of_birth is None and contact.gender == ""
    assert contact.notes == "Khách cũ\nNguồn: Hội chợ 2019\nNgày sinh: 31/02/1990\nGiới tính: ?"
    message = job.row_errors.get(warning=True).message
    assert "Hội chợ 2019" in message and "Ngày sinh" in message and "Giới tính" in message


def test_accounts_keep_an_unknown_province_in_the_address_line_after_the_street(org, data_dir):
    header = ["Tên công ty", "Địa chỉ", "Tỉnh"]
    rows = [["Công ty Sen", "12 Lê Lợi", "Tỉnh Xứ Lạ"], ["Công ty Quy Nhơn", "", "Qui Nhơn"]]
    job = do_import(org["manager"], write_csv(data_dir / "acc.csv", rows, header=header), target="accounts")
    assert (job.created, job.warned) == (2, 1)
    assert Account.objects.get(name="Công ty Sen").street == "12 Lê Lợi, Tỉnh Xứ Lạ"
    assert Account.objects.get(name="Công ty Quy Nhơn").province.code == "gia-lai"


def test_leads_keep_an_unknown_province_in_the_interest(org, data_dir):
    header = ["Họ và tên", "Điện thoại", "Tỉnh/Thành phố", "Nhu cầu"]
    rows = [
        ["Khách Tiềm Năng", "0912 000 401", "Atlantis", "Điều hòa"],
        ["Khách Vinh", "0912 000 402", "Vinh", ""],
    ]
    job = do_import(org["manager"], write_csv(data_dir / "leads.csv", rows, header=header), target="leads")
    assert (job.created, job.warned) == (2, 1)
    assert Lead.objects.get(full_name="Khách Tiềm Năng").interest == "Điều hòa\nTỉnh/Thành phố: Atlantis"
    assert Lead.objects.get(full_name="Khách Vinh").province.code == "nghe-an"


def test_an_update_does_not_overwrite_the_notes_with_a_warning(org, data_dir, make_contact):
    existing = make_contact(owner="manager", full_name="Đã Có", phones=["0912 000 501"], notes="Khách VIP")
    rows = [["Đã Có", "0912 000 501", "", "Gotham", "Trưởng phòng"]]
    job = do_import(org["manager"], write_csv(data_dir / "up.csv", rows, header=HEADER), mode="update")
    assert (job.updated, job.warned) == (1, 1)
    existing.refresh_from_db()
    assert existing.title == "Trưởng phòng" and existing.notes == "Khách VIP" and existing.street == ""
    assert existing.province.code == "ha-noi"  # an unknown province does not clear the known one


def test_nothing_to_identify_the_person_is_still_rejected(org, data_dir):
    job = do_import(
        org["manager"], write_csv(data_dir / "x.csv", [["", "0912 000 601", "", "Gotham", ""]], header=HEADER)
    )
    assert (job.created, job.rejected, job.warned) == (0, 1, 0)


def test_the_report_counts_warnings_and_their_list_downloads(
    client_as, data_dir, django_capture_on_commit_callbacks
):
    client = client_as("manager")
    content = to_csv(
        [HEADER, ["Khách Lạ", "0912 000 701", "", "Gotham", ""], ["Khách Huế", "0912 000 702", "", "Huế", ""]]
    )
    job = run_wizard(client, django_capture_on_commit_callbacks, content=content)
    assert (job.created, job.rejected, job.warned) == (2, 0, 1)
    assert (job.preview["new"], job.preview["invalid"], job.preview["warning"]) == (2, 0, 1)  # announced
    page = client.get(job.get_absolute_url()).content.decode()
    assert 'data-testid="n-warned">1<' in page and 'data-testid="warnings-table"' in page and "Gotham" in page
    assert 'data-testid="rejected-table"' not in page
    response = client.get(reverse("imports:import_warnings", args=[job.pk]), {"format": "csv"})
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[0][:4] == HEADER[:4] and rows[0][-1] == "Cảnh báo"  # the user's language
    assert rows[1][0] == "Khách Lạ" and "Gotham" in rows[1][-1] and len(rows) == 2
    rejected = client.get(reverse("imports:import_errors", args=[job.pk]), {"format": "csv"})
    assert b"".join(rejected.streaming_content).decode("utf-8-sig").count("\n") == 1  # header only
    listing = client.get(reverse("imports:import_list")).content.decode()
    assert 'data-testid="list-warnings"' in listing
    # Another user may not download the list (404, like the rejected rows).
    other = client_as("sales1").get(reverse("imports:import_warnings", args=[job.pk]))
    assert other.status_code == 404


def test_the_option_is_on_the_mapping_page_and_saved_with_the_job(
    client_as, data_dir, django_capture_on_commit_callbacks
):
    from sencrm.imports.tests.test_import_views import upload

    client = client_as("manager")
    content = to_csv([HEADER, ["Khách Lạ", "0912 000 801", "", "Gotham", ""]])
    with django_capture_on_commit_callbacks(execute=True):
        upload(client, content=content)
    from sencrm.imports.models import ImportJob

    job = ImportJob.objects.get()
    assert 'name="reject_warnings"' in client.get(job.get_absolute_url()).content.decode()
    form = {f"col_{i}": key for i, key in enumerate(job.mapping)}
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("imports:import_mapping", args=[job.pk]),
            {**form, "dedupe_mode": "skip", "match_keys": ["phone"], "reject_warnings": "on"},
        )
    job.refresh_from_db()
    assert job.reject_warnings and job.preview["invalid"] == 1 and job.preview["warning"] == 0
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("imports:import_start", args=[job.pk]))
    job.refresh_from_db()
    assert (job.created, job.rejected, job.warned) == (0, 1, 0)


def test_the_command_line_reports_warnings_and_can_reject_them(org, data_dir):
    from sencrm.imports.tests.test_import_command import run

    rows = [["Khách Lạ", "0912 000 901", "", "Gotham", ""], ["Khách Vinh", "0912 000 902", "", "Vinh", ""]]
    path = write_csv(data_dir / "cli.csv", rows, header=HEADER)
    code, out = run("contacts", str(path), "--as", "manager")
    assert code == 0 and "2 created" in out and "1 with warnings" in out and "row 2 (warning)" in out
    Contact.objects.all().delete()
    code, out = run("contacts", str(path), "--as", "manager", "--reject-warnings")
    assert code == 1 and "1 created" in out and "row 2 (rejected)" in out and "Gotham" in out


def test_the_preview_shows_the_warnings_before_the_import(
    client_as, data_dir, django_capture_on_commit_callbacks
):
    from sencrm.imports.models import ImportJob
    from sencrm.imports.tests.test_import_views import upload

    client = client_as("manager")
    with django_capture_on_commit_callbacks(execute=True):
        upload(client, content=to_csv([HEADER, ["Khách Lạ", "0912 000 951", "", "<b>Gotham</b>", ""]]))
    job = ImportJob.objects.get()
    form = {f"col_{i}": key for i, key in enumerate(job.mapping)}
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("imports:import_mapping", args=[job.pk]),
            {**form, "dedupe_mode": "skip", "match_keys": ["phone"]},
        )
    page = client.get(job.get_absolute_url()).content.decode()
    assert 'data-testid="count-warning"' in page and 'data-testid="preview-warning"' in page
    assert "&lt;b&gt;Gotham&lt;/b&gt;" in page and "<b>Gotham" not in page  # escaped
