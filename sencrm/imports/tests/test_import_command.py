"""python manage.py import_records: synchronous, as the named user, report printed, exit status."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from sencrm.customers.models import Contact
from sencrm.imports.models import ImportMapping
from sencrm.imports.tests.test_import_run import write_csv


@pytest.fixture
def data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path / "data"
    return tmp_path


def run(*args: str) -> tuple[int, str]:
    out = io.StringIO()
    try:
        call_command("import_records", *args, stdout=out)
    except CommandError as exc:
        return exc.returncode, out.getvalue() + str(exc)
    return 0, out.getvalue()


def test_a_clean_file_exits_0_and_records_belong_to_the_user(org, data_dir):
    path = write_csv(
        data_dir / "ok.csv",
        [["Một", "0912 400 001", "", "", "", ""], ["Hai", "0912 400 002", "", "", "", ""]],
    )
    code, out = run("contacts", str(path), "--as", "manager")
    assert code == 0 and "2 created" in out
    assert set(Contact.objects.values_list("owner__username", flat=True)) == {"manager"}
    code, out = run("contacts", str(path), "--as", "manager", "--dedupe", "update")
    assert code == 0 and "0 created, 0 updated, 2 skipped" in out and "unchanged 2" in out


def test_rejected_rows_exit_1_and_are_listed(org, data_dir):
    path = write_csv(
        data_dir / "bad.csv", [["Tốt", "0912 400 003", "", "", "", ""], ["Xấu", "123", "", "", "", ""]]
    )
    code, out = run("contacts", str(path), "--as", "manager")
    assert code == 1 and "1 created" in out and "row 3 (rejected)" in out and "123" in out
    assert Contact.objects.filter(full_name="Tốt").exists()  # valid rows are not lost


def test_missing_user_right_file_or_mapping_exit_2(org, data_dir):
    path = write_csv(data_dir / "x.csv", [["A", "0912 400 004", "", "", "", ""]])
    assert run("contacts", str(path), "--as", "nobody")[0] == 2
    assert run("contacts", str(path), "--as", "sales1")[0] == 2  # no import right
    assert run("contacts", str(data_dir / "missing.csv"), "--as", "manager")[0] == 2
    assert run("contacts", str(path), "--as", "manager", "--mapping", "Không có")[0] == 2
    shell = data_dir / "x.php"
    shell.write_text("<?php ?>")
    assert run("contacts", str(shell), "--as", "manager")[0] == 2
    unknown = write_csv(data_dir / "u.csv", [["a", "b"]], header=["Cột 1", "Cột 2"])
    code, out = run("contacts", str(unknown), "--as", "manager")
    assert code == 2 and "Cột 1" in out  # the columns it found are listed
    assert Contact.objects.count() == 0


def test_a_saved_mapping_by_name(org, data_dir):
    ImportMapping.objects.create(
        target="leads",
        name="Hội chợ",
        columns={"khach": "full_name", "dt": "phones"},
        dedupe_mode="skip",
        match_keys=["phone"],
    )
    path = write_csv(data_dir / "l.csv", [["Khách Hội Chợ", "0912 400 005"]], header=["Khách", "ĐT"])
    code, out = run("leads", str(path), "--as", "marketing", "--mapping", "Hội chợ")
    from sencrm.sales.models import Lead

    assert code == 0, out
    assert Lead.objects.get().owner == org["marketing"]
