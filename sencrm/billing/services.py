"""Writes of invoices, receipts, payment vouchers, allocations and returns — through the spine.

Every write checks the gate, locks the invoices it touches (in id order, so two writers never
deadlock), writes, recomputes the balances in one place (balances.refresh) and records its events in
one transaction. Two receipts allocated to one invoice at once therefore never over-allocate: the
second waits for the first and sees the smaller balance.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from sencrm.billing import balances
from sencrm.billing.models import (
    Allocation,
    Invoice,
    InvoiceKind,
    InvoiceLine,
    InvoiceStatus,
    Payment,
    PaymentKind,
    PaymentMethod,
    Return,
    ReturnLine,
)
from sencrm.commerce.lines import apply_totals, billed_copy, clean_lines, copy_lines, lines_writer
from sencrm.commerce.models import Contract, ContractStatus, Order, OrderLine, OrderStatus
from sencrm.core import access
from sencrm.core.modules import Action, Module
from sencrm.core.numbering import next_number
from sencrm.core.text import clean_text, fold
from sencrm.customers.models import Account, Contact
from sencrm.events.services import event_emit, record_create, record_delete, record_update

ZERO = Decimal(0)
INVOICE_FIELDS = (
    "contact",
    "account",
    "discount_percent",
    "discount_amount",
    "notes",
    "issue_date",
    "due_date",
    "owner",
)
EINVOICE_FIELDS = (
    "einvoice_form",
    "einvoice_series",
    "einvoice_number",
    "einvoice_lookup_code",
    "einvoice_provider",
)


def default_terms_days() -> int:
    return int(getattr(settings, "BILLING_PAYMENT_TERMS_DAYS", 30))


def terms_days(customer: Any) -> int:
    """The customer's payment terms (the account's first, then the contact's), else the default."""
    for candidate in (getattr(customer, "account", None), customer):
        days = getattr(candidate, "payment_terms_days", None)
        if days is not None:
            return int(days)
    return default_terms_days()


def due_date_for(invoice: Invoice) -> date:
    customer = invoice.account or invoice.contact
    return invoice.issue_date + timedelta(days=terms_days(customer))


def _search_key(invoice: Invoice | Payment) -> str:
    names = [invoice.number, str(invoice.account or ""), str(invoice.contact or "")]
    if isinstance(invoice, Invoice) and invoice.einvoice_number:
        names.append(f"{invoice.einvoice_series} {invoice.einvoice_number}")
    return fold(" ".join(n for n in names if n))[:400]


def _prepare(data: Mapping[str, Any], allowed: Iterable[str]) -> dict[str, Any]:
    allowed = set(allowed)
    unknown = set(data) - allowed
    if unknown:
        raise ValidationError({name: _("This field cannot be set here.") for name in sorted(unknown)})
    cleaned = dict(data)
    if isinstance(cleaned.get("notes"), str):
        cleaned["notes"] = cleaned["notes"].strip()
    return cleaned


def _fill_customer(data: dict[str, Any]) -> None:
    contact = data.get("contact")
    if data.get("account") is None and contact is not None and contact.account_id:
        data["account"] = contact.account
    if data.get("contact") is None and data.get("account") is None:
        raise ValidationError({"contact": _("Choose the customer: a contact or an account.")})


def _write_invoice(
    *,
    actor: Any,
    data: dict[str, Any],
    lines: list[dict[str, Any]],
    owner: Any = None,
    system: bool = False,
    actor_label: str = "",
    priced: bool = False,
) -> Invoice:
    on = data.get("issue_date") or timezone.localdate()
    data["issue_date"] = on
    probe = Invoice(**data)
    customer = probe.contact or probe.account
    cleaned = lines if priced else clean_lines(actor, lines, customer=customer, on=on)
    if not cleaned and not data.get("original"):
        raise ValidationError({"lines": [_("An invoice has at least one line.")]})
    computed = apply_totals(probe, cleaned, on=on)
    data.update({n: getattr(probe, n) for n in ("subtotal", "discount_total", "vat_total", "total")})
    data["number"] = next_number("invoice", on)
    invoice = record_create(
        Invoice,
        actor=actor,
        data=data,
        owner=owner,
        system=system,
        actor_label=actor_label,
        related=lines_writer(InvoiceLine, "invoice", computed),
    )
    Invoice.all_objects.filter(pk=invoice.pk).update(search_key=_search_key(invoice))
    return invoice


