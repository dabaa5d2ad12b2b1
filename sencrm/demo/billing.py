"""The demo's money: invoices for the delivered orders over the year, receipts (most on time, some
late, a few invoices overdue now, one customer who paid too much and has a credit), one return, and a
bank statement of the current month that reconciles with a few open invoices — one transfer naming no
invoice number at all."""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db.models import Max
from django.utils import timezone

from sencrm.billing import services
from sencrm.billing.models import OPEN_STATUSES, Invoice, Payment
from sencrm.commerce.models import Contract, ContractStatus, Order, OrderStatus
from sencrm.events.models import Event

EINVOICE = {"einvoice_form": "1", "einvoice_series": "C26TAA", "einvoice_provider": "VNPT Invoice"}


def _when(day: dt.date, hour: int = 10) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, 0)))


def _back_date(since_event: int, when: dt.datetime, *records: Any) -> int:
    Event.objects.filter(id__gt=since_event).update(occurred_at=when)
    for record in records:
        type(record).all_objects.filter(pk=record.pk).update(created_at=when, updated_at=when)
    return Event.objects.aggregate(m=Max("id"))["m"] or 0


def load_billing(users: dict[str, Any], *, seed: int = 2041) -> tuple[int, int]:
    """Create the invoices and receipts once; returns (invoices, payments) created.

    Invoices are issued in date order, and receipts made in date order after them, so that numbers
    follow the dates as the law wants: the maintenance contracts' quarterly invoices since they
    started (up to a year back) and the delivered orders' invoices."""
    if Invoice.all_objects.exists() or Payment.all_objects.exists():
        return 0, 0
    rng = random.Random(seed)  # noqa: S311 - demo data, not security
    accountant = users["accountant"]
    today = timezone.localdate()
    last_event = Event.objects.aggregate(m=Max("id"))["m"] or 0
    story: list[tuple[dt.date, int, Any]] = []
    for contract in Contract.objects.filter(status=ContractStatus.SIGNED).exclude(billing_schedule=""):
        story += [(p, 0, (contract, p)) for p in services.contract_periods(contract) if p <= today]
    orders = Order.objects.filter(status__in=[OrderStatus.DELIVERED, OrderStatus.PARTLY_DELIVERED])
    for order in orders.prefetch_related("deliveries").order_by("issue_date", "id"):
        delivered = max((d.delivered_on for d in order.deliveries.all()), default=order.issue_date)
        story.append((min(delivered + dt.timedelta(days=rng.randint(0, 2)), today), 1, order))
    seeds = _seeds_customer(today)
    if seeds is not None:
        story.append((seeds[1], 2, seeds[0]))
    story.sort(key=lambda item: (item[0], item[1]))
    issued: list[tuple[Invoice, bool]] = []
    seeds_invoice: Invoice | None = None
    for n, (day, kind, subject) in enumerate(story, start=1):
        if kind == 0:
            draft = services.contract_invoice(subject[0], subject[1], issue_date=day)
        elif kind == 2:
            draft = _seeds_invoice(subject, day, accountant)
        else:
            draft = services.invoice_from_order(
                subject, actor=accountant, part="delivered", issue_date=day, actor_label="demo"
            )
        if draft is None:
            continue
        invoice = services.invoice_issue(
            draft, actor=accountant, einvoice={**EINVOICE, "einvoice_number": str(n)}
        )
        Invoice.all_objects.filter(pk=invoice.pk).update(
            einvoice_lookup_code=f"SEN{rng.randrange(10**9, 10**10)}", issued_at=_when(day, 9)
        )
        last_event = _back_date(last_event, _when(day, 9), invoice)
        invoice.refresh_from_db()
        if kind == 2:
            seeds_invoice = invoice
            continue
        issued.append((invoice, kind == 0))
    plan = _payment_plan(issued, rng, today)
    if seeds_invoice is not None:
        # The seeds' example: 50.000.000 ₫ paid on 04/09, the day of the purchase.
        plan.append(
            (seeds_invoice.issue_date, seeds_invoice, seeds_invoice.balance, Decimal(0), "bank_transfer")
        )
    plan.sort(key=lambda item: item[0])
    for day, invoice, amount, extra, method in plan:
        payment = services.payment_create(
            actor=accountant,
            data={
                "amount": amount + extra,
                "method": method,
                "paid_at": _when(day, 14),
                "contact": invoice.contact,
                "account": invoice.account,
                "reference": f"FT{day:%y%j}{rng.randrange(10**5, 10**6)}",
            },
            allocations=[(invoice, amount)],
            actor_label="demo",
        )
        last_event = _back_date(last_event, _when(day, 14), payment)
    write_statement(today)
    return len(issued), len(plan)


SEEDS_TOTAL = Decimal(50_000_000)


def _seeds_customer(today: dt.date) -> tuple[Any, dt.date] | None:
    """The seeds' central example (REQUIREMENTS §2): the customer who wrote to the Fanpage on 01/08 and
    left her phone number on 10/08 (sencrm/demo/sales.py) buys for 50.000.000 ₫ on 04/09."""
    from sencrm.sales.models import Lead

    lead = Lead.objects.filter(full_name="Trần Thị Thu Hương", converted_contact__isnull=False).first()
    if lead is None or lead.first_touch_at is None:
        return None
    touch = timezone.localtime(lead.first_touch_at).date()
    day = dt.date(touch.year, 9, 4)
    return (lead.converted_contact, day) if day <= today else None


