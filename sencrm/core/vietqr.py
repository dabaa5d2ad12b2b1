"""VietQR: the NAPAS bank-transfer QR code printed on invoices.

A VietQR code is an EMVCo merchant-presented QR payload: a string of TLV fields (2-digit ID, 2-digit
decimal length, value) whose ID 38 names the beneficiary bank (NAPAS BIN) and account, and whose last
field, ID 63, is a CRC-16/CCITT-FALSE of everything before it. Any Vietnamese banking app scans it and
fills in the transfer: bank, account, amount and transfer content (ID 62-08).

`build_payload` makes the string, `parse_payload` reads one back and checks its CRC, `qr_svg` and
`qr_png_data_uri` draw it. Nothing here touches the database.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import TypeAlias

import segno

from sencrm.core.text import fold

ParsedPayload: TypeAlias = "dict[str, str | ParsedPayload]"

NAPAS_GUID = "A000000727"
SERVICE_TO_ACCOUNT = "QRIBFTTA"  # NAPAS 247 transfer to an account number ("QRIBFTTC" is to a card)
MAX_AMOUNT_DIGITS = 13
# EMVCo caps every printable sub-field of the additional data template (ID 62) at 25 characters.
MAX_PURPOSE_LENGTH = 25


@dataclass(frozen=True, slots=True)
class Bank:
    """A bank (or digital bank brand) in the NAPAS VietQR directory."""

    bin: str  # 6-digit NAPAS acquirer ID, written in field 38-01-00
    code: str
    short_name: str
    name: str


BANKS: tuple[Bank, ...] = (
    Bank("970436", "VCB", "Vietcombank", "Ngân hàng TMCP Ngoại Thương Việt Nam"),
    Bank("970415", "ICB", "VietinBank", "Ngân hàng TMCP Công Thương Việt Nam"),
    Bank("970418", "BIDV", "BIDV", "Ngân hàng TMCP Đầu tư và Phát triển Việt Nam"),
    Bank("970405", "VBA", "Agribank", "Ngân hàng Nông nghiệp và Phát triển Nông thôn Việt Nam"),
    Bank("970407", "TCB", "Techcombank", "Ngân hàng TMCP Kỹ Thương Việt Nam"),
    Bank("970422", "MB", "MB", "Ngân hàng TMCP Quân đội"),
    Bank("970416", "ACB", "ACB", "Ngân hàng TMCP Á Châu"),
    Bank("970432", "VPB", "VPBank", "Ngân hàng TMCP Việt Nam Thịnh Vượng"),
    Bank("970423", "TPB", "TPBank", "Ngân hàng TMCP Tiên Phong"),
    Bank("970403", "STB", "Sacombank", "Ngân hàng TMCP Sài Gòn Thương Tín"),
    Bank("970437", "HDB", "HDBank", "Ngân hàng TMCP Phát triển Thành phố Hồ Chí Minh"),
    Bank("970441", "VIB", "VIB", "Ngân hàng TMCP Quốc tế Việt Nam"),
    Bank("970443", "SHB", "SHB", "Ngân hàng TMCP Sài Gòn – Hà Nội"),
    Bank("970440", "SEAB", "SeABank", "Ngân hàng TMCP Đông Nam Á"),
    Bank("970448", "OCB", "OCB", "Ngân hàng TMCP Phương Đông"),
    Bank("970426", "MSB", "MSB", "Ngân hàng TMCP Hàng Hải Việt Nam"),
    Bank("970431", "EIB", "Eximbank", "Ngân hàng TMCP Xuất Nhập khẩu Việt Nam"),
    Bank("970449", "LPB", "LPBank", "Ngân hàng TMCP Lộc Phát Việt Nam"),
    Bank("970428", "NAB", "Nam A Bank", "Ngân hàng TMCP Nam Á"),
    Bank("970409", "BAB", "Bac A Bank", "Ngân hàng TMCP Bắc Á"),
    Bank("970412", "PVCB", "PVcomBank", "Ngân hàng TMCP Đại Chúng Việt Nam"),
    Bank("970425", "ABB", "ABBANK", "Ngân hàng TMCP An Bình"),
    Bank("970427", "VAB", "VietABank", "Ngân hàng TMCP Việt Á"),
    Bank("970454", "VCCB", "BVBank", "Ngân hàng TMCP Bản Việt"),
    Bank("970452", "KLB", "Kienlongbank", "Ngân hàng TMCP Kiên Long"),
    Bank("970419", "NCB", "NCB", "Ngân hàng TMCP Quốc Dân"),
    Bank("970400", "SGICB", "Saigonbank", "Ngân hàng TMCP Sài Gòn Công Thương"),
    Bank("970430", "PGB", "PGBank", "Ngân hàng TMCP Thịnh vượng và Phát triển"),
    Bank("970438", "BVB", "BaoViet Bank", "Ngân hàng TMCP Bảo Việt"),
    Bank("970433", "VIETBANK", "Vietbank", "Ngân hàng TMCP Việt Nam Thương Tín"),
    Bank("970429", "SCB", "SCB", "Ngân hàng TMCP Sài Gòn"),
    Bank("970408", "GPB", "GPBank", "Ngân hàng Thương mại TNHH MTV Dầu Khí Toàn Cầu"),
    Bank("970444", "CBB", "CBBank", "Ngân hàng Thương mại TNHH MTV Xây dựng Việt Nam"),
    Bank("970414", "MBV", "MBV", "Ngân hàng TNHH MTV Việt Nam Hiện Đại"),
    Bank("970406", "DOB", "DongA Bank", "Ngân hàng TMCP Đông Á"),
    Bank("970446", "COOPBANK", "Co-opBank", "Ngân hàng Hợp tác xã Việt Nam"),
    Bank("970421", "VRB", "VRB", "Ngân hàng Liên doanh Việt – Nga"),
    Bank("970434", "IVB", "IVB", "Ngân hàng TNHH Indovina"),
    Bank("970424", "SHBVN", "Shinhan Bank", "Ngân hàng TNHH MTV Shinhan Việt Nam"),
    Bank("970457", "WVN", "Woori Bank", "Ngân hàng TNHH MTV Woori Việt Nam"),
    Bank("970458", "UOB", "UOB", "Ngân hàng TNHH MTV United Overseas Bank (Việt Nam)"),
    Bank("458761", "HSBC", "HSBC", "Ngân hàng TNHH MTV HSBC (Việt Nam)"),
    Bank("970439", "PBVN", "Public Bank", "Ngân hàng TNHH MTV Public Việt Nam"),
    Bank("970410", "SCVN", "Standard Chartered", "Ngân hàng TNHH MTV Standard Chartered Bank Việt Nam"),
    Bank("970442", "HLBVN", "Hong Leong Bank", "Ngân hàng TNHH MTV Hong Leong Việt Nam"),
    Bank("422589", "CIMB", "CIMB", "Ngân hàng TNHH MTV CIMB Việt Nam"),
    Bank("970455", "IBK-HN", "IBK Hà Nội", "Ngân hàng Công nghiệp Hàn Quốc – Chi nhánh Hà Nội"),
    Bank("970456", "IBK-HCM", "IBK TP.HCM", "Ngân hàng Công nghiệp Hàn Quốc – Chi nhánh TP. Hồ Chí Minh"),
    Bank("668888", "KBANK", "KBank", "Ngân hàng Đại chúng TNHH Kasikornbank"),
    Bank("546034", "CAKE", "Cake", "Ngân hàng số Cake by VPBank"),
    Bank("546035", "UBANK", "Ubank", "Ngân hàng số Ubank by VPBank"),
    Bank("963388", "TIMO", "Timo", "Ngân hàng số Timo by BVBank"),
)

_BANKS_BY_BIN = {bank.bin: bank for bank in BANKS}

_BIN = re.compile(r"[0-9]{6}")
_ACCOUNT = re.compile(r"[A-Za-z0-9]{1,19}")  # explicit ranges: \d and \w also match non-ASCII digits
_CURRENCY = re.compile(r"[0-9]{3}")
_COUNTRY = re.compile(r"[A-Z]{2}")
_PRINTABLE_ASCII = re.compile(r"[\x20-\x7e]*")
_NOT_PURPOSE_CHAR = re.compile(r"[^A-Za-z0-9 -]+")
_SPACES = re.compile(r" {2,}")

# The templates parse_payload opens into nested dicts: ID 38, its sub-ID 01, and ID 62.
_TEMPLATES: dict[tuple[str, ...], frozenset[str]] = {(): frozenset({"38", "62"}), ("38",): frozenset({"01"})}


def bank_by_bin(bin: str) -> Bank | None:
    """The bank with this NAPAS BIN, or None."""
    return _BANKS_BY_BIN.get(bin)


def bank_choices() -> list[tuple[str, str]]:
    """(BIN, "ShortName — Full name") pairs for a form select, in BANKS order."""
    return [(bank.bin, f"{bank.short_name} — {bank.name}") for bank in BANKS]


def purpose_text(text: str, max_length: int = MAX_PURPOSE_LENGTH) -> str:
    """The transfer content to put in a VietQR code: ASCII letters, digits, spaces and '-', upper-case.

    Banking apps and the NAPAS field carry ASCII only, so Vietnamese diacritics are removed (đ → d);
    any other character becomes a space, and runs of spaces collapse. The result is cut to
    `max_length` (25 is the EMVCo limit for field 62-08, and several banks truncate the transfer
    content there anyway), so put the invoice number first. '-' is kept so that an invoice number
    like "HDBH-2026-000123" reaches the bank statement as written.
    """
    ascii_text = _NOT_PURPOSE_CHAR.sub(" ", fold(text).upper())
    return _SPACES.sub(" ", ascii_text).strip()[:max_length].rstrip()


def crc16_ccitt(data: bytes) -> int:
    """CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF, no reflection, no final XOR) — EMVCo's ID 63."""
    crc = 0xFFFF
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else (crc << 1)
            crc &= 0xFFFF
    return crc