@transaction.atomic
def invoice_create(
    *, actor: Any, data: Mapping[str, Any], lines: Iterable[Mapping[str, Any]] = (), actor_label: str = ""
) -> Invoice:
    """An invoice on its own (services, a deposit…), as a draft."""
    access.check_module(actor, Module.BILLING, Action.CREATE)
    cleaned = _prepare(data, INVOICE_FIELDS)
    owner = cleaned.pop("owner", None)
    _fill_customer(cleaned)
    customer = cleaned.get("account") or cleaned.get("contact")
    return _write_invoice(
        actor=actor,
        data=cleaned,
        lines=[dict(line) for line in lines],
        owner=owner or getattr(customer, "owner", None),
        actor_label=actor_label,
    )


def invoiced_quantities(order: Order) -> dict[int, Decimal]:
    """Per order line, the quantity already on invoices (drafts included; replaced invoices and credit
    notes not counted: goods returned are credited, not invoiced again)."""
    rows = (
        InvoiceLine.objects.filter(
            order_line__order=order, invoice__deleted_at__isnull=True, invoice__is_credit=False
        )
        .exclude(invoice__status=InvoiceStatus.REPLACED)
        .values("order_line_id")
        .annotate(q=Sum("quantity"))
    )
    return {row["order_line_id"]: row["q"] for row in rows}


def _prorated_discount(order: Order, lines: list[dict[str, Any]], order_lines: list[OrderLine]) -> Decimal:
    """The order's discount amount shared in proportion to the part invoiced (all of it: all of it)."""
    if not order.discount_amount:
        return ZERO
    whole = sum((ol.quantity * ol.unit_price for ol in order_lines), ZERO)
    part = sum((line["quantity"] * line["unit_price"] for line in lines), ZERO)
    if not whole:
        return ZERO
    return (order.discount_amount * part / whole).quantize(Decimal(1), rounding=ROUND_HALF_UP)


@transaction.atomic
def invoice_from_order(
    order: Order,
    *,
    actor: Any,
    quantities: Mapping[int, Decimal] | None = None,
    part: str = "all",
    issue_date: date | None = None,
    actor_label: str = "",
) -> Invoice:
    """A draft invoice for an order: what is left to invoice (`part="all"`), what was delivered and not
    yet invoiced (`"delivered"`), or the chosen quantities of chosen lines — never more than ordered."""
    access.check_module(actor, Module.BILLING, Action.CREATE)
    access.check(actor, Action.VIEW, order)
    current = Order.all_objects.select_for_update().get(pk=order.pk)
    if current.status in (OrderStatus.DRAFT, OrderStatus.CANCELLED):
        raise ValidationError(_("Only a confirmed order is invoiced."))
    order_lines = list(current.lines.select_related("product").order_by("position", "id"))
    done = invoiced_quantities(current)
    by_id = {line.pk: line for line in order_lines}
    wanted: dict[int, Decimal] = {}
    if quantities:
        for pk, qty in quantities.items():
            line = by_id.get(pk)
            if line is None:
                raise ValidationError({"lines": [_("Line %(id)s is not on this order.") % {"id": pk}]})
            if qty <= 0 or qty != qty.quantize(Decimal("0.001")):
                raise ValidationError(
                    {"lines": [_("An invoiced quantity is positive, with at most 3 decimals.")]}
                )
            wanted[pk] = qty
    else:
        for line in order_lines:
            limit = line.delivered_quantity if part == "delivered" else line.quantity
            left = limit - done.get(line.pk, ZERO)
            if left > 0:
                wanted[line.pk] = left
    if not wanted:
        raise ValidationError(_("Everything on this order has been invoiced already."))
    for pk, qty in wanted.items():
        line = by_id[pk]
        left = line.quantity - done.get(pk, ZERO)
        if qty > left:
            raise ValidationError(
                {
                    "lines": [
                        _(
                            "%(line)s: %(qty)s is more than is left to invoice "
                            "(%(left)s of %(ordered)s ordered)."
                        )
                        % {
                            "line": line.description,
                            "qty": qty.normalize(),
                            "left": max(left, ZERO).normalize(),
                            "ordered": line.quantity.normalize(),
                        }
                    ]
                }
            )
    # A line's promotion discount (sencrm/commerce/promotions.py) is part of its discount on the invoice.
    lines = [
        {**billed_copy(by_id[pk], wanted[pk]), "quantity": wanted[pk], "order_line": by_id[pk]}
        for pk in by_id
        if pk in wanted
    ]
    data: dict[str, Any] = {
        "order": current,
        "contract": current.contract,
        "contact": current.contact,
        "account": current.account,
        "issue_date": issue_date or timezone.localdate(),
        "discount_percent": current.discount_percent,
        "discount_amount": _prorated_discount(current, lines, order_lines),
    }
    return _write_invoice(
        actor=actor, data=data, lines=lines, owner=current.owner, actor_label=actor_label, priced=True
    )


