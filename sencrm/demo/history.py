"""Three years of sales history, so that every report, comparison and cohort has something to show.

The demo's other billing (sencrm/demo/billing.py) is this year's: the contracts' periods and the orders
delivered over the last months. The showroom has long sold air conditioners, maintenance and parts to
walk-in and phone customers and to a few businesses as well; this loader adds those sales for the 36
months ending last month, with their receipts:

- seasonality: air conditioners sell most from March to July, maintenance before the hot season and
  in the autumn; growth: each month sells more than the same month a year before;
- cohorts: new customers every month (first purchase: units with their installation);
- a retention story over 12-month periods ending last month: of the customers of the period before
  last, 70 % bought again in the last one but one; of its buyers, 78 % bought again in the last 12 months
  (repeat buyers: maintenance, parts and repairs, another unit);
- customers of the demo who came by the showroom, the phone or another way that no campaign claims
  (none of the leads, deals, orders or invoices already loaded), owned by sales1, sales2 and the
  manager across the three regions; they are back-dated to when they first came.

Everything goes through the billing services (numbers, totals, balances, events, first receipts),
then is back-dated as billing.py does. Invoices and receipts are numbered in date order as the law
wants: the history is written after this year's billing, so the numbers of the years they share are
given again in date order afterwards (with the events that name them), as is the e-invoice numbering,
and the sample bank statement is written again with the new numbers.
"""

from __future__ import annotations

import calendar
import datetime as dt
import random
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Max, Model
from django.utils import timezone

from sencrm.billing import services
from sencrm.billing.models import Invoice, InvoiceStatus, Payment, PaymentKind
from sencrm.catalog.models import Product
from sencrm.commerce.models import Contract, Order, Quote
from sencrm.core.text import fold
from sencrm.customers.models import Account, Contact
from sencrm.demo.billing import EINVOICE, _back_date, _when, write_statement
from sencrm.events.models import Event
from sencrm.sales.models import Lead, Opportunity

# Every history invoice says so: the marker that makes the loader idempotent.
HISTORY_NOTE = "Bán hàng tại showroom (dữ liệu lịch sử của demo)"
PERIODS = 3  # 12-month periods ending last month: 0 the last one, 1 the one before, 2 the oldest
NEW_CUSTOMERS = {2: 40, 1: 36, 0: 42}  # first purchases in each period (before growth is ensured)
RETENTION = {1: Decimal("0.70"), 0: Decimal("0.78")}  # share of the previous period's buyers who buy again
WIN_BACK = 3  # customers of the oldest period who skipped the middle one and came back
GROWTH = Decimal("1.08")  # each month sells at least this much more than the same month a year before
B2B_SHARE = 0.3  # of the new customers of the hot season
HOT = {3, 4, 5, 6, 7, 8}
M = 1_000_000
# New units by month: the hot season (March to July) sells most, Tết (February) least.
SEASON = {1: 3, 2: 2, 3: 7, 4: 10, 5: 12, 6: 12, 7: 9, 8: 6, 9: 5, 10: 4, 11: 4, 12: 4}
# Maintenance and repairs: before the hot season, and after it.
SERVICE_SEASON = {1: 2, 2: 1, 3: 6, 4: 8, 5: 7, 6: 5, 7: 4, 8: 4, 9: 5, 10: 6, 11: 4, 12: 3}
# Prices of goods a year and two years back (services kept their prices).
PRICE_FACTOR = {0: Decimal(1), 1: Decimal("0.97"), 2: Decimal("0.94")}
SPLITS = [
    ("DK-FTKB25", 3),
    ("DK-FTKB35", 4),
    ("DK-FTHF50", 1),
    ("PA-CU9", 3),
    ("PA-CU12", 3),
    ("MI-MSY13", 2),
]
CASSETTES = ["DK-FCFC50", "DK-FCFC100"]
PARTS = [("VT-GAS32", 5), ("VT-TU35", 3), ("VT-MATNHAN", 2), ("VT-KHAYNUOC", 2)]
NEEDED = {c for c, _w in SPLITS} | {*CASSETTES, "DK-MKC70", "DK-CTKC25", "VT-ONG", "VT-GIA", "LD-TT"} | {
    "LD-AT", "BD-LE", "BD-GOI1", "BD-GOI2",
}  # fmt: skip