def _tlv(tag: str, value: str) -> str:
    if not 0 < len(value) <= 99:
        raise ValueError(f"Field {tag} must be 1 to 99 characters long, got {len(value)}.")
    return f"{tag}{len(value):02d}{value}"


def _amount_text(amount: int | Decimal) -> str:
    # bool is an int; True would otherwise become an amount of 1 ₫.
    if isinstance(amount, bool) or not isinstance(amount, int | Decimal):
        raise ValueError(f"The amount must be an integer number of đồng, got {amount!r}.")
    if isinstance(amount, Decimal):
        if not amount.is_finite() or amount != amount.to_integral_value():
            raise ValueError(f"The amount must be a whole number of đồng (no decimals), got {amount}.")
        amount = int(amount)
    if amount <= 0:
        raise ValueError(f"The amount must be positive, got {amount}.")
    text = str(amount)
    if len(text) > MAX_AMOUNT_DIGITS:
        raise ValueError(f"The amount may have at most {MAX_AMOUNT_DIGITS} digits, got {len(text)}.")
    return text


def build_payload(
    *,
    bin: str,
    account: str,
    amount: int | Decimal | None,
    purpose: str,
    currency: str = "704",
    country: str = "VN",
) -> str:
    """The VietQR payload for a transfer to `account` at the bank with NAPAS BIN `bin`.

    With an amount the code is dynamic (ID 01 = "12") and the app fills the amount in; with
    `amount=None` it is static ("11") and the payer types it. `purpose` (ID 62-08) is written as
    given: pass it through `purpose_text` first. Raises ValueError on any invalid input.
    """
    if not _BIN.fullmatch(bin):
        raise ValueError(f"The bank BIN must be 6 digits, got {bin!r}.")
    if not _ACCOUNT.fullmatch(account):
        raise ValueError(f"The account number must be 1 to 19 letters or digits, got {account!r}.")
    if not _CURRENCY.fullmatch(currency):
        raise ValueError(f"The currency must be an ISO 4217 numeric code, got {currency!r}.")
    if not _COUNTRY.fullmatch(country):
        raise ValueError(f"The country must be an ISO 3166 alpha-2 code, got {country!r}.")
    if len(purpose) > MAX_PURPOSE_LENGTH or not _PRINTABLE_ASCII.fullmatch(purpose):
        raise ValueError(
            f"The purpose must be at most {MAX_PURPOSE_LENGTH} printable ASCII characters "
            f"(see purpose_text), got {purpose!r}."
        )

    beneficiary = _tlv("00", bin) + _tlv("01", account)
    merchant_account = _tlv("00", NAPAS_GUID) + _tlv("01", beneficiary) + _tlv("02", SERVICE_TO_ACCOUNT)
    fields = [
        _tlv("00", "01"),
        _tlv("01", "11" if amount is None else "12"),
        _tlv("38", merchant_account),
        _tlv("53", currency),
    ]
    if amount is not None:
        fields.append(_tlv("54", _amount_text(amount)))
    fields.append(_tlv("58", country))
    if purpose:
        fields.append(_tlv("62", _tlv("08", purpose)))
    # The CRC covers its own ID and length ("6304") as well as everything before them.
    body = "".join(fields) + "6304"
    return f"{body}{crc16_ccitt(body.encode('ascii')):04X}"