def _editable(invoice: Invoice) -> None:
    if invoice.status != InvoiceStatus.DRAFT:
        raise ValidationError(
            _("An issued invoice is not edited: correct it with an adjustment or a replacement invoice.")
        )


@transaction.atomic
def invoice_update(
    invoice: Invoice,
    *,
    actor: Any,
    data: Mapping[str, Any],
    lines: Iterable[Mapping[str, Any]] | None = None,
    version: int | None = None,
) -> Invoice:
    access.check(actor, Action.EDIT, invoice)
    _editable(invoice)
    changes = _prepare(data, INVOICE_FIELDS)
    probe = Invoice.all_objects.get(pk=invoice.pk)
    for name, value in changes.items():
        setattr(probe, name, value)
    computed = None
    if lines is not None or {"discount_percent", "discount_amount", "issue_date"} & changes.keys():
        if lines is None:
            current = copy_lines(probe.lines.order_by("position", "id"))
            order_links = [line.order_line_id for line in probe.lines.order_by("position", "id")]
            for values, link in zip(current, order_links, strict=True):
                values["order_line_id"] = link
            cleaned = current
        else:
            cleaned = clean_lines(actor, lines, customer=probe.contact or probe.account, on=probe.issue_date)
            if probe.order_id:
                raise ValidationError({"lines": [_("The lines of an order's invoice come from the order.")]})
        computed = apply_totals(probe, cleaned, on=probe.issue_date)
        changes.update({n: getattr(probe, n) for n in ("subtotal", "discount_total", "vat_total", "total")})
    updated = record_update(
        invoice,
        actor=actor,
        changes=changes,
        version=version,
        related=lines_writer(InvoiceLine, "invoice", computed),
    )
    Invoice.all_objects.filter(pk=updated.pk).update(search_key=_search_key(updated))
    return updated


def _check_einvoice(values: Mapping[str, Any]) -> dict[str, str]:
    cleaned = {name: clean_text(str(values.get(name) or "")) for name in EINVOICE_FIELDS if name in values}
    limits = {"einvoice_form": 10, "einvoice_series": 10, "einvoice_number": 20}
    errors = {
        name: [_("At most %(max)s characters.") % {"max": limit}]
        for name, limit in limits.items()
        if len(cleaned.get(name, "")) > limit
    }
    series = cleaned.get("einvoice_series", "")
    if series and not series.isalnum():
        errors["einvoice_series"] = [_("A series is letters and digits, e.g. C26TAA.")]
    number = cleaned.get("einvoice_number", "")
    if number and not number.isdigit():
        errors["einvoice_number"] = [_("An e-invoice number is digits only.")]
    if errors:
        raise ValidationError(errors)
    return cleaned


@transaction.atomic
def invoice_issue(
    invoice: Invoice,
    *,
    actor: Any,
    einvoice: Mapping[str, Any] | None = None,
    version: int | None = None,
    system: bool = False,
) -> Invoice:
    """Issue a draft: it becomes what the customer owes (due date from the payment terms); a credit
    note is applied to its original, a replacement takes over the original's payments."""
    if not system:
        access.check(actor, Action.EDIT, invoice)
    current = Invoice.all_objects.select_for_update().get(pk=invoice.pk)
    if current.status != InvoiceStatus.DRAFT:
        raise ValidationError(_("Only a draft invoice is issued."))
    if current.total <= 0 and not current.original_id:
        raise ValidationError(_("An invoice with a total of 0 is not issued."))
    changes: dict[str, Any] = {
        "status": InvoiceStatus.ISSUED,
        "issued_at": timezone.now(),
        "balance": ZERO if current.is_credit else current.total,
        **_check_einvoice(einvoice or {}),
    }
    if current.due_date is None and not current.is_credit:
        changes["due_date"] = due_date_for(current)
    issued = record_update(
        current,
        actor=actor,
        changes=changes,
        version=version,
        event_type="issued",
        system=system,
        actor_label="system:scheduler" if system and actor is None else "",
    )
    if issued.original_id and issued.kind == InvoiceKind.REPLACEMENT:
        _take_over(issued, actor=actor)
    elif issued.original_id and issued.is_credit:
        original = Invoice.all_objects.select_for_update().get(pk=issued.original_id)
        amount = min(issued.total, original.balance)
        if amount > 0:
            Allocation.objects.create(invoice=original, credit=issued, amount=amount, created_by=_user(actor))
            _after_allocation(original, actor=actor)
    balances.refresh(issued)
    Invoice.all_objects.filter(pk=issued.pk).update(search_key=_search_key(issued))
    return issued


