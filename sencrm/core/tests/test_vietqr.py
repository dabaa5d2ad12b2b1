"""VietQR payloads: CRC, field layout, validation, round trip, and the QR drawings."""

from __future__ import annotations

import base64
import binascii
import re
import string
import xml.etree.ElementTree as ET
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sencrm.core.vietqr import (
    BANKS,
    bank_by_bin,
    bank_choices,
    build_payload,
    crc16_ccitt,
    parse_payload,
    purpose_text,
    qr_png_data_uri,
    qr_svg,
)


def reference_crc(data: bytes) -> int:
    """CRC-16/CCITT-FALSE one bit at a time, written apart from the module's on purpose."""
    crc = 0xFFFF
    for byte in data:
        for bit in range(7, -1, -1):
            feedback = ((crc >> 15) & 1) ^ ((byte >> bit) & 1)
            crc = (crc << 1) & 0xFFFF
            if feedback:
                crc ^= 0x1021
    return crc


INVOICE: dict[str, Any] = {
    "bin": "970436",
    "account": "0011001234567",
    "amount": 5500000,
    "purpose": "HDBH-2026-000123",
}
# Laid out by hand: ID, 2-digit length, value; 38 and 62 hold nested TLVs.
INVOICE_BODY = (
    "000201"  # 00 payload format indicator
    "010212"  # 01 point of initiation: 12 = dynamic (has an amount)
    "3857"  # 38 merchant account information, 57 characters:
    "0010A000000727"  # 38-00 NAPAS GUID
    "0127"  # 38-01 beneficiary organisation, 27 characters:
    "0006970436"  # 38-01-00 BIN (Vietcombank)
    "01130011001234567"  # 38-01-01 account number
    "0208QRIBFTTA"  # 38-02 service code: transfer to an account
    "5303704"  # 53 currency VND
    "54075500000"  # 54 amount
    "5802VN"  # 58 country
    "6220"  # 62 additional data, 20 characters:
    "0816HDBH-2026-000123"  # 62-08 purpose of transaction
    "6304"  # 63 CRC, length 4
)
INVOICE_PAYLOAD = (
    "00020101021238570010A00000072701270006970436011300110012345670208QRIBFTTA"
    "5303704540755000005802VN62200816HDBH-2026-0001236304F1BF"
)


# --- CRC ---------------------------------------------------------------------------------------


def test_crc_gives_the_standard_check_value() -> None:
    assert crc16_ccitt(b"123456789") == 0x29B1
    assert reference_crc(b"123456789") == 0x29B1


@given(st.binary(max_size=300))
def test_crc_agrees_with_two_independent_implementations(data: bytes) -> None:
    assert crc16_ccitt(data) == reference_crc(data) == binascii.crc_hqx(data, 0xFFFF)


# --- build_payload ------------------------------------------------------------------------------


def test_it_builds_the_hand_computed_payload_for_an_invoice() -> None:
    assert INVOICE_PAYLOAD[:-4] == INVOICE_BODY
    assert INVOICE_PAYLOAD[-4:] == f"{reference_crc(INVOICE_BODY.encode()):04X}"
    assert build_payload(**INVOICE) == INVOICE_PAYLOAD


def test_each_field_of_a_built_payload_parses_back() -> None:
    payload = build_payload(**INVOICE)

    assert parse_payload(payload) == {
        "00": "01",
        "01": "12",
        "38": {
            "00": "A000000727",
            "01": {"00": "970436", "01": "0011001234567"},
            "02": "QRIBFTTA",
        },
        "53": "704",
        "54": "5500000",
        "58": "VN",
        "62": {"08": "HDBH-2026-000123"},
        "63": payload[-4:],
    }
    # IDs in the order EMVCo lists them, 38 right after 00 and 01.
    assert payload.startswith("000201010212385700")


def test_without_an_amount_the_code_is_static_and_has_no_amount_field() -> None:
    fields = parse_payload(build_payload(bin="970415", account="123456789", amount=None, purpose="HD 1"))

    assert fields["01"] == "11"
    assert "54" not in fields
    assert fields["62"] == {"08": "HD 1"}


