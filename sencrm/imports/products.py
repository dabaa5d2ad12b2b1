"""Products as an import target (the catalogue: sencrm/catalog).

Cells are read strictly, the Vietnamese way as well as plainly: codes (upper-cased, the key that finds
a product again), prices ("12.500.000", "12500000", a spreadsheet number), VAT rates (0, 5, 8, 10,
"10%", KCT, KKKNT), goods or service ("hàng hóa", "dịch vụ"), yes/no ("có", "không"), months, a category
path ("Điều hòa > Treo tường", created where missing) and a supplier (an account marked supplier that the
importer may view, by name or tax code, looked up once a batch).

Rows are written one by one through the catalogue's services (`product_create`, `product_update`,
`category_ensure_path`), each in a savepoint of the batch's transaction: a product imported is made by
the same rules, checks and events as one typed in the form, and a row a service refuses is rejected with
its reason while the others land. A catalogue is thousands of rows, not millions: the bulk path of
contacts and leads (phones, emails, COPY) is not needed. The undo goes through the services too.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from sencrm.catalog import services as catalog
from sencrm.catalog.models import Category, Product, ProductKind
from sencrm.catalog.selectors import category_paths
from sencrm.core import access
from sencrm.core.exceptions import StaleRecord
from sencrm.core.keys import name_keys
from sencrm.core.modules import Action
from sencrm.core.text import fold
from sencrm.core.vat import VatRate
from sencrm.events.bulk import BulkResult
from sencrm.events.diff import json_value
from sencrm.imports import values as v
from sencrm.imports.lookups import choice_map, key

if TYPE_CHECKING:
    from sencrm.imports.parser import ParsedRow

KIND_EXTRA: dict[str, str] = {
    "hang hoa": ProductKind.GOODS, "hang": ProductKind.GOODS, "hh": ProductKind.GOODS,
    "san pham": ProductKind.GOODS, "vat tu": ProductKind.GOODS, "thiet bi": ProductKind.GOODS,
    "dich vu": ProductKind.SERVICE, "dv": ProductKind.SERVICE,
}  # fmt: skip
VAT_EXTRA: dict[str, str] = {
    "khong chiu thue": VatRate.EXEMPT, "khong chiu thue gtgt": VatRate.EXEMPT,
    "khong ke khai": VatRate.NOT_DECLARED, "khong ke khai tinh nop thue": VatRate.NOT_DECLARED,
}  # fmt: skip
YES = {"co", "yes", "y", "x", "true", "1", "dung", "dang ban", "dang kinh doanh", "hoat dong"}
NO = {"khong", "no", "n", "false", "0", "sai", "ngung", "ngung ban", "ngung kinh doanh"}
# A spreadsheet cell formatted as a percentage holds 0.1 for 10 %.
PERCENT_CELLS = {Decimal("0.05"): "5", Decimal("0.08"): "8", Decimal("0.1"): "10"}
MONTHS_LIMIT = {"warranty_months": 600, "maintenance_months": 120}
_MONTHS = re.compile(r"(\d{1,4})\s*(thang|months?)?")
_TAX_CODE = re.compile(r"\d{10}(-\d{3})?|\d{12}")

FIELDS = {f.name: f for f in Product._meta.concrete_fields}
# Kinds of field only products have (sencrm/imports/fields.py), read by `read` below.
FIELD_KINDS = frozenset(
    {"code", "price", "vat_rate", "yes_no", "months", "product_kind", "category", "supplier"}
)


@lru_cache(maxsize=1)
def _kinds() -> dict[str, str]:
    return choice_map(ProductKind, KIND_EXTRA)


@lru_cache(maxsize=1)
def _vat_rates() -> dict[str, str]:
    return choice_map(VatRate, VAT_EXTRA)


def path_key(path: str) -> str:
    """How category paths are compared: folded names, "›", ">" or "/" between them."""
    parts = str(path).replace("›", ">").replace("/", ">").split(">")
    return " > ".join(k for k in (key(p) for p in parts) if k)


# --- reading cells ------------------------------------------------------------------------------------


def read_code(raw: Any) -> str:
    return v.text(raw, 40).upper()


def read_price(raw: Any) -> Decimal:
    """ "12.500.000", "12,500,000", "12500000 ₫" (the catalogue's `clean_price`), or a spreadsheet number
    taken as it is (1234.567 is not read as thousands)."""
    v.check_cell(raw)
    if isinstance(raw, bool):
        raise v.CellError(_("“%(value)s” is not a price.") % {"value": v.as_text(raw)})
    if isinstance(raw, int | float):
        number = Decimal(str(raw))
        if not number.is_finite() or number != number.to_integral_value():
            raise ValidationError(_("A price is a whole number of đồng from 0 to 10^15."))
        return catalog.clean_price(int(number))
    return catalog.clean_price(v.unescape(str(raw)))


def read_vat_rate(raw: Any) -> str:
    v.check_cell(raw)
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        number = Decimal(str(raw))
        if number in PERCENT_CELLS:
            return PERCENT_CELLS[number]
        text = str(int(number)) if number == number.to_integral_value() else str(number)
    else:
        text = v.text(raw)
    compact = text.replace(" ", "").replace("%", "").upper()
    try:  # "10", "10.0", "10,0"
        number = Decimal(compact.replace(",", "."))
        if number.is_finite() and number == number.to_integral_value():
            compact = str(int(number))
    except InvalidOperation:
        pass
    if compact in VatRate.values:
        return compact
    folded = key(text)
    rate = _vat_rates().get(folded)
    if rate is None and (code := re.search(r"\b(KKKNT|KCT)\b", text.upper())):
        rate = code[1]
    if rate is None:
        raise v.CellError(
            _("unknown VAT rate “%(rate)s”: use 0, 5, 8, 10, KCT or KKKNT.") % {"rate": text[:20]}
        )
    return str(rate)


def read_yes_no(raw: Any) -> bool:
    v.check_cell(raw)
    if isinstance(raw, bool):
        return raw
    word = key(v.as_text(raw) if isinstance(raw, int | float) else v.text(raw))
    if word in YES:
        return True
    if word in NO:
        return False
    raise v.CellError(_("write yes or no (có or không): %(value)s") % {"value": v.as_text(raw)[:40]})


def read_months(raw: Any, limit: int) -> int:
    v.check_cell(raw)
    wrong = v.CellError(_("Enter a whole number from 0 to %(max)s.") % {"max": limit})
    if isinstance(raw, bool):
        raise wrong
    if isinstance(raw, int | float):
        if raw != int(raw):
            raise wrong
        months = int(raw)
    else:
        match = _MONTHS.fullmatch(fold(v.text(raw)))  # "-1" stays "-1" (key() would drop the sign)
        if match is None:
            raise wrong
        months = int(match[1])
    if not 0 <= months <= limit:
        raise wrong
    return months


def read(row: ParsedRow, kind: str, name: str, raw: Any) -> None:
    """Read one cell of a product field into the row (a CellError or ValidationError: its reason)."""
    if kind == "code":
        row.values[name] = read_code(raw)
    elif kind == "price":
        row.values[name] = read_price(raw)
    elif kind == "vat_rate":
        row.values[name] = read_vat_rate(raw)
    elif kind == "yes_no":
        row.values[name] = read_yes_no(raw)
    elif kind == "months":
        row.values[name] = read_months(raw, MONTHS_LIMIT[name])
    elif kind == "product_kind":
        choice = _kinds().get(key(v.text(raw)))
        if choice is None:
            raise v.CellError(_("not one of the choices: %(value)s") % {"value": v.as_text(raw)[:60]})
        row.values[name] = choice
    elif kind == "category":
        path = v.text(raw, 300)
        if path_key(path):
            row.category = path
    elif kind == "supplier":
        row.supplier = v.text(raw, 200)


# --- what needs the database, a batch at a time -------------------------------------------------------


def resolve(actor: Any, rows: list[ParsedRow], suppliers: dict[int, Any]) -> None:
    """Suppliers named by the rows (name or tax code; an account marked supplier that the importer may
    view), and codes that belong to a product in the trash (a new product cannot take them)."""
    from sencrm.customers.models import Account

    valid = [r for r in rows if not r.errors]
    codes = {r.values["code"] for r in valid if r.values.get("code")}
    if codes:
        trashed = set(
            Product.all_objects.filter(code__in=codes, deleted_at__isnull=False).values_list(
                "code", flat=True
            )
        )
        for row in valid:
            if row.values.get("code") in trashed:
                row.errors.append(
                    _("Code: the product %(code)s is in the trash; restore it or choose another code")
                    % {"code": row.values["code"]}
                )
    wanted = [r for r in valid if r.supplier and not r.errors]
    if not wanted:
        return
    names = {name_keys(r.supplier)[4] for r in wanted}
    tax_codes = {r.supplier for r in wanted if _TAX_CODE.fullmatch(r.supplier)}
    visible = access.scope(actor, Account, Action.VIEW).filter(is_supplier=True)
    by_name: dict[str, list[Any]] = {}
    by_tax_code: dict[str, list[Any]] = {}
    for account in visible.filter(Q(sort_key__in=names) | Q(tax_code__in=tax_codes)):
        by_name.setdefault(account.sort_key, []).append(account)
        if account.tax_code:
            by_tax_code.setdefault(account.tax_code, []).append(account)
    for row in wanted:
        found = by_tax_code.get(row.supplier) or by_name.get(name_keys(row.supplier)[4], [])
        exact = [a for a in found if a.name == row.supplier]
        if len(found) == 1 or len(exact) == 1:
            account = exact[0] if len(exact) == 1 else found[0]
            suppliers[account.pk] = account
            row.values["supplier_id"] = account.pk
        elif not found:
            row.errors.append(
                _("Supplier: no supplier named “%(name)s” (or with this tax code) that you can see")
                % {"name": row.supplier}
            )
        else:
            row.errors.append(_("Supplier: several suppliers are named “%(name)s”") % {"name": row.supplier})


def known_categories() -> set[str]:
    """The paths of the categories there are (to tell which ones an import would create)."""
    return {path_key(p) for p in category_paths().values()}


# --- writing, through the catalogue's services --------------------------------------------------------


def message(exc: ValidationError | PermissionDenied) -> str:
    """A service's refusal as the report says it: "Field: reason" for each field it names."""
    if isinstance(exc, PermissionDenied):
        return str(exc)
    if not hasattr(exc, "error_dict"):
        return " ".join(exc.messages)
    parts = []
    for name, errors in exc.error_dict.items():
        text = " ".join(m for e in errors for m in e.messages)
        field = FIELDS.get(name)
        label = capfirst(str(field.verbose_name)) if field is not None else ""
        parts.append(f"{label}: {text}" if label and name != NON_FIELD_ERRORS else text)
    return "; ".join(parts)


class ProductWriter:
    """Writes a batch's products (the import's `Writer.commit` calls it inside the batch's transaction)."""

    def __init__(self, actor: Any, actor_label: str, suppliers: dict[int, Any]) -> None:
        self.actor, self.actor_label, self.suppliers = actor, actor_label, suppliers
        self.categories: dict[str, Category] = {}

    def _category(self, path: str) -> Category | None:
        wanted = path_key(path)
        if wanted not in self.categories:
            with transaction.atomic():  # its own savepoint: kept even if the row's product is refused
                category = catalog.category_ensure_path(actor=self.actor, path=path)
            if category is None:
                return None
            self.categories[wanted] = category
        return self.categories[wanted]

    def _data(self, row: ParsedRow) -> dict[str, Any]:
        data = {name: value for name, value in row.values.items() if name != "supplier_id"}
        if row.values.get("supplier_id") is not None:
            data["supplier"] = self.suppliers[row.values["supplier_id"]]
        if row.category:
            data["category"] = self._category(row.category)
        return data

    def write(
        self, creates: list[ParsedRow], updates: dict[int, tuple[ParsedRow, int]]
    ) -> tuple[BulkResult, list[ParsedRow]]:
        """(what was written, in the shape of the bulk path's result; the rows a service refused)."""
        result = BulkResult()
        refused: list[ParsedRow] = []
        for row in creates:
            try:
                data = self._data(row)  # a new category first, in a savepoint of its own
                with transaction.atomic():
                    product = catalog.product_create(
                        actor=self.actor, data=data, actor_label=self.actor_label
                    )
            except (ValidationError, PermissionDenied) as exc:
                row.errors.append(message(exc))
                refused.append(row)
            except IntegrityError:  # the same code written by someone else meanwhile
                row.errors.append(
                    _("Another product already has the code %(code)s.") % {"code": row.values["code"]}
                )
                refused.append(row)
            else:
                result.created.append((row.line, product.pk))
                result.versions[product.pk] = product.version
        current = Product.objects.in_bulk([pk for _row, pk in updates.values()])
        for line, (row, pk) in updates.items():
            stored = current.get(pk)
            if stored is None:
                result.no_access.append(line)
                continue
            try:
                data = self._data(row)
            except (ValidationError, PermissionDenied) as exc:
                row.errors.append(message(exc))
                refused.append(row)
                continue
            before = {FIELDS[name].attname: getattr(stored, FIELDS[name].attname) for name in data}
            try:
                with transaction.atomic():
                    updated = catalog.product_update(
                        stored, actor=self.actor, changes=data, version=None, actor_label=self.actor_label
                    )
            except PermissionDenied:
                result.no_access.append(line)
                continue
            except ValidationError as exc:
                row.errors.append(message(exc))
                refused.append(row)
                continue
            result.versions[pk] = updated.version
            if updated.version == stored.version:
                result.unchanged.append(line)
                continue
            result.updated.append((line, pk))
            old = {a: json_value(value) for a, value in before.items() if getattr(updated, a) != value}
            result.before[str(pk)] = {"before": {"fields": old}, "version": updated.version}
        return result, refused


def undo_batch(
    *, actor: Any, job: Any, created_ids: list[int], updated: dict[str, Any], versions: dict[int, int]
) -> Any:
    """Undo one batch of a products import through the services: updated products get their previous
    values back, created ones go to the trash — only those nobody has changed since (the others are
    kept and counted, like the bulk undo's)."""
    from sencrm.imports.undo import UndoResult

    result = UndoResult()
    fields = {f.attname: f for f in Product._meta.concrete_fields}
    wanted = {int(k) for k in updated} | set(created_ids)
    products = Product.objects.in_bulk(list(wanted))
    for key_, info in updated.items():
        pk = int(key_)
        product = products.get(pk)
        if product is None or product.version != versions.get(pk, info["version"]):
            result.kept += 1
            continue
        changes = {a: fields[a].to_python(value) for a, value in info["before"].get("fields", {}).items()}
        try:
            with transaction.atomic():
                restored = catalog.product_update(
                    product,
                    actor=actor,
                    changes=changes,
                    version=product.version,
                    actor_label=job.actor_label,
                )
        except (ValidationError, PermissionDenied, StaleRecord):
            result.kept += 1
            continue
        products[pk] = restored
        versions[pk] = restored.version
        result.restored += 1
    for pk in created_ids:
        product = products.get(pk)
        if product is None or product.version != versions.get(pk, 1):
            result.kept += 1
            continue
        try:
            with transaction.atomic():
                removed = catalog.product_delete(
                    product, actor=actor, version=product.version, actor_label=job.actor_label
                )
        except (PermissionDenied, StaleRecord):
            result.kept += 1
            continue
        versions[pk] = removed.version
        result.removed += 1
    return result
