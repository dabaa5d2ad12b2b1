"""Reading bank statement exports: pure, files written to tmp_path (no database)."""

from __future__ import annotations

import codecs
import contextlib
import datetime as dt
import random
import unicodedata
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import Workbook

from sencrm.billing.statements import (
    MappingError,
    StatementError,
    StatementRow,
    parse_amount,
    parse_bank_date,
    parse_statement,
)
from sencrm.imports.detect import SAMPLE_BYTES

VIETCOMBANK = """SAO KÊ TÀI KHOẢN
Số tài khoản: 0011001234567 - CONG TY TNHH SEN VIET
Từ ngày 01/03/2026 đến ngày 31/03/2026

STT,Ngày giao dịch,Số tham chiếu,Số tiền ghi nợ,Số tiền ghi có,Số dư,Mô tả
1,01/03/2026 10:15:22,5213 - 12345,,"5,500,000","105,500,000",CT DEN:0123 NGUYEN VAN AN CK TT HD \
HDBH-2026-000123
2,02/03/2026 08:01:00,5213 - 12346,"22,000",,"105,478,000",Phí   dịch vụ SMS
3,03/03/2026 14:30:05,5213 - 12347,,"3,000,000","108,478,000",TRAN THI BICH chuyen khoan
,,,,,,
Tổng cộng,,,"22,000","8,500,000",,
Số dư cuối kỳ,,,,,"108,478,000",
"""


TONES = "\u0300\u0301\u0303\u0309\u0323"  # grave, acute, tilde, hook, dot below: combining in cp1258