def _seeds_invoice(contact: Any, day: dt.date, actor: Any) -> Invoice:
    """Two Daikin inverter units installed, for exactly 50.000.000 ₫ with VAT: the net price is found
    by the same totals code the invoice uses (rounding included)."""
    from sencrm.commerce.lines import apply_totals, clean_lines

    base = {"description": "2 điều hòa Daikin Inverter 12.000 BTU, trọn gói lắp đặt", "quantity": 1}
    base.update({"unit": "bộ", "vat_rate": "10"})
    net = (SEEDS_TOTAL / Decimal("1.1")).quantize(Decimal(1))
    lines = [{**base, "unit_price": net}]
    for candidate in (net, net - 1, net + 1, net - 2, net + 2):
        lines = [{**base, "unit_price": candidate}]
        probe = Invoice(contact=contact, issue_date=day)
        apply_totals(probe, clean_lines(actor, lines, customer=contact, on=day), on=day)
        if probe.total == SEEDS_TOTAL:
            break
    return services.invoice_create(
        actor=actor, data={"contact": contact, "issue_date": day}, lines=lines, actor_label="demo"
    )


def _payment_plan(
    issued: list[tuple[Invoice, bool]], rng: random.Random, today: dt.date
) -> list[tuple[dt.date, Invoice, Decimal, Decimal, str]]:
    """When and how each invoice is paid: most on time, some late (some in two parts), a few overdue
    now, recent ones still open; one private customer pays a rounded-up amount and keeps a credit."""
    plan = []
    credit_given = False
    for invoice, recurring in issued:
        assert invoice.due_date is not None  # noqa: S101  (set on issue)
        age = (today - invoice.due_date).days
        roll = rng.random()
        if age < -5 or (age < 25 and roll < 0.35):
            continue  # not yet due, or due recently and still open: the accountant's work today
        if roll < 0.08 and age > 10 and not recurring:
            continue  # overdue now
        late = roll > 0.85
        pay_day = invoice.due_date + dt.timedelta(days=rng.randint(3, 20) if late else -rng.randint(0, 12))
        pay_day = max(min(pay_day, today), invoice.issue_date)
        amount = invoice.balance
        extra = Decimal(0)
        if not credit_given and invoice.account_id is None and invoice.total > 10_000_000:
            extra = Decimal(2_000_000)  # paid a rounded-up amount: the rest is their credit
            credit_given = True
        method = "bank_transfer" if recurring else rng.choice(["bank_transfer"] * 6 + ["cash", "card"])
        if rng.random() < 0.2 and amount > 4_000_000 and not extra:
            first_day = max(pay_day - dt.timedelta(days=15), invoice.issue_date)
            plan.append((first_day, invoice, amount // 2, Decimal(0), method))
            amount -= amount // 2
        plan.append((pay_day, invoice, amount, extra, method))
    return plan


def statement_rows(today: dt.date) -> list[list[str]]:
    """A Vietcombank-like export of this month: transfers paying a few open invoices — by number as
    banks print it, by number without its dashes, and one naming only the customer — plus a fee and
    an unrelated transfer."""
    open_invoices = list(
        Invoice.objects.filter(status__in=OPEN_STATUSES, is_credit=False, balance__gt=0)
        .select_related("contact", "account")
        .order_by("due_date", "id")[:4]
    )
    day = today.replace(day=1) if today.day > 3 else today
    rows: list[list[str]] = []
    texts = [
        "CT DEN:{ref} {name} CK TT HD {number}",
        "IBFT {name} chuyen tien thanh toan {compact}",
        "MBVCB.{ref}.{name} chuyen khoan tien dieu hoa",
        "{name} thanh toan hoa don {number} dot 1",
    ]
    for n, invoice in enumerate(open_invoices):
        name = str(invoice.contact or invoice.account or "")
        from sencrm.core.text import fold

        text = texts[n % len(texts)].format(
            ref=f"{5200 + n}",
            name=fold(name).upper(),
            number=invoice.number,
            compact=invoice.number.replace("-", ""),
        )
        amount = invoice.balance if n != 3 else invoice.balance // 2
        when = min(day + dt.timedelta(days=n), today)
        rows.append([when.strftime("%d/%m/%Y"), f"FT{when:%y%j}{7000 + n}", "", f"{int(amount):,}", text])
    rows.append([day.strftime("%d/%m/%Y"), f"FT{day:%y%j}9001", "22,000", "", "Phi quan ly tai khoan thang"])
    rows.append(
        [day.strftime("%d/%m/%Y"), f"FT{day:%y%j}9002", "", "1,500,000", "TRAN VAN KHACH chuyen tien"]
    )
    return rows


def write_statement(today: dt.date, path: Path | None = None) -> Path:
    """Write the sample statement (CSV in UTF-8 with BOM, as Vietcombank exports) for this month."""
    path = path or Path(settings.DATA_DIR) / "demo" / f"sao-ke-vietcombank-{today:%Y-%m}.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["SAO KÊ TÀI KHOẢN / ACCOUNT STATEMENT"])
    writer.writerow(["Số tài khoản:", "0011004567890", "Công ty TNHH Điều hòa Sen"])
    writer.writerow([f"Từ ngày {today.replace(day=1):%d/%m/%Y} đến ngày {today:%d/%m/%Y}"])
    writer.writerow([])
    writer.writerow(["Ngày giao dịch", "Số tham chiếu", "Số tiền ghi nợ", "Số tiền ghi có", "Mô tả"])
    writer.writerows(statement_rows(today))
    path.write_text(out.getvalue(), encoding="utf-8-sig")
    return path