def _user(actor: Any) -> Any:
    return actor if getattr(actor, "pk", None) else None


def _take_over(replacement: Invoice, *, actor: Any) -> None:
    """The replaced invoice's payments move to the replacement (up to its total; any excess becomes
    the customer's credit); what remained owed on the original is closed by the replacement."""
    original = Invoice.all_objects.select_for_update().get(pk=replacement.original_id or 0)
    room = replacement.total
    for allocation in (
        original.allocations.filter(payment__isnull=False).select_related("payment").order_by("id")
    ):
        payment = allocation.payment
        moved = min(allocation.amount, room)
        if moved > 0:
            Allocation.objects.create(
                invoice=replacement, payment=payment, amount=moved, created_by=_user(actor)
            )
            room -= moved
        allocation.delete()
        if payment is not None:
            balances.refresh_payment(payment)
    original.allocations.filter(credit__isnull=False).delete()
    Allocation.objects.create(
        invoice=original, credit=replacement, amount=original.total, created_by=_user(actor)
    )
    Invoice.all_objects.filter(pk=original.pk).update(status=InvoiceStatus.REPLACED)
    original.status = InvoiceStatus.REPLACED
    balances.refresh(original)
    Invoice.all_objects.filter(pk=original.pk).update(balance=ZERO)
    event_emit(
        type="invoice.replaced",
        subject=original,
        actor=actor,
        data={"replacement": replacement.pk, "number": replacement.number},
    )


@transaction.atomic
def invoice_record_einvoice(
    invoice: Invoice, *, actor: Any, values: Mapping[str, Any], version: int | None = None
) -> Invoice:
    """What the e-invoice provider gave an issued invoice: form, series, number, lookup code."""
    access.check(actor, Action.EDIT, invoice)
    if invoice.status == InvoiceStatus.DRAFT:
        raise ValidationError(_("Issue the invoice first."))
    unknown = set(values) - set(EINVOICE_FIELDS)
    if unknown:
        raise ValidationError({name: _("This field cannot be set here.") for name in sorted(unknown)})
    updated = record_update(
        invoice, actor=actor, changes=_check_einvoice(values), version=version, event_type="einvoice_recorded"
    )
    Invoice.all_objects.filter(pk=updated.pk).update(search_key=_search_key(updated))
    return updated


@transaction.atomic
def invoice_correct(
    original: Invoice,
    *,
    actor: Any,
    kind: str,
    lines: Iterable[Mapping[str, Any]],
    reason: str,
    agreement_date: date | None,
    decrease: bool = False,
) -> Invoice:
    """Decree 70/2025: an issued invoice is not cancelled but corrected by an adjustment invoice (more
    or less owed) or a replacement invoice, each referencing it, with the reason and the date of the
    written agreement. Answers the draft correction."""
    access.check(actor, Action.EDIT, original)
    access.check_module(actor, Module.BILLING, Action.CREATE)
    if original.status not in (InvoiceStatus.ISSUED, InvoiceStatus.PARTLY_PAID, InvoiceStatus.PAID):
        raise ValidationError(_("Only an issued invoice is adjusted or replaced."))
    if original.is_credit or original.kind != InvoiceKind.NORMAL and original.original_id is None:
        raise ValidationError(_("This invoice cannot be corrected again: correct the original."))
    if kind not in (InvoiceKind.ADJUSTMENT, InvoiceKind.REPLACEMENT):
        raise ValidationError({"kind": _("Choose an adjustment or a replacement.")})
    reason = clean_text(reason)[:300]
    errors: dict[str, str] = {}
    if not reason:
        errors["correction_reason"] = _("Give the reason for the correction.")
    if agreement_date is None:
        errors["agreement_date"] = _("Give the date of the written agreement with the buyer.")
    elif agreement_date > timezone.localdate():
        errors["agreement_date"] = _("The agreement date cannot be in the future.")
    if errors:
        raise ValidationError(errors)
    data: dict[str, Any] = {
        "contact": original.contact,
        "account": original.account,
        "order": original.order,
        "contract": original.contract,
        "original": original,
        "kind": kind,
        "is_credit": kind == InvoiceKind.ADJUSTMENT and decrease,
        "correction_reason": reason,
        "agreement_date": agreement_date,
        "issue_date": timezone.localdate(),
    }
    return _write_invoice(actor=actor, data=data, lines=[dict(line) for line in lines], owner=original.owner)


@transaction.atomic
def invoice_delete(invoice: Invoice, *, actor: Any, version: int | None = None) -> Invoice:
    _editable(invoice)
    return record_delete(invoice, actor=actor, version=version)


# --- payments -------------------------------------------------------------------------------------