def test_an_empty_purpose_leaves_out_the_additional_data_field() -> None:
    fields = parse_payload(build_payload(bin="970415", account="123456789", amount=1000, purpose=""))

    assert "62" not in fields
    assert fields["54"] == "1000"


def test_a_whole_decimal_amount_is_written_without_decimals() -> None:
    payload = build_payload(bin="970436", account="1", amount=Decimal("5500000.00"), purpose="X")

    assert parse_payload(payload)["54"] == "5500000"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"bin": "97043"}, "BIN"),
        ({"bin": "97043a"}, "BIN"),
        ({"bin": "９７０４３６"}, "BIN"),  # full-width digits
        ({"account": "0011 001234"}, "account"),
        ({"account": "1" * 20}, "account"),
        ({"account": ""}, "account"),
        ({"account": "00110012345\n"}, "account"),
        ({"amount": -1}, "positive"),
        ({"amount": 0}, "positive"),
        ({"amount": Decimal("10.5")}, "whole number"),
        ({"amount": Decimal("NaN")}, "whole number"),
        ({"amount": 10**13}, "13 digits"),
        ({"amount": True}, "integer"),
        ({"amount": 10.0}, "integer"),
        ({"purpose": "Hóa đơn 1"}, "ASCII"),
        ({"purpose": "X" * 26}, "25"),
        ({"currency": "VND"}, "currency"),
        ({"country": "vn"}, "country"),
    ],
)
def test_it_rejects_invalid_input(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        build_payload(**{**INVOICE, **changes})


ACCOUNTS = st.text(alphabet=string.ascii_letters + string.digits, min_size=1, max_size=19)
PURPOSES = st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=25)


@given(
    bin=st.text(alphabet=string.digits, min_size=6, max_size=6),
    account=ACCOUNTS,
    amount=st.none() | st.integers(min_value=1, max_value=10**13 - 1),
    purpose=PURPOSES,
)
def test_a_built_payload_parses_back_to_its_inputs(
    bin: str, account: str, amount: int | None, purpose: str
) -> None:
    payload = build_payload(bin=bin, account=account, amount=amount, purpose=purpose)
    fields = parse_payload(payload)

    assert fields["38"] == {"00": "A000000727", "01": {"00": bin, "01": account}, "02": "QRIBFTTA"}
    assert fields["01"] == ("11" if amount is None else "12")
    assert fields.get("54") == (None if amount is None else str(amount))
    assert fields.get("62") == ({"08": purpose} if purpose else None)
    assert fields["63"] == f"{reference_crc(payload[:-4].encode()):04X}"


# --- parse_payload ------------------------------------------------------------------------------


def test_any_one_character_change_makes_parse_raise() -> None:
    for position, char in enumerate(INVOICE_PAYLOAD):
        for replacement in "0A- ":
            if replacement == char:
                continue
            changed = INVOICE_PAYLOAD[:position] + replacement + INVOICE_PAYLOAD[position + 1 :]
            with pytest.raises(ValueError):
                parse_payload(changed)


def test_a_lowercase_crc_is_rejected() -> None:
    payload = build_payload(bin="970436", account="1", amount=None, purpose="")
    crc = f"{reference_crc(payload[:-4].encode()):04x}"
    if crc.isdigit():  # pragma: no cover - this payload's CRC has letters
        pytest.skip("CRC without letters")

    with pytest.raises(ValueError, match="CRC"):
        parse_payload(payload[:-4] + crc)


