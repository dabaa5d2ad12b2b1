"""Quotes, orders and contracts as rows for CSV/XLSX (cells made formula-safe by sencrm.core.export):
amounts as numbers, dates as dates (ISO in a CSV), the status in words, the customer's name only for
readers who may open it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from itertools import islice
from typing import Any

from django.db import models
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from sencrm.commerce.models import Contract, Document, Order, Quote
from sencrm.core import access

CHUNK = 1000


def _columns(model: type[Document]) -> list[tuple[str, Callable[[Any], Any]]]:
    """(header, cell) per column: what every kind has, with the kind's own columns where they read best."""
    columns: list[tuple[str, Callable[[Any], Any]]] = [(_("Number"), lambda d: d.number)]
    if model is Quote:
        columns.append((capfirst(_("version")), lambda d: d.revision))
    if model is Contract:
        columns.append((_("Name"), lambda d: d.name))
    columns += [
        (pgettext("document party", "Customer"), lambda d: d.account_label or d.contact_label),
        (_("Status"), lambda d: d.get_status_display()),
        (_("Date"), lambda d: d.issue_date),
    ]
    if model is Quote:
        columns.append((_("Valid until"), lambda d: d.valid_until))
    if model is Order:
        columns.append((_("Promised delivery date"), lambda d: d.delivery_date))
    if model is Contract:
        columns += [(_("Start date"), lambda d: d.start_date), (_("End date"), lambda d: d.end_date)]
    columns += [
        (_("Subtotal"), lambda d: d.subtotal),
        (_("Discounts"), lambda d: d.discount_total),
        (_("VAT"), lambda d: d.vat_total),
        (_("Total"), lambda d: d.total),
        (_("Owner"), lambda d: str(d.owner)),
    ]
    return columns


def document_header(model: type[Document]) -> list[str]:
    return [header for header, _cell in _columns(model)]


def document_rows(qs: models.QuerySet[Any], *, user: Any) -> Iterator[list[Any]]:
    cells = [cell for _header, cell in _columns(qs.model)]
    documents = (
        qs.select_related("contact", "account", "owner")
        .order_by("-issue_date", "-id")
        .iterator(chunk_size=CHUNK)
    )
    while chunk := list(islice(documents, CHUNK)):
        # The customer's name only for readers who may open it (one query per chunk and model).
        access.label_related(user, chunk, "contact")
        access.label_related(user, chunk, "account")
        for document in chunk:
            yield [cell(document) for cell in cells]