def _after_allocation(invoice: Invoice, *, actor: Any) -> None:
    old, new = balances.refresh(invoice)
    if new == InvoiceStatus.PAID and old != InvoiceStatus.PAID:
        event_emit(type="invoice.paid", subject=invoice, actor=actor, data={"total": str(invoice.total)})
    elif new == InvoiceStatus.PARTLY_PAID and old != new:
        event_emit(
            type="invoice.partly_paid", subject=invoice, actor=actor, data={"balance": str(invoice.balance)}
        )


def _same_customer(invoice: Invoice, payment: Payment) -> bool:
    if payment.account_id and invoice.account_id:
        return payment.account_id == invoice.account_id
    if payment.contact_id and invoice.contact_id:
        return payment.contact_id == invoice.contact_id
    return False


def _allocate(
    payment: Payment, allocations: list[tuple[Invoice, Decimal]], *, actor: Any, available: Decimal
) -> list[Allocation]:
    """Apply parts of `payment` to invoices, locked in id order; each part ≤ the invoice's balance."""
    if not allocations:
        return []
    wanted: dict[int, Decimal] = {}
    for source, amount in allocations:
        if amount <= 0 or amount != amount.to_integral_value():
            raise ValidationError(
                {"allocations": [_("An allocated amount is a whole number of đồng above 0.")]}
            )
        wanted[source.pk] = wanted.get(source.pk, ZERO) + amount
    if sum(wanted.values(), ZERO) > available:
        raise ValidationError(
            {
                "allocations": [
                    _(
                        "The allocations (%(sum)s ₫) are more than the payment leaves "
                        "to allocate (%(left)s ₫)."
                    )
                    % {"sum": _amount(sum(wanted.values(), ZERO)), "left": _amount(available)}
                ]
            }
        )
    visible = (
        access.scope(actor, Invoice, Action.EDIT) if getattr(actor, "pk", None) else Invoice.objects.all()
    )
    locked: dict[int, Invoice] = {
        i.pk: i for i in visible.select_for_update().filter(pk__in=sorted(wanted)).order_by("pk")
    }
    made = []
    for pk, amount in wanted.items():
        target = locked.get(pk)
        if target is None:
            raise ValidationError({"allocations": [str(access.NOT_FOUND)]})
        if target.status not in (InvoiceStatus.ISSUED, InvoiceStatus.PARTLY_PAID) or target.is_credit:
            raise ValidationError(
                {
                    "allocations": [
                        _("Invoice %(number)s is not open for payment.") % {"number": target.number}
                    ]
                }
            )
        if not _same_customer(target, payment):
            raise ValidationError(
                {"allocations": [_("Invoice %(number)s is another customer's.") % {"number": target.number}]}
            )
        balance = balances.balance_of(target.total, balances.allocated_to(target.pk))
        if amount > balance:
            raise ValidationError(
                {
                    "allocations": [
                        _("%(amount)s ₫ is more than the balance of invoice %(number)s (%(balance)s ₫).")
                        % {"amount": _amount(amount), "number": target.number, "balance": _amount(balance)}
                    ]
                }
            )
        made.append(
            Allocation.objects.create(invoice=target, payment=payment, amount=amount, created_by=_user(actor))
        )
        _after_allocation(target, actor=actor)
    balances.refresh_payment(payment)
    return made


def _amount(value: Decimal) -> str:
    return f"{int(value):,}".replace(",", ".")


def _clean_amount(value: Any, field: str) -> Decimal:
    try:
        amount = Decimal(str(value))
    except ArithmeticError:
        raise ValidationError({field: _("Enter an amount in đồng.")}) from None
    if (
        not amount.is_finite()
        or amount <= 0
        or amount != amount.to_integral_value()
        or amount >= Decimal(10) ** 15
    ):
        raise ValidationError({field: _("An amount is a whole number of đồng above 0.")})
    return amount


