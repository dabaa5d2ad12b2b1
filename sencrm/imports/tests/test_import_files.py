"""Reading files as people send them: encodings (UTF-8 ± BOM, UTF-16, Windows-1258, Windows-1252),
delimiters, title rows, merged header cells and formulas in XLSX; dangerous uploads refused."""

from __future__ import annotations

import codecs
import io
import unicodedata
import zipfile
from pathlib import Path

import pytest
from django.utils import translation
from openpyxl import Workbook

from sencrm.customers.models import Contact
from sencrm.imports import detect, files, jobs, runner
from sencrm.imports.files import UploadRefused
from sencrm.imports.tests.test_import_run import do_import, errors


@pytest.fixture(autouse=True)
def english():
    """Messages are checked in English (the source language); the app runs in Vietnamese by default."""
    with translation.override("en"):
        yield


TEXT = (
    "Họ và tên;Số điện thoại;Tỉnh/Thành phố\r\n"
    "Nguyễn Thị Ánh Tuyết;0912 345 678;Hà Nội\n"  # mixed line ends
    "Đặng Văn Ơn;0987 654 321;Huế\r\n"
)


@pytest.fixture
def data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path / "data"
    return tmp_path


TONES = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}


def cp1258_bytes(text: str) -> bytes:
    """Windows-1258 as Vietnamese Windows writes it: the letter (ă, â, ơ…) then a combining tone mark."""
    out = []
    for ch in text:
        parts = unicodedata.normalize("NFD", ch)
        base = unicodedata.normalize("NFC", "".join(c for c in parts if c not in TONES))
        out.append(base + "".join(c for c in parts if c in TONES))
    return "".join(out).encode("cp1258")


@pytest.mark.parametrize(
    ("encoded", "encoding"),
    [
        (TEXT.encode("utf-8"), "utf-8"),
        (codecs.BOM_UTF8 + TEXT.encode("utf-8"), "utf-8"),
        (TEXT.encode("utf-16"), "utf-16"),  # with its BOM
        (codecs.BOM_UTF16_BE + TEXT.encode("utf-16-be"), "utf-16"),
        (TEXT.encode("utf-16-le"), "utf-16-le"),  # no BOM: told by the NUL bytes
        (cp1258_bytes(TEXT), "cp1258"),
    ],
)
def test_vietnamese_text_in_each_encoding(org, hanoi, data_dir, encoded, encoding):
    path = data_dir / "khach.csv"
    path.write_bytes(encoded)
    job = do_import(org["manager"], path)
    assert job.encoding == encoding and job.delimiter == ";" and job.mapping[:2] == ["full_name", "phones"]
    assert job.created == 2, errors(job)
    names = sorted(Contact.objects.values_list("full_name", flat=True))
    assert names == ["Nguyễn Thị Ánh Tuyết", "Đặng Văn Ơn"]
    assert all(unicodedata.is_normalized("NFC", n) for n in names)  # cp1258's combining marks composed


def test_western_legacy_encodings(org, data_dir):
    path = data_dir / "w.csv"
    path.write_bytes("Name,Phone\r\nJosé Müller,0912 111 000\r\n".encode("cp1252"))
    job = do_import(org["manager"], path)
    assert job.encoding == "cp1252" and Contact.objects.get().full_name == "José Müller"
    # Latin-1 bytes in a file that claims nothing: not UTF-8, read as a single-byte encoding.
    assert detect.detect_encoding("Zoë,0912 111 001\n".encode("latin-1")) in ("cp1252", "latin-1")
    assert detect.detect_encoding(b"\x81\x8d\xe9 abc") == "latin-1"  # bytes cp1252 leaves undefined