def with_crc(body: str) -> str:
    return body + "6304" + f"{reference_crc((body + '6304').encode()):04X}"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("00AB01", "Malformed"),  # a header that is not digits
        ("0002010102123899", "bad length"),  # a length beyond the end
        ("0002010100", "bad length"),  # a zero length
        ("0002010002", "twice"),  # ID 00 again
        ("00020138060099ab", "in 38"),  # a nested TLV inside 38 running past its template
    ],
)
def test_malformed_tlv_with_a_good_crc_is_rejected(body: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_payload(with_crc(body))


def test_a_payload_without_a_crc_field_is_rejected() -> None:
    with pytest.raises(ValueError, match="CRC"):
        parse_payload("000201")
    # "6304" and the CRC sit inside the value of field 00, so there is no field 63.
    inside = "0010AB6304"
    with pytest.raises(ValueError, match="no CRC field"):
        parse_payload(inside + f"{reference_crc(inside.encode()):04X}")


# --- purpose_text -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "max_length", "expected"),
    [
        ("Thanh toán hóa đơn HĐ-2026/000123 – Nguyễn Văn Ấn", 25, "THANH TOAN HOA DON HD-202"),
        (
            "Thanh toán hóa đơn HĐ-2026/000123 – Nguyễn Văn Ấn",
            60,
            "THANH TOAN HOA DON HD-2026 000123 NGUYEN VAN AN",
        ),
        ("HDBH-2026-000123", 25, "HDBH-2026-000123"),
        ("  đặt cọc,  đơn #42 ", 25, "DAT COC DON 42"),
        ("Trả tiền ĐƠN HÀNG", 25, "TRA TIEN DON HANG"),
        ("Thanh toan don hang so 1", 20, "THANH TOAN DON HANG"),  # no trailing space after the cut
        ("日本語", 25, ""),
    ],
)
def test_purpose_text_keeps_ascii_letters_digits_spaces_and_dashes(
    text: str, max_length: int, expected: str
) -> None:
    assert purpose_text(text, max_length) == expected


@given(st.text(max_size=80))
def test_purpose_text_is_always_accepted_by_build_payload(text: str) -> None:
    purpose = purpose_text(text)

    assert re.fullmatch(r"[A-Z0-9 -]{0,25}", purpose)
    assert purpose == purpose.strip()
    assert "  " not in purpose
    payload = build_payload(bin="970436", account="0011001234567", amount=None, purpose=purpose)
    assert parse_payload(payload).get("62", {"08": ""}) == {"08": purpose}


# --- QR drawings --------------------------------------------------------------------------------


def test_qr_svg_is_a_well_formed_inline_svg_with_a_path() -> None:
    svg = qr_svg(INVOICE_PAYLOAD, scale=3)

    assert svg.startswith("<svg")
    root = ET.fromstring(svg)  # noqa: S314 - our own output, not untrusted XML
    assert root.tag.rsplit("}", 1)[-1] == "svg"
    assert any(element.tag.rsplit("}", 1)[-1] == "path" for element in root.iter())


def test_qr_png_data_uri_is_a_png() -> None:
    uri = qr_png_data_uri(INVOICE_PAYLOAD, scale=2)

    prefix = "data:image/png;base64,"
    assert uri.startswith(prefix)
    assert base64.b64decode(uri[len(prefix) :]).startswith(b"\x89PNG\r\n\x1a\n")


# --- banks --------------------------------------------------------------------------------------


def test_banks_have_unique_six_digit_bins() -> None:
    bins = [bank.bin for bank in BANKS]

    assert len(bins) >= 40
    assert len(set(bins)) == len(bins)
    assert all(re.fullmatch(r"[0-9]{6}", bin) for bin in bins)


def test_bank_by_bin_finds_a_bank_or_none() -> None:
    vietcombank = bank_by_bin("970436")

    assert vietcombank is not None
    assert vietcombank.short_name == "Vietcombank"
    assert bank_by_bin("970418").short_name == "BIDV"  # type: ignore[union-attr]
    assert bank_by_bin("000000") is None


def test_bank_choices_label_each_bin_with_short_and_full_name() -> None:
    choices = bank_choices()

    assert len(choices) == len(BANKS)
    assert ("970436", "Vietcombank — Ngân hàng TMCP Ngoại Thương Việt Nam") in choices