@dataclass
class Customer:
    contact: Contact | None
    account: Account | None
    units: int = 0
    cassettes: bool = False
    first: dt.date | None = None

    @property
    def b2b(self) -> bool:
        return self.account is not None


@dataclass
class Sale:
    day: dt.date
    seq: int
    customer: Customer
    kind: str
    lines: list[dict[str, Any]] = field(default_factory=list)

    @property
    def net(self) -> Decimal:
        return sum(
            (
                line["quantity"] * line["unit_price"] * (1 - line.get("discount_percent", 0) / Decimal(100))
                for line in self.lines
            ),
            Decimal(0),
        )


def _month(today: dt.date, k: int) -> dt.date:
    """The first day of the month `k` months before today's."""
    index = today.year * 12 + today.month - 1 - k
    return dt.date(index // 12, index % 12 + 1, 1)


def _weighted_month(rng: random.Random, ks: list[int], today: dt.date, weights: dict[int, int]) -> int:
    return rng.choices(ks, weights=[weights[_month(today, k).month] for k in ks])[0]


def _day(rng: random.Random, month: dt.date) -> dt.date:
    return month.replace(day=rng.randint(1, calendar.monthrange(month.year, month.month)[1]))


def _price(product: Product, factor: Decimal) -> Decimal:
    """The price of the time: goods rounded to 10.000 ₫, services at their price."""
    if product.kind != "goods" or factor == 1:
        return product.list_price
    return (product.list_price * factor / 10_000).quantize(Decimal(1)) * 10_000


class Planner:
    """The history as a list of sales, before anything is written."""

    def __init__(
        self, rng: random.Random, today: dt.date, products: dict[str, Product], pool: list[Customer]
    ):
        self.rng, self.today, self.products = rng, today, products
        self.b2c = [c for c in pool if not c.b2b]
        self.b2b = [c for c in pool if c.b2b]
        self.sales: list[Sale] = []
        self.buyers: dict[int, list[Customer]] = {p: [] for p in range(PERIODS)}
        # Revenue (before VAT) by month, counted back from this one: this year's billing's first.
        self.revenue: dict[int, Decimal] = defaultdict(Decimal)
        since = _month(today, 12 * PERIODS)
        invoiced = Invoice.objects.filter(issue_date__gte=since, is_credit=False).exclude(
            status=InvoiceStatus.DRAFT
        )
        for day, total, vat in invoiced.values_list("issue_date", "total", "vat_total"):
            self.revenue[(today.year - day.year) * 12 + today.month - day.month] += total - vat

    def months(self, period: int) -> list[int]:
        return list(range(12 * period + 1, 12 * period + 13))

    def _line(self, code: str, quantity: int, factor: Decimal, section: str, **extra: Any) -> dict[str, Any]:
        product = self.products[code]
        return {
            "section": section,
            "product": product,
            "quantity": Decimal(quantity),
            "unit_price": _price(product, factor),
            **extra,
        }

    def lines(self, kind: str, customer: Customer, period: int) -> list[dict[str, Any]]:
        rng, factor, line = self.rng, PRICE_FACTOR[period], self._line
        if kind == "split":
            code = rng.choices([c for c, _w in SPLITS], weights=[w for _c, w in SPLITS])[0]
            n = rng.choices([1, 2, 3], weights=[6, 3, 1])[0] if not customer.b2b else rng.randint(2, 4)
            customer.units += n
            lines = [
                line(code, n, factor, "Thiết bị"),
                line("VT-ONG", n * rng.randint(3, 6), factor, "Vật tư"),
                line("VT-GIA", n, factor, "Vật tư"),
                line("LD-TT", n, factor, "Lắp đặt"),
            ]
            if rng.random() < 0.25:
                lines.append(line("BD-GOI1", n, factor, "Bảo trì"))
            return lines
        if kind == "project":
            roll = rng.random()
            discount = {"discount_percent": Decimal(rng.choice([0, 3, 5, 5, 8]))}
            if roll < 0.5:
                big = rng.random() < 0.2
                n = rng.randint(2, 3) if big else rng.randint(2, 4)
                customer.units += n
                customer.cassettes = True
                lines = [
                    line(CASSETTES[big], n, factor, "Thiết bị", **discount),
                    line("VT-ONG", n * rng.randint(6, 12), factor, "Vật tư"),
                    line("LD-AT", n, factor, "Lắp đặt"),
                ]
                if rng.random() < 0.3:
                    lines.append(line("BD-GOI2", n, factor, "Bảo trì"))
                return lines
            if roll < 0.8:
                return self.lines("split", customer, period)
            n = rng.randint(1, 2)
            customer.units += 3 * n
            return [
                line("DK-MKC70", n, factor, "Thiết bị", **discount),
                line("DK-CTKC25", 3 * n, factor, "Thiết bị", **discount),
                line("VT-ONG", 3 * n * rng.randint(4, 8), factor, "Vật tư"),
                line("LD-TT", 3 * n, factor, "Lắp đặt"),
            ]
        units = max(customer.units, 1)
        if kind == "service":
            if customer.cassettes:
                return [line("BD-GOI2", units, factor, "Bảo trì")]
            code = "BD-GOI1" if rng.random() < 0.4 else "BD-LE"
            return [line(code, units, factor, "Bảo trì")]
        # A repair: a part, and the technician's work.
        code = rng.choices([c for c, _w in PARTS], weights=[w for _c, w in PARTS])[0]
        quantity = rng.randint(1, 2) if code == "VT-GAS32" else 1
        labour = {
            "section": "Sửa chữa",
            "description": "Công kiểm tra, sửa chữa điều hòa tại nhà khách",
            "unit": "lần",
            "quantity": Decimal(1),
            "unit_price": Decimal(rng.choice([150_000, 200_000, 300_000])),
            "vat_rate": "8",
        }
        return [line(code, quantity, factor, "Linh kiện"), labour]

    def add(self, k: int, customer: Customer, kind: str, period: int) -> None:
        day = _day(self.rng, _month(self.today, k))
        sale = Sale(day, len(self.sales), customer, kind, self.lines(kind, customer, period))
        self.sales.append(sale)
        self.revenue[k] += sale.net
        if customer.first is None or day < customer.first:
            customer.first = day
        if customer not in self.buyers[period]:
            self.buyers[period].append(customer)

    def new_customer(self, period: int, k: int, b2b: bool) -> bool:
        """A first purchase (units and their installation), maybe maintenance later in the period."""
        source = self.b2b if (b2b and self.b2b) or not self.b2c else self.b2c
        if not source:
            return False
        customer = source.pop()
        ks = self.months(period)
        self.add(k, customer, "project" if customer.b2b else "split", period)
        later = [j for j in ks if j <= k - 4]  # k counts months back: a smaller k is later
        if later and self.rng.random() < 0.3:
            self.add(
                _weighted_month(self.rng, later, self.today, SERVICE_SEASON), customer, "service", period
            )
        return True

    def returning(self, customer: Customer, period: int) -> None:
        """A customer of an earlier period buys again: maintenance, a repair, or another unit."""
        kind = self.rng.choices(["service", "repair", "split"], weights=[55, 25, 20])[0]
        ks = self.months(period)
        k = _weighted_month(self.rng, ks, self.today, SERVICE_SEASON if kind != "split" else SEASON)
        self.add(k, customer, kind, period)
        later = [j for j in ks if j <= k - 4]
        if later and self.rng.random() < 0.15:
            self.add(
                _weighted_month(self.rng, later, self.today, SERVICE_SEASON), customer, "service", period
            )

    def period(self, period: int) -> None:
        if period + 1 < PERIODS:
            before = self.buyers[period + 1]
            for customer in self.rng.sample(before, round(len(before) * RETENTION[period])):
                self.returning(customer, period)
        if period + 2 < PERIODS:
            skipped = [c for c in self.buyers[period + 2] if c not in self.buyers[period + 1]]
            for customer in self.rng.sample(skipped, min(WIN_BACK, len(skipped))):
                self.returning(customer, period)
        ks = self.months(period)
        total = sum(SEASON.values())
        for k in ks:  # new customers every month (every cohort has someone), most in the hot season
            month = _month(self.today, k).month
            for _n in range(max(1, round(NEW_CUSTOMERS[period] * SEASON[month] / total))):
                # Businesses equip their premises before the summer.
                self.new_customer(period, k, b2b=month in HOT and self.rng.random() < B2B_SHARE)
        if period + 1 < PERIODS:  # growth: each month above the same month a year before
            for k in ks:
                while (gap := self.revenue[k + 12] * GROWTH - self.revenue[k]) >= 0:
                    # A business's project for a large gap, a household's units for a small one.
                    if not self.new_customer(period, k, b2b=gap > 60 * M):
                        break

    def plan(self) -> list[Sale]:
        for period in reversed(range(PERIODS)):
            self.period(period)
        return sorted(self.sales, key=lambda s: (s.day, s.seq))


def _taken() -> tuple[set[int], set[int]]:
    """The contacts and accounts the demo's story already uses (leads, deals, documents, payments)."""
    contacts: set[int] = set()
    accounts: set[int] = set()
    sources: list[tuple[Any, str, str]] = [
        (Lead.all_objects, "converted_contact_id", "converted_account_id"),
        (Opportunity.all_objects, "contact_id", "account_id"),
        (Quote.all_objects, "contact_id", "account_id"),
        (Order.all_objects, "contact_id", "account_id"),
        (Contract.all_objects, "contact_id", "account_id"),
        (Invoice.all_objects, "contact_id", "account_id"),
        (Payment.all_objects, "contact_id", "account_id"),
    ]
    for manager, contact, account in sources:
        for c, a in manager.values_list(contact, account):
            if c:
                contacts.add(c)
            if a:
                accounts.add(a)
    return contacts, accounts


def _pool(rng: random.Random) -> list[Customer]:
    """Customers no campaign claims and the demo's story does not use yet, in a shuffled order."""
    taken_contacts, taken_accounts = _taken()
    stages = ["customer", "inactive"]
    contacts = list(
        Contact.objects.filter(lifecycle_stage__in=stages, first_campaign__isnull=True)
        .exclude(pk__in=taken_contacts)
        .select_related("account", "owner")
        .order_by("pk")
    )
    people = [Customer(c, None) for c in contacts if c.account_id is None]
    contact_of: dict[int, Contact] = {}
    for c in contacts:
        if c.account_id is not None:
            contact_of.setdefault(c.account_id, c)
    accounts = (
        Account.objects.filter(lifecycle_stage__in=stages, first_campaign__isnull=True)
        .exclude(pk__in=taken_accounts)
        .select_related("owner")
        .order_by("pk")
    )
    businesses = [Customer(contact_of.get(a.pk), a) for a in accounts if a.pk not in taken_accounts]
    businesses = [b for b in businesses if b.contact is None or b.contact.pk not in taken_contacts]
    rng.shuffle(people)
    rng.shuffle(businesses)
    return people + businesses


def _back_date_customers(rng: random.Random, customers: Iterable[Customer]) -> None:
    """Customers came (and were entered) a little before their first purchase."""
    created: dict[type[Model], dict[int, dt.datetime]] = {Contact: {}, Account: {}}
    for customer in customers:
        assert customer.first is not None  # noqa: S101  (every planned customer buys)
        came = customer.first - dt.timedelta(days=rng.randint(0, 30))
        when = _when(came, rng.randint(8, 18))
        for record in (customer.contact, customer.account):
            if record is not None and record.created_at > when:
                created[type(record)][record.pk] = when
    for model, whens in created.items():
        for pk, when in whens.items():
            touched = when - dt.timedelta(days=rng.randint(0, 10))
            model._default_manager.filter(pk=pk).update(created_at=when, first_touch_at=touched)
        content_type = ContentType.objects.get_for_model(model)
        events = list(
            Event.objects.filter(
                subject_type=content_type,
                subject_id__in=list(whens),
                type=f"{model._meta.model_name}.created",
            )
        )
        for event in events:
            event.occurred_at = whens[event.subject_id]
        Event.objects.bulk_update(events, ["occurred_at"], batch_size=500)


def _pay_plan(
    rng: random.Random, invoices: list[tuple[Invoice, Customer]], today: dt.date
) -> list[tuple[dt.date, int, Invoice, Customer, Decimal, str]]:
    """Shoppers pay at the showroom (a deposit, then the rest at the installation for large sales);
    businesses pay by transfer within their terms, some late; the last few are still open."""
    plan = []
    for n, (invoice, customer) in enumerate(invoices):
        day, total = invoice.issue_date, invoice.total
        if not customer.b2b:
            method = rng.choice(["cash", "cash", "card", "bank_transfer", "bank_transfer", "ewallet"])
            if total > 25_000_000 and rng.random() < 0.6:
                deposit = (total * Decimal(rng.choice([30, 40, 50])) / 100 / 100_000).quantize(Decimal(1))
                deposit *= 100_000
                plan.append((day, n, invoice, customer, deposit, method))
                rest = min(day + dt.timedelta(days=rng.randint(1, 6)), today - dt.timedelta(days=1))
                plan.append((max(rest, day), n, invoice, customer, total - deposit, "bank_transfer"))
            else:
                plan.append((day, n, invoice, customer, total, method))
            continue
        assert invoice.due_date is not None  # noqa: S101  (set on issue)
        late = rng.random() < 0.12
        pay = invoice.due_date + dt.timedelta(days=rng.randint(3, 25) if late else -rng.randint(0, 25))
        pay = max(pay, day)
        if pay < today:
            plan.append((pay, n, invoice, customer, total, "bank_transfer"))
    plan.sort(key=lambda item: (item[0], item[1]))
    return plan


def _renumber(rows: list[Any], name: str) -> list[Any]:
    """Give `rows` (in date order) their own numbers again, sorted: returns the rows changed (their old
    number in `_old_number`)."""
    numbers = sorted(getattr(row, name) for row in rows)
    changed = []
    for row, number in zip(rows, numbers, strict=True):
        if getattr(row, name) != number:
            row._old_number = getattr(row, name)
            setattr(row, name, number)
            changed.append(row)
    return changed


def _write(model: type[Any], rows: list[Any], fields: list[str]) -> None:
    """Write the rows' new numbers in two passes, so that no number is ever held twice (a unique
    column), with the search keys that name them."""
    renumbered = [row for row in rows if hasattr(row, "_old_number")]
    final = {row.pk: row.number for row in renumbered}
    for row in renumbered:
        row.number = f"~{row.pk}"
    model.all_objects.bulk_update(renumbered, ["number"], batch_size=500)
    for row in rows:
        row.number = final.get(row.pk, row.number)
        row.search_key = _search_key(row)
    model.all_objects.bulk_update(rows, ["number", "search_key", *fields], batch_size=500)


def _patch_events(model: type[Model], rows: list[Any]) -> None:
    """The events that name the renumbered documents name their new numbers: the created record's
    number, the receipt's number, the e-invoice number the invoice was issued with."""
    if not rows:
        return
    by_pk = {row.pk: row for row in rows}
    content_type = ContentType.objects.get_for_model(model)
    changed = []
    for event in Event.objects.filter(subject_type=content_type, subject_id__in=list(by_pk)):
        row, data = by_pk[event.subject_id], event.data
        if not isinstance(data, dict):
            continue
        before = repr(data)
        record = data.get("record")
        if isinstance(record, dict) and "number" in record:
            record["number"] = row.number
        if isinstance(data.get("number"), str):
            data["number"] = row.number
        issued_as = (data.get("changes") or {}).get("einvoice_number")
        if isinstance(issued_as, list) and len(issued_as) == 2 and isinstance(row, Invoice):
            issued_as[1] = row.einvoice_number
        if repr(data) != before:
            changed.append(event)
    Event.objects.bulk_update(changed, ["data"], batch_size=500)


def _search_key(document: Invoice | Payment) -> str:
    """As the billing services compute it (sencrm/billing/services.py)."""
    names = [document.number, str(document.account or ""), str(document.contact or "")]
    if isinstance(document, Invoice) and document.einvoice_number:
        names.append(f"{document.einvoice_series} {document.einvoice_number}")
    return fold(" ".join(n for n in names if n))[:400]


def _renumber_in_date_order(years: set[int]) -> None:
    """Invoice numbers (a sequence a year), receipt numbers (the same) and the e-invoice numbers of the
    demo's one series follow the dates again, the history's and this year's billing's together."""
    invoices = Invoice.all_objects.select_related("contact", "account")
    changed: dict[int, Invoice] = {}
    for year in sorted(years):
        rows = list(invoices.filter(issue_date__year=year).order_by("issue_date", "id"))
        changed.update((row.pk, row) for row in _renumber(rows, "number"))
    issued = (
        invoices.exclude(status=InvoiceStatus.DRAFT)
        .filter(einvoice_series=EINVOICE["einvoice_series"])
        .order_by("issue_date", "id")
    )
    for n, row in enumerate(issued, start=1):
        if row.einvoice_number != str(n):
            row = changed.setdefault(row.pk, row)
            row.einvoice_number = str(n)
    _write(Invoice, list(changed.values()), ["einvoice_number"])
    _patch_events(Invoice, list(changed.values()))
    # A chargeable work order's event names its invoice's number too (sencrm/fieldservice/invoicing.py).
    numbers = {pk: row.number for pk, row in changed.items()}
    invoiced = []
    for event in Event.objects.filter(type="work_order.invoiced"):
        data = event.data if isinstance(event.data, dict) else {}
        if data.get("invoice") in numbers and data.get("number") != numbers[data["invoice"]]:
            data["number"] = numbers[data["invoice"]]
            invoiced.append(event)
    Event.objects.bulk_update(invoiced, ["data"], batch_size=500)

    paid: dict[int, list[Payment]] = defaultdict(list)
    receipts = Payment.all_objects.filter(kind=PaymentKind.RECEIPT).select_related("contact", "account")
    for receipt in receipts.order_by("paid_at", "id"):
        paid[timezone.localtime(receipt.paid_at).year].append(receipt)
    moved: list[Payment] = []
    for year in sorted(years):
        moved += _renumber(paid[year], "number")
    _write(Payment, moved, [])
    _patch_events(Payment, moved)


@transaction.atomic
def load_history(users: dict[str, Any], *, seed: int = 2019) -> int:
    """Create the three years of history once (after this year's billing); returns the invoices created."""
    if Invoice.all_objects.filter(notes=HISTORY_NOTE).exists():
        return 0
    products = {p.code: p for p in Product.all_objects.filter(code__in=[*NEEDED, *(c for c, _w in PARTS)])}
    if set(products) < NEEDED | {c for c, _w in PARTS}:
        return 0  # the catalogue (commerce) and the parts (field service) come first
    rng = random.Random(seed)  # noqa: S311 - demo data, not security
    today = timezone.localdate()
    accountant = users["accountant"]
    planner = Planner(rng, today, products, _pool(rng))
    sales = planner.plan()
    _back_date_customers(rng, {id(s.customer): s.customer for s in sales}.values())

    last_event = Event.objects.aggregate(m=Max("id"))["m"] or 0
    issued: list[tuple[Invoice, Customer]] = []
    for n, sale in enumerate(sales, start=1):
        customer = sale.customer
        data: dict[str, Any] = {"issue_date": sale.day, "notes": HISTORY_NOTE}
        if customer.contact is not None:
            data["contact"] = customer.contact
        if customer.account is not None:
            data["account"] = customer.account
        draft = services.invoice_create(actor=accountant, data=data, lines=sale.lines, actor_label="demo")
        invoice = services.invoice_issue(
            draft, actor=accountant, einvoice={**EINVOICE, "einvoice_number": str(10**6 + n)}
        )
        Invoice.all_objects.filter(pk=invoice.pk).update(
            einvoice_lookup_code=f"SEN{rng.randrange(10**9, 10**10)}", issued_at=_when(sale.day, 9)
        )
        last_event = _back_date(last_event, _when(sale.day, 9), invoice)
        issued.append((invoice, customer))

    paid_on: dict[int, dt.datetime] = {}
    for day, _n, invoice, customer, amount, method in _pay_plan(rng, issued, today):
        when = _when(day, rng.randint(10, 17))
        reference = f"FT{day:%y%j}{rng.randrange(10**5, 10**6)}" if method == "bank_transfer" else ""
        payment = services.payment_create(
            actor=accountant,
            data={
                "amount": amount,
                "method": method,
                "paid_at": when,
                "contact": customer.contact,
                "account": customer.account,
                "reference": reference,
            },
            allocations=[(invoice, amount)],
            actor_label="demo",
        )
        last_event = _back_date(last_event, when, payment)
        paid_on[invoice.pk] = when
    # The balances were refreshed with the real clock: paid when the last receipt came.
    for pk, when in paid_on.items():
        Invoice.all_objects.filter(pk=pk, status=InvoiceStatus.PAID).update(paid_at=when, updated_at=when)

    years = {s.day.year for s in sales} | {timezone.localtime(w).year for w in paid_on.values()}
    _renumber_in_date_order(years)
    write_statement(today)  # the open invoices it names may have new numbers
    return len(issued)
