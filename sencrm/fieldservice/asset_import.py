"""Importing installed products from a CSV or XLSX file (`manage.py import_assets FILE`).

The file is read by the import engine's reader (sencrm/imports: encoding and delimiter detection, UTF-8
with BOM, UTF-16, Windows-1258, XLSX cells); the import engine's targets are fixed to its own list, so
assets are imported by this module rather than by an engine target. The first row is the header: each
column is named by its field (English) or its Vietnamese name (see COLUMNS). Every row goes through
`asset_create` in its own savepoint, as the importing user: a row the service refuses (an unknown product,
a customer out of their scope, a serial number already recorded) is reported with its line and reason,
and every good row is kept.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.utils.translation import gettext as _

from sencrm.catalog.models import Product
from sencrm.core import access
from sencrm.core.modules import Action
from sencrm.core.phones import to_e164
from sencrm.core.text import fold
from sencrm.customers.models import Account, Contact, Phone, Province
from sencrm.fieldservice.assets import asset_create
from sencrm.fieldservice.models import AssetStatus
from sencrm.imports import values
from sencrm.imports.detect import detect_delimiter, detect_encoding
from sencrm.imports.files import check_content, kind_from_name
from sencrm.imports.reader import BadRow, Rows, codec

# Column name (folded) → field. The customer is a contact (by phone, else id) and/or an account (by tax
# code, else id); the product by its code; the province by its name or code.
COLUMNS = {
    "product": "product", "product_code": "product", "ma san pham": "product", "san pham": "product",
    "serial_number": "serial_number", "serial": "serial_number", "so serial": "serial_number",
    "so seri": "serial_number",
    "contact_phone": "contact_phone", "phone": "contact_phone", "so dien thoai": "contact_phone",
    "dien thoai": "contact_phone", "contact": "contact", "contact_id": "contact",
    "account_tax_code": "account_tax_code", "tax_code": "account_tax_code", "ma so thue": "account_tax_code",
    "account": "account", "account_id": "account",
    "installed_on": "installed_on", "ngay lap dat": "installed_on",
    "warranty_until": "warranty_until", "bao hanh den": "warranty_until",
    "status": "status", "trang thai": "status",
    "site_street": "site_street", "dia chi": "site_street", "site_ward": "site_ward",
    "phuong xa": "site_ward", "phuong/xa": "site_ward", "site_province": "site_province",
    "tinh thanh": "site_province", "tinh/thanh pho": "site_province", "tinh": "site_province",
    "site_contact_name": "site_contact_name", "nguoi lien he": "site_contact_name",
    "site_contact_phone": "site_contact_phone", "sdt tai cho": "site_contact_phone",
    "notes": "notes", "ghi chu": "notes", "quantity": "quantity", "so luong": "quantity",
}  # fmt: skip
STATUS_WORDS = {
    "installed": AssetStatus.INSTALLED, "da lap dat": AssetStatus.INSTALLED,
    "dang dung": AssetStatus.INSTALLED,
    "under_repair": AssetStatus.UNDER_REPAIR, "dang sua": AssetStatus.UNDER_REPAIR,
    "replaced": AssetStatus.REPLACED, "da thay": AssetStatus.REPLACED,
    "removed": AssetStatus.REMOVED, "da thao": AssetStatus.REMOVED,
}  # fmt: skip
MAX_ROWS = 100_000


@dataclass
class ImportReport:
    created: list[int] = field(default_factory=list)  # asset ids
    rejected: list[tuple[int, str]] = field(default_factory=list)  # (line, reason)
    ignored_columns: list[str] = field(default_factory=list)


class RowError(ValueError):
    pass


def _rows(path: Path, sheet: str) -> Iterator[tuple[int, list[Any] | BadRow]]:
    kind = check_content(path, kind_from_name(path.name))
    if kind == "xlsx":
        yield from Rows(path, "xlsx", sheet=sheet)
        return
    head = path.read_bytes()[:65536]
    encoding = detect_encoding(head)
    sample = head.decode(codec(encoding), errors="replace")
    yield from Rows(path, "csv", encoding=encoding, delimiter=detect_delimiter(sample))


def _header(cells: list[Any], report: ImportReport) -> dict[int, str]:
    mapping: dict[int, str] = {}
    for index, cell in enumerate(cells):
        name = values.as_text(cell).strip()
        target = COLUMNS.get(fold(name)) or COLUMNS.get(name.lower())
        if target is None or target in mapping.values():
            if name:
                report.ignored_columns.append(name)
            continue
        mapping[index] = target
    if "product" not in mapping.values():
        raise RowError(_("The header has no product column (product / mã sản phẩm)."))
    return mapping


def _one(model: type[Any], actor: Any, **lookup: Any) -> Any:
    found = list(access.scope(actor, model, Action.VIEW).filter(**lookup)[:2])
    if len(found) != 1:
        raise RowError(str(access.NOT_FOUND) if not found else _("More than one record matches."))
    return found[0]


def _data(actor: Any, cells: dict[str, Any]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    code = values.text(cells.get("product"), 40).upper()
    if not code:
        raise RowError(_("product: enter the product's code."))
    product = Product.objects.filter(code__iexact=code).first()
    if product is None:
        raise RowError(_("product: no product has the code %(code)s.") % {"code": code})
    data["product"] = product
    phone = values.text(cells.get("contact_phone"), 40)
    if phone:
        e164 = to_e164(phone)
        if not e164:
            raise RowError(_("phone: not a valid phone number."))
        owners = Phone.objects.filter(e164=e164, contact__isnull=False).values("contact_id")
        data["contact"] = _one(Contact, actor, pk__in=owners)
    elif values.text(cells.get("contact")):
        data["contact"] = _one(Contact, actor, pk=_int(cells["contact"], "contact"))
    tax = values.text(cells.get("account_tax_code"), 20)
    if tax:
        data["account"] = _one(Account, actor, tax_code=tax)
    elif values.text(cells.get("account")):
        data["account"] = _one(Account, actor, pk=_int(cells["account"], "account"))
    for name in ("installed_on", "warranty_until"):
        if name in cells:
            try:
                data[name] = values.parse_date(cells[name])
            except values.CellError as exc:
                raise RowError(f"{name}: {exc}") from None
    status = fold(values.text(cells.get("status")))
    if status:
        if status not in STATUS_WORDS:
            raise RowError(_("status: not one of installed, under repair, replaced, removed."))
        data["status"] = STATUS_WORDS[status]
    province = values.text(cells.get("site_province"), 100)
    if province:
        key = fold(province)
        match = [p for p in Province.objects.all() if fold(p.name) == key or p.code == key]
        if not match:
            raise RowError(_("province: unknown province %(name)s.") % {"name": province})
        data["site_province"] = match[0]
    for name in ("serial_number", "site_street", "site_ward", "site_contact_name", "site_contact_phone"):
        if name in cells:
            data[name] = values.text(cells[name], 200)
    if "notes" in cells:
        data["notes"] = values.text(cells["notes"], 10_000, keep_lines=True)
    if values.text(cells.get("quantity")):
        data["quantity"] = _int(cells["quantity"], "quantity")
    return data


def _int(value: Any, name: str) -> int:
    number = values.parse_number(value)
    if number is None or number != number.to_integral_value():
        raise RowError(_("%(name)s: not a whole number.") % {"name": name})
    return int(number)


def _reason(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return values.validation_message(exc)
    return str(exc)


def import_assets(path: Path, *, actor: Any, sheet: str = "") -> ImportReport:
    """Create one asset per data row; report every rejected row (line, reason), keep every good one."""
    access.check_module(actor, "fieldservice", Action.CREATE)
    report = ImportReport()
    mapping: dict[int, str] | None = None
    for line, row in _rows(path, sheet):
        if isinstance(row, BadRow):
            report.rejected.append((line, row.message))
            continue
        if mapping is None:
            mapping = _header(row, report)
            continue
        if all(values.is_blank(c) for c in row):
            continue
        if len(report.created) + len(report.rejected) >= MAX_ROWS:
            report.rejected.append((line, _("More than %(n)s rows: split the file.") % {"n": MAX_ROWS}))
            break
        cells = {name: row[i] if i < len(row) else None for i, name in mapping.items()}
        try:
            data = _data(actor, cells)
            with transaction.atomic():
                report.created.append(asset_create(actor=actor, data=data).pk)
        except (RowError, values.CellError, ValidationError, PermissionDenied, Http404) as exc:
            report.rejected.append((line, _reason(exc)))
    return report