@transaction.atomic
def payment_create(
    *,
    actor: Any,
    data: Mapping[str, Any],
    allocations: Iterable[tuple[Invoice, Any]] = (),
    system: bool = False,
    actor_label: str = "",
) -> Payment:
    """Record a receipt (money in, optionally allocated to invoices) or a payment voucher (money out)."""
    allowed = {"kind", "method", "amount", "paid_at", "contact", "account", "reference", "notes", "owner"}
    cleaned = _prepare(data, allowed)
    cleaned["amount"] = _clean_amount(cleaned.get("amount"), "amount")
    cleaned.setdefault("kind", PaymentKind.RECEIPT)
    cleaned.setdefault("method", PaymentMethod.BANK_TRANSFER)
    if cleaned["kind"] not in PaymentKind.values:
        raise ValidationError({"kind": _("Choose a receipt or a payment voucher.")})
    if cleaned["method"] not in PaymentMethod.values:
        raise ValidationError({"method": _("Choose cash, bank transfer, card or e-wallet.")})
    if isinstance(cleaned.get("reference"), str):
        cleaned["reference"] = clean_text(cleaned["reference"])[:100]
    _fill_customer(cleaned)
    paid_at = cleaned.get("paid_at") or timezone.now()
    cleaned["paid_at"] = paid_at
    if paid_at > timezone.now() + timedelta(days=1):
        raise ValidationError({"paid_at": _("A payment is recorded once it is made.")})
    on = timezone.localtime(paid_at).date() if timezone.is_aware(paid_at) else paid_at.date()
    kind = "receipt" if cleaned["kind"] == PaymentKind.RECEIPT else "payment"
    cleaned["number"] = next_number(kind, on)
    owner = cleaned.pop("owner", None)
    customer = cleaned.get("account") or cleaned.get("contact")
    payment = record_create(
        Payment,
        actor=actor,
        data=cleaned,
        owner=owner or getattr(customer, "owner", None) or actor,
        system=system,
        actor_label=actor_label,
    )
    Payment.all_objects.filter(pk=payment.pk).update(search_key=_search_key(payment))
    wanted = [(invoice, _clean_amount(amount, "allocations")) for invoice, amount in allocations]
    if wanted and payment.kind != PaymentKind.RECEIPT:
        raise ValidationError({"allocations": [_("Only a receipt is allocated to invoices.")]})
    _allocate(payment, wanted, actor=actor, available=payment.amount)
    if payment.kind == PaymentKind.RECEIPT:
        event_emit(
            type="payment.received",
            subject=payment,
            actor=actor,
            actor_label=actor_label,
            data={"amount": str(payment.amount), "method": payment.method, "number": payment.number},
        )
    return payment


@transaction.atomic
def payment_allocate(
    payment: Payment, *, actor: Any, allocations: Iterable[tuple[Invoice, Any]]
) -> list[Allocation]:
    """Apply what a receipt has left (the customer's credit) to open invoices."""
    access.check(actor, Action.EDIT, payment)
    current = Payment.all_objects.select_for_update().get(pk=payment.pk)
    if current.kind != PaymentKind.RECEIPT:
        raise ValidationError({"allocations": [_("Only a receipt is allocated to invoices.")]})
    wanted = [(invoice, _clean_amount(amount, "allocations")) for invoice, amount in allocations]
    made = _allocate(current, wanted, actor=actor, available=current.amount - current.allocated_total)
    event_emit(
        type="payment.allocated",
        subject=current,
        actor=actor,
        data={"allocations": {a.invoice.number: str(a.amount) for a in made}},
    )
    return made


def customer_credit(*, account_id: int | None = None, contact_id: int | None = None) -> Decimal:
    """Money the customer has paid and not yet had applied, plus credit notes not yet applied, less
    refunds paid out to them."""
    if account_id:
        who = Q(account_id=account_id)
    elif contact_id:
        who = Q(contact_id=contact_id, account__isnull=True)
    else:
        return ZERO
    receipts = Payment.objects.filter(who, kind=PaymentKind.RECEIPT).aggregate(
        a=Sum("amount"), b=Sum("allocated_total")
    )
    refunds = Payment.objects.filter(who, kind=PaymentKind.VOUCHER).aggregate(a=Sum("amount"))["a"] or ZERO
    credits = ZERO
    for credit in Invoice.objects.filter(who, is_credit=True).exclude(status=InvoiceStatus.DRAFT):
        credits += balances.credit_remaining(credit)
    total = (receipts["a"] or ZERO) - (receipts["b"] or ZERO) + credits - refunds
    return max(total, ZERO)


# --- recurring invoices from contracts ---------------------------------------------------------


STEPS = {"monthly": 1, "quarterly": 3, "yearly": 12}


def _add_months(day: date, months: int) -> date:
    import calendar

    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def contract_periods(contract: Contract, until: date | None = None) -> list[date]:
    """The first days of a contract's billing periods, counted from its start date (a contract from
    15/10 billed quarterly: 15/10, 15/01, 15/04, 15/07), up to its end date, or — without one — up to
    `until`."""
    step = STEPS.get(contract.billing_schedule)
    if not step:
        return []
    last = contract.end_date or until or timezone.localdate()
    if until is not None and contract.end_date is None:
        last = until
    periods = []
    k = 0
    while (period := _add_months(contract.start_date, step * k)) <= last and k < 600:
        periods.append(period)
        k += 1
    return periods