def write(tmp_path: Path, name: str, data: bytes | str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(data if isinstance(data, bytes) else data.encode(encoding))
    return path


def cp1258(text: str) -> bytes:
    """Windows-1258 as Vietnamese Windows writes it: letters (â, ê, ô, ơ, ư, ă, đ) then a tone mark."""
    out = b""
    for char in unicodedata.normalize("NFC", text):
        marks = unicodedata.normalize("NFD", char)
        tones = "".join(m for m in marks[1:] if m in TONES)
        letter = unicodedata.normalize("NFC", "".join(m for m in marks if m not in TONES))
        out += letter.encode("cp1258") + tones.encode("cp1258")
    return out


def local(*parts: int) -> dt.datetime:
    return dt.datetime(*parts)  # noqa: DTZ001 - XLSX cells hold local times without a zone


def workbook(tmp_path: Path, rows: list[list[object]], name: str = "statement.xlsx") -> Path:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    path = tmp_path / name
    book.save(path)
    return path


def test_it_finds_the_header_below_vietcombank_title_lines_in_utf8_with_bom(tmp_path):
    path = write(tmp_path, "vcb.csv", codecs.BOM_UTF8 + VIETCOMBANK.encode())

    statement = parse_statement(path, "csv")

    assert statement.header_row == 5
    assert (statement.encoding, statement.delimiter) == ("utf-8", ",")
    assert statement.columns[1] == "Ngày giao dịch"  # no BOM in the first header
    assert statement.mapping == {
        "date": "Ngày giao dịch",
        "credit": "Số tiền ghi có",
        "debit": "Số tiền ghi nợ",
        "content": "Mô tả",
        "reference": "Số tham chiếu",
    }
    assert statement.rows == [
        StatementRow(
            6,
            dt.date(2026, 3, 1),
            Decimal(5_500_000),
            "CT DEN:0123 NGUYEN VAN AN CK TT HD HDBH-2026-000123",
            "5213 - 12345",
        ),
        StatementRow(7, dt.date(2026, 3, 2), Decimal(-22_000), "Phí dịch vụ SMS", "5213 - 12346"),
        StatementRow(
            8, dt.date(2026, 3, 3), Decimal(3_000_000), "TRAN THI BICH chuyen khoan", "5213 - 12347"
        ),
    ]
    assert statement.errors == []  # the blank line, the total and the closing balance are left out
    assert statement.warnings == []


def test_it_reads_a_windows_1258_file_with_semicolons_and_dotted_thousands(tmp_path):
    text = (
        "Ngân hàng TMCP Á Châu\r\n"
        "Ngày;Diễn giải;Phát sinh nợ;Phát sinh có\r\n"
        "05/03/2026;Trần Thị Bích chuyển khoản;;1.500.000\r\n"
        "06-03-2026;Rút tiền mặt;2.000.000,00;\r\n"
        "07.03.2026;Lãi tiền gửi;;1.234,50\r\n"
    )
    path = write(tmp_path, "acb.csv", cp1258(text))

    statement = parse_statement(path, "csv")

    assert (statement.encoding, statement.delimiter) == ("cp1258", ";")
    assert statement.mapping == {
        "date": "Ngày",
        "content": "Diễn giải",
        "debit": "Phát sinh nợ",
        "credit": "Phát sinh có",
    }
    assert [(r.row, r.date, r.amount, r.content) for r in statement.rows] == [
        (3, dt.date(2026, 3, 5), Decimal(1_500_000), "Trần Thị Bích chuyển khoản"),
        (4, dt.date(2026, 3, 6), Decimal(-2_000_000), "Rút tiền mặt"),
        (5, dt.date(2026, 3, 7), Decimal(1_235), "Lãi tiền gửi"),  # half-up to whole đồng
    ]


def test_it_reads_an_xlsx_with_debit_and_credit_columns_and_datetime_cells(tmp_path):
    serial = 46_090  # an Excel serial number in a cell not formatted as a date
    path = workbook(
        tmp_path,
        [
            ["SAO KÊ TÀI KHOẢN / ACCOUNT STATEMENT"],
            ["Số tài khoản / Account number:", "19031234567019"],
            [],
            [
                "Ngày GD/Transaction Date",
                "Số bút toán/Reference",
                "Ghi nợ/Debit",
                "Ghi có/Credit",
                "Nội dung",
            ],
            [
                local(2026, 3, 1, 9, 5, 11),
                "FT26060123",
                None,
                5_500_000,
                "IBFT NGUYEN VAN AN HDBH2026000123",
            ],
            [
                local(2026, 3, 2, 16, 0),
                "FT26061456",
                1_100_000.0,
                None,
                "Thanh toán tiền điện",
            ],
            [dt.date(2026, 3, 3), "FT26062789", 0, 3_000_000.5, "TRAN THI BICH chuyen khoan"],
            [serial, "FT26063000", None, "2.500.000", "0912345678 thanh toan"],
            [local(2026, 3, 5), "FT26064000", None, None, "Dòng không có số tiền"],
            ["Tổng cộng", None, 1_100_000, 11_000_000.5, None],
        ],
    )

    statement = parse_statement(path, "xlsx")

    assert statement.header_row == 4
    assert (statement.encoding, statement.delimiter) == ("", "")
    assert statement.mapping["credit"] == "Ghi có/Credit"
    assert statement.mapping["reference"] == "Số bút toán/Reference"
    assert [(r.row, r.date, r.amount, r.reference) for r in statement.rows] == [
        (5, dt.date(2026, 3, 1), Decimal(5_500_000), "FT26060123"),
        (6, dt.date(2026, 3, 2), Decimal(-1_100_000), "FT26061456"),
        (7, dt.date(2026, 3, 3), Decimal(3_000_001), "FT26062789"),
        (8, dt.date(1899, 12, 30) + dt.timedelta(days=serial), Decimal(2_500_000), "FT26063000"),
    ]
    assert statement.errors == []


def test_it_reads_a_two_line_header_with_amount_over_debit_and_credit(tmp_path):
    path = workbook(
        tmp_path,
        [
            ["Ngày", "Số tiền", None, "Mô tả"],
            [None, "Ghi nợ", "Ghi có", None],
            ["10/03/2026", None, "750,000", "LE HOANG NAM chuyen tien"],
            ["11/03/2026", "50,000", None, "Phi quan ly tai khoan"],
        ],
    )

    statement = parse_statement(path, "xlsx")

    assert statement.header_row == 2
    assert statement.mapping == {"date": "Ngày", "debit": "Ghi nợ", "credit": "Ghi có", "content": "Mô tả"}
    assert [r.amount for r in statement.rows] == [Decimal(750_000), Decimal(-50_000)]


def test_a_row_with_a_bad_date_or_amount_is_reported_and_the_others_kept(tmp_path):
    text = (
        (
            "Ngày hiệu lực,Số tiền,Nội dung giao dịch,Mã giao dịch\n"
            "01/03/2026,+5,000,000 VND,CK HDBH-2026-000123,T1\n"
            "31/02/2026,1000000,ngày không có thật,T2\n"
            "hôm qua,1000000,ngày viết bằng chữ,T3\n"
            "03/03/2026,(200,000),Phí chuyển tiền,T4\n"
            "04/03/2026,1.5.0,số tiền hỏng,T5\n"
            ",300000,không có ngày,T6\n"
            "2026-03-05,5 000 000,Lê Hoàng Nam chuyển tiền,T7\n"
        )
        .replace("+5,000,000 VND", '"+5,000,000 VND"')
        .replace("(200,000)", '"(200,000)"')
    )
    path = write(tmp_path, "bad.csv", text)

    statement = parse_statement(path, "csv")

    assert [(r.row, r.amount, r.reference) for r in statement.rows] == [
        (2, Decimal(5_000_000), "T1"),
        (5, Decimal(-200_000), "T4"),
        (8, Decimal(5_000_000), "T7"),
    ]
    assert [e.row for e in statement.errors] == [3, 4, 6, 7]
    assert "31/02/2026" in statement.errors[0].message
    assert "hôm qua" in statement.errors[1].message
    assert "1.5.0" in statement.errors[2].message


def test_an_explicit_mapping_overrides_the_detection(tmp_path):
    text = (
        "Lịch sử giao dịch\n"
        "Thời gian,Tiền về,Tiền đi,Ghi chú,Mã GD\n"
        '01/03/2026 10:00:00,"5,500,000",,NGUYEN VAN AN HDBH2026000123,A1\n'
        '02/03/2026 11:00:00,,"100,000",Mua văn phòng phẩm,A2\n'
    )
    path = write(tmp_path, "custom.csv", text)
    with pytest.raises(StatementError):
        parse_statement(path, "csv")  # "Thời gian", "Tiền về", "Ghi chú" are not names it knows

    mapping = {
        "date": "Thời gian",
        "credit": "Tiền về",
        "debit": "Tiền đi",
        "content": "Ghi chú",
        "reference": "",
    }
    statement = parse_statement(path, "csv", mapping=mapping)

    assert statement.header_row == 2
    assert statement.mapping == {
        "date": "Thời gian",
        "credit": "Tiền về",
        "debit": "Tiền đi",
        "content": "Ghi chú",
    }
    assert [(r.amount, r.content, r.reference) for r in statement.rows] == [
        (Decimal(5_500_000), "NGUYEN VAN AN HDBH2026000123", ""),
        (Decimal(-100_000), "Mua văn phòng phẩm", ""),
    ]


def test_a_mapping_naming_a_missing_column_is_a_value_error_naming_it(tmp_path):
    path = write(tmp_path, "vcb.csv", VIETCOMBANK)

    with pytest.raises(ValueError, match="Ngày hạch toán") as raised:
        parse_statement(
            path, "csv", mapping={"date": "Ngày hạch toán", "credit": "Số tiền ghi có", "content": "Mô tả"}
        )

    assert isinstance(raised.value, MappingError)


def test_a_mapping_without_the_needed_roles_is_refused(tmp_path):
    path = write(tmp_path, "vcb.csv", VIETCOMBANK)

    with pytest.raises(MappingError):
        parse_statement(path, "csv", mapping={"date": "Ngày giao dịch", "content": "Mô tả"})
    with pytest.raises(MappingError):
        parse_statement(
            path, "csv", mapping={"when": "Ngày giao dịch", "credit": "Số tiền ghi có", "content": "Mô tả"}
        )


@pytest.mark.parametrize("data", [b"", b"\r\n\r\n ,,\r\n", b"Ho ten,Dien thoai\nAn,0912345678\n"])
def test_an_empty_file_or_one_without_a_statement_header_is_a_statement_error(tmp_path, data):
    path = write(tmp_path, "empty.csv", data)

    with pytest.raises(StatementError):
        parse_statement(path, "csv")


def test_a_header_without_transactions_gives_a_warning(tmp_path):
    path = write(tmp_path, "none.csv", "Ngày,Ghi có,Nội dung\n")

    statement = parse_statement(path, "csv")

    assert statement.rows == [] and len(statement.warnings) == 1


def test_bytes_that_are_not_valid_in_the_chosen_encoding_give_a_warning_not_a_crash(tmp_path):
    text = "Ngày,Ghi có,Nội dung\n01/03/2026,5500000,Nguyễn Văn An\n"
    path = write(tmp_path, "bad.csv", text.encode() + b"02/03/2026,100000,Tr\xe2\xcc\x80n Th\xff ABC\n")

    statement = parse_statement(path, "csv", encoding="utf-8")

    assert len(statement.warnings) == 1
    assert [r.amount for r in statement.rows] == [Decimal(5_500_000), Decimal(100_000)]
    assert "\ufffd" in statement.rows[-1].content


def test_a_broken_line_after_the_detection_sample_gives_a_warning_not_a_crash(tmp_path):
    line = "01/03/2026,100000,Nguyễn Văn An chuyển tiền mua hàng tháng ba\n".encode()
    data = "Ngày,Ghi có,Nội dung\n".encode() + line * (SAMPLE_BYTES // len(line) + 10)
    path = write(tmp_path, "long.csv", data + cp1258("02/03/2026,200000,Trần Thị Bích\n"))

    statement = parse_statement(path, "csv")

    assert statement.encoding == "utf-8" and statement.warnings
    assert statement.rows[-1].amount == Decimal(200_000) and "\ufffd" in statement.rows[-1].content


def test_a_file_read_in_the_wrong_encoding_is_a_statement_error(tmp_path):
    path = write(tmp_path, "cp.csv", cp1258("Ngày,Ghi có,Nội dung\n01/03/2026,5500000,Nguyễn Văn An\n"))

    with pytest.raises(StatementError):
        parse_statement(path, "csv", encoding="utf-8")  # the headers no longer read as "Ngày"


@pytest.mark.parametrize("seed", range(8))
def test_random_bytes_never_raise_anything_but_a_statement_error(tmp_path, seed):
    noise = random.Random(seed).randbytes(4096)
    for name, data in (
        ("noise.csv", noise),
        ("nonul.csv", noise.replace(b"\x00", b"")),
        ("noise.xlsx", noise),
    ):
        path = write(tmp_path, name, data)
        with contextlib.suppress(StatementError):
            parse_statement(path, name.rsplit(".", 1)[1])


def test_a_kind_other_than_csv_or_xlsx_is_a_statement_error(tmp_path):
    path = write(tmp_path, "vcb.pdf", VIETCOMBANK)

    with pytest.raises(StatementError):
        parse_statement(path, "pdf")


def test_a_damaged_xlsx_is_a_statement_error(tmp_path):
    good = workbook(tmp_path, [["Ngày", "Ghi có", "Nội dung"], ["01/03/2026", 1000, "x"]])
    path = write(tmp_path, "cut.xlsx", good.read_bytes()[:600])

    with pytest.raises(StatementError):
        parse_statement(path, "xlsx")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1.500.000", 1_500_000),
        ("1,500,000", 1_500_000),
        ("1500000.00", 1_500_000),
        ("1.500.000,00", 1_500_000),
        ("1,500,000.50", 1_500_001),
        ("+5,000,000 VND", 5_000_000),
        ("5 000 000", 5_000_000),
        ("5\u00a0000\u00a0000 ₫", 5_000_000),
        ("(200,000)", -200_000),
        ("-200.000", -200_000),
        ("200,000-", -200_000),
        ("1.234.567 VNĐ", 1_234_567),
        ("999,5", 1_000),
        (1_500_000, 1_500_000),
        (1_500_000.5, 1_500_001),
        (2_499.49, 2_499),
        (Decimal("10.5"), 11),
    ],
)
def test_amounts_are_read_as_banks_write_them(value, expected):
    assert parse_amount(value) == Decimal(expected)


