"""Billing on the home page: the accountant's day (statements to reconcile, invoices due this week,
overdue balances, drafts to issue), a salesperson's unpaid invoices, and the board's totals."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db.models import Count, Sum
from django.utils import timezone

from sencrm.billing import selectors
from sencrm.billing.models import LIVE_STATUSES, Invoice, InvoiceStatus, Payment, PaymentKind
from sencrm.core import access, homepage
from sencrm.core.modules import Action, Module

ROWS = 6
ZERO = Decimal(0)


def accountant_day(user: Any) -> dict[str, Any]:
    today = timezone.localdate()
    due = selectors.invoices_due_soon(user, today).select_related("contact", "account")
    overdue = selectors.invoices_overdue(user, today).select_related("contact", "account")
    due_sum = due.aggregate(n=Count("id"), s=Sum("balance"))
    overdue_sum = overdue.aggregate(n=Count("id"), s=Sum("balance"))
    lines = selectors.statement_lines_open(user)
    return {
        "due": list(due[:ROWS]),
        "due_count": due_sum["n"],
        "due_total": due_sum["s"] or ZERO,
        "overdue": list(overdue[:ROWS]),
        "overdue_count": overdue_sum["n"],
        "overdue_total": overdue_sum["s"] or ZERO,
        "lines_open": lines.count(),
        "lines_matched": lines.filter(match_confident=True).count(),
        "drafts": access.scope(user, Invoice, Action.VIEW).filter(status=InvoiceStatus.DRAFT).count(),
        "ageing": selectors.receivables_totals(user, today),
        "can_reconcile": access.can(user, Module.BILLING, Action.IMPORT),
    }


def company_totals() -> dict[str, Any]:
    """Totals over the whole company (no invoice shown): the board's view of money in."""
    today = timezone.localdate()
    month = today.replace(day=1)
    invoiced = (
        Invoice.objects.filter(status__in=LIVE_STATUSES, is_credit=False, issue_date__gte=month).aggregate(
            s=Sum("total")
        )["s"]
        or ZERO
    )
    credits = (
        Invoice.objects.filter(is_credit=True, issue_date__gte=month, status__in=LIVE_STATUSES).aggregate(
            s=Sum("total")
        )["s"]
        or ZERO
    )
    # From local midnight on the 1st (a bound on the column, so the index on paid_at serves it).
    since = timezone.make_aware(dt.datetime.combine(month, dt.time()))
    received = (
        Payment.objects.filter(kind=PaymentKind.RECEIPT, paid_at__gte=since).aggregate(s=Sum("amount"))["s"]
        or ZERO
    )
    open_qs = Invoice.objects.filter(
        status__in=(InvoiceStatus.ISSUED, InvoiceStatus.PARTLY_PAID), is_credit=False
    )
    return {
        "month": month,
        "invoiced": invoiced - credits,
        "received": received,
        "receivable": open_qs.aggregate(s=Sum("balance"))["s"] or ZERO,
        "overdue": open_qs.filter(selectors.overdue_q(today)).aggregate(s=Sum("balance"))["s"] or ZERO,
    }


@homepage.register
def billing_widget(user: Any) -> dict[str, Any]:
    if access.can(user, Module.BILLING, Action.IMPORT):
        return {"billing_day": accountant_day(user)}
    if access.can(user, Module.BILLING, Action.VIEW):
        overdue = selectors.invoices_overdue(user).select_related("contact", "account")
        rows = list(overdue[:ROWS])
        return {"billing_unpaid": rows} if rows else {}
    if access.scope_level(user, Module.REPORTS, Action.VIEW) == "all":
        return {"billing_totals": company_totals()}
    return {}
