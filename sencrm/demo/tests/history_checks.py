"""The demo's three years of sales history (issue 19): every month has sales, the hot season sells most,
each month sells more than a year before, new customers every month, and the retention story — over the
12-month periods ending last month (calendar years would not fit every day the demo is loaded on: in
January this year has hardly begun) — goes from about 70 % to about 78 %."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from django.utils import timezone

from sencrm.billing.models import Invoice, Payment
from sencrm.demo.history import HISTORY_NOTE


def _month(today: dt.date, back: int) -> dt.date:
    index = today.year * 12 + today.month - 1 - back
    return dt.date(index // 12, index % 12 + 1, 1)


def _customer(account_id: int | None, contact_id: int | None) -> tuple[str, int | None]:
    return ("account", account_id) if account_id else ("contact", contact_id)


def check_history() -> None:
    """Called by test_load_demo after the demo is loaded (one load for both: it takes a minute)."""
    today = timezone.localdate()
    sold = Invoice.objects.exclude(status="draft").filter(is_credit=False)
    rows = list(sold.values_list("issue_date", "account_id", "contact_id", "total", "vat_total"))
    history = sold.filter(notes=HISTORY_NOTE)
    assert 150 <= history.count() <= 320

    revenue: dict[dt.date, Decimal] = defaultdict(Decimal)
    for day, _a, _c, total, vat in rows:
        revenue[day.replace(day=1)] += total - vat
    for back in range(1, 25):
        assert revenue[_month(today, back)] > 0, _month(today, back)  # sales in each of the last 24 months
    for back in range(1, 13):  # growth: each of the last 12 months above the same month a year before
        assert revenue[_month(today, back)] > revenue[_month(today, back + 12)], _month(today, back)

    # Seasonality in the history: March to July sell more than the other months, in each year.
    season: dict[tuple[int, bool], Decimal] = defaultdict(Decimal)
    for day, total, vat in history.values_list("issue_date", "total", "vat_total"):
        back = (today.year - day.year) * 12 + today.month - day.month
        season[((back - 1) // 12, 3 <= day.month <= 7)] += total - vat
    for period in range(3):
        assert season[(period, True)] / 5 > season[(period, False)] / 7 * 2, period

    # Retention over the 12-month periods ending last month.
    starts = [_month(today, 12 * p) for p in range(4)]  # this month, then 12, 24 and 36 months back
    buyers = [
        {_customer(a, c) for day, a, c, _t, _v in rows if starts[p + 1] <= day < starts[p]} for p in range(3)
    ]
    before_last = len(buyers[2] & buyers[1]) / len(buyers[2])
    last = len(buyers[1] & buyers[0]) / len(buyers[1])
    assert 0.65 <= before_last <= 0.75, before_last
    assert 0.73 <= last <= 0.83, last
    assert len(buyers[2]) < len(buyers[1]) < len(buyers[0])

    # Cohorts: customers by the month of their first purchase, in most months.
    first: dict[tuple[str, int | None], dt.date] = {}
    for day, a, c, _t, _v in sorted(rows, key=lambda row: row[0]):
        first.setdefault(_customer(a, c), day.replace(day=1))
    cohorts = set(first.values())
    assert sum(_month(today, back) in cohorts for back in range(1, 37)) >= 34

    # The salespeople's and teams' figures differ; buyers from the three regions and of several ages.
    owners = set(history.values_list("owner__username", flat=True))
    assert owners == {"sales1", "sales2", "manager"}
    assert len(set(history.values_list("team__name", flat=True))) == 2
    provinces = set(history.values_list("contact__province__code", flat=True)) | set(
        history.values_list("account__province__code", flat=True)
    )
    assert {"ha-noi", "ho-chi-minh"} <= provinces and provinces & {
        "da-nang",
        "khanh-hoa",
        "nghe-an",
        "thanh-hoa",
    }
    births = history.filter(contact__date_of_birth__isnull=False).values_list(
        "contact__date_of_birth", flat=True
    )
    assert len({b.year // 10 for b in births}) >= 3
    # Sold with the demo's products: air conditioners, installation, maintenance and parts.
    codes = set(history.values_list("lines__product__code", flat=True))
    assert {"LD-TT", "BD-LE", "VT-GAS32"} <= codes and any(c and c.startswith("DK-") for c in codes)

    # Paid with receipts on or after the invoice date; no customer came after their first purchase.
    paid = history.filter(status="paid")
    assert paid.count() >= history.count() - 5
    for invoice in paid.prefetch_related("allocations__payment").select_related("contact", "account")[:80]:
        assert all(a.payment.paid_at.date() >= invoice.issue_date for a in invoice.allocations.all())
        customer = invoice.account or invoice.contact
        assert timezone.localtime(customer.created_at).date() <= invoice.issue_date, invoice.number
        assert invoice.paid_at is not None and invoice.paid_at <= timezone.now()

    # Numbers follow the dates, the history's and this year's billing's together.
    for model, field in ((Invoice, "issue_date"), (Payment, "paid_at")):
        numbered = sorted(model.all_objects.values_list("number", field))
        for (number, when), (next_number, next_when) in zip(numbered, numbered[1:], strict=False):
            if number.rsplit("-", 1)[0] == next_number.rsplit("-", 1)[0]:
                assert when <= next_when, (number, next_number)
