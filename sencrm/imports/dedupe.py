"""Finding duplicates: batched lookups against the indexed keys (E.164 phones, lower-cased emails, tax
codes, product codes, record ids), never one query per row; soft-deleted records do not count."""

from __future__ import annotations

from typing import Any

from django.db import connection

from sencrm.imports.models import ImportTarget
from sencrm.imports.parser import ParsedRow

CHUNK = 500  # ids per IN (...) list


class Finder:
    """Which existing records each row of a batch matches, by the chosen keys.

    The lookups are plain SQL on the indexed columns (a batch's keys, 500 per IN list): the ORM's
    per-parameter work was a tenth of an import's time.
    """

    def __init__(self, target: str, match_keys: list[str]) -> None:
        from sencrm.catalog.models import Product
        from sencrm.customers.models import Account, Contact, Email, Phone
        from sencrm.sales.models import Lead, LeadEmail, LeadPhone

        self.target, self.keys = target, [k for k in match_keys if k]
        qn = connection.ops.quote_name
        phone: Any
        email: Any
        if target == ImportTarget.PRODUCTS:  # no phones or emails: their lookups are never asked for
            model: Any = Product
            phone, email, fk = Phone, Email, "account_id"
        elif target == ImportTarget.LEADS:
            model = Lead
            phone, email, fk = LeadPhone, LeadEmail, "lead_id"
        else:
            model = Contact if target == ImportTarget.CONTACTS else Account
            phone, email, fk = Phone, Email, f"{model._meta.model_name}_id"
        table = qn(model._meta.db_table)
        self.model = model

        def children(child: Any, column: str) -> str:
            return (
                f"SELECT x.{qn(column)}, x.{qn(fk)} FROM {qn(child._meta.db_table)} x "  # noqa: S608 - our tables
                f"JOIN {table} r ON r.id = x.{qn(fk)} WHERE r.deleted_at IS NULL AND x.{qn(column)} IN ({{}})"
            )

        self.sql = {
            "phone": children(phone, "e164"),
            "email": children(email, "address_key"),
            "tax_code": f"SELECT tax_code, id FROM {qn(Account._meta.db_table)} "  # noqa: S608
            "WHERE deleted_at IS NULL AND tax_code IN ({})",
            "id": f"SELECT id, id FROM {table} WHERE deleted_at IS NULL AND id IN ({{}})",  # noqa: S608
            "code": f"SELECT code, id FROM {qn(Product._meta.db_table)} "  # noqa: S608
            "WHERE deleted_at IS NULL AND code IN ({})",
        }

    def _lookup(self, name: str, wanted: set[Any]) -> dict[str, set[int]]:
        found: dict[str, set[int]] = {}
        values = sorted(wanted)
        postgres = connection.vendor == "postgresql"
        size = CHUNK * 20 if postgres else CHUNK  # PostgreSQL: one array parameter, however long
        with connection.cursor() as cursor:
            for start in range(0, len(values), size):
                chunk = values[start : start + size]
                if postgres:
                    cursor.execute(self.sql[name].replace("IN ({})", "= ANY(%s)"), [chunk])
                else:
                    cursor.execute(self.sql[name].format(", ".join(["%s"] * len(chunk))), chunk)
                for value, pk in cursor.fetchall():
                    found.setdefault(str(value), set()).add(pk)
        return found

    def matches(self, rows: list[ParsedRow]) -> list[list[int]]:
        """Per row, the ids of the existing records it matches (a record id column is authoritative)."""
        wanted: dict[str, set[Any]] = {k: set() for k in ("id", "phone", "email", "tax_code", "code")}
        row_keys = [row.keys() for row in rows]
        for keys in row_keys:
            for name in self.keys:
                wanted[name].update(keys[name])
        if self.target != ImportTarget.ACCOUNTS:
            wanted["tax_code"] = set()
        if self.target != ImportTarget.PRODUCTS:
            wanted["code"] = set()
        wanted["id"] = {int(i) for i in wanted["id"]}
        found = {name: self._lookup(name, values) for name, values in wanted.items() if values}
        result = []
        for keys in row_keys:
            by_id = {pk for value in keys["id"] for pk in found.get("id", {}).get(value, ())}
            if by_id:
                result.append(sorted(by_id))
                continue
            ids: set[int] = set()
            for name in self.keys:
                if name != "id":
                    for value in keys[name]:
                        ids |= found.get(name, {}).get(value, set())
            result.append(sorted(ids))
        return result


class SeenKeys:
    """Keys already met in the file (for the preview, which writes nothing). Hashes keep a million rows'
    keys in tens of megabytes."""

    def __init__(self, match_keys: list[str]) -> None:
        self.keys = [k for k in match_keys if k and k != "id"]
        self.seen: set[int] = set()

    def check_and_add(self, row: ParsedRow) -> bool:
        keys = row.keys()
        hashes = [hash((name, value)) for name in self.keys for value in keys[name]]
        duplicate = any(h in self.seen for h in hashes)
        self.seen.update(hashes)
        return duplicate


def batch_keys(row: ParsedRow, match_keys: list[str]) -> set[tuple[str, str]]:
    keys = row.keys()
    return {(name, value) for name in match_keys if name != "id" for value in keys[name]}
