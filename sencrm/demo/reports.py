"""The demo's reports: this year's monthly revenue targets (a third above the same month last year, at
least 300.000.000 ₫), and the board's saved reports — revenue by region put on its dashboard, and the
monthly revenue by employee emailed as a PDF on the first of each month."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.utils import timezone

from sencrm.reports import base, revenue, saved
from sencrm.reports.models import RevenueTarget, SavedReport

FLOOR = Decimal(300_000_000)
STEP = Decimal(10_000_000)


def load_reports(users: dict[str, Any]) -> int:
    """Create the targets and saved reports once; returns the number of saved reports created."""
    admin, board = users["admin"], users["board"]
    today = timezone.localdate()
    if not RevenueTarget.objects.filter(month__year=today.year).exists():
        for month in range(1, 13):
            first = dt.date(today.year, month, 1)
            a_year_before = base.Period.containing("month", first.replace(year=today.year - 1))
            before = revenue.revenue_total(admin, a_year_before)
            target = max(FLOOR, (before * Decimal("1.35") / STEP).quantize(Decimal(1)) * STEP)
            RevenueTarget.objects.create(month=first, amount=target)
    if SavedReport.objects.filter(owner=board).exists():
        return 0
    saved.saved_create(
        actor=board,
        data={
            "name": "Doanh thu theo miền",
            "report": "revenue",
            "query": {"group_by": "region"},
            "period": "month",
            "on_dashboard": True,
        },
    )
    saved.saved_create(
        actor=board,
        data={
            "name": "Doanh thu tháng theo nhân viên",
            "report": "revenue",
            "query": {"group_by": "employee"},
            "period": "month",
            "schedule": "monthly",
            "schedule_format": "pdf",
        },
    )
    return 2