def test_mojibake_is_flagged_and_can_be_repaired(org, data_dir):
    def as_windows_reads_it(data: bytes) -> str:  # Windows-1252, undefined bytes kept as C1 controls
        return "".join(bytes([b]).decode("cp1252", errors="ignore") or chr(b) for b in data)

    garbled = as_windows_reads_it("Họ và tên,SĐT\nNguyễn Thị Ánh Tuyết,0912 222 333\n".encode()).encode()
    path = data_dir / "m.csv"
    path.write_bytes(garbled)
    job = jobs.job_create(user=org["manager"], target="contacts", file_name="m.csv", path=path)
    assert job.warnings and "UTF-8, repair" in job.warnings[0]
    jobs.job_relayout(job, encoding="utf-8-repair", path=path)
    assert job.columns == ["Họ và tên", "SĐT"] and job.mapping == ["full_name", "phones"]
    job = runner.run(job, org["manager"], path)
    assert job.created == 1 and Contact.objects.get().full_name == "Nguyễn Thị Ánh Tuyết"


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_delimiters_title_rows_crlf_and_quoted_newlines(org, data_dir, delimiter):
    d = delimiter
    text = (
        f"DANH SÁCH KHÁCH HÀNG THÁNG 8{d}{d}\r\n{d}{d}\n"
        f"Họ tên{d}SĐT{d}Ghi chú\r\n"
        f'Lê Văn Một{d}0912 000 001{d}"dòng 1\ndòng 2"\n'
        f"{d}{d}\r\n"
        f"Lê Văn Hai{d}0912 000 002{d}x\n"
    )
    path = data_dir / "t.csv"
    path.write_text(text, encoding="utf-8")
    job = do_import(org["manager"], path)
    assert job.delimiter == delimiter and job.header_row == 3
    assert (job.created, job.empty_rows) == (2, 1)
    assert Contact.objects.get(full_name="Lê Văn Một").notes == "dòng 1\ndòng 2"


def test_empty_and_duplicate_header_names(org, data_dir):
    path = data_dir / "h.csv"
    path.write_text("Họ tên,SĐT,,SĐT,Họ tên\nAn,0912 000 011,bí mật,0987 000 011,Bình\n", encoding="utf-8")
    job = jobs.job_create(user=org["manager"], target="contacts", file_name="h.csv", path=path)
    assert job.mapping == ["full_name", "phones", "", "phones", ""]  # phones twice; a name only once
    job = do_import(org["manager"], path)
    contact = Contact.objects.get()
    assert contact.full_name == "An" and contact.phones.count() == 2


def xlsx(
    path: Path, rows: list[list], merges: list[str] = (), formulas: dict[str, str] | None = None
) -> Path:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Khách hàng"
    for row in rows:
        sheet.append(row)
    for ref in merges:
        sheet.merge_cells(ref)
    for ref, formula in (formulas or {}).items():
        sheet[ref] = formula
    workbook.save(path)
    return path


def test_xlsx_with_title_row_merged_header_cells_and_formulas(org, hanoi, data_dir):
    import datetime as dt

    born = dt.datetime(1990, 3, 12)  # noqa: DTZ001 - an XLSX date cell has no time zone
    path = xlsx(
        data_dir / "k.xlsx",
        [
            ["DANH SÁCH KHÁCH HÀNG", None, None, None, None],
            ["Họ và tên", "Liên hệ", None, "Ngày sinh", "Tỉnh/Thành phố"],
            [None, "SĐT", "Email", None, None],
            ["Nguyễn Văn Excel", 912345678, "a@x.vn", born, "Hà Nội"],
            ["Trần Công Thức", "0987 000 111", None, 32874, None],  # a serial number: a date from XLSX
            ["Lỗi Công Thức", "0987 000 222", None, None, None],
        ],
        merges=["A1:E1", "B2:C2", "A2:A3", "D2:D3", "E2:E3"],
        formulas={"C6": '=A6&"@x.vn"'},  # saved by openpyxl: no computed value
    )
    job = do_import(org["manager"], path)
    assert job.file_kind == "xlsx" and job.header_row == 3
    assert job.columns == ["Họ và tên", "SĐT", "Email", "Ngày sinh", "Tỉnh/Thành phố"]
    assert (job.created, job.rejected) == (2, 1), errors(job)
    excel = Contact.objects.get(full_name="Nguyễn Văn Excel")
    assert excel.primary_phone == "0912 345 678" and str(excel.date_of_birth) == "1990-03-12"
    assert str(Contact.objects.get(full_name="Trần Công Thức").date_of_birth) == "1990-01-01"
    assert "formula" in errors(job)[6]


