"""Value parsing and header matching: strict dates, Vietnamese numbers, phone numbers (the one parser,
sencrm/core/phones.py, whose cache gives exactly libphonenumber's answers), names as the services split
them, headers in both languages."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

import pytest
from django.utils import translation

from sencrm.core import phones
from sencrm.core.keys import name_keys
from sencrm.core.phones import OLD_MOBILE_PREFIXES, display, to_e164
from sencrm.core.text import fold, name_sort_key, split_vietnamese_name
from sencrm.imports import fields, values
from sencrm.imports.values import CellError, Formula


@pytest.fixture(autouse=True)
def english():
    """Messages are checked in English (the source language); the app runs in Vietnamese by default."""
    with translation.override("en"):
        yield


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("12/03/2021", dt.date(2021, 3, 12)),  # dd/mm: 12 March
        ("1/2/1990", dt.date(1990, 2, 1)),
        ("12-03-2021", dt.date(2021, 3, 12)),
        ("12.03.2021", dt.date(2021, 3, 12)),
        ("2021-03-12", dt.date(2021, 3, 12)),
        ("12/03/2021 00:00:00", dt.date(2021, 3, 12)),
        (dt.datetime(2021, 3, 12, 0, 0), dt.date(2021, 3, 12)),  # noqa: DTZ001 - an XLSX date cell
        (44267, dt.date(2021, 3, 12)),  # an Excel serial number (only XLSX cells are numbers)
        ("", None),
    ],
)
def test_dates(raw, expected):
    assert values.parse_date(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "07/30/2023",
        "31/02/2020",
        "12/03/21",
        "45123",
        "2021-13-01",
        "hôm qua",
        "12/03/2021 10:30",
        Formula("=TODAY()"),
        "#N/A",
    ],
)
def test_bad_dates_are_errors_never_rollovers(raw):
    with pytest.raises(CellError):
        values.parse_date(raw)


def test_datetimes_in_the_importers_zone():
    zone = dt.timezone(dt.timedelta(hours=7))
    assert values.parse_datetime("01/06/2024 09:30", zone) == dt.datetime(2024, 6, 1, 9, 30, tzinfo=zone)
    assert values.parse_datetime("01/06/2024", zone) == dt.datetime(2024, 6, 1, tzinfo=zone)
    with pytest.raises(CellError):
        values.parse_datetime("01/06/2024 25:00", zone)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1.234.567,5", "1234567.5"),
        ("1,12", "1.12"),
        ("1.234.567", "1234567"),
        ("1234.5", "1234.5"),
        ("1,234,567", "1234567"),
        ("-2", "-2"),
        ("15 000 000", "15000000"),
        (12.5, "12.5"),
    ],
)
def test_numbers_as_vietnamese_write_them(raw, expected):
    assert values.parse_number(raw) == Decimal(expected)


def test_formula_escaping_of_our_exports_is_undone():
    assert values.text("'=SUM(A1)") == "=SUM(A1)"
    assert values.text("'-2+3") == "-2+3"
    assert values.text("'@x") == "@x"
    assert values.text("it's") == "it's"


def test_the_cached_phone_parser_is_exactly_libphonenumber():
    phones._VALID.clear()
    phones._SHAPES.clear()
    rng = random.Random(7)
    prefixes = [
        "090",
        "091",
        "032",
        "039",
        "070",
        "079",
        "081",
        "086",
        "088",
        "099",
        "059",
        "024",
        "028",
        "0236",
        "1800",
        "1900",
        "069",
        "0120",
        "0121",
        "0199",
        "052",
        "056",
        "058",
        "0896",
        "0999",
    ]
    samples = [
        "+1 415 555 0100",
        "00 84 912 345 678",
        "(091) 234-5678",
        "84912345678",
        "912345678",
        "091 2",
        "0912 345 678 ext 9",
        "+84 (0) 912 345 678",
        "++84912345678",
        "0" * 25,
    ]
    for _ in range(20000):
        prefix = rng.choice(prefixes + list(OLD_MOBILE_PREFIXES))
        digits = prefix + "".join(rng.choice("0123456789") for _ in range(rng.randint(5, 9)))
        style = rng.randrange(4)
        samples.append([digits, "+84" + digits[1:], "84" + digits[1:], f"{digits[:4]} {digits[4:]}"][style])
    for raw in samples:
        expected = phones._parsed_e164(raw, "VN")  # libphonenumber itself, every time
        assert to_e164(raw) == expected, raw
        if expected:
            assert display(expected) == phones._formatted(expected), raw
    assert phones._VALID and phones._SHAPES  # the answers were cached and reused


@pytest.mark.parametrize(
    "name", ["Nguyễn Thị Ánh Tuyết", "Đặng  Văn   Ơn", "Hoà", " Lê Văn A ", "Ngô", "Trần Thị Hoà Bình Minh"]
)
def test_name_keys_are_the_services(name):
    family, middle, given, sort_key, folded = name_keys(name)
    assert (family, middle, given) == split_vietnamese_name(name)
    assert sort_key == name_sort_key(name) and folded == fold(name)


def specs(target):
    return fields.field_specs(target, custom=[])


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        (
            [
                "Họ và tên",
                "Số điện thoại",
                "Email",
                "Địa chỉ",
                "Tỉnh/Thành phố",
                "Ngày sinh",
                "Nhóm khách hàng",
            ],
            ["full_name", "phones", "emails", "street", "province", "date_of_birth", "customer_group"],
        ),
        (
            ["HỌ TÊN (*)", "SĐT", "E-mail", "Tinh/TP", "Giới tính", "Di động", "Ghi chú"],
            ["full_name", "phones", "emails", "province", "gender", "phones", "notes"],
        ),
        (
            ["Tên khách hàng", "Điện thoại", "dien thoai 2", "Mã số thuế", "Công ty", "Nguồn"],
            ["full_name", "phones", "phones", "", "account", "source"],
        ),
        (
            ["Họ", "Tên đệm", "Tên", "Phone", "Date of birth"],
            ["family_name", "middle_name", "given_name", "phones", "date_of_birth"],
        ),
        (
            ["Full name", "Phone", "Email", "Owner", "ID", "Created"],
            ["full_name", "phones", "emails", "owner", "id", ""],
        ),
        (["Họ và tên", "Họ và tên", "Lỗi"], ["full_name", "", ""]),
    ],
)
def test_headers_are_recognised(headers, expected):
    assert fields.propose_mapping(headers, specs("contacts")) == expected


def test_headers_for_accounts_and_leads_and_custom_fields():
    assert fields.propose_mapping(["Tên công ty", "MST", "Website"], specs("accounts")) == [
        "name",
        "tax_code",
        "website",
    ]
    assert fields.propose_mapping(["Họ tên", "Công ty", "Nhu cầu", "Trạng thái"], specs("leads")) == [
        "full_name",
        "company",
        "interest",
        "status",
    ]
    from sencrm.customfields.models import CustomField

    custom = [
        CustomField(key="btu", label="Công suất (BTU)", type="number"),
        CustomField(key="ghi_chu_ky_thuat", label="Ghi chú", type="text"),
    ]
    proposal = fields.propose_mapping(
        ["Họ tên", "cong suat btu", "Ghi chú"], fields.field_specs("contacts", custom)
    )
    assert proposal == ["full_name", "cf:btu", "cf:ghi_chu_ky_thuat"]  # the administrator's label wins


def test_export_headers_in_every_language_map_back():
    from django.utils import translation

    from sencrm.customers.exports import account_header, contact_header

    for language in ("vi", "en"):
        with translation.override(language):
            contact = fields.propose_mapping(contact_header([]), specs("contacts"))
            account = fields.propose_mapping(account_header([]), specs("accounts"))
        assert contact[:15] == [
            "full_name",
            "phones",
            "emails",
            "street",
            "ward",
            "province",
            "date_of_birth",
            "gender",
            "title",
            "account",
            "customer_group",
            "source",
            "lifecycle_stage",
            "tags",
            "owner",
        ]
        assert contact[16] == "id" and account[-1] == "id" and account[:2] == ["name", "tax_code"]