@pytest.mark.parametrize("value", [None, "", "  ", "-"])
def test_a_blank_amount_is_none(value):
    assert parse_amount(value) is None


@pytest.mark.parametrize("value", ["abc", "1.5.0", "12,34,5", True, float("nan"), "1e5"])
def test_an_unreadable_amount_is_a_value_error(value):
    with pytest.raises(ValueError):
        parse_amount(value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("01/03/2026", dt.date(2026, 3, 1)),
        ("1/3/2026 10:15:22", dt.date(2026, 3, 1)),
        ("01-03-2026", dt.date(2026, 3, 1)),
        ("01.03.2026", dt.date(2026, 3, 1)),
        ("2026-03-01", dt.date(2026, 3, 1)),
        ("2026-03-01T10:15:22", dt.date(2026, 3, 1)),
        ("01/03/26", dt.date(2026, 3, 1)),
        (local(2026, 3, 1, 23, 59), dt.date(2026, 3, 1)),
        (dt.date(2026, 3, 1), dt.date(2026, 3, 1)),
        (46_082, dt.date(2026, 3, 1)),
        ("", None),
    ],
)
def test_dates_are_read_as_banks_write_them(value, expected):
    assert parse_bank_date(value) == expected


@pytest.mark.parametrize("value", ["31/02/2026", "2026/13/01", "hôm nay", "01/03/2026 sáng", -5])
def test_an_unreadable_date_is_a_value_error(value):
    with pytest.raises(ValueError):
        parse_bank_date(value)