def test_a_formula_with_its_saved_value_is_read_as_the_value(org, data_dir):
    path = data_dir / "f.xlsx"
    xlsx(path, [["Họ tên", "SĐT"], ["Tên Thật", "0912 000 999"]])
    # Add a cached value to a formula cell, as Excel saves it.
    with zipfile.ZipFile(path) as source:
        parts = {name: source.read(name) for name in source.namelist()}
    sheet = parts["xl/worksheets/sheet1.xml"].decode()
    sheet = sheet.replace(
        '<c r="A2" t="inlineStr"><is><t>Tên Thật</t></is></c>',
        '<c r="A2" t="str"><f>UPPER("x")</f><v>Tên Thật</v></c>',
    )
    parts["xl/worksheets/sheet1.xml"] = sheet.encode()
    with zipfile.ZipFile(path, "w") as target:
        for name, data in parts.items():
            target.writestr(name, data)
    job = do_import(org["manager"], path)
    assert job.created == 1 and Contact.objects.get().full_name == "Tên Thật"


@pytest.mark.parametrize(
    "name",
    ["shell.php", "shell.pHaR", "x.php.csv", "x.csv.php", ".htaccess", "web.config", "a.xls", "x.phtml.xlsx"],
)
def test_dangerous_names_are_refused(name):
    with pytest.raises(UploadRefused):
        files.kind_from_name(name)


def test_names_are_cleaned_for_display():
    assert files.display_name("../../etc/passwd.csv") == "passwd.csv"
    assert files.display_name("..\\..\\x.csv") == "x.csv"
    assert files.display_name("gpj.exe\u202e.csv") == "gpj.exe.csv"
    assert len(files.display_name("a" * 10000 + ".csv")) <= 201
    assert files.kind_from_name("Khách hàng 2024.csv") == "csv"


def test_contents_are_checked(data_dir, settings):
    def store(data: bytes, name: str) -> tuple[str, str]:
        return files.store_upload(io.BytesIO(data), name, len(data))

    with pytest.raises(UploadRefused):
        store(b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, "anh.csv")  # an image named .csv
    with pytest.raises(UploadRefused):
        store(b"MZ\x90\x00" + b"\x00" * 100, "x.csv")
    with pytest.raises(UploadRefused):
        store(b"", "empty.csv")
    with pytest.raises(UploadRefused):
        store(b"not a zip at all", "x.xlsx")
    settings.IMPORT_MAX_UPLOAD_MB = 1
    with pytest.raises(UploadRefused):
        store(b"a,b\n" * 300_000, "big.csv")
    assert list((data_dir / "data" / "imports").iterdir()) == []  # nothing refused stays on disk
    stored, kind = store(b"Ho ten,SDT\nAn,0912000000\n", "ok.csv")
    path = files.stored_path(stored)
    assert kind == "csv" and path.parent == data_dir / "data" / "imports" and "ok" not in stored
    assert not str(path).startswith(str(settings.MEDIA_ROOT))
    with pytest.raises(FileNotFoundError):
        files.stored_path("../secret_key")


def test_zip_bombs_are_refused(data_dir):
    path = data_dir / "bomb.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"<" + b"a" * 50_000_000)  # compresses ~1000×
    with pytest.raises(UploadRefused, match="zip bomb"):
        files.check_content(path, "xlsx")
    path2 = data_dir / "many.xlsx"
    with zipfile.ZipFile(path2, "w") as archive:
        for i in range(1001):
            archive.writestr(f"x{i}", "")
    with pytest.raises(UploadRefused):
        files.check_content(path2, "xlsx")
    path3 = data_dir / "notwb.xlsx"
    with zipfile.ZipFile(path3, "w") as archive:
        archive.writestr("hello.txt", "hi")
    with pytest.raises(UploadRefused):
        files.check_content(path3, "xlsx")