def _split(amount: Decimal, n: int, k: int) -> Decimal:
    """Share k (0-based) of an amount split in n whole-đồng parts, the last taking the remainder."""
    part = (amount / n).quantize(Decimal(1), rounding="ROUND_FLOOR")
    return amount - part * (n - 1) if k == n - 1 else part


def contract_period_lines(contract: Contract, period: date) -> list[dict[str, Any]]:
    """What one period bills. A contract with an end date bills its total over its periods (each
    line's amount split in whole đồng, the last period taking the remainder); without an end date its
    lines are the price of one period."""
    lines = copy_lines(contract.lines.order_by("position", "id"))
    periods = contract_periods(contract)
    if contract.end_date is None or len(periods) <= 1 or period not in periods:
        return lines
    n, k = len(periods), periods.index(period)
    billed = []
    for line in lines:
        whole = line["quantity"] * line["unit_price"]
        billed.append(
            {
                **line,
                "description": f"{line['description']} ({k + 1}/{n})"[:500],
                "quantity": Decimal(1),
                "unit_price": _split(whole.quantize(Decimal(1), rounding="ROUND_HALF_UP"), n, k),
                "discount_amount": _split(Decimal(line["discount_amount"]), n, k),
            }
        )
    return billed


def contract_invoice(contract: Contract, period: date, *, issue_date: date | None = None) -> Invoice | None:
    """The draft invoice of one billing period of a contract, made once: None when the period already
    has its invoice (also when another worker made it at the same moment: a unique constraint)."""
    from django.db import IntegrityError

    if Invoice.all_objects.filter(contract=contract, billing_period=period).exists():
        return None
    lines = contract_period_lines(contract, period)
    if not lines:
        return None
    periods = contract_periods(contract)
    n = len(periods) if contract.end_date else 1
    discount = (
        _split(contract.discount_amount, n, periods.index(period))
        if n > 1 and period in periods
        else (contract.discount_amount)
    )
    try:
        with transaction.atomic():
            return _write_invoice(
                actor=None,
                data={
                    "contract": contract,
                    "contact": contract.contact,
                    "account": contract.account,
                    "billing_period": period,
                    "issue_date": issue_date or timezone.localdate(),
                    "discount_percent": contract.discount_percent,
                    "discount_amount": discount,
                    "notes": _("Billing period from %(start)s") % {"start": period.strftime("%d/%m/%Y")},
                },
                lines=lines,
                owner=contract.owner,
                system=True,
                actor_label="system:scheduler",
                priced=True,
            )
    except IntegrityError:
        return None  # another worker took this period


def contracts_bill(today: date | None = None) -> int:
    """Create the draft invoice of each signed contract's current billing period, once each: a second
    run (or a second worker at the same time) finds the period taken."""
    today = today or timezone.localdate()
    created = 0
    contracts = Contract.objects.filter(status=ContractStatus.SIGNED).exclude(billing_schedule="")
    for contract in contracts.select_related("owner", "contact", "account"):
        started = [p for p in contract_periods(contract, today) if p <= today]
        if started and contract_invoice(contract, started[-1], issue_date=today) is not None:
            created += 1
    return created


# --- returns -----------------------------------------------------------------------------------


def returned_quantities(order: Order) -> dict[int, Decimal]:
    rows = (
        ReturnLine.objects.filter(returned__order=order, returned__deleted_at__isnull=True)
        .values("order_line_id")
        .annotate(q=Sum("quantity"))
    )
    return {row["order_line_id"]: row["q"] for row in rows}


def _issued_invoice_for(order: Order) -> Invoice | None:
    return (
        Invoice.objects.filter(
            order=order,
            is_credit=False,
            status__in=(InvoiceStatus.ISSUED, InvoiceStatus.PARTLY_PAID, InvoiceStatus.PAID),
        )
        .order_by("-balance", "-id")
        .first()
    )


