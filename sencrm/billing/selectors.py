"""Reads of billing: the VietQR code of an invoice, what is owed, what the accountant has to do today."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Case, DecimalField, F, Q, QuerySet, Sum, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from sencrm.billing.models import OPEN_STATUSES, BankLine, BankLineStatus, Invoice
from sencrm.core import access, vietqr
from sencrm.core.modules import Action
from sencrm.documents.selectors import company_profile

ZERO = Decimal(0)


def invoice_vietqr(invoice: Invoice, *, company: Any = None) -> str | None:
    """The VietQR bank-transfer payload for what is still owed on an open invoice, or None (no balance,
    a draft, or the company's bank account not set). The transfer's purpose is the invoice number."""
    if not invoice.is_open or invoice.balance <= 0:
        return None
    company = company or company_profile()
    if not (company.bank_bin and company.bank_account):
        return None
    try:
        return vietqr.build_payload(
            bin=company.bank_bin,
            account=company.bank_account,
            amount=int(invoice.balance),
            purpose=vietqr.purpose_text(invoice.number),
        )
    except ValueError:
        return None


def overdue_q(today: date | None = None) -> Q:
    today = today or timezone.localdate()
    return Q(status__in=OPEN_STATUSES, is_credit=False, due_date__lt=today, balance__gt=0)


def invoices_due_soon(user: Any, today: date | None = None, days: int = 7) -> QuerySet[Invoice]:
    today = today or timezone.localdate()
    return (
        access.scope(user, Invoice, Action.VIEW)
        .filter(
            status__in=OPEN_STATUSES,
            is_credit=False,
            due_date__gte=today,
            due_date__lte=today + timedelta(days=days),
        )
        .order_by("due_date", "id")
    )


def invoices_overdue(user: Any, today: date | None = None) -> QuerySet[Invoice]:
    return access.scope(user, Invoice, Action.VIEW).filter(overdue_q(today)).order_by("due_date", "id")


def statement_lines_open(user: Any) -> QuerySet[BankLine]:
    from sencrm.billing.models import BankStatement

    statements = access.scope(user, BankStatement, Action.VIEW)
    return BankLine.objects.filter(statement__in=statements, status=BankLineStatus.OPEN, amount__gt=0)


BUCKETS = ("current", "d1_30", "d31_60", "d61_90", "d90_plus")


def _bucket(name: str, today: date) -> Any:
    money = DecimalField(max_digits=18, decimal_places=0)
    if name == "current":
        condition = Q(due_date__gte=today) | Q(due_date__isnull=True)
    else:
        low, high = {"d1_30": (1, 30), "d31_60": (31, 60), "d61_90": (61, 90), "d90_plus": (91, None)}[name]
        condition = Q(due_date__lte=today - timedelta(days=low))
        if high is not None:
            condition &= Q(due_date__gt=today - timedelta(days=high + 1))
    return Coalesce(
        Sum(Case(When(condition, then=F("balance")), default=Value(ZERO), output_field=money)),
        Value(ZERO),
        output_field=money,
    )


def receivables(
    user: Any, today: date | None = None, *, limit: int = 200, search: str = ""
) -> list[dict[str, Any]]:
    """Balance per customer with ageing buckets (current, 1–30, 31–60, 61–90, > 90 days past due),
    largest first (see receivables_report)."""
    return receivables_report(user, today, limit=limit, search=search)[0]


def receivables_report(
    user: Any, today: date | None = None, *, limit: int = 200, search: str = ""
) -> tuple[list[dict[str, Any]], dict[str, Decimal]]:
    """The receivables page in two queries: one grouped query over the open invoices the user may see
    (by account and contact, through the open invoices' partial index), merged per customer here —
    an account's invoices are the account's whoever the contact — with the totals of every customer;
    then the names of the `limit` largest."""
    from sencrm.customers.models import Account, Contact

    today = today or timezone.localdate()
    qs = access.scope(user, Invoice, Action.VIEW).filter(
        status__in=OPEN_STATUSES, is_credit=False, balance__gt=0
    )
    if search:
        from sencrm.core.text import fold

        qs = qs.filter(search_key__contains=fold(search)[:100])
    buckets = {name: _bucket(name, today) for name in BUCKETS}
    grouped = qs.order_by().values("account_id", "contact_id").annotate(total=Sum("balance"), **buckets)
    merged: dict[tuple[str, int], dict[str, Any]] = {}
    totals: dict[str, Decimal] = dict.fromkeys(("total", *BUCKETS), ZERO)
    for group in grouped:
        row: dict[str, Any] = dict(group)  # the stubs know the grouped keys, not the annotated buckets
        key = ("account", row["account_id"]) if row["account_id"] else ("contact", row["contact_id"])
        into = merged.setdefault(
            key,
            {
                "account_id": key[1] if key[0] == "account" else None,
                "contact_id": key[1] if key[0] == "contact" else None,
                **dict.fromkeys(("total", *BUCKETS), ZERO),
            },
        )
        for name in ("total", *BUCKETS):
            into[name] += row[name] or ZERO
            totals[name] += row[name] or ZERO
    rows = sorted(merged.values(), key=lambda r: r["total"], reverse=True)[:limit]
    accounts = dict(
        Account.all_objects.filter(pk__in=[r["account_id"] for r in rows if r["account_id"]]).values_list(
            "pk", "name"
        )
    )
    contacts = dict(
        Contact.all_objects.filter(pk__in=[r["contact_id"] for r in rows if r["contact_id"]]).values_list(
            "pk", "full_name"
        )
    )
    for named in rows:
        named["name"] = (
            accounts.get(named["account_id"], "")
            if named["account_id"]
            else contacts.get(named["contact_id"], "")
        )
    return rows, totals


def receivables_totals(user: Any, today: date | None = None) -> dict[str, Decimal]:
    today = today or timezone.localdate()
    qs = access.scope(user, Invoice, Action.VIEW).filter(
        status__in=OPEN_STATUSES, is_credit=False, balance__gt=0
    )
    return {
        key: value or ZERO
        for key, value in qs.aggregate(
            total=Sum("balance"), **{name: _bucket(name, today) for name in BUCKETS}
        ).items()
    }
