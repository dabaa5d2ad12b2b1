"""Products as rows for CSV/XLSX (cells made formula-safe by sencrm.core.export). The column names are
ones the importer recognises (sencrm/imports/fields.py), so an exported file can be edited and imported
again; amounts are numbers, the supplier's name only for readers who may open it."""

from __future__ import annotations

from collections.abc import Iterator
from itertools import islice
from typing import Any

from django.db import models
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from sencrm.catalog.selectors import category_paths
from sencrm.core import access

CHUNK = 1000


def yes_no(value: bool) -> str:
    return _("Yes") if value else _("No")


def product_header() -> list[str]:
    return [
        _("Code"),
        _("Name"),
        _("Category"),
        _("Unit"),
        _("Type"),
        _("List price"),
        _("VAT rate"),
        _("VAT reduction applies"),
        capfirst(_("warranty (months)")),  # the fields' own names
        capfirst(_("maintenance interval (months)")),
        _("Supplier"),
        _("Active"),
        _("Description"),
    ]


def product_rows(qs: models.QuerySet[Any], *, user: Any) -> Iterator[list[Any]]:
    paths = category_paths()  # one query for every category's path
    products = qs.select_related("supplier").order_by("code", "id").iterator(chunk_size=CHUNK)
    while chunk := list(islice(products, CHUNK)):
        access.label_related(user, chunk, "supplier")  # one query per chunk
        for p in chunk:
            yield [
                p.code,
                p.name,
                paths.get(p.category_id, ""),
                p.unit,
                p.get_kind_display(),
                p.list_price,
                p.get_vat_rate_display(),
                yes_no(p.vat_reducible),
                p.warranty_months,
                p.maintenance_months,
                p.supplier_label,
                yes_no(p.active),
                p.description,
            ]