@transaction.atomic
def return_create(
    order: Order,
    *,
    actor: Any,
    quantities: Mapping[int, Decimal],
    reason: str,
    returned_on: date | None = None,
    refund_method: str = "",
) -> Return:
    """Goods sent back against an order's delivered lines (never more than delivered). When they were
    invoiced, a credit note (an adjustment invoice decreasing the amount) is issued against the
    invoice; with `refund_method`, what the credit leaves over is paid back by a payment voucher."""
    access.check(actor, Action.VIEW, order)
    access.check_module(actor, Module.BILLING, Action.CREATE)
    current = Order.all_objects.select_for_update().get(pk=order.pk)
    reason = clean_text(reason)[:300]
    if not reason:
        raise ValidationError({"reason": _("Give the reason for the return.")})
    lines = {line.pk: line for line in current.lines.all()}
    back = returned_quantities(current)
    wanted = {pk: q for pk, q in quantities.items() if q}
    if not wanted:
        raise ValidationError({"lines": [_("Enter the returned quantity of at least one line.")]})
    for pk, qty in wanted.items():
        line = lines.get(pk)
        if line is None:
            raise ValidationError({"lines": [_("Line %(id)s is not on this order.") % {"id": pk}]})
        if qty < 0 or qty != qty.quantize(Decimal("0.001")):
            raise ValidationError({"lines": [_("A returned quantity is positive, with at most 3 decimals.")]})
        left = line.delivered_quantity - back.get(pk, ZERO)
        if qty > left:
            raise ValidationError(
                {
                    "lines": [
                        _("%(line)s: only %(left)s delivered and not yet returned.")
                        % {"line": line.description, "left": max(left, ZERO).normalize()}
                    ]
                }
            )
    on = returned_on or timezone.localdate()
    if on > timezone.localdate():
        raise ValidationError({"returned_on": _("A return is recorded once it happened.")})
    returned = record_create(
        Return,
        actor=actor,
        data={"order": current, "returned_on": on, "reason": reason, "number": next_number("return", on)},
        owner=current.owner,
        related=lambda r: {
            "lines": [
                [],
                [f"{wanted[pk].normalize():f} × {lines[pk].description}" for pk in wanted],
            ]
        },
    )
    total = ZERO
    credit_lines = []
    for pk, qty in wanted.items():
        line = lines[pk]
        share = qty / line.quantity
        amount = (line.amount * share).quantize(Decimal(1), rounding=ROUND_HALF_UP)
        vat = (line.vat_amount * share).quantize(Decimal(1), rounding=ROUND_HALF_UP)
        ReturnLine.objects.create(
            returned=returned, order_line=line, quantity=qty, amount=amount, vat_amount=vat
        )
        total += amount + vat
        credit_lines.append({**billed_copy(line, qty), "quantity": qty, "order_line": line})
    Return.all_objects.filter(pk=returned.pk).update(total=total)
    returned.total = total
    invoiced = invoiced_quantities(current)
    original = _issued_invoice_for(current)
    if original is not None and any(invoiced.get(pk, ZERO) > 0 for pk in wanted):
        credit = _write_invoice(
            actor=actor,
            data={
                "contact": original.contact,
                "account": original.account,
                "order": current,
                "original": original,
                "kind": InvoiceKind.ADJUSTMENT,
                "is_credit": True,
                "correction_reason": _("Goods returned: %(reason)s") % {"reason": reason},
                "agreement_date": on,
                "issue_date": timezone.localdate(),
                "discount_percent": current.discount_percent,
            },
            lines=credit_lines,
            owner=original.owner,
            priced=True,
        )
        credit = invoice_issue(credit, actor=actor)
        Return.all_objects.filter(pk=returned.pk).update(credit_invoice=credit)
        returned.credit_invoice = credit
        if refund_method:
            left = balances.credit_remaining(credit)
            if left > 0:
                refund = payment_create(
                    actor=actor,
                    data={
                        "kind": PaymentKind.VOUCHER,
                        "method": refund_method,
                        "amount": left,
                        "contact": original.contact,
                        "account": original.account,
                        "notes": _("Refund for return %(number)s") % {"number": returned.number},
                    },
                )
                # The refund pays out this credit note's remainder: recorded as applied.
                Return.all_objects.filter(pk=returned.pk).update(refund=refund)
                returned.refund = refund
    return returned


def customer_first_receipts_refresh(contact_ids: set[int], account_ids: set[int]) -> None:
    """Each of these customers' first receipt: its earliest live receipt (the lower id on a tie), or none.
    A derived field, like the search key: no event of its own (the receipt's event tells the story).
    Called in the transaction of every receipt written (created, moved by a merge, trashed, restored) by
    the spine's `records_written` receiver in sencrm/marketing/facts.py, which then rewrites the
    attribution facts that read it."""
    for model, column, ids in ((Contact, "contact_id", contact_ids), (Account, "account_id", account_ids)):
        for pk in sorted(ids):
            first = (
                Payment.objects.filter(kind=PaymentKind.RECEIPT, **{column: pk})
                .order_by("paid_at", "pk")
                .values_list("pk", "paid_at")
                .first()
            )
            first_id, first_at = first if first else (None, None)
            model.all_objects.filter(pk=pk).exclude(
                first_receipt_id=first_id, first_receipt_at=first_at
            ).update(first_receipt_id=first_id, first_receipt_at=first_at)