def _parse_tlv(text: str, path: tuple[str, ...]) -> ParsedPayload:
    fields: ParsedPayload = {}
    where = "/".join(path) or "payload"
    pos = 0
    while pos < len(text):
        header = text[pos : pos + 4]
        if len(header) < 4 or not header.isascii() or not header.isdigit():
            raise ValueError(f"Malformed TLV in {where} at position {pos}: {header!r}.")
        tag, length = header[:2], int(header[2:])
        value = text[pos + 4 : pos + 4 + length]
        if length == 0 or len(value) < length:
            raise ValueError(f"Field {tag} in {where} has a bad length {length}.")
        if tag in fields:
            raise ValueError(f"Field {tag} appears twice in {where}.")
        if tag in _TEMPLATES.get(path, frozenset()):
            fields[tag] = _parse_tlv(value, (*path, tag))
        else:
            fields[tag] = value
        pos += 4 + length
    return fields


def parse_payload(payload: str) -> ParsedPayload:
    """The fields of an EMVCo/VietQR payload by ID, with IDs 38, 38-01 and 62 as nested dicts.

    Raises ValueError if the payload is malformed or its CRC (ID 63, last) does not match.
    """
    if not payload.isascii():
        raise ValueError("A VietQR payload is ASCII only.")
    body, crc = payload[:-4], payload[-4:]
    if not body.endswith("6304"):
        raise ValueError("The payload does not end with its CRC field (ID 63, length 04).")
    expected = f"{crc16_ccitt(body.encode('ascii')):04X}"
    if crc != expected:
        raise ValueError(f"Bad CRC: the payload says {crc!r}, its content gives {expected!r}.")
    fields = _parse_tlv(payload, ())
    if "63" not in fields:  # "6304" was the tail of another field's value
        raise ValueError("The payload has no CRC field (ID 63).")
    return fields


def _qr(payload: str) -> segno.QRCode:
    # Level M (15 % recovery) is what banks print; a micro QR code would not scan in banking apps.
    return segno.make(payload, error="m", micro=False)


def qr_svg(payload: str, *, scale: int = 4) -> str:
    """The QR code of `payload` as an inline <svg> element (no XML declaration), for HTML pages."""
    return str(_qr(payload).svg_inline(scale=scale))


def qr_png_data_uri(payload: str, *, scale: int = 4) -> str:
    """The QR code of `payload` as a PNG data: URI, for PDFs."""
    return str(_qr(payload).png_data_uri(scale=scale))
