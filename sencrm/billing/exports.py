"""Invoices and receivables as rows for CSV/XLSX (cells made formula-safe by sencrm.core.export): amounts
as numbers, dates as dates, statuses in words, a customer's name only for readers who may open it."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import date
from itertools import islice
from typing import Any

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from sencrm.core import access
from sencrm.customers.models import Account, Contact

CHUNK = 1000


def _invoice_columns(today: date) -> list[tuple[str, Callable[[Any], Any]]]:
    return [
        (_("Number"), lambda i: i.number),
        (_("Kind"), lambda i: i.get_kind_display()),
        (pgettext("document party", "Customer"), lambda i: i.account_label or i.contact_label),
        (_("Status"), lambda i: i.get_status_display()),
        (_("Date"), lambda i: i.issue_date),
        (_("Due date"), lambda i: i.due_date),
        (_("Overdue"), lambda i: _("Yes") if i.is_overdue(today) else ""),
        (_("Subtotal"), lambda i: i.subtotal),
        (_("VAT"), lambda i: i.vat_total),
        (_("Total"), lambda i: i.total),
        (_("Paid"), lambda i: i.paid_total),
        (_("Balance"), lambda i: i.balance),
        (_("E-invoice series"), lambda i: i.einvoice_series),
        (_("E-invoice number"), lambda i: i.einvoice_number),
        (_("Owner"), lambda i: str(i.owner or "")),
    ]


def invoice_header() -> list[str]:
    return [header for header, _cell in _invoice_columns(timezone.localdate())]


def invoice_rows(qs: models.QuerySet[Any], *, user: Any) -> Iterator[list[Any]]:
    cells = [cell for _header, cell in _invoice_columns(timezone.localdate())]
    invoices = (
        qs.select_related("contact", "account", "owner")
        .order_by("-issue_date", "-id")
        .iterator(chunk_size=CHUNK)
    )
    while chunk := list(islice(invoices, CHUNK)):
        # The customer's name only for readers who may open it (one query per chunk and model).
        access.label_related(user, chunk, "contact")
        access.label_related(user, chunk, "account")
        for invoice in chunk:
            yield [cell(invoice) for cell in cells]


BUCKET_HEADERS = (
    ("current", gettext_lazy("Not yet due")),
    ("d1_30", gettext_lazy("1–30 days")),
    ("d31_60", gettext_lazy("31–60 days")),
    ("d61_90", gettext_lazy("61–90 days")),
    ("d90_plus", gettext_lazy("Over 90 days")),
)


def name_customers(user: Any, rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The receivables rows with `label` (the customer's name, or "not visible to you") and `visible`:
    a salesperson may see an invoice of a customer they cannot open. Two queries for all rows."""
    rows = list(rows)
    accounts = access.visible_pks(user, Account, [r["account_id"] for r in rows if r.get("account_id")])
    contacts = access.visible_pks(user, Contact, [r["contact_id"] for r in rows if r.get("contact_id")])
    for row in rows:
        visible = (
            row["account_id"] in accounts if row.get("account_id") else row.get("contact_id") in contacts
        )
        row["visible"] = visible
        row["label"] = row["name"] if visible else str(access.NOT_VISIBLE)
    return rows


def receivables_header() -> list[str]:
    return [
        pgettext("document party", "Customer"),
        *(str(label) for _key, label in BUCKET_HEADERS),
        _("Total"),
    ]


def receivables_rows(rows: Iterable[dict[str, Any]]) -> Iterator[list[Any]]:
    for row in rows:
        yield [row["label"], *(row[key] for key, _label in BUCKET_HEADERS), row["total"]]
