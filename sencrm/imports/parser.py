"""One row of the file → what will be stored (model values, phones, emails, tags, custom fields), or the
reasons it cannot be. Fast per-field checks equivalent to the models' rules (max lengths, tax code,
birth date not in the future, choices, custom field validation) instead of a full_clean() per row."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.utils import timezone
from django.utils.translation import gettext as _

from sencrm.core.keys import cleaned
from sencrm.core.phones import to_e164
from sencrm.core.text import clean_text, fold
from sencrm.customers.models import validate_tax_code
from sencrm.customfields import custom_fields
from sencrm.customfields.models import FieldType
from sencrm.imports import products
from sencrm.imports import values as v
from sencrm.imports.detect import column_label
from sencrm.imports.fields import REQUIRED_FIELDS, REQUIRED_NAME, FieldSpec, model_for
from sencrm.imports.lookups import Lookups, key

_url = URLValidator(schemes=["http", "https"])
# Fields that do not identify anyone: a value that cannot be placed there is a warning, not a reason
# to reject the row; the row is imported and the value kept as typed (province: in the address line;
# the others: a line in the notes), unless the job rejects rows with warnings.
SOFT_KINDS = frozenset(
    {"province", "source", "date", "datetime", "gender", "lifecycle", "lead_status", "url", "consent"}
)
NOTES_FIELD = {"contacts": "notes", "accounts": "notes", "leads": "interest", "products": "description"}
_PHONE_SEPARATORS = re.compile(r"[;\n\r,|/]+")
# Addresses this plain pattern accepts are valid for Django's validate_email too (a subset of what it
# accepts); anything else goes through validate_email itself.
_SIMPLE_EMAIL = re.compile(
    r"[A-Za-z0-9_+-]+(?:\.[A-Za-z0-9_+-]+)*@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}"
)


def _valid_email(address: str) -> bool:
    try:
        validate_email(address)
    except ValidationError:
        return False
    return True


@dataclass(slots=True)
class ParsedRow:
    line: int
    cells: list[Any]
    values: dict[str, Any] = field(default_factory=dict)  # model attname → value (filled cells only)
    phones: list[tuple[str, str]] = field(default_factory=list)  # (number as written, E.164)
    emails: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)  # tag names (new ones are created on write)
    custom: dict[str, Any] = field(default_factory=dict)
    record_id: int | None = None
    account: str = ""  # contacts: the account's name, resolved per batch
    group: str = ""  # a customer group name to resolve (created when new)
    category: str = ""  # products: a category path ("Điều hòa > Treo tường", created when new)
    supplier: str = ""  # products: the supplier's name or tax code, resolved per batch
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # values that could not be placed (row imported)
    kept: dict[str, str] = field(default_factory=dict)  # field → those values as typed, to add to it
    derived: dict[str, Any] | None = None  # the service's derived fields, computed by the reader thread
    consents: dict[str, bool] = field(default_factory=dict)  # channel → the consent column's yes/no
    _keys: dict[str, list[str]] | None = None

    @property
    def name(self) -> str:
        return str(self.values.get("full_name") or self.values.get("name") or "")

    def keys(self) -> dict[str, list[str]]:
        """The de-duplication keys of the row (computed once the row is parsed)."""
        if self._keys is None:
            self._keys = {
                "id": [str(self.record_id)] if self.record_id else [],
                "phone": [e for _n, e in self.phones],
                "email": [a.lower() for a in self.emails],
                "tax_code": [self.values["tax_code"]] if self.values.get("tax_code") else [],
                "code": [self.values["code"]] if self.values.get("code") else [],
            }
        return self._keys


class RowParser:
    def __init__(
        self, target: str, columns: list[str], mapping: list[str], specs: list[FieldSpec], lookups: Lookups
    ):
        self.target, self.lookups = target, lookups
        self.model = model_for(target)
        self.tz = timezone.get_current_timezone()
        self.today = timezone.localdate()
        by_key = {s.key: s for s in specs}
        self.customs = {s.custom.key: s.custom for s in specs if s.custom is not None}
        self.max_length = {
            f.name: f.max_length for f in self.model._meta.concrete_fields if getattr(f, "max_length", None)
        }
        self.name_field = REQUIRED_NAME[target]
        self.required = REQUIRED_FIELDS.get(target, ())
        self.notes_field = NOTES_FIELD[target]
        self.address_field = "street" if "street" in self.max_length else self.notes_field
        # (column index, header label, reader, kind) for every mapped column
        self.columns = [
            (i, column_label(columns, i), self._reader(by_key[k]), by_key[k].kind)
            for i, k in enumerate(mapping)
            if k and k in by_key
        ]

    def _reader(self, spec: FieldSpec) -> Any:
        """The function that reads one cell into the row (plain text and phones: the common, fast cases)."""
        if spec.kind in ("text", "notes"):
            name, limit, keep = spec.key, self.max_length.get(spec.key), spec.kind == "notes"

            def read_text(row: ParsedRow, raw: Any, parts: dict[str, str]) -> None:
                value = v.text(raw, limit, keep_lines=keep)
                if value:
                    row.values[name] = value

            return read_text
        if spec.kind == "phone":
            return lambda row, raw, parts: self._phones(row, raw)
        if spec.kind == "owner":
            return lambda row, raw, parts: self._owner(row, v.text(raw))
        if spec.kind == "tax_code":
            return lambda row, raw, parts: self._tax_code(row, raw)
        if spec.kind == "custom":
            return lambda row, raw, parts: self._custom(row, spec, raw)
        if spec.kind in products.FIELD_KINDS:
            kind, name = spec.kind, spec.key
            return lambda row, raw, parts: products.read(row, kind, name, raw)
        lk = self.lookups
        method = {
            "name_part": self._name_part, "email": self._emails, "date": self._date,
            "datetime": self._datetime, "gender": self._choice(lk.genders),
            "lifecycle": self._choice(lk.stages), "lead_status": self._choice(lk.lead_statuses),
            "province": self._province,
            "source": self._source, "group": self._group, "tags": self._tags, "account": self._account,
            "url": self._url, "id": self._id, "consent": self._consent,
        }[spec.kind]  # fmt: skip
        name = spec.key
        return lambda row, raw, parts: method(row, name, raw, parts)

    def parse(self, line: int, cells: list[Any]) -> ParsedRow:
        row = ParsedRow(line=line, cells=cells)
        parts: dict[str, str] = {}
        width = len(cells)
        for index, label, read, kind in self.columns:
            raw = cells[index] if index < width else None
            if raw is None or (type(raw) is str and (not raw or raw.isspace())):
                continue
            try:
                read(row, raw, parts)
            except (v.CellError, ValidationError) as exc:
                message = f"{label}: {exc if isinstance(exc, v.CellError) else v.validation_message(exc)}"
                if kind in SOFT_KINDS:
                    row.warnings.append(message)
                    self._keep(row, label, raw, province=kind == "province")
                else:
                    row.errors.append(message)
        if self.name_field not in row.values and parts:
            name = " ".join(parts[p] for p in ("family_name", "middle_name", "given_name") if parts.get(p))
            if len(name) > self.max_length[self.name_field]:
                row.errors.append(_("Name: too long"))
            elif name:
                row.values[self.name_field] = name
        if not row.values.get(self.name_field) and not row.errors:
            row.errors.append(_("The name is missing (it is required)."))
        if "code" in self.required and not row.values.get("code") and not row.errors:
            row.errors.append(_("The code is missing (it is required)."))
        return row

    def _keep(self, row: ParsedRow, label: str, raw: Any, *, province: bool) -> None:
        """A value that could not be placed, kept as typed where the user will see it."""
        text = clean_text(v.as_text(raw))[:500]
        if province and self.address_field != self.notes_field:
            target, line = self.address_field, text
        else:
            target, line = self.notes_field, f"{label}: {text}"
        separator = ", " if target == "street" else "\n"
        row.kept[target] = f"{row.kept[target]}{separator}{line}" if target in row.kept else line

    def with_kept(self, values: dict[str, Any], kept: dict[str, str]) -> dict[str, Any]:
        """The values of a record to create, with the kept values added to its address line / notes."""
        values = dict(values)
        street = kept.get("street", "")
        notes = kept.get(self.notes_field, "")
        if street:
            joined = ", ".join(p for p in (values.get("street", ""), street) if p)
            if len(joined) <= self.max_length["street"]:
                values["street"] = joined
            else:  # too long for the address line: a line in the notes
                notes = "; ".join(p for p in (notes, street) if p)
        if notes:
            values[self.notes_field] = "\n".join(p for p in (values.get(self.notes_field), notes) if p)
        return values

    # One method per kind of field: (row, field key, cell, name parts) → sets what the row will store.

    def _name_part(self, row: ParsedRow, name: str, raw: Any, parts: dict[str, str]) -> None:
        parts[name] = v.text(raw, 80)

    def _emails(self, row: ParsedRow, name: str, raw: Any, parts: dict[str, str]) -> None:
        for address in v.split_list(raw):
            address = cleaned(address)
            if len(address) > 254 or not (_SIMPLE_EMAIL.fullmatch(address) or _valid_email(address)):
                raise v.CellError(_("not a valid email address: %(value)s") % {"value": address[:60]})
            if address.lower() not in {a.lower() for a in row.emails}:
                row.emails.append(address)

    def _date(self, row: ParsedRow, name: str, raw: Any, parts: dict[str, str]) -> None:
        day = v.parse_date(raw)
        if day is not None and day > self.today:
            raise v.CellError(_("the date cannot be in the future"))
        row.values[name] = day

    def _datetime(self, row: ParsedRow, name: str, raw: Any, parts: dict[str, str]) -> None:
        row.values[name] = v.parse_datetime(raw, self.tz)

    def _choice(self, table: dict[str, str]) -> Any:
        def read(row: ParsedRow, name: str, raw: Any, parts: dict[str, str]) -> None:
            choice = table.get(key(v.text(raw)))
            if choice is None or (name == "status" and choice == "converted"):
                raise v.CellError(_("not one of the choices: %(value)s") % {"value": v.as_text(raw)[:60]})
            row.values[name] = choice

        return read

    def _province(self, row: ParsedRow, name: str, raw: Any, parts: dict[str, str]) -> None:
        pk = self.lookups.province(v.text(raw))
        if pk is None:
            raise v.CellError(_("unknown province: %(value)s") % {"value": v.as_text(raw)[:60]})
        row.values["province_id"] = pk

    def _source(self, row: ParsedRow, name: str, raw: Any, parts: dict[str, str]) -> None:
        pk = self.lookups.sources.get(key(v.text(raw)))
        if pk is None:
            raise v.CellError(_("unknown source: %(value)s") % {"value": v.as_text(raw)[:60]})
        row.values["source_id"] = pk

    def _group(self, row: ParsedRow, name: str, raw: Any, parts: dict[str, str]) -> None:
        row.group = v.text(raw, 80)

    def _tags(self, row: ParsedRow, name: str, raw: Any, parts: dict[str, str]) -> None:
        for tag in v.split_list(raw):
            tag = clean_text(tag)
            if len(tag) > 50:
                raise v.CellError(_("a tag has at most 50 characters"))
            if key(tag) not in {key(t) for t in row.tags}:
                row.tags.append(tag)

    def _account(self, row: ParsedRow, name: str, raw: Any, parts: dict[str, str]) -> None:
        row.account = v.text(raw, 200)

    def _url(self, row: ParsedRow, name: str, raw: Any, parts: dict[str, str]) -> None:
        url = v.text(raw, 200)
        if not re.match(r"^[a-z][a-z0-9+.-]*://", url, re.IGNORECASE):
            url = "https://" + url
        _url(url)
        if len(url) > 200:
            raise v.CellError(_("at most 200 characters"))
        row.values[name] = url

    def _consent(self, row: ParsedRow, name: str, raw: Any, parts: dict[str, str]) -> None:
        # Only a filled cell is an answer: an empty one records nothing (consent is never assumed).
        row.consents[name.removeprefix("consent_")] = products.read_yes_no(raw)

    def _id(self, row: ParsedRow, name: str, raw: Any, parts: dict[str, str]) -> None:
        digits = v.as_text(raw).strip()
        if re.fullmatch(r"\d{1,18}", digits):  # other systems' codes are not our ids: ignored
            row.record_id = int(digits)

    def _phones(self, row: ParsedRow, raw: Any) -> None:
        v.check_cell(raw)
        if isinstance(raw, float | int) and not isinstance(raw, bool):
            raw = v.as_text(raw)  # a number typed into a spreadsheet: the leading 0 is restored by to_e164
        text = v.unescape(str(raw))
        for part in _PHONE_SEPARATORS.split(text) if _PHONE_SEPARATORS.search(text) else (text,):
            number = cleaned(part)
            if not number:
                continue
            e164 = to_e164(number) if len(number) <= 40 else None
            if e164 is None:
                raise v.CellError(_("not a valid phone number: %(value)s") % {"value": number[:40]})
            if e164 not in {e for _n, e in row.phones}:
                row.phones.append((number, e164))

    def _owner(self, row: ParsedRow, text: str) -> None:
        user = self.lookups.user(text)
        if user is None:
            raise v.CellError(_("no active user %(value)s") % {"value": text[:60]})
        team = self.lookups.team_of(user)
        if not self.lookups.may_assign(self.model, user.pk, team):
            raise v.CellError(_("you may not assign records to %(user)s") % {"user": str(user)})
        row.values["owner_id"], row.values["team_id"] = user.pk, team

    def _tax_code(self, row: ParsedRow, raw: Any) -> None:
        v.check_cell(raw)
        if isinstance(raw, int | float) and not isinstance(raw, bool):
            code = v.as_text(raw).zfill(10)  # a tax code typed as a number lost its leading zero
        else:
            code = re.sub(r"[\s.]", "", v.unescape(str(raw)))
        code = re.sub(r"\s*-\s*", "-", code)
        validate_tax_code(code)
        row.values["tax_code"] = code

    def _custom(self, row: ParsedRow, spec: FieldSpec, raw: Any) -> None:
        definition: Any = spec.custom
        value: Any = raw
        if definition.type == FieldType.DATE:
            value = v.parse_date(raw)
        elif definition.type in (FieldType.NUMBER, FieldType.MONEY):
            value = v.parse_number(raw)
        elif definition.type == FieldType.MULTI:
            value = [clean_text(x) for x in v.split_list(raw)]
        elif definition.type == FieldType.BOOL:
            value = fold(v.text(raw))
            value = {"x": "true", "co": "có", "khong": "không", "yes": "yes", "no": "no"}.get(value, value)
        else:
            value = v.text(raw)
        row.custom[definition.key] = custom_fields.clean_value(definition, value)

    def missing_required(self, custom: dict[str, Any]) -> list[str]:
        """Required custom fields left empty (checked for new records)."""
        return [
            f"{f.label}: {_('This field is required.')}"
            for f in self.customs.values()
            if f.required and custom.get(f.key) in (None, "", [])
        ]
